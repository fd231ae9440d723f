package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/term"

	"github.com/gettykit/getty"
)

// globalFlags are the settings every command shares. Flags win over the
// environment; credentials are never printed, not even their defaults.
type globalFlags struct {
	apiKey, apiSecret  string
	username, password string
	token, refresh     string
	baseURL, tokenURL  string
	verbose            bool
	timeout, stall     time.Duration
	plainHTTP          bool
}

// Default deadlines of a run: a run that takes longer is stopped, and so is
// a download that receives nothing for the stall timeout.
const (
	defaultTimeout      = 30 * time.Minute
	defaultStallTimeout = getty.DefaultStallTimeout
)

func (g *globalFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.apiKey, "api-key", "", "API key (env GETTY_API_KEY)")
	fs.StringVar(&g.apiSecret, "api-secret", "", "API secret, for client-credentials tokens (env GETTY_API_SECRET)")
	fs.StringVar(&g.username, "username", "", "user name, for a resource-owner token (env GETTY_USERNAME)")
	fs.StringVar(&g.password, "password", "", "password, for a resource-owner token (env GETTY_PASSWORD; prefer the environment)")
	fs.StringVar(&g.token, "token", "", "an access token to use as is (env GETTY_TOKEN)")
	fs.StringVar(&g.refresh, "refresh-token", "", "a refresh token (env GETTY_REFRESH_TOKEN)")
	fs.StringVar(&g.baseURL, "base-url", "", "API base URL (env GETTY_BASE_URL; default https://api.gettyimages.com)")
	fs.StringVar(&g.tokenURL, "token-url", "", "OAuth2 token URL (env GETTY_TOKEN_URL)")
	fs.BoolVar(&g.verbose, "verbose", false, "log each HTTP exchange (method, URL without query values, status) to stderr")
	fs.DurationVar(&g.timeout, "timeout", defaultTimeout, "stop the whole run after this long (0: no limit)")
	fs.DurationVar(&g.stall, "stall-timeout", defaultStallTimeout, "give up on a response that sends nothing for this long (0: no limit)")
	fs.BoolVar(&g.plainHTTP, "insecure-plain-http", false, "allow a plain-http --base-url or --token-url on another machine (credentials cross the network unencrypted)")
}

// errNoCredentials reports credentials the command needs and was not given.
var errNoCredentials = errors.New("missing credentials")

// withEnv fills unset settings from the environment.
func (g globalFlags) withEnv(getenv func(string) string) globalFlags {
	set := func(dst *string, env string, trim bool) {
		if *dst == "" {
			*dst = getenv(env)
			if trim {
				*dst = strings.TrimSpace(*dst)
			}
		}
	}
	// Keys, tokens and URLs never hold spaces, so stray ones (a copied
	// newline) are dropped; a password or secret is taken exactly as given.
	set(&g.apiKey, "GETTY_API_KEY", true)
	set(&g.apiSecret, "GETTY_API_SECRET", false)
	set(&g.username, "GETTY_USERNAME", false)
	set(&g.password, "GETTY_PASSWORD", false)
	set(&g.token, "GETTY_TOKEN", true)
	set(&g.refresh, "GETTY_REFRESH_TOKEN", true)
	set(&g.baseURL, "GETTY_BASE_URL", true)
	set(&g.tokenURL, "GETTY_TOKEN_URL", true)
	return g
}

// newClient builds a client from flags and environment. needToken is set
// for commands that spend quota: they need a way to get a bearer token.
func (a *app) newClient(needToken bool) (*getty.Client, error) {
	g := a.global.withEnv(a.getenv)
	if g.apiKey == "" {
		return nil, fmt.Errorf("%w: no API key; set GETTY_API_KEY or --api-key", errNoCredentials)
	}
	opts := []getty.Option{getty.WithAPIKey(g.apiKey), getty.WithUserAgent("getty-cli")}
	switch {
	case g.token != "":
		opts = append(opts, getty.WithToken(&oauth2.Token{AccessToken: g.token, TokenType: "Bearer"}))
		if g.apiSecret != "" {
			// With the secret too, a rejected token is renewed instead of
			// failing the command.
			opts = append(opts, getty.WithClientSecret(g.apiSecret))
		}
	case g.refresh != "":
		if g.apiSecret == "" {
			return nil, fmt.Errorf("%w: a refresh token needs the API secret; set GETTY_API_SECRET or --api-secret", errNoCredentials)
		}
		opts = append(opts, getty.WithClientSecret(g.apiSecret), getty.WithRefreshToken(g.refresh))
	case g.username != "" || g.password != "":
		if g.username == "" || g.password == "" || g.apiSecret == "" {
			return nil, fmt.Errorf("%w: a resource-owner token needs user name, password and API secret (GETTY_USERNAME, GETTY_PASSWORD, GETTY_API_SECRET)", errNoCredentials)
		}
		opts = append(opts, getty.WithClientSecret(g.apiSecret), getty.WithPassword(g.username, g.password))
	case g.apiSecret != "":
		opts = append(opts, getty.WithClientSecret(g.apiSecret))
	case needToken:
		return nil, fmt.Errorf("%w: downloads need a token; set GETTY_API_SECRET (or GETTY_TOKEN, or GETTY_USERNAME and GETTY_PASSWORD)", errNoCredentials)
	}
	if g.baseURL != "" {
		opts = append(opts, getty.WithBaseURL(g.baseURL))
	}
	if g.tokenURL != "" {
		opts = append(opts, getty.WithTokenURL(g.tokenURL))
	}
	if g.verbose {
		opts = append(opts, getty.WithTransport(&logTransport{base: http.DefaultTransport, w: a.stderr}))
	}
	if g.plainHTTP {
		opts = append(opts, getty.WithInsecurePlainHTTP())
	}
	opts = append(opts, getty.WithStallTimeout(g.stall))
	c, err := getty.New(opts...)
	if err != nil {
		// Option errors name the setting, never its value.
		return nil, &usageError{msg: optionNames.Replace(err.Error())}
	}
	return c, nil
}

// optionNames words the library's option errors with the flags and
// variables that set them.
var optionNames = strings.NewReplacer(
	"getty: WithBaseURL: ", "--base-url (GETTY_BASE_URL): ",
	"getty: WithTokenURL: ", "--token-url (GETTY_TOKEN_URL): ",
	"WithInsecurePlainHTTP", "--insecure-plain-http",
	"getty: WithStallTimeout: ", "--stall-timeout: ",
)

// statusFor maps an error to the documented exit status.
func statusFor(err error) int {
	var (
		v        *violationsError
		rejected *oauth2.RetrieveError
	)
	switch {
	case errors.As(err, &v):
		return exitViolations
	case errors.Is(err, errNoCredentials), errors.Is(err, getty.ErrUnauthorized), errors.As(err, &rejected):
		return exitCredentials
	case errors.Is(err, getty.ErrQuotaExhausted):
		return exitQuota
	default:
		return exitFailure
	}
}

// logTransport logs each exchange for --verbose: method, URL without query
// values, status and time. Headers and bodies, where credentials travel,
// are never logged.
type logTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	w    io.Writer
}

func (t *logTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	status := "error"
	if err == nil {
		status = resp.Status
	}
	t.mu.Lock()
	fmt.Fprintf(t.w, "--> %s %s %s (%s)\n", req.Method, redactedURL(req.URL), status, time.Since(start).Round(time.Millisecond))
	t.mu.Unlock()
	return resp, err
}

// redactedURL shows a URL with its query keys but not their values: signed
// delivery URLs carry their signature in the query.
func redactedURL(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = ""
	c.Fragment = ""
	s := c.String()
	if q := u.Query(); len(q) > 0 {
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, url.QueryEscape(k)+"=…")
		}
		sort.Strings(keys)
		s += "?" + strings.Join(keys, "&")
	}
	return s
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// redactString is redactedURL for a URL in a string.
func redactString(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(an unparseable URL)"
	}
	return redactedURL(u)
}
