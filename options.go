package getty

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// DefaultBaseURL is the Getty Images API host used when WithBaseURL is not
// given.
const DefaultBaseURL = "https://api.gettyimages.com"

// DefaultTokenURL is Getty's current OAuth2 token endpoint, used when
// WithTokenURL is not given.
const DefaultTokenURL = "https://authentication.gettyimages.com/oauth2/token"

// Option configures a Client. Options validate their input; New reports the
// first invalid option.
type Option func(*config) error

// config collects the options before New turns them into a Client.
type config struct {
	apiKey       string
	secret       string
	username     string
	password     string
	refreshToken string
	token        *oauth2.Token
	tokenSource  oauth2.TokenSource
	tokenURL     string
	baseURL      *url.URL
	httpClient   *http.Client
	transport    http.RoundTripper
	retry        RetryPolicy
	userAgent    string

	headerTimeout, stallTimeout       time.Duration
	headerTimeoutSet, stallTimeoutSet bool
	plainHTTP                         bool
}

// WithAPIKey sets the API key sent as the Api-Key header on every API request
// and used as the OAuth2 client_id. It is required.
func WithAPIKey(key string) Option {
	return func(c *config) error {
		if strings.TrimSpace(key) == "" {
			return errors.New("getty: WithAPIKey: empty API key")
		}
		if hasCtl(key) || strings.ContainsAny(key, " \t") {
			return errors.New("getty: WithAPIKey: API key contains spaces or control characters")
		}
		c.apiKey = key
		return nil
	}
}

// WithClientSecret sets the API secret. On its own it selects the OAuth2
// client-credentials grant; WithPassword and WithRefreshToken need it too.
func WithClientSecret(secret string) Option {
	return func(c *config) error {
		if secret == "" {
			return errors.New("getty: WithClientSecret: empty secret")
		}
		c.secret = secret
		return nil
	}
}

// WithPassword selects the OAuth2 resource-owner password grant, which yields
// a user token (some keys need one to download). It requires WithClientSecret.
// The refresh token the grant returns is used to renew the access token; the
// password grant is repeated only when refreshing fails.
func WithPassword(username, password string) Option {
	return func(c *config) error {
		if username == "" || password == "" {
			return errors.New("getty: WithPassword: empty username or password")
		}
		c.username, c.password = username, password
		return nil
	}
}

// WithRefreshToken selects the OAuth2 refresh-token grant: access tokens are
// obtained from the given refresh token. It requires WithClientSecret.
func WithRefreshToken(token string) Option {
	return func(c *config) error {
		if token == "" {
			return errors.New("getty: WithRefreshToken: empty refresh token")
		}
		c.refreshToken = token
		return nil
	}
}

// WithToken supplies an access token, for instance one saved from an earlier
// run. It is used until it expires. With WithClientSecret, an expired token
// is renewed through its refresh token if it has one, through the client
// credentials grant otherwise; without a secret it cannot be renewed and
// requests fail once it has expired.
func WithToken(tok *oauth2.Token) Option {
	return func(c *config) error {
		if tok == nil || (tok.AccessToken == "" && tok.RefreshToken == "") {
			return errors.New("getty: WithToken: token has neither an access token nor a refresh token")
		}
		t := *tok
		c.token = &t
		return nil
	}
}

// WithTokenSource supplies the OAuth2 token source to use instead of the
// built-in grants. The client still caches its tokens and asks the source
// again only when a token expires or the API rejects it.
func WithTokenSource(ts oauth2.TokenSource) Option {
	return func(c *config) error {
		if ts == nil {
			return errors.New("getty: WithTokenSource: nil token source")
		}
		c.tokenSource = ts
		return nil
	}
}

// WithTokenURL overrides the OAuth2 token endpoint (DefaultTokenURL).
func WithTokenURL(rawURL string) Option {
	return func(c *config) error {
		u, err := parseHTTPURL(rawURL)
		if err != nil {
			return fmt.Errorf("getty: WithTokenURL: %w", err)
		}
		c.tokenURL = u.String()
		return nil
	}
}

// WithBaseURL overrides the API base URL (DefaultBaseURL), for a fake server
// in tests or a proxy. A path is kept: "https://host/prefix" sends requests
// to https://host/prefix/v3/.... Credentials are only ever sent to this
// scheme and host.
func WithBaseURL(rawURL string) Option {
	return func(c *config) error {
		u, err := parseHTTPURL(rawURL)
		if err != nil {
			return fmt.Errorf("getty: WithBaseURL: %w", err)
		}
		if u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("getty: WithBaseURL: %q has a query or fragment", redactURL(u))
		}
		u.Path = strings.TrimRight(u.Path, "/")
		u.RawPath = ""
		c.baseURL = u
		return nil
	}
}

// WithHTTPClient sets the HTTP client used for API, token and delivery
// requests. The client is copied, never modified: its redirect policy is
// replaced in the copy because this package follows redirects itself. Prefer
// context deadlines to http.Client.Timeout, which also cuts off large image
// downloads.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("getty: WithHTTPClient: nil client")
		}
		c.httpClient = hc
		return nil
	}
}

// WithTransport sets the RoundTripper used for every request (it replaces
// the transport of a client given with WithHTTPClient).
func WithTransport(rt http.RoundTripper) Option {
	return func(c *config) error {
		if rt == nil {
			return errors.New("getty: WithTransport: nil transport")
		}
		c.transport = rt
		return nil
	}
}

// WithRetry sets the retry policy. The zero RetryPolicy means the defaults;
// NoRetry disables retries.
func WithRetry(p RetryPolicy) Option {
	return func(c *config) error {
		if err := p.validate(); err != nil {
			return fmt.Errorf("getty: WithRetry: %w", err)
		}
		c.retry = p
		return nil
	}
}

// WithUserAgent names the application in the User-Agent header sent on
// every request: ua ("myapp/1.0") comes first, followed by the library's
// own token, so that the header reads "myapp/1.0 gettykit-getty-go/v1.2.3"
// (see DefaultUserAgent).
func WithUserAgent(ua string) Option {
	return func(c *config) error {
		if strings.TrimSpace(ua) == "" || hasCtl(ua) {
			return errors.New("getty: WithUserAgent: empty or contains control characters")
		}
		c.userAgent = ua
		return nil
	}
}

// WithResponseHeaderTimeout bounds the wait for a response's headers after
// a request is sent (DefaultResponseHeaderTimeout without this option). Zero
// disables the bound, leaving only the context. When it expires the call
// fails with a *TimeoutError.
func WithResponseHeaderTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("getty: WithResponseHeaderTimeout: negative duration %s", d)
		}
		c.headerTimeout, c.headerTimeoutSet = d, true
		return nil
	}
}

// WithStallTimeout bounds the silence while a response body is read: when
// no byte arrives for d (DefaultStallTimeout without this option), the
// request is cancelled and the read fails with a *TimeoutError; SaveImage
// then leaves no file. The whole of a long download is not limited: use the
// context for that. Zero disables the bound. A body the caller does not read
// for d is cancelled too.
func WithStallTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("getty: WithStallTimeout: negative duration %s", d)
		}
		c.stallTimeout, c.stallTimeoutSet = d, true
		return nil
	}
}

// WithInsecurePlainHTTP allows a plain-http base URL or token URL on a host
// other than the loopback interface. Such URLs are refused by default: over
// http the API key, the client secret and bearer tokens cross the network
// unencrypted. Loopback URLs (a fake server in tests) never need it.
func WithInsecurePlainHTTP() Option {
	return func(c *config) error {
		c.plainHTTP = true
		return nil
	}
}

// validate checks the combination of options.
func (c *config) validate() error {
	if c.apiKey == "" {
		return errors.New("getty: an API key is required (WithAPIKey)")
	}
	if !c.plainHTTP {
		if c.baseURL != nil && !secureOrLoopback(c.baseURL) {
			return fmt.Errorf("getty: WithBaseURL: %s is plain http to a host other than this machine: the API key and tokens would cross the network unencrypted; use https, or allow it with WithInsecurePlainHTTP", redactURL(c.baseURL))
		}
		if c.tokenURL != "" {
			if u, err := url.Parse(c.tokenURL); err == nil && !secureOrLoopback(u) {
				return fmt.Errorf("getty: WithTokenURL: %s is plain http to a host other than this machine: the client secret and tokens would cross the network unencrypted; use https, or allow it with WithInsecurePlainHTTP", redactURL(u))
			}
		}
	}
	if c.tokenSource != nil && (c.secret != "" || c.username != "" || c.refreshToken != "" || c.token != nil) {
		return errors.New("getty: WithTokenSource conflicts with WithClientSecret, WithPassword, WithRefreshToken and WithToken")
	}
	if c.username != "" && c.refreshToken != "" {
		return errors.New("getty: WithPassword conflicts with WithRefreshToken")
	}
	if c.token != nil && c.refreshToken != "" {
		return errors.New("getty: WithToken conflicts with WithRefreshToken (put the refresh token in the token)")
	}
	if (c.username != "" || c.refreshToken != "") && c.secret == "" {
		return errors.New("getty: WithPassword and WithRefreshToken need WithClientSecret")
	}
	return nil
}

// parseHTTPURL parses an absolute http or https URL. Its errors show the URL
// without user information or the values of undocumented query parameters
// (see redactURL): a mistyped setting may hold a password or a key.
func parseHTTPURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// *url.Error quotes the whole input.
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, fmt.Errorf("invalid URL: %w", ue.Err)
		}
		return nil, errors.New("invalid URL")
	}
	if u.Scheme == "" {
		return nil, errors.New("not an absolute http or https URL")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("scheme %q is neither http nor https", u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%q has no host", redactURL(u))
	}
	if u.User != nil {
		return nil, fmt.Errorf("%q must not carry user information", redactURL(u))
	}
	return u, nil
}

// secureOrLoopback reports whether credentials may be sent to u: over
// https, or to the loopback interface.
func secureOrLoopback(u *url.URL) bool {
	if u.Scheme == "https" {
		return true
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func hasCtl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

// tokenTimeout bounds token requests, which are small; API and delivery
// requests are bounded by the caller's context only.
const tokenTimeout = 30 * time.Second
