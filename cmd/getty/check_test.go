package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The cassettes under testdata are a recording of the contract suite
// (contract_test/testdata/list-first-page.yaml) and the same with the
// listing's result_count turned into a string.
func TestContractCheck(t *testing.T) {
	good := filepath.Join("testdata", "contract-good.yaml")
	bad := filepath.Join("testdata", "contract-violating.yaml")

	r := runApp(t, nil, false, "contract", "check", good)
	if r.code != exitOK {
		t.Errorf("good cassette: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if want := good + ": 0 violation(s), 0 drift finding(s)\n"; r.stdout != want {
		t.Errorf("good cassette: stdout %q, want %q", r.stdout, want)
	}

	r = runApp(t, nil, false, "contract", "check", good, bad)
	if r.code != exitViolations {
		t.Errorf("violating cassette: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, exitViolations, r.stdout, r.stderr)
	}
	for _, want := range []string{
		bad + ": interaction 1 (line ",
		"listDownloads GET /v3/downloads -> 200 at /result_count: ",
		bad + ": 1 violation(s), 0 drift finding(s)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Count(r.stdout, "violation: ") != 1 {
		t.Errorf("want exactly one violation reported:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "1 contract violation(s) in 1 file(s)") {
		t.Errorf("stderr %q", r.stderr)
	}
}

// TestContractCheckFiles runs contract check over sets of files: every file
// is checked and reported, whatever the others hold, and the exit status is
// the worst outcome (1 for a file not checked or a stale allow entry, over
// 5 for a violation).
func TestContractCheckFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := filepath.Join("testdata", "contract-good.yaml")
	bad := filepath.Join("testdata", "contract-violating.yaml")
	absGood, err := filepath.Abs(good)
	if err != nil {
		t.Fatal(err)
	}
	absBad := filepath.Join(filepath.Dir(absGood), filepath.Base(bad))
	empty := write("empty.yaml", "")
	braces := write("braces.yaml", "{}\n")
	nullHAR := write("null.har", `{"log":{"version":"1.2","entries":null}}`)
	broken := write("broken.yaml", "version: 2\ninteractions:\n  - id: 0\n    request:\n      url: x\n     method: GET\n")
	missing := filepath.Join(dir, "missing.har")
	notStored := write("not-stored.har", `{"log":{"entries":[{"request":{"method":"GET","url":"https://api.gettyimages.com/v3/downloads",
 "headers":[{"name":"Api-Key","value":"k"},{"name":"Authorization","value":"Bearer t"}]},
 "response":{"status":200,"headers":[{"name":"Content-Type","value":"application/json"}],"content":{"size":-1,"mimeType":"application/json"}}}]}}`)
	allowBad := write("allow-bad.yaml", "- file: "+absBad+"\n  interaction: 1\n  pointer: /result_count\n  reason: result_count as a string, on purpose\n")
	allowOther := write("allow-other.yaml", "- file: other.yaml\n  interaction: 1\n  pointer: /result_count\n  reason: about a file not checked\n")
	allowGood := write("allow-good.yaml", "- file: "+absBad+"\n  interaction: 1\n  pointer: /result_count\n  reason: on purpose\n- file: "+absGood+"\n  pointer: /result_count\n  reason: gone\n")
	allowWrong := write("allow-wrong.yaml", "- file: "+absBad+"\n  interaction: 0\n  pointer: /result_count\n  reason: the wrong interaction\n")
	allowBroken := write("allow-broken.yaml", "- file: x.yaml\n  pointer: x\n")
	ownCassettes, err := filepath.Glob(filepath.Join("..", "..", "contract_test", "testdata", "*.yaml"))
	if err != nil || len(ownCassettes) == 0 {
		t.Fatalf("the project's cassettes: %v %v", ownCassettes, err)
	}
	ownAllow := filepath.Join("..", "..", "contract_test", "allowed-violations.yaml")

	tests := []struct {
		name                 string
		args                 []string
		code                 int
		stdout, stderr, lack []string
	}{
		{"empty cassette", []string{empty}, exitFailure,
			[]string{"error: " + empty + ": empty file: no interactions recorded\n"}, []string{"1 file(s) could not be checked"}, []string{"0 violation(s)"}},
		{"cassette {}", []string{braces}, exitFailure,
			[]string{"error: " + braces + ": no interactions recorded\n"}, nil, nil},
		{"HAR with null entries", []string{nullHAR}, exitFailure,
			[]string{"error: " + nullHAR + ": log.entries is empty or null: no interactions recorded\n"}, nil, nil},
		{"body not stored", []string{notStored}, exitOK,
			[]string{notStored + ": interaction 0: not checked: listDownloads GET /v3/downloads -> 200: response body not stored in the recording", notStored + ": 0 violation(s), 0 drift finding(s), 1 not checked\n"}, nil, nil},
		{"body not stored, quiet", []string{"--quiet", notStored}, exitOK,
			[]string{notStored + ": 0 violation(s), 0 drift finding(s), 1 not checked\n"}, nil, []string{"not checked: "}},
		{"malformed and missing among good and violating", []string{good, broken, bad, missing}, exitFailure,
			[]string{
				good + ": 0 violation(s), 0 drift finding(s)\n",
				"error: malformed cassette: " + broken + ":6: ",
				bad + ": interaction 1 (line ", bad + ": 1 violation(s), 0 drift finding(s)\n",
				"error: open " + missing + ": ",
			},
			[]string{"2 file(s) could not be checked; 1 contract violation(s) in 1 file(s)"}, nil},
		{"violations only", []string{good, bad}, exitViolations, []string{bad + ": 1 violation(s)"}, []string{"1 contract violation(s) in 1 file(s)"}, nil},
		{"body over --max-body", []string{"--max-body", "1KiB", bad}, exitOK,
			[]string{"not checked: listDownloads GET /v3/downloads -> 200: response body of ", "is over the size limit (1024 bytes)", bad + ": 0 violation(s), 0 drift finding(s), 1 not checked\n"}, nil, []string{"violation: "}},
		{"body under --max-body", []string{"--max-body", "1MiB", bad}, exitViolations, []string{"violation: listDownloads"}, nil, nil},
		{"--max-body in bytes", []string{"--max-body", "100", good}, exitOK, []string{good + ": 0 violation(s), 0 drift finding(s), 1 not checked"}, nil, nil},
		{"allowed violation", []string{"--allow", allowBad, good, bad}, exitOK,
			[]string{bad + ": interaction 1 (line ", "allowed: listDownloads GET /v3/downloads -> 200 at /result_count: ", "(result_count as a string, on purpose)\n", bad + ": 0 violation(s), 0 drift finding(s), 1 allowed\n"},
			nil, []string{"violation: "}},
		{"allow list about other files", []string{"--allow", allowOther, bad}, exitViolations,
			[]string{"violation: listDownloads GET /v3/downloads -> 200 at /result_count"}, []string{"1 contract violation(s) in 1 file(s)"}, []string{"stale"}},
		{"stale entry", []string{"--allow", allowGood, good, bad}, exitFailure,
			[]string{bad + ": 0 violation(s), 0 drift finding(s), 1 allowed\n", allowGood + ":5: stale allow entry, no violation matches it: file " + absGood + ", pointer \"/result_count\" (gone)\n"},
			[]string{"getty: 1 stale allow-list entry\n"}, nil},
		{"entry matching nothing, violation not allowed", []string{"--allow", allowWrong, bad}, exitFailure,
			[]string{"violation: listDownloads GET /v3/downloads -> 200 at /result_count", allowWrong + ":1: stale allow entry"},
			[]string{"1 stale allow-list entry; 1 contract violation(s) in 1 file(s)"}, nil},
		{"the project's own cassettes", append([]string{"--allow", ownAllow}, ownCassettes...), exitOK,
			[]string{"error-400-page-size.yaml: 0 violation(s), 0 drift finding(s), 1 allowed\n", "error-401-no-token.yaml: 0 violation(s), 0 drift finding(s), 1 allowed\n"}, nil, []string{"stale", "error:"}},
		{"the project's own cassettes without the allow list", ownCassettes, exitViolations, nil, []string{"2 contract violation(s) in 2 file(s)"}, nil},
		{"malformed allow list", []string{"--allow", allowBroken, good}, exitFailure, nil, []string{allowBroken + ":1: entry without a reason"}, []string{good}},
		{"not a recording", []string{good, "notes.json"}, exitUsage, nil, []string{"notes.json: not a cassette"}, []string{good}},
	}
	for _, bad := range []string{"0", "-5", "lots", "1.5MiB", "8MB"} {
		tests = append(tests, struct {
			name                 string
			args                 []string
			code                 int
			stdout, stderr, lack []string
		}{"--max-body " + bad, []string{"--max-body", bad, good}, exitUsage, nil, []string{"want a positive number of bytes"}, nil})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runApp(t, nil, false, append([]string{"contract", "check"}, tt.args...)...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d", r.code, tt.code)
			}
			last := -1
			for _, want := range tt.stdout {
				i := strings.Index(r.stdout, want)
				if i < 0 {
					t.Errorf("stdout lacks %q", want)
				} else if i < last {
					t.Errorf("stdout has %q out of order", want)
				} else {
					last = i
				}
			}
			for _, want := range tt.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q", want)
				}
			}
			for _, not := range tt.lack {
				if strings.Contains(r.stdout, not) {
					t.Errorf("stdout has %q", not)
				}
			}
			if t.Failed() {
				t.Logf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			}
		})
	}
}

func TestContractCheckHelp(t *testing.T) {
	r := runApp(t, nil, false, "contract", "check", "--help")
	if r.code != exitOK || r.stderr != "" {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	for _, want := range []string{"--allow FILE", "--max-body SIZE", "(default 8MiB)", "not checked", "stale", "this outranks 5"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("help lacks %q:\n%s", want, r.stdout)
		}
	}
}
