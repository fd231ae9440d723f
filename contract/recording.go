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

// CheckCassette validates every interaction of a go-vcr (v4) cassette file,
// request and response, and returns the findings, each naming the file,
// the interaction's index and its line. The error is for a file that cannot
// be read or is not a valid cassette; it names the file and, for a
// malformed file, the line.
func CheckCassette(v *Validator, path string) (*Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("contract: %w", err)
	}
	// go-vcr's own loader does not say where a file is broken: decode it
	// first with the same YAML library, keeping the positions.
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(path, err)
	}
	var shape cassette.Cassette
	if err := root.Decode(&shape); err != nil {
		return nil, yamlError(path, err)
	}
	versionLine, lines := cassetteLines(&root)
	if shape.Version != cassette.CassetteFormatVersion {
		return nil, fmt.Errorf("contract: %s:%d: cassette format version %d, want %d", path, versionLine, shape.Version, cassette.CassetteFormatVersion)
	}
	c, err := cassette.LoadWithFS(strings.TrimSuffix(path, ".yaml"), memFS(data))
	if err != nil {
		return nil, fmt.Errorf("contract: %s: %w", path, err)
	}
	if len(c.Interactions) != len(lines) {
		return nil, fmt.Errorf("contract: %s: found %d interactions, go-vcr loaded %d", path, len(lines), len(c.Interactions))
	}
	report := new(Report)
	for i, in := range c.Interactions {
		req, err := in.GetHTTPRequest()
		if err != nil {
			return nil, fmt.Errorf("contract: %s:%d: interaction %d: %w", path, lines[i], i, err)
		}
		resp, err := in.GetHTTPResponse()
		if err != nil {
			return nil, fmt.Errorf("contract: %s:%d: interaction %d: %w", path, lines[i], i, err)
		}
		if req.Header == nil {
			req.Header = http.Header{}
		}
		if resp.Header == nil {
			resp.Header = http.Header{}
		}
		resp.ContentLength = recordedLength(resp.Header, int64(len(in.Response.Body)), resp.Uncompressed)
		report.Add(label(v.checkExchange(req, resp, false), path, i, lines[i])...)
	}
	return report, nil
}

// checkExchange validates one recorded request and its response.
func (v *Validator) checkExchange(req *http.Request, resp *http.Response, noBody bool) []Finding {
	out := v.ValidateRequest(req)
	if noBody {
		route, params, _ := v.route(req)
		if route != nil {
			out = append(out, v.validateResponse(req, resp, route, params, nil, false, nil, true)...)
		}
		return out
	}
	return append(out, v.ValidateResponse(req, resp)...)
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
// problem found.
func yamlError(path string, err error) error {
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
	return fmt.Errorf("contract: malformed cassette: %s", strings.Join(out, "; "))
}

// cassetteLines returns the line of the version key and of each
// interaction.
func cassetteLines(root *yaml.Node) (version int, interactions []int) {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return 0, nil
	}
	m := root.Content[0]
	if m.Kind != yaml.MappingNode {
		return m.Line, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		switch m.Content[i].Value {
		case "version":
			version = m.Content[i].Line
		case "interactions":
			for _, n := range m.Content[i+1].Content {
				interactions = append(interactions, n.Line)
			}
		}
	}
	return version, interactions
}

// A HAR 1.2 file, as much of it as checking needs.
type harFile struct {
	Log struct {
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
// decoded; a response whose body was not stored has only its status and
// headers checked. Entries without a response (status 0) are skipped.
func CheckHAR(v *Validator, path string) (*Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("contract: %w", err)
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
	report := new(Report)
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
		noBody := c.Text == nil && c.Size > 0
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
			Body:          io.NopCloser(bytes.NewReader(respBody)),
			ContentLength: recordedLength(h, int64(len(respBody)), false),
			Request:       req,
		}
		if noBody && isBinary(h.Get("Content-Type")) {
			report.Add(label(v.ValidateRequest(req), path, i, 0)...)
			continue
		}
		report.Add(label(v.checkExchange(req, resp, noBody), path, i, 0)...)
	}
	return report, nil
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
