package getty

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// TestErrorsSayGettyOnce checks that every error the exported methods return
// on a failure path starts with "getty: " and never carries it again inside
// (the prefix is added once, at the exported method, not at every layer),
// so that a caller (the CLI) prints it without rewriting it.
func TestErrorsSayGettyOnce(t *testing.T) {
	jpeg := []byte("\xff\xd8\xff\xe0 a small jpeg")
	tests := []struct {
		name string
		call func(t *testing.T) error
		is   error // also matched, if set
	}{
		{"token failure listing", func(t *testing.T) error {
			base, _ := authAPI(t, func(string) bool { return true })
			c := newClient(t, base, WithToken(&oauth2.Token{AccessToken: "old", Expiry: time.Now().Add(-time.Second)}))
			_, err := c.ListDownloads(t.Context(), nil)
			return err
		}, errTokenExpired},
		{"token failure downloading", func(t *testing.T) error {
			base, _ := authAPI(t, func(string) bool { return true })
			c := newClient(t, base, WithToken(&oauth2.Token{AccessToken: "old", Expiry: time.Now().Add(-time.Second)}))
			_, err := c.DownloadURL(t.Context(), "123", nil)
			return err
		}, errTokenExpired},
		{"token failure Token", func(t *testing.T) error {
			base, _ := authAPI(t, func(string) bool { return true })
			c := newClient(t, base, WithToken(&oauth2.Token{AccessToken: "old", Expiry: time.Now().Add(-time.Second)}))
			_, err := c.Token(t.Context())
			return err
		}, errTokenExpired},
		{"failed renewal after a 401", func(t *testing.T) error {
			base, _ := authAPI(t, func(string) bool { return false })
			c := newClient(t, base, WithTokenSource(&failingSource{}))
			_, err := c.DownloadURL(t.Context(), "123", nil)
			return err
		}, ErrUnauthorized},
		{"API error", func(t *testing.T) error {
			mux := http.NewServeMux()
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusNotFound, map[string]string{"ErrorCode": "ImageNotFound", "ErrorMessage": "no such image"})
			})
			_, base := newAPI(t, mux)
			_, err := newClient(t, base).SaveImage(t.Context(), "123", t.TempDir()+"/", nil)
			return err
		}, ImageNotFound},
		{"network error", func(t *testing.T) error {
			srv := httptest.NewServer(http.NotFoundHandler())
			base := srv.URL + basePath
			srv.Close()
			_, err := newClient(t, base, WithToken(validToken()), WithRetry(NoRetry)).ListDownloads(t.Context(), nil)
			return err
		}, nil},
		{"network error on the delivery", func(t *testing.T) error {
			c, _ := saveSetup(t, func(w http.ResponseWriter, r *http.Request) { hangUp(t, w) }, WithRetry(NoRetry))
			_, err := c.SaveImage(t.Context(), "123", t.TempDir()+"/", nil)
			return err
		}, nil},
		{"body cut short", func(t *testing.T) error {
			c, _ := saveSetup(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "image/jpeg")
				w.Header().Set("Content-Length", "1000")
				_, _ = w.Write(jpeg)
			}, WithRetry(NoRetry))
			_, err := c.SaveImageTo(t.Context(), "123", &bytes.Buffer{}, nil)
			return err
		}, nil},
		{"body shorter than its length", func(t *testing.T) error {
			c, _ := saveSetup(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "image/jpeg")
				_, _ = w.Write(jpeg)
			}, WithTransport(lyingLength{next: http.DefaultTransport, delta: 10}))
			_, err := c.SaveImage(t.Context(), "123", t.TempDir()+"/", nil)
			return err
		}, io.ErrUnexpectedEOF},
		{"cancelled while retrying an API error", func(t *testing.T) error {
			ctx, cancel := context.WithCancel(t.Context())
			mux := http.NewServeMux()
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusServiceUnavailable, map[string]string{"message": "busy"})
				time.AfterFunc(20*time.Millisecond, cancel) // during the backoff
			})
			_, base := newAPI(t, mux)
			_, err := newClient(t, base, WithToken(validToken()), WithRetry(RetryPolicy{MinBackoff: time.Second, MaxBackoff: time.Second})).ListDownloads(ctx, nil)
			return err
		}, context.Canceled},
		{"file exists", func(t *testing.T) error {
			c, _ := saveSetup(t, func(w http.ResponseWriter, r *http.Request) {})
			dst := filepath.Join(t.TempDir(), "a.jpg")
			if err := os.WriteFile(dst, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := c.SaveImage(t.Context(), "123", dst, nil)
			return err
		}, fs.ErrExist},
		{"file exists, charged", func(t *testing.T) error {
			c, _ := saveSetup(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "image/jpeg")
				w.Header().Set("Content-Disposition", `attachment; filename="a.jpg"`)
				_, _ = w.Write(jpeg)
			})
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "a.jpg"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := c.SaveImage(t.Context(), "123", dir, nil)
			return err
		}, fs.ErrExist},
		{"content mismatch", func(t *testing.T) error {
			c, _ := saveSetup(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "image/jpeg")
				_, _ = w.Write([]byte("<!doctype html><title>Oops</title>"))
			})
			_, err := c.SaveImage(t.Context(), "123", t.TempDir()+"/", nil)
			return err
		}, nil},
		{"header timeout", func(t *testing.T) error {
			mux := http.NewServeMux()
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
			_, base := newAPI(t, mux)
			c := newClient(t, base, WithToken(validToken()), WithRetry(NoRetry), WithResponseHeaderTimeout(50*time.Millisecond))
			_, err := c.DownloadURL(t.Context(), "123", nil)
			return err
		}, ErrTimeout},
		{"stall timeout", func(t *testing.T) error {
			c, _ := saveSetup(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "image/jpeg")
				w.Header().Set("Content-Length", "1000")
				_, _ = w.Write(jpeg)
				w.(http.Flusher).Flush()
				<-r.Context().Done()
			}, WithRetry(NoRetry), WithStallTimeout(50*time.Millisecond))
			_, err := c.SaveImage(t.Context(), "123", t.TempDir()+"/", nil)
			return err
		}, ErrTimeout},
		{"cancelled", func(t *testing.T) error {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			c, _ := saveSetup(t, func(w http.ResponseWriter, r *http.Request) {})
			_, err := c.SaveImage(ctx, "123", t.TempDir()+"/", nil)
			return err
		}, context.Canceled},
		{"invalid option", func(t *testing.T) error {
			_, err := New(WithAPIKey("k"), WithBaseURL("http://example.com/api"))
			return err
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(t)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			t.Log(msg)
			if !strings.HasPrefix(msg, "getty: ") || strings.Count(msg, "getty:") != 1 {
				t.Errorf("error says %q: want \"getty: \" once, at the start", msg)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q does not match %v", msg, tt.is)
			}
		})
	}
}

// TestExistsErrorIsAPathError checks that an existing file is reported as
// the os package reports one, an *fs.PathError wrapping fs.ErrExist, while
// *ExistsError keeps saying whether the download was charged.
func TestExistsErrorIsAPathError(t *testing.T) {
	for _, charged := range []bool{false, true} {
		var err error = &ExistsError{Path: "photos/a.jpg", Charged: charged}
		var pe *fs.PathError
		if !errors.As(err, &pe) || pe.Path != "photos/a.jpg" || pe.Op != "save" || pe.Err != fs.ErrExist {
			t.Errorf("charged %v: errors.As *fs.PathError = %+v", charged, pe)
		}
		var ee *ExistsError
		if !errors.Is(err, fs.ErrExist) || !errors.As(err, &ee) || ee.Charged != charged {
			t.Errorf("charged %v: does not match fs.ErrExist and *ExistsError", charged)
		}
	}
}

// TestCodesMatch checks Getty's documented error codes as errors.Is
// targets, whatever the status and case the server used, and as the values
// of APIError.Code reached with errors.As through the package's wrapping;
// and ErrUserTokenRequired matching UserTokenRequired.
func TestCodesMatch(t *testing.T) {
	codes := []Code{InvalidParameterValue, InvalidPage, InvalidPageSize, MalformedRequest, InvalidRequest,
		NoAccessToProductType, Forbidden, ImageNotFound, ImageIDMustBeSpecified, FileDownloadSizeNotFound,
		OverageLimitReached, UserTokenRequired, AuthorizationTokenRequired, SystemError}
	for _, code := range codes {
		var err error = wrapf(&APIError{StatusCode: 400, Code: Code(strings.ToLower(string(code)))}, "sending the download request")
		if !errors.Is(err, code) {
			t.Errorf("%s: errors.Is does not match its code", code)
		}
		for _, other := range codes {
			if other != code && errors.Is(err, other) {
				t.Errorf("%s: matches %s", code, other)
			}
		}
		var apiErr *APIError
		if !errors.As(err, &apiErr) || !strings.EqualFold(string(apiErr.Code), string(code)) {
			t.Errorf("%s: errors.As gives %v", code, apiErr)
		}
		if got := errors.Is(err, ErrUserTokenRequired); got != (code == UserTokenRequired) {
			t.Errorf("%s: errors.Is(ErrUserTokenRequired) = %v", code, got)
		}
		if fmt.Sprint(code) != string(code) {
			t.Errorf("%s prints as %q", code, fmt.Sprint(code))
		}
	}
	if errors.Is(&APIError{StatusCode: 404}, ImageNotFound) {
		t.Error("an error without a code matches ImageNotFound")
	}
	// The server's answer, parsed: the user-token refusal of a download.
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusForbidden, map[string]string{"ErrorCode": "UserTokenRequired", "ErrorMessage": "Security token must contain a user."})
	})
	_, base := newAPI(t, mux)
	_, err := newClient(t, base).DownloadURL(t.Context(), "123", nil)
	var apiErr *APIError
	if !errors.Is(err, ErrUserTokenRequired) || !errors.Is(err, UserTokenRequired) || !errors.As(err, &apiErr) || apiErr.Code != UserTokenRequired {
		t.Errorf("err = %v, want UserTokenRequired matched", err)
	}
}
