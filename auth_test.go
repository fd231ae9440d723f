package getty

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// tokenServer is a fake Getty token endpoint.
type tokenServer struct {
	t         *testing.T
	mu        sync.Mutex
	forms     []url.Values
	count     atomic.Int64
	expiresIn string // raw JSON value of expires_in
	delay     time.Duration
	refresh   string               // refresh token to hand out, if any
	expiry    map[string]time.Time // when each token issued expires (zero: never)
}

// expiryOf reports when tok, issued by ts, expires.
func (ts *tokenServer) expiryOf(tok string) (exp time.Time, issued bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	exp, issued = ts.expiry[tok]
	return exp, issued
}

func (ts *tokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := ts.count.Add(1)
	if err := r.ParseForm(); err != nil {
		ts.t.Errorf("token request: %v", err)
	}
	if r.Header.Get("Authorization") != "" {
		ts.t.Errorf("token request carries an Authorization header; Getty wants client_id/client_secret in the form")
	}
	if r.Header.Get("Api-Key") != "" {
		ts.t.Errorf("token request carries an Api-Key header")
	}
	ts.mu.Lock()
	ts.forms = append(ts.forms, r.PostForm)
	ts.mu.Unlock()
	time.Sleep(ts.delay)
	expIn := ts.expiresIn
	if expIn == "" {
		expIn = "1800"
	}
	w.Header().Set("Content-Type", "application/json")
	rt := ""
	if ts.refresh != "" {
		rt = fmt.Sprintf(`,"refresh_token":%q`, ts.refresh)
	}
	var exp time.Time
	if secs, err := strconv.Atoi(strings.Trim(expIn, `"`)); err == nil && secs != 0 {
		exp = time.Now().Add(time.Duration(secs) * time.Second)
	}
	ts.mu.Lock()
	if ts.expiry == nil {
		ts.expiry = map[string]time.Time{}
	}
	ts.expiry[fmt.Sprintf("new-%d", n)] = exp
	ts.mu.Unlock()
	fmt.Fprintf(w, `{"access_token":"new-%d","token_type":"Bearer","expires_in":%s%s}`, n, expIn, rt)
}

func (ts *tokenServer) form(i int) url.Values {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.forms[i]
}

// authAPI serves the listing and the download POST, accepting only the
// bearer tokens for which valid returns true; it records the tokens used.
func authAPI(t *testing.T, valid func(string) bool) (base string, posts *atomic.Int64) {
	posts = new(atomic.Int64)
	mux := http.NewServeMux()
	check := func(w http.ResponseWriter, r *http.Request) bool {
		if r.Header.Get("Api-Key") != "test-key" {
			t.Errorf("Api-Key = %q", r.Header.Get("Api-Key"))
		}
		auth := r.Header.Get("Authorization")
		tok, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || !valid(tok) {
			writeJSON(w, 401, map[string]string{"message": "Unauthorized"})
			return false
		}
		return true
	}
	mux.HandleFunc("GET /api/v3/downloads", func(w http.ResponseWriter, r *http.Request) {
		if check(w, r) {
			writeJSON(w, 200, map[string]any{"result_count": 0, "downloads": []any{}})
		}
	})
	mux.HandleFunc("POST /api/v3/downloads/images/{id}", func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		if check(w, r) {
			writeJSON(w, 200, map[string]string{"uri": "https://delivery.example/x.jpg?s=1"})
		}
	})
	_, base = newAPI(t, mux)
	return base, posts
}

func newTokenServer(t *testing.T) (*tokenServer, string) {
	ts := &tokenServer{t: t}
	srv, _ := newAPI(t, ts)
	return ts, srv.URL + "/oauth2/token"
}

func TestExpiredTokenRefreshedOnceUnderConcurrency(t *testing.T) {
	ts, tokenURL := newTokenServer(t)
	ts.expiresIn = `"1800"` // Getty's docs show the string form too
	ts.delay = 20 * time.Millisecond
	base, _ := authAPI(t, func(tok string) bool { return tok == "new-1" })
	expired := &oauth2.Token{AccessToken: "old", Expiry: time.Now().Add(-time.Minute)}
	c := newClient(t, base, WithClientSecret("secret"), WithTokenURL(tokenURL), WithToken(expired))

	const n = 100
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			if _, err := c.ListDownloads(t.Context(), nil); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := ts.count.Load(); got != 1 {
		t.Fatalf("%d token requests, want 1", got)
	}
	f := ts.form(0)
	if f.Get("grant_type") != "client_credentials" || f.Get("client_id") != "test-key" || f.Get("client_secret") != "secret" {
		t.Errorf("token form = %v", f)
	}
	tok, err := c.Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(tok.Expiry); d < 29*time.Minute || d > 31*time.Minute {
		t.Errorf("expires_in \"1800\" gave an expiry in %v", d)
	}
}

func TestRejectedTokenRenewedOnceUnderConcurrency(t *testing.T) {
	ts, tokenURL := newTokenServer(t)
	ts.delay = 20 * time.Millisecond
	// The client believes "revoked" is valid for an hour; the API says 401.
	base, _ := authAPI(t, func(tok string) bool { return tok == "new-1" })
	revoked := &oauth2.Token{AccessToken: "revoked", Expiry: time.Now().Add(time.Hour)}
	c := newClient(t, base, WithClientSecret("secret"), WithTokenURL(tokenURL), WithToken(revoked))

	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 100 {
		wg.Go(func() {
			if _, err := c.ListDownloads(t.Context(), nil); err != nil {
				failed.Add(1)
				t.Log(err)
			}
		})
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Errorf("%d calls failed", failed.Load())
	}
	if got := ts.count.Load(); got != 1 {
		t.Errorf("%d token requests, want 1", got)
	}
}

func TestExpiresInForms(t *testing.T) {
	for _, raw := range []string{`1800`, `"1800"`} {
		t.Run(raw, func(t *testing.T) {
			ts, tokenURL := newTokenServer(t)
			ts.expiresIn = raw
			c := newClient(t, "http://127.0.0.1:1", WithClientSecret("s"), WithTokenURL(tokenURL))
			tok, err := c.Token(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Until(tok.Expiry); d < 29*time.Minute || d > 31*time.Minute {
				t.Errorf("expiry in %v, want about 30m", d)
			}
			// Cached: a second call makes no request.
			if _, err := c.Token(t.Context()); err != nil || ts.count.Load() != 1 {
				t.Errorf("second Token: err %v, %d requests", err, ts.count.Load())
			}
		})
	}
}

func TestGrants(t *testing.T) {
	tests := []struct {
		name    string
		opts    []Option
		issueRT bool              // the token endpoint hands out refresh tokens
		first   map[string]string // form fields of the first token request
		renew   map[string]string // form fields of the renewal, after expiry
	}{
		{
			name:  "client credentials",
			opts:  []Option{WithClientSecret("s")},
			first: map[string]string{"grant_type": "client_credentials", "client_id": "test-key", "client_secret": "s"},
			renew: map[string]string{"grant_type": "client_credentials"},
		},
		{
			name:    "password then refresh",
			opts:    []Option{WithClientSecret("s"), WithPassword("user", "pw")},
			issueRT: true,
			first:   map[string]string{"grant_type": "password", "username": "user", "password": "pw", "client_id": "test-key", "client_secret": "s"},
			renew:   map[string]string{"grant_type": "refresh_token", "refresh_token": "rt-issued"},
		},
		{
			name:    "refresh token",
			opts:    []Option{WithClientSecret("s"), WithRefreshToken("rt-given")},
			issueRT: true,
			first:   map[string]string{"grant_type": "refresh_token", "refresh_token": "rt-given", "client_id": "test-key"},
			renew:   map[string]string{"grant_type": "refresh_token", "refresh_token": "rt-issued"},
		},
		{
			name:    "token with refresh token",
			opts:    []Option{WithClientSecret("s"), WithToken(&oauth2.Token{RefreshToken: "rt-given"})},
			issueRT: true,
			first:   map[string]string{"grant_type": "refresh_token", "refresh_token": "rt-given"},
			renew:   map[string]string{"grant_type": "refresh_token", "refresh_token": "rt-issued"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, tokenURL := newTokenServer(t)
			if tt.issueRT {
				ts.refresh = "rt-issued"
			}
			c := newClient(t, "http://127.0.0.1:1", append(tt.opts, WithTokenURL(tokenURL))...)
			if _, err := c.Token(t.Context()); err != nil {
				t.Fatal(err)
			}
			expireCachedToken(c)
			if _, err := c.Token(t.Context()); err != nil {
				t.Fatal(err)
			}
			if ts.count.Load() != 2 {
				t.Fatalf("%d token requests, want 2", ts.count.Load())
			}
			for i, want := range []map[string]string{tt.first, tt.renew} {
				got := ts.form(i)
				for k, v := range want {
					if got.Get(k) != v {
						t.Errorf("request %d: %s = %q, want %q (form %v)", i, k, got.Get(k), v, got)
					}
				}
			}
		})
	}
}

// expireCachedToken makes the client's cached token expired, so that its
// next use renews it.
func expireCachedToken(c *Client) {
	c.tokens.mu.Lock()
	defer c.tokens.mu.Unlock()
	expired := *c.tokens.tok
	expired.Expiry = time.Now().Add(-time.Second)
	c.tokens.tok = &expired
}

type countingSource struct {
	n atomic.Int64
}

func (s *countingSource) Token() (*oauth2.Token, error) {
	n := s.n.Add(1)
	return &oauth2.Token{AccessToken: fmt.Sprintf("new-%d", n), Expiry: time.Now().Add(time.Hour)}, nil
}

func TestTokenSourceIsCachedAndRenewedOn401(t *testing.T) {
	src := &countingSource{}
	base, _ := authAPI(t, func(tok string) bool { return tok == "new-2" })
	c := newClient(t, base, WithTokenSource(src))
	// new-1 is rejected, new-2 accepted: one renewal.
	for range 3 {
		if _, err := c.ListDownloads(t.Context(), nil); err != nil {
			t.Fatal(err)
		}
	}
	if src.n.Load() != 2 {
		t.Errorf("token source called %d times, want 2", src.n.Load())
	}
}

func TestExpiredStaticToken(t *testing.T) {
	base, _ := authAPI(t, func(string) bool { return true })
	c := newClient(t, base, WithToken(&oauth2.Token{AccessToken: "old", Expiry: time.Now().Add(-time.Second)}))
	_, err := c.ListDownloads(t.Context(), nil)
	if !errors.Is(err, errTokenExpired) {
		t.Fatalf("err = %v, want errTokenExpired", err)
	}
}

func TestDownloadPOSTRetriedOnceAfter401(t *testing.T) {
	ts, tokenURL := newTokenServer(t)
	base, posts := authAPI(t, func(tok string) bool { return tok == "new-1" })
	c := newClient(t, base, WithClientSecret("s"), WithTokenURL(tokenURL),
		WithToken(&oauth2.Token{AccessToken: "revoked", Expiry: time.Now().Add(time.Hour)}))
	uri, err := c.DownloadURL(t.Context(), "123", &DownloadOptions{Notes: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if uri != "https://delivery.example/x.jpg?s=1" {
		t.Errorf("uri = %s", uri)
	}
	if posts.Load() != 2 || ts.count.Load() != 1 {
		t.Errorf("%d POSTs and %d token requests, want 2 and 1", posts.Load(), ts.count.Load())
	}
}

func TestPOST401NotRetriedWhenTokenCannotChange(t *testing.T) {
	base, posts := authAPI(t, func(string) bool { return false })
	c := newClient(t, base) // static valid-looking token, no secret
	_, err := c.DownloadURL(t.Context(), "123", nil)
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	if posts.Load() != 1 {
		t.Errorf("%d POSTs, want 1", posts.Load())
	}
}

func TestTokenWaitStopsWithContext(t *testing.T) {
	ts, tokenURL := newTokenServer(t)
	ts.delay = 300 * time.Millisecond
	c := newClient(t, "http://127.0.0.1:1", WithClientSecret("s"), WithTokenURL(tokenURL))
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Token(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Errorf("err %v after %v", err, time.Since(start))
	}
}

func TestAPIKeyOnlySendsNoAuthorization(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v3/downloads", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" || r.Header.Get("Api-Key") != "k" {
			t.Errorf("headers %v", r.Header)
		}
		if !strings.HasPrefix(r.Header.Get("User-Agent"), "agent/") {
			t.Errorf("User-Agent %q", r.Header.Get("User-Agent"))
		}
		_, _ = io.WriteString(w, `{"result_count":0}`)
	})
	_, base := newAPI(t, mux)
	c, err := New(WithAPIKey("k"), WithBaseURL(base), WithUserAgent("agent/1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListDownloads(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
}

// failingSource hands out one token, then fails as a token endpoint that is
// down would.
type failingSource struct{ calls atomic.Int64 }

func (s *failingSource) Token() (*oauth2.Token, error) {
	if s.calls.Add(1) == 1 {
		return &oauth2.Token{AccessToken: "first", Expiry: time.Now().Add(time.Hour)}, nil
	}
	return nil, errors.New("token endpoint unavailable")
}

func TestFailedRenewalIsReported(t *testing.T) {
	base, posts := authAPI(t, func(string) bool { return false })
	c := newClient(t, base, WithTokenSource(&failingSource{}))
	_, err := c.DownloadURL(t.Context(), "123", nil)
	if !errors.Is(err, ErrUnauthorized) || err == nil || !strings.Contains(err.Error(), "token endpoint unavailable") {
		t.Fatalf("err = %v, want the 401 and why the token could not be renewed", err)
	}
	if posts.Load() != 1 {
		t.Errorf("%d POSTs, want 1", posts.Load())
	}
}

// shortTokenAPI serves the listing and the download POST to the tokens ts
// issued, and counts the uses of a token after its expiry.
func shortTokenAPI(t *testing.T, ts *tokenServer) (base string, late *atomic.Int64) {
	late = new(atomic.Int64)
	serve := func(w http.ResponseWriter, r *http.Request, ok func()) {
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		exp, issued := ts.expiryOf(tok)
		if !issued {
			writeJSON(w, 401, map[string]string{"message": "Unauthorized"})
			return
		}
		if time.Now().After(exp) {
			late.Add(1)
		}
		ok()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v3/downloads", func(w http.ResponseWriter, r *http.Request) {
		serve(w, r, func() { writeJSON(w, 200, map[string]any{"result_count": 0, "downloads": []any{}}) })
	})
	_, base = newAPI(t, mux)
	return base, late
}

// tokenBound is the most token requests a client may make in elapsed when
// every token lives life: one, then one each time a token reaches its
// refresh margin (a tenth of its life), which is at least 0.9*life after the
// previous request started.
func tokenBound(elapsed, life time.Duration) int64 {
	return 1 + int64(elapsed/(life-life/10))
}

func TestShortLivedTokensUnderConcurrency(t *testing.T) {
	ts, tokenURL := newTokenServer(t)
	ts.expiresIn = "2"
	base, late := shortTokenAPI(t, ts)
	c := newClient(t, base, WithClientSecret("secret"), WithTokenURL(tokenURL))

	const callers, span = 100, 4 * time.Second
	start := time.Now()
	var wg sync.WaitGroup
	var calls, failed atomic.Int64
	for range callers {
		wg.Go(func() {
			for time.Since(start) < span {
				calls.Add(1)
				if _, err := c.ListDownloads(t.Context(), nil); err != nil {
					if failed.Add(1) == 1 {
						t.Error(err)
					}
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	got, bound := ts.count.Load(), tokenBound(elapsed, 2*time.Second)
	t.Logf("%d calls by %d callers over %v: %d token requests (bound %d), %d uses of an expired token",
		calls.Load(), callers, elapsed.Round(time.Millisecond), got, bound, late.Load())
	if failed.Load() != 0 {
		t.Errorf("%d calls failed", failed.Load())
	}
	if got > bound {
		t.Errorf("%d token requests for 2 s tokens over %v, want at most %d", got, elapsed, bound)
	}
	if got < 2 {
		t.Errorf("%d token requests over %v of 2 s tokens: the token was never renewed", got, elapsed)
	}
}

func TestSequentialCallsReuseShortLivedToken(t *testing.T) {
	ts, tokenURL := newTokenServer(t)
	ts.expiresIn = "2"
	base, _ := shortTokenAPI(t, ts)
	c := newClient(t, base, WithClientSecret("secret"), WithTokenURL(tokenURL))
	start := time.Now()
	const n = 20
	for range n {
		if _, err := c.ListDownloads(t.Context(), nil); err != nil {
			t.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	if got, bound := ts.count.Load(), tokenBound(elapsed, 2*time.Second); got > bound {
		t.Errorf("%d sequential calls over %v made %d token requests, want at most %d", n, elapsed, got, bound)
	}
}

func TestRenewalAfter401IsSingleFlight(t *testing.T) {
	ts, tokenURL := newTokenServer(t)
	ts.expiresIn = "2" // short-lived: the renewed token must still be used as is
	const callers = 50
	var arrived atomic.Int64
	all := make(chan struct{})
	var posts atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v3/downloads/images/{id}", func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if tok == "revoked" {
			// Every caller holds the revoked token when the 401s come.
			if arrived.Add(1) == callers {
				close(all)
			}
			select {
			case <-all:
			case <-time.After(10 * time.Second):
				t.Error("the callers did not all send the revoked token")
			}
			writeJSON(w, 401, map[string]string{"message": "Unauthorized"})
			return
		}
		if _, ok := ts.expiryOf(tok); !ok {
			writeJSON(w, 401, map[string]string{"message": "Unauthorized"})
			return
		}
		writeJSON(w, 200, map[string]string{"uri": "https://delivery.example/x.jpg"})
	})
	_, base := newAPI(t, mux)
	revoked := &oauth2.Token{AccessToken: "revoked", Expiry: time.Now().Add(time.Hour)}
	c := newClient(t, base, WithClientSecret("s"), WithTokenURL(tokenURL), WithToken(revoked))

	var wg sync.WaitGroup
	var failed atomic.Int64
	for range callers {
		wg.Go(func() {
			if _, err := c.DownloadURL(t.Context(), "42", nil); err != nil {
				failed.Add(1)
				t.Log(err)
			}
		})
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Errorf("%d calls failed", failed.Load())
	}
	if got := ts.count.Load(); got != 1 {
		t.Errorf("a 401 received by %d callers made %d token requests, want 1", callers, got)
	}
	if got := posts.Load(); got != 2*callers {
		t.Errorf("%d POSTs, want %d (each sent once more after the renewal)", got, 2*callers)
	}
}

func TestRenewOnlyByHoldersOfTheRejectedToken(t *testing.T) {
	var fetches atomic.Int64
	tc := &tokenCache{
		fetch: func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
			n := fetches.Add(1)
			return &oauth2.Token{AccessToken: fmt.Sprintf("tok-%d", n), Expiry: time.Now().Add(time.Hour)}, nil
		},
		hc:  http.DefaultClient,
		tok: &oauth2.Token{AccessToken: "tok-0", Expiry: time.Now().Add(time.Hour)},
	}
	first, err := tc.token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			tok, err := tc.renew(t.Context(), first)
			if err != nil || tok.AccessToken != "tok-1" {
				t.Errorf("renew = %v, %v; want tok-1", tok, err)
			}
		})
	}
	wg.Wait()
	// A late caller holding the rejected token reuses the new one.
	if tok, err := tc.renew(t.Context(), first); err != nil || tok.AccessToken != "tok-1" {
		t.Errorf("late renew = %v, %v; want tok-1", tok, err)
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("%d fetches, want 1", n)
	}
	// The new token rejected in turn: one more fetch.
	if tok, err := tc.renew(t.Context(), &oauth2.Token{AccessToken: "tok-1"}); err != nil || tok.AccessToken != "tok-2" {
		t.Errorf("renew = %v, %v; want tok-2", tok, err)
	}
	if n := fetches.Load(); n != 2 {
		t.Errorf("%d fetches, want 2", n)
	}
}

// staleSource hands out tokens that are already expired when they arrive,
// as a source with a skewed clock would.
type staleSource struct{ n atomic.Int64 }

func (s *staleSource) Token() (*oauth2.Token, error) {
	n := s.n.Add(1)
	return &oauth2.Token{AccessToken: fmt.Sprintf("new-%d", n), Expiry: time.Now()}, nil
}

func TestRenewedTokenIsUsedAsItCame(t *testing.T) {
	// new-1 is rejected; the renewal brings new-2, which the request must
	// be resent with, though the cache would not hand it out again.
	src := &staleSource{}
	base, posts := authAPI(t, func(tok string) bool { return tok == "new-2" })
	c := newClient(t, base, WithTokenSource(src))
	if _, err := c.DownloadURL(t.Context(), "42", nil); err != nil {
		t.Fatal(err)
	}
	if src.n.Load() != 2 || posts.Load() != 2 {
		t.Errorf("%d tokens fetched and %d POSTs, want 2 and 2", src.n.Load(), posts.Load())
	}
}
