package contract

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"pgregory.net/rapid"

	"github.com/gettykit/getty/internal/schemagen"
)

// The compiled path (compiled.go) must judge a body exactly as the general
// path does: openapi3filter's JSON decoder, kin-openapi's VisitJSON with the
// Validator's options, and the drift walk on the decoded value. These tests
// compare the two on bodies generated from schemas (the spec's own, and
// synthetic ones using keywords the spec does not use yet), valid and
// broken, and on bodies whose bytes were edited at random.

// synthetic are schemas beyond the spec's: additionalProperties false and
// as a schema, enums, patterns, lengths, bounds, booleans, numbers, nested
// arrays, recursion, keys a JSON pointer must escape.
const synthetic = `
openapi: 3.0.3
info: {title: synthetic, version: "1"}
paths: {}
components:
  schemas:
    Closed:
      type: object
      additionalProperties: false
      required: [id, tags]
      properties:
        id: {type: integer, format: int64, minimum: 1, maximum: 100000}
        name: {type: string, minLength: 2, maxLength: 5}
        code: {type: string, pattern: '^[A-Z]{3}$'}
        kind: {type: string, enum: [a, b, c]}
        level: {type: integer, enum: [1, 2, 3], nullable: true}
        ratio: {type: number, minimum: 0, maximum: 1.5, exclusiveMaximum: true}
        flag: {type: boolean}
        day: {type: string, format: date}
        tags: {type: array, items: {type: string, format: date-time}}
        link: {type: string, format: uri, nullable: true}
        nested: {$ref: '#/components/schemas/Map'}
        "a/b~c": {type: integer, format: int32, nullable: true}
        matrix: {type: array, items: {type: array, items: {type: number}}}
    Map:
      type: object
      nullable: true
      additionalProperties:
        type: object
        required: [v]
        properties:
          v: {type: integer, format: int32}
          w: {type: array, nullable: true, items: {type: boolean}}
    Open:
      type: object
      additionalProperties: true
      properties:
        x: {type: string}
        y: {type: object, properties: {z: {type: integer}}}
    Tree:
      type: object
      required: [name]
      properties:
        name: {type: string}
        size: {type: number, nullable: true}
        children: {type: array, maxItems: 3, items: {$ref: '#/components/schemas/Tree'}}
        leaves: {type: array, minItems: 1, nullable: true, items: {type: integer}}
    Scalars:
      type: array
      items: {type: string, enum: [x, "y/z", "~"]}
    Free:
      type: object
      properties:
        any: {}
        list: {type: array, items: {}}
        obj: {type: object}
`

// bodySchema is a schema bodies are generated from and judged against.
type bodySchema struct {
	name string
	ref  *openapi3.SchemaRef
	node *node
	gen  bodyGenerators
}

type bodyGenerators struct {
	valid   *rapid.Generator[schemagen.Sample]
	invalid []*rapid.Generator[schemagen.Sample] // one per mutation that applies
}

// compiledSpace gathers every body schema of the spec (the responses' JSON
// media types, the components, the parameters') and the synthetic ones,
// compiled by v's compiler.
func compiledSpace(t *testing.T, v *Validator) []bodySchema {
	t.Helper()
	doc := v.doc
	loader := openapi3.NewLoader()
	syn, err := loader.LoadFromData([]byte(synthetic))
	if err != nil {
		t.Fatal(err)
	}
	if err := syn.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	// In this order (rapid draws the first ones more often): the
	// responses' bodies, the synthetic schemas, the other components, the
	// parameters'; each schema once.
	var names []string
	refs := map[string]*openapi3.SchemaRef{}
	have := map[*openapi3.Schema]bool{}
	add := func(name string, ref *openapi3.SchemaRef) {
		if !have[ref.Value] {
			have[ref.Value] = true
			names = append(names, name)
			refs[name] = ref
		}
	}
	var params []string
	paramRefs := map[string]*openapi3.SchemaRef{}
	for _, path := range doc.Paths.InMatchingOrder() {
		ops := doc.Paths.Value(path).Operations()
		for _, method := range slices.Sorted(maps.Keys(ops)) {
			op := ops[method]
			for _, status := range slices.Sorted(maps.Keys(op.Responses.Map())) {
				content := op.Responses.Value(status).Value.Content
				for _, ct := range slices.Sorted(maps.Keys(content)) {
					if isJSON(ct) {
						add(fmt.Sprintf("response %s %s %s %s", method, path, status, ct), content[ct].Schema)
					}
				}
			}
			for _, p := range op.Parameters {
				name := fmt.Sprintf("parameter %s %s %s", method, path, p.Value.Name)
				params = append(params, name)
				paramRefs[name] = p.Value.Schema
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(syn.Components.Schemas)) {
		add("synthetic "+name, syn.Components.Schemas[name])
	}
	for _, name := range slices.Sorted(maps.Keys(doc.Components.Schemas)) {
		add("spec "+name, doc.Components.Schemas[name])
	}
	for _, name := range params {
		add(name, paramRefs[name])
	}
	c := newCompiler(v)
	var out []bodySchema
	for _, name := range names {
		ref := refs[name]
		n := c.compileSchema(ref)
		if n == nil {
			t.Fatalf("%s: not compiled", name)
		}
		g, err := schemagen.New(ref, schemagen.Options{Unknown: true, MaxItems: 30})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		bs := bodySchema{name: name, ref: ref, node: n, gen: bodyGenerators{valid: g.Valid()}}
		for _, m := range g.Applicable() {
			bs.gen.invalid = append(bs.gen.invalid,
				schemagen.MustNew(ref, schemagen.Options{Unknown: true, MaxItems: 30, Mutations: []schemagen.Mutation{m}}).Invalid())
		}
		out = append(out, bs)
	}
	return out
}

// general judges data against ref as validateResponse's general path does:
// whether encoding/json decodes it, whether it is valid, the pointers of the
// violations (sorted, each once), and the drift of a valid body.
func (v *Validator) general(ref *openapi3.SchemaRef, data []byte) (decoded, ok bool, ptrs []string, drift []Finding) {
	value, err := openapi3filter.JSONBodyDecoder(bytes.NewReader(data), http.Header{}, ref, nil)
	if err != nil {
		return false, false, nil, nil
	}
	if err := ref.Value.VisitJSON(value, v.schemaOpts...); err != nil {
		for _, f := range findings(err, Finding{}) {
			ptrs = append(ptrs, f.Pointer)
		}
		slices.Sort(ptrs)
		return true, false, slices.Compact(ptrs), nil
	}
	return true, true, nil, v.valueDrift(value, ref, Finding{})
}

// agree fails t unless the compiled path judges data as the general path
// does. With decide, the compiled path must not leave it undecided.
func agree(t interface {
	Helper()
	Fatalf(string, ...any)
}, v *Validator, bs bodySchema, data []byte, decide bool) verdict {
	t.Helper()
	var ptrs []string
	got, drift := v.validateCompiled(bs.node, data, &ptrs)
	decoded, ok, want, wantDrift := v.general(bs.ref, data)
	show := string(data)
	if len(show) > 3000 {
		show = show[:3000] + "..."
	}
	switch {
	case got == undecided && decide:
		t.Fatalf("%s: the compiled path left a plain JSON body undecided\nbody: %s", bs.name, show)
	case got == undecided:
		return got
	case !decoded:
		t.Fatalf("%s: the compiled path judged a body encoding/json does not decode (%v)\nbody: %q", bs.name, got, show)
	case (got == valid) != ok:
		t.Fatalf("%s: compiled path valid=%v, kin-openapi valid=%v (violations at %q)\nbody: %s", bs.name, got == valid, ok, want, show)
	case got == invalid:
		slices.Sort(ptrs)
		if ptrs = slices.Compact(ptrs); !slices.Equal(ptrs, want) {
			t.Fatalf("%s: compiled path violations at %q, kin-openapi at %q\nbody: %s", bs.name, ptrs, want, show)
		}
	default:
		if gotDrift := driftFindings(drift, Finding{}); !reflect.DeepEqual(gotDrift, wantDrift) {
			t.Fatalf("%s: compiled path drift %v, drift walk %v\nbody: %s", bs.name, gotDrift, wantDrift, show)
		}
	}
	return got
}

// The spec's response bodies are all judged by the compiled path, and
// schemas it does not handle are not compiled.
func TestCompiledCoversTheSpecsResponses(t *testing.T) {
	v, err := NewValidator(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.compiled) == 0 {
		t.Fatal("no response body schema")
	}
	for s, n := range v.compiled {
		if n == nil {
			t.Errorf("response body schema %q is not compiled", s.Title+s.Description)
		}
	}
	unsupported := map[string]string{
		"allOf":       `{allOf: [{type: object}]}`,
		"oneOf":       `{oneOf: [{type: string}, {type: integer}]}`,
		"not":         `{not: {type: string}}`,
		"writeOnly":   `{type: object, properties: {secret: {type: string, writeOnly: true}}}`,
		"uniqueItems": `{type: array, uniqueItems: true}`,
		"maxProps":    `{type: object, maxProperties: 2}`,
		"enum object": `{type: object, enum: [{}]}`,
		"deep":        `{type: object, properties: {a: {type: array, items: {anyOf: [{type: string}]}}}}`,
	}
	for name, src := range unsupported {
		doc, err := openapi3.NewLoader().LoadFromData([]byte(
			"openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    S: " + src + "\n"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n := newCompiler(v).compileSchema(doc.Components.Schemas["S"]); n != nil {
			t.Errorf("%s: compiled, want left to kin-openapi", name)
		}
	}
}

// TestPropertyCompiledAgreesWithKinOpenAPI: for generated bodies, valid and
// broken in one place by each mutation that applies, of every schema, the
// compiled path gives the general path's verdict, the same violation
// pointers and the same drift; and it decides every one of them.
func TestPropertyCompiledAgreesWithKinOpenAPI(t *testing.T) {
	v, err := NewValidator(nil)
	if err != nil {
		t.Fatal(err)
	}
	space := compiledSpace(t, v)
	rapid.Check(t, func(t *rapid.T) {
		bs := rapid.SampledFrom(space).Draw(t, "schema")
		gen := bs.gen.valid
		if len(bs.gen.invalid) > 0 && rapid.Bool().Draw(t, "broken?") {
			gen = rapid.SampledFrom(bs.gen.invalid).Draw(t, "mutation")
		}
		s := gen.Draw(t, "body")
		if got := agree(t, v, bs, s.JSON(), true); (got == valid) != (s.Mutation == "") {
			t.Fatalf("%s: %v for a sample broken by %q at %q: %s", bs.name, got, s.Mutation, s.Broken, s)
		}
	})
}

// TestPropertyCompiledAgreesOnEditedBytes: bodies of the previous test with
// a few bytes deleted, inserted or replaced (broken JSON, strange escapes,
// control characters, invalid UTF-8, repeated separators). Whatever the
// compiled path decides, the general path decides the same.
func TestPropertyCompiledAgreesOnEditedBytes(t *testing.T) {
	v, err := NewValidator(nil)
	if err != nil {
		t.Fatal(err)
	}
	space := compiledSpace(t, v)
	alphabet := []byte("{}[],:\"\\/ \t\n0123456789-+.eEtrufalsn\x00\x1f\x7f\xc3\xa9\xff\xed\xa0\x80u")
	rapid.Check(t, func(t *rapid.T) {
		bs := rapid.SampledFrom(space).Draw(t, "schema")
		data := bs.gen.valid.Draw(t, "body").JSON()
		for range rapid.IntRange(1, 3).Draw(t, "edits") {
			i := rapid.IntRange(0, len(data)).Draw(t, "at")
			b := rapid.SampledFrom(alphabet).Draw(t, "byte")
			switch op := rapid.IntRange(0, 2).Draw(t, "edit"); {
			case op == 0 && i < len(data):
				data = slices.Delete(data, i, i+1)
			case op == 1 || i == len(data):
				data = slices.Insert(data, i, b)
			default:
				data[i] = b
			}
		}
		agree(t, v, bs, data, false)
	})
}

// TestPropertyCompiledFindingsUnchanged: ValidateResponse gives the same
// findings, messages included, with the compiled path and without it, for
// every documented JSON response, valid, broken, or with edited bytes.
func TestPropertyCompiledFindingsUnchanged(t *testing.T) {
	fast, err := NewValidator(nil)
	if err != nil {
		t.Fatal(err)
	}
	slow, err := NewValidator(nil)
	if err != nil {
		t.Fatal(err)
	}
	slow.compiled = nil
	type response struct {
		method, target string
		status         int
		ct             string
		bs             bodySchema
	}
	space := compiledSpace(t, fast)
	bySchema := map[*openapi3.Schema]bodySchema{}
	for _, bs := range space {
		bySchema[bs.ref.Value] = bs
	}
	var cases []response
	for _, path := range fast.doc.Paths.InMatchingOrder() {
		for method, op := range fast.doc.Paths.Value(path).Operations() {
			for status, resp := range op.Responses.Map() {
				code, err := strconv.Atoi(strings.ReplaceAll(status, "XX", "00"))
				if err != nil {
					t.Fatal(err)
				}
				for ct, mt := range resp.Value.Content {
					if isJSON(ct) {
						target := regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(path, "1167612765")
						cases = append(cases, response{method, target, code, ct, bySchema[mt.Schema.Value]})
					}
				}
			}
		}
	}
	slices.SortFunc(cases, func(a, b response) int {
		return strings.Compare(fmt.Sprint(a.bs.name, a.method, a.target, a.status), fmt.Sprint(b.bs.name, b.method, b.target, b.status))
	})
	rapid.Check(t, func(t *rapid.T) {
		c := rapid.SampledFrom(cases).Draw(t, "response")
		gen := c.bs.gen.valid
		if len(c.bs.gen.invalid) > 0 && rapid.Bool().Draw(t, "broken?") {
			gen = rapid.SampledFrom(c.bs.gen.invalid).Draw(t, "mutation")
		}
		data := gen.Draw(t, "body").JSON()
		if rapid.IntRange(0, 4).Draw(t, "edit?") == 0 {
			i := rapid.IntRange(0, len(data)-1).Draw(t, "at")
			data[i] = rapid.SampledFrom([]byte(`{}[],:"\ 1e-.`)).Draw(t, "byte")
		}
		judge := func(v *Validator) []Finding {
			req, err := http.NewRequest(c.method, "https://api.gettyimages.com"+c.target, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp := &http.Response{StatusCode: c.status, Header: http.Header{"Content-Type": {c.ct}},
				Body: http.NoBody, ContentLength: int64(len(data))}
			resp.Body = readCloser{bytes.NewReader(data), http.NoBody}
			return v.ValidateResponse(req, resp)
		}
		if got, want := judge(fast), judge(slow); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s %s %d: findings with the compiled path\n%v\nwithout it\n%v\nbody: %s", c.method, c.target, c.status, got, want, data)
		}
	})
}

// Cases the generators do not produce: what encoding/json reads in a way
// one pass cannot follow is left undecided, and the rest is judged as
// kin-openapi judges it.
func TestCompiledEdgeCases(t *testing.T) {
	v, err := NewValidator(nil)
	if err != nil {
		t.Fatal(err)
	}
	space := compiledSpace(t, v)
	schema := func(name string) bodySchema {
		var want *openapi3.Schema // a component of the spec may be named after a response
		if comp, ok := strings.CutPrefix(name, "spec "); ok {
			want = v.doc.Components.Schemas[comp].Value
		}
		for _, bs := range space {
			if bs.name == name || (want != nil && bs.ref.Value == want) {
				return bs
			}
		}
		t.Fatalf("no schema %s", name)
		return bodySchema{}
	}
	list := schema("spec GetDownloadsResponse")
	closed := schema("synthetic Closed")
	open := schema("synthetic Open")
	mapS := schema("synthetic Map")
	free := schema("synthetic Free")
	scalars := schema("synthetic Scalars")
	deep := strings.Repeat(`{"y":`, 600) + "1" + strings.Repeat("}", 600)
	for _, c := range []struct {
		bs   bodySchema
		body string
		want verdict
	}{
		{list, `{"result_count": 1}`, valid},
		{list, " \t\r\n{\"result_count\":1} \n", valid},
		{list, `{"result_count": 1.0}`, valid},
		{list, `{"result_count": 1e2}`, valid},
		{list, `{"result_count": -0}`, valid},
		{list, `{"result_count": 1.5}`, invalid},
		{list, `{"result_count": 2147483648}`, invalid},
		{list, `{"result_count": 1e400}`, invalid},
		{list, `{"result_count": "1"}`, invalid},
		{list, `{"result_count": null}`, invalid},
		{list, `{}`, invalid},
		{list, `null`, invalid},
		{list, `[]`, invalid},
		{list, `{"result_count": 1, "downloads": null}`, valid},
		{list, `{"result_count": 1, "downloads": [null]}`, invalid},
		{list, `{"result_count": 1, "downloads": [{"date_downloaded": "2024-02-30T00:00:00Z"}]}`, invalid},
		{list, `{"result_count": 1, "downloads": [{"date_downloaded": "2024-02-29T00:00:00Z", "x": {"y": [1, {"z": null}]}, "w": 1}]}`, valid},
		{list, `{"result_count": 1, "d\u006fwnloads": [], "\u00e9": 1, "\ud800": 2, "caf\u00c3\u00a9": 3}`, valid},
		{list, "{\"result_count\": 1, \"\xff\xfe\": 1, \"\xed\xa0\x80\": 2}", valid},
		{list, `{"result_count": 1, "a/b": 1, "~": 2, "": 3}`, valid},
		// encoding/json keeps the last of repeated keys: undecided.
		{list, `{"result_count": "x", "result_count": 1}`, undecided},
		{list, `{"result_count": 1, "extra": 1, "extra": 2}`, undecided},
		{list, `{"result_count": 1, "\u0065xtra": 1, "extra": 2}`, undecided},
		// Not one JSON value.
		{list, `{"result_count": 1} {}`, undecided},
		{list, `{"result_count": 1}x`, undecided},
		{list, "\ufeff{\"result_count\": 1}", undecided},
		{list, `{"result_count": 01}`, undecided},
		{list, `{"result_count": 1,}`, undecided},
		{list, `{"result_count": .5}`, undecided},
		{list, `{"result_count": 1.}`, undecided},
		{list, `{"result_count": +1}`, undecided},
		{list, `{"result_count": 1e}`, undecided},
		{list, `{"result_count": tru}`, undecided},
		{list, "{\"result_count\": 1, \"a\": \"\x01\"}", undecided},
		{list, `{"result_count": 1, "a": "\x"}`, undecided},
		{list, `{"result_count": 1, "a": "\u12"}`, undecided},
		{list, `{"result_count": 1`, undecided},
		{list, ``, undecided},
		{list, `   `, undecided},
		{list, deep, undecided},
		{free, `{"any": {"a": [1, 2, {"b": null}]}, "list": [1, "x", {}], "obj": {"k": [true]}}`, valid},
		{free, `{"any": null}`, invalid},
		{free, `{"list": [1, null]}`, invalid},
		{free, `{"obj": null}`, invalid},
		{free, `{"obj": {"k": 1, "k": 2}}`, valid},
		{free, `{"any": 1e999}`, valid},
		{closed, `{"id": 1, "tags": [], "x": 1, "y": 2}`, invalid},
		{closed, `{"id": 1, "tags": [], "kind": "d", "code": "ABCD", "name": "é", "ratio": 1.5, "level": 4}`, invalid},
		{closed, `{"id": 1, "tags": [], "kind": "a", "code": "ABC", "name": "éé", "ratio": 1.49, "level": null}`, valid},
		{closed, `{"id": 1, "tags": [], "name": "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"}`, invalid},
		{closed, `{"id": 1, "tags": [], "link": "/relative"}`, invalid},
		{closed, `{"id": 1, "tags": [], "a/b~c": 1, "nested": {"k": {"v": 1}, "k2": {"v": 1, "w": [true]}}}`, valid},
		{closed, `{"id": 1, "tags": [], "nested": {"k": {"v": 1, "u": 1}, "k": {"v": 2}}}`, undecided},
		{closed, `{"id": 1, "tags": [], "nested": {"k": {}}}`, invalid},
		{closed, `{"tags": [], "id": 1, "id": 1}`, undecided},
		{open, `{"x": "a", "q": 1, "y": {"z": 1, "zz": 2}}`, valid},
		{mapS, `null`, valid},
		{schema("synthetic Tree"), `{"name": "a", "leaves": [], "children": [{"name": "b"}, {"name": "c"}, {"name": "d"}, {"name": "e"}]}`, invalid},
		{schema("synthetic Tree"), `{"name": "a", "leaves": [1], "children": [{"name": "b", "leaves": null}, {"name": "c"}]}`, valid},
		{scalars, `["x", "y/z", "~", "\u0078"]`, valid},
		{scalars, `["x", "y"]`, invalid},
	} {
		t.Run("", func(t *testing.T) {
			if got := agree(t, v, c.bs, []byte(c.body), false); got != c.want {
				t.Fatalf("%s: %v, want %v\nbody: %q", c.bs.name, got, c.want, c.body)
			}
		})
	}
}

// FuzzCompiledAgrees: whatever bytes a body holds, when the compiled path
// decides, it decides as the general path does.
//
//	go test -run '^$' -fuzz FuzzCompiledAgrees ./contract
func FuzzCompiledAgrees(f *testing.F) {
	for _, seed := range []string{
		`{"result_count": 1, "downloads": [{"date_downloaded": "2024-02-29T00:00:00Z", "id": "1", "product_id": 7, "dimensions": {"dpi": null}}]}`,
		`{"id": 1, "tags": ["2024-01-01T00:00:00Z"], "kind": "a", "nested": {"k": {"v": 1}}}`,
		`{"name": "a", "children": [{"name": "b", "children": []}]}`,
		`{"ErrorCode": "x", "message": "y", "extra": [1, "\u00e9"]}`,
	} {
		f.Add(0, []byte(seed))
		f.Add(1, []byte(seed))
		f.Add(2, []byte(seed))
	}
	v, err := NewValidator(nil)
	if err != nil {
		f.Fatal(err)
	}
	var space []bodySchema
	f.Fuzz(func(t *testing.T, which int, data []byte) {
		if space == nil {
			space = compiledSpace(t, v)
		}
		agree(t, v, space[uint(which)%uint(len(space))], data, false)
	})
}

// dateTime accepts exactly what kin-openapi's date-time check accepts:
// on hand-picked edges, and on strings built from the pattern's pieces
// with one piece replaced at random.
func TestPropertyDateTimeAgreesWithKinOpenAPI(t *testing.T) {
	kin := openapi3.SchemaStringFormats["date-time"]
	check := func(t interface{ Errorf(string, ...any) }, s string) {
		if got, want := dateTime([]byte(s)), kin.Validate(s) == nil; got != want {
			t.Errorf("dateTime(%q) = %v, kin-openapi says %v", s, got, want)
		}
	}
	for _, s := range []string{
		"2024-02-29T23:59:60Z", "2023-02-29T00:00:00Z", "2024-04-31T00:00:00Z", "2024-12-31T00:00:00.123456789+23:59",
		"2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z", "2024-01-00T00:00:00Z", "2024-01-32T00:00:00Z",
		"2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z", "2024-01-01T00:00:61Z", "2024-01-01T00:00:00.Z",
		"2024-01-01T00:00:00+24:00", "2024-01-01T00:00:00+00:60", "2024-01-01T00:00:00z", "2024-01-01t00:00:00Z",
		"2024-01-01 00:00:00Z", "2024-01-01T00:00:00", "2024-01-01T00:00:00+0000", "2024-01-01T00:00:00Z ",
		"+024-01-01T00:00:00Z", "2024-1-01T00:00:00Z", "", "2024-01-01", "2024-01-01T00:00:00ZZ",
		"2024-01-01T00:00:00.5-05:00", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
	} {
		check(t, s)
	}
	rapid.Check(t, func(rt *rapid.T) {
		pieces := []string{
			fmt.Sprintf("%04d", rapid.IntRange(0, 9999).Draw(rt, "year")), "-",
			fmt.Sprintf("%02d", rapid.IntRange(0, 13).Draw(rt, "month")), "-",
			fmt.Sprintf("%02d", rapid.IntRange(0, 32).Draw(rt, "day")), "T",
			fmt.Sprintf("%02d", rapid.IntRange(0, 25).Draw(rt, "hour")), ":",
			fmt.Sprintf("%02d", rapid.IntRange(0, 61).Draw(rt, "minute")), ":",
			fmt.Sprintf("%02d", rapid.IntRange(0, 61).Draw(rt, "second")),
			rapid.SampledFrom([]string{"", ".", ".0", ".123456", ".1a"}).Draw(rt, "fraction"),
			rapid.SampledFrom([]string{"Z", "z", "+00:00", "-23:59", "+24:00", "+05:60", "+0500", "", "Z\n"}).Draw(rt, "zone"),
		}
		if rapid.Bool().Draw(rt, "edit") {
			i := rapid.IntRange(0, len(pieces)-1).Draw(rt, "piece")
			pieces[i] = rapid.StringN(0, 3, -1).Draw(rt, "replacement")
		}
		check(rt, strings.Join(pieces, ""))
	})
}

func FuzzDateTime(f *testing.F) {
	for _, s := range []string{"2024-02-29T23:59:60Z", "2024-01-01T00:00:00.5-05:00", "2024-13-01T00:00:00Z"} {
		f.Add(s)
	}
	kin := openapi3.SchemaStringFormats["date-time"]
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := dateTime([]byte(s)), kin.Validate(s) == nil; got != want {
			t.Errorf("dateTime(%q) = %v, kin-openapi says %v", s, got, want)
		}
	})
}
