package contract

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"
)

// Redacted is what [ScrubInteraction] puts in place of a secret.
const Redacted = "REDACTED"

// secretFormFields are the fields of token requests (form-encoded) whose
// values are secrets. client_id is the API key.
var secretFormFields = []string{"client_id", "client_secret", "username", "password", "refresh_token", "code", "assertion"}

// secretJSONFields are the fields of token responses whose values are
// secrets.
var secretJSONFields = []string{"access_token", "refresh_token", "id_token"}

// ScrubInteraction removes the secrets of a recorded interaction before it
// is saved: credentials in headers (Authorization keeps its scheme, so
// security checks still pass on the recording), token request and response
// bodies, user information in URLs and the signed query strings of delivery
// URLs (request URLs, Location headers and URLs in JSON bodies such as
// "uri" and "thumb_uri"). It also removes what changes from one recording to
// the next (durations, the Date header). The API's own query parameters
// (paths under /v3/) are kept: they are what the contract is about.
//
// It has the shape of a go-vcr recorder hook:
//
//	recorder.WithHook(contract.ScrubInteraction, recorder.BeforeSaveHook)
//
// The contract suite's cassettes and the recordings of [Proxy] are scrubbed
// with it. A replay matcher that compares scrubbed fields must scrub the
// live side the same way, with [ScrubURL] and [ScrubRequestBody].
func ScrubInteraction(i *cassette.Interaction) error {
	req, resp := &i.Request, &i.Response

	req.URL = ScrubURL(req.URL)
	req.RequestURI = ""
	// Form duplicates the query and the form body, secrets included.
	req.Form = nil
	scrubCredentialHeaders(req.Headers)
	if body := ScrubRequestBody(req.Headers.Get("Content-Type"), req.Body); body != req.Body {
		req.Body = body
		req.ContentLength = int64(len(body))
	}

	resp.Duration = 0
	resp.Headers.Del("Date")
	if resp.Headers.Get("Set-Cookie") != "" {
		resp.Headers["Set-Cookie"] = []string{Redacted}
	}
	if loc := resp.Headers.Get("Location"); loc != "" {
		resp.Headers.Set("Location", ScrubURL(loc))
	}
	if body, changed := scrubJSONBody(resp.Headers.Get("Content-Type"), resp.Body); changed {
		resp.Body = body
		if resp.ContentLength >= 0 {
			resp.ContentLength = int64(len(body))
		}
		if resp.Headers.Get("Content-Length") != "" {
			resp.Headers.Set("Content-Length", strconv.Itoa(len(body)))
		}
	}
	return nil
}

// scrubCredentialHeaders replaces credentials with REDACTED, keeping the
// headers (and the Authorization scheme) so that security checks still pass
// on the recording.
func scrubCredentialHeaders(h http.Header) {
	if h == nil {
		return
	}
	for _, a := range h.Values("Authorization") {
		scheme, _, _ := strings.Cut(a, " ")
		h.Set("Authorization", scheme+" "+Redacted)
	}
	for _, name := range []string{"Api-Key", "Cookie", "Proxy-Authorization", "X-Api-Key"} {
		if h.Get(name) != "" {
			h.Set(name, Redacted)
		}
	}
}

// ScrubURL returns raw without user information and, outside the API (a
// signed delivery URL: any path not under /v3/), with every query value
// replaced by REDACTED. A URL that does not parse is returned unchanged.
func ScrubURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.User = nil
	u.RawQuery = scrubQuery(u)
	return u.String()
}

func scrubQuery(u *url.URL) string {
	if u.RawQuery == "" || strings.HasPrefix(u.Path, "/v3/") {
		return u.RawQuery
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Redacted
	}
	for k := range q {
		q[k] = []string{Redacted}
	}
	return q.Encode()
}

// scrubURLs scrubs, in place, every string in v that is an absolute URL with
// a query outside the API, and reports whether it changed anything.
func scrubURLs(v any) bool {
	changed := false
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if s, ok := e.(string); ok {
				if t := scrubURLString(s); t != s {
					v[k], changed = t, true
				}
			} else if scrubURLs(e) {
				changed = true
			}
		}
	case []any:
		for i, e := range v {
			if s, ok := e.(string); ok {
				if t := scrubURLString(s); t != s {
					v[i], changed = t, true
				}
			} else if scrubURLs(e) {
				changed = true
			}
		}
	}
	return changed
}

func scrubURLString(s string) string {
	if !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") || !strings.Contains(s, "?") {
		return s
	}
	return ScrubURL(s)
}

// ScrubRequestBody returns a form-encoded body (a token request) with the
// values of its secret fields (client_id, client_secret, username,
// password, refresh_token, code, assertion) replaced by REDACTED. Other
// bodies, and forms without secrets, are returned unchanged.
func ScrubRequestBody(contentType, body string) string {
	if body == "" {
		return body
	}
	if mt, _, _ := mime.ParseMediaType(contentType); mt != "application/x-www-form-urlencoded" {
		return body
	}
	q, err := url.ParseQuery(body)
	if err != nil {
		return Redacted
	}
	changed := false
	for _, k := range secretFormFields {
		if _, ok := q[k]; ok {
			q.Set(k, Redacted)
			changed = true
		}
	}
	if !changed {
		return body
	}
	return q.Encode()
}

// scrubJSONBody replaces the tokens of a token response and the signed query
// strings of URLs in JSON bodies: a download URI ({"uri": ...}), and
// thumbnails (thumb_uri), which the real API signs too. Other bodies are
// returned unchanged, byte for byte.
func scrubJSONBody(contentType, body string) (string, bool) {
	if mt, _, _ := mime.ParseMediaType(contentType); mt != "application/json" || body == "" {
		return body, false
	}
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return body, false
	}
	changed := false
	for _, k := range secretJSONFields {
		if _, ok := m[k]; ok {
			m[k] = Redacted
			changed = true
		}
	}
	if scrubURLs(m) {
		changed = true
	}
	if !changed {
		return body, false
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return body, false
	}
	return strings.TrimSuffix(b.String(), "\n"), true
}
