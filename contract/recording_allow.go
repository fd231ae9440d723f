package contract

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"
)

// AllowList lists expected violations: findings a recording holds on
// purpose, such as a request sent invalid to record the error it gets. A
// violation an entry allows does not fail a check; an entry that allows
// nothing is stale, so the list cannot outlive what it excuses.
//
// The file is a YAML sequence of entries, each with the recording's file,
// the interaction's index, the finding's pointer and a reason:
//
//	# Violations our cassettes record on purpose.
//	- file: error-400-page-size.yaml   # relative to this file; a glob is allowed
//	  interaction: 1                   # from 0; leave it out for any interaction
//	  pointer: page_size               # the finding's Pointer, "" for none
//	  reason: page_size=101 is above the maximum, to record the 400
//
// `getty contract check --allow FILE` and the Go tests of this module read
// the same file.
type AllowList struct {
	// Path is the file the list was read from. Relative file names of
	// the entries are resolved against its directory.
	Path    string
	Entries []AllowEntry
}

// AllowEntry allows the violations of one recorded interaction (or of every
// interaction of a file) at one pointer.
type AllowEntry struct {
	// File names the recording: a path or a filepath.Match pattern,
	// relative to the list's directory unless absolute.
	File string
	// Interaction is the interaction's index in the file, from 0, as
	// [Finding.Index]; nil allows any interaction of the file.
	Interaction *int
	// Pointer is compared exactly with [Finding.Pointer]: a JSON pointer
	// into a body, a parameter or header name, "security", or "" for a
	// finding without a pointer (an undocumented status, say).
	Pointer string
	// Reason says why the violation is expected; it is required.
	Reason string
	// Line is the entry's line in the list's file.
	Line int

	pattern string // File resolved against the list's directory, absolute
}

// String says what the entry allows and why.
func (e AllowEntry) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "file %s", e.File)
	if e.Interaction != nil {
		fmt.Fprintf(&b, ", interaction %d", *e.Interaction)
	}
	fmt.Fprintf(&b, ", pointer %q (%s)", e.Pointer, e.Reason)
	return b.String()
}

// MatchesFile reports whether the entry is about the recording at path (a
// path as given to [CheckCassette] or [CheckHAR]).
func (e AllowEntry) MatchesFile(path string) bool {
	ok, _ := filepath.Match(e.pattern, absPath(path))
	return ok
}

// allows reports whether the entry allows f.
func (e AllowEntry) allows(f Finding) bool {
	return f.Kind == Violation && f.Source != "" && f.Pointer == e.Pointer &&
		(e.Interaction == nil || *e.Interaction == f.Index) && e.MatchesFile(f.Source)
}

// LoadAllowList reads an allow list from a file (see [AllowList] for the
// format). Errors name the file and the line.
func LoadAllowList(path string) (*AllowList, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("contract: allow list: %w", err)
	}
	return ParseAllowList(data, path)
}

// ParseAllowList parses an allow list read from path: relative file names
// resolve against path's directory, and errors name path and the line. An
// entry needs a file, a pointer (which may be "") and a reason; unknown
// keys and duplicate entries are errors. An empty document is an empty
// list.
func ParseAllowList(data []byte, path string) (*AllowList, error) {
	fail := func(line int, format string, args ...any) error {
		return fmt.Errorf("contract: allow list: %s:%d: %s", path, line, fmt.Sprintf(format, args...))
	}
	l := &AllowList{Path: path}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError("allow list", path, err)
	}
	if root.Kind == 0 || len(root.Content) == 0 || root.Content[0].Tag == "!!null" {
		return l, nil
	}
	seq := root.Content[0]
	if seq.Kind != yaml.SequenceNode {
		return nil, fail(seq.Line, "want a sequence of entries (- file: ...)")
	}
	dir := filepath.Dir(path)
	seen := map[string]int{}
	for _, n := range seq.Content {
		if n.Kind != yaml.MappingNode {
			return nil, fail(n.Line, "an entry must be a mapping with file, interaction, pointer and reason")
		}
		var raw struct {
			File        string  `yaml:"file"`
			Interaction *int    `yaml:"interaction"`
			Pointer     *string `yaml:"pointer"`
			Reason      string  `yaml:"reason"`
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			switch k := n.Content[i]; k.Value {
			case "file", "interaction", "pointer", "reason":
			default:
				return nil, fail(k.Line, "unknown key %q (want file, interaction, pointer, reason)", k.Value)
			}
		}
		if err := n.Decode(&raw); err != nil {
			return nil, yamlError("allow list", path, err)
		}
		e := AllowEntry{File: raw.File, Interaction: raw.Interaction, Reason: strings.TrimSpace(raw.Reason), Line: n.Line}
		switch {
		case strings.TrimSpace(e.File) == "":
			return nil, fail(n.Line, "entry without a file")
		case raw.Pointer == nil:
			return nil, fail(n.Line, "entry without a pointer (write pointer: \"\" for a finding without one)")
		case e.Reason == "":
			return nil, fail(n.Line, "entry without a reason: say why the violation is expected")
		case e.Interaction != nil && *e.Interaction < 0:
			return nil, fail(n.Line, "interaction %d: indexes start at 0", *e.Interaction)
		}
		e.Pointer = *raw.Pointer
		e.pattern = e.File
		if !filepath.IsAbs(e.pattern) {
			e.pattern = filepath.Join(dir, filepath.FromSlash(e.File))
		}
		e.pattern = absPath(e.pattern)
		if _, err := filepath.Match(e.pattern, ""); err != nil {
			return nil, fail(n.Line, "file %q: %v", e.File, err)
		}
		key := e.pattern + "\x00" + e.Pointer + "\x00"
		if e.Interaction != nil {
			key += strconv.Itoa(*e.Interaction)
		}
		if first, dup := seen[key]; dup {
			return nil, fail(n.Line, "the same entry as line %d", first)
		}
		seen[key] = n.Line
		l.Entries = append(l.Entries, e)
	}
	return l, nil
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}

// Match returns the first entry that allows f, a violation found in a
// recording. A nil list allows nothing.
func (l *AllowList) Match(f Finding) (AllowEntry, bool) {
	if l == nil {
		return AllowEntry{}, false
	}
	for _, e := range l.Entries {
		if e.allows(f) {
			return e, true
		}
	}
	return AllowEntry{}, false
}

// AllowedFinding is a violation an entry of an [AllowList] allows.
type AllowedFinding struct {
	Finding Finding
	Entry   AllowEntry
}

// AllowResult is what [AllowList.Apply] makes of a check's findings.
type AllowResult struct {
	// Violations are the violations no entry allows: they fail the check.
	Violations []Finding
	// Allowed are the violations an entry allows, with the entry.
	Allowed []AllowedFinding
	// Stale are the entries about a checked recording that allowed
	// nothing: the violation they excuse is gone (or moved), and the entry
	// must be removed or corrected.
	Stale []AllowEntry
}

// Apply sorts the violations among fs, the findings of checking the
// recordings at sources, into allowed and not allowed, and finds the stale
// entries: those whose file is one of sources and that allow none of fs.
// Entries about recordings not among sources are left alone, so a run that
// checks some of the files does not call the others' entries stale. Drift
// and NotChecked findings are ignored. Each violation is allowed by the
// first entry that matches it, so an entry that only repeats an earlier
// one is stale too. A nil list allows nothing.
func (l *AllowList) Apply(sources []string, fs []Finding) AllowResult {
	var res AllowResult
	var used []bool
	if l != nil {
		used = make([]bool, len(l.Entries))
	}
	for _, f := range fs {
		if f.Kind != Violation {
			continue
		}
		allowed := false
		if l != nil {
			for i, e := range l.Entries {
				if e.allows(f) {
					res.Allowed = append(res.Allowed, AllowedFinding{Finding: f, Entry: e})
					used[i], allowed = true, true
					break
				}
			}
		}
		if !allowed {
			res.Violations = append(res.Violations, f)
		}
	}
	if l == nil {
		return res
	}
	for i, e := range l.Entries {
		if used[i] {
			continue
		}
		for _, s := range sources {
			if e.MatchesFile(s) {
				res.Stale = append(res.Stale, e)
				break
			}
		}
	}
	return res
}
