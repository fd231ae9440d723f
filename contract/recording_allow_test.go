package contract_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gettykit/getty/contract"
)

func TestParseAllowListErrors(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"not a sequence", "file: a.yaml\n", ":1: want a sequence"},
		{"not a mapping", "- a.yaml\n", ":1: an entry must be a mapping"},
		{"unknown key", "- file: a.yaml\n  pointer: x\n  reason: r\n  kind: violation\n", `:4: unknown key "kind"`},
		{"no file", "- pointer: x\n  reason: r\n", ":1: entry without a file"},
		{"no pointer", "- file: a.yaml\n  reason: r\n", ":1: entry without a pointer"},
		{"no reason", "- file: a.yaml\n  pointer: x\n  reason: \"  \"\n", ":1: entry without a reason"},
		{"negative interaction", "- file: a.yaml\n  interaction: -1\n  pointer: x\n  reason: r\n", ":1: interaction -1"},
		{"interaction not a number", "- file: a.yaml\n  interaction: first\n  pointer: x\n  reason: r\n", ":2: "},
		{"bad glob", "- file: \"a[.yaml\"\n  pointer: x\n  reason: r\n", ":1: file \"a[.yaml\""},
		{"duplicate", "- file: a.yaml\n  pointer: x\n  reason: r\n- file: ./a.yaml\n  pointer: x\n  reason: again\n", ":4: the same entry as line 1"},
		{"malformed YAML", "- file: a.yaml\n\tpointer: x\n", ":2: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "allow.yaml", tt.content)
			_, err := contract.LoadAllowList(path)
			if err == nil || !strings.Contains(err.Error(), path+tt.want) {
				t.Errorf("error = %v, want it to name %s%s", err, path, tt.want)
			}
		})
	}
	for _, empty := range []string{"", "# nothing yet\n", "[]\n"} {
		l, err := contract.ParseAllowList([]byte(empty), "allow.yaml")
		if err != nil || len(l.Entries) != 0 {
			t.Errorf("%q: %v %v", empty, l, err)
		}
	}
	if _, err := contract.LoadAllowList(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

func TestAllowListApply(t *testing.T) {
	// The list lives in dir; the recordings in dir/rec, named relative to
	// the list, and checked by paths relative to the working directory.
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "rec"), 0o755); err != nil {
		t.Fatal(err)
	}
	listPath := filepath.Join(dir, "allow.yaml")
	if err := os.WriteFile(listPath, []byte(`
- file: rec/a.yaml
  interaction: 1
  pointer: page_size
  reason: sent invalid on purpose
- file: rec/*.har
  pointer: ""
  reason: an undocumented status, any interaction
- file: rec/b.yaml
  interaction: 0
  pointer: security
  reason: stale once the scenario sends a token
- file: rec/unchecked.yaml
  pointer: security
  reason: about a file this run does not check
`), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := contract.LoadAllowList(listPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Entries) != 4 || l.Entries[0].Line != 2 || *l.Entries[0].Interaction != 1 || l.Entries[1].Interaction != nil {
		t.Fatalf("entries: %+v", l.Entries)
	}
	t.Chdir(dir)
	a, b, har := filepath.Join("rec", "a.yaml"), filepath.Join(dir, "rec", "b.yaml"), "rec/s.har"
	v := func(src string, index int, pointer string) contract.Finding {
		return contract.Finding{Kind: contract.Violation, Source: src, Index: index, Pointer: pointer}
	}
	tests := []struct {
		name    string
		finding contract.Finding
		allowed int // index of the entry, -1 for none
	}{
		{"file, interaction and pointer", v(a, 1, "page_size"), 0},
		{"same file given absolute", v(filepath.Join(dir, "rec", "a.yaml"), 1, "page_size"), 0},
		{"other interaction", v(a, 2, "page_size"), -1},
		{"other pointer", v(a, 1, "page"), -1},
		{"other file", v(filepath.Join("rec", "c.yaml"), 1, "page_size"), -1},
		{"glob, any interaction", v(har, 7, ""), 1},
		{"glob, other pointer", v(har, 7, "/uri"), -1},
		{"drift is never allowed", contract.Finding{Kind: contract.Drift, Source: a, Index: 1, Pointer: "page_size"}, -1},
		{"live traffic has no file", v("", 1, "page_size"), -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := l.Match(tt.finding)
			if tt.allowed < 0 && ok {
				t.Errorf("allowed by %s", e)
			}
			if tt.allowed >= 0 && (!ok || e.Line != l.Entries[tt.allowed].Line) {
				t.Errorf("allowed by %v (%v), want %s", e, ok, l.Entries[tt.allowed])
			}
		})
	}

	found := []contract.Finding{
		v(a, 1, "page_size"),
		v(a, 1, "page_size"), // one entry allows every violation it matches
		v(a, 3, "/result_count"),
		{Kind: contract.Drift, Source: a, Index: 0, Pointer: "/rating"},
		v(har, 0, ""),
	}
	res := l.Apply([]string{a, b, har}, found)
	if len(res.Violations) != 1 || res.Violations[0].Pointer != "/result_count" {
		t.Errorf("violations: %v", res.Violations)
	}
	if len(res.Allowed) != 3 || res.Allowed[0].Entry.Reason != "sent invalid on purpose" || res.Allowed[2].Entry.Line != l.Entries[1].Line {
		t.Errorf("allowed: %+v", res.Allowed)
	}
	// b.yaml was checked and nothing matched its entry: stale. The entry
	// about unchecked.yaml is not judged by a run that did not check it.
	if len(res.Stale) != 1 || res.Stale[0].File != "rec/b.yaml" {
		t.Errorf("stale: %v", res.Stale)
	}
	if s := res.Stale[0].String(); s != `file rec/b.yaml, interaction 0, pointer "security" (stale once the scenario sends a token)` {
		t.Errorf("String() = %s", s)
	}

	// Without a.yaml's violation its entry is stale too.
	res = l.Apply([]string{a, b, har}, found[2:])
	if got := staleFiles(res.Stale); !slices.Equal(got, []string{"rec/a.yaml", "rec/b.yaml"}) {
		t.Errorf("stale: %v", got)
	}

	// A nil list allows nothing and has nothing stale.
	var none *contract.AllowList
	res = none.Apply([]string{a}, found)
	if len(res.Violations) != 4 || len(res.Allowed) != 0 || len(res.Stale) != 0 {
		t.Errorf("nil list: %+v", res)
	}
}

func staleFiles(es []contract.AllowEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.File)
	}
	return out
}
