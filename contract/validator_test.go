package contract_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gettykit/getty/contract"
)

var (
	validatorOnce sync.Once
	validator     *contract.Validator
	validatorErr  error
)

func newValidator(t testing.TB) *contract.Validator {
	t.Helper()
	validatorOnce.Do(func() { validator, validatorErr = contract.NewValidator(nil) })
	if validatorErr != nil {
		t.Fatal(validatorErr)
	}
	return validator
}

// apiRequest builds a request with valid credentials unless headers
// override them ("" deletes a header).
func apiRequest(method, target, contentType, body string, headers map[string]string) *http.Request {
	var r io.Reader
	if body != "" || contentType != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	req.Header.Set("Api-Key", "key")
	req.Header.Set("Authorization", "Bearer token")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	return req
}

func split(fs []contract.Finding) (violations, drift []contract.Finding) {
	for _, f := range fs {
		if f.Kind == contract.Violation {
			violations = append(violations, f)
		} else {
			drift = append(drift, f)
		}
	}
	return violations, drift
}

func TestValidateRequestAcceptsRealTraffic(t *testing.T) {
	v := newValidator(t)
	const list = "https://api.gettyimages.com/v3/downloads"
	const dl = "https://api.gettyimages.com/v3/downloads/images/1167612765"
	tests := []struct {
		name              string
		method, target    string
		contentType, body string
		headers           map[string]string
		drift             []string // pointers of expected drift
	}{
		{name: "plain listing", method: "GET", target: list},
		{name: "bare question mark", method: "GET", target: list + "?"},
		{name: "booleans True/False", method: "GET", target: list + "?company_downloads=True&use_time=False"},
		{name: "booleans true/false", method: "GET", target: list + "?company_downloads=true&use_time=false"},
		{name: "plain dates", method: "GET", target: list + "?date_from=2015-04-01&date_to=2015-05-01"},
		{name: "date-times", method: "GET", target: list + "?date_from=2015-04-01T10:00:00Z&date_to=2015-05-01T10:00:00.5%2B02:00&use_time=true"},
		{name: "empty date_from", method: "GET", target: list + "?date_from="},
		{name: "paging and filter", method: "GET", target: list + "?page=3&page_size=100&product_type=creditpack"},
		{name: "legacy dates are drift", method: "GET", target: list + "?start_date=2015-04-01&end_date=2015-05-01",
			drift: []string{"end_date", "start_date"}},
		{name: "unknown parameter is drift", method: "GET", target: list + "?fields=all", drift: []string{"fields"}},
		{name: "lower-case bearer", method: "POST", target: dl, headers: map[string]string{"Authorization": "bearer token"}},
		{name: "upper-case BEARER", method: "POST", target: dl, headers: map[string]string{"Authorization": "BEARER token"}},
		{name: "POST without body", method: "POST", target: dl + "?auto_download=false"},
		{name: "POST with empty form body", method: "POST", target: dl, contentType: "application/x-www-form-urlencoded"},
		{name: "POST with {}", method: "POST", target: dl, contentType: "application/json", body: "{}"},
		{name: "POST with null", method: "POST", target: dl, contentType: "application/json", body: "null"},
		{name: "POST with notes", method: "POST", target: dl + "?auto_download=True&file_type=jpg&product_type=premiumaccess&product_id=42&height=",
			contentType: "application/json; charset=utf-8", body: `{"download_notes":"n","project_code":null}`},
		{name: "POST body field unknown is drift", method: "POST", target: dl, contentType: "application/json",
			body: `{"download_notes":"n","cost_center":"x"}`, drift: []string{"/cost_center"}},
		{name: "Accept-Language", method: "GET", target: list, headers: map[string]string{"Accept-Language": "de"}},
		// Getty's PHP SDK lists with a trailing slash, also with a bare ?.
		{name: "trailing slash", method: "GET", target: list + "/"},
		{name: "trailing slash and bare question mark", method: "GET", target: list + "/?"},
		{name: "trailing slash with filters", method: "GET", target: list + "/?page=2&page_size=100&product_type=easyaccess&date_from=2026-01-01"},
		{name: "trailing slash, legacy dates are drift", method: "GET", target: list + "/?start_date=2015-04-01", drift: []string{"start_date"}},
		// Getty's Node SDK sends a null as a blank value: not given.
		{name: "blank height, product_id and use_team_credits", method: "POST", target: dl + "?product_id=&height=&use_team_credits="},
		{name: "blank product_id", method: "POST", target: dl + "?auto_download=false&product_id="},
		{name: "blank use_team_credits", method: "POST", target: dl + "?auto_download=false&use_team_credits="},
		{name: "blank height", method: "POST", target: dl + "?auto_download=false&height="},
		{name: "blanks beside values", method: "POST", target: dl + "?auto_download=false&file_type=jpg&product_type=creditpack&product_id=&height=&use_team_credits=",
			contentType: "application/json", body: "null"},
		{name: "product_id and use_team_credits given", method: "POST", target: dl + "?product_id=42&height=1024&use_team_credits=True"},
		{name: "not an API call", method: "GET", target: "https://delivery.gettyimages.com/file.jpg?sig=x", headers: map[string]string{"Api-Key": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := apiRequest(tt.method, tt.target, tt.contentType, tt.body, tt.headers)
			violations, drift := split(v.ValidateRequest(req))
			for _, f := range violations {
				t.Errorf("unexpected %s", f)
			}
			var got []string
			for _, f := range drift {
				got = append(got, f.Pointer)
			}
			if strings.Join(got, ",") != strings.Join(tt.drift, ",") {
				t.Errorf("drift at %q, want %q", got, tt.drift)
			}
			// The body is still there to be sent.
			b, _ := io.ReadAll(req.Body)
			if string(b) != tt.body {
				t.Errorf("body after validation = %q, want %q", b, tt.body)
			}
			// Defaults are not written into the caller's request.
			if strings.Contains(req.URL.RawQuery, "page_size=30") || strings.Contains(req.URL.RawQuery, "auto_download=true") && !strings.Contains(tt.target, "auto_download=true") {
				t.Errorf("request query rewritten: %s", req.URL.RawQuery)
			}
		})
	}
}

func TestValidateRequestViolations(t *testing.T) {
	v := newValidator(t)
	const list = "https://api.gettyimages.com/v3/downloads"
	const dl = "http://127.0.0.1:8080/v3/downloads/images/1167612765"
	tests := []struct {
		name              string
		method, target    string
		contentType, body string
		headers           map[string]string
		pointer, message  string
	}{
		{"page_size too big", "GET", list + "?page_size=101", "", "", nil, "page_size", "at most 100"},
		{"page zero", "GET", list + "?page=0", "", "", nil, "page", "at least 1"},
		{"page not a number", "GET", list + "?page=two", "", "", nil, "page", "two"},
		{"unknown product type", "GET", list + "?product_type=gold", "", "", nil, "product_type", "allowed values"},
		{"bad date", "GET", list + "?date_from=01/04/2015", "", "", nil, "date_from", "regular expression"},
		{"bad boolean", "POST", dl + "?auto_download=yes", "", "", nil, "auto_download", "boolean"},
		{"bad file type", "POST", dl + "?file_type=gif", "", "", nil, "file_type", "allowed values"},
		{"no api key", "GET", list, "", "", map[string]string{"Api-Key": ""}, "security", `"Api-Key" is missing`},
		{"no token on download", "POST", dl, "", "", map[string]string{"Authorization": ""}, "security", "Authorization is missing"},
		{"no token on listing", "GET", list, "", "", map[string]string{"Authorization": ""}, "security", "Authorization is missing"},
		{"basic auth on download", "POST", dl, "", "", map[string]string{"Authorization": "Basic dXNlcjpwdw=="}, "security", `"bearer" scheme`},
		{"bearer without token", "POST", dl, "", "", map[string]string{"Authorization": "Bearer "}, "security", `"bearer" scheme`},
		{"notes of the wrong type", "POST", dl, "application/json", `{"download_notes":5}`, nil, "/download_notes", "must be a string"},
		{"body not JSON", "POST", dl, "application/json", `{"download_notes":`, nil, "", "request body"},
		{"body of another type", "POST", dl, "text/plain", "notes", nil, "", "Content-Type"},
		{"method not allowed", "DELETE", list, "", "", nil, "", "not allowed"},
		{"path not in spec", "GET", "https://api.gettyimages.com/v3/downloads/images", "", "", nil, "", "no operation"},
		{"path not in spec, trailing slash", "GET", "https://api.gettyimages.com/v3/downloads/images/", "", "", nil, "", "no operation"},
		{"trailing slash is the listing", "GET", list + "/?page_size=101", "", "", nil, "page_size", "at most 100"},
		{"trailing slash, method not allowed", "POST", list + "/", "", "", nil, "", "not allowed"},
		{"two trailing slashes", "GET", list + "//", "", "", nil, "", "no operation"},
		{"product_id not a number", "POST", dl + "?product_id=abc", "", "", nil, "product_id", "abc"},
		{"use_team_credits not a boolean", "POST", dl + "?use_team_credits=maybe", "", "", nil, "use_team_credits", "boolean"},
		{"blank file_type is not allowed", "POST", dl + "?file_type=", "", "", nil, "file_type", "allowed values"},
		{"blank auto_download is not allowed", "POST", dl + "?auto_download=", "", "", nil, "auto_download", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			violations, _ := split(v.ValidateRequest(apiRequest(tt.method, tt.target, tt.contentType, tt.body, tt.headers)))
			if len(violations) != 1 {
				t.Fatalf("got %d violations, want 1: %v", len(violations), violations)
			}
			f := violations[0]
			if f.Pointer != tt.pointer || !strings.Contains(f.Message, tt.message) || !f.InRequest {
				t.Errorf("got %s\nwant pointer %q and message containing %q", f, tt.pointer, tt.message)
			}
		})
	}
}

func response(status int, contentType, body string, headers ...string) *http.Response {
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		h.Set(headers[i], headers[i+1])
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
}

const validList = `{"result_count":2,"downloads":[
 {"date_downloaded":"2026-01-31T10:00:00Z","id":"1","product_type":"premiumaccess","product_id":7,
  "download_details":{"download_notes":null,"project_code":"p"},"user":{"username":"u"},"dimensions":{"width":1,"height":2,"dpi":null},
  "license_model":"RoyaltyFree","generated_asset_id":null},
 {"date_downloaded":"2026-01-30T10:00:00.123+01:00","id":null}]}`

func TestValidateResponse(t *testing.T) {
	v := newValidator(t)
	list := apiRequest("GET", "https://api.gettyimages.com/v3/downloads", "", "", nil)
	dl := apiRequest("POST", "https://api.gettyimages.com/v3/downloads/images/1", "", "", nil)
	const json = "application/json; charset=utf-8"
	tests := []struct {
		name       string
		req        *http.Request
		resp       *http.Response
		violations []string // "pointer: message part"
		drift      []string
	}{
		{name: "listing", req: list, resp: response(200, json, validList)},
		{name: "downloads null", req: list, resp: response(200, "application/json", `{"result_count":0,"downloads":null}`)},
		{name: "new fields are drift", req: list,
			resp:  response(200, json, `{"result_count":1,"downloads":[{"date_downloaded":"2026-01-31T10:00:00Z","rating":5,"user":{"email":"e"}}],"next":null}`),
			drift: []string{"/downloads/0/rating", "/downloads/0/user/email", "/next"}},
		{name: "missing required field", req: list, resp: response(200, json, `{"downloads":[]}`),
			violations: []string{"/result_count: missing"}},
		{name: "wrong type deep down", req: list, resp: response(200, json, `{"result_count":1,"downloads":[{"date_downloaded":"2026-01-31T10:00:00Z","dimensions":{"width":"wide"}}]}`),
			violations: []string{"/downloads/0/dimensions/width: must be an integer"}},
		{name: "bad date-time", req: list, resp: response(200, json, `{"result_count":1,"downloads":[{"date_downloaded":"2026-01-31"}]}`),
			violations: []string{`/downloads/0/date_downloaded: format "date-time"`}},
		{name: "body not JSON", req: list, resp: response(200, json, `{"result_count":`),
			violations: []string{": failed to decode response body"}},
		{name: "JSON of the wrong shape", req: list, resp: response(200, json, `[1,2]`),
			violations: []string{`: value must be an object`}},
		{name: "undocumented status", req: list, resp: response(418, json, `{}`),
			violations: []string{": status 418 is not documented"}},
		{name: "undocumented redirect", req: list, resp: response(301, "", ``, "Location", "https://x/"),
			violations: []string{": status 301 is not documented"}},
		{name: "gateway error shape", req: list, resp: response(401, json, `{"message":"Unauthorized"}`)},
		{name: "application error shape", req: dl, resp: response(403, json, `{"ErrorCode":"OverageLimitReached","ErrorMessage":"m"}`, "X-Error-Detail", "x")},
		{name: "older error shape", req: dl, resp: response(404, json, `{"code":"ImageNotFound","message":"Image not found: 1"}`)},
		{name: "older error shape, code of the wrong type", req: dl, resp: response(404, json, `{"code":404,"message":"Image not found: 1"}`),
			violations: []string{"/code: must be a string"}},
		{name: "listing with a trailing slash", req: apiRequest("GET", "https://api.gettyimages.com/v3/downloads/?", "", "", nil), resp: response(200, json, validList)},
		{name: "listing with a trailing slash, undocumented status", req: apiRequest("GET", "https://api.gettyimages.com/v3/downloads/", "", "", nil),
			resp: response(404, json, `{"ErrorCode":"NotFound"}`), violations: []string{": status 404 is not documented for listDownloads"}},
		{name: "proxy error page", req: list, resp: response(503, "text/html", `<html><body>Service Unavailable</body></html>`)},
		{name: "gateway throttling", req: list, resp: response(429, json, `{"message":"Account Over Queries Per Second Limit"}`, "X-Error-Detail", "Account Over Queries Per Second Limit")},
		{name: "error without content type", req: list, resp: response(401, "", ``),
			violations: []string{": Content-Type"}},
		{name: "download uri", req: dl, resp: response(200, json, `{"uri":"https://delivery.gettyimages.com/a?b=c"}`)},
		{name: "download uri relative", req: dl, resp: response(200, json, `{"uri":"/a"}`),
			violations: []string{`/uri: format "uri"`}},
		{name: "303 with Location", req: dl, resp: response(303, "", "", "Location", "https://delivery.gettyimages.com/a")},
		{name: "302 with Location", req: dl, resp: response(302, "", "", "Location", "https://delivery.gettyimages.com/a")},
		{name: "303 without Location", req: dl, resp: response(303, "", ""),
			violations: []string{`Location: "Location" missing`}},
		{name: "404 on the listing", req: list, resp: response(404, json, `{"ErrorCode":"NotFound"}`),
			violations: []string{": status 404 is not documented"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := ""
			if tt.resp.Body != nil {
				b, _ := io.ReadAll(tt.resp.Body)
				body = string(b)
				tt.resp.Body = io.NopCloser(strings.NewReader(body))
			}
			violations, drift := split(v.ValidateResponse(tt.req, tt.resp))
			if len(violations) != len(tt.violations) {
				t.Fatalf("got violations %v, want %q", violations, tt.violations)
			}
			for i, f := range violations {
				ptr, msg, _ := strings.Cut(tt.violations[i], ": ")
				if f.Pointer != ptr || !strings.Contains(f.Message, msg) || f.Status != tt.resp.StatusCode || f.InRequest {
					t.Errorf("got %s\nwant %q", f, tt.violations[i])
				}
			}
			var got []string
			for _, f := range drift {
				got = append(got, f.Pointer)
			}
			if strings.Join(got, ",") != strings.Join(tt.drift, ",") {
				t.Errorf("drift at %q, want %q", got, tt.drift)
			}
			b, _ := io.ReadAll(tt.resp.Body)
			if string(b) != body {
				t.Errorf("body after validation = %q, want %q", b, body)
			}
		})
	}
}

func TestValidateResponseSizeCap(t *testing.T) {
	v, err := contract.NewValidator(nil, contract.WithMaxBodySize(64))
	if err != nil {
		t.Fatal(err)
	}
	body := `{"result_count":1,"downloads":[` + strings.Repeat(`{"date_downloaded":"2026-01-31T10:00:00Z"},`, 10) + `{"date_downloaded":"2026-01-31T10:00:00Z"}]}`
	resp := response(200, "application/json", body)
	violations, _ := split(v.ValidateResponse(apiRequest("GET", "https://x/v3/downloads", "", "", nil), resp))
	if len(violations) != 1 || !strings.Contains(violations[0].Message, "bigger than 64 bytes") {
		t.Errorf("violations = %v", violations)
	}
	b, _ := io.ReadAll(resp.Body)
	if string(b) != body {
		t.Errorf("body not intact after the cap: %d of %d bytes", len(b), len(body))
	}
}

func TestValidatorOptions(t *testing.T) {
	if _, err := contract.NewValidator(nil, contract.WithMaxBodySize(0)); err == nil {
		t.Error("WithMaxBodySize(0): no error")
	}
	if _, err := contract.NewValidator(nil, contract.WithBasePath("api")); err == nil {
		t.Error(`WithBasePath("api"): no error`)
	}
	v, err := contract.NewValidator(nil, contract.WithBasePath("/api/"))
	if err != nil {
		t.Fatal(err)
	}
	if fs := v.ValidateRequest(apiRequest("GET", "http://127.0.0.1/api/v3/downloads?page_size=0", "", "", nil)); len(fs) != 1 || fs[0].Pointer != "page_size" {
		t.Errorf("under base path: %v", fs)
	}
	if fs := v.ValidateRequest(apiRequest("GET", "http://127.0.0.1/v3/downloads?page_size=0", "", "", nil)); len(fs) != 0 {
		t.Errorf("outside base path: %v", fs)
	}
}

func TestBinaryResponses(t *testing.T) {
	v := newValidator(t)
	jpeg := tinyJPEG(t)
	get := httptest.NewRequest("GET", "https://delivery.gettyimages.com/x.jpg?sig=s", nil)
	bin := func(ct string, body []byte, length int64) *http.Response {
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {ct}},
			Body: io.NopCloser(bytes.NewReader(body)), ContentLength: length}
	}
	png := []byte("\x89PNG\r\n\x1a\n....")
	tests := []struct {
		name    string
		resp    *http.Response
		message string // "" = no violation
	}{
		{"jpeg", bin("image/jpeg", jpeg, int64(len(jpeg))), ""},
		{"png", bin("image/png", png, int64(len(png))), ""},
		{"eps", bin("application/postscript", []byte("%!PS-Adobe-3.0 EPSF-3.0\n"), 24), ""},
		{"dos eps", bin("image/x-eps", []byte{0xC5, 0xD0, 0xD3, 0xC6, 0, 0}, 6), ""},
		{"unknown length", bin("image/jpeg", jpeg, -1), ""},
		{"png sent as jpeg", bin("image/jpeg", png, int64(len(png))), "starts with [89 50 4E 47"},
		{"html sent as jpeg", bin("image/jpeg", []byte("<html>"), 6), "starts with [3C 68"},
		{"empty jpeg", bin("image/jpeg", nil, 0), "starts with []"},
		{"shorter than Content-Length", bin("image/jpeg", jpeg, int64(len(jpeg))+10), "Content-Length says"},
		{"not an image", bin("application/xml", []byte("<Error/>"), 8), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			violations, _ := split(v.ValidateResponse(get, tt.resp))
			switch {
			case tt.message == "" && len(violations) > 0:
				t.Errorf("unexpected %v", violations)
			case tt.message != "" && (len(violations) != 1 || !strings.Contains(violations[0].Message, tt.message)):
				t.Errorf("got %v, want one containing %q", violations, tt.message)
			}
		})
	}
}
