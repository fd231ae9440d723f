package contract

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

// The compiled path validates a JSON response body in one pass over its
// bytes, against schemas compiled once from the loaded spec, and walks the
// drift at the same time: no value tree is built. It decides only what it
// can decide exactly as openapi3filter does (kin-openapi's Schema.VisitJSON
// on the value encoding/json decodes, with the options of [Validator.options])
// and the drift walk (walkDrift) would:
//
//   - Schemas using a keyword it does not handle (allOf, oneOf, anyOf, not,
//     writeOnly, uniqueItems, minProperties, OpenAPI 3.1
//     keywords...) are not compiled; their bodies take the general path.
//   - A scalar constrained by more than its type and format (enum, pattern,
//     lengths, bounds) is handed to kin-openapi's VisitJSON, alone.
//   - A body that is not plain JSON, or that encoding/json would read in a
//     way a single pass cannot follow (a repeated key, whose last value
//     wins; data after the value; nesting deeper than maxCompiledDepth),
//     is left undecided.
//
// validateResponse uses the compiled path's answer only when it is "valid":
// a body with a violation, or undecided, goes through the general path,
// which words the findings. The differential tests (compiled_test.go) check
// that both paths agree on the verdict, the pointers of the violations and
// the drift for bodies generated from the spec's schemas.

// maxCompiledDepth bounds the nesting the compiled path follows; deeper
// bodies are undecided (encoding/json's own limit is 10,000).
const maxCompiledDepth = 500

// maxCompiledKeys bounds the properties and required names of one object
// schema (a bit each in a uint64).
const maxCompiledKeys = 64

// maxUnnamedKeys bounds the keys of one object that are not among its
// schema's names (each is compared with the others, for repeats); an
// object with more is undecided.
const maxUnnamedKeys = 128

// Kinds of JSON values, as bits.
const (
	kindNull = 1 << iota
	kindBool
	kindInteger
	kindNumber
	kindString
	kindArray
	kindObject
)

// node is a compiled schema.
type node struct {
	s *openapi3.Schema
	// anything: the schema is empty (IsEmpty): any value but null.
	anything bool
	// null: null is valid (permitsNull).
	null bool
	// kinds the schema's type permits (all when it has none).
	kinds int
	// delegate: scalars go to kin-openapi's VisitJSON (enum, pattern,
	// lengths, bounds).
	delegate bool
	format   string
	// requireInt: a number must be whole (type integer without number).
	requireInt bool

	// Objects. keys indexes the properties and the required names.
	keys     map[string]int
	names    []string // by index
	props    []*node  // by index; nil for a required name that is not a property
	required uint64   // bits of the required names
	extra    *node    // additionalProperties schema
	closed   bool     // additionalProperties: false
	// Drift: noDrift when the drift walk stops at this object (no
	// properties, no additionalProperties schema); open when
	// additionalProperties is true, so unknown fields are not drift.
	noDrift bool
	open    bool

	// Arrays.
	items              *node
	minItems, maxItems uint64 // maxItems: math.MaxUint64 when there is none
}

// compiler compiles the schemas of one Validator.
type compiler struct {
	v     *Validator
	nodes map[*openapi3.Schema]*node
	added []*openapi3.Schema // in the order nodes were added
	bad   map[*openapi3.Schema]bool
}

func newCompiler(v *Validator) *compiler {
	return &compiler{v: v, nodes: map[*openapi3.Schema]*node{}, bad: map[*openapi3.Schema]bool{}}
}

// compileSchema returns the compiled form of ref, or nil when ref (or a
// schema it reaches) uses something the compiled path does not handle.
func (c *compiler) compileSchema(ref *openapi3.SchemaRef) *node {
	if ref == nil || ref.Value == nil {
		return nil
	}
	mark := len(c.added)
	n, ok := c.compile(ref.Value)
	if !ok {
		// A node built on the way may refer, through a cycle, to one that
		// failed: none of them is kept.
		for _, s := range c.added[mark:] {
			delete(c.nodes, s)
		}
		c.added = c.added[:mark]
		return nil
	}
	return n
}

func (c *compiler) compile(s *openapi3.Schema) (*node, bool) {
	if n, ok := c.nodes[s]; ok {
		return n, true
	}
	if c.bad[s] {
		return nil, false
	}
	n, ok := c.build(s)
	if !ok {
		c.bad[s] = true
		return nil, false
	}
	return n, true
}

// handled zeroes, in a copy of a schema, the fields the compiled path
// handles or that do not change what VisitJSON accepts in a response
// (annotations, readOnly, defaults: the options set none). Whatever remains
// makes the schema unsupported, including fields of future kin-openapi
// versions.
func handled(s openapi3.Schema) openapi3.Schema {
	s.Extensions, s.Origin = nil, nil
	s.Type, s.Format, s.Enum, s.Nullable = nil, "", nil, false
	s.Title, s.Description, s.Default, s.Example, s.Examples, s.ExternalDocs = "", "", nil, nil, nil, nil
	s.ReadOnly, s.AllowEmptyValue, s.Deprecated, s.XML, s.Comment = false, false, false, nil, ""
	s.Min, s.Max, s.MultipleOf = nil, nil, nil
	s.ExclusiveMin, s.ExclusiveMax = openapi3.ExclusiveBound{}, openapi3.ExclusiveBound{}
	s.MinLength, s.MaxLength, s.Pattern = 0, nil, ""
	s.Items, s.MinItems, s.MaxItems = nil, 0, nil
	s.Required, s.Properties, s.AdditionalProperties = nil, nil, openapi3.AdditionalProperties{}
	return s
}

func (c *compiler) build(s *openapi3.Schema) (*node, bool) {
	if rest := handled(*s); !reflect.ValueOf(rest).IsZero() {
		return nil, false
	}
	n := &node{s: s, anything: s.IsEmpty(), null: s.Nullable || s.Type.IncludesNull(), format: s.Format}
	c.nodes[s] = n
	c.added = append(c.added, s)
	for _, k := range []struct {
		name string
		bit  int
	}{
		{openapi3.TypeNull, kindNull}, {openapi3.TypeBoolean, kindBool}, {openapi3.TypeInteger, kindInteger},
		{openapi3.TypeNumber, kindNumber}, {openapi3.TypeString, kindString}, {openapi3.TypeArray, kindArray},
		{openapi3.TypeObject, kindObject},
	} {
		if s.Type.Permits(k.name) {
			n.kinds |= k.bit
		}
	}
	n.requireInt = n.kinds&kindInteger != 0 && n.kinds&kindNumber == 0
	if len(s.Enum) > 0 && n.kinds&(kindArray|kindObject) != 0 {
		return nil, false // an enum of objects or arrays: not handled
	}
	n.delegate = len(s.Enum) > 0 || s.Pattern != "" || s.MinLength != 0 || s.MaxLength != nil ||
		s.Min != nil || s.Max != nil || s.MultipleOf != nil || s.ExclusiveMin.IsSet() || s.ExclusiveMax.IsSet()

	n.minItems, n.maxItems = s.MinItems, math.MaxUint64
	if s.MaxItems != nil {
		n.maxItems = *s.MaxItems
	}
	if s.Items != nil {
		if s.Items.Value == nil {
			return nil, false
		}
		items, ok := c.compile(s.Items.Value)
		if !ok {
			return nil, false
		}
		n.items = items
	}
	add := func(name string) int {
		if n.keys == nil {
			n.keys = map[string]int{}
		}
		if i, ok := n.keys[name]; ok {
			return i
		}
		n.keys[name] = len(n.names)
		n.names = append(n.names, name)
		n.props = append(n.props, nil)
		return len(n.names) - 1
	}
	for name, ref := range s.Properties {
		if ref == nil || ref.Value == nil {
			return nil, false
		}
		p, ok := c.compile(ref.Value)
		if !ok {
			return nil, false
		}
		n.props[add(name)] = p
	}
	for _, name := range s.Required {
		n.required |= 1 << add(name)
		if len(n.names) > maxCompiledKeys {
			return nil, false
		}
	}
	if len(n.names) > maxCompiledKeys {
		return nil, false
	}
	if ap := s.AdditionalProperties; ap.Schema != nil {
		if ap.Schema.Value == nil {
			return nil, false
		}
		extra, ok := c.compile(ap.Schema.Value)
		if !ok {
			return nil, false
		}
		n.extra = extra
	}
	n.closed = s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has
	sh := c.v.shape(s) // what the drift walk uses
	n.noDrift = len(sh.props) == 0 && sh.extra == nil
	n.open = sh.open
	return n, true
}

// verdict is what the compiled path decided.
type verdict int

const (
	undecided verdict = iota
	valid
	invalid
)

// pathTok is a token of the pointer being walked: a key, or an index
// when key is "" and idx >= 0.
type pathTok struct {
	key string
	idx int
}

// scan is the state of one compiled validation.
type scan struct {
	v     *Validator
	data  []byte
	i     int
	path  []pathTok
	drift []found
	bad   bool
	// violations collects the pointers of the violations when not nil
	// (the differential tests ask for them).
	violations *[]string
	// seen holds the keys of the objects being read that are not among
	// their schemas' names, to detect a repeated one.
	seen []string
	// abort: a literal the scan accepted did not decode (it cannot
	// happen; the body is then undecided).
	abort bool
}

// found is one drift finding of a walk, before it becomes a Finding.
type found struct {
	ptr []string
	msg string
}

// validateCompiled validates data, a JSON body, against n. It returns the
// verdict and, when valid, the drift found, in walkDrift's form.
func (v *Validator) validateCompiled(n *node, data []byte, violations *[]string) (verdict, []found) {
	s := scan{v: v, data: data, violations: violations}
	if !s.value(n, 0) {
		return undecided, nil
	}
	s.space()
	if s.i != len(s.data) {
		return undecided, nil // encoding/json would stop after the value
	}
	if s.abort {
		return undecided, nil
	}
	if s.bad {
		return invalid, nil
	}
	return valid, s.drift
}

func (s *scan) tokens() []string {
	out := make([]string, len(s.path))
	for i, t := range s.path {
		if t.key == "" && t.idx >= 0 {
			out[i] = strconv.Itoa(t.idx)
		} else {
			out[i] = t.key
		}
	}
	return out
}

func (s *scan) violation() {
	s.bad = true
	if s.violations != nil {
		*s.violations = append(*s.violations, jsonPointer(s.tokens()))
	}
}

func (s *scan) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value reads one value and checks it against n (nil: anything, no drift).
// It returns false when the body is undecided.
func (s *scan) value(n *node, depth int) bool {
	if depth > maxCompiledDepth {
		return false
	}
	s.space()
	if s.i >= len(s.data) {
		return false
	}
	switch c := s.data[s.i]; {
	case c == '{':
		return s.object(n, depth)
	case c == '[':
		return s.array(n, depth)
	case c == '"':
		start := s.i
		esc, ok := s.str()
		if !ok {
			return false
		}
		if n != nil && !n.anything {
			s.checkString(n, s.data[start:s.i], esc)
		}
		return true
	case c == 't' || c == 'f':
		b, lit := c == 't', "false"
		if b {
			lit = "true"
		}
		if !s.literal(lit) {
			return false
		}
		if n != nil && !n.anything {
			switch {
			case n.delegate:
				s.delegate(n, b)
			case n.kinds&kindBool == 0:
				s.violation()
			}
		}
		return true
	case c == 'n':
		if !s.literal("null") {
			return false
		}
		if n != nil && !n.null {
			s.violation()
		}
		return true
	case c == '-' || c >= '0' && c <= '9':
		start := s.i
		if !s.number() {
			return false
		}
		if n != nil && !n.anything {
			s.checkNumber(n, string(s.data[start:s.i]))
		}
		return true
	}
	return false
}

func (s *scan) literal(lit string) bool {
	if len(s.data)-s.i < len(lit) || string(s.data[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

// plainByte holds the bytes a string literal can hold as they are: ASCII
// from the space on, except the quote and the backslash.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str reads a string literal as encoding/json accepts it; esc reports
// whether it has escapes or bytes outside ASCII.
func (s *scan) str() (esc, ok bool) {
	s.i++ // the opening quote
	for s.i < len(s.data) {
		// Most bytes of a string need no second look.
		for s.i < len(s.data) && plainByte[s.data[s.i]] {
			s.i++
		}
		if s.i == len(s.data) {
			break
		}
		c := s.data[s.i]
		switch {
		case c == '"':
			s.i++
			return esc, true
		case c < 0x20:
			return false, false
		case c == '\\':
			esc = true
			if s.i+1 >= len(s.data) {
				return false, false
			}
			switch s.data[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if len(s.data)-s.i < 6 {
					return false, false
				}
				for _, h := range s.data[s.i+2 : s.i+6] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return false, false
					}
				}
				s.i += 6
			default:
				return false, false
			}
		case c >= utf8.RuneSelf:
			esc = true
			s.i++
		default:
			s.i++
		}
	}
	return false, false
}

// text returns the Go string encoding/json decodes from the literal lit
// (quotes included): the bytes between the quotes when there is nothing
// to decode, else what encoding/json makes of them (escapes decoded,
// invalid UTF-8 replaced).
func (s *scan) text(lit []byte, esc bool) string {
	if plain(lit, esc) {
		return string(lit[1 : len(lit)-1])
	}
	var out string
	if err := json.Unmarshal(lit, &out); err != nil {
		s.abort = true
	}
	return out
}

// plain reports whether the string literal lit decodes to the bytes
// between its quotes: no escape, valid UTF-8.
func plain(lit []byte, esc bool) bool {
	return !esc || (utf8.Valid(lit) && !containsBackslash(lit))
}

func containsBackslash(b []byte) bool {
	for _, c := range b {
		if c == '\\' {
			return true
		}
	}
	return false
}

// number reads a number literal as encoding/json's grammar has it.
func (s *scan) number() bool {
	d := s.data
	i := s.i
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return false
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return false
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	s.i = i
	return true
}

// delegate checks a scalar with kin-openapi itself, as validateResponse
// would: the value as encoding/json decodes it (json.Number for numbers).
func (s *scan) delegate(n *node, value any) {
	if n.s.VisitJSON(value, s.v.schemaOpts...) != nil {
		s.violation()
	}
}

func (s *scan) checkString(n *node, lit []byte, esc bool) {
	switch {
	case n.delegate:
		s.delegate(n, s.text(lit, esc))
	case n.kinds&kindString == 0:
		s.violation()
	case n.format == "date-time" && !esc:
		// The format of every date in the API's answers, checked without
		// a regular expression: dateTime accepts what kin-openapi's
		// date-time check accepts (compiled_test.go proves it).
		if !dateTime(lit[1 : len(lit)-1]) {
			s.violation()
		}
	case n.format != "":
		if f := stringFormat(n.format); f != nil && f.Validate(s.text(lit, esc)) != nil {
			s.violation()
		}
	}
}

// dateTime reports whether b matches kin-openapi's date-time pattern
// (openapi3.FormatOfStringDateTime)
//
//	^[0-9]{4}-(0[1-9]|10|11|12)-(0[1-9]|[12][0-9]|3[01])T([0-1][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)([0-1][0-9]|2[0-3]):[0-5][0-9])$
//
// and its date exists, as that format's check requires. The format is not
// customized here (customStringFormats): a Validator with its own
// date-time check must not take this path.
func dateTime(b []byte) bool {
	if len(b) < len("2006-01-02T15:04:05Z") {
		return false
	}
	digits := func(s []byte) bool {
		for _, c := range s {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	two := func(s []byte, hi byte, max int) bool { // "00".."max" with s[0] <= hi
		return digits(s[:2]) && s[0] <= hi && int(s[0]-'0')*10+int(s[1]-'0') <= max
	}
	if !digits(b[:4]) || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return false
	}
	month := b[5:7]
	if !two(month, '1', 12) || string(month) == "00" {
		return false
	}
	day := b[8:10]
	if !two(day, '3', 31) || string(day) == "00" {
		return false
	}
	if !two(b[11:13], '2', 23) || !two(b[14:16], '5', 59) || !two(b[17:19], '6', 60) {
		return false
	}
	rest := b[19:]
	if len(rest) > 0 && rest[0] == '.' {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 1 {
			return false
		}
		rest = rest[i:]
	}
	switch {
	case len(rest) == 1 && rest[0] == 'Z':
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' && two(rest[1:3], '2', 23) && two(rest[4:6], '5', 59):
	default:
		return false
	}
	// The day exists in its month (time.Parse's check of the date).
	num := func(s []byte) int {
		n := 0
		for _, c := range s {
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, m, d := num(b[:4]), num(month), num(day)
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m-1]
	if m == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		days = 29
	}
	return d <= days
}

// stringFormat returns the validator VisitJSON uses for a string format:
// the Validator's own (customStringFormats), else kin-openapi's.
func stringFormat(name string) openapi3.StringFormatValidator {
	if f, ok := customStringFormats[name]; ok {
		return f
	}
	return openapi3.SchemaStringFormats[name]
}

func (s *scan) checkNumber(n *node, lit string) {
	if n.delegate {
		s.delegate(n, json.Number(lit))
		return
	}
	f, err := strconv.ParseFloat(lit, 64) // json.Number.Float64
	switch {
	case err != nil:
		s.violation()
	case n.requireInt:
		if f != math.Trunc(f) {
			s.violation()
		} else if n.format != "" {
			if v := openapi3.SchemaIntegerFormats[n.format]; v != nil && integerFormat(v, f) != nil {
				s.violation()
			}
		}
	case n.kinds&(kindInteger|kindNumber) == 0:
		s.violation()
	case n.format != "":
		if v := openapi3.SchemaNumberFormats[n.format]; v != nil && v.Validate(f) != nil {
			s.violation()
		}
	}
}

// integerFormat is kin-openapi's validateIntegerFormat.
func integerFormat(v openapi3.IntegerFormatValidator, f float64) error {
	switch {
	case f == float64(math.MaxInt64):
		return v.Validate(math.MaxInt64)
	case f >= float64(math.MinInt64) && f < float64(math.MaxInt64):
		return v.Validate(int64(f))
	}
	return errOutOfInt64
}

var errOutOfInt64 = strconv.ErrRange

func (s *scan) array(n *node, depth int) bool {
	if n != nil && !n.anything && n.kinds&kindArray == 0 {
		s.violation()
		n = nil // read it through
	}
	var items *node
	if n != nil && !n.anything {
		items = n.items
	} else {
		n = nil
	}
	s.i++ // [
	s.space()
	if s.i < len(s.data) && s.data[s.i] == ']' {
		s.i++
		s.count(n, 0)
		return true
	}
	for idx := 0; ; idx++ {
		if items != nil {
			s.path = append(s.path, pathTok{idx: idx})
		}
		if !s.value(items, depth+1) {
			return false
		}
		if items != nil {
			s.path = s.path[:len(s.path)-1]
		}
		s.space()
		if s.i >= len(s.data) {
			return false
		}
		switch s.data[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			s.count(n, uint64(idx)+1)
			return true
		default:
			return false
		}
	}
}

// count checks the length of an array against minItems and maxItems.
func (s *scan) count(n *node, items uint64) {
	if n != nil && (items < n.minItems || items > n.maxItems) {
		s.violation()
	}
}

func (s *scan) object(n *node, depth int) bool {
	if n != nil && !n.anything && n.kinds&kindObject == 0 {
		s.violation()
		n = nil
	}
	if n != nil && n.anything {
		n = nil
	}
	s.i++ // {
	s.space()
	if s.i < len(s.data) && s.data[s.i] == '}' {
		s.i++
		return s.missing(n, 0)
	}
	var present uint64
	seenFrom := len(s.seen)
	defer func() { s.seen = s.seen[:seenFrom] }()
	for {
		s.space()
		if s.i >= len(s.data) || s.data[s.i] != '"' {
			return false
		}
		start := s.i
		esc, ok := s.str()
		if !ok {
			return false
		}
		lit := s.data[start:s.i]
		s.space()
		if s.i >= len(s.data) || s.data[s.i] != ':' {
			return false
		}
		s.i++
		if !s.member(n, lit, esc, &present, seenFrom, depth) {
			return false
		}
		s.space()
		if s.i >= len(s.data) {
			return false
		}
		switch s.data[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return s.missing(n, present)
		default:
			return false
		}
	}
}

// member reads the value of the key lit of an object of schema n.
func (s *scan) member(n *node, lit []byte, esc bool, present *uint64, seenFrom, depth int) bool {
	if n == nil || (n.noDrift && n.extra == nil && !n.closed && n.required == 0) {
		return s.value(nil, depth+1) // nothing depends on the key
	}
	var key string
	var idx int
	var named bool
	if plain(lit, esc) {
		idx, named = n.keys[string(lit[1:len(lit)-1])] // no copy made
	} else {
		key = s.text(lit, esc)
		idx, named = n.keys[key]
	}
	if named {
		bit := uint64(1) << idx
		if *present&bit != 0 {
			return false // repeated: encoding/json keeps the last value
		}
		*present |= bit
		if p := n.props[idx]; p != nil {
			s.path = append(s.path, pathTok{key: n.names[idx], idx: -1})
			ok := s.value(p, depth+1)
			s.path = s.path[:len(s.path)-1]
			return ok
		}
	} else {
		if key == "" {
			key = string(lit[1 : len(lit)-1])
		}
		if len(s.seen)-seenFrom >= maxUnnamedKeys {
			return false // a big map: the general path is as quick
		}
		for _, k := range s.seen[seenFrom:] {
			if k == key {
				return false // repeated: encoding/json keeps the last value
			}
		}
		s.seen = append(s.seen, key)
	}
	switch {
	case n.closed:
		s.violation() // at the object, as kin-openapi reports it
		return s.value(nil, depth+1)
	case n.extra != nil:
		s.path = append(s.path, pathTok{key: key, idx: -1})
		ok := s.value(n.extra, depth+1)
		s.path = s.path[:len(s.path)-1]
		return ok
	case !n.open && !n.noDrift:
		s.path = append(s.path, pathTok{key: key, idx: -1})
		s.drift = append(s.drift, found{s.tokens(), "field " + strconv.Quote(key) + " is not in the spec"})
		s.path = s.path[:len(s.path)-1]
	}
	return s.value(nil, depth+1)
}

// missing reports the required names absent from an object.
func (s *scan) missing(n *node, present uint64) bool {
	if n == nil {
		return true
	}
	if miss := n.required &^ present; miss != 0 {
		for i, name := range n.names {
			if miss&(1<<i) != 0 {
				s.path = append(s.path, pathTok{key: name, idx: -1})
				s.violation()
				s.path = s.path[:len(s.path)-1]
			}
		}
	}
	return true
}
