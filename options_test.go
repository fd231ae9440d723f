package getty

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func TestNewValidation(t *testing.T) {
	tok := validToken()
	tests := []struct {
		name    string
		opts    []Option
		wantErr string // "" means success
	}{
		{"api key only", []Option{WithAPIKey("k")}, ""},
		{"client credentials", []Option{WithAPIKey("k"), WithClientSecret("s")}, ""},
		{"password", []Option{WithAPIKey("k"), WithClientSecret("s"), WithPassword("u", "p")}, ""},
		{"refresh token", []Option{WithAPIKey("k"), WithClientSecret("s"), WithRefreshToken("r")}, ""},
		{"token", []Option{WithAPIKey("k"), WithToken(tok)}, ""},
		{"token and secret", []Option{WithAPIKey("k"), WithToken(tok), WithClientSecret("s")}, ""},
		{"token source", []Option{WithAPIKey("k"), WithTokenSource(oauth2.StaticTokenSource(tok))}, ""},
		{"base URL with path", []Option{WithAPIKey("k"), WithBaseURL("http://127.0.0.1:1/prefix/")}, ""},
		{"everything else", []Option{WithAPIKey("k"), WithHTTPClient(&http.Client{}), WithTransport(http.DefaultTransport),
			WithRetry(NoRetry), WithUserAgent("x/1"), WithTokenURL("https://auth.example/token")}, ""},

		{"no options", nil, "API key is required"},
		{"empty key", []Option{WithAPIKey("")}, "empty API key"},
		{"key with newline", []Option{WithAPIKey("k\n")}, "control characters"},
		{"empty secret", []Option{WithAPIKey("k"), WithClientSecret("")}, "empty secret"},
		{"relative base URL", []Option{WithAPIKey("k"), WithBaseURL("/v3")}, "WithBaseURL"},
		{"ftp base URL", []Option{WithAPIKey("k"), WithBaseURL("ftp://x.example")}, "WithBaseURL"},
		{"base URL with query", []Option{WithAPIKey("k"), WithBaseURL("https://x.example/?a=b")}, "query"},
		{"base URL with user", []Option{WithAPIKey("k"), WithBaseURL("https://u:p@x.example")}, "user information"},
		{"bad token URL", []Option{WithAPIKey("k"), WithTokenURL("::")}, "WithTokenURL"},
		{"password without secret", []Option{WithAPIKey("k"), WithPassword("u", "p")}, "need WithClientSecret"},
		{"refresh without secret", []Option{WithAPIKey("k"), WithRefreshToken("r")}, "need WithClientSecret"},
		{"password and refresh", []Option{WithAPIKey("k"), WithClientSecret("s"), WithPassword("u", "p"), WithRefreshToken("r")}, "conflicts"},
		{"token source and secret", []Option{WithAPIKey("k"), WithClientSecret("s"), WithTokenSource(oauth2.StaticTokenSource(tok))}, "conflicts"},
		{"token source and token", []Option{WithAPIKey("k"), WithToken(tok), WithTokenSource(oauth2.StaticTokenSource(tok))}, "conflicts"},
		{"token and refresh token", []Option{WithAPIKey("k"), WithClientSecret("s"), WithToken(tok), WithRefreshToken("r")}, "conflicts"},
		{"empty token", []Option{WithAPIKey("k"), WithToken(&oauth2.Token{})}, "WithToken"},
		{"nil token source", []Option{WithAPIKey("k"), WithTokenSource(nil)}, "nil token source"},
		{"nil http client", []Option{WithAPIKey("k"), WithHTTPClient(nil)}, "nil client"},
		{"nil transport", []Option{WithAPIKey("k"), WithTransport(nil)}, "nil transport"},
		{"negative retry", []Option{WithAPIKey("k"), WithRetry(RetryPolicy{MaxAttempts: -1})}, "negative"},
		{"min above max backoff", []Option{WithAPIKey("k"), WithRetry(RetryPolicy{MinBackoff: time.Second, MaxBackoff: time.Millisecond})}, "exceeds"},
		{"bad user agent", []Option{WithAPIKey("k"), WithUserAgent("a\r\nX-Evil: 1")}, "control characters"},
		{"nil option", []Option{WithAPIKey("k"), nil}, "nil Option"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.opts...)
			if tt.wantErr == "" {
				if err != nil || c == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewDoesNotModifyCallerHTTPClient(t *testing.T) {
	hc := &http.Client{}
	if _, err := New(WithAPIKey("k"), WithHTTPClient(hc), WithTransport(http.DefaultTransport)); err != nil {
		t.Fatal(err)
	}
	if hc.CheckRedirect != nil || hc.Transport != nil {
		t.Error("New modified the caller's http.Client")
	}
}

func TestBaseURLDefault(t *testing.T) {
	c, err := New(WithAPIKey("k"))
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL() != DefaultBaseURL {
		t.Errorf("BaseURL = %s", c.BaseURL())
	}
}

func TestURLOptionErrorsHideSecrets(t *testing.T) {
	for _, o := range []Option{
		WithBaseURL("ftp://key:s3cret@x.example"),
		WithBaseURL("https://key:s3cret@x.example/%zz"),
		WithBaseURL("https://key:s3cret@x.example"),
		WithBaseURL("https://x.example/?api_key=s3cret"),
		WithBaseURL("//key:s3cret@x.example"),
		WithTokenURL("mailto:key:s3cret@x.example"),
		WithTokenURL("https://key:s3cret@x.example:bad/"),
	} {
		_, err := New(WithAPIKey("k"), o)
		if err == nil {
			t.Fatal("no error")
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error %q shows the secret", err)
		}
	}
}
