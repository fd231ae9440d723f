package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/gettytest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

type result struct {
	stdout, stderr string
	code           int
}

// runApp runs the tool in-process with the given environment.
func runApp(t *testing.T, env map[string]string, terminal bool, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	a := &app{
		stdout:     &stdout,
		stderr:     &stderr,
		getenv:     func(k string) string { return env[k] },
		isTerminal: func(io.Writer) bool { return terminal },
	}
	code := a.run(context.Background(), args)
	return result{stdout.String(), stderr.String(), code}
}

// fakeEnv starts a fake server and returns the environment that points the
// tool at it with the demo credentials.
func fakeEnv(t *testing.T, opts ...gettytest.Option) (*gettytest.Server, map[string]string) {
	t.Helper()
	srv := gettytest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv, map[string]string{
		"GETTY_BASE_URL":   srv.URL,
		"GETTY_TOKEN_URL":  srv.URL + "/oauth2/token",
		"GETTY_API_KEY":    gettytest.APIKey,
		"GETTY_API_SECRET": gettytest.ClientSecret,
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestListGolden(t *testing.T) {
	// The fake's clock is fixed, so that the golden files keep their dates.
	_, env := fakeEnv(t, gettytest.WithNow(gettytest.DefaultNow), gettytest.WithDownloads(12))
	window := []string{"--from", "2000-01-01", "--to", "2100-01-01"}
	tests := []struct {
		name   string
		args   []string
		golden string
	}{
		{"table", []string{"downloads", "list", "--page-size", "5"}, "list-table.golden"},
		{"table page 3", []string{"downloads", "list", "--page-size", "5", "--page", "3"}, "list-table-page3.golden"},
		{"json", []string{"downloads", "list", "--page-size", "3", "--json"}, "list-json.golden"},
		{"all pages", append([]string{"downloads", "list", "--all", "--page-size", "5"}, window...), "list-all.golden"},
		{"product filter", []string{"downloads", "list", "--product-type", "easyaccess"}, "list-easyaccess.golden"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runApp(t, env, false, tc.args...)
			if r.code != exitOK {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			golden(t, tc.golden, r.stdout)
		})
	}
}

func TestDownload(t *testing.T) {
	srv, env := fakeEnv(t)
	dir := t.TempDir()
	r := runApp(t, env, false, "download", "--dir", dir, "--project-code", "P-7", gettytest.ImageID)
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	want := filepath.Join(dir, "GettyImages-"+gettytest.ImageID+".jpg")
	if !strings.Contains(r.stdout, "saved "+want) {
		t.Errorf("stdout %q does not report %s", r.stdout, want)
	}
	if strings.Contains(r.stdout, "\x1b[") || strings.Contains(r.stdout, "\r") {
		t.Errorf("progress bar drawn although stdout is not a terminal: %q", r.stdout)
	}
	data, err := os.ReadFile(want)
	if err != nil || !bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}) {
		t.Fatalf("saved file is not a JPEG: %v", err)
	}
	if got := srv.Requests(gettytest.OpDownloadImage); got != 1 {
		t.Errorf("%d download POSTs, want 1", got)
	}

	// Again: the file exists, so nothing is overwritten unless asked.
	r = runApp(t, env, false, "download", "--dir", dir, gettytest.ImageID)
	if r.code != exitFailure || !strings.Contains(r.stderr, gettytest.ImageID) || !strings.Contains(r.stderr, "use --overwrite") ||
		strings.Count(r.stderr, "getty:") != 1 {
		t.Errorf("second download: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runApp(t, env, false, "download", "--dir", dir, "--overwrite", gettytest.ImageID)
	if r.code != exitOK {
		t.Errorf("--overwrite: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestDownloadProgressOnTerminal(t *testing.T) {
	_, env := fakeEnv(t, gettytest.WithImageSize(256<<10))
	r := runApp(t, env, true, "download", "--dir", t.TempDir(), gettytest.ImageID)
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, gettytest.ImageID) || !strings.Contains(r.stdout, "100 %") {
		t.Errorf("no progress bar on a terminal: %q", r.stdout)
	}
}

func TestDownloadURLOnlyAndParallel(t *testing.T) {
	srv, env := fakeEnv(t, gettytest.WithImages("a1", "a2", "a3"))
	r := runApp(t, env, false, "download", "--url-only", "a1", "a2")
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], "a1\thttp") {
		t.Errorf("--url-only printed %q", r.stdout)
	}
	if srv.Requests(gettytest.OpDelivery) != 0 {
		t.Error("--url-only downloaded the file")
	}
	dir := t.TempDir()
	r = runApp(t, env, false, "download", "--dir", dir, "--parallel", "2", "a1", "a2", "a3", "missing")
	if r.code != exitFailure || !strings.Contains(r.stderr, "missing") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("%d files saved, want 3 (the missing id fails alone)", len(entries))
	}
}

func TestDownloadRepeatedIDSpendsQuotaOnce(t *testing.T) {
	srv, env := fakeEnv(t)
	r := runApp(t, env, false, "download", "--url-only", gettytest.ImageID, gettytest.ImageID)
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if n := strings.Count(r.stdout, "\n"); n != 1 {
		t.Errorf("%d URLs printed, want 1: %q", n, r.stdout)
	}
	dir := t.TempDir()
	r = runApp(t, env, false, "download", "--dir", dir, gettytest.ImageID, gettytest.ImageID)
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if got := srv.Requests(gettytest.OpDownloadImage); got != 2 {
		t.Errorf("%d download POSTs for two commands naming one id twice each, want 2", got)
	}
}

func TestQuotaExitStatus(t *testing.T) {
	_, env := fakeEnv(t, gettytest.WithQuota(getty.ProductPremiumAccess, 0))
	r := runApp(t, env, false, "download", "--url-only", "--product-type", "premiumaccess", gettytest.ImageID)
	if r.code != exitQuota || !strings.Contains(r.stderr, "OverageLimitReached") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestCredentials(t *testing.T) {
	_, env := fakeEnv(t)
	noKey := map[string]string{"GETTY_BASE_URL": env["GETTY_BASE_URL"]}
	noSecret := map[string]string{"GETTY_BASE_URL": env["GETTY_BASE_URL"], "GETTY_API_KEY": gettytest.APIKey}
	wrongSecret := map[string]string{}
	for k, v := range env {
		wrongSecret[k] = v
	}
	wrongSecret["GETTY_API_SECRET"] = "s3cr3t-value-that-must-not-leak"
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stderr string
	}{
		{"list without a key", noKey, []string{"downloads", "list"}, exitCredentials, "GETTY_API_KEY"},
		{"download without a secret", noSecret, []string{"download", "x"}, exitCredentials, "GETTY_API_SECRET"},
		{"password without a secret", map[string]string{"GETTY_API_KEY": "k", "GETTY_USERNAME": "u", "GETTY_PASSWORD": "hunter2-pw"}, []string{"download", "x"}, exitCredentials, "GETTY_USERNAME"},
		{"rejected secret", wrongSecret, []string{"--verbose", "download", "--url-only", gettytest.ImageID}, exitCredentials, "token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runApp(t, tc.env, false, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.stderr) {
				t.Fatalf("exit %d (want %d), stderr %q (want it to mention %q)", r.code, tc.code, r.stderr, tc.stderr)
			}
			for _, secret := range []string{"s3cr3t-value-that-must-not-leak", "hunter2-pw", gettytest.ClientSecret} {
				if strings.Contains(r.stdout+r.stderr, secret) {
					t.Errorf("output shows a secret: %q", r.stdout+r.stderr)
				}
			}
		})
	}
}

func TestVerboseShowsNoSecrets(t *testing.T) {
	srv, env := fakeEnv(t)
	// A full download, so that the signed delivery URL is requested too.
	r := runApp(t, env, false, "--verbose", "download", "--dir", t.TempDir(), gettytest.ImageID)
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	for _, want := range []string{"--> POST", "--> GET " + srv.URL + "/delivery/", "?sig=…"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("--verbose did not log %q: %q", want, r.stderr)
		}
	}
	_, sig, _ := strings.Cut(srv.DownloadURI(gettytest.ImageID, ""), "sig=")
	for _, secret := range []string{gettytest.ClientSecret, gettytest.APIKey, sig} {
		if secret == "" || strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("output shows a credential or signature (%q): %q", secret, r.stdout+r.stderr)
		}
	}
}

func TestUsage(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GETTY_API_KEY": "k", "GETTY_TOKEN": "t"}
	tests := []struct {
		args   []string
		code   int
		stdout string // help goes to stdout
		stderr string
	}{
		{nil, exitUsage, "", "Usage:\n  getty <command> [flags]"},
		{[]string{"--help"}, exitOK, "Available Commands:", ""},
		{[]string{"help"}, exitOK, "Available Commands:", ""},
		{[]string{"help", "download"}, exitOK, "--url-only", ""},
		{[]string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{[]string{"downloads"}, exitUsage, "", "downloads needs a command: list"},
		{[]string{"downloads", "frob"}, exitUsage, "", `unknown command "frob" for "getty downloads"`},
		{[]string{"downloads", "list", "--help"}, exitOK, "--page-size", ""},
		{[]string{"downloads", "list", "extra"}, exitUsage, "", `takes no arguments, got ["extra"]`},
		{[]string{"downloads", "list", "--page-size", "many"}, exitUsage, "", `invalid argument "many" for "--page-size"`},
		{[]string{"downloads", "list", "--from", "31/01/2026"}, exitUsage, "", "neither a date"},
		{[]string{"downloads", "list", "--product-type", "free"}, exitUsage, "", "not one of"},
		{[]string{"downloads", "list", "--all", "--page", "2"}, exitUsage, "", "cannot be combined"},
		{[]string{"downloads", "list", "--page-size", "200"}, exitUsage, "", "--page-size 200 is outside 1..100"},
		{[]string{"downloads", "list", "--page", "-1"}, exitUsage, "", "--page -1"},
		{[]string{"downloads", "list", "--prefetch", "0"}, exitUsage, "", "--prefetch 0"},
		{[]string{"download"}, exitUsage, "", "at least one image id"},
		{[]string{"download", "--help"}, exitOK, "--url-only", ""},
		{[]string{"download", "--parallel", "0", "x"}, exitUsage, "", "--parallel"},
		{[]string{"download", "--file-type", "png", "x"}, exitUsage, "", "--file-type"},
		{[]string{"download", "--dir", notDir, "x"}, exitUsage, "", "is a file, not a directory"},
		{[]string{"download", "-dir", "x", "1"}, exitUsage, "", "a long flag takes two dashes, --dir"},
		{[]string{"contract"}, exitUsage, "", "contract needs a command: check"},
		{[]string{"contract", "check"}, exitUsage, "", "at least one file"},
		{[]string{"contract", "check", "notes.txt"}, exitUsage, "", "not a cassette"},
		{[]string{"fake-server", "--addr", "0.0.0.0:0"}, exitUsage, "", "not a loopback address"},
		{[]string{"fake-server", "extra"}, exitUsage, "", "takes no arguments"},
		{[]string{"demo", "extra"}, exitUsage, "", "takes no arguments"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := runApp(t, env, false, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stdout, tc.stdout) || !strings.Contains(r.stderr, tc.stderr) {
				t.Fatalf("exit %d (want %d)\nstdout %q (want it to mention %q)\nstderr %q (want it to mention %q)", r.code, tc.code, r.stdout, tc.stdout, r.stderr, tc.stderr)
			}
			if tc.code == exitOK && r.stderr != "" {
				t.Errorf("help wrote to stderr: %q", r.stderr)
			}
			if tc.code == exitUsage && r.stdout != "" {
				t.Errorf("a usage error wrote to stdout: %q", r.stdout)
			}
			if strings.Contains(r.stderr, "getty: getty") {
				t.Errorf("doubled prefix: %q", r.stderr)
			}
		})
	}
}

func TestFakeServerCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr bytes.Buffer
	ready := make(chan string, 1)
	a := &app{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" },
		isTerminal: func(io.Writer) bool { return false }, ready: func(u string) { ready <- u }}
	done := make(chan int, 1)
	go func() { done <- a.run(ctx, []string{"fake-server", "--downloads", "3"}) }()
	var url string
	select {
	case url = <-ready:
	case code := <-done:
		t.Fatalf("fake-server exited %d: %s", code, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("fake-server did not start")
	}
	env := map[string]string{"GETTY_BASE_URL": url, "GETTY_TOKEN_URL": url + "/oauth2/token", "GETTY_API_KEY": gettytest.APIKey, "GETTY_API_SECRET": gettytest.ClientSecret}
	// The whole seeded history, one page or every page (whose window the
	// client pins at its own clock).
	for _, args := range [][]string{{"downloads", "list", "--json"}, {"downloads", "list", "--all", "--json"}} {
		r := runApp(t, env, false, args...)
		if r.code != exitOK || !strings.Contains(r.stdout, `"result_count": 3`) {
			t.Fatalf("%v from the fake-server command: exit %d, %q %q", args, r.code, r.stdout, r.stderr)
		}
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("fake-server exited %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "GETTY_API_KEY="+gettytest.APIKey) {
		t.Errorf("fake-server did not print its demo credentials: %q", stdout.String())
	}
}

func TestDemo(t *testing.T) {
	r := runApp(t, map[string]string{}, false, "demo")
	if r.code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"1. The download history", "saved ", "ErrQuotaExhausted) = true", "OverageLimitReached", "0 violation(s)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestSecretsFromEnvironmentAreTakenAsGiven(t *testing.T) {
	g := globalFlags{}.withEnv(func(k string) string {
		return map[string]string{"GETTY_API_KEY": " key\n", "GETTY_PASSWORD": " pass word ", "GETTY_BASE_URL": "http://x\n"}[k]
	})
	if g.apiKey != "key" || g.password != " pass word " || g.baseURL != "http://x" {
		t.Fatalf("key %q, password %q, base URL %q", g.apiKey, g.password, g.baseURL)
	}
}

// A token given with the secret is renewed when the API rejects it.
func TestExpiredTokenRenewedWithSecret(t *testing.T) {
	srv, env := fakeEnv(t)
	env["GETTY_TOKEN"] = srv.IssueToken(false)
	srv.ExpireTokens()
	r := runApp(t, env, false, "download", "--url-only", gettytest.ImageID)
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	delete(env, "GETTY_API_SECRET")
	r = runApp(t, env, false, "download", "--url-only", gettytest.ImageID)
	if r.code != exitCredentials {
		t.Fatalf("without the secret: exit %d, stderr %q", r.code, r.stderr)
	}
}
