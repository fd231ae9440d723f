package contract_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gettykit/getty/contract"
	"github.com/gettykit/getty/gen"
	"github.com/gettykit/getty/gettytest"
)

func gzipped(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The proxy judges an exchange as the Go suite's Transport does: the same
// traffic, sent once through a Transport and once through the proxy, gets
// the same findings, whether the proxy judges while the body passes (a
// file) or after the client has it (an API response).
func TestProxyJudgesLikeTransport(t *testing.T) {
	fake := gettytest.NewServer(gettytest.WithExtraField("rating", 5))
	defer fake.Close()
	token := fake.IssueToken(false)
	delivery := fake.DownloadURI(gettytest.ImageID, gen.Jpg)
	json := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	gz := http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"gzip"}}
	tests := []struct {
		name   string
		method string
		target string
		op     string // the fake's operation the fault applies to
		fault  *gettytest.Fault
		want   []contract.Kind // the kinds, in order, as a check of the test
	}{
		{name: "clean listing, with drift", method: "GET", target: "/v3/downloads?page_size=3",
			want: []contract.Kind{contract.Drift, contract.Drift, contract.Drift}},
		{name: "wrong type", method: "GET", target: "/v3/downloads", op: gettytest.OpListDownloads,
			fault: &gettytest.Fault{Status: 200, Header: json, Body: `{"result_count":"many","downloads":[]}`},
			want:  []contract.Kind{contract.Violation}},
		{name: "wrong type, gzip", method: "GET", target: "/v3/downloads", op: gettytest.OpListDownloads,
			fault: &gettytest.Fault{Status: 200, Header: gz, Body: gzipped(t, `{"result_count":"many","downloads":[]}`)},
			want:  []contract.Kind{contract.Violation}},
		{name: "broken gzip", method: "GET", target: "/v3/downloads", op: gettytest.OpListDownloads,
			fault: &gettytest.Fault{Status: 200, Header: gz, Body: "not gzip at all"},
			want:  []contract.Kind{contract.Violation}},
		{name: "body cut short", method: "GET", target: "/v3/downloads", op: gettytest.OpListDownloads,
			fault: &gettytest.Fault{Status: 200, Header: json, Body: `{"result_count":0,"downloads":[]}`, Truncate: true},
			want:  []contract.Kind{contract.Violation}},
		{name: "undocumented status", method: "GET", target: "/v3/downloads", op: gettytest.OpListDownloads,
			fault: &gettytest.Fault{Status: http.StatusTeapot, Header: json, Body: `{}`},
			want:  []contract.Kind{contract.Violation}},
		{name: "HTML error page", method: "GET", target: "/v3/downloads", op: gettytest.OpListDownloads,
			fault: &gettytest.Fault{Status: 502, Header: http.Header{"Content-Type": {"text/html"}}, Body: "<html><title>Bad gateway</title></html>"}},
		{name: "request out of contract", method: "GET", target: "/v3/downloads?page_size=200",
			want: []contract.Kind{contract.Violation}},
		{name: "download redirect", method: "POST", target: "/v3/downloads/images/" + gettytest.ImageID + "?auto_download=true"},
		{name: "file", method: "GET", target: delivery},
		{name: "file that is a web page", method: "GET", target: delivery, op: gettytest.OpDelivery,
			fault: &gettytest.Fault{Status: 200, Header: http.Header{"Content-Type": {"image/jpeg"}}, Body: "<!DOCTYPE html><html></html>"},
			want:  []contract.Kind{contract.Violation}},
		{name: "file cut short", method: "GET", target: delivery, op: gettytest.OpDelivery,
			fault: &gettytest.Fault{Status: 200, Header: http.Header{"Content-Type": {"image/jpeg"}}, Body: "\xFF\xD8\xFF\xE0 a jpeg of some length", Truncate: true},
			want:  []contract.Kind{contract.Violation}},
	}
	p := startProxy(t, fake.URL, nil)
	p.ErrorLog = discardLog
	// The Transport's client lets Go's transport ask for gzip and decode
	// it, as a Go client does; the proxy's client asks for gzip itself and
	// gets the bytes as sent.
	direct := &http.Client{
		Transport:     contract.NewTransport(nil, newValidator(t)),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	raw := http.DefaultTransport.(*http.Transport).Clone()
	raw.DisableCompression = true
	defer raw.CloseIdleConnections()
	viaProxy := &http.Client{Transport: raw, CheckRedirect: direct.CheckRedirect}
	send := func(c *http.Client, base string, tc int, gzip bool) {
		t.Helper()
		if f := tests[tc].fault; f != nil {
			ff := *f
			ff.Times = 1
			fake.Inject(tests[tc].op, ff)
		}
		req, err := http.NewRequest(tests[tc].method, base+tests[tc].target, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Api-Key", gettytest.APIKey)
		req.Header.Set("Authorization", "Bearer "+token)
		if gzip {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tests[tc].name, err)
		}
		io.Copy(io.Discard, resp.Body) // a cut body ends in an error, judged by both
		resp.Body.Close()
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := direct.Transport.(*contract.Transport)
			tr.Report().Reset()
			send(direct, fake.URL, i, false)
			want := tr.Report().Findings()

			before := len(p.all())
			send(viaProxy, p.URL, i, true)
			xs := waitExchanges(t, p, before+1)
			got := xs[len(xs)-1].Findings

			if !slices.EqualFunc(got, want, func(a, b contract.Finding) bool {
				return a.Kind == b.Kind && a.Pointer == b.Pointer && a.Status == b.Status && a.Message == b.Message &&
					a.Operation == b.Operation && a.InRequest == b.InRequest
			}) {
				t.Errorf("through the proxy:\n%v\nthrough a Transport:\n%v", got, want)
			}
			var kinds []contract.Kind
			for _, f := range got {
				kinds = append(kinds, f.Kind)
			}
			if !slices.Equal(kinds, tt.want) {
				t.Errorf("kinds %v, want %v: %v", kinds, tt.want, got)
			}
		})
	}
}

// heldProxy is a Proxy in front of a fake server whose OnExchange waits
// until free is called, with a client that keeps one connection to it;
// get lists one page through it, giving up after timeout.
type heldProxy struct {
	*contract.Proxy
	ts       *httptest.Server
	free     func()
	reported chan contract.Exchange // the exchanges reported, once free
	get      func(timeout time.Duration) error
}

func newHeldProxy(t *testing.T) *heldProxy {
	t.Helper()
	fake := gettytest.NewServer()
	t.Cleanup(fake.Close)
	u, err := url.Parse(fake.URL)
	if err != nil {
		t.Fatal(err)
	}
	p, err := contract.NewProxy(u, newValidator(t))
	if err != nil {
		t.Fatal(err)
	}
	h := &heldProxy{Proxy: p, reported: make(chan contract.Exchange, 4*runtime.GOMAXPROCS(0)+8)}
	release := make(chan struct{})
	p.OnExchange = func(x contract.Exchange) {
		<-release
		h.reported <- x
	}
	h.ts = httptest.NewServer(p)
	t.Cleanup(h.ts.Close)
	t.Cleanup(p.CloseIdleConnections)
	var once sync.Once
	h.free = func() { once.Do(func() { close(release) }) }
	t.Cleanup(h.free) // runs first: a failing test must not leave the server's handlers held
	tr := &http.Transport{MaxConnsPerHost: 1}
	t.Cleanup(tr.CloseIdleConnections)
	c := &http.Client{Transport: tr}
	token := fake.IssueToken(false)
	h.get = func(timeout time.Duration) error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", h.ts.URL+"/v3/downloads?page_size=2", nil)
		req.Header.Set("Api-Key", gettytest.APIKey)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return h
}

// Judging and reporting are off the client's path: while OnExchange is
// held, a client still gets its answers, one after another on one
// keep-alive connection; the exchanges are then reported in the order they
// ended, and Wait returns once all are.
func TestProxyJudgesOffTheClientsPath(t *testing.T) {
	p := newHeldProxy(t)
	const n = 3
	for i := range n {
		if err := p.get(5 * time.Second); err != nil {
			t.Fatalf("request %d while the report of the first is held: %v", i, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	err := p.Wait(ctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "3 exchange(s)") {
		t.Errorf("Wait while reports are held: %v", err)
	}
	if p.Exchanges() != 0 {
		t.Errorf("Exchanges() = %d before any report", p.Exchanges())
	}
	p.free()
	if err := p.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p.Exchanges() != n {
		t.Errorf("Exchanges() = %d after Wait, want %d", p.Exchanges(), n)
	}
	for i := range n {
		if x := <-p.reported; x.Index != i {
			t.Errorf("report %d is exchange %d", i, x.Index)
		}
	}
}

// A client that leaves before an API response's body has ended: the
// upstream did nothing wrong, and the body is not judged, only its status
// and headers; the exchange says so.
func TestProxyClientLeavesEarly(t *testing.T) {
	big := `{"result_count":1,"downloads":[` + strings.Repeat(`{"id":"x"},`, 200_000) + `{"id":"x"}]}`
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(big[:1024]))
		w.(http.Flusher).Flush()
		<-r.Context().Done() // the rest never comes: the client leaves first
	}))
	defer up.Close()
	p := startProxy(t, up.URL, nil)
	resp, err := http.Get(p.URL + "/v3/downloads")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 512)); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	xs := waitExchanges(t, p, 1)
	fs := xs[0].Findings
	if len(fs) == 0 || fs[len(fs)-1].Kind != contract.NotChecked || !strings.Contains(fs[len(fs)-1].Message, "client closed the connection") {
		t.Errorf("findings: %v", fs)
	}
	for _, f := range fs {
		if f.Kind == contract.Violation && !f.InRequest {
			t.Errorf("a violation for a body the client left: %v", f)
		}
	}
}

// The copies held for judging stay bounded: while OnExchange is held, a
// few exchanges per CPU may end and wait to be reported; the next one to
// end waits too, and its connection serves nothing more until reports move.
func TestProxyBoundsExchangesWaitingToBeReported(t *testing.T) {
	p := newHeldProxy(t)
	// One exchange in OnExchange, the rest waiting behind it: the last of
	// these ends and waits for room, after its response was sent.
	bound := 4 * runtime.GOMAXPROCS(0)
	for i := range bound + 1 {
		if err := p.get(5 * time.Second); err != nil {
			t.Fatalf("request %d of %d: %v", i+1, bound+1, err)
		}
	}
	if err := p.get(200 * time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("with %d exchanges waiting to be reported, the next request on the connection: %v, want it held", bound+1, err)
	}
	p.free()
	if err := p.get(5 * time.Second); err != nil {
		t.Fatalf("once reports move: %v", err)
	}
	p.ts.Close()
	if err := p.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The held request may have been read, and answered to nobody, once
	// reports moved.
	if n := p.Exchanges(); n < bound+2 || n > bound+3 {
		t.Errorf("Exchanges() = %d, want %d or %d", n, bound+2, bound+3)
	}
}
