package gettytest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// Limits that bound what a Server holds in memory, and for how long. The
// request bodies of the API are small (a token form, a download's JSON
// details: well under 1 KiB), so a body is read whole before it is
// validated; these limits keep clients that send huge, many or stalled
// bodies from making the fake buffer them all. Requests in flight then hold
// at most DefaultMaxConcurrentBodies buffers of DefaultMaxRequestBody bytes
// (16 of 64 KiB, 1 MiB, each allocated once per slot and reused) plus what validating
// them copies (a few times their size), and a few KiB per connection.
//
// Measured with 200 clients at once, in the same process as the fake
// (TestMemoryBoundUnderHugeBodies): the heap in use peaks 9-14 MiB over its
// idle size when each sends a 50 MB body, chunked or with its length
// declared, and 26-36 MiB when each sends a body of the largest size
// accepted, which is validated; the test fails above 64 MiB. Before these
// limits, 200 bodies of 50 MB took it to 1.4-1.6 GiB (2.3 GB of process
// memory): the validator buffered up to 8 MiB of each.
const (
	// DefaultMaxRequestBody is the largest request body a Server accepts
	// unless told otherwise with [WithMaxRequestBody].
	DefaultMaxRequestBody = 64 << 10
	// DefaultMaxConcurrentBodies is how many requests with a body a
	// Server reads and handles at once unless told otherwise with
	// [WithMaxConcurrentBodies].
	DefaultMaxConcurrentBodies = 16
	// DefaultReadTimeout is how long a Server waits for a request's
	// headers, and then for its body, unless told otherwise with
	// [WithReadTimeout].
	DefaultReadTimeout = 10 * time.Second
)

// WithMaxRequestBody sets the largest request body the server accepts
// (default [DefaultMaxRequestBody]). A request declaring a bigger
// Content-Length is answered 413 at once, without reading its body; a
// chunked one is answered 413 as soon as it goes over, having read little
// more than n bytes of it. The connection is closed after either.
func WithMaxRequestBody(n int64) Option {
	if n <= 0 {
		panic(fmt.Sprintf("gettytest: WithMaxRequestBody(%d): size must be positive", n))
	}
	return func(c *config) { c.maxBody = n }
}

// WithMaxConcurrentBodies sets how many requests with a body the server
// reads and handles at once (default [DefaultMaxConcurrentBodies]): each
// holds a slot from before its body is read until it is answered. Further
// requests with a body wait for a slot (their bodies wait unread in the
// connection, costing the server nothing) rather than get 503, so that
// tests with many concurrent clients see no spurious failure; each slot is
// held at most [WithReadTimeout] plus the handling of a read body, so the
// wait is bounded too. Requests without a body, such as listings and image
// deliveries, need no slot: their validation reads only the URL and the
// headers.
func WithMaxConcurrentBodies(n int) Option {
	if n <= 0 {
		panic(fmt.Sprintf("gettytest: WithMaxConcurrentBodies(%d): need at least one", n))
	}
	return func(c *config) { c.maxConcurrent = n }
}

// WithReadTimeout sets how long the server waits for a request's body once
// it starts reading it, and for the headers of a request on a connection of
// a started Server (default [DefaultReadTimeout]). A body not received in
// time is answered 408 and its connection closed: a client that stalls
// after the headers does not hold a connection, or a slot of
// [WithMaxConcurrentBodies], for ever. The body's deadline is set with
// http.ResponseController, so it holds under any http.Server that serves
// [Server.Handler] too.
func WithReadTimeout(d time.Duration) Option {
	if d <= 0 {
		panic(fmt.Sprintf("gettytest: WithReadTimeout(%v): must be positive", d))
	}
	return func(c *config) { c.readTimeout = d }
}

// idleTimeout closes keep-alive connections of a started Server that send
// nothing: their next request's header timeout only starts with its first
// byte.
const idleTimeout = time.Minute

// hasBody reports whether r comes with a body to read.
func hasBody(r *http.Request) bool {
	return r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody
}

// readBody reads r's body, within the limits, into memory and puts it back
// as a bytes.Reader, so that validation and handling read it from there. It
// waits for a slot first; the caller must call release once it has
// answered, when ok. When not ok, readBody has answered (413, 408, 400) or
// the client has gone.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request) (release func(), ok bool) {
	rc := http.NewResponseController(w)
	// The deadline also bounds what net/http reads after the handler, to
	// drain a body the handler did not read: a 413 sent unread.
	_ = rc.SetReadDeadline(time.Now().Add(h.cfg.readTimeout))
	if r.ContentLength > h.cfg.maxBody {
		w.Header().Set("Connection", "close")
		h.tooLarge(w)
		return nil, false
	}
	var buf []byte
	select {
	case buf = <-h.slots:
	case <-r.Context().Done():
		return nil, false
	}
	release = func() { h.slots <- buf[:0] }
	// The wait for a slot does not count against the body's time.
	_ = rc.SetReadDeadline(time.Now().Add(h.cfg.readTimeout))
	buf, err := readInto(buf, http.MaxBytesReader(w, r.Body, h.cfg.maxBody), r.ContentLength, h.cfg.maxBody)
	var tooBig *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &tooBig):
		h.tooLarge(w)
	case errors.As(err, &ne) && ne.Timeout():
		w.Header().Set("Connection", "close")
		apiError(w, http.StatusRequestTimeout, "RequestTimeout",
			fmt.Sprintf("the request body did not arrive within %v (the fake server's read timeout, gettytest.WithReadTimeout)", h.cfg.readTimeout))
	case err != nil:
		w.Header().Set("Connection", "close")
		apiError(w, http.StatusBadRequest, "InvalidRequest", "reading the request body: "+err.Error())
	default:
		// Read whole: no deadline for what follows (net/http watches the
		// connection for the client going away, and a deadline there
		// would end the request's context).
		_ = rc.SetReadDeadline(time.Time{})
		data := buf
		r.Body = io.NopCloser(bytes.NewReader(data))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
		r.ContentLength = int64(len(data))
		return release, true
	}
	release()
	return nil, false
}

// readInto reads body into buf, growing it to at most limit bytes, and
// returns it. The buffer belongs to a slot and is kept for the slot's next
// request: it is allocated once per slot, not once per request, so that
// huge bodies sent over and over leave no garbage behind. body is an
// http.MaxBytesReader of limit bytes: it fails once a body goes over.
func readInto(buf []byte, body io.Reader, declared, limit int64) ([]byte, error) {
	if declared > int64(cap(buf)) {
		buf = make([]byte, 0, declared)
	}
	for {
		if len(buf) == cap(buf) {
			// Full: grow, or read on at limit to see the body end
			// (io.EOF) or go over (*http.MaxBytesError).
			size := min(max(2*int64(cap(buf)), 512), limit)
			if size == int64(cap(buf)) {
				var one [1]byte
				if _, err := body.Read(one[:]); err != nil {
					if errors.Is(err, io.EOF) {
						return buf, nil
					}
					return buf, err
				}
				continue // unreachable with a MaxBytesReader at limit
			}
			nb := make([]byte, len(buf), size)
			copy(nb, buf)
			buf = nb
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

func (h *handler) tooLarge(w http.ResponseWriter) {
	apiError(w, http.StatusRequestEntityTooLarge, "RequestTooLarge",
		fmt.Sprintf("the request body is bigger than %d bytes, the fake server's limit (gettytest.WithMaxRequestBody)", h.cfg.maxBody))
}
