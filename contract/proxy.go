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
	"strings"
	"sync"
	"time"

	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"
)

// Proxy is a reverse proxy that judges the traffic of any client against
// the spec: point the client at it instead of the API, in any language. It
// forwards every request to its upstream and every response back to the
// client as they come, and validates each exchange on the way with a
// [Transport], as the Go tests of this module do: violations, drift, and
// the bytes and length of binary files.
//
//   - Bodies stream. An image is checked as it passes and never held in
//     memory (only a [Recorder] keeps a copy, up to the validator's size
//     limit); a JSON response of the API is read whole to be validated,
//     as the Transport does, and then sent on.
//   - Redirects are never followed: a 303 and its Location reach the client
//     untouched, and the file it names is seen only if the client fetches
//     it through the proxy too.
//   - Requests go upstream as the client sent them, with the upstream's
//     host, the usual hop-by-hop headers of a proxy removed, and one
//     change: encodings the proxy cannot decode to validate (br, zstd) are
//     dropped from Accept-Encoding. A gzip or deflate response is validated
//     decoded and reaches the client as the upstream sent it.
//
// Each exchange ends when its response body has been sent (or the client
// or the upstream gave up); OnExchange then gets it with its findings.
// Exchanges that got a response are numbered from 0 in the order they end,
// which is their order in the recording. A request the upstream did not
// answer gets 502 Bad Gateway and is reported with Exchange.Err.
//
// Set the fields before the Proxy serves its first request. A Proxy is safe
// for concurrent use.
type Proxy struct {
	// Transport sends requests upstream; nil means a transport like
	// http.DefaultTransport that keeps more idle connections per host and
	// never asks for compression itself. It must not follow redirects
	// (no http.RoundTripper does).
	Transport http.RoundTripper
	// OnExchange, if not nil, is called as each exchange ends, one call at
	// a time, in the order of the exchanges' indexes.
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

	mu   sync.Mutex // serializes the end of exchanges
	next int
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
	p := &Proxy{upstream: upstream, v: v, base: base}
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

// Report returns every finding of the exchanges that have ended.
func (p *Proxy) Report() *Report { return &p.report }

// Exchanges returns how many exchanges that got a response have ended.
func (p *Proxy) Exchanges() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.next
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

// exchange is what the proxy learns about one exchange as it goes.
type exchange struct {
	start  time.Time
	tr     *Transport
	method string
	path   string
	status int
	err    error

	// For the recording, nil when not recording.
	req      *http.Request // the request as sent upstream, body aside
	reqBody  *capture
	resp     *http.Response // the response as received, body aside
	respBody *capture
	// decoded is the body the validator saw decoded (gzip, deflate), nil
	// when it saw the bytes as sent.
	decoded *decodedBody
}

type exchangeKey struct{}

// ServeHTTP forwards a request upstream and its response back, judging
// both.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := &exchange{start: time.Now(), method: r.Method, path: r.URL.Path}
	x.tr = NewTransport(&decoder{base: p.transport(), x: x}, p.v)
	// A copy error makes the ReverseProxy abort the response with a panic
	// (http.ErrAbortHandler): the exchange is still reported.
	defer p.finish(x)
	p.rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), exchangeKey{}, x)))
}

func (p *Proxy) transport() http.RoundTripper {
	if p.Transport != nil {
		return p.Transport
	}
	return p.base
}

func (p *Proxy) roundTrip(req *http.Request) (*http.Response, error) {
	x := req.Context().Value(exchangeKey{}).(*exchange)
	x.method, x.path = req.Method, req.URL.Path
	if p.Recorder != nil {
		x.req = req.Clone(context.Background())
		x.req.Body = nil
		if req.Body != nil && req.Body != http.NoBody {
			x.reqBody = &capture{rc: req.Body, limit: p.v.maxBody}
			req.Body = x.reqBody
		}
	}
	resp, err := x.tr.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if x.decoded != nil {
		resp = x.decoded.unsent(resp)
	}
	x.status = resp.StatusCode
	if p.Recorder != nil {
		x.resp = &http.Response{Status: resp.Status, StatusCode: resp.StatusCode, Proto: resp.Proto,
			ProtoMajor: resp.ProtoMajor, ProtoMinor: resp.ProtoMinor, Header: resp.Header.Clone(),
			ContentLength: resp.ContentLength, TransferEncoding: resp.TransferEncoding}
		x.respBody = &capture{rc: resp.Body, limit: p.v.maxBody}
		if resp.Body == nil || resp.Body == http.NoBody {
			x.respBody.eof = true
		} else {
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

// finish labels the exchange's findings, records it and reports it.
func (p *Proxy) finish(x *exchange) {
	ex := Exchange{Index: -1, Method: x.method, Path: x.path, Status: x.status, Duration: time.Since(x.start), Err: x.err}
	if x.err != nil {
		ex.Status = 0
	}
	fs := x.tr.report.Findings()
	p.mu.Lock()
	defer p.mu.Unlock()
	if ex.Err == nil {
		ex.Index = p.next
		p.next++
		if p.Recorder != nil {
			ex.Source = p.Recorder.Path()
			if x.resp != nil {
				if _, line, err := p.Recorder.add(p.recorded(x, ex.Duration)); err != nil {
					p.logf("contract proxy: %v", err)
				} else {
					ex.Line = line
				}
			}
		}
	}
	ex.Findings = label(fs, ex.Source, ex.Index, ex.Line)
	p.report.Add(ex.Findings...)
	if p.OnExchange != nil {
		p.OnExchange(ex)
	}
}

// recorded is the interaction to record for an exchange.
func (p *Proxy) recorded(x *exchange, d time.Duration) *recordedExchange {
	req, resp := x.req, x.resp
	var reqBody []byte
	if x.reqBody != nil {
		reqBody = x.reqBody.bytes()
	}
	respBody, stored := x.respBody.bytes(), x.respBody.whole()
	if stored && x.decoded != nil {
		if b, err := decode(resp.Header.Get("Content-Encoding"), respBody, p.v.maxBody); err == nil {
			respBody = b
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
	return &recordedExchange{i: i, start: x.start, duration: d, respStored: stored, decoded: x.decoded != nil}
}

// capture passes a body through, keeping a copy of its first limit bytes,
// and notes whether it was read to its end.
type capture struct {
	rc    io.ReadCloser
	limit int64

	mu   sync.Mutex
	buf  bytes.Buffer
	over bool
	eof  bool
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
	if err == io.EOF {
		c.eof = true
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

// decoder sits under the exchange's Transport. A response in gzip or
// deflate reaches the Transport decoded, so that it validates JSON, not
// compressed bytes; the client still gets the bytes as sent, through
// decodedBody.
type decoder struct {
	base http.RoundTripper
	x    *exchange
}

func (d *decoder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := d.base.RoundTrip(req)
	if err != nil || resp.Body == nil || resp.Body == http.NoBody {
		return resp, err
	}
	enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding")))
	if !decodable(enc) || isBinary(resp.Header.Get("Content-Type")) {
		return resp, nil
	}
	body := &decodedBody{raw: &rawBody{rc: resp.Body}, enc: enc, sent: resp}
	d.x.decoded = body
	out := *resp
	out.Header = resp.Header.Clone()
	out.Header.Del("Content-Encoding")
	out.Header.Del("Content-Length")
	out.ContentLength, out.Uncompressed = -1, true
	out.Body = body
	return &out, nil
}

func decodable(enc string) bool { return enc == "gzip" || enc == "x-gzip" || enc == "deflate" }

// rawBody reads a response's bytes as sent, keeping those it has read until
// they are handed to the client.
type rawBody struct {
	rc   io.ReadCloser
	read bytes.Buffer
}

func (r *rawBody) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	r.read.Write(p[:n])
	return n, err
}

// decodedBody is a response body decoded for the Transport. The Transport
// reads some or all of it to validate, and passes the response on with a
// body that replays what it read; the proxy then swaps in, with unsent,
// the bytes as the upstream sent them.
type decodedBody struct {
	raw  *rawBody
	enc  string
	sent *http.Response // as received: headers and length to restore
	r    io.Reader      // the decoder, made on the first Read
	err  error
}

func (d *decodedBody) Read(p []byte) (int, error) {
	if d.r == nil && d.err == nil {
		if d.enc == "deflate" {
			d.r, d.err = zlib.NewReader(d.raw)
		} else {
			d.r, d.err = gzip.NewReader(d.raw)
		}
	}
	if d.err != nil {
		return 0, fmt.Errorf("decoding the %s body: %w", d.enc, d.err)
	}
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("decoding the %s body: %w", d.enc, err)
	}
	return n, err
}

func (d *decodedBody) Close() error { return d.raw.rc.Close() }

// unsent returns the response as the upstream sent it, with a body that
// yields every byte read from upstream so far and then the rest.
func (d *decodedBody) unsent(resp *http.Response) *http.Response {
	out := *resp
	out.Header = d.sent.Header
	out.ContentLength, out.Uncompressed = d.sent.ContentLength, false
	out.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(d.raw.read.Bytes()), d.raw.rc), d.raw.rc}
	return &out
}

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
		err = errors.New("decoded body over the size limit")
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
