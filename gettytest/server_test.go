package gettytest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gettykit/getty/contract"
	"github.com/gettykit/getty/gen"
	"github.com/gettykit/getty/gettytest"
)

// fixture is a server whose traffic is checked against the spec on the
// way: the fake must itself answer as the spec says.
type fixture struct {
	*gettytest.Server
	t      *testing.T
	tr     *contract.Transport
	client *http.Client
	token  string
}

// newFixture starts a server for a test. Its clock is fixed at
// gettytest.DefaultNow, so that tests can name the dates of the seeded
// history; opts come after and may change it.
func newFixture(t *testing.T, opts ...gettytest.Option) *fixture {
	t.Helper()
	s := gettytest.NewServer(append([]gettytest.Option{gettytest.WithNow(gettytest.DefaultNow)}, opts...)...)
	t.Cleanup(s.Close)
	tr := contract.NewTransport(s.Client().Transport, nil)
	f := &fixture{Server: s, t: t, tr: tr, token: s.IssueToken(true),
		client: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	return f
}

// checkSpec fails the test if any traffic so far violated the spec, except
// for the requests the test sent invalid on purpose.
func (f *fixture) checkSpec(allowRequestViolations bool) {
	f.t.Helper()
	for _, v := range f.tr.Report().Violations() {
		if v.InRequest && allowRequestViolations {
			continue
		}
		f.t.Errorf("spec: %s", v)
	}
}

type result struct {
	status int
	header http.Header
	body   []byte
	err    error
}

func (r result) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

func (r result) errorCode(t *testing.T) string {
	t.Helper()
	var e gen.Error
	r.json(t, &e)
	if e.ErrorCode != "" {
		return e.ErrorCode
	}
	if e.Message != "" {
		return "message:" + e.Message
	}
	return ""
}

// do sends a request with the demo key and the fixture's token unless
// headers override them ("" deletes).
func (f *fixture) do(method, path, contentType, body string, headers map[string]string) result {
	f.t.Helper()
	req, err := http.NewRequest(method, f.URL+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if body == "" {
		req.Body = http.NoBody
	}
	req.Header.Set("Api-Key", gettytest.APIKey)
	req.Header.Set("Authorization", "Bearer "+f.token)
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
	resp, err := f.client.Do(req)
	if err != nil {
		return result{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, header: resp.Header, body: b, err: err}
}

func (f *fixture) list(query string) (gen.GetDownloadsResponse, result) {
	f.t.Helper()
	r := f.do("GET", "/v3/downloads?"+query, "", "", nil)
	var page gen.GetDownloadsResponse
	if r.status == 200 && r.err == nil {
		r.json(f.t, &page)
	}
	return page, r
}

func TestAuthentication(t *testing.T) {
	f := newFixture(t)
	appToken := f.IssueToken(false)
	tests := []struct {
		name         string
		method, path string
		headers      map[string]string
		status       int
		code         string
	}{
		{"no api key", "GET", "/v3/downloads", map[string]string{"Api-Key": ""}, 401, "message:Unauthorized"},
		{"wrong api key", "POST", "/v3/downloads/images/" + gettytest.ImageID, map[string]string{"Api-Key": "nope"}, 401, "message:Unauthorized"},
		{"no token on download", "POST", "/v3/downloads/images/" + gettytest.ImageID, map[string]string{"Authorization": ""}, 401, "AuthorizationTokenRequired"},
		{"no token on listing", "GET", "/v3/downloads", map[string]string{"Authorization": ""}, 401, "AuthorizationTokenRequired"},
		{"unknown token", "GET", "/v3/downloads", map[string]string{"Authorization": "Bearer forged"}, 401, "AuthorizationTokenRequired"},
		{"lower-case bearer", "GET", "/v3/downloads", map[string]string{"Authorization": "bearer " + f.token}, 200, ""},
		{"application token", "POST", "/v3/downloads/images/" + gettytest.ImageID + "?auto_download=false", map[string]string{"Authorization": "Bearer " + appToken}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(tt.method, tt.path, "", "", tt.headers)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.code != "" {
				if got := r.errorCode(t); got != tt.code {
					t.Errorf("error %q, want %q", got, tt.code)
				}
			}
		})
	}
	f.checkSpec(true)

	f.ExpireTokens()
	if r := f.do("GET", "/v3/downloads", "", "", nil); r.status != 401 {
		t.Errorf("expired token: status %d", r.status)
	}

	u := newFixture(t, gettytest.WithUserTokenRequired())
	r := u.do("POST", "/v3/downloads/images/"+gettytest.ImageID, "", "", map[string]string{"Authorization": "Bearer " + u.IssueToken(false)})
	if r.status != 403 || r.errorCode(t) != "UserTokenRequired" {
		t.Errorf("user token required: %d %s", r.status, r.body)
	}
}

func postForm(t *testing.T, s *gettytest.Server, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := s.Client().PostForm(s.URL+"/oauth2/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, m
}

func TestTokenEndpoint(t *testing.T) {
	s := gettytest.NewServer()
	defer s.Close()
	client := url.Values{"client_id": {gettytest.APIKey}, "client_secret": {gettytest.ClientSecret}}
	with := func(kv ...string) url.Values {
		v := url.Values{}
		for k, x := range client {
			v[k] = x
		}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	status, m := postForm(t, s, with("grant_type", "client_credentials"))
	if status != 200 || m["access_token"] == "" || m["expires_in"] != float64(1800) || m["token_type"] != "Bearer" {
		t.Errorf("client_credentials: %d %v", status, m)
	}
	status, m = postForm(t, s, with("grant_type", "password", "username", gettytest.Username, "password", gettytest.Password))
	refresh, _ := m["refresh_token"].(string)
	if status != 200 || refresh == "" {
		t.Fatalf("password: %d %v", status, m)
	}
	status, m = postForm(t, s, with("grant_type", "refresh_token", "refresh_token", refresh))
	if status != 200 || m["access_token"] == "" {
		t.Errorf("refresh_token: %d %v", status, m)
	}
	for _, tt := range []struct {
		form   url.Values
		status int
		err    string
	}{
		{with("grant_type", "client_credentials", "client_secret", "wrong"), 401, "invalid_client"},
		{with("grant_type", "password", "username", gettytest.Username, "password", "wrong"), 400, "invalid_grant"},
		{with("grant_type", "refresh_token", "refresh_token", "stale"), 400, "invalid_grant"},
		{with("grant_type", "authorization_code"), 400, "unsupported_grant_type"},
	} {
		if status, m := postForm(t, s, tt.form); status != tt.status || m["error"] != tt.err {
			t.Errorf("%v: %d %v, want %d %s", tt.form, status, m, tt.status, tt.err)
		}
	}

	// HTTP Basic, as golang.org/x/oauth2 tries first.
	req, _ := http.NewRequest("POST", s.URL+"/oauth2/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(gettytest.APIKey, gettytest.ClientSecret)
	resp, err := s.Client().Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("basic auth: %v %v", err, resp)
	}
	resp.Body.Close()

	str := gettytest.NewServer(gettytest.WithExpiresInString())
	defer str.Close()
	if _, m := postForm(t, str, with("grant_type", "client_credentials")); m["expires_in"] != "1800" {
		t.Errorf("expires_in = %#v, want \"1800\"", m["expires_in"])
	}
	if got := s.Requests(gettytest.OpToken); got != 8 {
		t.Errorf("token requests = %d, want 8", got)
	}
}

func TestListPagingAndFilters(t *testing.T) {
	f := newFixture(t)
	ids := map[string]bool{}
	total := 0
	for page := 1; ; page++ {
		p, r := f.list("company_downloads=true&page_size=30&page=" + strconv.Itoa(page))
		if r.status != 200 {
			t.Fatalf("page %d: %d %s", page, r.status, r.body)
		}
		if p.ResultCount != 250 {
			t.Fatalf("result_count = %d, want 250", p.ResultCount)
		}
		if len(p.Downloads) == 0 {
			if page != 10 {
				t.Errorf("ran out at page %d, want 10", page)
			}
			break
		}
		var prev time.Time
		for i, d := range p.Downloads {
			if ids[d.ID] {
				t.Errorf("id %s on two pages", d.ID)
			}
			ids[d.ID] = true
			if i > 0 && d.DateDownloaded.After(prev) {
				t.Errorf("page %d not newest first", page)
			}
			prev = d.DateDownloaded
		}
		total += len(p.Downloads)
	}
	if total != 250 {
		t.Errorf("listed %d downloads, want 250", total)
	}

	count := func(query string) int {
		t.Helper()
		p, r := f.list(query)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", query, r.status, r.body)
		}
		return int(p.ResultCount)
	}
	first := f.History()[0].DateDownloaded // 2026-03-01T11:43Z
	for _, tt := range []struct {
		query string
		want  int
	}{
		{"", 200},                       // own downloads only; all within the default 30 days
		{"company_downloads=True", 250}, // .NET's booleans
		{"product_type=imagepack&company_downloads=true", 62},
		{"product_type=creditpack", 0},
		{"date_from=2026-03-01&date_to=2026-03-01", 5},        // whole day: 11:43, 09:43, 07:43, 05:43, 03:43, 01:43 minus one colleague's
		{"date_from=2026-03-01T08:00:00Z&use_time=true", 2},   // 11:43, 09:43
		{"date_from=2026-03-01T08:00:00Z&use_time=false", 5},  // time part ignored
		{"start_date=2026-03-01&end_date=2026-03-01", 5},      // legacy names
		{"date_to=2026-02-01", 0},                             // before the history
		{"date_from=2026-02-20+10:00&date_to=2026-02-20", 10}, // a date-time with a space
		{"date_from=&date_to=", 200},                          // empty: defaults
	} {
		if got := count(tt.query); got != tt.want {
			t.Errorf("%q: result_count %d, want %d", tt.query, got, tt.want)
		}
	}
	if !first.Equal(gettytest.DefaultNow.Add(-17 * time.Minute)) {
		t.Errorf("newest seeded download at %v", first)
	}

	// Paging errors answer as the API does.
	for _, tt := range []struct{ query, code string }{
		{"page_size=101", "InvalidPageSize"},
		{"page_size=0", "InvalidPageSize"},
		{"page=0", "InvalidPage"},
	} {
		_, r := f.list(tt.query)
		if r.status != 400 || r.errorCode(t) != tt.code {
			t.Errorf("%s: %d %s, want 400 %s", tt.query, r.status, r.body, tt.code)
		}
	}

	empty := newFixture(t, gettytest.WithDownloads(0))
	p, r := empty.list("")
	if r.status != 200 || p.ResultCount != 0 || p.Downloads == nil || len(p.Downloads) != 0 {
		t.Errorf("empty history: %s", r.body)
	}
	f.checkSpec(true)
}

func TestInvalidRequestsGet400WithReason(t *testing.T) {
	f := newFixture(t)
	dl := "/v3/downloads/images/" + gettytest.ImageID
	tests := []struct {
		name, method, path, ct, body, reason string
	}{
		{"unknown product type", "GET", "/v3/downloads?product_type=gold", "", "", `query parameter "product_type"`},
		{"bad boolean", "POST", dl + "?auto_download=maybe", "", "", `query parameter "auto_download"`},
		{"bad date", "GET", "/v3/downloads?date_from=yesterday", "", "", `query parameter "date_from"`},
		{"bad file type", "POST", dl + "?file_type=gif", "", "", `query parameter "file_type"`},
		{"notes not a string", "POST", dl, "application/json", `{"download_notes":5}`, "request body"},
		{"body not JSON", "POST", dl, "text/plain", "notes", "request body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(tt.method, tt.path, tt.ct, tt.body, nil)
			var e gen.Error
			r.json(t, &e)
			if r.status != 400 || e.ErrorCode != "InvalidRequest" || !strings.Contains(e.ErrorMessage, tt.reason) {
				t.Errorf("got %d %s, want 400 InvalidRequest naming %s", r.status, r.body, tt.reason)
			}
		})
	}
	if n := len(f.History()); n != 250 {
		t.Errorf("invalid requests changed the history: %d downloads", n)
	}
	f.checkSpec(true)
}

func TestDownload(t *testing.T) {
	f := newFixture(t)
	dl := "/v3/downloads/images/" + gettytest.ImageID

	// auto_download=false: 200 {uri}.
	r := f.do("POST", dl+"?auto_download=false", "application/json", `{"download_notes":"cover","project_code":"P-1"}`, nil)
	var u gen.DownloadURI
	r.json(t, &u)
	if r.status != 200 || !strings.HasPrefix(u.URI, f.URL+"/delivery/") {
		t.Fatalf("auto_download=false: %d %s", r.status, r.body)
	}
	h := f.History()[0]
	if h.ID != gettytest.ImageID || h.DownloadDetails.DownloadNotes != "cover" || h.DownloadDetails.ProjectCode != "P-1" || h.ProductType != "premiumaccess" || !h.DateDownloaded.Equal(gettytest.DefaultNow) {
		t.Errorf("recorded download: %+v", h)
	}
	p, _ := f.list("page_size=1")
	if p.ResultCount != 201 || p.Downloads[0].ID != gettytest.ImageID {
		t.Errorf("listing after download: %+v", p)
	}

	// The file: a real JPEG with its headers.
	img := f.do("GET", strings.TrimPrefix(u.URI, f.URL), "", "", map[string]string{"Api-Key": "", "Authorization": ""})
	if img.status != 200 || img.header.Get("Content-Type") != "image/jpeg" ||
		img.header.Get("Content-Disposition") != "attachment; filename=GettyImages-"+gettytest.ImageID+".jpg" ||
		img.header.Get("Content-Length") != strconv.Itoa(len(img.body)) {
		t.Fatalf("file: %d %v", img.status, img.header)
	}
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(img.body)); err != nil || cfg.Width != 64 {
		t.Errorf("not a JPEG: %v %+v", err, cfg)
	}
	if sig := u.URI[strings.Index(u.URI, "sig=")+len("sig="):]; img.header.Get("ETag") == "" || strings.Contains(img.header.Get("ETag"), sig) {
		t.Errorf("ETag %q gives the signature %s away", img.header.Get("ETag"), sig)
	}
	again := f.do("GET", strings.TrimPrefix(u.URI, f.URL), "", "", nil)
	if !bytes.Equal(again.body, img.body) {
		t.Error("the same image differs between downloads")
	}
	if r := f.do("GET", "/delivery/"+gettytest.ImageID+".jpg?sig=forged", "", "", nil); r.status != 403 {
		t.Errorf("forged signature: %d", r.status)
	}

	// auto_download defaults to true: 303 to the same place; the quirky
	// bodies real SDKs send are all accepted.
	for _, body := range []struct{ ct, body string }{{"", ""}, {"application/x-www-form-urlencoded", ""}, {"application/json", "{}"}, {"application/json", "null"}} {
		r := f.do("POST", dl, body.ct, body.body, nil)
		if r.status != 303 || r.header.Get("Location") != u.URI {
			t.Errorf("body %q: %d %s Location %q", body.body, r.status, r.body, r.header.Get("Location"))
		}
	}
	r = f.do("POST", dl+"?file_type=eps&auto_download=False", "", "", nil)
	r.json(t, &u)
	if eps := f.do("GET", strings.TrimPrefix(u.URI, f.URL), "", "", nil); !bytes.HasPrefix(eps.body, []byte("%!PS")) || eps.header.Get("Content-Type") != "application/postscript" {
		t.Errorf("eps: %q %v", eps.body, eps.header)
	}

	if r := f.do("POST", "/v3/downloads/images/0", "", "", nil); r.status != 404 || r.errorCode(t) != "ImageNotFound" {
		t.Errorf("unknown image: %d %s", r.status, r.body)
	}
	if got := f.Requests(gettytest.OpDownloadImage); got != 7 {
		t.Errorf("download requests = %d, want 7", got)
	}
	f.checkSpec(false)

	f302 := newFixture(t, gettytest.WithRedirectStatus(302))
	if r := f302.do("POST", dl, "", "", nil); r.status != 302 {
		t.Errorf("WithRedirectStatus(302): %d", r.status)
	}
}

func TestQuotas(t *testing.T) {
	f := newFixture(t, gettytest.WithQuota(gen.Premiumaccess, 2), gettytest.WithQuota(gen.Imagepack, 0))
	dl := "/v3/downloads/images/" + gettytest.ImageID + "?auto_download=false"
	for i := range 2 {
		if r := f.do("POST", dl, "", "", nil); r.status != 200 {
			t.Fatalf("download %d: %d %s", i, r.status, r.body)
		}
	}
	if r := f.do("POST", dl, "", "", nil); r.status != 403 || r.errorCode(t) != "OverageLimitReached" {
		t.Errorf("over quota: %d %s", r.status, r.body)
	}
	if r := f.do("POST", dl+"&product_type=imagepack", "", "", nil); r.status != 403 {
		t.Errorf("imagepack quota 0: %d", r.status)
	}
	if r := f.do("POST", dl+"&product_type=easyaccess", "", "", nil); r.status != 200 {
		t.Errorf("unlimited product: %d", r.status)
	}
	if left, limited := f.Quota(gen.Premiumaccess); left != 0 || !limited {
		t.Errorf("Quota = %d %v", left, limited)
	}
	f.SetQuota(gen.Premiumaccess, 1)
	if r := f.do("POST", dl, "", "", nil); r.status != 200 {
		t.Errorf("after SetQuota: %d", r.status)
	}
	if n := len(f.History()); n != 250+4 {
		t.Errorf("history has %d downloads, want 254 (refused ones are not recorded)", n)
	}
	f.checkSpec(false)
}

func TestQuotaUnderConcurrency(t *testing.T) {
	f := newFixture(t, gettytest.WithQuota(gen.Premiumaccess, 10))
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for range 25 {
		wg.Go(func() {
			r := f.do("POST", "/v3/downloads/images/"+gettytest.ImageID+"?auto_download=false", "", "", nil)
			mu.Lock()
			codes[r.status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if codes[200] != 10 || codes[403] != 15 {
		t.Errorf("statuses %v, want 10×200 and 15×403", codes)
	}
	f.checkSpec(false)
}

func TestFaults(t *testing.T) {
	f := newFixture(t)

	// 5xx once, then recover.
	f.FailOnce(gettytest.OpListDownloads, 503)
	if _, r := f.list(""); r.status != 503 {
		t.Errorf("first call: %d", r.status)
	}
	if _, r := f.list(""); r.status != 200 {
		t.Errorf("second call: %d", r.status)
	}

	// Any status and body until cleared; a failed download uses no quota.
	f.Fail(gettytest.OpDownloadImage, 500, "<html>oops</html>", http.Header{"Content-Type": {"text/html"}})
	for range 2 {
		if r := f.do("POST", "/v3/downloads/images/"+gettytest.ImageID, "", "", nil); r.status != 500 || string(r.body) != "<html>oops</html>" {
			t.Errorf("Fail: %d %s", r.status, r.body)
		}
	}
	if n := len(f.History()); n != 250 {
		t.Errorf("failed downloads were recorded: %d", n)
	}
	f.ClearFaults()
	if r := f.do("POST", "/v3/downloads/images/"+gettytest.ImageID, "", "", nil); r.status != 303 {
		t.Errorf("after ClearFaults: %d", r.status)
	}

	// Throttling as the gateway does it.
	f.Throttle("", 429, 1)
	_, r := f.list("")
	if r.status != 429 || r.header.Get("X-Error-Detail") != gettytest.ThrottleDetail || r.errorCode(t) != "message:"+gettytest.ThrottleDetail {
		t.Errorf("throttled: %d %v %s", r.status, r.header, r.body)
	}
	f.Throttle(gettytest.OpListDownloads, 403, 0)
	if _, r := f.list(""); r.status != 403 {
		t.Errorf("throttled with 403: %d", r.status)
	}
	f.ClearFaults()

	// Truncated bodies: JSON and files.
	f.Truncate(gettytest.OpListDownloads, 1)
	if _, r := f.list(""); !errors.Is(r.err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated listing: err %v, %d bytes", r.err, len(r.body))
	}
	if _, r := f.list(""); r.err != nil {
		t.Errorf("after one truncation: %v", r.err)
	}
	f.Truncate(gettytest.OpDelivery, 1)
	if r := f.do("GET", f.DownloadURI(gettytest.ImageID, gen.Jpg), "", "", nil); !errors.Is(r.err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated file: %v", r.err)
	}

	// Latency, bounded by the client's context.
	f.SetLatency(gettytest.OpListDownloads, time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", f.URL+"/v3/downloads", nil)
	req.Header.Set("Api-Key", gettytest.APIKey)
	req.Header.Set("Authorization", "Bearer "+f.IssueToken(false))
	if _, err := f.client.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("latency: %v", err)
	}
	f.ClearFaults()

	if got := f.Requests(gettytest.OpListDownloads); got != 7 {
		t.Errorf("listing requests = %d, want 7", got)
	}
	// The truncated file and the short JSON are violations the transport
	// saw; everything else (503, 500 text/html, 429, 403) is documented.
	var short int
	for _, v := range f.tr.Report().Violations() {
		if strings.Contains(v.Message, "unexpected EOF") {
			short++
			continue
		}
		t.Errorf("spec: %s", v)
	}
	if short != 2 {
		t.Errorf("%d short bodies reported, want 2", short)
	}
}

func TestFaultsAtConstruction(t *testing.T) {
	f := newFixture(t,
		gettytest.WithFault(gettytest.OpToken, gettytest.Fault{Status: 500, Times: 1}),
		gettytest.WithLatency("", time.Millisecond))
	status, _ := postForm(t, f.Server, url.Values{"grant_type": {"client_credentials"}})
	if status != 500 {
		t.Errorf("first token request: %d", status)
	}
	status, m := postForm(t, f.Server, url.Values{"grant_type": {"client_credentials"}, "client_id": {gettytest.APIKey}, "client_secret": {gettytest.ClientSecret}})
	if status != 200 || m["access_token"] == nil {
		t.Errorf("second token request: %d %v", status, m)
	}
}

func TestLargeImage(t *testing.T) {
	const size = 3 << 20
	f := newFixture(t, gettytest.WithImageSize(size))
	resp, err := f.client.Get(f.URL + f.DownloadURI("42", gen.Jpg))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ContentLength != size {
		t.Errorf("Content-Length %d", resp.ContentLength)
	}
	if _, err := jpeg.DecodeConfig(resp.Body); err != nil {
		t.Errorf("not a JPEG: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	f.checkSpec(false)

	// Range requests work, for resumed downloads.
	req, _ := http.NewRequest("GET", f.URL+f.DownloadURI("42", gen.Jpg), nil)
	req.Header.Set("Range", "bytes=100-199")
	resp, err = f.client.Do(req)
	if err != nil || resp.StatusCode != http.StatusPartialContent || resp.ContentLength != 100 {
		t.Errorf("range: %v %v", err, resp)
	}
	resp.Body.Close()
}

func TestDriftField(t *testing.T) {
	f := newFixture(t, gettytest.WithExtraField("rating", 5), gettytest.WithDownloads(3))
	if _, r := f.list(""); r.status != 200 {
		t.Fatal(r.status)
	}
	f.checkSpec(false)
	if d := f.tr.Report().Drift(); len(d) != 3 || d[0].Pointer != "/downloads/0/rating" {
		t.Errorf("drift: %v", d)
	}
}

func TestWithHistory(t *testing.T) {
	id := "77"
	f := newFixture(t, gettytest.WithHistory([]gen.HistoricalDownload{
		{DateDownloaded: gettytest.DefaultNow.Add(-48 * time.Hour), ID: id},
	}), gettytest.WithImages("88"))
	p, _ := f.list("company_downloads=true")
	if p.ResultCount != 1 {
		t.Errorf("result_count %d", p.ResultCount)
	}
	for _, img := range []string{"77", "88"} {
		if r := f.do("POST", "/v3/downloads/images/"+img, "", "", nil); r.status != 303 {
			t.Errorf("image %s: %d", img, r.status)
		}
	}
}

func TestHandlerUnderTLS(t *testing.T) {
	s := gettytest.NewUnstartedServer(gettytest.WithDownloads(1))
	ts := httptest.NewTLSServer(s.Handler())
	defer ts.Close()
	req, _ := http.NewRequest("POST", ts.URL+"/v3/downloads/images/"+gettytest.ImageID+"?auto_download=false", nil)
	req.Header.Set("Api-Key", gettytest.APIKey)
	req.Header.Set("Authorization", "Bearer "+s.IssueToken(true))
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var u gen.DownloadURI
	json.NewDecoder(resp.Body).Decode(&u)
	if resp.StatusCode != 200 || !strings.HasPrefix(u.URI, ts.URL+"/delivery/") || !strings.HasPrefix(u.URI, "https://") {
		t.Errorf("%d %q", resp.StatusCode, u.URI)
	}
	if s.Requests("") != 1 {
		t.Errorf("Requests(\"\") = %d", s.Requests(""))
	}
}

// A page costs the same whatever the size of the history behind it: only
// the page's entries are copied, so that listing a large history page by
// page does not cost the whole history per page.
func TestListPageCostDoesNotGrowWithHistory(t *testing.T) {
	perPage := func(n int) uint64 {
		s := gettytest.NewUnstartedServer(gettytest.WithDownloads(n))
		tok := s.IssueToken(false)
		serve := func() {
			r := httptest.NewRequest(http.MethodGet, "/v3/downloads?company_downloads=true&page_size=100&page=2&date_from=2020-01-01", nil)
			r.Header.Set("Api-Key", gettytest.APIKey)
			r.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				t.Fatalf("history of %d: %d %s", n, w.Code, w.Body)
			}
		}
		serve() // warm up lazily built state
		const runs = 5
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range runs {
			serve()
		}
		runtime.ReadMemStats(&after)
		return (after.TotalAlloc - before.TotalAlloc) / runs
	}
	small, large := perPage(1_000), perPage(20_000)
	if large > 2*small {
		t.Errorf("a page of a 20,000-entry history allocates %d bytes, of a 1,000-entry one %d: the cost grows with the history", large, small)
	}
}

// An unstarted Server, used for its handler, holds no listener: the
// command's fake-server and the benchmarks mount the handler on their own.
func TestUnstartedServerOpensNoListener(t *testing.T) {
	fds := func() int {
		entries, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skipf("counting open files: %v", err)
		}
		return len(entries)
	}
	before := fds()
	servers := make([]*gettytest.Server, 20)
	for i := range servers {
		servers[i] = gettytest.NewUnstartedServer(gettytest.WithDownloads(1))
	}
	if after := fds(); after >= before+len(servers) {
		t.Errorf("%d unstarted servers opened %d files", len(servers), after-before)
	}
	for _, s := range servers {
		if s.Client() != nil || s.URL != "" {
			t.Error("an unstarted server has a client or a URL")
		}
		s.Close()
	}
	s := servers[0]
	s.Start()
	defer s.Close()
	resp, err := s.Client().Get(s.URL + "/nothing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("started late: status %d", resp.StatusCode)
	}
}
