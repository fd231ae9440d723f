package contract_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"

	"github.com/gettykit/getty/contract"
)

// redacted is what the scrubber puts in place of a secret.
const redacted = contract.Redacted

// matchRequest matches a request with a recorded one on method, URL path,
// query (the values of signed delivery URLs aside) and body (token forms
// scrubbed the same way as in recordings). Host and scheme are not compared,
// so one cassette replays whatever base URL the client is given.
func matchRequest(r *http.Request, i cassette.Request) bool {
	if r.Method != i.Method {
		return false
	}
	u, err := url.Parse(i.URL)
	if err != nil || u.Path != r.URL.Path || canonicalQuery(u) != canonicalQuery(r.URL) {
		return false
	}
	body, err := peekBody(r)
	if err != nil {
		return false
	}
	return contract.ScrubRequestBody(r.Header.Get("Content-Type"), body) == i.Body
}

// canonicalQuery is the scrubbed query with its parameters sorted.
func canonicalQuery(u *url.URL) string {
	s, err := url.Parse(contract.ScrubURL(u.String()))
	if err != nil {
		return u.RawQuery
	}
	q, err := url.ParseQuery(s.RawQuery)
	if err != nil {
		return s.RawQuery
	}
	return q.Encode()
}

// peekBody reads a request's body and puts it back.
func peekBody(r *http.Request) (string, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return "", nil
	}
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	return string(b), err
}

func TestScrubInteraction(t *testing.T) {
	const tokenBody = "client_id=key-123&client_secret=s3cr3t&grant_type=password&password=hunter2&username=alice"
	const sig = "https://delivery.gettyimages.com/downloads/1167612765?k=6&m=1167612765&s=2048x2048&w=0&h=Zm9vYmFyYmF6cXV4"
	i := &cassette.Interaction{
		Request: cassette.Request{
			Method: "POST", URL: "https://u:p@authentication.gettyimages.com/oauth2/token", Body: tokenBody,
			ContentLength: int64(len(tokenBody)),
			Form:          url.Values{"client_secret": {"s3cr3t"}},
			Headers: http.Header{
				"Content-Type":  {"application/x-www-form-urlencoded"},
				"Authorization": {"bearer abc.def"},
				"Api-Key":       {"key-123"},
			},
		},
		Response: cassette.Response{
			Code: 200, Duration: 1234,
			Body: `{"access_token":"tok-1","refresh_token":"ref-1","expires_in":1800,"token_type":"Bearer","uri":"` + sig + `"}`,
			Headers: http.Header{
				"Content-Type":   {"application/json; charset=utf-8"},
				"Content-Length": {"999"},
				"Date":           {"Sun, 01 Mar 2026 12:00:00 GMT"},
				"Location":       {sig},
			},
		},
	}
	if err := contract.ScrubInteraction(i); err != nil {
		t.Fatal(err)
	}
	req, resp := i.Request, i.Response
	if req.URL != "https://authentication.gettyimages.com/oauth2/token" {
		t.Errorf("URL = %s", req.URL)
	}
	if want := "client_id=REDACTED&client_secret=REDACTED&grant_type=password&password=REDACTED&username=REDACTED"; req.Body != want || req.ContentLength != int64(len(want)) {
		t.Errorf("request body = %q (%d)", req.Body, req.ContentLength)
	}
	if req.Form != nil {
		t.Errorf("form kept: %v", req.Form)
	}
	if got := req.Headers.Get("Authorization"); got != "bearer REDACTED" {
		t.Errorf("Authorization = %q", got)
	}
	if got := req.Headers.Get("Api-Key"); got != redacted {
		t.Errorf("Api-Key = %q", got)
	}
	const scrubbedSig = "https://delivery.gettyimages.com/downloads/1167612765?h=REDACTED&k=REDACTED&m=REDACTED&s=REDACTED&w=REDACTED"
	want := `{"access_token":"REDACTED","expires_in":1800,"refresh_token":"REDACTED","token_type":"Bearer","uri":"` + scrubbedSig + `"}`
	if resp.Body != want {
		t.Errorf("response body = %s\nwant %s", resp.Body, want)
	}
	if got := resp.Headers.Get("Content-Length"); got != strconv.Itoa(len(want)) {
		t.Errorf("Content-Length = %s", got)
	}
	if got := resp.Headers.Get("Location"); got != scrubbedSig {
		t.Errorf("Location = %s", got)
	}
	if resp.Duration != 0 || resp.Headers.Get("Date") != "" {
		t.Errorf("duration %v, date %q kept", resp.Duration, resp.Headers.Get("Date"))
	}
	if leaks := findSecrets("scrubbed", mustYAML(t, i)); len(leaks) > 0 {
		t.Errorf("scrubbed interaction still leaks: %v", leaks)
	}

	// Signed thumbnails in a listing are scrubbed, the rest kept.
	thumbs := &cassette.Interaction{
		Request: cassette.Request{Method: "GET", URL: "https://api.gettyimages.com/v3/downloads"},
		Response: cassette.Response{Code: 200, ContentLength: -1,
			Body:    `{"result_count":1,"downloads":[{"id":"1","thumb_uri":"https://media.gettyimages.com/id/1/photo/x.jpg?s=170x170&c=QWJjRGVmR2hpSmtsTW5vUHFy"}]}`,
			Headers: http.Header{"Content-Type": {"application/json"}}},
	}
	if err := contract.ScrubInteraction(thumbs); err != nil {
		t.Fatal(err)
	}
	if want := `{"downloads":[{"id":"1","thumb_uri":"https://media.gettyimages.com/id/1/photo/x.jpg?c=REDACTED&s=REDACTED"}],"result_count":1}`; thumbs.Response.Body != want {
		t.Errorf("listing with signed thumbnails: %s", thumbs.Response.Body)
	}

	// An API listing without signed URLs is left alone, byte for byte.
	list := &cassette.Interaction{
		Request: cassette.Request{Method: "GET", URL: "https://api.gettyimages.com/v3/downloads?page_size=5&date_from=2026-02-20"},
		Response: cassette.Response{Code: 200, Body: `{"result_count":0,"downloads":[]}`,
			Headers: http.Header{"Content-Type": {"application/json"}, "Content-Length": {"33"}}},
	}
	before := *list
	if err := contract.ScrubInteraction(list); err != nil {
		t.Fatal(err)
	}
	if list.Request.URL != before.Request.URL || list.Response.Body != before.Response.Body || list.Response.Headers.Get("Content-Length") != "33" {
		t.Errorf("listing changed: %+v", list)
	}
}

// TestMatchRequestAfterScrubbing proves that scrubbed recordings still match
// the live requests they came from, and only those.
func TestMatchRequestAfterScrubbing(t *testing.T) {
	newReq := func(method, u, contentType, body string) *http.Request {
		r, err := http.NewRequest(method, u, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		if body == "" {
			r.Body = http.NoBody
		}
		return r
	}
	record := func(r *http.Request) cassette.Request {
		body, _ := peekBody(r)
		i := &cassette.Interaction{
			Request:  cassette.Request{Method: r.Method, URL: r.URL.String(), Body: body, Headers: r.Header.Clone()},
			Response: cassette.Response{Headers: http.Header{}},
		}
		if err := contract.ScrubInteraction(i); err != nil {
			t.Fatal(err)
		}
		return i.Request
	}
	const form = "application/x-www-form-urlencoded"
	tests := []struct {
		name          string
		recorded, got *http.Request
		want          bool
	}{
		{"token form, other secret",
			newReq("POST", "https://auth.example/oauth2/token", form, "client_id=a&client_secret=b&grant_type=client_credentials"),
			newReq("POST", "http://api.getty.test/oauth2/token", form, "client_id=c&client_secret=d&grant_type=client_credentials"), true},
		{"token form, other grant",
			newReq("POST", "https://auth.example/oauth2/token", form, "client_id=a&client_secret=b&grant_type=client_credentials"),
			newReq("POST", "https://auth.example/oauth2/token", form, "client_id=a&client_secret=b&grant_type=password&password=x&username=y"), false},
		{"delivery, other signature",
			newReq("GET", "https://delivery.example/f.jpg?sig=abc&e=1", "", ""),
			newReq("GET", "https://delivery.example/f.jpg?e=2&sig=REDACTED", "", ""), true},
		{"delivery, other file",
			newReq("GET", "https://delivery.example/f.jpg?sig=abc", "", ""),
			newReq("GET", "https://delivery.example/g.jpg?sig=abc", "", ""), false},
		{"listing, parameters in another order",
			newReq("GET", "https://api.example/v3/downloads?page=2&page_size=5", "", ""),
			newReq("GET", "https://api.example/v3/downloads?page_size=5&page=2", "", ""), true},
		{"listing, other page",
			newReq("GET", "https://api.example/v3/downloads?page=2&page_size=5", "", ""),
			newReq("GET", "https://api.example/v3/downloads?page=3&page_size=5", "", ""), false},
		{"download, other body",
			newReq("POST", "https://api.example/v3/downloads/images/1?auto_download=false", "application/json", `{"project_code":"a"}`),
			newReq("POST", "https://api.example/v3/downloads/images/1?auto_download=false", "application/json", `{"project_code":"b"}`), false},
		{"download, other method",
			newReq("POST", "https://api.example/v3/downloads/images/1", "", ""),
			newReq("GET", "https://api.example/v3/downloads/images/1", "", ""), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := record(tt.recorded)
			if got := matchRequest(tt.got, rec); got != tt.want {
				t.Errorf("match = %v, want %v (recorded %s %s %q)", got, tt.want, rec.Method, rec.URL, rec.Body)
			}
			// The body is still there for the next matcher call.
			if again := matchRequest(tt.got, rec); again != tt.want {
				t.Errorf("second match = %v", again)
			}
		})
	}
}
