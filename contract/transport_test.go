package contract_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gettykit/getty/contract"
)

// apiServer serves canned answers for the transport tests.
func apiServer(t *testing.T) *httptest.Server {
	t.Helper()
	jpg := tinyJPEG(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v3/downloads", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "418" {
			w.WriteHeader(http.StatusTeapot)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"result_count":1,"downloads":[{"date_downloaded":"2026-01-31T10:00:00Z","id":"1","rating":5}]}`)
	})
	mux.HandleFunc("POST /v3/downloads/images/{id}", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Echo-Body", string(body))
		loc := "http://" + r.Host + "/files/" + r.PathValue("id")
		if r.URL.Query().Get("auto_download") == "false" {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"uri":%q}`, loc)
			return
		}
		http.Redirect(w, r, loc, http.StatusSeeOther)
	})
	mux.HandleFunc("GET /files/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		switch r.PathValue("name") {
		case "png":
			w.Write([]byte("\x89PNG\r\n\x1a\n1234"))
		case "short":
			w.Header().Set("Content-Length", strconv.Itoa(len(jpg)+100))
			w.Write(jpg)
		default:
			w.Header().Set("Content-Length", strconv.Itoa(len(jpg)))
			w.Write(jpg)
		}
	})
	mux.HandleFunc("POST /oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"t","expires_in":"1800"}`)
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

// authed adds credentials, as the client's own transport would.
type authed struct{ base http.RoundTripper }

func (a authed) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Api-Key", "key")
	r.Header.Set("Authorization", "Bearer token")
	return a.base.RoundTrip(r)
}

func TestTransport(t *testing.T) {
	ts := apiServer(t)
	tr := contract.NewTransport(ts.Client().Transport, newValidator(t))
	c := &http.Client{Transport: authed{tr}}

	// A JSON answer reaches the caller intact; its new field is drift.
	resp, err := c.Get(ts.URL + "/v3/downloads?page=2")
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		ResultCount int `json:"result_count"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || page.ResultCount != 1 {
		t.Errorf("caller's body: %v %+v", err, page)
	}
	resp.Body.Close()

	// The request body reaches the server intact, the 303 is followed,
	// and the image streams through checked.
	req, _ := http.NewRequest("POST", ts.URL+"/v3/downloads/images/good", strings.NewReader("null"))
	req.Header.Set("Content-Type", "application/json")
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	img, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.HasPrefix(img, []byte{0xFF, 0xD8, 0xFF}) {
		t.Errorf("image not passed on: % X", img[:min(len(img), 8)])
	}
	if req.URL.RawQuery != "" {
		t.Errorf("caller's request modified: %q", req.URL.RawQuery)
	}

	// The body of a POST with auto_download=false reaches the server.
	resp, err = c.Post(ts.URL+"/v3/downloads/images/x?auto_download=false", "application/json", strings.NewReader(`{"download_notes":"n"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Echo-Body"); got != `{"download_notes":"n"}` {
		t.Errorf("server got body %q", got)
	}

	if v := tr.Report().Violations(); len(v) > 0 {
		t.Fatalf("violations so far: %v", v)
	}
	if d := tr.Report().Drift(); len(d) != 1 || d[0].Pointer != "/downloads/0/rating" {
		t.Errorf("drift = %v", d)
	}

	tr.Report().Reset()
	for _, target := range []string{"/v3/downloads?page=418", "/files/png", "/files/short"} {
		resp, err := c.Get(ts.URL + target)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if target == "/files/short" && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("short body: caller got %v, want unexpected EOF", err)
		}
	}
	// The token endpoint is not part of the spec and passes unchecked.
	if resp, err := c.Post(ts.URL+"/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader("grant_type=client_credentials")); err == nil {
		resp.Body.Close()
	}
	want := []string{"status 418 is not documented", "starts with [89 50 4E 47", "body ended after"}
	got := tr.Report().Violations()
	if len(got) != len(want) {
		t.Fatalf("violations = %v, want %q", got, want)
	}
	for i, f := range got {
		if !strings.Contains(f.Message, want[i]) {
			t.Errorf("violation %d = %s, want %q", i, f, want[i])
		}
	}
	if !strings.Contains(tr.Report().String(), "3 violation(s), 0 drift finding(s)") {
		t.Errorf("report:\n%s", tr.Report())
	}
}

func TestTransportEarlyCloseIsNotAViolation(t *testing.T) {
	ts := apiServer(t)
	tr := contract.NewTransport(ts.Client().Transport, newValidator(t))
	resp, err := (&http.Client{Transport: tr}).Get(ts.URL + "/files/good")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	io.ReadFull(resp.Body, buf)
	resp.Body.Close()
	if v := tr.Report().Violations(); len(v) > 0 {
		t.Errorf("violations: %v", v)
	}
}

// recordingTB captures what Check reports. It is not a testing.TB: Check
// takes the small contract.TB, which a program's own logger can satisfy.
type recordingTB struct {
	errors, logs []string
}

var _ contract.TB = (*recordingTB)(nil)

func (r *recordingTB) Helper() {}
func (r *recordingTB) Errorf(f string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(f, args...))
}
func (r *recordingTB) Logf(f string, args ...any) { r.logs = append(r.logs, fmt.Sprintf(f, args...)) }

func TestCheck(t *testing.T) {
	var r contract.Report
	rec := &recordingTB{}
	contract.AssertNoViolations(rec, &r)
	if len(rec.errors)+len(rec.logs) != 0 {
		t.Errorf("empty report: %v %v", rec.errors, rec.logs)
	}
	r.Add(contract.Finding{Kind: contract.Drift, Operation: "listDownloads", Method: "GET", Path: "/v3/downloads", Status: 200, Pointer: "/downloads/0/rating", Message: `field "rating" is not in the spec`})
	r.Check(rec)
	if len(rec.errors) != 0 || len(rec.logs) != 1 {
		t.Errorf("drift only: errors %v logs %v", rec.errors, rec.logs)
	}
	r.Add(contract.Finding{Kind: contract.Violation, Operation: "downloadImage", Method: "POST", Path: "/v3/downloads/images/1", Status: 200, Pointer: "/uri", Message: "not an absolute URI"})
	rec = &recordingTB{}
	r.Check(rec)
	want := "contract: 1 violation(s) of the spec:\n  violation: downloadImage POST /v3/downloads/images/1 -> 200 at /uri: not an absolute URI\n"
	if len(rec.errors) != 1 || rec.errors[0] != want {
		t.Errorf("errors = %q, want %q", rec.errors, want)
	}
}

// TestTransportSDKQuirks: requests as Getty's own SDKs send them are judged
// as the operations they are. The PHP SDK lists with GET /v3/downloads/
// (also with a bare ?): the listing, request and response, not a path
// outside the spec. The Node SDK sends a null height, product_id or
// use_team_credits as a blank value, which means not given.
func TestTransportSDKQuirks(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v3/downloads/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"result_count":1,"downloads":[{"date_downloaded":"2026-01-31T10:00:00Z","id":"1","rating":5}]}`)
	})
	mux.HandleFunc("POST /v3/downloads/images/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"uri":"https://delivery.gettyimages.com/%s.jpg","extra":1}`, r.PathValue("id"))
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	tests := []struct {
		method, target string
		operation      string
		violations     []string // pointers
		drift          string   // the response's unknown field, proof it was judged
	}{
		{"GET", "/v3/downloads/", "listDownloads", nil, "/downloads/0/rating"},
		{"GET", "/v3/downloads/?", "listDownloads", nil, "/downloads/0/rating"},
		{"GET", "/v3/downloads/?page=2&page_size=5&company_downloads=True", "listDownloads", nil, "/downloads/0/rating"},
		{"GET", "/v3/downloads/?page_size=101", "listDownloads", []string{"page_size"}, "/downloads/0/rating"},
		{"POST", "/v3/downloads/images/1?auto_download=false&product_id=&height=&use_team_credits=", "downloadImage", nil, "/extra"},
		{"POST", "/v3/downloads/images/1?auto_download=false&product_id=&use_team_credits=true", "downloadImage", nil, "/extra"},
		{"POST", "/v3/downloads/images/1?auto_download=false&product_id=x&use_team_credits=", "downloadImage", []string{"product_id"}, "/extra"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			tr := contract.NewTransport(ts.Client().Transport, newValidator(t))
			req, _ := http.NewRequest(tt.method, ts.URL+tt.target, nil)
			resp, err := (&http.Client{Transport: authed{tr}}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			var got []string
			for _, f := range tr.Report().Violations() {
				got = append(got, f.Pointer)
				if f.Operation != tt.operation {
					t.Errorf("violation outside %s: %s", tt.operation, f)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.violations, ",") {
				t.Errorf("violations %v, want at %q", tr.Report().Violations(), tt.violations)
			}
			if d := tr.Report().Drift(); len(d) != 1 || d[0].Operation != tt.operation || d[0].Pointer != tt.drift {
				t.Errorf("drift = %v, want %s's %s", d, tt.operation, tt.drift)
			}
		})
	}
}
