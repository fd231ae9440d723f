package specconv

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Sections of an OpenAPI 3 document whose named entries are merged across
// sources. Every other top-level field is taken from the first source by
// name (the main overlay states the ones that matter).
var mergedSections = [][]string{
	{"components", "schemas"}, {"components", "parameters"}, {"components", "responses"},
	{"components", "requestBodies"}, {"components", "headers"}, {"components", "securitySchemes"},
	{"components", "examples"}, {"components", "links"}, {"components", "callbacks"},
}

// checkPrecedence checks that every name in Supersedes is another source and
// that no source supersedes itself, directly or through others.
func checkPrecedence(sources []Source) error {
	names := map[string]bool{}
	for _, s := range sources {
		if names[s.Name] {
			return &Error{File: s.Name, Err: errors.New("listed twice as an upstream source")}
		}
		names[s.Name] = true
	}
	var errs []error
	for _, s := range sources {
		for _, other := range s.Supersedes {
			switch {
			case other == s.Name:
				errs = append(errs, &Error{File: s.Name, Err: errors.New("supersedes itself")})
			case !names[other]:
				errs = append(errs, &Error{File: s.Name, Err: fmt.Errorf("supersedes %s, which is not an upstream source", other)})
			case supersedes(sources, other, s.Name):
				errs = append(errs, &Error{File: s.Name, Err: fmt.Errorf("supersedes %s, which supersedes it in turn", other)})
			}
		}
	}
	return errors.Join(errs...)
}

// supersedes reports whether source a wins over source b, directly or
// through a chain of Supersedes.
func supersedes(sources []Source, a, b string) bool {
	seen := map[string]bool{}
	var walk func(name string) bool
	walk = func(name string) bool {
		if seen[name] {
			return false
		}
		seen[name] = true
		for _, s := range sources {
			if s.Name != name {
				continue
			}
			for _, next := range s.Supersedes {
				if next == b || walk(next) {
					return true
				}
			}
		}
		return false
	}
	return walk(a)
}

// definition is one source's value for a mergeable entry.
type definition struct {
	source string
	value  any
}

// merge combines the converted sources. Paths merge per operation (each
// field of a path item); components merge per named entry. An entry defined
// by several sources must be identical in all of them, unless one of them
// supersedes every other that differs from it. The returned origins map the
// JSON pointer of every operation and component to the source it came from.
func merge(parts []converted, list string) (map[string]any, map[string]string, error) {
	sources := make([]Source, len(parts))
	for i, p := range parts {
		sources[i] = p.src
	}
	out := map[string]any{}
	for k, v := range parts[0].doc {
		if k != "paths" && k != "components" {
			out[k] = deepCopy(v)
		}
	}
	if comps, ok := parts[0].doc["components"].(map[string]any); ok {
		c := map[string]any{}
		for k, v := range comps {
			if !slices.ContainsFunc(mergedSections, func(sec []string) bool { return sec[1] == k }) {
				c[k] = deepCopy(v)
			}
		}
		out["components"] = c
	}

	defs := map[string][]definition{}
	where := map[string][]string{} // pointer → container path and key
	var order []string
	for _, p := range parts {
		walkEntries(p.doc, func(ptr string, container []string, key string, val any) {
			if _, ok := defs[ptr]; !ok {
				order = append(order, ptr)
				where[ptr] = append(slices.Clone(container), key)
			}
			defs[ptr] = append(defs[ptr], definition{source: p.src.Name, value: val})
		})
	}
	slices.Sort(order)

	origins := map[string]string{}
	var errs []error
	for _, ptr := range order {
		win, err := resolve(sources, list, ptr, defs[ptr])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		loc := where[ptr]
		ensureMap(out, loc[:len(loc)-1])[loc[len(loc)-1]] = deepCopy(win.value)
		origins[ptr] = win.source
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	if _, ok := out["paths"]; !ok {
		out["paths"] = map[string]any{}
	}
	if _, ok := out["components"]; !ok {
		out["components"] = map[string]any{}
	}
	return out, origins, nil
}

// resolve picks the definition of one entry: the only one, the one all
// sources agree on, or the one whose source supersedes every source that
// defines it differently.
func resolve(sources []Source, list, ptr string, defs []definition) (definition, error) {
	for _, cand := range defs {
		wins := true
		for _, other := range defs {
			if other.source != cand.source && !reflect.DeepEqual(other.value, cand.value) && !supersedes(sources, cand.source, other.source) {
				wins = false
				break
			}
		}
		if wins {
			return cand, nil
		}
	}
	// Name the first pair that differs, in source order.
	a := defs[0]
	b := defs[slices.IndexFunc(defs, func(d definition) bool { return !reflect.DeepEqual(d.value, a.value) })]
	diffPtr, va, vb := firstDifference(a.value, b.value, ptr)
	ra, rb := showDifference(va, vb)
	return definition{}, &Error{File: b.source, Pointer: ptr, Err: fmt.Errorf(
		"%s defined differently in %s (both in OpenAPI 3 form):\n"+
			"    first difference at %s:\n"+
			"      %s: %s\n"+
			"      %s: %s\n"+
			"    to let one file win without editing the other, state it in %s: on the entry of %s,\n"+
			"    \"supersedes: [%s]\"; or on the entry of %s, \"supersedes: [%s]\"",
		describeEntry(ptr), a.source, diffPtr, a.source, ra, b.source, rb,
		listName(list), b.source, relTo(list, a.source), a.source, relTo(list, b.source))}
}

// showDifference renders both values of a difference for an error message.
// Long strings are shown around the first character where they differ.
func showDifference(a, b any) (string, string) {
	x, okx := a.(string)
	y, oky := b.(string)
	const before, after = 30, 60
	if !okx || !oky || len(x)+len(y) < 2*(before+after) {
		return render1(a), render1(b)
	}
	i := 0
	for i < len(x) && i < len(y) && x[i] == y[i] {
		i++
	}
	window := func(s string) string {
		start := max(0, i-before)
		for start > 0 && !utf8.RuneStart(s[start]) {
			start--
		}
		end := min(len(s), i+after)
		for end < len(s) && !utf8.RuneStart(s[end]) {
			end++
		}
		out := strconv.Quote(s[start:end])
		if start > 0 {
			out = "…" + out
		}
		if end < len(s) {
			out += "…"
		}
		return fmt.Sprintf("%s (differs from character %d)", out, i)
	}
	return window(x), window(y)
}

func listName(list string) string {
	if list == "" {
		return "the sources list"
	}
	return list
}

// relTo writes a source's name as the sources list refers to it: relative
// to the list's directory.
func relTo(list, name string) string {
	if list == "" {
		return name
	}
	if rel, ok := strings.CutPrefix(name, path.Dir(list)+"/"); ok {
		return rel
	}
	return name
}

// describeEntry names an entry for people: "GET /v3/downloads" or
// "component schemas/Thing".
func describeEntry(ptr string) string {
	toks := splitPointer(ptr)
	if len(toks) == 3 && toks[0] == "paths" {
		return strings.ToUpper(toks[2]) + " " + toks[1]
	}
	if len(toks) >= 2 && toks[0] == "components" {
		return "component " + strings.Join(toks[1:], "/")
	}
	return ptr
}

func splitPointer(ptr string) []string {
	toks := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	for i, t := range toks {
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return toks
}

// absent stands for a value one side does not have.
type absentValue struct{}

var absent = absentValue{}

// firstDifference walks two values in a stable order and returns the JSON
// pointer of the first place they differ, with both values there. Lists of
// named objects (parameters) are matched by "in" and "name", not position,
// so a parameter added in the middle is reported as itself.
func firstDifference(a, b any, ptr string) (string, any, any) {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := sortedKeys(x)
		for _, k := range sortedKeys(y) {
			if _, ok := x[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			va, oka := x[k]
			vb, okb := y[k]
			switch {
			case !oka:
				return ptr + "/" + escape(k), absent, vb
			case !okb:
				return ptr + "/" + escape(k), va, absent
			case !reflect.DeepEqual(va, vb):
				return firstDifference(va, vb, ptr+"/"+escape(k))
			}
		}
		return ptr, a, b
	case []any:
		y, ok := b.([]any)
		if !ok {
			break
		}
		if named(x) && named(y) {
			for i, e := range x {
				j := slices.IndexFunc(y, func(o any) bool { return sameName(e, o) })
				if j < 0 {
					return fmt.Sprintf("%s/%d", ptr, i), e, absent
				}
				if !reflect.DeepEqual(e, y[j]) {
					return firstDifference(e, y[j], fmt.Sprintf("%s/%d", ptr, i))
				}
			}
			for j, o := range y {
				if !slices.ContainsFunc(x, func(e any) bool { return sameName(e, o) }) {
					return fmt.Sprintf("%s/%d", ptr, j), absent, o
				}
			}
			return ptr, a, b // same elements, another order
		}
		for i := 0; i < len(x) || i < len(y); i++ {
			switch {
			case i >= len(x):
				return fmt.Sprintf("%s/%d", ptr, i), absent, y[i]
			case i >= len(y):
				return fmt.Sprintf("%s/%d", ptr, i), x[i], absent
			case !reflect.DeepEqual(x[i], y[i]):
				return firstDifference(x[i], y[i], fmt.Sprintf("%s/%d", ptr, i))
			}
		}
	}
	return ptr, a, b
}

func named(list []any) bool {
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return false
		}
		if _, ok := m["name"].(string); !ok {
			return false
		}
	}
	return len(list) > 0
}

func sameName(a, b any) bool {
	x, _ := a.(map[string]any)
	y, _ := b.(map[string]any)
	return x["name"] == y["name"] && x["in"] == y["in"]
}

// render1 shows a value in an error message: JSON, cut short.
func render1(v any) string {
	if v == absent {
		return "(absent)"
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	const max = 160
	if len(data) > max {
		return string(data[:max]) + "…"
	}
	return string(data)
}

// walkEntries calls fn for every mergeable entry of doc: each path-item
// field, then each named entry of every merged section.
func walkEntries(doc map[string]any, fn func(ptr string, container []string, key string, val any)) {
	if paths, ok := doc["paths"].(map[string]any); ok {
		for _, p := range sortedKeys(paths) {
			item, ok := paths[p].(map[string]any)
			if !ok {
				fn("/paths/"+escape(p), []string{"paths"}, p, paths[p])
				continue
			}
			for _, field := range sortedKeys(item) {
				fn("/paths/"+escape(p)+"/"+escape(field), []string{"paths", p}, field, item[field])
			}
		}
	}
	for _, sec := range mergedSections {
		m, ok := lookup(doc, sec).(map[string]any)
		if !ok {
			continue
		}
		base := ""
		for _, s := range sec {
			base += "/" + escape(s)
		}
		for _, k := range sortedKeys(m) {
			fn(base+"/"+escape(k), sec, k, m[k])
		}
	}
}
