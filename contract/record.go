package contract

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v4"
	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"
)

// Recorder writes exchanges to a recording that [CheckRecording] and
// `getty contract check` read back: a HAR 1.2 file or a go-vcr (v4)
// cassette, by the extension of its path. Every interaction is scrubbed
// with [ScrubInteraction] before it is written, so the file holds no
// credential, token or URL signature.
//
// Interactions go to a temporary file beside the recording as they come, so
// a long session holds none of them in memory; Close turns it into the
// recording at once (rename), and a recording that is never closed is
// never half-written. A [Proxy] with a Recorder labels its findings with
// the recording's path and the interaction's index and (for a cassette)
// line, as checking the file labels them.
//
// A Recorder is safe for concurrent use.
type Recorder struct {
	path string
	har  bool

	mu     sync.Mutex
	f      *os.File
	w      *bufio.Writer
	n      int   // interactions written
	line   int   // lines written so far (cassette)
	err    error // the first error; the Recorder is then unusable
	closed bool
}

// NewRecorder starts a recording that Close writes to path: HAR for a .har
// file, a cassette for .yaml or .yml. The directory must exist; the file
// is replaced when Close succeeds.
func NewRecorder(path string) (*Recorder, error) {
	r := &Recorder{path: path}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".har":
		r.har = true
	case ".yaml", ".yml":
	default:
		return nil, fmt.Errorf("contract: %s: a recording is a HAR file (.har) or a cassette (.yaml, .yml)", path)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("contract: recording: %w", err)
	}
	r.f, r.w = f, bufio.NewWriter(f)
	if r.har {
		_, err = r.w.WriteString(`{"log":{"version":"1.2","creator":{"name":"getty contract proxy","version":"1"},"entries":[`)
	} else {
		// As go-vcr writes it.
		_, err = fmt.Fprintf(r.w, "---\nversion: %d\ninteractions:\n", cassette.CassetteFormatVersion)
		r.line = 3
	}
	if err != nil {
		r.Abort()
		return nil, fmt.Errorf("contract: recording: %w", err)
	}
	return r, nil
}

// Path returns the recording's path, as NewRecorder got it.
func (r *Recorder) Path() string { return r.path }

// Len returns how many interactions were recorded.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// recorded is an interaction to record: the exchange as sent and
// received, before scrubbing. A body that was not kept whole (bigger than
// the limit, or cut short) is left out of the recording, which checking
// then reports as not checked.
type recordedExchange struct {
	i          *cassette.Interaction
	start      time.Time
	duration   time.Duration
	respStored bool
	decoded    bool // the response body is stored decoded (Content-Encoding)
}

// add scrubs and writes an interaction, and returns its index and its line
// in a cassette (0 in a HAR file).
func (r *Recorder) add(x *recordedExchange) (index, line int, err error) {
	if err := ScrubInteraction(x.i); err != nil {
		return 0, 0, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.closed:
		return 0, 0, errors.New("contract: recording closed")
	case r.err != nil:
		return 0, 0, r.err
	}
	index = r.n
	x.i.ID = index
	var chunk []byte
	if r.har {
		chunk, err = harChunk(x, index == 0)
	} else {
		chunk, err = cassetteChunk(x)
		line = r.line + 1
	}
	if err == nil {
		_, err = r.w.Write(chunk)
	}
	if err != nil {
		r.err = fmt.Errorf("contract: recording %s: %w", r.path, err)
		return 0, 0, r.err
	}
	r.n++
	r.line += bytes.Count(chunk, []byte("\n"))
	return index, line, nil
}

// Close writes the recording to its path and returns the first error met
// recording. A recording with no interactions is written too (checking it
// then says so).
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return r.err
	}
	r.closed = true
	if r.err == nil && r.har {
		if r.n > 0 {
			_, r.err = r.w.WriteString("\n")
		}
		if r.err == nil {
			_, r.err = r.w.WriteString("]}}\n")
		}
	}
	if r.err == nil && !r.har && r.n == 0 {
		_, r.err = r.w.WriteString("    []\n")
	}
	if r.err == nil {
		r.err = r.w.Flush()
	}
	if r.err == nil {
		r.err = r.f.Sync()
	}
	if err := r.f.Close(); r.err == nil {
		r.err = err
	}
	if r.err == nil {
		r.err = os.Rename(r.f.Name(), r.path)
	}
	if r.err != nil {
		os.Remove(r.f.Name())
		r.err = fmt.Errorf("contract: recording %s: %w", r.path, r.err)
	}
	return r.err
}

// Abort discards the recording: nothing is written to its path.
func (r *Recorder) Abort() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	r.f.Close()
	os.Remove(r.f.Name())
}

// cassetteChunk is an interaction as go-vcr writes it into a cassette's
// interactions, indented to go under the key. A response body not stored
// has no body key, which is how checking tells it from an empty one.
func cassetteChunk(x *recordedExchange) ([]byte, error) {
	resp := &x.i.Response
	if x.decoded {
		// Stored decoded, as Go's transport hands a body it decompressed:
		// without Content-Encoding and Content-Length.
		resp.Headers.Del("Content-Encoding")
		resp.Headers.Del("Content-Length")
		resp.ContentLength, resp.Uncompressed = -1, true
	}
	var doc yaml.Node
	if err := doc.Encode(map[string][]*cassette.Interaction{"interactions": {x.i}}); err != nil {
		return nil, err
	}
	if !x.respStored {
		if item := firstItem(&doc); item != nil {
			deleteKey(mapValue(item, "response"), "body")
		}
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, err
	}
	// Drop the "interactions:" line: the file has it once.
	_, rest, ok := bytes.Cut(out, []byte("\n"))
	if !ok {
		return nil, errors.New("unexpected YAML for an interaction")
	}
	return rest, nil
}

func firstItem(doc *yaml.Node) *yaml.Node {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	seq := mapValue(n, "interactions")
	if seq == nil || seq.Kind != yaml.SequenceNode || len(seq.Content) == 0 {
		return nil
	}
	return seq.Content[0]
}

func deleteKey(m *yaml.Node, key string) {
	if m == nil || m.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = slices.Delete(m.Content, i, i+2)
			return
		}
	}
}

// The HAR 1.2 entry written for an interaction: what the format requires,
// and what CheckHAR reads.
type harOut struct {
	StartedDateTime string      `json:"startedDateTime"`
	Time            float64     `json:"time"`
	Request         harOutReq   `json:"request"`
	Response        harOutResp  `json:"response"`
	Cache           struct{}    `json:"cache"`
	Timings         harOutTimes `json:"timings"`
}

type harOutReq struct {
	Method      string       `json:"method"`
	URL         string       `json:"url"`
	HTTPVersion string       `json:"httpVersion"`
	Cookies     []struct{}   `json:"cookies"`
	Headers     []harHeader  `json:"headers"`
	QueryString []harHeader  `json:"queryString"`
	PostData    *harPostData `json:"postData,omitempty"`
	HeadersSize int          `json:"headersSize"`
	BodySize    int64        `json:"bodySize"`
}

type harPostData struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
	Encoding string `json:"encoding,omitempty"`
}

type harOutResp struct {
	Status      int         `json:"status"`
	StatusText  string      `json:"statusText"`
	HTTPVersion string      `json:"httpVersion"`
	Cookies     []struct{}  `json:"cookies"`
	Headers     []harHeader `json:"headers"`
	Content     harContent  `json:"content"`
	RedirectURL string      `json:"redirectURL"`
	HeadersSize int         `json:"headersSize"`
	BodySize    int64       `json:"bodySize"`
}

type harContent struct {
	Size     int64   `json:"size"`
	MimeType string  `json:"mimeType"`
	Text     *string `json:"text,omitempty"`
	Encoding string  `json:"encoding,omitempty"`
}

type harOutTimes struct {
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
}

func harChunk(x *recordedExchange, first bool) ([]byte, error) {
	req, resp := x.i.Request, x.i.Response
	ms := float64(x.duration.Microseconds()) / 1000
	e := harOut{
		StartedDateTime: x.start.UTC().Format(time.RFC3339Nano),
		Time:            ms,
		Request: harOutReq{
			Method: req.Method, URL: req.URL, HTTPVersion: orHTTP11(req.Proto),
			Cookies: []struct{}{}, Headers: harHeaderList(req.Headers), QueryString: []harHeader{},
			HeadersSize: -1, BodySize: int64(len(req.Body)),
		},
		Response: harOutResp{
			Status: resp.Code, StatusText: http.StatusText(resp.Code), HTTPVersion: orHTTP11(resp.Proto),
			Cookies: []struct{}{}, Headers: harHeaderList(resp.Headers),
			RedirectURL: resp.Headers.Get("Location"), HeadersSize: -1, BodySize: -1,
			Content: harContent{Size: int64(len(resp.Body)), MimeType: resp.Headers.Get("Content-Type")},
		},
		Timings: harOutTimes{Wait: ms},
	}
	e.Request.QueryString = queryList(req.URL)
	if req.Body != "" {
		pd := &harPostData{MimeType: req.Headers.Get("Content-Type"), Text: req.Body}
		if !utf8.ValidString(req.Body) {
			pd.Text, pd.Encoding = base64.StdEncoding.EncodeToString([]byte(req.Body)), "base64"
		}
		e.Request.PostData = pd
	}
	if x.respStored {
		text := resp.Body
		if !utf8.ValidString(text) || isBinary(resp.Headers.Get("Content-Type")) {
			text, e.Response.Content.Encoding = base64.StdEncoding.EncodeToString([]byte(resp.Body)), "base64"
		}
		e.Response.Content.Text = &text
	} else {
		e.Response.Content.Size = -1
	}
	var b bytes.Buffer
	if first {
		b.WriteString("\n    ")
	} else {
		b.WriteString(",\n    ")
	}
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("    ", "  ")
	if err := enc.Encode(e); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func orHTTP11(proto string) string {
	if proto == "" {
		return "HTTP/1.1"
	}
	return proto
}

// harHeaderList lists headers sorted by name, for a stable file.
func harHeaderList(h http.Header) []harHeader {
	out := []harHeader{}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			out = append(out, harHeader{Name: k, Value: v})
		}
	}
	return out
}

// queryList is the query of a URL as HAR lists it, in order, unescaped.
func queryList(raw string) []harHeader {
	_, q, _ := strings.Cut(raw, "?")
	out := []harHeader{}
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		k, v, _ := strings.Cut(kv, "=")
		if u, err := url.QueryUnescape(k); err == nil {
			k = u
		}
		if u, err := url.QueryUnescape(v); err == nil {
			v = u
		}
		out = append(out, harHeader{Name: k, Value: v})
	}
	return out
}
