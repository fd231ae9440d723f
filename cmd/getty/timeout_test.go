package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// stallingAPI answers the download POST with a 303 to /file, which deliver
// serves, and returns the environment that points the tool at it.
func stallingAPI(t *testing.T, deliver http.HandlerFunc) map[string]string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3/downloads/images/{id}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/file", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /file", deliver)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return map[string]string{"GETTY_BASE_URL": srv.URL, "GETTY_API_KEY": "k", "GETTY_TOKEN": "t"}
}

var jpegStart = []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01}

// TestDeadlines checks --stall-timeout and --timeout: each stops a download
// that would otherwise wait for the server, with a message naming the flag
// and no file left.
func TestDeadlines(t *testing.T) {
	stalls := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Content-Length", "1000")
		w.Write(jpegStart)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}
	trickles := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Content-Length", "1000")
		w.Write(jpegStart)
		for r.Context().Err() == nil {
			if _, err := w.Write([]byte{0}); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			time.Sleep(20 * time.Millisecond)
		}
	}
	tests := []struct {
		name    string
		deliver http.HandlerFunc
		flags   []string
		want    string
	}{
		{"stalled body", stalls, []string{"--stall-timeout", "200ms", "--timeout", "20s"}, "no data received for 200ms (stall timeout)"},
		{"slow body, whole run", trickles, []string{"--timeout", "300ms"}, "stopped after --timeout 300ms (raise it, or --timeout 0 for no limit)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := stallingAPI(t, tc.deliver)
			dir := t.TempDir()
			start := time.Now()
			args := append(tc.flags, "download", "--dir", dir, "1167612765")
			res := runApp(t, env, false, args...)
			if res.code != exitFailure || !strings.Contains(res.stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 1 and %q", res.code, res.stderr, tc.want)
			}
			if elapsed := time.Since(start); elapsed > 15*time.Second {
				t.Errorf("took %s: the deadline did not stop the download", elapsed)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("files left behind: %v", entries)
			}
		})
	}
}

func TestPlainHTTPFlag(t *testing.T) {
	env := map[string]string{"GETTY_API_KEY": "k", "GETTY_TOKEN": "t", "GETTY_BASE_URL": "http://api.example.com"}
	res := runApp(t, env, false, "download", "--url-only", "1")
	if res.code != exitUsage || !strings.HasPrefix(res.stderr, "getty: GETTY_BASE_URL: http://api.example.com is plain http") ||
		!strings.Contains(res.stderr, "--insecure-plain-http") || strings.Contains(res.stderr, "With") {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	// Given as a flag, the flag is named.
	res = runApp(t, env, false, "download", "--url-only", "1", "--base-url", "http://api.example.com/v")
	if res.code != exitUsage || !strings.HasPrefix(res.stderr, "getty: --base-url: http://api.example.com/v is plain http") {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	// Allowed, the request goes out, to an address reserved for
	// documentation (no DNS, no answer), until --timeout stops it.
	env["GETTY_BASE_URL"] = "http://192.0.2.1"
	res = runApp(t, env, false, "--insecure-plain-http", "--timeout", "100ms", "download", "--url-only", "1")
	if res.code != exitFailure || !strings.Contains(res.stderr, "--timeout 100ms") {
		t.Fatalf("refused with --insecure-plain-http: %q", res.stderr)
	}
	for _, bad := range [][]string{{"--timeout", "-1s"}, {"--stall-timeout", "-1s"}} {
		if res := runApp(t, env, false, append(bad, "download", "1")...); res.code != exitUsage {
			t.Errorf("%v: exit %d", bad, res.code)
		}
	}
}
