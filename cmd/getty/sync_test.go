package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/archive"
	"github.com/gettykit/getty/gettytest"
)

// A sync saves every image of the window and prints progress lines and a
// summary; a second one downloads nothing.
func TestSyncCommand(t *testing.T) {
	srv, env := fakeEnv(t, gettytest.WithDownloads(30))
	dir := filepath.Join(t.TempDir(), "archive")
	r := runApp(t, env, false, "downloads", "sync", "--dir", dir, "--company", "--parallel", "3")
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	for _, want := range []string{"30 images in the window: 0 archived already, 30 to download", "saved GettyImages-1000000000.jpg (",
		dir + ": 30 images in the window; 30 saved ("} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "\x1b[") || strings.Contains(r.stdout, "\r") {
		t.Errorf("progress bars drawn although stdout is not a terminal: %q", r.stdout)
	}
	if got := srv.Requests(gettytest.OpDownloadImage); got != 30 {
		t.Errorf("%d download requests, want 30", got)
	}
	if entries, err := archive.ReadManifest(dir); err != nil || len(entries) != 30 {
		t.Errorf("manifest: %d entries, %v", len(entries), err)
	}

	// Flags in any order, and --json: one object, nothing else.
	r = runApp(t, env, false, "downloads", "sync", "--json", "--company", "--dir", dir)
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	var sum map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatalf("--json output is not one JSON object: %v\n%s", err, r.stdout)
	}
	for k, want := range map[string]float64{"saved": 0, "skipped": 30, "failed": 0, "download_requests": 0, "bytes": 0, "listed": 30, "remaining": 0} {
		if got, ok := sum[k].(float64); !ok || got != want {
			t.Errorf("%s = %v, want %v (%s)", k, sum[k], want, r.stdout)
		}
	}
	if sum["dir"] != dir || sum["quota_exhausted"] != false || sum["dry_run"] != false {
		t.Errorf("summary %s", r.stdout)
	}
	if got := srv.Requests(gettytest.OpDownloadImage); got != 30 {
		t.Errorf("the second sync made %d download requests", got-30)
	}
}

// On a terminal the sync draws bars (an overall one, one per worker) and
// still ends with its summary.
func TestSyncCommandTerminal(t *testing.T) {
	_, env := fakeEnv(t, gettytest.WithDownloads(20))
	dir := t.TempDir()
	r := runApp(t, env, true, "downloads", "sync", "--dir", dir, "--parallel", "2")
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "images") || !strings.Contains(r.stdout, "16 / 16") {
		t.Errorf("no overall bar of the 16 images (the user's own):\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, dir+": 16 images in the window; 16 saved") {
		t.Errorf("no summary:\n%s", r.stdout)
	}
}

// The quota runs out: exit 4, what was saved is kept, and the message and
// the summary say how many remain; a rerun after it renews completes.
func TestSyncCommandQuota(t *testing.T) {
	srv, env := fakeEnv(t, gettytest.WithDownloads(25), gettytest.WithQuota(getty.ProductPremiumAccess, 3))
	dir := t.TempDir()
	r := runApp(t, env, false, "downloads", "sync", "--dir", dir, "--company", "--parallel", "1", "--json")
	if r.code != exitQuota {
		t.Fatalf("exit %d, want %d; stderr %q", r.code, exitQuota, r.stderr)
	}
	if !strings.Contains(r.stderr, "download quota exhausted: 3 image(s) saved, 22 remain to download") {
		t.Errorf("stderr %q does not say how many remain", r.stderr)
	}
	var sum struct {
		Saved          int    `json:"saved"`
		Remaining      int    `json:"remaining"`
		QuotaExhausted bool   `json:"quota_exhausted"`
		Error          string `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil || sum.Saved != 3 || sum.Remaining != 22 || !sum.QuotaExhausted || sum.Error == "" {
		t.Errorf("summary %+v (%v):\n%s", sum, err, r.stdout)
	}
	srv.SetQuota(getty.ProductPremiumAccess, 100)
	r = runApp(t, env, false, "downloads", "sync", "--dir", dir, "--company")
	if r.code != exitOK || !strings.Contains(r.stdout, "22 saved") || !strings.Contains(r.stdout, "3 skipped") {
		t.Errorf("rerun: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// --dry-run makes no download request and says how many a run would make;
// --max-downloads caps a run.
func TestSyncCommandDryRunAndMax(t *testing.T) {
	srv, env := fakeEnv(t, gettytest.WithDownloads(20))
	dir := t.TempDir()
	r := runApp(t, env, false, "downloads", "sync", "--dir", dir, "--max-downloads", "5")
	if r.code != exitOK || !strings.Contains(r.stdout, "5 saved") || !strings.Contains(r.stdout, "11 remain") {
		t.Fatalf("--max-downloads 5: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = runApp(t, env, false, "downloads", "sync", "--dry-run", "--dir", dir)
	if r.code != exitOK || !strings.Contains(r.stdout, "dry run: 11 download request(s) would be made") {
		t.Errorf("--dry-run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got := srv.Requests(gettytest.OpDownloadImage); got != 5 {
		t.Errorf("%d download requests, want the 5 of the first run", got)
	}
}

// Command-line mistakes are usage errors (exit 2) that name the flag,
// before any request.
func TestSyncCommandUsage(t *testing.T) {
	srv, env := fakeEnv(t)
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{}, "needs --dir"},
		{[]string{"--dir", "d", "extra"}, "takes no arguments"},
		{[]string{"--dir", "d", "--parallel", "0"}, "--parallel 0"},
		{[]string{"--dir", "d", "--max-downloads", "-1"}, "--max-downloads -1"},
		{[]string{"--dir", "d", "--from", "2026-02-01", "--to", "2026-01-01"}, "--from 2026-02-01 is after --to"},
		{[]string{"--dir", "d", "--to", "1990-01-01"}, "--from 1995-01-01 is after --to 1990-01-01"},
		{[]string{"--dir", "d", "--product-type", "nope"}, "--product-type"},
		{[]string{"--dir", file}, "is a file"},
	} {
		r := runApp(t, env, false, append([]string{"downloads", "sync"}, tc.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	if n := srv.Requests(""); n != 0 {
		t.Errorf("%d requests made by refused command lines", n)
	}
}

// A sync into a directory another sync holds is refused, naming it.
func TestSyncCommandLocked(t *testing.T) {
	srv, env := fakeEnv(t, gettytest.WithDownloads(100), gettytest.WithLatency(gettytest.OpDelivery, 20*time.Millisecond))
	dir := t.TempDir()
	c, err := getty.New(getty.WithAPIKey(gettytest.APIKey), getty.WithClientSecret(gettytest.ClientSecret),
		getty.WithBaseURL(srv.URL), getty.WithTokenURL(srv.URL+"/oauth2/token"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := archive.Sync(t.Context(), c, dir, &archive.Options{Parallel: 1, MaxDownloads: 20})
		done <- err
	}()
	for {
		if b, _ := os.ReadFile(filepath.Join(dir, archive.LockName)); len(b) > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	r := runApp(t, env, false, "downloads", "sync", "--dir", dir)
	if r.code != exitFailure || !strings.Contains(r.stderr, "another sync is running in "+dir+" (pid ") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
