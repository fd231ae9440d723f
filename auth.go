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

// maxRefreshMargin caps how long before its expiry a token is renewed.
const maxRefreshMargin = time.Minute

// refreshMargin is how long before its expiry a token that lived life when
// it arrived is renewed, so that it does not expire in flight: a tenth of
// its life, at most maxRefreshMargin. A fixed margin would make a token
// that lives less than the margin expired on arrival, and every call would
// fetch a new one.
func refreshMargin(life time.Duration) time.Duration {
	return min(max(life/10, 0), maxRefreshMargin)
}

// lifetime is how long t is valid from now: expires_in when the token
// endpoint gave it (oauth2 keeps it in ExpiresIn), or else what is left
// until its Expiry. Zero when it never expires.
func lifetime(t *oauth2.Token) time.Duration {
	if t == nil || t.Expiry.IsZero() {
		return 0
	}
	if t.ExpiresIn > 0 {
		return time.Duration(t.ExpiresIn) * time.Second
	}
	return time.Until(t.Expiry)
}

// errTokenExpired is returned when a caller-supplied token has expired and
// no credentials were given to renew it.
var errTokenExpired = errors.New("the access token has expired and no client secret was given to renew it")

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
	life     time.Duration // tok's lifetime when it arrived (0: never expires)
	rejected bool          // the API rejected tok
	inflight *tokenCall
}

type tokenCall struct {
	done chan struct{}
	tok  *oauth2.Token
	err  error
}

// usable reports whether the cached token can be sent: present, not
// rejected, and not within its refresh margin of its expiry. c.mu is held.
func (c *tokenCache) usable() bool {
	t := c.tok
	return !c.rejected && t != nil && t.AccessToken != "" &&
		(t.Expiry.IsZero() || time.Until(t.Expiry) > refreshMargin(c.life))
}

// token returns a usable token, fetching one if needed.
func (c *tokenCache) token(ctx context.Context) (*oauth2.Token, error) {
	c.mu.Lock()
	if c.usable() {
		t := c.tok
		c.mu.Unlock()
		return t, nil
	}
	return c.await(ctx)
}

// renew returns the token to use instead of rejected, which the API
// answered 401 to. However many callers got that 401, one fetch is made:
// only a caller holding the cached token marks it rejected; a caller whose
// token was already replaced gets the replacement, and callers arriving
// while the fetch is under way wait for it. The fetched token is returned
// as is, without asking whether it is usable, so a renewal never fetches
// twice.
func (c *tokenCache) renew(ctx context.Context, rejected *oauth2.Token) (*oauth2.Token, error) {
	c.mu.Lock()
	if c.tok != nil && rejected != nil && c.tok.AccessToken == rejected.AccessToken {
		c.rejected = true
	}
	if c.usable() {
		t := c.tok
		c.mu.Unlock()
		return t, nil
	}
	return c.await(ctx)
}

// await joins the fetch under way or starts one, then waits for it; c.mu is
// held on entry and released.
func (c *tokenCache) await(ctx context.Context) (*oauth2.Token, error) {
	call := c.inflight
	if call == nil {
		call = &tokenCall{done: make(chan struct{})}
		c.inflight = call
		go c.run(call, c.tok)
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
		err = errors.New("the token endpoint returned no access token")
	}
	c.mu.Lock()
	if err == nil {
		// The lifetime is taken when the token arrives: Expiry alone is a
		// point in time and does not say how long the token lives. A token
		// handed back unchanged (a static one) keeps its first lifetime.
		if prev == nil || tok.AccessToken != prev.AccessToken || !tok.Expiry.Equal(prev.Expiry) {
			c.life = lifetime(tok)
		}
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
	return &tokenCache{fetch: fetch, hc: hc, tok: cfg.token, life: lifetime(cfg.token)}
}
