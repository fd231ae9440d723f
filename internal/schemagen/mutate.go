package schemagen

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"pgregory.net/rapid"
)

// applies reports whether mutation m can break the value of n.
func (g *Generator) applies(m Mutation, n node) bool {
	s := n.schema
	switch m {
	case WrongType:
		return len(typesOf(s)) > 0
	case NullNotNullable:
		return n.value != nil && !nullable(s)
	case OutOfRange:
		switch n.value.(type) {
		case int64:
			lo, hi, _ := intBounds(s)
			return len(s.Enum) == 0 && (lo > math.MinInt64 || hi < math.MaxInt64)
		case float64:
			return len(s.Enum) == 0 && (s.Min != nil || s.Max != nil)
		}
	case UnknownEnum:
		return n.value != nil && len(s.Enum) > 0
	case BadFormat:
		_, isString := n.value.(string)
		return isString && len(s.Enum) == 0 && len(g.badStrings(s)) > 0
	case BadLength:
		switch n.value.(type) {
		case string:
			return len(s.Enum) == 0 && (s.MinLength > 0 || s.MaxLength != nil)
		case []any:
			return s.MinItems > 0 || s.MaxItems != nil
		}
	case MissingRequired:
		_, isObject := n.value.(map[string]any)
		return isObject && len(s.Required) > 0
	case ForbiddenField:
		_, isObject := n.value.(map[string]any)
		return isObject && s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has
	}
	return false
}

// mutate breaks the value at the site inside *root. It returns the pointer
// of what is broken and a description of it.
func (g *Generator) mutate(t *rapid.T, root *any, st site) (broken []string, note string) {
	n, s := st.node, st.node.schema
	set := func(v any) { setAt(root, n.ptr, v) }
	switch st.mut {
	case WrongType:
		var kinds []string
		for _, k := range []string{"string", "integer", "number", "boolean", "object", "array"} {
			if !permits(s, k) {
				kinds = append(kinds, k)
			}
		}
		var v any
		switch kind := rapid.SampledFrom(kinds).Draw(t, "wrong type"); kind {
		case "string":
			v = rapid.StringN(0, 8, -1).Draw(t, "string")
		case "integer":
			v = rapid.Int64Range(-1000, 1000).Draw(t, "integer")
		case "number":
			v = float64(rapid.Int64Range(-1000, 1000).Draw(t, "number")) + 0.5
		case "boolean":
			v = rapid.Bool().Draw(t, "boolean")
		case "object":
			v = map[string]any{}
		case "array":
			v = []any{}
		}
		set(v)
		return n.ptr, fmt.Sprintf("%s %s where %v is expected", jsonType(v), short(v), typesOf(s))
	case NullNotNullable:
		set(nil)
		return n.ptr, "null"
	case OutOfRange:
		v, why := g.outOfRange(t, s, n.value)
		set(v)
		return n.ptr, fmt.Sprintf("%v, %s", v, why)
	case UnknownEnum:
		v := unknownEnum(t, s)
		set(v)
		return n.ptr, fmt.Sprintf("%s, not one of %v", short(v), s.Enum)
	case BadFormat:
		bad := g.badStrings(s)
		v := rapid.Custom(func(t *rapid.T) string {
			if r := rapid.String().Draw(t, "random"); !g.stringValid(s, r) {
				return r
			}
			return rapid.SampledFrom(bad).Draw(t, "fixed")
		}).Draw(t, "bad string")
		set(v)
		return n.ptr, fmt.Sprintf("%s, not of format %q pattern %q", short(v), s.Format, s.Pattern)
	case BadLength:
		v, why := g.badLength(t, s, n)
		set(v)
		return n.ptr, why
	case MissingRequired:
		obj := n.value.(map[string]any)
		k := rapid.SampledFrom(s.Required).Draw(t, "required property")
		delete(obj, k)
		return push(n.ptr, k), fmt.Sprintf("%q removed", k)
	case ForbiddenField:
		obj := n.value.(map[string]any)
		k := g.extraName(s, obj).Draw(t, "forbidden field")
		obj[k] = anyJSON(1, true).Draw(t, "forbidden value")
		// The object is what breaks additionalProperties: false, as JSON
		// Schema and kin-openapi locate the error.
		return n.ptr, fmt.Sprintf("field %q added", k)
	}
	panic("schemagen: unknown mutation " + string(st.mut))
}

func short(v any) string {
	s := fmt.Sprintf("%#v", v)
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return s
}

// outOfRange draws a number just or far outside what s allows.
func (g *Generator) outOfRange(t *rapid.T, s *openapi3.Schema, v any) (any, string) {
	d := rapid.OneOf(rapid.Just[int64](0), rapid.Int64Range(0, 1<<20)).Draw(t, "distance")
	if _, isInt := v.(int64); isInt {
		lo, hi, formatBound := intBounds(s)
		type side struct {
			v   int64
			why string
		}
		var sides []side
		if lo > math.MinInt64 {
			sides = append(sides, side{subClamp(lo, 1+d), fmt.Sprintf("below %d", lo)})
		}
		if hi < math.MaxInt64 {
			sides = append(sides, side{addClamp(hi, 1+d), fmt.Sprintf("above %d", hi)})
		}
		if formatBound {
			sides = append(sides,
				side{subClamp(math.MinInt32, 1+d), "below the range of " + s.Format},
				side{addClamp(math.MaxInt32, 1+d), "above the range of " + s.Format})
		}
		c := rapid.SampledFrom(sides).Draw(t, "side")
		return c.v, c.why
	}
	var sides []float64
	if s.Min != nil {
		sides = append(sides, *s.Min-1-float64(d))
	}
	if s.Max != nil {
		sides = append(sides, *s.Max+1+float64(d))
	}
	return rapid.SampledFrom(sides).Draw(t, "side"), "outside minimum/maximum"
}

func subClamp(a, b int64) int64 {
	if a < math.MinInt64+b {
		return math.MinInt64
	}
	return a - b
}

func addClamp(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// unknownEnum draws a value of the enum's type that is not in it.
func unknownEnum(t *rapid.T, s *openapi3.Schema) any {
	in := func(v any) bool {
		for _, e := range s.Enum {
			if fmt.Sprint(e) == fmt.Sprint(v) && jsonType(e) == jsonType(v) {
				return true
			}
		}
		return false
	}
	var proto any
	for _, e := range s.Enum {
		if e != nil {
			proto = e
			break
		}
	}
	switch jsonType(proto) {
	case "integer", "number":
		return rapid.Int64().Filter(func(v int64) bool { return !in(v) }).Draw(t, "unknown enum value")
	case "boolean":
		if !in(true) {
			return true
		}
		return false // an enum holding both booleans has no unknown one; applies excludes it
	}
	// A near miss (another case, a suffix) or something unrelated.
	base := fmt.Sprint(proto)
	return rapid.OneOf(
		rapid.Just(strings.ToUpper(base)),
		rapid.Just(base+" "),
		rapid.StringMatching(`^[a-z]{1,16}$`),
		rapid.String(),
	).Filter(func(v string) bool { return !in(v) }).Draw(t, "unknown enum value")
}

// stringValid reports whether str is a valid value of the string schema s
// as far as format and pattern go.
func (g *Generator) stringValid(s *openapi3.Schema, str string) bool {
	if f, known := g.formats[s.Format]; known && f.Check(str) != nil {
		return false
	}
	if s.Pattern != "" {
		g.mu.Lock()
		re, ok := g.patterns[s.Pattern]
		if !ok {
			re = regexp.MustCompile(s.Pattern) // New checked it compiles
			g.patterns[s.Pattern] = re
		}
		g.mu.Unlock()
		if !re.MatchString(str) {
			return false
		}
	}
	return true
}

// badStrings returns fixed strings that s rejects for their format or
// pattern; none when s constrains neither.
func (g *Generator) badStrings(s *openapi3.Schema) []string {
	if _, known := g.formats[s.Format]; !known && s.Pattern == "" {
		return nil
	}
	g.mu.Lock()
	out, ok := g.bad[s]
	g.mu.Unlock()
	if ok {
		return out
	}
	out = []string{}
	defer func() {
		g.mu.Lock()
		g.bad[s] = out
		g.mu.Unlock()
	}()
	for _, c := range []string{
		"", "not a value", "2026-02-30T10:00:00Z", "2026-01-31T24:00:00Z", "2026-01-31", "2026-01-31T10:00:00",
		"31/01/2026", "relative/path", "//host.example/x", "https://", "\x00", "99999999999",
	} {
		if !g.stringValid(s, c) {
			out = append(out, c)
		}
	}
	return out
}

func (g *Generator) badLength(t *rapid.T, s *openapi3.Schema, n node) (any, string) {
	if items, isArray := n.value.([]any); isArray {
		var sides []string
		if s.MinItems > 0 {
			sides = append(sides, "short")
		}
		if s.MaxItems != nil {
			sides = append(sides, "long")
		}
		if rapid.SampledFrom(sides).Draw(t, "side") == "short" {
			return items[:s.MinItems-1], fmt.Sprintf("%d items, fewer than %d", s.MinItems-1, s.MinItems)
		}
		out := slices.Clone(items)
		for len(out) <= int(*s.MaxItems) {
			st := &state{}
			if s.Items == nil {
				out = append(out, anyJSON(1, nullable(s.Items.Value)).Draw(t, "extra item"))
				continue
			}
			out = append(out, g.value(t, s.Items, push(n.ptr, strconv.Itoa(len(out))), maxDepth, st))
		}
		return out, fmt.Sprintf("%d items, more than %d", len(out), *s.MaxItems)
	}
	var sides []int
	if s.MinLength > 0 {
		sides = append(sides, int(s.MinLength)-1)
	}
	if s.MaxLength != nil {
		sides = append(sides, int(*s.MaxLength)+1+rapid.IntRange(0, 8).Draw(t, "excess"))
	}
	want := rapid.SampledFrom(sides).Draw(t, "length")
	v := rapid.StringOfN(rapid.RuneFrom(nil, printableASCII), want, want, -1).Draw(t, "string")
	return v, fmt.Sprintf("%d characters, outside %d..%v", want, s.MinLength, maxLenString(s))
}

func maxLenString(s *openapi3.Schema) string {
	if s.MaxLength == nil {
		return ""
	}
	return strconv.FormatUint(*s.MaxLength, 10)
}

// setAt replaces the value at ptr inside *root.
func setAt(root *any, ptr []string, v any) {
	if len(ptr) == 0 {
		*root = v
		return
	}
	parent := *root
	for _, tok := range ptr[:len(ptr)-1] {
		parent = child(parent, tok)
	}
	last := ptr[len(ptr)-1]
	switch p := parent.(type) {
	case map[string]any:
		p[last] = v
	case []any:
		i, _ := strconv.Atoi(last)
		p[i] = v
	}
}

func child(v any, tok string) any {
	switch v := v.(type) {
	case map[string]any:
		return v[tok]
	case []any:
		i, _ := strconv.Atoi(tok)
		return v[i]
	}
	panic(fmt.Sprintf("schemagen: no %q in %T", tok, v))
}
