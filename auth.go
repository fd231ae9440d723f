package getty

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// refreshSkew: a token is renewed this long before it expires, so that it
// does not expire in flight.
const refreshSkew = time.Minute

// errTokenExpired is returned when a caller-supplied token has expired and
// no credentials were given to renew it.
var errTokenExpired = errors.New("getty: the access token has expired and no client secret was given to renew it")

// tokenCache caches one access token and fetches a new one at most once at a
// time: any number of goroutines that need a token while it is being fetched
// wait for that one fetch. The fetch runs detached from the callers' contexts
// (bounded by tokenTimeout), so a caller giving up does not fail it for the
// others; each caller stops waiting when its own context ends.
type tokenCache struct {
	fetch func(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error)
	hc    *http.Client // for the oauth2 package

	mu       sync.Mutex
	tok      *oauth2.Token // last token obtained, possibly expired
	rejected bool          // the API rejected tok
	inflight *tokenCall
}

type tokenCall struct {
	done chan struct{}
	tok  *oauth2.Token
	err  error
}

func usable(t *oauth2.Token) bool {
	return t != nil && t.AccessToken != "" && (t.Expiry.IsZero() || time.Until(t.Expiry) > refreshSkew)
}

// token returns a usable token, fetching one if needed.
func (c *tokenCache) token(ctx context.Context) (*oauth2.Token, error) {
	c.mu.Lock()
	if !c.rejected && usable(c.tok) {
		t := c.tok
		c.mu.Unlock()
		return t, nil
	}
	call := c.inflight
	if call == nil {
		call = &tokenCall{done: make(chan struct{})}
		c.inflight = call
		prev := c.tok
		go c.run(call, prev)
	}
	c.mu.Unlock()
	select {
	case <-call.done:
		return call.tok, call.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *tokenCache) run(call *tokenCall, prev *oauth2.Token) {
	ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), oauth2.HTTPClient, c.hc), tokenTimeout)
	defer cancel()
	tok, err := c.fetch(ctx, prev)
	if err == nil && (tok == nil || tok.AccessToken == "") {
		err = errors.New("getty: token endpoint returned no access token")
	}
	c.mu.Lock()
	if err == nil {
		c.tok, c.rejected = tok, false
	}
	c.inflight = nil
	c.mu.Unlock()
	call.tok, call.err = tok, err
	if err != nil {
		call.tok = nil
	}
	close(call.done)
}

// reject records that the API answered 401 to t: the next token call fetches
// a new one, unless another goroutine already replaced t.
func (c *tokenCache) reject(t *oauth2.Token) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok != nil && t != nil && c.tok.AccessToken == t.AccessToken {
		c.rejected = true
	}
}

// newTokenCache picks the token fetcher for the configured grant; it returns
// nil when no credentials beyond the API key were given.
func newTokenCache(cfg *config, hc *http.Client) *tokenCache {
	tokenURL := cfg.tokenURL
	if tokenURL == "" {
		tokenURL = DefaultTokenURL
	}
	oc := &oauth2.Config{
		ClientID:     cfg.apiKey,
		ClientSecret: cfg.secret,
		Endpoint:     oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams},
	}
	refresh := func(ctx context.Context, rt string) (*oauth2.Token, error) {
		// An empty access token makes the source refresh right away; the
		// source is not kept because the cache above does the caching.
		return oc.TokenSource(ctx, &oauth2.Token{RefreshToken: rt}).Token()
	}
	clientCreds := func(ctx context.Context) (*oauth2.Token, error) {
		cc := &clientcredentials.Config{
			ClientID:     cfg.apiKey,
			ClientSecret: cfg.secret,
			TokenURL:     tokenURL,
			AuthStyle:    oauth2.AuthStyleInParams,
		}
		return cc.Token(ctx)
	}

	var fetch func(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error)
	switch {
	case cfg.tokenSource != nil:
		ts := cfg.tokenSource
		fetch = func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return ts.Token() }
	case cfg.username != "":
		user, pass := cfg.username, cfg.password
		fetch = func(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
			if prev != nil && prev.RefreshToken != "" {
				if t, err := refresh(ctx, prev.RefreshToken); err == nil {
					return t, nil
				}
			}
			return oc.PasswordCredentialsToken(ctx, user, pass)
		}
	case cfg.refreshToken != "":
		initial := cfg.refreshToken
		fetch = func(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
			rt := initial
			if prev != nil && prev.RefreshToken != "" {
				rt = prev.RefreshToken // the server may rotate it
			}
			return refresh(ctx, rt)
		}
	case cfg.secret != "":
		fetch = func(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
			if prev != nil && prev.RefreshToken != "" {
				if t, err := refresh(ctx, prev.RefreshToken); err == nil {
					return t, nil
				}
			}
			return clientCreds(ctx)
		}
	case cfg.token != nil:
		// Nothing to renew it with: keep using it while it lasts (the API
		// is the judge of a rejected one), then fail clearly.
		fetch = func(_ context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
			if prev != nil && prev.AccessToken != "" && (prev.Expiry.IsZero() || time.Now().Before(prev.Expiry)) {
				return prev, nil
			}
			return nil, errTokenExpired
		}
	default:
		return nil
	}
	return &tokenCache{fetch: fetch, hc: hc, tok: cfg.token}
}
