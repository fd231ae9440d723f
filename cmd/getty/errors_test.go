package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gettykit/getty"
	"golang.org/x/oauth2"
)

// TestUserTokenRequiredExits3: a download refused because the token
// carries no user (ErrorCode UserTokenRequired) is a credentials problem,
// exit 3, reported with one "getty: ".
func TestUserTokenRequiredExits3(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3/downloads/images/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"ErrorCode":"UserTokenRequired","ErrorMessage":"Security token must contain a user."}`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	env := map[string]string{"GETTY_BASE_URL": srv.URL, "GETTY_API_KEY": "k", "GETTY_TOKEN": "t"}
	r := runApp(t, env, false, "download", "--url-only", "123")
	if r.code != exitCredentials || !strings.Contains(r.stderr, "UserTokenRequired") || strings.Count(r.stderr, "getty:") != 1 {
		t.Fatalf("exit %d (want %d), stderr %q", r.code, exitCredentials, r.stderr)
	}
	if statusFor(&getty.APIError{StatusCode: 403, Code: getty.UserTokenRequired}) != exitCredentials {
		t.Error("statusFor(UserTokenRequired) is not exitCredentials")
	}
}

// TestLibraryErrorsPrintedAsTheyAre: the command prints a library error as
// the library words it, only without the "getty: " it prints itself: the
// library says it once, at the start, so no rewriting is needed.
func TestLibraryErrorsPrintedAsTheyAre(t *testing.T) {
	// An expired token without a secret fails inside the client's
	// transport, under the API call: three layers that each used to say
	// "getty: ".
	c, err := getty.New(getty.WithAPIKey("k"), getty.WithBaseURL("http://127.0.0.1:1/api"),
		getty.WithToken(&oauth2.Token{AccessToken: "old", Expiry: time.Now().Add(-time.Minute)}))
	if err != nil {
		t.Fatal(err)
	}
	_, tokenErr := c.ListDownloads(t.Context(), nil)
	dir := t.TempDir()
	path := filepath.Join(dir, "a.jpg")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, existsErr := c.SaveImage(t.Context(), "123", path, nil)
	for _, err := range []error{tokenErr, existsErr,
		&getty.APIError{StatusCode: 404, Code: getty.ImageNotFound, Message: "no such image"}} {
		if err == nil {
			t.Fatal("no error")
		}
		if got, want := "getty: "+cliMessage(err), err.Error(); got != want {
			t.Errorf("printed %q, the library says %q", got, want)
		}
		if strings.Contains(cliMessage(err), "getty:") {
			t.Errorf("%q says getty: twice", err)
		}
	}
	if !errors.Is(existsErr, os.ErrExist) {
		t.Errorf("%v does not match fs.ErrExist", existsErr)
	}
}
