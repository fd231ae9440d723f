package contract

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/routers"
	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"
)

// Proxy is a reverse proxy that judges the traffic of any client against
// the spec: point the client at it instead of the API, in any language. It
// forwards every request to its upstream and every response back to the
// client as they come, and judges each exchange with the checks of a
// [Transport], as the Go tests of this module do: violations, drift, and
// the bytes and length of binary files.
//
//   - Judging is off the client's path. Bodies stream to the client as
//     they come from the upstream; the proxy keeps a copy of an API
//     response's body (up to the validator's size limit) and validates it
//     once the client has it, while the client goes on. An image is
//     checked as it passes and never held in memory (only a [Recorder]
//     keeps a copy of a body, up to the size limit).
//   - Redirects are never followed: a 303 and its Location reach the client
//     untouched, and the file it names is seen only if the client fetches
//     it through the proxy too.
//   - Requests go upstream as the client sent them, with the upstream's
//     host, the usual hop-by-hop headers of a proxy removed, and one
//     change: encodings the proxy cannot decode to validate (br, zstd) are
//     dropped from Accept-Encoding. A gzip or deflate response reaches the
//     client as the upstream sent it and is validated decoded.
//
// An exchange ends when its response body has been sent (or the client or
// the upstream gave up). It is then judged, and OnExchange gets it with its
// findings. Exchanges that got a response are numbered from 0 in the order
// they end, which is their order in the recording. A request the upstream
// did not answer gets 502 Bad Gateway and is reported with Exchange.Err.
// If the client leaves before an API response's body has ended, the body
// is not validated: the exchange gets a [NotChecked] finding instead.
//
// Set the fields before the Proxy serves its first request, and call
// [Proxy.Wait] after serving stops, before reading the Report or closing
// the Recorder. A Proxy is safe for concurrent use.
type Proxy struct {
	// Transport sends requests upstream; nil means a transport like
	// http.DefaultTransport that keeps more idle connections per host and
	// never asks for compression itself. It must not follow redirects
	// (no http.RoundTripper does).
	Transport http.RoundTripper
	// OnExchange, if not nil, is called once each exchange has ended and
	// been judged, one call at a time, in the order the exchanges ended.
	// It should return promptly: while it runs the next reports wait, and
	// when a few per CPU are waiting, the next exchange to end waits too.
	OnExchange func(Exchange)
	// Recorder, if not nil, records every exchange that got a response,
	// and the findings are labelled with its path and the exchange's
	// place in it, as checking the recording labels them.
	Recorder *Recorder
	// ErrorLog logs what the proxy cannot report otherwise (a failed
	// recording, a response cut short); nil means the log package's
	// standard logger.
	ErrorLog *log.Logger

	upstream *url.URL
	v        *Validator
	rp       *httputil.ReverseProxy
	base     *http.Transport
	report   Report
	// judging bounds the exchanges ended and not yet reported, each
	// holding a copy of its body: an exchange that ends while it is full
	// waits, so memory stays bounded when judging falls behind the
	// traffic.
	judging chan struct{}
	// copies holds the buffers of body copies judged and reported, for
	// the next ones: a proxy keeping a copy of every page it passes on
	// would otherwise make most of its garbage with them.
	copies sync.Pool

	mu      sync.Mutex // guards the counts below
	idle    sync.Cond  // signalled when pending drops to 0
	pending int        // exchanges begun and not yet reported
	ended   int        // exchanges ended: the next one's place in line
	next    int        // exchanges with a response ended: the next one's Index
	done    int        // exchanges with a response reported

	rmu      sync.Mutex // serializes reporting, in the order exchanges ended
	reported int        // place in line of the next exchange to report
	judged   map[int]*exchange
}

// NewProxy returns a Proxy that forwards to upstream, an absolute http or
// https URL (a path in it prefixes every request's), and judges with v. A
// nil v means a Validator for the embedded spec, routing under upstream's
// path; a Validator given for an upstream with a path needs
// [WithBasePath] with it.
func NewProxy(upstream *url.URL, v *Validator) (*Proxy, error) {
	if upstream == nil || (upstream.Scheme != "http" && upstream.Scheme != "https") || upstream.Host == "" {
		return nil, fmt.Errorf("contract: proxy upstream %v: want an absolute http or https URL", upstream)
	}
	if v == nil {
		var err error
		if v, err = NewValidator(nil, WithBasePath(upstream.Path)); err != nil {
			return nil, err
		}
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.DisableCompression = true // forward Accept-Encoding as the client sent it
	base.MaxIdleConnsPerHost = 64
	p := &Proxy{
		upstream: upstream, v: v, base: base,
		judging: make(chan struct{}, 4*runtime.GOMAXPROCS(0)),
		judged:  map[int]*exchange{},
	}
	p.idle.L = &p.mu
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(p.upstream)
			narrowAcceptEncoding(pr.Out.Header)
		},
		Transport:     roundTripperFunc(p.roundTrip),
		FlushInterval: -1, // send every write at once: the client sees bytes as the upstream sends them
		BufferPool:    bufferPool{},
		ErrorHandler:  p.upstreamError,
		ErrorLog:      log.New(logWriter{p}, "", 0),
	}
	return p, nil
}

// logWriter sends the ReverseProxy's own log lines to the Proxy's ErrorLog.
type logWriter struct{ p *Proxy }

func (w logWriter) Write(b []byte) (int, error) {
	w.p.logf("contract proxy: %s", strings.TrimSuffix(string(b), "\n"))
	return len(b), nil
}

// Report returns every finding of the exchanges reported so far.
func (p *Proxy) Report() *Report { return &p.report }

// Exchanges returns how many exchanges that got a response have been
// reported.
func (p *Proxy) Exchanges() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done
}

// Wait blocks until every exchange the proxy has begun has ended and been
// reported, or ctx is done. Call it after the server stops serving (after
// http.Server.Shutdown, say): exchanges still coming in keep it waiting.
func (p *Proxy) Wait(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.idle.Broadcast()
	})
	defer stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.pending > 0 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("contract: %d exchange(s) of the proxy not reported: %w", p.pending, err)
		}
		p.idle.Wait()
	}
	return nil
}

// CloseIdleConnections closes the idle connections of the default
// transport (a Transport set by the caller is the caller's).
func (p *Proxy) CloseIdleConnections() { p.base.CloseIdleConnections() }

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type bufferPool struct{}

var buffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (bufferPool) Get() []byte  { return *buffers.Get().(*[]byte) }
func (bufferPool) Put(b []byte) { buffers.Put(&b) }

// exchange is what the proxy learns about one exchange as it goes, and
// then what judging it found.
type exchange struct {
	start    time.Time
	duration time.Duration
	method   string
	path     string
	status   int
	err      error
	seq      int // place in the order the exchanges ended
	index    int // Exchange.Index

	// What the checks of a Transport need, gathered on the way.
	req      *http.Request // the request as sent upstream, body aside
	route    *routers.Route
	params   map[string]string
	early    []Finding // the route's
	reqData  []byte    // an API call's request body, read before sending
	reqOver  bool
	reqErr   error
	reqBody  *capture       // a copy of the request's body, for the recording
	resp     *http.Response // status and headers as received, body aside
	respBody *capture       // a copy of the body as sent; nil when not kept
	binary   Report         // the streamed checks of a file
	// compressed is the response's Content-Encoding when the proxy
	// decodes the body to judge and record it (gzip, deflate); decoded is
	// the body decoded, or decodeErr why it could not be.
	compressed string
	decoded    []byte
	decodeErr  error

	findings []Finding // the verdict
}

type exchangeKey struct{}

// ServeHTTP forwards a request upstream and its response back, then has
// the exchange judged.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := &exchange{start: time.Now(), method: r.Method, path: r.URL.Path}
	p.mu.Lock()
	p.pending++
	p.mu.Unlock()
	// A copy error makes the ReverseProxy abort the response with a panic
	// (http.ErrAbortHandler): the exchange is still judged and reported.
	defer p.end(x)
	p.rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), exchangeKey{}, x)))
}

func (p *Proxy) transport() http.RoundTripper {
	if p.Transport != nil {
		return p.Transport
	}
	return p.base
}

// roundTrip sends the request upstream and arranges for the exchange to
// be judged: it routes the request and reads an API call's body (as a
// Transport does), and keeps a copy of the response's status, headers and
// body as they pass. Only a file's leading bytes are checked here, as
// they stream.
func (p *Proxy) roundTrip(req *http.Request) (*http.Response, error) {
	x := req.Context().Value(exchangeKey{}).(*exchange)
	x.method, x.path = req.Method, req.URL.Path
	route, params, f := p.v.route(req)
	if f != nil {
		x.early = append(x.early, *f)
	}
	x.route, x.params = route, params
	if route != nil {
		x.reqData, x.reqOver, x.reqErr = requestBody(req, p.v.maxBody)
	}
	x.req = req.Clone(context.Background())
	x.req.Body, x.req.GetBody = nil, nil
	if p.Recorder != nil && req.Body != nil && req.Body != http.NoBody {
		x.reqBody = &capture{rc: req.Body, limit: p.v.maxBody}
		req.Body = x.reqBody
	}
	resp, err := p.transport().RoundTrip(req)
	if err != nil {
		return nil, err
	}
	x.status = resp.StatusCode
	// The ReverseProxy removes hop-by-hop headers from resp.Header: the
	// checks see them as received.
	x.resp = &http.Response{Status: resp.Status, StatusCode: resp.StatusCode, Proto: resp.Proto,
		ProtoMajor: resp.ProtoMajor, ProtoMinor: resp.ProtoMinor, Header: resp.Header.Clone(),
		ContentLength: resp.ContentLength, TransferEncoding: resp.TransferEncoding, Request: x.req}
	empty := resp.Body == nil || resp.Body == http.NoBody
	ct := resp.Header.Get("Content-Type")
	if enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))); decodable(enc) && !empty && !isBinary(ct) {
		x.compressed = enc
	}
	if route == nil && isBinary(ct) {
		c := newBinaryCheck(x.req, x.resp)
		if empty {
			// Judged at once: there is nothing to stream.
			x.binary.Add(c.finish(nil)...)
		} else {
			resp.Body = &checkedBody{rc: resp.Body, report: &x.binary, c: c}
		}
	}
	if route != nil || p.Recorder != nil {
		x.respBody = &capture{rc: resp.Body, limit: p.v.maxBody, eof: empty}
		if !empty {
			x.respBody.buf = *bytes.NewBuffer(p.copyBuffer())
			if resp.ContentLength > 0 && resp.ContentLength <= p.v.maxBody {
				x.respBody.buf.Grow(int(resp.ContentLength)) // at most one allocation for the copy
			}
			resp.Body = x.respBody
		}
	}
	return resp, nil
}

// upstreamError answers a request the upstream did not answer.
func (p *Proxy) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	if x, ok := r.Context().Value(exchangeKey{}).(*exchange); ok {
		x.err = err
	}
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client left; nobody to answer
	}
	p.logf("contract proxy: %s %s: %v", r.Method, ScrubURL(r.URL.String()), err)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusBadGateway)
	fmt.Fprintf(w, "contract proxy: no response from the upstream: %v\n", err)
}

func (p *Proxy) logf(format string, args ...any) {
	if p.ErrorLog != nil {
		p.ErrorLog.Printf(format, args...)
	} else {
		log.Printf(format, args...)
	}
}

// end takes an exchange whose response has been sent, gives it its place
// in line, and has it judged and reported on another goroutine: the
// client's connection is free for its next request at once, unless the
// exchanges waiting to be reported fill p.judging.
func (p *Proxy) end(x *exchange) {
	x.duration = time.Since(x.start)
	p.judging <- struct{}{}
	p.mu.Lock()
	x.seq, x.index = p.ended, -1
	p.ended++
	if x.err == nil {
		x.index = p.next
		p.next++
	}
	p.mu.Unlock()
	go func() {
		x.findings = p.judge(x)
		p.deliver(x)
	}()
}

// judge runs the checks of a Transport on what the exchange gathered, in
// the order a Transport runs them: the route, the request, the response,
// then a file's streamed checks.
func (p *Proxy) judge(x *exchange) []Finding {
	fs := x.early
	if x.route != nil {
		fs = append(fs, p.v.validateRequest(x.req, x.route, x.params, x.reqData, x.reqOver, x.reqErr)...)
	}
	if x.err != nil || x.resp == nil {
		return fs
	}
	if x.compressed != "" && x.respBody.whole() {
		x.decoded, x.decodeErr = decode(x.compressed, x.respBody.bytes(), p.v.maxBody)
	}
	if x.route != nil {
		fs = append(fs, p.judgeResponse(x)...)
	}
	return append(fs, x.binary.Findings()...)
}

// judgeResponse validates an API call's response from the copy of its
// body.
func (p *Proxy) judgeResponse(x *exchange) []Finding {
	c := x.respBody
	c.mu.Lock()
	data, over, eof, readErr := c.buf.Bytes(), c.over, c.eof, c.err
	c.mu.Unlock()
	if !eof && readErr == nil || errors.Is(readErr, context.Canceled) {
		// The client left before the body ended: the upstream did nothing
		// wrong, and the rest of the body was never read.
		fs := p.v.validateResponse(x.req, x.resp, x.route, x.params, nil, false, nil, true)
		return append(fs, Finding{Kind: NotChecked, Operation: x.route.Operation.OperationID,
			Method: x.req.Method, Path: x.req.URL.Path, Status: x.resp.StatusCode,
			Message: "the client closed the connection before the response body ended: status and headers checked only"})
	}
	resp := x.resp
	if x.compressed != "" && !over && readErr == nil {
		// The validator reads the body decoded, as the Transport of a
		// client that asked for compression does.
		cp := *resp
		cp.Header = resp.Header.Clone()
		cp.Header.Del("Content-Encoding")
		cp.Header.Del("Content-Length")
		cp.ContentLength, cp.Uncompressed = -1, true
		resp, data = &cp, x.decoded
		switch {
		case errors.Is(x.decodeErr, errDecodedTooBig):
			over = true
		case x.decodeErr != nil:
			// Worded as a Go client's Transport words it: the error of
			// compress/gzip or compress/zlib.
			readErr = x.decodeErr
		}
	}
	return p.v.validateResponse(x.req, resp, x.route, x.params, data, over, readErr, false)
}

// deliver reports the exchanges judged so far in the order they ended:
// labels their findings, records them and hands them to OnExchange.
func (p *Proxy) deliver(x *exchange) {
	p.rmu.Lock()
	defer p.rmu.Unlock()
	p.judged[x.seq] = x
	for {
		x, ok := p.judged[p.reported]
		if !ok {
			return
		}
		delete(p.judged, p.reported)
		p.reported++
		p.report1(x)
		if x.respBody != nil {
			x.respBody.release(&p.copies)
		}
		<-p.judging // its place, taken in end
		p.mu.Lock()
		if x.index >= 0 {
			p.done++
		}
		if p.pending--; p.pending == 0 {
			p.idle.Broadcast()
		}
		p.mu.Unlock()
	}
}

// report1 labels, records and reports one judged exchange.
func (p *Proxy) report1(x *exchange) {
	ex := Exchange{Index: x.index, Method: x.method, Path: x.path, Status: x.status, Duration: x.duration, Err: x.err}
	if x.err != nil {
		ex.Status = 0
	}
	if x.index >= 0 && p.Recorder != nil {
		ex.Source = p.Recorder.Path()
		if x.resp != nil {
			if _, line, err := p.Recorder.add(p.recorded(x)); err != nil {
				p.logf("contract proxy: %v", err)
			} else {
				ex.Line = line
			}
		}
	}
	ex.Findings = label(x.findings, ex.Source, ex.Index, ex.Line)
	p.report.Add(ex.Findings...)
	if p.OnExchange != nil {
		p.OnExchange(ex)
	}
}

// recorded is the interaction to record for an exchange.
func (p *Proxy) recorded(x *exchange) *recordedExchange {
	req, resp := x.req, x.resp
	var reqBody []byte
	if x.reqBody != nil {
		reqBody = x.reqBody.bytes()
	}
	respBody, stored := x.respBody.bytes(), x.respBody.whole()
	if stored && x.compressed != "" {
		if x.decodeErr == nil {
			respBody = x.decoded
		} else {
			stored = false
		}
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if v, ok := req.Header["User-Agent"]; ok && len(v) == 1 && v[0] == "" {
		// The ReverseProxy's way of sending none.
		req.Header.Del("User-Agent")
	}
	// The length is the body's, recorded beside it (and changed by
	// scrubbing), as go-vcr records a client's request.
	req.Header.Del("Content-Length")
	i := &cassette.Interaction{
		Request: cassette.Request{
			Proto: req.Proto, ProtoMajor: req.ProtoMajor, ProtoMinor: req.ProtoMinor,
			ContentLength: req.ContentLength, TransferEncoding: req.TransferEncoding, Host: host,
			Body: string(reqBody), Headers: req.Header, URL: req.URL.String(), Method: req.Method,
		},
		Response: cassette.Response{
			Proto: resp.Proto, ProtoMajor: resp.ProtoMajor, ProtoMinor: resp.ProtoMinor,
			TransferEncoding: resp.TransferEncoding, ContentLength: resp.ContentLength,
			Body: string(respBody), Headers: resp.Header, Status: resp.Status, Code: resp.StatusCode,
		},
	}
	if !stored {
		i.Response.Body = ""
	}
	return &recordedExchange{i: i, start: x.start, duration: x.duration, respStored: stored, decoded: x.compressed != ""}
}

// capture passes a body through, keeping a copy of its first limit bytes,
// and notes how the reading ended: at the end of the body, or with an
// error.
type capture struct {
	rc    io.ReadCloser
	limit int64

	mu   sync.Mutex
	buf  bytes.Buffer
	over bool
	eof  bool
	err  error // the first read error other than io.EOF
}

func (c *capture) Read(p []byte) (int, error) {
	n, err := c.rc.Read(p)
	c.mu.Lock()
	if !c.over {
		if int64(c.buf.Len()+n) > c.limit {
			c.over = true
			c.buf = bytes.Buffer{}
		} else {
			c.buf.Write(p[:n])
		}
	}
	switch {
	case err == io.EOF:
		c.eof = true
	case err != nil && c.err == nil:
		c.err = err
	}
	c.mu.Unlock()
	return n, err
}

func (c *capture) Close() error { return c.rc.Close() }

func (c *capture) bytes() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.buf.Bytes())
}

// whole reports whether the copy holds the whole body.
func (c *capture) whole() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.eof && !c.over
}

// maxPooledCopy is the capacity above which a copy's buffer is left to the
// garbage collector instead of being kept for another body.
const maxPooledCopy = 1 << 20

// copyBuffer returns a buffer for the copy of a body, one that held an
// earlier body when the pool has one.
func (p *Proxy) copyBuffer() []byte {
	if b, ok := p.copies.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return nil
}

// release gives the copy's buffer back to pool for another body. The
// capture must not be used after.
func (c *capture) release(pool *sync.Pool) {
	c.mu.Lock()
	b := c.buf.Bytes()
	c.buf = bytes.Buffer{}
	c.mu.Unlock()
	if cap(b) > 0 && cap(b) <= maxPooledCopy {
		b = b[:0]
		pool.Put(&b)
	}
}

func decodable(enc string) bool { return enc == "gzip" || enc == "x-gzip" || enc == "deflate" }

// errDecodedTooBig is decode's error for a body over its limit once
// decoded.
var errDecodedTooBig = errors.New("decoded body over the size limit")

// decode decodes a whole body in gzip or deflate, up to max bytes.
func decode(enc string, b []byte, max int64) ([]byte, error) {
	var r io.ReadCloser
	var err error
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "gzip", "x-gzip":
		r, err = gzip.NewReader(bytes.NewReader(b))
	case "deflate":
		r, err = zlib.NewReader(bytes.NewReader(b))
	default:
		return nil, fmt.Errorf("unknown encoding %q", enc)
	}
	if err != nil {
		return nil, err
	}
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, max+1))
	if err == nil && int64(len(out)) > max {
		err = errDecodedTooBig
	}
	return out, err
}

// narrowAcceptEncoding drops from Accept-Encoding the codings the proxy
// cannot decode to validate a body, so that the upstream answers in one it
// can (or in none). An Accept-Encoding left empty is removed: identity.
func narrowAcceptEncoding(h http.Header) {
	vs := h.Values("Accept-Encoding")
	if len(vs) == 0 {
		return
	}
	var keep []string
	for _, v := range vs {
		for _, c := range strings.Split(v, ",") {
			name, _, _ := strings.Cut(c, ";")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "gzip", "x-gzip", "deflate", "identity":
				keep = append(keep, strings.TrimSpace(c))
			}
		}
	}
	if len(keep) == 0 {
		h.Del("Accept-Encoding")
		return
	}
	h.Set("Accept-Encoding", strings.Join(keep, ", "))
}
