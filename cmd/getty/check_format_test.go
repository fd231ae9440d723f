package main

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestContractCheckFormats: --format writes the same findings as JSON
// lines, JUnit XML (a test case per interaction) or GitHub annotations
// (file and line), with the same exit status.
func TestContractCheckFormats(t *testing.T) {
	good := filepath.Join("testdata", "contract-good.yaml")
	bad := filepath.Join("testdata", "contract-violating.yaml")
	check := func(format string) result {
		t.Helper()
		r := runApp(t, nil, false, "contract", "check", "--format", format, good, bad)
		if r.code != exitViolations || !strings.Contains(r.stderr, "1 contract violation(s) in 1 file(s)") {
			t.Fatalf("--format %s: exit %d\nstdout:\n%s\nstderr:\n%s", format, r.code, r.stdout, r.stderr)
		}
		return r
	}

	r := check("json")
	var kinds []string
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	for sc.Scan() {
		var l struct {
			Kind, File, Pointer string
			Interaction         *int
			Line                int
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%v: %s", err, sc.Text())
		}
		kinds = append(kinds, l.Kind)
		if l.Kind == "violation" && (l.File != bad || l.Interaction == nil || *l.Interaction != 1 || l.Line == 0 || l.Pointer != "/result_count") {
			t.Errorf("violation line: %s", sc.Text())
		}
	}
	if strings.Join(kinds, " ") != "violation" {
		t.Errorf("json kinds %v:\n%s", kinds, r.stdout)
	}

	r = check("junit")
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, r.stdout)
	}
	interactions := 0
	for _, path := range []string{good, bad} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		interactions += len(regexp.MustCompile(`(?m)^    - id: `).FindAll(data, -1))
	}
	if doc.Tests != interactions || doc.Failures != 1 || len(doc.Suites) != 2 || doc.Suites[1].Name != bad {
		t.Fatalf("junit: %d tests for %d interactions, %d failures, suites %+v", doc.Tests, interactions, doc.Failures, doc.Suites)
	}
	if f := doc.Suites[1].Cases[1].Failure; f == nil || !strings.HasPrefix(f.Message, "/result_count: ") {
		t.Errorf("failure: %+v", doc.Suites[1].Cases[1])
	}

	r = check("github")
	if !regexp.MustCompile(`(?m)^::error file=testdata/contract-violating.yaml,line=\d+,title=contract violation::interaction 1: listDownloads GET /v3/downloads -> 200 at /result_count: `).MatchString(r.stdout) {
		t.Errorf("github:\n%s", r.stdout)
	}

	if r := runApp(t, nil, false, "contract", "check", "--format", "yaml", good); r.code != exitUsage {
		t.Errorf("--format yaml: exit %d", r.code)
	}
}
