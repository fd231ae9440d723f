package contract_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v4"
	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"

	"github.com/gettykit/getty/contract"
)

// allowListPath lists the violations the committed cassettes record on
// purpose (the error paths send invalid requests), each with its reason.
// `getty contract check --allow` reads the same file.
const allowListPath = "allowed-violations.yaml"

var sharedAllowList = sync.OnceValues(func() (*contract.AllowList, error) {
	return contract.LoadAllowList(allowListPath)
})

func allowList(t testing.TB) *contract.AllowList {
	t.Helper()
	l, err := sharedAllowList()
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestCommittedCassettes re-validates every committed cassette against the
// current spec, whatever the mode: when the spec changes, old recordings
// are judged again.
func TestCommittedCassettes(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no cassettes under testdata (record them with %s=record)", envMode)
	}
	known := map[string]bool{}
	for _, sc := range scenarios() {
		known[sc.name] = true
		if _, err := os.Stat(cassetteName(sc.name) + ".yaml"); err != nil {
			t.Errorf("scenario %s has no cassette: %v", sc.name, err)
		}
	}
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			if !known[name] {
				t.Errorf("%s belongs to no scenario: remove it or add its scenario", path)
			}
			r, err := contract.CheckCassette(validator(t), path)
			if err != nil {
				t.Fatal(err)
			}
			checkCassetteReport(t, name, r)
		})
	}
	for _, e := range allowList(t).Entries {
		matched := false
		for _, path := range paths {
			matched = matched || e.MatchesFile(path)
		}
		if !matched {
			t.Errorf("%s:%d: %s names no committed cassette", allowListPath, e.Line, e)
		}
	}
}

// checkCassetteReport judges the findings of the cassette of scenario
// name: no violation but those allowListPath allows, and each of its
// entries about this cassette must allow one (a stale entry fails).
func checkCassetteReport(t *testing.T, name string, r *contract.Report) {
	t.Helper()
	path := cassetteName(name) + ".yaml"
	res := allowList(t).Apply([]string{path}, r.Findings())
	for _, f := range res.Violations {
		t.Errorf("%s", f)
	}
	for _, e := range res.Stale {
		t.Errorf("%s:%d: stale entry, no violation of %s matches it: %s", allowListPath, e.Line, path, e)
	}
	for _, a := range res.Allowed {
		t.Logf("allowed (%s): %s", a.Entry.Reason, a.Finding)
	}
	for _, f := range append(r.Drift(), r.NotChecked()...) {
		t.Logf("%s", f)
	}
}

// TestCheckCassetteBrokenRecording breaks a committed recording the way a
// changed API (or spec) would, and checks that the finding names the
// cassette, the interaction and the JSON pointer. The checks of hand-made
// cassettes, malformed ones included (file and line), are in package
// contract (TestCheckCassette, TestCheckCassetteMalformed).
func TestCheckCassetteBrokenRecording(t *testing.T) {
	c, err := cassette.Load(cassetteName("list-first-page"))
	if err != nil {
		t.Fatal(err)
	}
	const listing = 1 // after the token request
	resp := &c.Interactions[listing].Response
	// result_count as a string, the length kept right.
	broken := regexp.MustCompile(`"result_count":(\d+)`).ReplaceAllString(resp.Body, `"result_count":"$1"`)
	if broken == resp.Body {
		t.Fatal("list-first-page.yaml: no result_count in the listing")
	}
	resp.Body = broken
	resp.ContentLength = int64(len(broken))
	resp.Headers.Set("Content-Length", strconv.Itoa(len(broken)))
	c.Name = filepath.Join(t.TempDir(), "broken")
	c.File = c.Name + ".yaml"
	c.MarshalFunc = yaml.Marshal // what the recorder uses
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}

	r, err := contract.CheckCassette(validator(t), c.File)
	if err != nil {
		t.Fatal(err)
	}
	vs := r.Violations()
	if len(vs) != 1 {
		t.Fatalf("violations:\n%s", r)
	}
	f := vs[0]
	if f.Source != c.File || f.Index != listing || f.Line == 0 || f.Pointer != "/result_count" || f.Operation != "listDownloads" || f.InRequest {
		t.Errorf("finding %#v", f)
	}
	if s := f.String(); !strings.Contains(s, fmt.Sprintf("%s: interaction %d (line %d)", c.File, listing, f.Line)) || !strings.Contains(s, "/result_count") {
		t.Errorf("finding reads %q", s)
	}
}
