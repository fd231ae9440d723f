package contract_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"

	"github.com/gettykit/getty/contract"
)

// writeCassette saves interactions with go-vcr itself, as a recording
// would, and returns the file's path.
func writeCassette(t *testing.T, interactions ...*cassette.Interaction) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "downloads")
	c := cassette.New(name)
	c.MarshalFunc = yaml.Marshal // what go-vcr's recorder uses
	for _, i := range interactions {
		c.AddInteraction(i)
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	return c.File
}

func interaction(method, url string, reqHeaders http.Header, status int, respHeaders http.Header, body string) *cassette.Interaction {
	if reqHeaders == nil {
		reqHeaders = http.Header{"Api-Key": {"[REDACTED]"}, "Authorization": {"Bearer [REDACTED]"}}
	}
	return &cassette.Interaction{
		Request: cassette.Request{Method: method, URL: url, Headers: reqHeaders, Proto: "HTTP/1.1"},
		Response: cassette.Response{Code: status, Status: http.StatusText(status), Headers: respHeaders, Body: body,
			ContentLength: int64(len(body)), Proto: "HTTP/1.1"},
	}
}

func jsonHeaders(body string) http.Header {
	return http.Header{"Content-Type": {"application/json; charset=utf-8"}, "Content-Length": {strconv.Itoa(len(body))}}
}

func TestCheckCassette(t *testing.T) {
	v := newValidator(t)
	jpg := string(tinyJPEG(t))
	const list = "https://api.gettyimages.com/v3/downloads?page=1&page_size=30"
	const dl = "https://api.gettyimages.com/v3/downloads/images/1167612765?auto_download=true"
	const file = "https://delivery.gettyimages.com/xa/GettyImages-1167612765.jpg?k=[REDACTED]"
	good := writeCassette(t,
		interaction("GET", list, nil, 200, jsonHeaders(validList), validList),
		interaction("POST", dl, nil, 303, http.Header{"Location": {file}}, ""),
		interaction("GET", file, http.Header{}, 200, http.Header{"Content-Type": {"image/jpeg"}, "Content-Length": {strconv.Itoa(len(jpg))}}, jpg),
	)
	r, err := contract.CheckCassette(v, good)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings()) != 0 {
		t.Errorf("good cassette: %s", r)
	}

	const bad = `{"result_count":1,"downloads":[{"date_downloaded":"2026-01-31T10:00:00Z","product_id":"seven"}]}`
	violating := writeCassette(t,
		interaction("GET", list, nil, 200, jsonHeaders(validList), validList),
		interaction("GET", list, nil, 200, jsonHeaders(bad), bad),
		interaction("GET", file, http.Header{}, 200, http.Header{"Content-Type": {"image/jpeg"}, "Content-Length": {"99999"}}, jpg),
	)
	r, err = contract.CheckCassette(v, violating)
	if err != nil {
		t.Fatal(err)
	}
	got := r.Violations()
	if len(got) != 2 {
		t.Fatalf("violations: %s", r)
	}
	f := got[0]
	if f.Source != violating || f.Index != 1 || f.Pointer != "/downloads/0/product_id" || f.Line == 0 || f.Operation != "listDownloads" {
		t.Errorf("finding = %#v", f)
	}
	if s := f.String(); !strings.HasPrefix(s, fmt.Sprintf("%s: interaction 1 (line %d): violation: listDownloads GET /v3/downloads -> 200 at /downloads/0/product_id: ", violating, f.Line)) {
		t.Errorf("String() = %s", s)
	}
	if f := got[1]; f.Index != 2 || !strings.Contains(f.Message, "Content-Length says 99999") {
		t.Errorf("binary finding = %s", f)
	}
}

func TestCheckCassetteMalformed(t *testing.T) {
	v := newValidator(t)
	tests := []struct {
		name, content, want string
	}{
		{"bad indentation", "version: 2\ninteractions:\n  - id: 0\n    request:\n      url: x\n     method: GET\n", ":6: "},
		{"wrong type", "version: 2\ninteractions:\n  - id: 0\n    request:\n      url: https://x/v3/downloads\n      method: GET\n    response:\n      code: teapot\n", ":8: cannot construct"},
		{"wrong version", "---\nversion: 1\ninteractions: []\n", ":2: cassette format version 1, want 2"},
		{"tab", "version: 2\n\tinteractions: []\n", ":2: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "broken.yaml")
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := contract.CheckCassette(v, path)
			if err == nil || !strings.Contains(err.Error(), path+tt.want) {
				t.Errorf("error = %v, want it to name %s%s", err, path, tt.want)
			}
		})
	}
	if _, err := contract.CheckCassette(v, filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

func TestCheckHAR(t *testing.T) {
	v := newValidator(t)
	jpg := tinyJPEG(t)
	har := fmt.Sprintf(`{"log":{"version":"1.2","entries":[
 {"request":{"method":"GET","url":"https://api.gettyimages.com/v3/downloads?company_downloads=True",
   "headers":[{"name":":authority","value":"api.gettyimages.com"},{"name":"Api-Key","value":"k"},{"name":"Authorization","value":"bearer t"}]},
  "response":{"status":200,"headers":[{"name":"Content-Type","value":"application/json"}],
   "content":{"size":60,"mimeType":"application/json","text":%q}}},
 {"request":{"method":"POST","url":"https://api.gettyimages.com/v3/downloads/images/1?auto_download=false",
   "headers":[{"name":"Api-Key","value":"k"},{"name":"Authorization","value":"Bearer t"}],
   "postData":{"mimeType":"application/json","text":"null"}},
  "response":{"status":200,"headers":[],"content":{"size":20,"mimeType":"application/json","text":"{\"uri\":\"relative\"}"}}},
 {"request":{"method":"GET","url":"https://delivery.gettyimages.com/f.jpg","headers":[]},
  "response":{"status":200,"headers":[{"name":"Content-Type","value":"image/jpeg"},{"name":"Content-Length","value":"%d"}],
   "content":{"size":%d,"mimeType":"image/jpeg","text":%q,"encoding":"base64"}}},
 {"request":{"method":"GET","url":"https://delivery.gettyimages.com/g.jpg","headers":[]},
  "response":{"status":200,"headers":[{"name":"Content-Type","value":"image/jpeg"}],
   "content":{"size":5,"mimeType":"image/jpeg","text":"PGh0bWw+","encoding":"base64"}}},
 {"request":{"method":"GET","url":"https://delivery.gettyimages.com/h.jpg","headers":[]},
  "response":{"status":200,"headers":[{"name":"Content-Type","value":"image/jpeg"}],"content":{"size":5000,"mimeType":"image/jpeg"}}},
 {"request":{"method":"GET","url":"https://api.gettyimages.com/v3/downloads","headers":[]},
  "response":{"status":0,"headers":[],"content":{"size":0}}}
]}}`, `{"result_count":0,"downloads":[]}`, len(jpg), len(jpg), base64.StdEncoding.EncodeToString(jpg))
	path := filepath.Join(t.TempDir(), "session.har")
	if err := os.WriteFile(path, []byte(har), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := contract.CheckHAR(v, path)
	if err != nil {
		t.Fatal(err)
	}
	got := r.Violations()
	if len(got) != 2 || got[0].Index != 1 || got[0].Pointer != "/uri" || got[1].Index != 3 || !strings.Contains(got[1].Message, "starts with [3C 68") {
		t.Errorf("violations:\n%s", r)
	}
	if got[0].Source != path {
		t.Errorf("source = %q", got[0].Source)
	}

	if err := os.WriteFile(path, []byte("{\"log\":\n{\"entries\": [}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := contract.CheckHAR(v, path); err == nil || !strings.Contains(err.Error(), path+":2:") {
		t.Errorf("malformed HAR: %v", err)
	}
}
