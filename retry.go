package getty

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// RetryPolicy says how failed requests are retried.
//
// Only requests that cannot spend download quota twice are retried:
//   - GET requests (the listing and the delivery of an image) on a transport
//     error or a 408, 429, 500, 502, 503 or 504 answer or a throttling 403;
//   - the download POST when the gateway throttled it (429, or 403 with
//     X-Error-Detail "Account Over Queries Per Second Limit"): the gateway
//     refused it before any quota was spent;
//   - any request whose connection failed before any of it was written.
//
// The download POST is never retried after any other answer, or after a
// connection failure once it may have reached the server. Nothing is
// retried on the per-day limit (ErrDailyLimit), which does not clear in
// seconds, or on a malformed response, which is not transient. Waits grow
// exponentially from MinBackoff to MaxBackoff with jitter; a Retry-After
// header is honoured up to MaxRetryAfter. Waiting stops as soon as the
// request's context ends.
//
// A zero field takes its default.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts, the first included.
	// Default 4; 1 disables retries.
	MaxAttempts int
	// MinBackoff is the wait before the first retry. Default 250ms.
	MinBackoff time.Duration
	// MaxBackoff caps the wait between attempts. Default 10s.
	MaxBackoff time.Duration
	// MaxRetryAfter caps the Retry-After the client is willing to wait: when
	// the server asks for more, the error is returned at once. Default 60s.
	MaxRetryAfter time.Duration
}

// NoRetry is a RetryPolicy that makes a single attempt.
var NoRetry = RetryPolicy{MaxAttempts: 1}

const (
	defaultMaxAttempts   = 4
	defaultMinBackoff    = 250 * time.Millisecond
	defaultMaxBackoff    = 10 * time.Second
	defaultMaxRetryAfter = 60 * time.Second
)

func (p RetryPolicy) validate() error {
	if p.MaxAttempts < 0 || p.MinBackoff < 0 || p.MaxBackoff < 0 || p.MaxRetryAfter < 0 {
		return errors.New("negative value in RetryPolicy")
	}
	if p.MaxBackoff != 0 && p.MinBackoff > p.MaxBackoff {
		return errors.New("RetryPolicy.MinBackoff exceeds MaxBackoff")
	}
	return nil
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts == 0 {
		p.MaxAttempts = defaultMaxAttempts
	}
	if p.MinBackoff == 0 {
		p.MinBackoff = defaultMinBackoff
	}
	if p.MaxBackoff == 0 {
		p.MaxBackoff = max(defaultMaxBackoff, p.MinBackoff)
	}
	if p.MaxRetryAfter == 0 {
		p.MaxRetryAfter = defaultMaxRetryAfter
	}
	return p
}

// backoff returns the wait before retry number n (1 for the first retry):
// exponential, capped, with "equal jitter" (between half and all of it) so
// that concurrent clients do not retry in lockstep.
func (p RetryPolicy) backoff(n int) time.Duration {
	d := p.MinBackoff
	for i := 1; i < n && d < p.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, p.MaxBackoff)
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// retryableStatus reports whether an answer to an idempotent request is worth
// retrying.
func retryableStatus(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusRequestTimeout, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return gatewayThrottle(resp) == throttledPerSecond
}

// gatewayThrottle classifies a throttling answer by its status and
// X-Error-Detail header, the gateway's own marker; a 403 whose body alone
// mentions a limit could come from the download service and is not taken
// for throttling here.
func gatewayThrottle(resp *http.Response) throttle {
	return throttleKind(resp.StatusCode, resp.Header.Get("X-Error-Detail"), "")
}

// retryAfter parses a Retry-After header (seconds or an HTTP date); ok is
// false when there is none.
func retryAfter(h http.Header, now time.Time) (d time.Duration, ok bool) {
	v := h.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// sleep waits for d or until ctx ends, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// gate holds every API request of a client back while the server throttles
// it: one throttled answer pauses the concurrent requests too, instead of
// letting each of them hit the limit on its own.
type gate struct {
	mu    sync.Mutex
	until time.Time
}

func (g *gate) close(d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t := time.Now().Add(d); t.After(g.until) {
		g.until = t
	}
}

func (g *gate) wait(ctx context.Context) error {
	g.mu.Lock()
	d := time.Until(g.until)
	g.mu.Unlock()
	return sleep(ctx, d)
}

// throttleKey carries a callback the listing iterator uses to learn that the
// server is throttling, so that it can shrink its prefetch window.
type throttleKey struct{}

func onThrottle(ctx context.Context) func() {
	f, _ := ctx.Value(throttleKey{}).(func())
	return f
}
