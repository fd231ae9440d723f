package contract

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"
	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"
)

// ErrNoInteractions is wrapped by the error [CheckCassette] and [CheckHAR]
// return for a recording that holds nothing to check: an empty file, a
// cassette without interactions ("{}", "interactions: []"), or a HAR file
// whose log.entries is missing, null, empty or has no entry with a
// response. A recording that checks nothing must not pass as clean.
var ErrNoInteractions = errors.New("no interactions recorded")

// CheckCassette validates every interaction of a go-vcr (v4) cassette file,
// request and response, and returns the findings, each naming the file,
// the interaction's index and its line. The error is for a file that cannot
// be read, is not a valid cassette or holds no interaction (it wraps
// [ErrNoInteractions]); it names the file and, for a malformed file, the
// line.
//
// Recorded bodies are not validated when they are bigger than the
// validator's size limit ([WithMaxBodySize]), nor when the recording left
// the response body out (go-vcr always writes a body key, even an empty
// one, so a response without one was stripped by another tool). These are
// findings of kind [NotChecked], not violations, and the rest of the
// interaction is still judged.
func CheckCassette(v *Validator, path string) (*Report, error) {
	xs, err := checkCassette(v, path)
	if err != nil {
		return nil, err
	}
	return reportOf(xs), nil
}

// reportOf collects the findings of exchanges in a Report.
func reportOf(xs []Exchange) *Report {
	r := new(Report)
	for _, x := range xs {
		r.Add(x.Findings...)
	}
	return r
}

func checkCassette(v *Validator, path string) ([]Exchange, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("contract: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("contract: %s: empty file: %w", path, ErrNoInteractions)
	}
	// go-vcr's own loader does not say where a file is broken: decode it
	// first with the same YAML library, keeping the positions.
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError("cassette", path, err)
	}
	var shape cassette.Cassette
	if err := root.Decode(&shape); err != nil {
		return nil, yamlError("cassette", path, err)
	}
	layout := cassetteLayout(&root)
	if layout.version > 0 && shape.Version != cassette.CassetteFormatVersion {
		return nil, fmt.Errorf("contract: %s:%d: cassette format version %d, want %d", path, layout.version, shape.Version, cassette.CassetteFormatVersion)
	}
	if len(layout.interactions) == 0 {
		return nil, fmt.Errorf("contract: %s: %w", path, ErrNoInteractions)
	}
	if shape.Version != cassette.CassetteFormatVersion {
		return nil, fmt.Errorf("contract: %s: no cassette format version, want %d", path, cassette.CassetteFormatVersion)
	}
	c, err := cassette.LoadWithFS(strings.TrimSuffix(path, ".yaml"), memFS(data))
	if err != nil {
		return nil, fmt.Errorf("contract: %s: %w", path, err)
	}
	if len(c.Interactions) != len(layout.interactions) {
		return nil, fmt.Errorf("contract: %s: found %d interactions, go-vcr loaded %d", path, len(layout.interactions), len(c.Interactions))
	}
	xs := make([]Exchange, 0, len(c.Interactions))
	for i, in := range c.Interactions {
		line := layout.interactions[i].line
		req, err := in.GetHTTPRequest()
		if err != nil {
			return nil, fmt.Errorf("contract: %s:%d: interaction %d: %w", path, line, i, err)
		}
		resp, err := in.GetHTTPResponse()
		if err != nil {
			return nil, fmt.Errorf("contract: %s:%d: interaction %d: %w", path, line, i, err)
		}
		if req.Header == nil {
			req.Header = http.Header{}
		}
		if resp.Header == nil {
			resp.Header = http.Header{}
		}
		resp.ContentLength = recordedLength(resp.Header, int64(len(in.Response.Body)), resp.Uncompressed)
		stored := layout.interactions[i].body || bodiless(req, resp)
		xs = append(xs, Exchange{
			Source: path, Index: i, Line: line,
			Method: req.Method, Path: req.URL.Path, Status: resp.StatusCode,
			Findings: label(v.checkRecorded(req, resp, []byte(in.Response.Body), stored), path, i, line),
		})
	}
	return xs, nil
}

// checkRecorded judges one recorded exchange. body is the response body as
// recorded; stored is false when the recording left it out. A body that was
// not stored, or is bigger than the size limit, gives a NotChecked finding
// instead of being validated; the request, the status and the headers are
// judged all the same.
func (v *Validator) checkRecorded(req *http.Request, resp *http.Response, body []byte, stored bool) []Finding {
	route, params, f := v.route(req)
	var out []Finding
	switch {
	case f != nil:
		out = append(out, *f)
	case route != nil:
		data, over, err := requestBody(req, v.maxBody)
		fs := v.validateRequest(req, route, params, data, over, err)
		if over && err == nil && len(fs) > 0 && fs[0].Kind == Violation {
			// validateRequest reports the size first, as a violation:
			// live traffic that big is refused, a recording is only
			// not checked.
			fs[0].Kind = NotChecked
			fs[0].Message = fmt.Sprintf("request body is over the size limit (%d bytes): not validated", v.maxBody)
		}
		out = append(out, fs...)
	}
	binary := route == nil && isBinary(resp.Header.Get("Content-Type"))
	if route == nil && !binary {
		return out // neither an API call nor a file: nothing to judge
	}
	nc := Finding{Kind: NotChecked, Method: req.Method, Path: req.URL.Path, Status: resp.StatusCode}
	if route != nil {
		nc.Operation = route.Operation.OperationID
	}
	over := int64(len(body)) > v.maxBody
	switch {
	case !stored && route != nil:
		nc.Message = "response body not stored in the recording: status and headers checked only"
	case !stored:
		nc.Message = "response body not stored in the recording: its bytes are not checked"
		return append(out, nc)
	case over && route != nil:
		nc.Message = fmt.Sprintf("response body of %d bytes is over the size limit (%d bytes): status and headers checked only", len(body), v.maxBody)
	case over:
		// ValidateResponse still checks the leading bytes.
		nc.Message = fmt.Sprintf("response body of %d bytes is over the size limit (%d bytes): only its leading bytes are checked", len(body), v.maxBody)
		resp.Body = io.NopCloser(bytes.NewReader(body))
		return append(append(out, v.ValidateResponse(req, resp)...), nc)
	default:
		resp.Body = io.NopCloser(bytes.NewReader(body))
		return append(out, v.ValidateResponse(req, resp)...)
	}
	resp.Body = http.NoBody
	out = append(out, v.validateResponse(req, resp, route, params, nil, false, nil, true)...)
	return append(out, nc)
}

// bodiless reports whether a response has no body whatever a recording
// stored: the answer to HEAD, a 1xx, 204 or 304, or Content-Length: 0.
func bodiless(req *http.Request, resp *http.Response) bool {
	s := resp.StatusCode
	return req.Method == http.MethodHead || (s >= 100 && s < 200) || s == http.StatusNoContent ||
		s == http.StatusNotModified || strings.TrimSpace(resp.Header.Get("Content-Length")) == "0"
}

// recordedLength is the Content-Length a recorded response declared, or -1
// when it declared none or when its body was stored decompressed.
func recordedLength(h http.Header, stored int64, uncompressed bool) int64 {
	if uncompressed || h.Get("Content-Encoding") != "" {
		return -1
	}
	if n, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64); err == nil && n >= 0 {
		return n
	}
	return -1
}

func label(fs []Finding, source string, index, line int) []Finding {
	for i := range fs {
		fs[i].Source, fs[i].Index, fs[i].Line = source, index, line
	}
	return fs
}

type memFS []byte

func (m memFS) ReadFile(string) ([]byte, error) { return m, nil }
func (m memFS) WriteFile(string, []byte) error  { return errors.New("read-only") }
func (m memFS) IsFileExists(string) bool        { return true }

// yamlError rewrites a YAML error as "file:line: message", one per
// problem found, in a malformed what ("cassette", "allow list").
func yamlError(what, path string, err error) error {
	var out []string
	add := func(le *yaml.LoadError) {
		if le.Mark.Line > 0 {
			out = append(out, fmt.Sprintf("%s:%d: %s", path, le.Mark.Line, le.Message))
		} else {
			out = append(out, fmt.Sprintf("%s: %s", path, le.Message))
		}
	}
	var les *yaml.LoadErrors
	var le *yaml.LoadError
	switch {
	case errors.As(err, &les) && len(les.Errors) > 0:
		for _, e := range les.Errors {
			add(e)
		}
	case errors.As(err, &le):
		add(le)
	default:
		out = append(out, fmt.Sprintf("%s: %v", path, err))
	}
	return fmt.Errorf("contract: malformed %s: %s", what, strings.Join(out, "; "))
}

// layout is where a cassette's version key and interactions are, and
// whether each interaction's response has a body key.
type layout struct {
	version      int // line of the version key; 0 when absent
	interactions []recorded
}

type recorded struct {
	line int
	body bool // the response has a body key
}

func cassetteLayout(root *yaml.Node) layout {
	var l layout
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return l
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		switch m.Content[i].Value {
		case "version":
			l.version = m.Content[i].Line
		case "interactions":
			for _, n := range m.Content[i+1].Content {
				resp := mapValue(n, "response")
				l.interactions = append(l.interactions, recorded{n.Line, mapValue(resp, "body") != nil})
			}
		}
	}
	return l
}

// mapValue returns the value of key in a YAML mapping, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// A HAR 1.2 file, as much of it as checking needs.
type harFile struct {
	Log *struct {
		Entries []harEntry `json:"entries"`
	} `json:"log"`
}

type harEntry struct {
	Request struct {
		Method   string      `json:"method"`
		URL      string      `json:"url"`
		Headers  []harHeader `json:"headers"`
		PostData *struct {
			MimeType string `json:"mimeType"`
			Text     string `json:"text"`
			Encoding string `json:"encoding"`
		} `json:"postData"`
	} `json:"request"`
	Response struct {
		Status  int         `json:"status"`
		Headers []harHeader `json:"headers"`
		Content struct {
			Size     int64   `json:"size"`
			MimeType string  `json:"mimeType"`
			Text     *string `json:"text"`
			Encoding string  `json:"encoding"`
		} `json:"content"`
	} `json:"response"`
}

type harHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// CheckHAR validates every entry of a HAR 1.2 file (as browsers and proxies
// export them), request and response, and returns the findings, each
// naming the file and the entry's index. Bodies stored base64-encoded are
// decoded. Entries without a response (status 0) are skipped. The error is
// for a file that cannot be read or parsed, or that holds no entry with a
// response (it wraps [ErrNoInteractions]); it names the file.
//
// A response without a content.text was not stored, whatever its
// content.size says (0 and -1 included), unless it cannot have a body
// (HEAD, 1xx, 204, 304, Content-Length: 0): its status and headers are
// judged and its body is reported as [NotChecked], not as a violation. So
// is a body bigger than the validator's size limit ([WithMaxBodySize]).
func CheckHAR(v *Validator, path string) (*Report, error) {
	xs, err := checkHAR(v, path)
	if err != nil {
		return nil, err
	}
	return reportOf(xs), nil
}

func checkHAR(v *Validator, path string) ([]Exchange, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("contract: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("contract: %s: empty file: %w", path, ErrNoInteractions)
	}
	var har harFile
	if err := json.Unmarshal(data, &har); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("contract: malformed HAR: %s:%d: %v", path, lineAt(data, se.Offset), err)
		case errors.As(err, &te):
			return nil, fmt.Errorf("contract: malformed HAR: %s:%d: %v", path, lineAt(data, te.Offset), err)
		}
		return nil, fmt.Errorf("contract: malformed HAR: %s: %w", path, err)
	}
	switch {
	case har.Log == nil:
		return nil, fmt.Errorf("contract: %s: no \"log\" object: %w", path, ErrNoInteractions)
	case len(har.Log.Entries) == 0:
		return nil, fmt.Errorf("contract: %s: log.entries is empty or null: %w", path, ErrNoInteractions)
	}
	var xs []Exchange
	for i, e := range har.Log.Entries {
		if e.Response.Status == 0 {
			continue
		}
		var reqBody []byte
		if pd := e.Request.PostData; pd != nil {
			if reqBody, err = harDecode(pd.Text, pd.Encoding); err != nil {
				return nil, fmt.Errorf("contract: %s: entry %d: request body: %w", path, i, err)
			}
		}
		req, err := http.NewRequest(e.Request.Method, e.Request.URL, bytes.NewReader(reqBody))
		if err != nil {
			return nil, fmt.Errorf("contract: %s: entry %d: %w", path, i, err)
		}
		req.Header = harHeaders(e.Request.Headers)
		if pd := e.Request.PostData; pd != nil && req.Header.Get("Content-Type") == "" && pd.MimeType != "" {
			req.Header.Set("Content-Type", pd.MimeType)
		}
		c := e.Response.Content
		var respBody []byte
		if c.Text != nil {
			if respBody, err = harDecode(*c.Text, c.Encoding); err != nil {
				return nil, fmt.Errorf("contract: %s: entry %d: response body: %w", path, i, err)
			}
		}
		h := harHeaders(e.Response.Headers)
		if h.Get("Content-Type") == "" && c.MimeType != "" {
			h.Set("Content-Type", c.MimeType)
		}
		resp := &http.Response{
			StatusCode:    e.Response.Status,
			Header:        h,
			ContentLength: recordedLength(h, int64(len(respBody)), false),
			Request:       req,
		}
		stored := c.Text != nil || bodiless(req, resp)
		xs = append(xs, Exchange{
			Source: path, Index: i,
			Method: req.Method, Path: req.URL.Path, Status: resp.StatusCode,
			Findings: label(v.checkRecorded(req, resp, respBody, stored), path, i, 0),
		})
	}
	if len(xs) == 0 {
		return nil, fmt.Errorf("contract: %s: none of its %d entries has a response: %w", path, len(har.Log.Entries), ErrNoInteractions)
	}
	return xs, nil
}

func harHeaders(hs []harHeader) http.Header {
	h := http.Header{}
	for _, x := range hs {
		if strings.HasPrefix(x.Name, ":") {
			continue // HTTP/2 pseudo-headers
		}
		h.Add(x.Name, x.Value)
	}
	return h
}

func harDecode(text, encoding string) ([]byte, error) {
	switch strings.ToLower(encoding) {
	case "":
		return []byte(text), nil
	case "base64":
		return base64.StdEncoding.DecodeString(text)
	}
	return nil, fmt.Errorf("unsupported encoding %q", encoding)
}

func lineAt(data []byte, offset int64) int {
	offset = min(max(offset, 0), int64(len(data)))
	return 1 + bytes.Count(data[:offset], []byte("\n"))
}
