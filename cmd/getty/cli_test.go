package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/gettytest"
)

// runAppContext is runApp with a context, which the test may cancel as
// SIGINT and SIGTERM do.
func runAppContext(ctx context.Context, env map[string]string, args ...string) result {
	var stdout, stderr bytes.Buffer
	a := &app{
		stdout:     &stdout,
		stderr:     &stderr,
		getenv:     func(k string) string { return env[k] },
		isTerminal: func(io.Writer) bool { return false },
	}
	code := a.run(ctx, args)
	return result{stdout.String(), stderr.String(), code}
}

// TestFlagsAfterArguments runs every command with its flags, and global
// flags, after its arguments (or after the command's name when it takes
// none): they are parsed as flags, never taken as arguments.
func TestFlagsAfterArguments(t *testing.T) {
	srv, env := fakeEnv(t, gettytest.WithDownloads(12))
	good := filepath.Join("testdata", "contract-good.yaml")
	bad := filepath.Join("testdata", "contract-violating.yaml")
	dir := filepath.Join(t.TempDir(), "photos")
	demoDir := filepath.Join(t.TempDir(), "demo")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		check  func(t *testing.T, r result)
	}{
		{"download ID --dir DIR --verbose", []string{"download", gettytest.ImageID, "--dir", dir, "--verbose"}, exitOK,
			[]string{"saved " + filepath.Join(dir, "GettyImages-"+gettytest.ImageID+".jpg")},
			func(t *testing.T, r result) {
				if got := srv.Requests(gettytest.OpDownloadImage); got != 1 {
					t.Errorf("%d download requests, want 1 (the flags taken as ids?)", got)
				}
				if !strings.Contains(r.stderr, "--> POST") {
					t.Errorf("--verbose after the id did not log: %q", r.stderr)
				}
			}},
		{"download ID --url-only --product-type", []string{"download", gettytest.ImageID, "--url-only", "--product-type", "easyaccess"}, exitOK,
			[]string{gettytest.ImageID + "\thttp"}, nil},
		{"downloads list --json --page-size", []string{"downloads", "list", "--json", "--page-size", "3", "--timeout", "1m"}, exitOK,
			[]string{`"result_count": 12`}, nil},
		{"contract check FILE --quiet", []string{"contract", "check", bad, "--max-body", "1MiB", "--quiet"}, exitViolations,
			[]string{bad + ": 1 violation(s)"}, nil},
		{"contract check FILE FILE --allow", []string{"contract", "check", good, "--allow", filepath.Join("..", "..", "contract_test", "allowed-violations.yaml"), good}, exitOK,
			[]string{good + ": 0 violation(s)"}, nil},
		{"demo --dir --stall-timeout", []string{"demo", "--dir", demoDir, "--stall-timeout", "30s"}, exitOK,
			[]string{"saved " + filepath.Join(demoDir, "GettyImages-"+gettytest.ImageID+".jpg")}, nil},
		{"completion SHELL --no-descriptions", []string{"completion", "zsh", "--no-descriptions", "--verbose"}, exitOK,
			[]string{"#compdef getty", "__completeNoDesc"}, nil},
		{"global flag before the command, command flag after", []string{"--timeout", "1m", "downloads", "list", "--page-size", "2", "--json"}, exitOK,
			[]string{`"result_count": 12`}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runApp(t, env, false, tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout %q\nstderr %q", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
				}
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}

	t.Run("fake-server --downloads, global flag after", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var stdout, stderr bytes.Buffer
		ready := make(chan string, 1)
		a := &app{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" },
			isTerminal: func(io.Writer) bool { return false }, ready: func(u string) { ready <- u }}
		done := make(chan int, 1)
		go func() { done <- a.run(ctx, []string{"fake-server", "--downloads", "3", "--verbose"}) }()
		var url string
		select {
		case url = <-ready:
		case code := <-done:
			t.Fatalf("fake-server exited %d: %s", code, stderr.String())
		}
		r := runApp(t, nil, false, "downloads", "list", "--json", "--base-url", url, "--token-url", url+"/oauth2/token",
			"--api-key", gettytest.APIKey, "--api-secret", gettytest.ClientSecret)
		if r.code != exitOK || !strings.Contains(r.stdout, `"result_count": 3`) {
			t.Errorf("listing with credentials as flags after the command: exit %d, %q %q", r.code, r.stdout, r.stderr)
		}
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("fake-server stopped by an interrupt: exit %d, want 0: %s", code, stderr.String())
		}
	})
}

// TestDoubleDash: "--" ends the flags; what follows is an argument even
// if it looks like a flag, and an argument starting with "-" is never an
// image id: before "--" it is an unknown flag, after it an invalid id. Both
// are usage errors and no download is requested.
func TestDoubleDash(t *testing.T) {
	srv, env := fakeEnv(t)
	dir := t.TempDir()
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"-- before an id", []string{"download", "--dir", dir, "--", gettytest.ImageID}, exitOK, ""},
		{"flags, then --, then ids", []string{"download", "--url-only", "--", gettytest.ImageID}, exitOK, ""},
		{"-5 as an id", []string{"download", "--url-only", "-5"}, exitUsage, `unknown shorthand flag: '5' in -5 (an image id never starts with "-")`},
		{"-5 after --", []string{"download", "--url-only", "--", "-5"}, exitUsage, `getty: invalid image id "-5": an id never starts with "-"`},
		{"a flag after -- is an id", []string{"download", "--dir", dir, "--", gettytest.ImageID, "--overwrite"}, exitUsage, `invalid image id "--overwrite"`},
		{"-- alone", []string{"download", "--url-only", "--"}, exitUsage, "at least one image id"},
		{"-- in contract check", []string{"contract", "check", "--", filepath.Join("testdata", "contract-good.yaml")}, exitOK, ""},
		{"-- then a flag-like path", []string{"contract", "check", "--", "--quiet"}, exitUsage, "--quiet: not a cassette"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := srv.Requests(gettytest.OpDownloadImage)
			r := runApp(t, env, false, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.stderr) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)", r.code, tc.code, r.stderr, tc.stderr)
			}
			if sent := srv.Requests(gettytest.OpDownloadImage) - before; tc.code == exitUsage && sent != 0 {
				t.Errorf("%d download requests sent for a usage error", sent)
			}
		})
	}
}

// TestIDRuleMatchesLibrary: the ids the command line refuses up front (exit
// 2) are exactly those the library refuses without sending anything, plus
// those starting with "-".
func TestIDRuleMatchesLibrary(t *testing.T) {
	srv, _ := fakeEnv(t)
	c, err := getty.New(getty.WithAPIKey(gettytest.APIKey), getty.WithClientSecret(gettytest.ClientSecret),
		getty.WithBaseURL(srv.URL), getty.WithTokenURL(srv.URL+"/oauth2/token"), getty.WithRetry(getty.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"", ".", "..", "...", "a/b", `a\b`, "a?b", "a#b", "a%b", "a b", "a\tb", "a\nb", "a\x7fb", "a\x00",
		"12345", "a.b", "a-b", "a_b", "-5", "--x", "é", "a\u00a0b", "a\x85b", "a:b", "a+b"} {
		before := srv.Requests(gettytest.OpDownloadImage)
		_, err := c.DownloadURL(context.Background(), id, nil)
		libraryRefused := err != nil && srv.Requests(gettytest.OpDownloadImage) == before
		cliRefused := checkIDs([]string{id}) != nil
		if cliRefused != (libraryRefused || strings.HasPrefix(id, "-")) {
			t.Errorf("id %q: refused by the command line %v, by the library %v (%v)", id, cliRefused, libraryRefused, err)
		}
	}
}

// TestCompletion generates the completion script for each shell, and
// checks the completions it asks the tool for.
func TestCompletion(t *testing.T) {
	for shell, marker := range map[string]string{
		"bash":       "# bash completion V2 for getty",
		"zsh":        "#compdef getty",
		"fish":       "complete -c getty",
		"powershell": "Register-ArgumentCompleter -CommandName 'getty'",
	} {
		t.Run(shell, func(t *testing.T) {
			r := runApp(t, nil, false, "completion", shell)
			if r.code != exitOK || r.stderr != "" || !strings.Contains(r.stdout, marker) || !strings.Contains(r.stdout, "__complete") {
				t.Fatalf("exit %d, stderr %q, script lacks %q:\n%.300s", r.code, r.stderr, marker, r.stdout)
			}
		})
	}
	if r := runApp(t, nil, false, "completion", "tcsh"); r.code != exitUsage {
		t.Errorf("completion tcsh: exit %d, stderr %q", r.code, r.stderr)
	}

	tests := []struct {
		args []string
		want []string
	}{
		{[]string{""}, []string{"downloads", "download", "contract", "fake-server", "demo", "completion"}},
		{[]string{"downloads", ""}, []string{"list"}},
		{[]string{"contract", ""}, []string{"check"}},
		{[]string{"download", "--product-type", ""}, strings.Split(productTypes, ", ")},
		{[]string{"downloads", "list", "--product-type", "premium"}, []string{"premiumaccess"}},
		{[]string{"download", "--file-type", ""}, []string{"jpg", "eps"}},
		{[]string{"download", "--dir", ""}, []string{":16"}},               // directories
		{[]string{"contract", "check", ""}, []string{"yaml", "har", ":8"}}, // files by extension
		{[]string{"download", "1", "--"}, []string{"--dir", "--url-only", "--verbose", "--timeout"}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := runApp(t, nil, false, append([]string{cobra.ShellCompRequestCmd}, tc.args...)...)
			if r.code != exitOK {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			lines := strings.Split(r.stdout, "\n")
			for i, l := range lines {
				lines[i], _, _ = strings.Cut(l, "\t")
			}
			for _, want := range tc.want {
				if !slices.Contains(lines, want) {
					t.Errorf("completions lack %q:\n%s", want, r.stdout)
				}
			}
		})
	}
}

// TestExitStatus covers each message and exit status the issue lists:
// usage errors exit 2 and name the flag or variable, never the library's
// option or field, with one "getty: " prefix.
func TestExitStatus(t *testing.T) {
	_, env := fakeEnv(t, gettytest.WithQuota(getty.ProductPremiumAccess, 0))
	with := func(k, v string) map[string]string {
		e := map[string]string{}
		for k, v := range env {
			e[k] = v
		}
		e[k] = v
		return e
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string // the start of stderr
	}{
		{"--from after --to", env, []string{"downloads", "list", "--from", "2026-02-01", "--to", "2026-01-01"}, exitUsage,
			"getty: --from 2026-02-01 is after --to 2026-01-01\n"},
		{"--from after --to, with time", env, []string{"downloads", "list", "--use-time", "--from", "2026-01-01T10:00:00Z", "--to", "2026-01-01T11:00:00+02:00"}, exitUsage,
			"getty: --from 2026-01-01T10:00:00Z is after --to 2026-01-01T09:00:00Z\n"},
		{"--from after --to, the same day", env, []string{"downloads", "list", "--from", "2026-01-01T10:00:00Z", "--to", "2026-01-01T09:00:00Z"}, exitOK, ""},
		{"--to too early", env, []string{"downloads", "list", "--to", "0001-01-05"}, exitUsage, "getty: --to 0001-01-05T00:00:00Z is outside the dates the API takes"},
		{"--page 0", env, []string{"downloads", "list", "--page", "0"}, exitUsage, "getty: --page 0 is not a page number (1 or more)\n"},
		{"--page beyond int32", env, []string{"downloads", "list", "--page", "2147483648"}, exitUsage, "getty: --page 2147483648 is beyond"},
		{"--page-size 0", env, []string{"downloads", "list", "--page-size", "0"}, exitUsage, "getty: --page-size 0 is outside 1..100\n"},
		{"--page-size 0 with --all", env, []string{"downloads", "list", "--all", "--page-size", "0"}, exitUsage, "getty: --page-size 0 is outside 1..100\n"},
		{"invalid id", env, []string{"download", "a/b"}, exitUsage, `getty: invalid image id "a/b": `},
		{"bad base URL (variable)", with("GETTY_BASE_URL", "ftp://example.com"), []string{"downloads", "list"}, exitUsage, "getty: GETTY_BASE_URL: "},
		{"bad base URL (flag)", env, []string{"downloads", "list", "--base-url", "https://example.com/?q=1"}, exitUsage, "getty: --base-url: "},
		{"bad token URL", with("GETTY_TOKEN_URL", "nohost"), []string{"downloads", "list"}, exitUsage, "getty: GETTY_TOKEN_URL: "},
		{"bad API key", with("GETTY_API_KEY", "a key"), []string{"downloads", "list"}, exitUsage, "getty: GETTY_API_KEY: "},
		{"bad API key (flag)", env, []string{"downloads", "list", "--api-key", "a\x01key"}, exitUsage, "getty: --api-key: "},
		{"negative --timeout", env, []string{"downloads", "list", "--timeout", "-1s"}, exitUsage, "getty: --timeout -1s is negative"},
		{"unknown flag", env, []string{"downloads", "list", "--frob"}, exitUsage, "getty: unknown flag: --frob\n"},
		{"missing credentials", map[string]string{}, []string{"downloads", "list"}, exitCredentials, "getty: missing credentials"},
		{"quota", env, []string{"download", "--url-only", "--product-type", "premiumaccess", gettytest.ImageID}, exitQuota, "getty: " + gettytest.ImageID + ": "},
		{"not found", env, []string{"download", "--url-only", "nope"}, exitFailure, "getty: nope: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runApp(t, tc.env, false, tc.args...)
			if r.code != tc.code || !strings.HasPrefix(r.stderr, tc.want) {
				t.Fatalf("exit %d (want %d), stderr %q (want it to start with %q)", r.code, tc.code, r.stderr, tc.want)
			}
			for _, lib := range []string{"getty: getty", "ListOptions", "SaveOptions", "With"} {
				if strings.Contains(r.stderr, lib) {
					t.Errorf("stderr has %q: %q", lib, r.stderr)
				}
			}
			if tc.code == exitUsage && !strings.Contains(r.stderr, "--help' for usage.") {
				t.Errorf("a usage error without the pointer to the help: %q", r.stderr)
			}
		})
	}
}

// TestFlagWinsOverEnvironment: a flag is used over its variable, and the
// variable when the flag is not given.
func TestFlagWinsOverEnvironment(t *testing.T) {
	srv, env := fakeEnv(t, gettytest.WithDownloads(4))
	env["GETTY_BASE_URL"] = "https://wrong.invalid"
	r := runApp(t, env, false, "downloads", "list", "--json", "--base-url", srv.URL)
	if r.code != exitOK || !strings.Contains(r.stdout, `"result_count": 4`) {
		t.Fatalf("flag over variable: exit %d, stderr %q", r.code, r.stderr)
	}
	env["GETTY_API_KEY"] = "not-the-key"
	r = runApp(t, env, false, "--base-url", srv.URL, "--api-key", gettytest.APIKey, "downloads", "list", "--json")
	if r.code != exitOK {
		t.Fatalf("--api-key over GETTY_API_KEY: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runApp(t, env, false, "--base-url", srv.URL, "downloads", "list", "--json")
	if r.code == exitOK {
		t.Fatalf("GETTY_API_KEY not used without the flag")
	}
}

// TestInterrupt cancels the run's context, as SIGINT and SIGTERM do, in the
// middle of a download: the status is 130, the message says interrupted
// (not "context canceled" for each id), and no partial file is left.
func TestInterrupt(t *testing.T) {
	started := make(chan struct{}, 1)
	env := stallingAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Content-Length", "100000")
		w.Write(jpegStart)
		w.Write(make([]byte, 4096))
		w.(http.Flusher).Flush()
		select {
		case started <- struct{}{}:
		default:
		}
		<-r.Context().Done()
	})
	dir := filepath.Join(t.TempDir(), "photos")
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		select {
		case <-started:
			time.Sleep(50 * time.Millisecond) // bytes on their way to disk
			cancel(&interruptError{sig: os.Interrupt})
		case <-time.After(20 * time.Second):
			cancel(errors.New("the download did not start"))
		}
	}()
	r := runAppContext(ctx, env, "download", "--dir", dir, "--stall-timeout", "0", "1167612765", "1167612766")
	if r.code != exitInterrupted {
		t.Fatalf("exit %d, want %d; stderr %q", r.code, exitInterrupted, r.stderr)
	}
	if r.stderr != "getty: interrupted (signal: interrupt)\n" {
		t.Errorf("stderr %q", r.stderr)
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("left in --dir: %v %v", entries, err)
	}

	// A listing interrupted by a plain cancel.
	ctx, cancel2 := context.WithCancel(context.Background())
	cancel2()
	_, listEnv := fakeEnv(t)
	r = runAppContext(ctx, listEnv, "downloads", "list")
	if r.code != exitInterrupted || r.stderr != "getty: interrupted\n" {
		t.Errorf("listing: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestDirCreated: --dir is created when missing, as wget -P does, for
// download and demo (which once wrote a JPEG named after it); a file in
// the way is a usage error.
func TestDirCreated(t *testing.T) {
	_, env := fakeEnv(t)
	base := t.TempDir()
	for _, args := range [][]string{
		{"download", "--dir", filepath.Join(base, "a", "b"), gettytest.ImageID},
		{"demo", "--dir", filepath.Join(base, "newdir")},
	} {
		dir := args[2]
		r := runApp(t, env, false, args...)
		if r.code != exitOK {
			t.Fatalf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
		st, err := os.Stat(dir)
		if err != nil || !st.IsDir() {
			t.Fatalf("%v: %s is not a directory: %v", args, dir, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "GettyImages-"+gettytest.ImageID+".jpg")); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"download", "--dir", file, gettytest.ImageID}, {"demo", "--dir", file}} {
		if r := runApp(t, env, false, args...); r.code != exitUsage || !strings.Contains(r.stderr, "not a directory") {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
}

// commands returns every command of the tree a run builds, but cobra's
// own (help, completion).
func commands() []*cobra.Command {
	a := &app{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	var all []*cobra.Command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		all = append(all, c)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	a.root = a.newRootCmd()
	walk(a.root)
	return all
}

// flagLine matches a flag's line in the help: "  -h, --name type  usage".
var flagLine = regexp.MustCompile(`(?m)^[ \t]+(?:-\w, )?--([a-z0-9-]+)`)

// TestHelpListsEachFlagOnce: each command's help lists each of its flags,
// its own and the global ones, exactly once, on stdout.
func TestHelpListsEachFlagOnce(t *testing.T) {
	for _, c := range commands() {
		path := strings.Fields(c.CommandPath())[1:]
		t.Run(strings.Join(append([]string{"getty"}, path...), " "), func(t *testing.T) {
			r := runApp(t, nil, false, append(path, "--help")...)
			if r.code != exitOK || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			count := map[string]int{}
			for _, m := range flagLine.FindAllStringSubmatch(r.stdout, -1) {
				count[m[1]]++
			}
			want := map[string]bool{"help": true}
			c.LocalFlags().VisitAll(func(f *pflag.Flag) { want[f.Name] = true })
			c.InheritedFlags().VisitAll(func(f *pflag.Flag) { want[f.Name] = true })
			for name := range want {
				if count[name] != 1 {
					t.Errorf("--%s listed %d times", name, count[name])
				}
			}
			for name := range count {
				if !want[name] {
					t.Errorf("--%s listed but not a flag", name)
				}
			}
			for _, global := range []string{"timeout", "stall-timeout", "insecure-plain-http", "verbose", "api-key", "base-url"} {
				if count[global] != 1 {
					t.Errorf("global flag --%s not listed", global)
				}
			}
		})
	}
}

// TestHelpGolden compares each command's help with testdata/help-*.golden
// (go test -run TestHelpGolden -update rewrites them).
func TestHelpGolden(t *testing.T) {
	for _, c := range commands() {
		path := strings.Fields(c.CommandPath())[1:]
		name := strings.Join(append([]string{"help"}, path...), "-") + ".golden"
		t.Run(name, func(t *testing.T) {
			r := runApp(t, nil, false, append(path, "--help")...)
			if r.code != exitOK {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			golden(t, name, r.stdout)
		})
	}
}

// TestMain runs the command itself, main and all, when a test executes the
// test binary with GETTY_TEST_RUN_MAIN=1.
func TestMain(m *testing.M) {
	if os.Getenv("GETTY_TEST_RUN_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

// TestSignal sends SIGINT and SIGTERM to the command during a download:
// it exits 130, leaving no partial file.
func TestSignal(t *testing.T) {
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			started := make(chan struct{}, 1)
			env := stallingAPI(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "image/jpeg")
				w.Header().Set("Content-Length", "100000")
				w.Write(jpegStart)
				w.(http.Flusher).Flush()
				select {
				case started <- struct{}{}:
				default:
				}
				<-r.Context().Done()
			})
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "download", "--dir", dir, "--stall-timeout", "0", "1167612765")
			cmd.Env = append(os.Environ(), "GETTY_TEST_RUN_MAIN=1")
			for k, v := range env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-started:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Fatal("the download did not start")
			}
			time.Sleep(50 * time.Millisecond)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != exitInterrupted {
				t.Fatalf("%v, want exit status %d; stderr %q", err, exitInterrupted, stderr.String())
			}
			if want := "getty: interrupted (signal: " + sig.String() + ")\n"; stderr.String() != want {
				t.Errorf("stderr %q, want %q", stderr.String(), want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("left behind: %v", entries)
			}
		})
	}
}
