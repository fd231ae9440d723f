package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/oauth2"
	"golang.org/x/term"

	"github.com/gettykit/getty"
)

// globalFlags are the settings every command shares: persistent flags of
// the root command, accepted before or after any command. Flags win over
// the environment; credentials are never printed, not even their defaults.
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

func (g *globalFlags) register(fs *pflag.FlagSet) {
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

// check refuses settings no command can run with.
func (g *globalFlags) check() error {
	switch {
	case g.timeout < 0:
		return usageErrorf("--timeout %s is negative (0 means no limit)", g.timeout)
	case g.stall < 0:
		return usageErrorf("--stall-timeout %s is negative (0 means no limit)", g.stall)
	}
	return nil
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
	opts := []getty.Option{getty.WithUserAgent("getty-cli")}
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
	// Settings whose values the library checks, for naming the one it
	// refuses.
	checked := []setting{
		{"api-key", "GETTY_API_KEY", getty.WithAPIKey(g.apiKey)},
		{"stall-timeout", "", getty.WithStallTimeout(g.stall)},
	}
	if g.baseURL != "" {
		checked = append(checked, setting{"base-url", "GETTY_BASE_URL", getty.WithBaseURL(g.baseURL)})
	}
	if g.tokenURL != "" {
		checked = append(checked, setting{"token-url", "GETTY_TOKEN_URL", getty.WithTokenURL(g.tokenURL)})
	}
	if g.plainHTTP {
		opts = append(opts, getty.WithInsecurePlainHTTP())
	}
	for _, s := range checked {
		opts = append(opts, s.opt)
	}
	if g.verbose {
		opts = append(opts, getty.WithTransport(&logTransport{base: http.DefaultTransport, w: a.stderr}))
	}
	c, err := getty.New(opts...)
	if err != nil {
		return nil, a.optionError(err, checked)
	}
	return c, nil
}

// setting is a client option from a flag or its environment variable.
type setting struct {
	flag, env string
	opt       getty.Option
}

// optionError words a refused client option as a usage error naming the
// flag or variable it came from, found by trying each setting alone.
func (a *app) optionError(err error, settings []setting) error {
	base := []getty.Option{getty.WithAPIKey("key")}
	if a.global.plainHTTP {
		base = append(base, getty.WithInsecurePlainHTTP())
	}
	for _, s := range settings {
		if _, alone := getty.New(append(base, s.opt)...); alone != nil {
			name := "--" + s.flag
			if s.env != "" && !a.root.PersistentFlags().Changed(s.flag) {
				name = s.env
			}
			return usageErrorf("%s: %s", name, optionText(alone))
		}
	}
	return &usageError{msg: optionText(err)}
}

// optionText is a library option error without the library's prefixes and
// option names: the caller names the flag or variable instead.
func optionText(err error) string {
	msg := cliMessage(err)
	if name, rest, ok := strings.Cut(msg, ": "); ok && strings.HasPrefix(name, "With") && !strings.ContainsAny(name, " ") {
		msg = rest
	}
	return strings.ReplaceAll(msg, "WithInsecurePlainHTTP", "--insecure-plain-http")
}

// statusFor maps an error to the documented exit status.
func statusFor(err error) int {
	var (
		v        *violationsError
		rejected *oauth2.RetrieveError
		command  *commandError
	)
	switch {
	case errors.As(err, &command):
		return command.code
	case errors.As(err, &v):
		return exitViolations
	case errors.Is(err, errNoCredentials), errors.Is(err, getty.ErrUnauthorized), errors.Is(err, getty.ErrUserTokenRequired),
		errors.As(err, &rejected):
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
