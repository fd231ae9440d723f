package contract_test

import (
	"encoding/base64"
	"errors"
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

// writeFile writes content under a temporary directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A recording that holds nothing to check is an error naming the file, not
// a clean report.
func TestCheckRecordingWithoutInteractions(t *testing.T) {
	v := newValidator(t)
	const entry = `{"request":{"method":"GET","url":"https://api.gettyimages.com/v3/downloads","headers":[]},"response":{"status":0,"headers":[],"content":{"size":0}}}`
	tests := []struct {
		name, file, content, want string
	}{
		{"empty cassette", "c.yaml", "", "empty file"},
		{"blank cassette", "c.yaml", "\n  \n", "empty file"},
		{"cassette {}", "c.yaml", "{}\n", "no interactions"},
		{"cassette document marker only", "c.yaml", "---\n", "no interactions"},
		{"cassette without interactions key", "c.yaml", "version: 2\n", "no interactions"},
		{"cassette with empty interactions", "c.yaml", "version: 2\ninteractions: []\n", "no interactions"},
		{"cassette with null interactions", "c.yaml", "version: 2\ninteractions:\n", "no interactions"},
		{"empty HAR", "s.har", "", "empty file"},
		{"HAR {}", "s.har", "{}", `no "log" object`},
		{"HAR without entries", "s.har", `{"log":{"version":"1.2"}}`, "log.entries is empty or null"},
		{"HAR with null entries", "s.har", `{"log":{"entries":null}}`, "log.entries is empty or null"},
		{"HAR with empty entries", "s.har", `{"log":{"entries":[]}}`, "log.entries is empty or null"},
		{"HAR without responses", "s.har", `{"log":{"entries":[` + entry + `,` + entry + `]}}`, "none of its 2 entries has a response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.file, tt.content)
			check := contract.CheckCassette
			if strings.HasSuffix(tt.file, ".har") {
				check = contract.CheckHAR
			}
			r, err := check(v, path)
			if !errors.Is(err, contract.ErrNoInteractions) || !strings.Contains(err.Error(), path+": ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v (report %v), want ErrNoInteractions naming %s and saying %q", err, r, path, tt.want)
			}
		})
	}
}

func harWith(entries ...string) string {
	return `{"log":{"version":"1.2","entries":[` + strings.Join(entries, ",") + `]}}`
}

func harEntry(method, url, reqBody string, status int, headers, content string) string {
	req := fmt.Sprintf(`{"method":%q,"url":%q,"headers":[{"name":"Api-Key","value":"k"},{"name":"Authorization","value":"Bearer t"}]`, method, url)
	if reqBody != "" {
		req += fmt.Sprintf(`,"postData":{"mimeType":"application/json","text":%q}`, reqBody)
	}
	return fmt.Sprintf(`{"request":%s},"response":{"status":%d,"headers":[%s],"content":%s}}`, req, status, headers, content)
}

const (
	harList     = "https://api.gettyimages.com/v3/downloads"
	harFile     = "https://delivery.gettyimages.com/f.jpg"
	harJSON     = `{"name":"Content-Type","value":"application/json"}`
	harJPEG     = `{"name":"Content-Type","value":"image/jpeg"}`
	harNoLength = `{"name":"Content-Length","value":"0"}`
)

// A HAR response without content.text was not stored, whatever its size
// says: its body is reported as not checked, never as a violation, while
// its status and headers are still judged.
func TestCheckHARBodyNotStored(t *testing.T) {
	v := newValidator(t)
	const notStored = "response body not stored in the recording"
	tests := []struct {
		name       string
		entry      string
		violations []string // messages, in order
		notChecked []string
	}{
		{"size -1, no text", harEntry("GET", harList, "", 200, harJSON, `{"size":-1,"mimeType":"application/json"}`), nil, []string{notStored + ": status and headers checked only"}},
		{"size 0, no text", harEntry("GET", harList, "", 200, harJSON, `{"size":0,"mimeType":"application/json"}`), nil, []string{notStored}},
		{"size known, no text", harEntry("GET", harList, "", 200, harJSON, `{"size":5000,"mimeType":"application/json"}`), nil, []string{notStored}},
		{"image, size -1, no text", harEntry("GET", harFile, "", 200, harJPEG, `{"size":-1,"mimeType":"image/jpeg"}`), nil, []string{notStored + ": its bytes are not checked"}},
		{"status still judged", harEntry("GET", harList, "", 418, harJSON, `{"size":-1,"mimeType":"application/json"}`), []string{"status 418 is not documented"}, []string{notStored}},
		{"redirect without a body", harEntry("POST", "https://api.gettyimages.com/v3/downloads/images/1", "", 303,
			`{"name":"Location","value":"https://delivery.gettyimages.com/f.jpg"},`+harNoLength, `{"size":0}`), nil, nil},
		{"stored empty text is judged", harEntry("GET", harList, "", 200, harJSON, `{"size":0,"mimeType":"application/json","text":""}`), []string{"EOF"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := contract.CheckHAR(v, writeFile(t, "s.har", harWith(tt.entry)))
			if err != nil {
				t.Fatal(err)
			}
			checkMessages(t, "violations", r.Violations(), tt.violations)
			checkMessages(t, "not checked", r.NotChecked(), tt.notChecked)
		})
	}
}

func checkMessages(t *testing.T, what string, got []contract.Finding, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %v, want %q", what, got, want)
		return
	}
	for i, f := range got {
		if !strings.Contains(f.Message, want[i]) {
			t.Errorf("%s: %s, want %q", what, f, want[i])
		}
	}
}

// A cassette response without a body key (go-vcr always writes one) was
// stripped of it: not checked, not a violation.
func TestCheckCassetteBodyNotStored(t *testing.T) {
	const cassetteYAML = `version: 2
interactions:
  - id: 0
    request:
      method: GET
      url: https://api.gettyimages.com/v3/downloads
      headers: {Api-Key: [k], Authorization: [Bearer t]}
    response:
      code: 200
      headers: {Content-Type: [application/json]}
`
	r, err := contract.CheckCassette(newValidator(t), writeFile(t, "c.yaml", cassetteYAML))
	if err != nil {
		t.Fatal(err)
	}
	checkMessages(t, "violations", r.Violations(), nil)
	checkMessages(t, "not checked", r.NotChecked(), []string{"response body not stored in the recording"})

	// The same with an empty body key is a stored empty body, judged.
	r, err = contract.CheckCassette(newValidator(t), writeFile(t, "c.yaml", cassetteYAML+"      body: \"\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	checkMessages(t, "violations", r.Violations(), []string{"EOF"})
	checkMessages(t, "not checked", r.NotChecked(), nil)
}

// A recorded body over the validator's size limit is not checked, not a
// violation; the rest of its exchange is still judged.
func TestCheckRecordingMaxBody(t *testing.T) {
	const limit = 64
	small, err := contract.NewValidator(nil, contract.WithMaxBodySize(limit))
	if err != nil {
		t.Fatal(err)
	}
	jpg := tinyJPEG(t)
	if len(jpg) <= limit {
		t.Fatalf("the test JPEG has %d bytes, not over %d", len(jpg), limit)
	}
	html := "<html>" + strings.Repeat("x", 100) + "</html>"
	const badList = `{"result_count":"1","downloads":[{"date_downloaded":"2026-01-31T10:00:00Z","product_id":"seven"}]}`
	const dl = "https://api.gettyimages.com/v3/downloads/images/1?auto_download=false"
	bigDetails := `{"download_notes":"` + strings.Repeat("n", 100) + `"}`
	over := func(n int) string { return fmt.Sprintf("of %d bytes is over the size limit (%d bytes)", n, limit) }
	tests := []struct {
		name       string
		entry      string
		violations []string
		notChecked []string
	}{
		{"invalid JSON body over the limit", harEntry("GET", harList, "", 200, harJSON, fmt.Sprintf(`{"size":%d,"mimeType":"application/json","text":%q}`, len(badList), badList)),
			nil, []string{"response body " + over(len(badList)) + ": status and headers checked only"}},
		{"status still judged", harEntry("GET", harList, "", 418, harJSON, fmt.Sprintf(`{"size":%d,"text":%q}`, len(badList), badList)),
			[]string{"status 418 is not documented"}, []string{over(len(badList))}},
		{"request body over the limit", harEntry("POST", dl, bigDetails, 200, harJSON, `{"size":40,"text":"{\"uri\":\"https://delivery.gettyimages.com/f.jpg\"}"}`),
			nil, []string{"request body is over the size limit (64 bytes): not validated"}},
		{"image over the limit: length not checked", harEntry("GET", harFile, "", 200, harJPEG+`,{"name":"Content-Length","value":"99999"}`,
			fmt.Sprintf(`{"size":%d,"text":%q,"encoding":"base64"}`, len(jpg), base64.StdEncoding.EncodeToString(jpg))),
			nil, []string{over(len(jpg)) + ": only its leading bytes are checked"}},
		{"image over the limit: leading bytes checked", harEntry("GET", harFile, "", 200, harJPEG, fmt.Sprintf(`{"size":%d,"text":%q}`, len(html), html)),
			[]string{"starts with [3C 68"}, []string{over(len(html))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := contract.CheckHAR(small, writeFile(t, "s.har", harWith(tt.entry)))
			if err != nil {
				t.Fatal(err)
			}
			checkMessages(t, "violations", r.Violations(), tt.violations)
			checkMessages(t, "not checked", r.NotChecked(), tt.notChecked)
		})
	}

	// The same in a cassette, and under the default limit the body is
	// judged.
	path := writeCassette(t, interaction("GET", harList, nil, 200, jsonHeaders(badList), badList))
	r, err := contract.CheckCassette(small, path)
	if err != nil {
		t.Fatal(err)
	}
	checkMessages(t, "violations", r.Violations(), nil)
	checkMessages(t, "not checked", r.NotChecked(), []string{over(len(badList))})
	if r.NotChecked()[0].Source != path || r.NotChecked()[0].Line == 0 {
		t.Errorf("finding not located: %#v", r.NotChecked()[0])
	}
	if r, err := contract.CheckCassette(newValidator(t), path); err != nil || len(r.Violations()) == 0 {
		t.Errorf("under the default limit: %v %v", r, err)
	}
}
