package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gettykit/getty/gettytest"
)

// badListing is an answer out of contract: result_count is a number.
var badListing = gettytest.Fault{Status: 200, Body: `{"result_count":"many","downloads":[]}`, Times: 1}

// startProxy runs `getty contract proxy` in-process until stop is called,
// which interrupts it as SIGINT does, and returns its URL.
func startProxy(t *testing.T, args ...string) (url string, stop func() result) {
	t.Helper()
	ctx, cancel := context.WithCancelCause(context.Background())
	var stdout, stderr bytes.Buffer
	ready := make(chan string, 1)
	a := &app{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" },
		isTerminal: func(io.Writer) bool { return false }, ready: func(u string) { ready <- u }}
	done := make(chan int, 1)
	go func() { done <- a.run(ctx, append([]string{"contract", "proxy"}, args...)) }()
	select {
	case url = <-ready:
	case code := <-done:
		t.Fatalf("contract proxy exited %d: %s%s", code, stdout.String(), stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("contract proxy did not start")
	}
	var once func() result
	var r result
	stopped := false
	once = func() result {
		if !stopped {
			stopped = true
			cancel(&interruptError{sig: os.Interrupt})
			r.code = <-done
			r.stdout, r.stderr = stdout.String(), stderr.String()
		}
		return r
	}
	t.Cleanup(func() { once() })
	return url, once
}

// clientEnv points the tool at the proxy, with the fake's credentials.
func clientEnv(proxyURL string) map[string]string {
	return map[string]string{
		"GETTY_BASE_URL":   proxyURL,
		"GETTY_TOKEN_URL":  proxyURL + "/oauth2/token",
		"GETTY_API_KEY":    gettytest.APIKey,
		"GETTY_API_SECRET": gettytest.ClientSecret,
	}
}

// findingLines are the lines of a report about the recording at path.
func findingLines(out, path string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, path+": interaction ") {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestContractProxy runs the proxy until an interrupt, with the tool itself
// as the client: clean traffic exits 0 (drift is printed as it happens),
// and the recording checks back to the same findings.
func TestContractProxy(t *testing.T) {
	for _, name := range []string{"session.yaml", "session.har"} {
		t.Run(name, func(t *testing.T) {
			fake := gettytest.NewServer(gettytest.WithExtraField("rating", 5))
			defer fake.Close()
			rec := filepath.Join(t.TempDir(), name)
			url, stop := startProxy(t, "--upstream", fake.URL, "--record", rec)
			if r := runApp(t, clientEnv(url), false, "downloads", "list", "--json", "--page-size", "2"); r.code != exitOK {
				t.Fatalf("listing through the proxy: exit %d, %s", r.code, r.stderr)
			}
			r := stop()
			if r.code != exitOK {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			for _, want := range []string{
				"contract proxy listening on " + url + ", forwarding to " + fake.URL + "\n",
				"recorded 2 exchange(s) to " + rec + "\n",
				"contract proxy: 2 exchange(s): 0 violation(s), 2 drift finding(s)\n",
			} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
				}
			}
			live := findingLines(r.stdout, rec)
			if len(live) != 2 || !strings.Contains(live[0], `drift: listDownloads GET /v3/downloads -> 200 at /downloads/0/rating`) {
				t.Errorf("findings printed live:\n%s", r.stdout)
			}

			c := runApp(t, nil, false, "contract", "check", rec)
			if c.code != exitOK {
				t.Fatalf("contract check of the recording: exit %d\n%s%s", c.code, c.stdout, c.stderr)
			}
			if replayed := findingLines(c.stdout, rec); strings.Join(replayed, "\n") != strings.Join(live, "\n") {
				t.Errorf("contract check found:\n%s\nthe proxy:\n%s", strings.Join(replayed, "\n"), strings.Join(live, "\n"))
			}
		})
	}
}

// An answer out of contract: the finding is printed as it happens, the
// proxy exits 5 even though an interrupt stopped it, and checking the
// recording finds the same violation. An allow list naming it lets the run
// pass; one that names nothing is stale and fails it.
func TestContractProxyViolation(t *testing.T) {
	dir := t.TempDir()
	rec := filepath.Join(dir, "session.har")
	run := func(args ...string) (result, string) {
		t.Helper()
		fake := gettytest.NewServer()
		defer fake.Close()
		fake.Inject(gettytest.OpListDownloads, badListing)
		url, stop := startProxy(t, append([]string{"--upstream", fake.URL, "--record", rec}, args...)...)
		runApp(t, clientEnv(url), false, "downloads", "list")
		return stop(), url
	}
	r, _ := run()
	if r.code != exitViolations || !strings.Contains(r.stderr, "getty: 1 contract violation(s)\n") {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, exitViolations, r.stdout, r.stderr)
	}
	live := findingLines(r.stdout, rec)
	if len(live) != 1 || !strings.Contains(live[0], "violation: listDownloads GET /v3/downloads -> 200 at /result_count: ") {
		t.Fatalf("findings:\n%s", r.stdout)
	}
	c := runApp(t, nil, false, "contract", "check", rec)
	if c.code != exitViolations || strings.Join(findingLines(c.stdout, rec), "\n") != live[0] {
		t.Errorf("contract check of the recording: exit %d\n%s\nthe proxy found:\n%s", c.code, c.stdout, live[0])
	}

	allow := filepath.Join(dir, "allow.yaml")
	write := func(content string) {
		if err := os.WriteFile(allow, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("- file: session.har\n  pointer: /result_count\n  reason: the fake answers out of contract on purpose\n")
	if r, _ := run("--allow", allow); r.code != exitOK || !strings.Contains(r.stdout, "allowed: listDownloads") {
		t.Errorf("allowed: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	write("- file: session.har\n  pointer: /result_count\n  reason: on purpose\n- file: session.har\n  pointer: /gone\n  reason: fixed\n")
	if r, _ := run("--allow", allow); r.code != exitFailure || !strings.Contains(r.stdout, "allow.yaml:4: stale allow entry") {
		t.Errorf("stale entry: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// selfCommand runs this test binary as the getty command (see TestMain).
func selfCommand(t *testing.T, args ...string) []string {
	t.Setenv("GETTY_TEST_RUN_MAIN", "1")
	return append([]string{os.Args[0]}, args...)
}

// TestContractProxyRun wraps a command: it gets the proxy's URL in
// GETTY_BASE_URL, and the run exits with the command's failure or the
// contract's verdict.
func TestContractProxyRun(t *testing.T) {
	fake := gettytest.NewServer()
	defer fake.Close()
	list := selfCommand(t, "downloads", "list", "--json", "--token-url", fake.URL+"/oauth2/token",
		"--api-key", gettytest.APIKey, "--api-secret", gettytest.ClientSecret)
	proxy := []string{"contract", "proxy", "--upstream", fake.URL}

	// The token comes from the fake directly (GETTY_TOKEN_URL is not
	// changed): one exchange through the proxy.
	r := runApp(t, nil, false, append(append(proxy, "--"), list...)...)
	if r.code != exitOK || !strings.Contains(r.stdout, `"result_count": `) || !strings.Contains(r.stdout, "contract proxy: 1 exchange(s): 0 violation(s)") {
		t.Fatalf("clean run: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}

	// Traffic out of contract that makes the command fail: the command's
	// status, and the violation printed all the same.
	fake.Inject(gettytest.OpListDownloads, badListing)
	r = runApp(t, nil, false, append(append(proxy, "--"), list...)...)
	if r.code != exitFailure || !strings.Contains(r.stdout, "at /result_count: ") || !strings.Contains(r.stdout, "1 violation(s)") {
		t.Errorf("violation, command failed: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}

	// A failing command: its status, whatever the contract says.
	fail := selfCommand(t, "downloads", "list", "--page-size", "0")
	r = runApp(t, nil, false, append(append(proxy, "--"), fail...)...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "exit status 2") {
		t.Errorf("failing command: exit %d, want its 2\nstderr:\n%s", r.code, r.stderr)
	}
	if runtime.GOOS != "windows" {
		r = runApp(t, nil, false, append(proxy, "--", "sh", "-c", `test "$GETTY_BASE_URL" = "$GETTY_CONTRACT_PROXY" && exit 7`)...)
		if r.code != 7 || !strings.Contains(r.stderr, "getty: sh: exit status 7\n") {
			t.Errorf("sh -c 'exit 7': exit %d, stderr %q", r.code, r.stderr)
		}
	}
	r = runApp(t, nil, false, append(proxy, "--", filepath.Join(t.TempDir(), "no-such-command"))...)
	if r.code != exitFailure || !strings.Contains(r.stderr, "no-such-command") {
		t.Errorf("missing command: exit %d, stderr %q", r.code, r.stderr)
	}

	// A JUnit report owns standard output: the command's goes to stderr.
	r = runApp(t, nil, false, append(append(proxy, "--format", "junit", "--"), list...)...)
	var doc struct {
		Tests int `xml:"tests,attr"`
	}
	if err := xml.Unmarshal([]byte(r.stdout), &doc); err != nil || doc.Tests != 1 {
		t.Errorf("junit: %v, %d tests\nstdout:\n%s", err, doc.Tests, r.stdout)
	}
	if !strings.Contains(r.stderr, `"result_count": `) || !strings.Contains(r.stderr, "contract proxy listening on ") {
		t.Errorf("junit: stderr lacks the command's output or the proxy's lines:\n%s", r.stderr)
	}
}

// TestContractProxyRunVerdict wraps a command that does not mind what the
// API answers: the run exits with the contract's verdict.
func TestContractProxyRunVerdict(t *testing.T) {
	fake := gettytest.NewServer()
	defer fake.Close()
	t.Setenv("GETTY_TEST_RAW_CLIENT", "1")
	client := []string{os.Args[0], "-test.run=^TestRawClientHelper$"}
	proxy := []string{"contract", "proxy", "--upstream", fake.URL, "--format", "json", "--"}
	if r := runApp(t, nil, false, append(proxy, client...)...); r.code != exitOK || r.stdout != "" {
		t.Errorf("clean: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	fake.Inject(gettytest.OpListDownloads, badListing)
	r := runApp(t, nil, false, append(proxy, client...)...)
	if r.code != exitViolations || !strings.HasPrefix(r.stdout, `{"kind":"violation","interaction":1,`) {
		t.Errorf("out of contract: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestRawClientHelper is the command TestContractProxyRunVerdict wraps
// (GETTY_TEST_RAW_CLIENT=1): with plain net/http, a token and a listing
// from $GETTY_BASE_URL, whatever they hold.
func TestRawClientHelper(t *testing.T) {
	base := os.Getenv("GETTY_BASE_URL")
	if os.Getenv("GETTY_TEST_RAW_CLIENT") != "1" || base == "" || os.Getenv("GETTY_CONTRACT_PROXY") != base {
		t.Skip("run by TestContractProxyRunVerdict")
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {gettytest.APIKey}, "client_secret": {gettytest.ClientSecret}}
	resp, err := http.PostForm(base+"/oauth2/token", form)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	req, _ := http.NewRequest("GET", base+"/v3/downloads", nil)
	req.Header.Set("Api-Key", gettytest.APIKey)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func TestContractProxyUsage(t *testing.T) {
	fake := gettytest.NewServer()
	defer fake.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "needs --upstream URL"},
		{[]string{"--upstream", "api.gettyimages.com"}, "--upstream \"api.gettyimages.com\": want an absolute http or https URL"},
		{[]string{"--upstream", fake.URL, "--format", "xml"}, `--format "xml"`},
		{[]string{"--upstream", fake.URL, "--record", "session.json"}, "--record session.json: not a HAR file"},
		{[]string{"--upstream", fake.URL, "--allow", "allow.yaml"}, "--allow needs --record FILE"},
		{[]string{"--upstream", fake.URL, "echo"}, `takes no arguments, got ["echo"]: put a command to run after --`},
		{[]string{"--upstream", fake.URL, "--"}, "no command after --"},
		{[]string{"--upstream", fake.URL, "--listen", "nonsense"}, ""},
	} {
		r := runApp(t, nil, false, append([]string{"contract", "proxy"}, tc.args...)...)
		want := exitUsage
		if tc.want == "" {
			want = exitFailure
		}
		if r.code != want || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%q: exit %d (want %d), stderr %q (want %q)", tc.args, r.code, want, r.stderr, tc.want)
		}
	}
}

// TestContractProxySignal sends SIGTERM to the proxy, a process of its own:
// it writes the recording, prints the summary and exits 0.
func TestContractProxySignal(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM")
	}
	fake := gettytest.NewServer()
	defer fake.Close()
	rec := filepath.Join(t.TempDir(), "session.yaml")
	cmd := exec.Command(os.Args[0], "contract", "proxy", "--upstream", fake.URL, "--record", rec)
	cmd.Env = append(os.Environ(), "GETTY_TEST_RUN_MAIN=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		t.Fatalf("no output; stderr %q", stderr.String())
	}
	url := regexp.MustCompile(`http://\S+`).FindString(strings.TrimSuffix(lines.Text(), ","))
	url = strings.TrimSuffix(url, ",")
	if r := runApp(t, clientEnv(url), false, "downloads", "list"); r.code != exitOK {
		t.Fatalf("listing through %s: exit %d %s", url, r.code, r.stderr)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var rest strings.Builder
	for lines.Scan() {
		rest.WriteString(lines.Text() + "\n")
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	if code := cmd.ProcessState.ExitCode(); code != exitOK {
		t.Errorf("exit %d; stderr %q", code, stderr.String())
	}
	if !strings.Contains(rest.String(), "recorded 2 exchange(s) to "+rec) || !strings.Contains(rest.String(), "contract proxy: 2 exchange(s)") {
		t.Errorf("after SIGTERM:\n%s", rest.String())
	}
	if c := runApp(t, nil, false, "contract", "check", rec); c.code != exitOK {
		t.Errorf("contract check of the recording: exit %d\n%s", c.code, c.stdout)
	}
}
