package bench

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/gettytest"
)

// imageSize is the size of the image the streaming benchmarks download.
func imageSize() int64 {
	if testing.Short() {
		return 8 << 20
	}
	return 256 << 20
}

// newTransport returns a transport of its own for each side of a
// comparison, so that neither reuses the other's connections.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 16
	return t
}

// staticToken is a token the client uses as is, for servers that check
// only that one is present.
func staticToken() *oauth2.Token {
	return &oauth2.Token{AccessToken: "bench-token", TokenType: "Bearer", Expiry: time.Now().Add(24 * time.Hour)}
}

// fakeClient returns a client of the fake server at baseURL, authenticated
// with the client-credentials grant, with extra options appended.
func fakeClient(tb testing.TB, baseURL string, opts ...getty.Option) *getty.Client {
	tb.Helper()
	c, err := getty.New(append([]getty.Option{
		getty.WithAPIKey(gettytest.APIKey),
		getty.WithClientSecret(gettytest.ClientSecret),
		getty.WithBaseURL(baseURL),
		getty.WithTokenURL(baseURL + "/oauth2/token"),
	}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// meter wraps a handler and measures, at the server, how many listing
// requests are in flight at once. With limit > 0 it throttles as Getty's
// gateway does: a listing request that arrives while limit others are
// being served is answered 403 with X-Error-Detail at once.
type meter struct {
	next  http.Handler
	limit int

	mu        sync.Mutex
	inFlight  int // listing requests being served (throttled ones excluded)
	maxIn     int
	arrivals  int
	sumIn     int // in flight at each arrival, the new one included
	throttled int
}

func (m *meter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || r.URL.Path != "/v3/downloads" {
		m.next.ServeHTTP(w, r)
		return
	}
	m.mu.Lock()
	if m.limit > 0 && m.inFlight >= m.limit {
		m.throttled++
		m.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Error-Detail", gettytest.ThrottleDetail)
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"message":"` + gettytest.ThrottleDetail + `"}`))
		return
	}
	m.inFlight++
	m.arrivals++
	m.sumIn += m.inFlight
	m.maxIn = max(m.maxIn, m.inFlight)
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.inFlight--
		m.mu.Unlock()
	}()
	m.next.ServeHTTP(w, r)
}

type meterStats struct {
	MaxInFlight  int
	MeanInFlight float64 // in flight when a request was let in, itself included
	Served       int
	Throttled    int
}

func (m *meter) stats() meterStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := meterStats{MaxInFlight: m.maxIn, Served: m.arrivals, Throttled: m.throttled}
	if m.arrivals > 0 {
		s.MeanInFlight = float64(m.sumIn) / float64(m.arrivals)
	}
	return s
}

func (m *meter) reset() {
	m.mu.Lock()
	m.maxIn, m.arrivals, m.sumIn, m.throttled = 0, 0, 0, 0
	m.mu.Unlock()
}

// meteredFake serves a gettytest fake behind a meter. Its clock is fixed
// at gettytest.DefaultNow, which listOptions' window is built on.
func meteredFake(tb testing.TB, limit int, opts ...gettytest.Option) (*httptest.Server, *meter, *gettytest.Server) {
	tb.Helper()
	fake := gettytest.NewUnstartedServer(append([]gettytest.Option{gettytest.WithNow(gettytest.DefaultNow)}, opts...)...)
	m := &meter{next: fake.Handler(), limit: limit}
	srv := httptest.NewServer(m)
	tb.Cleanup(srv.Close)
	return srv, m, fake
}
