package getty

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// Default deadlines, used unless WithResponseHeaderTimeout or
// WithStallTimeout says otherwise. They bound what a context cannot: a
// server that accepts the request and then says nothing, or a body that
// stops arriving. The whole of a large download is bounded only by the
// caller's context.
const (
	DefaultResponseHeaderTimeout = 60 * time.Second
	DefaultStallTimeout          = 60 * time.Second
)

// ErrTimeout is matched (errors.Is) by every *TimeoutError.
var ErrTimeout = errors.New("getty: timeout")

// TimeoutError reports a request that got no response headers, or whose
// body received no byte, within the client's limit. SaveImage removes its
// temporary file when it happens, as for any other failure.
type TimeoutError struct {
	// Stage is "response headers" or "response body".
	Stage string
	// Limit is the timeout that expired.
	Limit time.Duration
	// URL is the request URL, with signatures and secrets redacted.
	URL string
}

func (e *TimeoutError) Error() string { return "getty: " + e.message() }

func (e *TimeoutError) message() string {
	if e.Stage == stageBody {
		return fmt.Sprintf("%s: no data received for %s (stall timeout)", e.URL, e.Limit)
	}
	return fmt.Sprintf("%s: no response within %s (response header timeout)", e.URL, e.Limit)
}

// Is makes every TimeoutError match ErrTimeout and context.DeadlineExceeded,
// so code that checks for either keeps working.
func (e *TimeoutError) Is(target error) bool {
	return target == ErrTimeout || target == context.DeadlineExceeded
}

// Timeout reports true, as net.Error's Timeout does.
func (e *TimeoutError) Timeout() bool { return true }

const (
	stageHeaders = "response headers"
	stageBody    = "response body"
)

// deadlineTransport bounds the wait for response headers and the silence
// between body bytes, whatever transport the client uses. A zero limit
// disables that bound.
type deadlineTransport struct {
	next          http.RoundTripper
	headerTimeout time.Duration
	stallTimeout  time.Duration
}

func (t *deadlineTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.headerTimeout <= 0 && t.stallTimeout <= 0 {
		return t.next.RoundTrip(req)
	}
	ctx, cancel := context.WithCancelCause(req.Context())
	var timer *time.Timer
	if t.headerTimeout > 0 {
		timer = time.AfterFunc(t.headerTimeout, func() {
			cancel(&TimeoutError{Stage: stageHeaders, Limit: t.headerTimeout, URL: redactURL(req.URL)})
		})
	}
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if timer != nil && !timer.Stop() && err == nil {
		// The timer fired as the headers arrived: the request is
		// cancelled, so its body could not be read.
		resp.Body.Close()
		err = context.Cause(ctx)
	}
	if err != nil {
		cause := context.Cause(ctx)
		cancel(nil)
		var te *TimeoutError
		if errors.As(cause, &te) {
			return nil, te
		}
		return nil, err
	}
	if t.stallTimeout <= 0 {
		resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
		return resp, nil
	}
	resp.Body = newStallReader(resp.Body, ctx, cancel, t.stallTimeout, redactURL(req.URL))
	return resp, nil
}

// cancelOnClose releases the request's context when the body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelCauseFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel(nil)
	return err
}

// stallReader cancels the request when no byte arrives for limit, and then
// reports a *TimeoutError instead of the transport's cancellation error.
type stallReader struct {
	rc     io.ReadCloser
	ctx    context.Context
	cancel context.CancelCauseFunc
	timer  *time.Timer
	limit  time.Duration

	mu     sync.Mutex
	closed bool
}

func newStallReader(rc io.ReadCloser, ctx context.Context, cancel context.CancelCauseFunc, limit time.Duration, url string) *stallReader {
	s := &stallReader{rc: rc, ctx: ctx, cancel: cancel, limit: limit}
	s.timer = time.AfterFunc(limit, func() {
		cancel(&TimeoutError{Stage: stageBody, Limit: limit, URL: url})
	})
	return s
}

func (s *stallReader) Read(p []byte) (int, error) {
	n, err := s.rc.Read(p)
	if n > 0 {
		s.timer.Reset(s.limit)
	}
	if err != nil && err != io.EOF {
		var te *TimeoutError
		if errors.As(context.Cause(s.ctx), &te) {
			return n, te
		}
	}
	return n, err
}

func (s *stallReader) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.timer.Stop()
	err := s.rc.Close()
	s.cancel(nil)
	return err
}
