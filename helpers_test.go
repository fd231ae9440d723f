package getty

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// basePath is the non-empty path the test servers serve the API under, so
// that tests catch requests that lose the base path.
const basePath = "/api"

// fastRetry keeps the tests quick while still exercising backoff.
var fastRetry = RetryPolicy{MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond}

// validToken is an access token that stays usable for the whole test run.
func validToken() *oauth2.Token {
	return &oauth2.Token{AccessToken: "test-token", TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
}

// newAPI starts a server for mux and returns it with the API base URL.
func newAPI(t *testing.T, mux http.Handler) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, srv.URL + basePath
}

// newClient returns a client for base with fast retries; opts come last and
// may add credentials. Without any, a valid static token is used.
func newClient(t *testing.T, base string, opts ...Option) *Client {
	t.Helper()
	all := []Option{WithAPIKey("test-key"), WithBaseURL(base), WithRetry(fastRetry)}
	if len(opts) == 0 {
		opts = []Option{WithToken(validToken())}
	}
	c, err := New(append(all, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// listDir returns the names in dir.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// hangUp closes the connection without answering, after the handler has
// read the request.
func hangUp(t *testing.T, w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		t.Error("response writer cannot be hijacked")
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		t.Error(err)
		return
	}
	_ = conn.Close()
}
