package main

import (
	"os/exec"
	"strings"
	"testing"
)

// knownTestingImporters are the packages outside this module that bring
// the testing package into the binary. go-vcr's cassette package (used by
// contract and by the record, proxy and check commands to read and write
// cassettes) has replay helpers taking *testing.T in its non-test files;
// leaving it needs cassette types of our own in contract (see the report
// of issue 12, item 9). Nothing else may be added here.
var knownTestingImporters = map[string]bool{
	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette": true,
}

// The CLI binary does not link the testing package through any package of
// this module: contract.Report.Check takes contract.TB, not testing.TB.
// (testing registers its flags only from a test binary's main, but it still
// costs size and leaks test-only API into a program.)
func TestBinaryDoesNotLinkTestingThroughThisModule(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	var importers []string
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		for _, imp := range fields[1:] {
			if imp == "testing" {
				importers = append(importers, fields[0])
			}
		}
	}
	for _, p := range importers {
		if !knownTestingImporters[p] {
			t.Errorf("%s imports testing, which the getty binary then links", p)
		}
	}
	if len(importers) > 0 {
		t.Logf("testing is still linked, through %v only", importers)
	}
}
