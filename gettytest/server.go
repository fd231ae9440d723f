// Package gettytest runs a fake Getty Images download API for tests,
// examples and demos, in the spirit of net/http/httptest.
//
// The fake serves both operations of the spec (the download history and
// download URLs), an OAuth2 token endpoint and a delivery path with real
// image bytes. Its data is deterministic but for its dates: a seeded
// history of past downloads with fixed ids and product types, dated back
// from the server's clock, answered with paging and filters. The clock is
// the real one by default, so that a client listing "the last 30 days"
// finds the history; [WithNow] fixes it, for tests and recordings that
// must be the same on every run. Downloads decrement per-product quotas
// and are added to the history. Every API request it receives is validated against the spec
// (package contract); a request that violates it is answered 400 with the
// reason, as the real API would.
//
// A Server can be told to fail, at construction or while running: any
// status and body, latency, a body cut short, throttling with
// X-Error-Detail, or a failure for the next n requests only. It counts the
// requests it gets per operation, so tests can assert that a download POST
// was sent exactly once.
//
// The fake bounds what clients can make it hold: request bodies are capped
// (413), read a few at a time, and cut when they stall (408); see
// [WithMaxRequestBody], [WithMaxConcurrentBodies] and [WithReadTimeout].
//
// Credentials: every API call needs the header Api-Key: [APIKey] and a
// bearer token from the token endpoint (client_id [APIKey], client_secret
// [ClientSecret]; the password grant takes [Username] and [Password]), or
// one from [Server.IssueToken].
package gettytest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/contract"
	"github.com/gettykit/getty/gen"
)

// Demo credentials the fake accepts.
const (
	APIKey       = "gettytest-api-key"
	ClientSecret = "gettytest-client-secret"
	Username     = "gettytest-user"
	Password     = "gettytest-password"
)

// ImageID is an image that can be downloaded from a fresh Server and is not
// in its history yet. Ids of the seeded history can be downloaded too;
// others are answered 404 ImageNotFound.
const ImageID = "1167612765"

// Operation names, as used by [Server.Requests] and by the match argument
// of the fault methods. An empty match means every request.
const (
	OpListDownloads = "listDownloads" // GET /v3/downloads (or /v3/downloads/)
	OpDownloadImage = "downloadImage" // POST /v3/downloads/images/{id}
	OpToken         = "token"         // POST /oauth2/token
	OpDelivery      = "delivery"      // GET /delivery/{file}, the download URLs
	OpOther         = "other"         // anything else
)

// DefaultNow is the fixed "now" of this module's recordings and golden
// files: pass WithNow(DefaultNow) to get the same dates on every run (the
// newest seeded download is then at 2026-03-01T11:43Z). Without WithNow a
// Server uses the real clock.
var DefaultNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Option configures a Server.
type Option func(*config)

type config struct {
	now            func() time.Time
	downloads      int
	history        []gen.HistoricalDownload
	historySet     bool
	quotas         map[gen.ProductType]int
	defaultProduct gen.ProductType
	expiresString  bool
	imageSize      int64
	redirect       int
	userToken      bool
	extra          map[string]any
	images         []string
	validator      *contract.Validator
	faults         []faultEntry
	maxBody        int64
	maxConcurrent  int
	readTimeout    time.Duration
}

// WithNow stops the server's clock at t. The clock (the real one unless
// WithNow is given) dates the seeded history, which ends shortly before
// the time the Server is created, and new downloads; it is also the
// current date of the listing's default date window (a missing date_to is
// now or 30 days after date_from, whichever is earlier, as Getty
// documents; a missing date_from is 30 days before date_to). With a fixed
// clock every run sees the same dates: recordings and golden files use
// WithNow(DefaultNow). Dates are kept to whole seconds, as Getty sends
// them.
func WithNow(t time.Time) Option {
	t = t.UTC()
	return func(c *config) { c.now = func() time.Time { return t } }
}

// WithDownloads sets the size of the seeded history (default 250): one
// download every two hours back from the server's creation (see WithNow), product types cycling through
// premiumaccess, editorialsubscription, easyaccess and imagepack, and every
// fifth one made by a colleague (seen only with company_downloads=true).
func WithDownloads(n int) Option {
	if n < 0 {
		panic(fmt.Sprintf("gettytest: WithDownloads(%d): negative count", n))
	}
	return func(c *config) { c.downloads = n }
}

// WithHistory replaces the seeded history. Entries are listed newest first
// whatever their order here; their ids become downloadable images.
func WithHistory(h []gen.HistoricalDownload) Option {
	return func(c *config) { c.history, c.historySet = append([]gen.HistoricalDownload(nil), h...), true }
}

// WithQuota limits the downloads left for a product type. Downloads of
// product types without a quota are unlimited.
func WithQuota(p gen.ProductType, n int) Option {
	if n < 0 {
		panic(fmt.Sprintf("gettytest: WithQuota(%s, %d): negative quota", p, n))
	}
	return func(c *config) { c.quotas[p] = n }
}

// WithDefaultProductType sets the product type charged for a download that
// names none (default premiumaccess).
func WithDefaultProductType(p gen.ProductType) Option {
	return func(c *config) { c.defaultProduct = p }
}

// WithExpiresInString makes the token endpoint send expires_in as the
// string "1800", as some of Getty's documentation shows, instead of the
// number 1800.
func WithExpiresInString() Option { return func(c *config) { c.expiresString = true } }

// WithImageSize sets the size in bytes of delivered JPEG files, for tests
// of large downloads. Files are generated as they are sent, never held in
// memory: a small real JPEG followed by zero bytes after its end-of-image
// marker, which decoders ignore. By default a file is just the small JPEG.
func WithImageSize(n int64) Option {
	if n < 0 {
		panic(fmt.Sprintf("gettytest: WithImageSize(%d): negative size", n))
	}
	return func(c *config) { c.imageSize = n }
}

// WithRedirectStatus sets the status of an auto_download redirect: 303 (the
// default, as the API reference says) or 302 (as older Getty pages say).
func WithRedirectStatus(code int) Option {
	if code != http.StatusFound && code != http.StatusSeeOther {
		panic(fmt.Sprintf("gettytest: WithRedirectStatus(%d): want 302 or 303", code))
	}
	return func(c *config) { c.redirect = code }
}

// WithUserTokenRequired makes downloads need a user token (from the
// password or refresh_token grant): a client_credentials token gets 403
// UserTokenRequired, as some Getty keys do.
func WithUserTokenRequired() Option { return func(c *config) { c.userToken = true } }

// WithExtraField adds a field the spec does not know to every entry of the
// history, for tests of how clients and contract checks handle drift.
func WithExtraField(name string, value any) Option {
	return func(c *config) { c.extra[name] = value }
}

// WithImages adds downloadable image ids.
func WithImages(ids ...string) Option {
	return func(c *config) { c.images = append(c.images, ids...) }
}

// WithValidator sets the validator requests are checked with (default: one
// for the embedded spec, shared by all servers).
func WithValidator(v *contract.Validator) Option { return func(c *config) { c.validator = v } }

// WithFault injects a fault from the start, as [Server.Inject] does.
func WithFault(match string, f Fault) Option {
	return func(c *config) { c.faults = append(c.faults, newFaultEntry(match, f)) }
}

// WithLatency delays every response matching match by d.
func WithLatency(match string, d time.Duration) Option {
	return WithFault(match, Fault{Latency: d})
}

var defaultValidator = sync.OnceValues(func() (*contract.Validator, error) {
	return contract.NewValidator(nil)
})

// Server is a fake Getty API listening on a local address.
type Server struct {
	// URL is the base URL of the form http://ipaddr:port with no trailing
	// slash. Use it as the client's base URL; the token endpoint is
	// URL + "/oauth2/token".
	URL string

	ts *httptest.Server
	h  *handler
}

// NewServer starts and returns a new Server. The caller should call Close
// when finished, to shut it down.
func NewServer(opts ...Option) *Server {
	s := NewUnstartedServer(opts...)
	s.Start()
	return s
}

// NewUnstartedServer returns a new Server that is not started yet, so that
// its handler can be mounted elsewhere or its configuration changed first.
// Start it with Start. Unlike httptest.NewUnstartedServer it opens no
// listener until Start: a Server used only for its Handler holds no port.
func NewUnstartedServer(opts ...Option) *Server {
	c := &config{
		now:            time.Now,
		downloads:      250,
		quotas:         map[gen.ProductType]int{},
		defaultProduct: gen.Premiumaccess,
		redirect:       http.StatusSeeOther,
		extra:          map[string]any{},
		maxBody:        DefaultMaxRequestBody,
		maxConcurrent:  DefaultMaxConcurrentBodies,
		readTimeout:    DefaultReadTimeout,
	}
	for _, o := range opts {
		o(c)
	}
	if c.validator == nil {
		v, err := defaultValidator()
		if err != nil {
			panic(fmt.Sprintf("gettytest: loading the embedded spec: %v", err))
		}
		c.validator = v
	}
	return &Server{h: newHandler(c)}
}

// Start starts a server from NewUnstartedServer. It panics if the server
// was started already.
func (s *Server) Start() {
	if s.ts != nil {
		panic("gettytest: Server started twice")
	}
	s.ts = httptest.NewUnstartedServer(s.h)
	s.ts.Config.ReadHeaderTimeout = s.h.cfg.readTimeout
	s.ts.Config.IdleTimeout = idleTimeout
	s.ts.Start()
	s.URL = s.ts.URL
}

// Close shuts the server down and blocks until all outstanding requests on
// it have completed. Closing a server that was never started does nothing.
func (s *Server) Close() {
	if s.ts != nil {
		s.ts.Close()
	}
}

// Client returns an HTTP client configured for the server, or nil before
// Start. It does not authenticate.
func (s *Server) Client() *http.Client {
	if s.ts == nil {
		return nil
	}
	return s.ts.Client()
}

// ClientOptions returns the options that point a getty client at the
// server, with the demo credentials it accepts: WithAPIKey(APIKey),
// WithClientSecret(ClientSecret), WithBaseURL(URL) and WithTokenURL(URL +
// "/oauth2/token"). Call it after Start; add options after them:
//
//	c, err := getty.New(append(srv.ClientOptions(), getty.WithTransport(tr))...)
//
// (gettytest imports the getty package, as net/http/httptest imports
// net/http: getty's own in-package tests cannot use it and are written in
// package getty_test instead.)
func (s *Server) ClientOptions() []getty.Option {
	return []getty.Option{
		getty.WithAPIKey(APIKey),
		getty.WithClientSecret(ClientSecret),
		getty.WithBaseURL(s.URL),
		getty.WithTokenURL(s.URL + "/oauth2/token"),
	}
}

// Handler returns the fake API as an http.Handler, to be served another
// way (for instance under TLS with httptest.NewTLSServer). It shares the
// server's state.
func (s *Server) Handler() http.Handler { return s.h }

// Requests returns how many requests the server got for an operation (one
// of the Op constants), or in all when op is empty. Requests answered with
// an injected fault count too.
func (s *Server) Requests(op string) int { return s.h.requests(op) }

// History returns the download history, newest first, including downloads
// made through the server.
func (s *Server) History() []gen.HistoricalDownload { return s.h.historyCopy() }

// SetQuota sets the downloads left for a product type.
func (s *Server) SetQuota(p gen.ProductType, n int) { s.h.setQuota(p, n) }

// Quota returns the downloads left for a product type; limited is false
// for a product type without a quota.
func (s *Server) Quota(p gen.ProductType) (left int, limited bool) { return s.h.quota(p) }

// IssueToken returns a valid access token without going through the token
// endpoint. A user token is what the password grant gives.
func (s *Server) IssueToken(user bool) string { return s.h.issue(user) }

// ExpireTokens invalidates every access token issued so far; refresh tokens
// stay valid. Clients then get 401 and must fetch a new token.
func (s *Server) ExpireTokens() { s.h.expireTokens() }

// DownloadURI returns the delivery URL the server hands out for an image,
// relative to the server (prefix it with URL).
func (s *Server) DownloadURI(id string, fileType gen.FileType) string {
	return deliveryPath(id, fileType)
}
