package oracle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Entry is one reviewed difference of the list: the difference, why our
// spec differs from Getty's document there, and what shows it.
type Entry struct {
	Difference
	Reason   string
	Evidence []string
	// Line is where the entry starts in the list file.
	Line int
}

// rawEntry is an entry as written. Official and Ours are nodes so that a
// value given as null can be told apart from one not given.
type rawEntry struct {
	Key      string    `yaml:"key"`
	OnlyIn   string    `yaml:"only_in"`
	Official yaml.Node `yaml:"official"`
	Ours     yaml.Node `yaml:"ours"`
	Reason   string    `yaml:"reason"`
	Evidence []string  `yaml:"evidence"`
}

var entryFields = []string{"key", "only_in", "official", "ours", "reason", "evidence"}

type listFile struct {
	Differences []yaml.Node `yaml:"differences"`
}

// ParseList reads the list of reviewed differences. An entry with an
// unknown field, no key, or neither only_in nor both official and ours is
// an error; an entry without reason or evidence is not (Check reports it),
// so that -update can write drafts.
func ParseList(data []byte) ([]Entry, error) {
	var file listFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&file); errors.Is(err, io.EOF) {
		return nil, nil // comments only: no entries yet
	} else if err != nil {
		return nil, fmt.Errorf("oracle: reading the list: %w", err)
	}
	var entries []Entry
	for _, node := range file.Differences {
		// Node.Decode does not check field names, so check them here.
		if node.Kind == yaml.MappingNode {
			for i := 0; i < len(node.Content); i += 2 {
				if k := node.Content[i].Value; !slices.Contains(entryFields, k) {
					return nil, fmt.Errorf("oracle: list entry at line %d: unknown field %q (want one of %s)",
						node.Line, k, strings.Join(entryFields, ", "))
				}
			}
		}
		var raw rawEntry
		if err := node.Decode(&raw); err != nil {
			return nil, fmt.Errorf("oracle: list entry at line %d: %w", node.Line, err)
		}
		e := Entry{
			Difference: Difference{Key: raw.Key, OnlyIn: raw.OnlyIn},
			Reason:     raw.Reason,
			Evidence:   raw.Evidence,
			Line:       node.Line,
		}
		bad := func(format string, args ...any) error {
			return fmt.Errorf("oracle: list entry at line %d: %s", node.Line, fmt.Sprintf(format, args...))
		}
		if strings.TrimSpace(e.Key) == "" {
			return nil, bad("no key")
		}
		values := raw.Official.Kind != 0 || raw.Ours.Kind != 0
		switch e.OnlyIn {
		case Ours, Official:
			if values {
				return nil, bad("%s: only_in and official/ours together", e.Key)
			}
		case "":
			if raw.Official.Kind == 0 || raw.Ours.Kind == 0 {
				return nil, bad("%s: give only_in (%q or %q), or both official and ours", e.Key, Ours, Official)
			}
			if err := raw.Official.Decode(&e.Official); err != nil {
				return nil, bad("%s: official: %v", e.Key, err)
			}
			if err := raw.Ours.Decode(&e.Ours); err != nil {
				return nil, bad("%s: ours: %v", e.Key, err)
			}
		default:
			return nil, bad("%s: only_in is %q, want %q or %q", e.Key, e.OnlyIn, Ours, Official)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// Problem is a reason the list does not match the differences.
type Problem struct {
	// Kind is "unlisted" (a difference no entry lists), "stale" (an entry
	// no difference matches), "incomplete" (an entry without reason or
	// evidence) or "duplicate" (an entry listed twice).
	Kind    string
	Key     string
	Message string
}

func (p Problem) String() string { return p.Message }

// Check compares the differences with the list's entries.
func Check(diffs []Difference, entries []Entry) []Problem {
	var problems []Problem
	add := func(kind, key, format string, args ...any) {
		problems = append(problems, Problem{Kind: kind, Key: key, Message: fmt.Sprintf(format, args...)})
	}
	listed := make([]bool, len(entries))
	for _, d := range diffs {
		found := false
		var sameKey []string
		for i, e := range entries {
			if e.Same(d) {
				found, listed[i] = true, true
			} else if e.Key == d.Key {
				sameKey = append(sameKey, fmt.Sprintf("line %d: %s", e.Line, e.Difference))
			}
		}
		if found {
			continue
		}
		msg := "unlisted difference: " + d.String()
		if len(sameKey) > 0 {
			msg += " (the list has this key with other values, " + strings.Join(sameKey, "; ") + ")"
		}
		add("unlisted", d.Key, "%s", msg)
	}
	for i, e := range entries {
		for _, prev := range entries[:i] {
			if prev.Same(e.Difference) {
				add("duplicate", e.Key, "entry at line %d lists the same difference as line %d: %s", e.Line, prev.Line, e.Difference)
				break
			}
		}
		if !listed[i] {
			add("stale", e.Key, "stale entry at line %d matches no difference: %s", e.Line, e.Difference)
		}
		if strings.TrimSpace(e.Reason) == "" {
			add("incomplete", e.Key, "entry at line %d (%s) has no reason", e.Line, e.Key)
		}
		if len(e.Evidence) == 0 || slices.ContainsFunc(e.Evidence, func(s string) bool { return strings.TrimSpace(s) == "" }) {
			add("incomplete", e.Key, "entry at line %d (%s) has no evidence, or an empty item", e.Line, e.Key)
		}
	}
	return problems
}

// Draft returns the list file rewritten for the differences: the entries
// that match one kept with their reason and evidence, a draft entry with an
// empty reason and evidence for each unlisted difference, stale entries
// left out, all sorted by key. The comment block at the top of list is
// kept; the rest is written in one canonical layout.
func Draft(list []byte, diffs []Difference, entries []Entry) ([]byte, error) {
	var out []Entry
	for _, d := range diffs {
		i := slices.IndexFunc(entries, func(e Entry) bool { return e.Same(d) })
		if i >= 0 {
			out = append(out, entries[i])
		} else {
			out = append(out, Entry{Difference: d})
		}
	}
	slices.SortStableFunc(out, func(a, b Entry) int { return compareDiffs(a.Difference, b.Difference) })
	out = slices.CompactFunc(out, func(a, b Entry) bool { return a.Same(b.Difference) })

	var b bytes.Buffer
	b.Write(header(list))
	if len(out) == 0 {
		b.WriteString("differences: []\n")
	} else {
		b.WriteString("differences:\n")
	}
	for _, e := range out {
		writeEntry(&b, e)
	}
	// The layout is written by hand, so read it back to be sure it says
	// what it should.
	back, err := ParseList(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("oracle: the rewritten list does not parse: %w", err)
	}
	if len(back) != len(out) {
		return nil, fmt.Errorf("oracle: the rewritten list has %d entries, want %d", len(back), len(out))
	}
	for i := range out {
		if !back[i].Same(out[i].Difference) || back[i].Reason != out[i].Reason || !slices.Equal(back[i].Evidence, out[i].Evidence) {
			return nil, fmt.Errorf("oracle: the rewritten list does not read back entry %s", out[i].Key)
		}
	}
	return b.Bytes(), nil
}

// header is the comment block (and blank lines) the list file starts with.
func header(list []byte) []byte {
	var h []byte
	for line := range bytes.Lines(list) {
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] != '#' {
			break
		}
		h = append(h, line...)
	}
	if len(h) > 0 && !bytes.HasSuffix(h, []byte("\n")) {
		h = append(h, '\n')
	}
	return h
}

// width is the column the writer wraps prose at.
const width = 100

func writeEntry(b *bytes.Buffer, e Entry) {
	fmt.Fprintf(b, "  - key: %s\n", inline(e.Key))
	if e.OnlyIn != "" {
		fmt.Fprintf(b, "    only_in: %s\n", e.OnlyIn)
	} else {
		fmt.Fprintf(b, "    official: %s\n", inline(e.Official))
		fmt.Fprintf(b, "    ours: %s\n", inline(e.Ours))
	}
	b.WriteString(text("    reason: ", "      ", e.Reason))
	if len(e.Evidence) == 0 {
		b.WriteString("    evidence: []\n")
		return
	}
	b.WriteString("    evidence:\n")
	for _, s := range e.Evidence {
		b.WriteString(text("      - ", "        ", s))
	}
}

// inline renders a value as YAML on one line.
func inline(v any) string {
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return fmt.Sprintf("%q", fmt.Sprint(v))
	}
	var flow func(*yaml.Node)
	flow = func(n *yaml.Node) {
		switch n.Kind {
		case yaml.MappingNode, yaml.SequenceNode:
			n.Style = yaml.FlowStyle
		case yaml.ScalarNode:
			if strings.ContainsAny(n.Value, "\n\r") {
				n.Style = yaml.DoubleQuotedStyle
			}
		}
		for _, c := range n.Content {
			flow(c)
		}
	}
	flow(&n)
	out, err := yaml.Marshal(&n)
	if err != nil {
		return fmt.Sprintf("%q", fmt.Sprint(v))
	}
	return strings.TrimSuffix(string(out), "\n")
}

// text renders prose after prefix: on the same line when it fits, else as
// a folded block wrapped at width, indented by indent.
func text(prefix, indent, s string) string {
	if s == "" {
		return prefix + `""` + "\n"
	}
	one := inline(s)
	if utf8.RuneCountInString(prefix+one) <= width && !strings.Contains(one, "\n") {
		return prefix + one + "\n"
	}
	words := strings.Split(s, " ")
	foldable := !strings.ContainsAny(s, "\n\r\t") && !slices.Contains(words, "")
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0xfeff {
			foldable = false
		}
	}
	if !foldable {
		return prefix + one + "\n"
	}
	var b strings.Builder
	b.WriteString(prefix + ">-\n")
	line := indent
	for _, w := range words {
		if line != indent && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += w
	}
	b.WriteString(line + "\n")
	return b.String()
}
