package contract_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/contract"
	"github.com/gettykit/getty/gettytest"
)

// TestProxyRecordingHoldsNoSecret records, through the contract proxy,
// the library signing in with a password (a user token and a refresh
// token), listing and downloading, and runs the fixture scanner over the
// recording: the proxy scrubs with the scrubber the suite records with.
func TestProxyRecordingHoldsNoSecret(t *testing.T) {
	for _, name := range []string{"session.yaml", "session.har"} {
		t.Run(name, func(t *testing.T) {
			fake := gettytest.NewServer()
			defer fake.Close()
			up, err := url.Parse(fake.URL)
			if err != nil {
				t.Fatal(err)
			}
			p, err := contract.NewProxy(up, validator(t))
			if err != nil {
				t.Fatal(err)
			}
			rec, err := contract.NewRecorder(filepath.Join(t.TempDir(), name))
			if err != nil {
				t.Fatal(err)
			}
			p.Recorder = rec
			srv := httptest.NewServer(p)
			defer srv.Close()
			c, err := getty.New(
				getty.WithAPIKey(gettytest.APIKey), getty.WithClientSecret(gettytest.ClientSecret),
				getty.WithPassword(gettytest.Username, gettytest.Password),
				getty.WithBaseURL(srv.URL), getty.WithTokenURL(srv.URL+"/oauth2/token"),
			)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := c.Token(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.ListDownloads(t.Context(), &getty.ListOptions{PageSize: 3}); err != nil {
				t.Fatal(err)
			}
			uri, err := c.DownloadURL(t.Context(), gettytest.ImageID, nil)
			if err != nil {
				t.Fatal(err)
			}
			srv.Close() // every exchange has ended: wait for their reports
			if err := p.Wait(t.Context()); err != nil {
				t.Fatal(err)
			}
			if err := rec.Close(); err != nil {
				t.Fatal(err)
			}
			if rec.Len() != 3 {
				t.Fatalf("recorded %d exchanges, want 3", rec.Len())
			}
			p.Report().Check(t)

			data, err := os.ReadFile(rec.Path())
			if err != nil {
				t.Fatal(err)
			}
			if filepath.Ext(name) == ".har" {
				data = blankBase64Bodies(t, data)
			}
			for _, l := range findSecrets(name, data) {
				t.Errorf("%s", l)
			}
			sig := ""
			if u, err := url.Parse(uri); err == nil {
				sig = u.Query().Get("sig")
			}
			for _, s := range []string{gettytest.APIKey, gettytest.ClientSecret, gettytest.Password, tok.AccessToken, tok.RefreshToken, sig} {
				if s == "" || bytes.Contains(data, []byte(s)) {
					t.Errorf("the recording holds %q", s)
				}
			}
		})
	}
}

// blankBase64Bodies empties the base64 bodies of a HAR file, as the scanner
// skips !!binary bodies in cassettes: an image's base64 is random by
// nature.
func blankBase64Bodies(t *testing.T, data []byte) []byte {
	t.Helper()
	var har map[string]any
	if err := json.Unmarshal(data, &har); err != nil {
		t.Fatal(err)
	}
	entries, _ := har["log"].(map[string]any)["entries"].([]any)
	for _, e := range entries {
		c, _ := e.(map[string]any)["response"].(map[string]any)["content"].(map[string]any)
		if c["encoding"] == "base64" {
			c["text"] = ""
		}
	}
	out, err := json.MarshalIndent(har, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}
