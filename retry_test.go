package getty

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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
		{"500", func(t *testing.T, w http.ResponseWriter) {
			writeJSON(w, 500, map[string]string{"ErrorCode": "SystemError"})
		}},
		{"403 quota exhausted", func(t *testing.T, w http.ResponseWriter) {
			writeJSON(w, 403, map[string]string{"ErrorCode": "OverageLimitReached", "ErrorMessage": "limit"})
		}},
		{"403 no access to product type", func(t *testing.T, w http.ResponseWriter) {
			writeJSON(w, 403, map[string]string{"ErrorCode": "NoAccessToProductType"})
		}},
		{"403 without the gateway's throttling header", func(t *testing.T, w http.ResponseWriter) {
			writeJSON(w, 403, map[string]string{"message": "Forbidden"})
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
				// The alternative is waiting the 120 s the server asked for.
				if elapsed > 5*time.Second {
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

// throttlePOST answers a download POST as the gateway does when throttling
// the account per second: 429, or 403 with X-Error-Detail.
func throttlePOST(w http.ResponseWriter, status int, retryAfter string) {
	w.Header().Set("X-Error-Detail", "Account Over Queries Per Second Limit")
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	writeJSON(w, status, map[string]string{"message": "Account Over Queries Per Second Limit"})
}

func TestThrottledPOSTRetried(t *testing.T) {
	// The gateway throttles the first three POSTs, alternating 429 and 403;
	// the fourth reaches the download service, which spends one download.
	answers := []int{429, 403, 429}
	var posts, downloads atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v3/downloads/images/{id}", func(w http.ResponseWriter, r *http.Request) {
		n := int(posts.Add(1))
		if body, _ := io.ReadAll(r.Body); string(body) != `{"download_notes":"n"}` {
			t.Errorf("POST %d: body %q", n, body)
		}
		if n <= len(answers) {
			throttlePOST(w, answers[n-1], "")
			return
		}
		downloads.Add(1)
		writeJSON(w, 200, map[string]string{"uri": "https://delivery.example/x.jpg"})
	})
	_, base := newAPI(t, mux)
	c := newClient(t, base) // fastRetry: 4 attempts
	uri, err := c.DownloadURL(t.Context(), "42", &DownloadOptions{Notes: "n"})
	if err != nil || uri != "https://delivery.example/x.jpg" {
		t.Fatalf("DownloadURL = %q, %v", uri, err)
	}
	if posts.Load() != 4 || downloads.Load() != 1 {
		t.Errorf("%d POSTs and %d downloads, want 4 and 1", posts.Load(), downloads.Load())
	}
}

func TestThrottledPOSTRetryAfter(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter string
		wantPOSTs  int64
	}{
		{"within the cap: waited for", "1", 2},
		{"above the cap: returned at once", "120", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var posts atomic.Int64
			var mu sync.Mutex
			var arrivals []time.Time
			mux := http.NewServeMux()
			mux.HandleFunc("POST /api/v3/downloads/images/{id}", func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				arrivals = append(arrivals, time.Now())
				mu.Unlock()
				if posts.Add(1) == 1 {
					throttlePOST(w, 429, tt.retryAfter)
					return
				}
				writeJSON(w, 200, map[string]string{"uri": "https://delivery.example/x.jpg"})
			})
			_, base := newAPI(t, mux)
			c := newClient(t, base, WithToken(validToken()),
				WithRetry(RetryPolicy{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxRetryAfter: 5 * time.Second}))
			_, err := c.DownloadURL(t.Context(), "42", nil)
			if posts.Load() != tt.wantPOSTs {
				t.Fatalf("%d POSTs, want %d", posts.Load(), tt.wantPOSTs)
			}
			if tt.wantPOSTs == 1 {
				var apiErr *APIError
				if !errors.As(err, &apiErr) || apiErr.RetryAfter != 120*time.Second || !errors.Is(err, ErrRateLimited) {
					t.Errorf("err = %v, want the 429 with its Retry-After", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// The server saw the second POST no sooner than it asked.
			if gap := arrivals[1].Sub(arrivals[0]); gap < 900*time.Millisecond {
				t.Errorf("the POST was resent %v after a Retry-After of 1s", gap)
			}
		})
	}
}

func TestDailyLimitNotRetried(t *testing.T) {
	for _, status := range []int{403, 429} {
		for _, method := range []string{"GET", "POST"} {
			t.Run(fmt.Sprintf("%s %d", method, status), func(t *testing.T) {
				var n atomic.Int64
				daily := func(w http.ResponseWriter, r *http.Request) {
					n.Add(1)
					w.Header().Set("X-Error-Detail", "Account Over Rate Limit")
					writeJSON(w, status, map[string]string{"message": "Account Over Rate Limit"})
				}
				mux := http.NewServeMux()
				mux.HandleFunc("GET /api/v3/downloads", daily)
				mux.HandleFunc("POST /api/v3/downloads/images/{id}", daily)
				_, base := newAPI(t, mux)
				c := newClient(t, base)
				var err error
				if method == "GET" {
					_, err = c.ListDownloads(t.Context(), nil)
				} else {
					_, err = c.DownloadURL(t.Context(), "42", nil)
				}
				if n.Load() != 1 {
					t.Errorf("%d requests, want 1: the per-day limit is not waited on", n.Load())
				}
				if !errors.Is(err, ErrDailyLimit) || !errors.Is(err, ErrRateLimited) || errors.Is(err, ErrForbidden) {
					t.Errorf("err = %v, want ErrDailyLimit and ErrRateLimited, not ErrForbidden", err)
				}
				var apiErr *APIError
				if !errors.As(err, &apiErr) || apiErr.Temporary() {
					t.Errorf("err = %v: an *APIError that is not Temporary expected", err)
				}
				if msg := err.Error(); !strings.Contains(msg, "per-day") || !strings.Contains(msg, "does not clear in seconds") {
					t.Errorf("Error() = %q does not say the per-day limit does not clear in seconds", msg)
				}
				// No other request of the client is held back by it.
				c.throttle.mu.Lock()
				until := c.throttle.until
				c.throttle.mu.Unlock()
				if !until.IsZero() {
					t.Errorf("the per-day limit holds the client's requests back until %v", until)
				}
			})
		}
	}
}

func TestDroppedPOSTSaysItMayBeCharged(t *testing.T) {
	var posts atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v3/downloads/images/{id}", func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		_, _ = io.ReadAll(r.Body)
		hangUp(t, w)
	})
	_, base := newAPI(t, mux)
	c := newClient(t, base)
	for name, call := range map[string]func() error{
		"DownloadURL": func() error { _, err := c.DownloadURL(t.Context(), "42", nil); return err },
		"OpenImage":   func() error { _, err := c.OpenImage(t.Context(), "42", nil); return err },
	} {
		posts.Store(0)
		err := call()
		if err == nil {
			t.Fatalf("%s: no error", name)
		}
		msg := err.Error()
		for _, want := range []string{"may already be charged", "getty downloads list", "ListDownloads"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: error %q lacks %q", name, msg, want)
			}
		}
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s: error %q does not wrap the transport's EOF", name, msg)
		}
		if posts.Load() != 1 {
			t.Errorf("%s: %d POSTs, want 1", name, posts.Load())
		}
	}
}

func TestUnsentPOSTIsNotSaidCharged(t *testing.T) {
	mux := http.NewServeMux()
	_, base := newAPI(t, mux)
	c := newClient(t, base, WithToken(validToken()), WithRetry(NoRetry),
		WithTransport(&dialFailOnce{next: http.DefaultTransport}))
	_, err := c.DownloadURL(t.Context(), "42", nil)
	if err == nil || strings.Contains(err.Error(), "charged") {
		t.Errorf("err = %v: a POST that never left says nothing of a charge", err)
	}
}

// rawAnswer hijacks the connection, writes raw as the response and closes
// the connection.
func rawAnswer(t *testing.T, w http.ResponseWriter, raw string) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		t.Error("response writer cannot be hijacked")
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		t.Error(err)
		return
	}
	defer conn.Close()
	_, _ = buf.WriteString(raw)
	_ = buf.Flush()
}

const okPage = `{"result_count":0,"downloads":[]}`

func TestMalformedResponseNotRetried(t *testing.T) {
	tests := []struct {
		name string
		raw  string
	}{
		{"bad Content-Length", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12x\r\n\r\n" + okPage},
		{"header line without a colon", "HTTP/1.1 200 OK\r\nContent-Type application/json\r\nContent-Length: 2\r\n\r\n{}"},
		{"two Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"},
		{"malformed status line", "HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\n{}"},
		{"unsupported transfer encoding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gets, posts atomic.Int64
			mux := http.NewServeMux()
			mux.HandleFunc("GET /api/v3/downloads", func(w http.ResponseWriter, r *http.Request) {
				gets.Add(1)
				rawAnswer(t, w, tt.raw)
			})
			mux.HandleFunc("POST /api/v3/downloads/images/{id}", func(w http.ResponseWriter, r *http.Request) {
				posts.Add(1)
				rawAnswer(t, w, tt.raw)
			})
			_, base := newAPI(t, mux)
			c := newClient(t, base) // fastRetry: 4 attempts

			_, err := c.ListDownloads(t.Context(), nil)
			if err == nil || !strings.Contains(err.Error(), "malformed response, not retried") {
				t.Errorf("GET: err = %v, want it named a malformed response", err)
			}
			if gets.Load() != 1 {
				t.Errorf("the GET was sent %d times, want 1", gets.Load())
			}

			_, err = c.DownloadURL(t.Context(), "42", nil)
			if err == nil || !strings.Contains(err.Error(), "malformed response") || !strings.Contains(err.Error(), "may already be charged") {
				t.Errorf("POST: err = %v, want a malformed response that may have been charged", err)
			}
			if posts.Load() != 1 {
				t.Errorf("the POST was sent %d times, want 1", posts.Load())
			}
		})
	}
}

func TestBrokenResponseStillRetried(t *testing.T) {
	// The connection closed at the end of a line of the headers: a
	// connection that broke, which a retry may not meet again. (Cut within a
	// line, net/http reports the partial line as malformed: that is not
	// retried.)
	for name, raw := range map[string]string{
		"after the status line": "HTTP/1.1 200 OK\r\n",
		"after a header":        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			var n atomic.Int64
			mux := http.NewServeMux()
			mux.HandleFunc("GET /api/v3/downloads", func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 {
					rawAnswer(t, w, raw)
					return
				}
				writeJSON(w, 200, map[string]any{"result_count": 0})
			})
			_, base := newAPI(t, mux)
			c := newClient(t, base)
			if _, err := c.ListDownloads(t.Context(), nil); err != nil {
				t.Fatal(err)
			}
			if n.Load() != 2 {
				t.Errorf("%d requests, want 2", n.Load())
			}
		})
	}
}

func TestMalformedResponseClassification(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		answered bool
		want     bool
	}{
		{"reset after the first byte", &net.OpError{Op: "read", Err: syscall.ECONNRESET}, true, false},
		{"EOF within the headers", io.ErrUnexpectedEOF, true, false},
		{"header timeout", &url.Error{Op: "Get", Err: timeoutErr{}}, true, false},
		{"bad Content-Length", fmt.Errorf("bad Content-Length %q", "x"), true, true},
		{"header line", &url.Error{Op: "Get", Err: textproto.ProtocolError("malformed MIME header line")}, false, true},
		{"no answer at all", errors.New("something"), false, false},
	}
	for _, tt := range tests {
		if got := malformedResponse(tt.err, tt.answered); got != tt.want {
			t.Errorf("%s: malformedResponse = %v, want %v", tt.name, got, tt.want)
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "timeout awaiting response headers" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestPOSTCanceledAfterSendingSaysItMayBeCharged(t *testing.T) {
	received := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v3/downloads/images/{id}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		close(received)
		<-r.Context().Done() // the client gives up before the answer
	})
	_, base := newAPI(t, mux)
	c := newClient(t, base)
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-received
		cancel()
	}()
	_, err := c.DownloadURL(ctx, "42", nil)
	if !errors.Is(err, context.Canceled) || !strings.Contains(fmt.Sprint(err), "may already be charged") {
		t.Errorf("err = %v, want context.Canceled and that the download may be charged", err)
	}

	// Canceled before anything was sent: nothing to check.
	ctx, cancel = context.WithCancel(t.Context())
	cancel()
	_, err = c.DownloadURL(ctx, "42", nil)
	if !errors.Is(err, context.Canceled) || strings.Contains(fmt.Sprint(err), "charged") {
		t.Errorf("err = %v, want context.Canceled alone", err)
	}
}
