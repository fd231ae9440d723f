package getty

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// jpegStart is the start of a JPEG file: enough to pass a content check.
var jpegStart = []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01}

// deliveryServer answers the download POST with a 303 to /file, which
// deliver serves.
func deliveryServer(t *testing.T, deliver http.HandlerFunc) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+basePath+"/v3/downloads/images/{id}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/file", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /file", deliver)
	_, base := newAPI(t, mux)
	return base
}

// TestStallTimeout checks that a delivery that stops sending is cut off
// after the stall timeout with a *TimeoutError and no file, while a slow but
// steady one completes: the limit is on silence, not on the whole download.
func TestStallTimeout(t *testing.T) {
	const stall = 300 * time.Millisecond
	tests := []struct {
		name     string
		deliver  http.HandlerFunc
		wantErr  bool
		wantSize int
	}{
		{
			name: "stalls after the first bytes",
			deliver: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "image/jpeg")
				w.Header().Set("Content-Length", "1000")
				w.Write(jpegStart)
				w.(http.Flusher).Flush()
				<-r.Context().Done() // until the client gives up
			},
			wantErr: true,
		},
		{
			name: "one byte every 50 ms",
			deliver: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "image/jpeg")
				w.Header().Set("Content-Length", "24")
				body := append(append([]byte{}, jpegStart...), make([]byte, 12)...)
				for _, b := range body {
					if _, err := w.Write([]byte{b}); err != nil {
						return
					}
					w.(http.Flusher).Flush()
					time.Sleep(50 * time.Millisecond)
				}
			},
			wantSize: 24,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			base := deliveryServer(t, tc.deliver)
			c := newClient(t, base, WithToken(validToken()), WithRetry(NoRetry), WithStallTimeout(stall))
			// Without the stall timeout the first case would wait for this.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			dir := t.TempDir()
			saved, err := c.SaveImage(ctx, "1", dir, nil)
			if !tc.wantErr {
				if err != nil {
					t.Fatal(err)
				}
				if saved.Size != int64(tc.wantSize) {
					t.Fatalf("saved %d bytes, want %d", saved.Size, tc.wantSize)
				}
				return
			}
			var te *TimeoutError
			if !errors.As(err, &te) || te.Stage != stageBody || te.Limit != stall {
				t.Fatalf("err = %v, want a stall *TimeoutError", err)
			}
			if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "no data received for 300ms") {
				t.Errorf("err = %v", err)
			}
			if ctx.Err() != nil {
				t.Error("the test's own deadline ended the download, not the stall timeout")
			}
			if names := listDir(t, dir); len(names) != 0 {
				t.Errorf("files left behind: %v", names)
			}
		})
	}
}

// TestResponseHeaderTimeout checks that a server that accepts a request and
// never answers is given up on after the response header timeout.
func TestResponseHeaderTimeout(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	_, base := newAPI(t, mux)
	c := newClient(t, base, WithToken(validToken()), WithRetry(NoRetry), WithResponseHeaderTimeout(200*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.ListDownloads(ctx, nil)
	var te *TimeoutError
	if !errors.As(err, &te) || te.Stage != stageHeaders {
		t.Fatalf("err = %v, want a response header *TimeoutError", err)
	}
	if ctx.Err() != nil {
		t.Error("the test's own deadline ended the call, not the response header timeout")
	}
	if !strings.Contains(err.Error(), "no response within 200ms") || strings.Contains(err.Error(), "test-token") {
		t.Errorf("err = %v", err)
	}
}

func TestTimeoutOptions(t *testing.T) {
	for _, opt := range []Option{WithResponseHeaderTimeout(-time.Second), WithStallTimeout(-1)} {
		if _, err := New(WithAPIKey("k"), opt); err == nil || !strings.Contains(err.Error(), "negative duration") {
			t.Errorf("negative timeout: err = %v", err)
		}
	}
	// Zero disables the bound: the stalled delivery then runs until the
	// context ends.
	base := deliveryServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(jpegStart)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	c := newClient(t, base, WithToken(validToken()), WithRetry(NoRetry), WithStallTimeout(0))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.SaveImage(ctx, "1", t.TempDir(), nil)
	var te *TimeoutError
	if errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
}

// TestPlainHTTPRefused checks that credentials are not sent in clear text
// to another machine unless the caller says so.
func TestPlainHTTPRefused(t *testing.T) {
	tests := []struct {
		name    string
		opts    []Option
		wantErr string
	}{
		{"http base URL", []Option{WithBaseURL("http://api.example.com")}, "WithBaseURL: http://api.example.com is plain http"},
		{"http token URL", []Option{WithTokenURL("http://auth.example.com/token"), WithClientSecret("s")}, "WithTokenURL: http://auth.example.com/token is plain http"},
		{"http base URL, allowed", []Option{WithBaseURL("http://api.example.com"), WithInsecurePlainHTTP()}, ""},
		{"http token URL, allowed", []Option{WithInsecurePlainHTTP(), WithTokenURL("http://auth.example.com/token")}, ""},
		{"https", []Option{WithBaseURL("https://api.example.com"), WithTokenURL("https://auth.example.com/token")}, ""},
		{"loopback IPv4", []Option{WithBaseURL("http://127.0.0.1:8080")}, ""},
		{"loopback IPv6", []Option{WithBaseURL("http://[::1]:8080")}, ""},
		{"localhost", []Option{WithBaseURL("http://localhost:8080"), WithTokenURL("http://fake.localhost/token")}, ""},
		{"private address", []Option{WithBaseURL("http://10.0.0.1")}, "plain http"},
		{"a name that starts like localhost", []Option{WithBaseURL("http://localhost.example.com")}, "plain http"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(append([]Option{WithAPIKey("k")}, tc.opts...)...)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), "WithInsecurePlainHTTP"):
				t.Errorf("the error does not name the option that allows it: %v", err)
			}
		})
	}
}
