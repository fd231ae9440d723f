package getty

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

func TestPOSTNotRetriedOnceItReachedTheServer(t *testing.T) {
	tests := []struct {
		name    string
		handler func(t *testing.T, w http.ResponseWriter)
	}{
		{"connection dropped after reading", func(t *testing.T, w http.ResponseWriter) { hangUp(t, w) }},
		{"503", func(t *testing.T, w http.ResponseWriter) {
			writeJSON(w, 503, map[string]string{"message": "Service Unavailable"})
		}},
		{"429", func(t *testing.T, w http.ResponseWriter) {
			writeJSON(w, 429, map[string]string{"message": "Too Many Requests"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var posts atomic.Int64
			mux := http.NewServeMux()
			mux.HandleFunc("POST /api/v3/downloads/images/{id}", func(w http.ResponseWriter, r *http.Request) {
				posts.Add(1)
				_, _ = io.ReadAll(r.Body) // the server has the whole request
				tt.handler(t, w)
			})
			_, base := newAPI(t, mux)
			c := newClient(t, base)
			for _, call := range []func() error{
				func() error {
					_, err := c.DownloadURL(t.Context(), "42", &DownloadOptions{ProjectCode: "p"})
					return err
				},
				func() error { _, err := c.OpenImage(t.Context(), "42", nil); return err },
			} {
				posts.Store(0)
				if err := call(); err == nil {
					t.Fatal("no error")
				}
				if n := posts.Load(); n != 1 {
					t.Errorf("the POST was sent %d times, want 1", n)
				}
			}
		})
	}
}

// dialFailOnce fails the first request as if the connection could not be
// established, then behaves like next.
type dialFailOnce struct {
	next   http.RoundTripper
	failed atomic.Bool
}

func (d *dialFailOnce) RoundTrip(r *http.Request) (*http.Response, error) {
	if d.failed.CompareAndSwap(false, true) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	}
	return d.next.RoundTrip(r)
}

func TestPOSTRetriedWhenNotConnected(t *testing.T) {
	var posts atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v3/downloads/images/{id}", func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		writeJSON(w, 200, map[string]string{"uri": "https://delivery.example/x"})
	})
	_, base := newAPI(t, mux)
	c := newClient(t, base, WithToken(validToken()), WithTransport(&dialFailOnce{next: http.DefaultTransport}))
	if _, err := c.DownloadURL(t.Context(), "42", nil); err != nil {
		t.Fatal(err)
	}
	if posts.Load() != 1 {
		t.Errorf("%d POSTs reached the server, want 1", posts.Load())
	}
}

func TestGETRetried(t *testing.T) {
	tests := []struct {
		name   string
		fail   func(t *testing.T, w http.ResponseWriter)
		policy RetryPolicy
		fails  int // failures before success
		want   int // requests expected
		ok     bool
	}{
		{"503 then success", func(t *testing.T, w http.ResponseWriter) { w.WriteHeader(503) }, fastRetry, 1, 2, true},
		{"502 html twice", func(t *testing.T, w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			_, _ = io.WriteString(w, "<html>bad gateway</html>")
		}, fastRetry, 2, 3, true},
		{"dropped connection", func(t *testing.T, w http.ResponseWriter) { hangUp(t, w) }, fastRetry, 1, 2, true},
		{"throttling 403", func(t *testing.T, w http.ResponseWriter) {
			w.Header().Set("X-Error-Detail", "Account Over Queries Per Second Limit")
			writeJSON(w, 403, map[string]string{"message": "Forbidden"})
		}, fastRetry, 1, 2, true},
		{"attempts exhausted", func(t *testing.T, w http.ResponseWriter) { w.WriteHeader(503) },
			RetryPolicy{MaxAttempts: 3, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}, 10, 3, false},
		{"no retry", func(t *testing.T, w http.ResponseWriter) { w.WriteHeader(503) }, NoRetry, 10, 1, false},
		{"400 not retried", func(t *testing.T, w http.ResponseWriter) {
			writeJSON(w, 400, map[string]string{"ErrorCode": "InvalidPage"})
		}, fastRetry, 10, 1, false},
		{"quota 403 not retried", func(t *testing.T, w http.ResponseWriter) {
			writeJSON(w, 403, map[string]string{"ErrorCode": "OverageLimitReached"})
		}, fastRetry, 10, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int64
			mux := http.NewServeMux()
			mux.HandleFunc("GET /api/v3/downloads", func(w http.ResponseWriter, r *http.Request) {
				if int(n.Add(1)) <= tt.fails {
					tt.fail(t, w)
					return
				}
				writeJSON(w, 200, map[string]any{"result_count": 1, "downloads": []any{map[string]any{"id": "1", "date_downloaded": "2026-01-01T00:00:00Z"}}})
			})
			_, base := newAPI(t, mux)
			c := newClient(t, base, WithToken(validToken()), WithRetry(tt.policy))
			pg, err := c.ListDownloads(t.Context(), nil)
			if tt.ok && (err != nil || len(pg.Downloads) != 1) {
				t.Fatalf("ListDownloads: %v", err)
			}
			if !tt.ok && err == nil {
				t.Fatal("no error")
			}
			if got := int(n.Load()); got != tt.want {
				t.Errorf("%d requests, want %d", got, tt.want)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter string
		maxWait    time.Duration
		wantReqs   int
		minElapsed time.Duration
	}{
		{"honoured", "1", 5 * time.Second, 2, time.Second},
		{"above the cap: give up at once", "120", time.Second, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int64
			mux := http.NewServeMux()
			mux.HandleFunc("GET /api/v3/downloads", func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 {
					w.Header().Set("Retry-After", tt.retryAfter)
					writeJSON(w, 429, map[string]string{"message": "slow down"})
					return
				}
				writeJSON(w, 200, map[string]any{"result_count": 0})
			})
			_, base := newAPI(t, mux)
			c := newClient(t, base, WithToken(validToken()),
				WithRetry(RetryPolicy{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxRetryAfter: tt.maxWait}))
			start := time.Now()
			_, err := c.ListDownloads(t.Context(), nil)
			elapsed := time.Since(start)
			if int(n.Load()) != tt.wantReqs {
				t.Errorf("%d requests, want %d", n.Load(), tt.wantReqs)
			}
			if elapsed < tt.minElapsed {
				t.Errorf("returned after %v, want at least %v", elapsed, tt.minElapsed)
			}
			if tt.wantReqs == 1 {
				var apiErr *APIError
				if !errors.As(err, &apiErr) || apiErr.RetryAfter != 120*time.Second || !errors.Is(err, ErrRateLimited) {
					t.Errorf("err = %v", err)
				}
				if elapsed > 500*time.Millisecond {
					t.Errorf("took %v to give up", elapsed)
				}
			} else if err != nil {
				t.Error(err)
			}
		})
	}
}

func TestCancelStopsBackoff(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v3/downloads", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(503)
	})
	_, base := newAPI(t, mux)
	c := newClient(t, base, WithToken(validToken()),
		WithRetry(RetryPolicy{MaxAttempts: 5, MinBackoff: time.Minute, MaxBackoff: time.Minute}))
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.ListDownloads(ctx, nil)
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("cancel took %v to stop the backoff", elapsed)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 {
		t.Errorf("err = %v does not carry the last 503", err)
	}
}

func TestBackoff(t *testing.T) {
	p := RetryPolicy{MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}.withDefaults()
	for n, base := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		base *= time.Millisecond
		for range 50 {
			d := p.backoff(n + 1)
			if d < base/2 || d > base {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", n+1, d, base/2, base)
			}
		}
	}
	d := RetryPolicy{}.withDefaults()
	if d.MaxAttempts != 4 || d.MinBackoff != 250*time.Millisecond || d.MaxBackoff != 10*time.Second || d.MaxRetryAfter != time.Minute {
		t.Errorf("defaults = %+v", d)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{now.Add(10 * time.Second).Format(http.TimeFormat), 10 * time.Second, true},
		{now.Add(-10 * time.Second).Format(http.TimeFormat), 0, true},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.in != "" {
			h.Set("Retry-After", tt.in)
		}
		got, ok := retryAfter(h, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
