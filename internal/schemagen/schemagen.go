// Package schemagen generates JSON values from OpenAPI 3 schemas for
// property tests with pgregory.net/rapid: values a schema accepts, and values
// that break it in exactly one place, together with the JSON pointer of that
// place. What is valid is read from the schema (types, formats, nullable,
// required, enum, bounds, patterns, additionalProperties), so tests built on
// it follow the spec when the spec changes.
//
// The generator refuses, in [New], schemas that use keywords it does not
// understand (oneOf, allOf, not, uniqueItems, readOnly...): generating from
// them as if they were not there would produce values that the schema may
// reject, and a test would then blame the code under test. Extend the
// generator when the spec starts using one.
//
// It is a test helper: only test code imports it.
package schemagen

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
	"pgregory.net/rapid"
)

// Mutation is a way of breaking a value so that its schema rejects it.
type Mutation string

// The mutations [Generator.Invalid] applies.
const (
	// WrongType replaces a value with one of a JSON type the schema does
	// not allow (null excepted: see NullNotNullable).
	WrongType Mutation = "wrong type"
	// MissingRequired removes a required property.
	MissingRequired Mutation = "required property missing"
	// NullNotNullable puts null where the schema is not nullable.
	NullNotNullable Mutation = "null where not nullable"
	// OutOfRange puts a number below its minimum, above its maximum or
	// outside the range of its format (int32, int64).
	OutOfRange Mutation = "number out of range"
	// UnknownEnum puts a value of the right type outside the enum.
	UnknownEnum Mutation = "value outside the enum"
	// BadFormat puts a string that does not match its format (date-time,
	// date, uri...) or pattern.
	BadFormat Mutation = "string outside its format or pattern"
	// BadLength makes a string or an array shorter than its minimum or
	// longer than its maximum length.
	BadLength Mutation = "length out of bounds"
	// ForbiddenField adds a field to an object whose schema says
	// additionalProperties: false.
	ForbiddenField Mutation = "field additionalProperties forbids"
)

// AllMutations lists every Mutation.
var AllMutations = []Mutation{WrongType, MissingRequired, NullNotNullable, OutOfRange, UnknownEnum, BadFormat, BadLength, ForbiddenField}

// Format describes a string format: how to generate values of it and how to
// tell whether a string is one.
type Format struct {
	// Valid generates strings of the format. Every value must pass Check.
	Valid *rapid.Generator[string]
	// Check returns an error for a string that is not of the format.
	Check func(string) error
}

// DefaultFormats returns the formats known by default:
//
//   - date and date-time as kin-openapi validates them (its regular
//     expressions FormatOfStringDate and FormatOfStringDateTime, then its
//     registered validators, which also reject days a month does not have),
//     so the generated values cover exactly what the validator accepts,
//     leap seconds and unusual offsets included;
//   - uri as the contract package checks it: an absolute URI (one with a
//     scheme and a host) that net/url parses.
//
// Strings of any other format are generated without constraint and are
// never the target of BadFormat.
func DefaultFormats() map[string]Format {
	kinFormat := func(name, expr string) Format {
		v := openapi3.SchemaStringFormats[name]
		check := func(s string) error {
			if v == nil {
				return fmt.Errorf("no %s validator registered in kin-openapi", name)
			}
			return v.Validate(s)
		}
		return Format{
			Valid: rapid.StringMatching(expr).Filter(func(s string) bool { return check(s) == nil }),
			Check: check,
		}
	}
	return map[string]Format{
		"date":      kinFormat("date", openapi3.FormatOfStringDate),
		"date-time": kinFormat("date-time", openapi3.FormatOfStringDateTime),
		"uri":       {Valid: uriGen, Check: CheckURI},
	}
}

// CheckURI reports whether s is an absolute URI: net/url parses it and it
// has a scheme and a host. It is the rule the contract package applies to
// format uri.
func CheckURI(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme == "" || u.Host == "" {
		return errors.New("not an absolute URI")
	}
	return nil
}

// uriGen generates absolute http(s) URIs such as a delivery URL: host
// names, ports, percent-encoded path segments and a query string (where a
// delivery URL carries its signature), without dot segments.
var uriGen = rapid.StringMatching(
	`^(https|http|HTTPS)://[a-z0-9]([a-z0-9-]{0,12}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,12}[a-z0-9])?){0,3}(:[1-9][0-9]{0,3})?` +
		`(/([A-Za-z0-9_~!$&'()*+,;=:@-]|%[0-9A-F]{2}){1,16}){0,4}/?` +
		`(\?([A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-F]{2}){0,48})?$`,
).Filter(func(s string) bool { return CheckURI(s) == nil })

// Options configure a [Generator]. The zero value is usable.
type Options struct {
	// MaxItems caps the length of arrays whose schema has no smaller
	// maxItems; 0 means 100 (a full page of the API).
	MaxItems int
	// Unknown makes objects whose schema allows other properties sometimes
	// carry fields it does not declare; their pointers are listed in
	// Sample.Unknown.
	Unknown bool
	// Printable restricts unconstrained strings to printable ASCII, for
	// values that go into HTTP headers.
	Printable bool
	// Formats adds to or replaces the DefaultFormats.
	Formats map[string]Format
	// Mutations restricts what Invalid may do; nil means AllMutations.
	Mutations []Mutation
}

// Sample is a generated JSON value.
type Sample struct {
	// Value is the value as encoding/json decodes JSON into an any, except
	// that integers are int64: nil, bool, int64, float64, string, []any or
	// map[string]any.
	Value any
	// Unknown holds the JSON pointers of the fields the schema does not
	// declare (see Options.Unknown), sorted.
	Unknown []string
	// Broken is the JSON pointer of the one place where an invalid sample
	// breaks its schema ("" is the root), and Mutation how it breaks it.
	// Mutation is empty for a valid sample. The pointer is where a
	// validator reports the error: the missing property for
	// MissingRequired (as kin-openapi reports it), the object for
	// ForbiddenField (as JSON Schema and kin-openapi report it), the
	// value itself otherwise.
	Broken   string
	Mutation Mutation
	// Note says what was put at Broken, for failure messages.
	Note string
}

// JSON returns the sample encoded as JSON.
func (s Sample) JSON() []byte {
	b, err := json.Marshal(s.Value)
	if err != nil {
		panic(fmt.Sprintf("schemagen: encoding a sample: %v", err)) // only JSON types are generated
	}
	return b
}

// String describes the sample for failure messages.
func (s Sample) String() string {
	var b strings.Builder
	if s.Mutation != "" {
		fmt.Fprintf(&b, "%s at %q (%s): ", s.Mutation, s.Broken, s.Note)
	}
	j := s.JSON()
	if len(j) > 2000 {
		j = append(j[:2000:2000], "..."...)
	}
	b.Write(j)
	return b.String()
}

// Generator generates samples of one schema.
type Generator struct {
	root      *openapi3.SchemaRef
	opts      Options
	formats   map[string]Format
	mutations []Mutation

	// Caches, filled as values are drawn; mu guards them so that parallel
	// tests can share a Generator.
	mu       sync.Mutex
	strs     map[*openapi3.Schema]*rapid.Generator[string]
	bad      map[*openapi3.Schema][]string
	patterns map[string]*regexp.Regexp
}

// maxTries bounds the values Invalid draws to find one it can break.
const maxTries = 20

// maxDepth bounds the nesting of generated values, so that a recursive
// schema cannot recurse forever: below it optional properties are left out
// and arrays are as short as allowed.
const maxDepth = 12

// New returns a Generator for the schema ref. It returns an error naming
// the keyword and where it is if the schema uses a keyword the generator
// does not handle, or a pattern that is not a valid regular expression.
func New(ref *openapi3.SchemaRef, opts Options) (*Generator, error) {
	if ref == nil || ref.Value == nil {
		return nil, errors.New("schemagen: nil schema")
	}
	g := &Generator{
		root: ref, opts: opts, formats: DefaultFormats(),
		strs:     map[*openapi3.Schema]*rapid.Generator[string]{},
		bad:      map[*openapi3.Schema][]string{},
		patterns: map[string]*regexp.Regexp{},
	}
	for k, f := range opts.Formats {
		g.formats[k] = f
	}
	if g.opts.MaxItems <= 0 {
		g.opts.MaxItems = 100
	}
	g.mutations = opts.Mutations
	if g.mutations == nil {
		g.mutations = AllMutations
	}
	if err := g.check(ref, "#", map[*openapi3.Schema]bool{}); err != nil {
		return nil, err
	}
	return g, nil
}

// MustNew is New that panics on error, for package-level generators in
// tests.
func MustNew(ref *openapi3.SchemaRef, opts Options) *Generator {
	g, err := New(ref, opts)
	if err != nil {
		panic(err)
	}
	return g
}

// check rejects what the generator does not handle.
func (g *Generator) check(ref *openapi3.SchemaRef, at string, seen map[*openapi3.Schema]bool) error {
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("schemagen: %s: unresolved schema %q", at, refName(ref))
	}
	s := ref.Value
	if seen[s] {
		return nil
	}
	seen[s] = true
	unsupported := func(kw string) error {
		return fmt.Errorf("schemagen: %s: %s is not supported; extend the generator before the spec uses it", at, kw)
	}
	switch {
	case len(s.OneOf) > 0:
		return unsupported("oneOf")
	case len(s.AnyOf) > 0:
		return unsupported("anyOf")
	case len(s.AllOf) > 0:
		return unsupported("allOf")
	case s.Not != nil:
		return unsupported("not")
	case s.Discriminator != nil:
		return unsupported("discriminator")
	case s.UniqueItems:
		return unsupported("uniqueItems")
	case s.ReadOnly || s.WriteOnly:
		return unsupported("readOnly/writeOnly")
	case s.MinProps > 0 || s.MaxProps != nil:
		return unsupported("minProperties/maxProperties")
	case s.MultipleOf != nil:
		return unsupported("multipleOf")
	case s.Const != nil || len(s.PrefixItems) > 0 || s.Contains != nil || len(s.PatternProperties) > 0 ||
		len(s.DependentSchemas) > 0 || s.PropertyNames != nil || s.If != nil || len(s.DependentRequired) > 0 ||
		s.UnevaluatedItems.Has != nil || s.UnevaluatedItems.Schema != nil ||
		s.UnevaluatedProperties.Has != nil || s.UnevaluatedProperties.Schema != nil || s.Always != nil:
		return unsupported("an OpenAPI 3.1 keyword")
	case s.ExclusiveMin.Value != nil || s.ExclusiveMax.Value != nil:
		return unsupported("numeric exclusiveMinimum/exclusiveMaximum")
	}
	if s.Pattern != "" {
		if _, err := regexp.Compile(s.Pattern); err != nil {
			return fmt.Errorf("schemagen: %s: pattern: %w", at, err)
		}
		if _, known := g.formats[s.Format]; known && len(s.Enum) == 0 {
			return unsupported("a pattern together with format " + s.Format)
		}
	}
	for _, t := range s.Type.Slice() {
		switch t {
		case "null", "boolean", "integer", "number", "string", "array", "object":
		default:
			return fmt.Errorf("schemagen: %s: unknown type %q", at, t)
		}
	}
	for _, e := range s.Enum {
		if !permits(s, jsonType(e)) && e != nil {
			return fmt.Errorf("schemagen: %s: enum value %v is not of the schema's type", at, e)
		}
	}
	if s.Items != nil {
		if err := g.check(s.Items, at+"/items", seen); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(s.Properties) {
		if err := g.check(s.Properties[k], at+"/properties/"+k, seen); err != nil {
			return err
		}
	}
	for _, r := range s.Required {
		if s.Properties[r] == nil {
			return unsupported(fmt.Sprintf("required property %q without a schema", r))
		}
	}
	if s.AdditionalProperties.Schema != nil {
		if err := g.check(s.AdditionalProperties.Schema, at+"/additionalProperties", seen); err != nil {
			return err
		}
	}
	return nil
}

func refName(ref *openapi3.SchemaRef) string {
	if ref == nil {
		return ""
	}
	return ref.Ref
}

// Valid returns a generator of samples the schema accepts.
func (g *Generator) Valid() *rapid.Generator[Sample] {
	return rapid.Custom(func(t *rapid.T) Sample {
		var st state
		v := g.value(t, g.root, nil, 0, &st)
		slices.Sort(st.unknown)
		return Sample{Value: v, Unknown: st.unknown}
	})
}

// Invalid returns a generator of samples that break the schema in exactly
// one place, by one of the Options.Mutations that applies there. When no
// allowed mutation applies to a drawn value (it can only break an optional
// part that was left out), another value is drawn, a few times, and then
// the test case is skipped; rapid counts those as invalid and fails the
// check if they are most of them. See Applicable and RootMutations.
func (g *Generator) Invalid() *rapid.Generator[Sample] {
	return rapid.Custom(func(t *rapid.T) Sample {
		var (
			st    state
			v     any
			sites []site
		)
		// A mutation may apply only deep inside optional parts: draw again
		// a few times rather than give up on the first value.
		for try := 0; len(sites) == 0; try++ {
			if try == maxTries {
				t.Skip("schemagen: no allowed mutation applies to the values drawn")
			}
			st = state{record: true}
			v = g.value(t, g.root, nil, 0, &st)
			for _, n := range st.nodes {
				for _, m := range g.mutations {
					if g.applies(m, n) {
						sites = append(sites, site{n, m})
					}
				}
			}
		}
		s := rapid.SampledFrom(sites).Draw(t, "mutation")
		brokenPtr, note := g.mutate(t, &v, s)
		broken := pointer(brokenPtr)
		// Unknown fields inside what was replaced or removed are gone.
		var unknown []string
		for _, u := range st.unknown {
			if u != broken && !strings.HasPrefix(u, broken+"/") {
				unknown = append(unknown, u)
			}
		}
		slices.Sort(unknown)
		return Sample{Value: v, Unknown: unknown, Broken: broken, Mutation: s.mut, Note: note}
	})
}

// ValidWith returns a generator of valid samples of an object schema that
// have exactly the named properties, besides unknown fields when
// Options.Unknown is set: a given shape of an object whose properties are
// all optional, such as one of the error shapes an API documents. It
// returns an error if the schema does not declare one of the names, or
// requires a property that is not among them.
func (g *Generator) ValidWith(names ...string) (*rapid.Generator[Sample], error) {
	s := g.root.Value
	if !permits(s, "object") {
		return nil, errors.New("schemagen: ValidWith needs an object schema")
	}
	for _, n := range names {
		if s.Properties[n] == nil {
			return nil, fmt.Errorf("schemagen: the schema declares no property %q", n)
		}
	}
	for _, r := range s.Required {
		if !slices.Contains(names, r) {
			return nil, fmt.Errorf("schemagen: the schema requires %q", r)
		}
	}
	only := append([]string{}, names...)
	return rapid.Custom(func(t *rapid.T) Sample {
		var st state
		v := g.objectWith(t, s, nil, 0, &st, only)
		slices.Sort(st.unknown)
		return Sample{Value: v, Unknown: st.unknown}
	}), nil
}

// RootMutations returns the mutations among Options.Mutations that apply to
// the root of every value of the schema, whatever value is drawn: for a
// scalar schema such as a query parameter's, the ways it can be broken.
func (g *Generator) RootMutations() []Mutation {
	return g.rootMutations(g.root.Value)
}

func (g *Generator) rootMutations(s *openapi3.Schema) []Mutation {
	var out []Mutation
	for _, m := range g.mutations {
		n := node{schema: s}
		ok := false
		switch m {
		case WrongType:
			ok = len(typesOf(s)) > 0
		case NullNotNullable:
			ok = !nullable(s)
		case OutOfRange:
			lo, hi, _ := intBounds(s)
			ok = (permits(s, "integer") || permits(s, "number")) && len(s.Enum) == 0 &&
				(lo > math.MinInt64 || hi < math.MaxInt64 || s.Min != nil || s.Max != nil)
		case UnknownEnum:
			ok = len(s.Enum) > 0
		case BadFormat:
			n.value = ""
			ok = permits(s, "string") && g.applies(m, n)
		case BadLength:
			ok = permits(s, "string") && len(s.Enum) == 0 && (s.MinLength > 0 || s.MaxLength != nil)
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

// state collects what a draw produced besides the value.
type state struct {
	record  bool
	nodes   []node
	unknown []string
}

// node is a generated value governed by a schema.
type node struct {
	ptr    []string
	schema *openapi3.Schema
	value  any
}

type site struct {
	node node
	mut  Mutation
}

var escapeToken = strings.NewReplacer("~", "~0", "/", "~1")

func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escapeToken.Replace(t))
	}
	return b.String()
}

func push(ptr []string, tok string) []string {
	return append(ptr[:len(ptr):len(ptr)], tok)
}

func typesOf(s *openapi3.Schema) []string {
	ts := slices.DeleteFunc(s.Type.Slice(), func(t string) bool { return t == "null" })
	if len(ts) > 0 {
		return ts
	}
	switch {
	case len(s.Properties) > 0 || s.AdditionalProperties.Schema != nil || s.AdditionalProperties.Has != nil:
		return []string{"object"}
	case s.Items != nil:
		return []string{"array"}
	}
	return nil // any JSON value
}

func nullable(s *openapi3.Schema) bool {
	return s.Nullable || s.Type.IncludesNull()
}

// permits reports whether a value of JSON type t (as jsonType names it)
// can satisfy s's type.
func permits(s *openapi3.Schema, t string) bool {
	if t == "null" {
		return nullable(s)
	}
	ts := typesOf(s)
	if len(ts) == 0 {
		return true
	}
	for _, st := range ts {
		if st == t || (st == "number" && t == "integer") {
			return true
		}
	}
	return false
}

func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case int, int32, int64:
		return "integer"
	case float64:
		if v == math.Trunc(v) && !math.IsInf(v, 0) {
			return "integer"
		}
		return "number"
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// intBounds returns the inclusive range of integers s allows: its minimum
// and maximum (exclusive ones moved in by one) within its format's range.
// formatBound reports whether the format narrows the int64 range.
func intBounds(s *openapi3.Schema) (lo, hi int64, formatBound bool) {
	lo, hi = math.MinInt64, math.MaxInt64
	if s.Format == "int32" {
		lo, hi, formatBound = math.MinInt32, math.MaxInt32, true
	}
	if s.Min != nil {
		m := math.Ceil(*s.Min)
		if s.ExclusiveMin.IsTrue() && m == *s.Min {
			m++
		}
		if m > float64(lo) {
			lo = clampInt(m)
		}
	}
	if s.Max != nil {
		m := math.Floor(*s.Max)
		if s.ExclusiveMax.IsTrue() && m == *s.Max {
			m--
		}
		if m < float64(hi) {
			hi = clampInt(m)
		}
	}
	return lo, hi, formatBound
}

func clampInt(f float64) int64 {
	switch {
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

// value draws a valid value of ref at ptr.
func (g *Generator) value(t *rapid.T, ref *openapi3.SchemaRef, ptr []string, depth int, st *state) any {
	s := ref.Value
	var v any
	switch {
	case nullable(s) && oneInFour.Draw(t, "null?") == 0:
		v = nil
	case len(s.Enum) > 0:
		v = rapid.SampledFrom(slices.DeleteFunc(slices.Clone(s.Enum), func(e any) bool { return e == nil })).Draw(t, "value")
	default:
		ts := typesOf(s)
		if len(ts) == 0 {
			v = anyJSON(depth, false).Draw(t, "value")
			break
		}
		switch rapid.SampledFrom(ts).Draw(t, "type") {
		case "boolean":
			v = rapid.Bool().Draw(t, "value")
		case "integer":
			lo, hi, _ := intBounds(s)
			v = intIn(lo, hi).Draw(t, "value")
		case "number":
			v = g.number(s).Draw(t, "value")
		case "string":
			v = g.str(s).Draw(t, "value")
		case "array":
			v = g.array(t, s, ptr, depth, st)
		case "object":
			v = g.object(t, s, ptr, depth, st)
		}
	}
	if st.record {
		st.nodes = append(st.nodes, node{ptr: ptr, schema: s, value: v})
	}
	return v
}

// intIn generates integers in [lo, hi], the bounds and their neighbours
// (and zero, when allowed) more often than chance would.
func intIn(lo, hi int64) *rapid.Generator[int64] {
	edges := []int64{lo, hi}
	if lo < hi {
		edges = append(edges, lo+1, hi-1)
	}
	if lo <= 0 && 0 <= hi {
		edges = append(edges, 0)
	}
	return rapid.OneOf(rapid.SampledFrom(edges), rapid.Int64Range(lo, hi))
}

func (g *Generator) number(s *openapi3.Schema) *rapid.Generator[float64] {
	lo, hi := -1e15, 1e15
	if s.Min != nil {
		lo = *s.Min
	}
	if s.Max != nil {
		hi = *s.Max
	}
	gen := rapid.Float64Range(lo, hi)
	if s.ExclusiveMin.IsTrue() || s.ExclusiveMax.IsTrue() {
		gen = gen.Filter(func(f float64) bool {
			return !(s.ExclusiveMin.IsTrue() && f == lo) && !(s.ExclusiveMax.IsTrue() && f == hi)
		})
	}
	return gen
}

// str returns the generator of valid strings of s, built once per schema.
func (g *Generator) str(s *openapi3.Schema) *rapid.Generator[string] {
	g.mu.Lock()
	defer g.mu.Unlock()
	if gen, ok := g.strs[s]; ok {
		return gen
	}
	minLen, maxLen := int(s.MinLength), -1
	if s.MaxLength != nil {
		maxLen = int(*s.MaxLength)
	}
	inLength := func(v string) bool {
		n := len([]rune(v))
		return n >= minLen && (maxLen < 0 || n <= maxLen)
	}
	var gen *rapid.Generator[string]
	switch f, known := g.formats[s.Format]; {
	case known:
		gen = f.Valid
		if minLen > 0 || maxLen >= 0 {
			gen = gen.Filter(inLength)
		}
	case s.Pattern != "":
		gen = rapid.StringMatching(s.Pattern)
		if minLen > 0 || maxLen >= 0 {
			gen = gen.Filter(inLength)
		}
	case g.opts.Printable:
		gen = rapid.StringOfN(rapid.RuneFrom(nil, printableASCII), minLen, maxLen, -1)
	default:
		gen = rapid.StringN(minLen, maxLen, -1)
	}
	g.strs[s] = gen
	return gen
}

var printableASCII = &unicode.RangeTable{R16: []unicode.Range16{{Lo: 0x20, Hi: 0x7e, Stride: 1}}}

func (g *Generator) arrayBounds(s *openapi3.Schema, depth int) (lo, hi int) {
	lo, hi = int(s.MinItems), g.opts.MaxItems
	if s.MaxItems != nil && int(*s.MaxItems) < hi {
		hi = int(*s.MaxItems)
	}
	if hi < lo || depth >= maxDepth {
		hi = lo
	}
	return lo, hi
}

func (g *Generator) array(t *rapid.T, s *openapi3.Schema, ptr []string, depth int, st *state) []any {
	lo, hi := g.arrayBounds(s, depth)
	// Empty (or as short as allowed) and full arrays come up often.
	n := rapid.OneOf(rapid.Just(lo), rapid.Just(hi), rapid.IntRange(lo, hi)).Draw(t, "length")
	out := make([]any, n)
	for i := range out {
		if s.Items == nil {
			out[i] = anyJSON(depth+1, true).Draw(t, "value")
			continue
		}
		out[i] = g.value(t, s.Items, push(ptr, strconv.Itoa(i)), depth+1, st)
	}
	return out
}

func (g *Generator) object(t *rapid.T, s *openapi3.Schema, ptr []string, depth int, st *state) map[string]any {
	return g.objectWith(t, s, ptr, depth, st, nil)
}

// objectWith draws an object of s. Its properties are the required ones and
// some of the others, or exactly those in only when only is not nil.
func (g *Generator) objectWith(t *rapid.T, s *openapi3.Schema, ptr []string, depth int, st *state, only []string) map[string]any {
	out := map[string]any{}
	for _, k := range sortedKeys(s.Properties) {
		switch {
		case only != nil:
			if !slices.Contains(only, k) {
				continue
			}
		case slices.Contains(s.Required, k):
		case depth >= maxDepth || !coin.Draw(t, "present?"):
			continue
		}
		out[k] = g.value(t, s.Properties[k], push(ptr, k), depth+1, st)
	}
	closed := s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has
	if closed || depth >= maxDepth {
		return out
	}
	extra := s.AdditionalProperties.Schema
	if extra == nil && !g.opts.Unknown {
		return out
	}
	n := oneInFour.Draw(t, "extra fields")
	for range n {
		k := g.extraName(s, out).Draw(t, "extra name")
		if extra != nil {
			out[k] = g.value(t, extra, push(ptr, k), depth+1, st)
			continue
		}
		out[k] = anyJSON(depth+1, true).Draw(t, "extra value")
		st.unknown = append(st.unknown, pointer(push(ptr, k)))
	}
	return out
}

// extraName draws the name of a field s does not declare. Names that
// differ from a declared one only in case are avoided: encoding/json
// matches field names without regard to case, so such a field is not
// unknown to a Go client (a limit of this generator, not of the client).
func (g *Generator) extraName(s *openapi3.Schema, have map[string]any) *rapid.Generator[string] {
	return fieldName.Filter(func(k string) bool {
		if _, dup := have[k]; dup {
			return false
		}
		for p := range s.Properties {
			if strings.EqualFold(p, k) {
				return false
			}
		}
		return true
	})
}

// Generators drawn from for every value, built once.
var (
	fieldName = rapid.StringMatching(`^[a-z][a-z_]{0,11}$`)
	oneInFour = rapid.IntRange(0, 3)
	coin      = rapid.Bool()
)

// anyJSON returns a generator of arbitrary JSON values, nested at most a
// little; the top one is null only if withNull (a schema without a type is
// not nullable in OpenAPI 3.0).
func anyJSON(depth int, withNull bool) *rapid.Generator[any] {
	depth = min(depth, anyDepth)
	if withNull {
		return anyJSONs[depth][1]
	}
	return anyJSONs[depth][0]
}

const anyDepth = 3

// anyJSONs holds the generators of anyJSON, built once: building a
// generator costs more than drawing from it.
var anyJSONs = func() (gens [anyDepth + 1][2]*rapid.Generator[any]) {
	key := rapid.StringMatching(`^[a-z]{1,6}$`)
	for depth := anyDepth; depth >= 0; depth-- {
		for null := range 2 {
			alts := []*rapid.Generator[any]{
				rapid.Bool().AsAny(),
				rapid.Int64().AsAny(),
				rapid.Float64Range(-1e9, 1e9).AsAny(),
				rapid.String().AsAny(),
			}
			if null == 1 {
				alts = append(alts, rapid.Just[any](nil))
			}
			if depth < anyDepth {
				inner := gens[depth+1][1]
				alts = append(alts,
					rapid.Custom(func(t *rapid.T) any {
						out := make([]any, rapid.IntRange(0, 3).Draw(t, "len"))
						for i := range out {
							out[i] = inner.Draw(t, "item")
						}
						return out
					}),
					rapid.Custom(func(t *rapid.T) any {
						return map[string]any{key.Draw(t, "key"): inner.Draw(t, "value")}
					}),
				)
			}
			gens[depth][null] = rapid.OneOf(alts...)
		}
	}
	return gens
}()

// Applicable returns the mutations among Options.Mutations that apply
// somewhere in the schema, in values where every optional part is present.
func (g *Generator) Applicable() []Mutation {
	found := map[Mutation]bool{}
	seen := map[*openapi3.Schema]bool{}
	var walk func(ref *openapi3.SchemaRef)
	walk = func(ref *openapi3.SchemaRef) {
		s := ref.Value
		if seen[s] {
			return
		}
		seen[s] = true
		for _, m := range g.mutations {
			switch m {
			case MissingRequired:
				found[m] = found[m] || len(s.Required) > 0
			case ForbiddenField:
				found[m] = found[m] || (s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has)
			case BadLength:
				found[m] = found[m] || (permits(s, "array") && (s.MinItems > 0 || s.MaxItems != nil))
			}
		}
		for _, m := range g.rootMutations(s) {
			found[m] = true
		}
		if s.Items != nil {
			walk(s.Items)
		}
		for _, k := range sortedKeys(s.Properties) {
			walk(s.Properties[k])
		}
		if s.AdditionalProperties.Schema != nil {
			walk(s.AdditionalProperties.Schema)
		}
	}
	walk(g.root)
	var out []Mutation
	for _, m := range g.mutations {
		if found[m] {
			out = append(out, m)
		}
	}
	return out
}
