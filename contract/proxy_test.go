package contract_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/contract"
	"github.com/gettykit/getty/gen"
	"github.com/gettykit/getty/gettytest"
)

var discardLog = log.New(io.Discard, "", 0)

// proxied is a Proxy in front of an upstream, serving on a test server.
type proxied struct {
	*contract.Proxy
	URL string

	mu        sync.Mutex
	exchanges []contract.Exchange
}

func (p *proxied) all() []contract.Exchange {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.exchanges)
}

func startProxy(t *testing.T, upstream string, rec *contract.Recorder) *proxied {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	p, err := contract.NewProxy(u, newValidator(t))
	if err != nil {
		t.Fatal(err)
	}
	pp := &proxied{Proxy: p}
	p.Recorder = rec
	p.OnExchange = func(x contract.Exchange) {
		pp.mu.Lock()
		pp.exchanges = append(pp.exchanges, x)
		pp.mu.Unlock()
	}
	ts := httptest.NewServer(p)
	t.Cleanup(ts.Close)
	t.Cleanup(p.CloseIdleConnections)
	pp.URL = ts.URL
	return pp
}

// noRedirects is a client that hands every redirect back, as a client of
// the API sees it.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func do(t *testing.T, method, target, contentType, body string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// session drives a client in plain net/http through the proxy: a token, a
// listing, a download answered with a redirect, and the file fetched
// through the proxy as well. It returns the token and the Location.
func session(t *testing.T, proxyURL string) (token, location string) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {gettytest.APIKey}, "client_secret": {gettytest.ClientSecret}}
	resp, body := do(t, "POST", proxyURL+"/oauth2/token", "application/x-www-form-urlencoded", form.Encode())
	if resp.StatusCode != 200 {
		t.Fatalf("token: %d %s", resp.StatusCode, body)
	}
	token = between(string(body), `"access_token":"`, `"`)
	auth := []string{"Api-Key", gettytest.APIKey, "Authorization", "Bearer " + token}
	if resp, body := do(t, "GET", proxyURL+"/v3/downloads?page_size=2", "", "", auth...); resp.StatusCode != 200 {
		t.Fatalf("listing: %d %s", resp.StatusCode, body)
	}
	resp, _ = do(t, "POST", proxyURL+"/v3/downloads/images/"+gettytest.ImageID+"?auto_download=true", "", "", auth...)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("download: %d", resp.StatusCode)
	}
	location = resp.Header.Get("Location")
	// Fetch the file through the proxy: same path and signature, the
	// proxy's host.
	loc, err := url.Parse(location)
	if err != nil {
		t.Fatal(err)
	}
	resp, body = do(t, "GET", proxyURL+loc.RequestURI(), "", "")
	if resp.StatusCode != 200 || !bytes.HasPrefix(body, []byte{0xFF, 0xD8}) {
		t.Fatalf("file: %d, % X", resp.StatusCode, body[:min(len(body), 4)])
	}
	return token, location
}

func between(s, from, to string) string {
	_, rest, _ := strings.Cut(s, from)
	v, _, _ := strings.Cut(rest, to)
	return v
}

func exchangeLines(xs []contract.Exchange) []string {
	var out []string
	for _, x := range xs {
		out = append(out, x.String())
	}
	return out
}

// The proxy forwards clean traffic, judges every exchange (drift is
// reported, not failed on), numbers the exchanges in order, and hands a
// 303 to the client untouched: the file it names is not fetched by the
// proxy.
func TestProxy(t *testing.T) {
	fake := gettytest.NewServer(gettytest.WithExtraField("rating", 5))
	defer fake.Close()
	p := startProxy(t, fake.URL, nil)

	_, location := session(t, p.URL)
	if want := fake.URL + fake.DownloadURI(gettytest.ImageID, gen.Jpg); location != want {
		t.Errorf("Location = %s, want the upstream's, untouched: %s", location, want)
	}
	if n := fake.Requests(gettytest.OpDelivery); n != 1 {
		t.Errorf("the fake served the file %d times, want once (the client's request through the proxy)", n)
	}

	xs := waitExchanges(t, p, 4)
	want := []string{
		"interaction 0: POST /oauth2/token -> 200",
		"interaction 1: GET /v3/downloads -> 200",
		"interaction 2: POST /v3/downloads/images/" + gettytest.ImageID + " -> 303",
		"interaction 3: GET /delivery/" + gettytest.ImageID + ".jpg -> 200",
	}
	if got := exchangeLines(xs); !slices.Equal(got, want) {
		t.Errorf("exchanges:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if v := p.Report().Violations(); len(v) > 0 {
		t.Errorf("violations in clean traffic:\n%s", p.Report())
	}
	if d := xs[1].Findings; len(d) != 2 || d[0].Kind != contract.Drift || d[0].Index != 1 || d[0].Source != "" {
		t.Errorf("listing findings: %v", d)
	}
	if p.Exchanges() != 4 {
		t.Errorf("Exchanges() = %d", p.Exchanges())
	}
	for _, x := range xs {
		if x.Duration <= 0 {
			t.Errorf("%s: duration %v", x, x.Duration)
		}
	}
}

// The library drives the proxy as it would the API; its download follows
// the 303 to the delivery host directly, which the proxy does not see.
func TestProxyWithClient(t *testing.T) {
	fake := gettytest.NewServer()
	defer fake.Close()
	p := startProxy(t, fake.URL, nil)
	c, err := getty.New(
		getty.WithAPIKey(gettytest.APIKey), getty.WithClientSecret(gettytest.ClientSecret),
		getty.WithBaseURL(p.URL), getty.WithTokenURL(p.URL+"/oauth2/token"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListDownloads(t.Context(), &getty.ListOptions{PageSize: 5}); err != nil {
		t.Fatal(err)
	}
	var img bytes.Buffer
	if _, err := c.SaveImageTo(t.Context(), gettytest.ImageID, &img, nil); err != nil {
		t.Fatal(err)
	}
	got := exchangeLines(waitExchanges(t, p, 3))
	if len(got) != 3 || !strings.HasSuffix(got[2], " -> 303") {
		t.Errorf("exchanges: %q (the file comes from the delivery host directly)", got)
	}
	if fake.Requests(gettytest.OpDelivery) != 1 || img.Len() == 0 {
		t.Errorf("the client did not get the file from the upstream")
	}
	p.Report().Check(t)
}

// Out-of-contract answers are violations with their pointer, reported with
// the exchange; a request the spec forbids is one too.
func TestProxyViolations(t *testing.T) {
	fake := gettytest.NewServer()
	defer fake.Close()
	fake.Inject(gettytest.OpListDownloads, gettytest.Fault{Status: 200, Body: `{"result_count":"many","downloads":[]}`, Times: 1})
	p := startProxy(t, fake.URL, nil)
	auth := []string{"Api-Key", gettytest.APIKey, "Authorization", "Bearer " + fake.IssueToken(false)}
	do(t, "GET", p.URL+"/v3/downloads", "", "", auth...)
	if resp, _ := do(t, "GET", p.URL+"/v3/downloads?page_size=500", "", "", auth...); resp.StatusCode != 400 {
		t.Errorf("page_size=500: %d", resp.StatusCode)
	}
	xs := waitExchanges(t, p, 2)
	if len(xs) != 2 {
		t.Fatalf("exchanges: %v", exchangeLines(xs))
	}
	v := xs[0].Findings
	if len(v) != 1 || v[0].Kind != contract.Violation || v[0].Pointer != "/result_count" || v[0].Status != 200 || v[0].Index != 0 {
		t.Errorf("bad listing: %v", v)
	}
	v = xs[1].Findings
	if len(v) == 0 || !v[0].InRequest || v[0].Pointer != "page_size" || v[0].Index != 1 {
		t.Errorf("bad request: %v", v)
	}
}

// Bodies stream: the client gets the first bytes of a file while the
// upstream is still sending it.
func TestProxyStreams(t *testing.T) {
	jpg := tinyJPEG(t)
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	defer unblock()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(jpg[:16])
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		w.Write(jpg[16:])
	}))
	defer up.Close()
	p := startProxy(t, up.URL, nil)

	resp, err := http.Get(p.URL + "/delivery/1.jpg?sig=x")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make(chan []byte, 1)
	go func() {
		b := make([]byte, 16)
		_, err := io.ReadFull(resp.Body, b)
		if err != nil {
			b = nil
		}
		first <- b
	}()
	select {
	case b := <-first:
		if !bytes.Equal(b, jpg[:16]) {
			t.Fatalf("first bytes % X", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no byte reached the client while the upstream was still sending: the proxy buffers")
	}
	unblock()
	rest, err := io.ReadAll(resp.Body)
	if err != nil || !bytes.Equal(rest, jpg[16:]) {
		t.Fatalf("rest: %d bytes, %v", len(rest), err)
	}
	resp.Body.Close()
	waitExchanges(t, p, 1)
	if fs := p.Report().Findings(); len(fs) != 0 {
		t.Errorf("findings: %v", fs)
	}
}

func waitExchanges(t *testing.T, p *proxied, n int) []contract.Exchange {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		xs := p.all()
		if len(xs) >= n {
			return xs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d exchange(s) reported, want %d", len(xs), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A big image passes through with flat memory, and is still checked: its
// magic and its length.
func TestProxyLargeImageFlatMemory(t *testing.T) {
	size := int64(256 << 20)
	if testing.Short() {
		size = 32 << 20
	}
	fake := gettytest.NewServer(gettytest.WithImageSize(size))
	defer fake.Close()
	p := startProxy(t, fake.URL, nil)

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	resp, err := http.Get(p.URL + fake.DownloadURI(gettytest.ImageID, gen.Jpg))
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	close(stop)
	<-sampled
	if err != nil || n != size {
		t.Fatalf("copied %d of %d bytes: %v", n, size, err)
	}
	growth := int64(peak.Load()) - int64(base)
	t.Logf("%d MiB through the proxy; heap in use grew by at most %.1f MiB", size>>20, float64(growth)/(1<<20))
	if growth > 24<<20 {
		t.Errorf("heap in use grew by %d MiB while %d MiB passed through: the proxy buffers", growth>>20, size>>20)
	}
	xs := waitExchanges(t, p, 1)
	if len(xs[0].Findings) != 0 || xs[0].Status != 200 {
		t.Errorf("exchange %s: %v", xs[0], xs[0].Findings)
	}

}

// A file cut short by the upstream is a violation, and the client sees it
// cut short too.
func TestProxyTruncated(t *testing.T) {
	fake := gettytest.NewServer(gettytest.WithImageSize(1 << 20))
	defer fake.Close()
	fake.Truncate(gettytest.OpDelivery, 1)
	p := startProxy(t, fake.URL, nil)
	p.ErrorLog = discardLog
	resp, err := http.Get(p.URL + fake.DownloadURI(gettytest.ImageID, gen.Jpg))
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Error("a body cut short upstream reached the client whole")
	}
	xs := waitExchanges(t, p, 1)
	if f := xs[0].Findings; len(f) != 1 || !strings.Contains(f[0].Message, "body ended after") {
		t.Errorf("truncated file: %v", f)
	}
}

// A compressed JSON answer is validated decoded and reaches the client as
// the upstream sent it; encodings the proxy cannot decode are not asked
// for.
func TestProxyCompressed(t *testing.T) {
	var sent []byte
	var gotAE atomic.Value
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAE.Store(r.Header.Get("Accept-Encoding"))
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		io.WriteString(zw, `{"result_count":1,"downloads":[{"date_downloaded":"2026-01-31T10:00:00Z","id":"1","rating":5}]}`)
		zw.Close()
		sent = b.Bytes()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(sent)
	}))
	defer up.Close()
	dir := t.TempDir()
	rec, err := contract.NewRecorder(filepath.Join(dir, "gz.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, up.URL, rec)
	resp, body := do(t, "GET", p.URL+"/v3/downloads", "", "",
		"Accept-Encoding", "br, gzip;q=0.9, zstd", "Api-Key", "k", "Authorization", "Bearer t")
	if ae := gotAE.Load(); ae != "gzip;q=0.9" {
		t.Errorf("upstream got Accept-Encoding %q", ae)
	}
	if resp.Header.Get("Content-Encoding") != "gzip" || !bytes.Equal(body, sent) {
		t.Errorf("the client got %d bytes (%s), not the %d gzip bytes sent", len(body), resp.Header.Get("Content-Encoding"), len(sent))
	}
	xs := waitExchanges(t, p, 1)
	// Judged decoded: the field the spec does not know is found.
	if fs := xs[0].Findings; len(fs) != 1 || fs[0].Kind != contract.Drift || fs[0].Pointer != "/downloads/0/rating" {
		t.Errorf("findings of a gzip listing: %v", fs)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	replayed, err := contract.CheckRecording(newValidator(t), rec.Path())
	if err != nil {
		t.Fatal(err)
	}
	if len(replayed) != 1 || !sameFindings(replayed[0].Findings, xs[0].Findings) {
		t.Errorf("replayed %v, live %v", replayed, xs[0].Findings)
	}
}

func sameFindings(a, b []contract.Finding) bool {
	return slices.EqualFunc(a, b, func(x, y contract.Finding) bool {
		return x.Kind == y.Kind && x.Pointer == y.Pointer && x.Index == y.Index && x.Line == y.Line &&
			x.Source == y.Source && x.Status == y.Status && x.Message == y.Message
	})
}

// The recording holds every exchange, scrubbed, and checking it gives the
// findings the proxy gave live, with the same file, index and line.
func TestProxyRecording(t *testing.T) {
	for _, name := range []string{"session.yaml", "session.har"} {
		t.Run(name, func(t *testing.T) {
			fake := gettytest.NewServer(gettytest.WithExtraField("rating", 5))
			defer fake.Close()
			fake.Inject(gettytest.OpListDownloads, gettytest.Fault{Status: 200, Body: `{"result_count":"many","downloads":[]}`, Times: 1})
			rec, err := contract.NewRecorder(filepath.Join(t.TempDir(), name))
			if err != nil {
				t.Fatal(err)
			}
			p := startProxy(t, fake.URL, rec)
			token, location := session(t, p.URL)
			auth := []string{"Api-Key", gettytest.APIKey, "Authorization", "Bearer " + token}
			do(t, "GET", p.URL+"/v3/downloads?page_size=3", "", "", auth...)
			live := waitExchanges(t, p, 5)
			if _, err := os.Stat(rec.Path()); !os.IsNotExist(err) {
				t.Errorf("the recording exists before Close: %v", err)
			}
			if err := rec.Close(); err != nil {
				t.Fatal(err)
			}
			if rec.Len() != 5 {
				t.Errorf("recorded %d interactions, want 5", rec.Len())
			}
			data, err := os.ReadFile(rec.Path())
			if err != nil {
				t.Fatal(err)
			}
			sig := between(location, "sig=", "&")
			for _, secret := range []string{gettytest.APIKey, gettytest.ClientSecret, token, sig} {
				if secret == "" || bytes.Contains(data, []byte(secret)) {
					t.Errorf("the recording holds a secret %q", secret)
				}
			}
			if !bytes.Contains(data, []byte(contract.Redacted)) {
				t.Error("nothing was scrubbed")
			}

			replayed, err := contract.CheckRecording(newValidator(t), rec.Path())
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(exchangeLines(replayed), exchangeLines(live)) {
				t.Fatalf("replayed:\n%s\nlive:\n%s", strings.Join(exchangeLines(replayed), "\n"), strings.Join(exchangeLines(live), "\n"))
			}
			var violations int
			for i := range live {
				if !sameFindings(replayed[i].Findings, live[i].Findings) {
					t.Errorf("%s:\nreplayed %v\nlive     %v", live[i], replayed[i].Findings, live[i].Findings)
				}
				if live[i].Source != rec.Path() || (live[i].Line > 0) != (name == "session.yaml") {
					t.Errorf("%s: labelled %q line %d", live[i], live[i].Source, live[i].Line)
				}
				for _, f := range live[i].Findings {
					if f.Kind == contract.Violation {
						violations++
					}
				}
			}
			if violations != 1 {
				t.Errorf("%d violations, want the one injected:\n%s", violations, p.Report())
			}
		})
	}
}

// Concurrent clients: every exchange is reported once, numbered without
// gaps in the order they end, and recorded in that order.
func TestProxyConcurrent(t *testing.T) {
	fake := gettytest.NewServer()
	defer fake.Close()
	rec, err := contract.NewRecorder(filepath.Join(t.TempDir(), "many.har"))
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, fake.URL, rec)
	token := fake.IssueToken(false)
	const clients, each = 8, 10
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := range each {
				req, _ := http.NewRequest("GET", fmt.Sprintf("%s/v3/downloads?page=%d&page_size=3", p.URL, c*each+i+1), nil)
				req.Header.Set("Api-Key", gettytest.APIKey)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	xs := waitExchanges(t, p, clients*each)
	for i, x := range xs {
		if x.Index != i {
			t.Fatalf("exchange %d has index %d", i, x.Index)
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	replayed, err := contract.CheckRecording(newValidator(t), rec.Path())
	if err != nil {
		t.Fatal(err)
	}
	if len(replayed) != len(xs) {
		t.Errorf("recorded %d, served %d", len(replayed), len(xs))
	}
}

// An upstream that does not answer: 502 for the client, an exchange with
// Err and no index for the report, nothing recorded.
func TestProxyUpstreamDown(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	rec, err := contract.NewRecorder(filepath.Join(t.TempDir(), "down.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Abort()
	p := startProxy(t, deadURL, rec)
	p.ErrorLog = discardLog
	resp, body := do(t, "GET", p.URL+"/v3/downloads", "", "")
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), "no response from the upstream") {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
	xs := waitExchanges(t, p, 1)
	if x := xs[0]; x.Err == nil || x.Index != -1 || x.Status != 0 || rec.Len() != 0 || p.Exchanges() != 0 {
		t.Errorf("exchange %+v, recorded %d", x, rec.Len())
	}
}

func TestNewProxyUpstream(t *testing.T) {
	for _, raw := range []string{"", "/v3", "ftp://example.com", "http://"} {
		u, _ := url.Parse(raw)
		if _, err := contract.NewProxy(u, nil); err == nil {
			t.Errorf("NewProxy(%q): no error", raw)
		}
	}
	if _, err := contract.NewRecorder(filepath.Join(t.TempDir(), "x.json")); err == nil {
		t.Error("NewRecorder(x.json): no error")
	}
}

// An upstream under a path: requests are forwarded under it and judged as
// if it were not there.
func TestProxyUpstreamPath(t *testing.T) {
	fake := gettytest.NewServer()
	defer fake.Close()
	front := httptest.NewServer(http.StripPrefix("/getty", fake.Handler()))
	defer front.Close()
	u, _ := url.Parse(front.URL + "/getty/")
	p, err := contract.NewProxy(u, nil) // nil: routes under /getty
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(p)
	defer ts.Close()
	resp, body := do(t, "GET", ts.URL+"/v3/downloads?page_size=200", "", "",
		"Api-Key", gettytest.APIKey, "Authorization", "Bearer "+fake.IssueToken(false))
	if resp.StatusCode != 400 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	ts.Close()
	if err := p.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	v := p.Report().Violations()
	if len(v) == 0 || v[0].Pointer != "page_size" || v[0].Path != "/getty/v3/downloads" {
		t.Errorf("violations: %v\n%s", v, p.Report())
	}
}
