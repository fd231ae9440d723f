package main

import (
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
