package getty

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/oauth2"

	"github.com/gettykit/getty/gen"
)

// DefaultUserAgent is the library's product name in the User-Agent it
// sends: "gettykit-getty-go/v1.2.3", with the module version the program
// was built with (from its build information; the bare name when that
// does not say). WithUserAgent puts an application's own token before it.
const DefaultUserAgent = "gettykit-getty-go"

// Client calls the Getty Images download API. Create one with New and reuse
// it: it caches its OAuth2 token and its connections. A Client is safe for
// concurrent use; it keeps no global state.
type Client struct {
	base      *url.URL
	apiKey    string
	userAgent string
	retry     RetryPolicy
	hc        *http.Client // never follows redirects
	tokens    *tokenCache  // nil: API key only
	api       gen.ClientInterface
	throttle  gate

	// wrapFile, when set (tests only), wraps the file SaveImage writes to.
	wrapFile func(io.Writer) io.Writer
	// syncFile, when set (tests only), replaces (*os.File).Sync for the
	// files and directories SaveImage makes durable.
	syncFile func(*os.File) error
}

// New returns a Client configured by opts. WithAPIKey is required; the
// other options are optional. With only an API key, requests carry the
// Api-Key header and no bearer token.
func New(opts ...Option) (*Client, error) {
	cfg := &config{}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("getty: nil Option")
		}
		if err := o(cfg); err != nil {
			return nil, err
		}
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := &Client{
		apiKey:    cfg.apiKey,
		userAgent: userAgent(cfg.userAgent, moduleVersion()),
		retry:     cfg.retry.withDefaults(),
	}
	c.base = cfg.baseURL
	if c.base == nil {
		c.base, _ = url.Parse(DefaultBaseURL)
	}

	hc := &http.Client{}
	if cfg.httpClient != nil {
		copied := *cfg.httpClient
		hc = &copied
	}
	if cfg.transport != nil {
		hc.Transport = cfg.transport
	}
	if hc.Transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// Room for the listing's concurrent prefetch to reuse connections.
		t.MaxIdleConnsPerHost = 16
		hc.Transport = t
	}
	header, stall := DefaultResponseHeaderTimeout, DefaultStallTimeout
	if cfg.headerTimeoutSet {
		header = cfg.headerTimeout
	}
	if cfg.stallTimeoutSet {
		stall = cfg.stallTimeout
	}
	hc.Transport = &deadlineTransport{next: hc.Transport, headerTimeout: header, stallTimeout: stall}
	// Redirects are followed by this package (see OpenImage), never by
	// net/http: it would forward the Api-Key and Authorization headers to
	// the delivery host and accept https→http downgrades.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.hc = hc
	c.tokens = newTokenCache(cfg, hc)

	api, err := gen.NewClient(c.base.String(), gen.WithHTTPClient(apiDoer{c}))
	if err != nil {
		return nil, fmt.Errorf("getty: %w", err)
	}
	c.api = api
	return c, nil
}

// BaseURL returns the API base URL the client sends requests to.
func (c *Client) BaseURL() string { return c.base.String() }

// Token returns the client's current access token, fetching or renewing it
// if needed, for instance to save it for a later WithToken. It returns an
// error when the client was configured with an API key only.
func (c *Client) Token(ctx context.Context) (*oauth2.Token, error) {
	if c.tokens == nil {
		return nil, errors.New("getty: no OAuth2 credentials configured")
	}
	t, err := c.tokens.token(ctx)
	if err != nil {
		return nil, wrapf(err, "getting a token")
	}
	cp := *t
	return &cp, nil
}

// apiDoer is what the generated client sends its requests through: it adds
// credentials, retries and throttling.
type apiDoer struct{ c *Client }

func (d apiDoer) Do(req *http.Request) (*http.Response, error) { return d.c.do(req) }

// sameOrigin reports whether u has the API's scheme and host: credentials
// are attached to such requests only.
func (c *Client) sameOrigin(u *url.URL) bool {
	return u.Scheme == c.base.Scheme && u.Host == c.base.Host
}

// do sends req with retries. Credentials (Api-Key, bearer token) are added
// only when req goes to the API origin.
//
// Retry rules (see RetryPolicy): a GET is retried on transport errors and
// retryable statuses; any other method only when the gateway throttled it
// (refused before the request reached the download service) or when the
// connection failed before a byte of the request was written, which is what
// protects the quota-spending download POST from being sent twice. A 401
// answer makes the client renew its token and send the request once more,
// whatever the method: a 401 is decided by the gateway before the request
// reaches the download service, so no quota was spent on it. A malformed
// response is not retried: the server answered, and would answer the same.
func (c *Client) do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	toAPI := c.sameOrigin(req.URL)
	idempotent := req.Method == http.MethodGet || req.Method == http.MethodHead
	renewed := false
	var renewedTok *oauth2.Token // from the 401 renewal, for the next attempt
	var lastErr error
	for attempt := 1; ; attempt++ {
		if toAPI {
			if err := c.throttle.wait(ctx); err != nil {
				return nil, joinCtx(err, lastErr)
			}
		}
		r := req.Clone(ctx)
		if req.GetBody != nil && (attempt > 1 || renewed) {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r.Body = body
		} else if attempt > 1 && req.Body != nil && req.Body != http.NoBody {
			return nil, lastErr // cannot resend the body
		}
		r.Header.Set("User-Agent", c.userAgent)
		var tok *oauth2.Token
		if toAPI {
			r.Header.Set("Api-Key", c.apiKey)
			if c.tokens != nil {
				// The renewed token is used as it came: asking the cache
				// again could fetch one more.
				tok, renewedTok = renewedTok, nil
				if tok == nil {
					t, err := c.tokens.token(ctx)
					if err != nil {
						return nil, fmt.Errorf("getting a token: %w", err)
					}
					tok = t
				}
				tok.SetAuthHeader(r)
			}
		} else {
			r.Header.Del("Api-Key")
			r.Header.Del("Authorization")
		}

		var wrote, answered atomic.Bool
		trace := &httptrace.ClientTrace{
			WroteHeaders:         func() { wrote.Store(true) },
			WroteRequest:         func(httptrace.WroteRequestInfo) { wrote.Store(true) },
			GotFirstResponseByte: func() { answered.Store(true) },
		}
		r = r.WithContext(httptrace.WithClientTrace(ctx, trace))
		resp, err := c.hc.Do(r)
		if err != nil {
			// The URL of a delivery request holds its signature.
			if ue, ok := err.(*url.Error); ok {
				ue.URL = redactURL(req.URL)
			}
			if ctx.Err() != nil {
				if !idempotent && wrote.Load() {
					return nil, &requestError{err: err, maybeCharged: true}
				}
				return nil, err
			}
			// Whether the request may have reached the server: the trace
			// says it was written, or the error is not one of connecting.
			reached := wrote.Load() || !notConnected(err)
			if malformedResponse(err, answered.Load()) {
				return nil, &requestError{err: err, malformed: true, maybeCharged: !idempotent}
			}
			lastErr = err
			if !idempotent && reached {
				return nil, &requestError{err: err, maybeCharged: true}
			}
			if attempt >= c.retry.MaxAttempts {
				return nil, err
			}
			if err := sleep(ctx, c.retry.backoff(attempt)); err != nil {
				return nil, joinCtx(err, lastErr)
			}
			continue
		}

		if resp.StatusCode == http.StatusUnauthorized && toAPI && tok != nil && !renewed {
			t, err := c.tokens.renew(ctx, tok)
			if err == nil && t.AccessToken != tok.AccessToken {
				drain(resp)
				renewed, renewedTok = true, t
				attempt-- // the renewal retry does not count as a failed attempt
				continue
			}
			if err != nil {
				// The 401 alone would hide why the client could not recover.
				apiErr := newAPIError(resp)
				drain(resp)
				return nil, &renewalError{api: apiErr, err: err}
			}
			return resp, nil
		}

		ra, hasRA := retryAfter(resp.Header, time.Now())
		wait := c.retry.backoff(attempt)
		if hasRA && ra <= c.retry.MaxRetryAfter {
			wait = max(ra, wait)
		}
		// The per-day limit does not clear in seconds: it holds no request
		// back and is never waited on.
		perSecond := gatewayThrottle(resp) == throttledPerSecond
		if toAPI && perSecond {
			c.throttle.close(wait)
			if f := onThrottle(ctx); f != nil {
				f()
			}
		}
		// A throttled download POST was refused by the gateway before any
		// quota was spent; any other answer to it may have spent some.
		retryable := retryableStatus(resp)
		if !idempotent {
			retryable = perSecond
		}
		if !retryable || attempt >= c.retry.MaxAttempts {
			return resp, nil
		}
		if hasRA && ra > c.retry.MaxRetryAfter {
			return resp, nil // the caller gets the error, with its RetryAfter
		}
		lastErr = newAPIError(resp)
		if err := sleep(ctx, wait); err != nil {
			return nil, joinCtx(err, lastErr)
		}
	}
}

// requestError is a failed exchange with what it means for the caller: a
// malformed response (not retried), and whether a request that spends quota
// may have been processed though no answer was read.
type requestError struct {
	err          error
	malformed    bool
	maybeCharged bool
}

// Error is message: a requestError is always wrapped (wrapf), which says
// "getty: ".
func (e *requestError) Error() string { return e.message() }

func (e *requestError) message() string {
	msg := text(e.err)
	var ue *url.Error
	if errors.As(e.err, &ue) && ue == e.err {
		if _, ours := ue.Err.(messager); ours {
			// A *TimeoutError names the URL itself.
			msg = text(ue.Err)
		}
	}
	switch {
	case e.malformed && e.maybeCharged:
		msg += " (a malformed response, not retried)"
	case e.malformed:
		return msg + " (a malformed response, not retried)"
	}
	if e.maybeCharged {
		msg += "; the request may have reached Getty, so the download may already be charged: " +
			"check the download history (getty downloads list, or Client.ListDownloads) before trying again"
	}
	return msg
}

func (e *requestError) Unwrap() error { return e.err }

// malformedResponse reports whether err says the server's answer could not
// be parsed (a bad status line, header line or Content-Length): the server
// answered, and would answer the same again. net/http reports these as
// textproto.ProtocolError or as plain errors; what tells them apart from a
// connection that broke mid-answer is that a response byte arrived
// (answered, from httptrace) and the error is not an I/O failure.
func malformedResponse(err error, answered bool) bool {
	var pe textproto.ProtocolError
	if errors.As(err, &pe) {
		return true
	}
	return answered && !ioFailure(err)
}

// ioFailure reports whether err is a failure of the connection itself
// (closed, reset, timed out), which a retry may not meet again.
func ioFailure(err error) bool {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// notConnected reports whether err comes from establishing the connection
// (dial, DNS, refused), before anything could reach the server. It backs up
// the httptrace marker, which a custom RoundTripper may never fire.
func notConnected(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// joinCtx returns the context error together with the last failure, so that
// errors.Is works for both.
func joinCtx(ctxErr, last error) error {
	if last == nil {
		return ctxErr
	}
	return &lastError{ctxErr: ctxErr, last: last}
}

// lastError is a context error with the last failure before it.
type lastError struct{ ctxErr, last error }

// Error is message: a lastError is always wrapped (wrapf), which says
// "getty: ".
func (e *lastError) Error() string   { return e.message() }
func (e *lastError) message() string { return text(e.ctxErr) + " (last error: " + text(e.last) + ")" }
func (e *lastError) Unwrap() []error { return []error{e.ctxErr, e.last} }

// drain reads a little of a discarded body so that the connection can be
// reused, then closes it.
func drain(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	_ = resp.Body.Close()
}
