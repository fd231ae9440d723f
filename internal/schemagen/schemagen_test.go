package schemagen_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"pgregory.net/rapid"

	"github.com/gettykit/getty/internal/schemagen"
	"github.com/gettykit/getty/spec"
)

func TestMain(m *testing.M) {
	flag.Parse()
	schemagen.SetRapidDefaults()
	os.Exit(m.Run())
}

// synthetic uses, beside what the project's spec uses, the keywords the
// generator claims to handle, so that they are tested before the spec needs
// them.
const synthetic = `
openapi: 3.0.3
info: {title: synthetic, version: "1"}
paths: {}
components:
  schemas:
    Everything:
      type: object
      additionalProperties: false
      required: [count, ratio, code, tags, kind]
      properties:
        count: {type: integer, format: int32, minimum: 1, maximum: 100}
        small: {type: integer, minimum: 0, exclusiveMinimum: true, maximum: 10, exclusiveMaximum: true}
        big: {type: integer, format: int64}
        ratio: {type: number, minimum: -1.5, maximum: 1.5}
        code: {type: string, pattern: '^[A-Z]{2}-[0-9]{3}$'}
        name: {type: string, minLength: 2, maxLength: 5}
        day: {type: string, format: date}
        at: {type: string, format: date-time, nullable: true}
        link: {type: string, format: uri}
        tags:
          type: array
          minItems: 1
          maxItems: 4
          items: {type: string, enum: [a, b, c]}
        kind: {type: integer, enum: [1, 2, 3]}
        flag: {type: boolean, nullable: true}
        meta:
          type: object
          additionalProperties: {type: integer, format: int32}
        loose: {}
        nested:
          type: object
          nullable: true
          properties:
            deep: {type: array, items: {type: object, required: [x], properties: {x: {type: string}}}}
`

func loadDoc(t testing.TB, data []byte) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return doc
}

// schemas returns every schema of the project's spec that a property test
// generates from (components, parameters, bodies), and the synthetic one.
func schemas(t testing.TB) map[string]*openapi3.SchemaRef {
	t.Helper()
	doc, err := spec.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*openapi3.SchemaRef{}
	seen := map[*openapi3.Schema]bool{}
	add := func(name string, s *openapi3.SchemaRef) {
		if s != nil && !seen[s.Value] {
			seen[s.Value] = true
			out[name] = s
		}
	}
	for _, name := range slices.Sorted(maps.Keys(doc.Components.Schemas)) {
		add("spec/"+name, doc.Components.Schemas[name])
	}
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			for _, p := range op.Parameters {
				add(fmt.Sprintf("spec/%s %s/param/%s", method, path, p.Value.Name), p.Value.Schema)
			}
			if op.RequestBody != nil {
				for ct, mt := range op.RequestBody.Value.Content {
					add(fmt.Sprintf("spec/%s %s/body/%s", method, path, ct), mt.Schema)
				}
			}
		}
	}
	add("synthetic/Everything", loadDoc(t, []byte(synthetic)).Components.Schemas["Everything"])
	return out
}

// validate checks v (JSON-decoded, as a validator sees it) against ref the
// way the contract package does, and returns the pointers of the errors.
func validate(t *rapid.T, ref *openapi3.SchemaRef, s schemagen.Sample) (ptrs []string, err error) {
	dec := json.NewDecoder(bytes.NewReader(s.JSON()))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("sample is not JSON: %v", err)
	}
	err = ref.Value.VisitJSON(v, openapi3.MultiErrors(),
		openapi3.WithStringFormatValidator("uri", openapi3.NewCallbackValidator(schemagen.CheckURI)))
	var walk func(error)
	walk = func(e error) {
		var me openapi3.MultiError
		var se *openapi3.SchemaError
		switch {
		case errors.As(e, &me):
			for _, e := range me {
				walk(e)
			}
		case errors.As(e, &se):
			p := ""
			for _, tok := range se.JSONPointer() {
				p += "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(tok)
			}
			ptrs = append(ptrs, p)
		default:
			ptrs = append(ptrs, "?"+e.Error())
		}
	}
	if err != nil {
		walk(err)
	}
	return ptrs, err
}

// lookup resolves a JSON pointer in v.
func lookup(v any, ptr string) (any, bool) {
	if ptr == "" {
		return v, true
	}
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch c := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = c[tok]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			v = c[i]
		default:
			return nil, false
		}
	}
	return v, true
}

func TestValidSamplesPassTheirSchema(t *testing.T) {
	for name, ref := range schemas(t) {
		t.Run(name, rapid.MakeCheck(func(t *rapid.T) {
			g := schemagen.MustNew(ref, schemagen.Options{Unknown: true, MaxItems: 5})
			s := g.Valid().Draw(t, "sample")
			if ptrs, err := validate(t, ref, s); err != nil {
				t.Fatalf("valid sample rejected at %v: %v\n%s", ptrs, err, s)
			}
			for _, u := range s.Unknown {
				if _, ok := lookup(s.Value, u); !ok {
					t.Fatalf("unknown field %s is not in the sample %s", u, s)
				}
			}
		}))
	}
}

func TestInvalidSamplesBreakTheirSchemaWhereTheySay(t *testing.T) {
	for name, ref := range schemas(t) {
		// One generator per mutation, so that each kind that applies
		// somewhere in the schema is drawn about as often as the others.
		gens := map[schemagen.Mutation]*rapid.Generator[schemagen.Sample]{}
		var kinds []schemagen.Mutation
		for _, m := range schemagen.MustNew(ref, schemagen.Options{}).Applicable() {
			g := schemagen.MustNew(ref, schemagen.Options{Unknown: true, MaxItems: 5, Mutations: []schemagen.Mutation{m}})
			gens[m] = g.Invalid()
			kinds = append(kinds, m)
		}
		if len(kinds) == 0 {
			continue
		}
		seen := map[schemagen.Mutation]bool{}
		t.Run(name, func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				m := rapid.SampledFrom(kinds).Draw(t, "mutation")
				s := gens[m].Draw(t, "sample")
				if s.Mutation != m {
					t.Fatalf("mutation %q, want %q", s.Mutation, m)
				}
				seen[m] = true
				ptrs, err := validate(t, ref, s)
				if err == nil {
					t.Fatalf("broken sample accepted: %s", s)
				}
				for _, p := range ptrs {
					if p != s.Broken {
						t.Fatalf("error at %q (%v), want only %q: %s", p, err, s.Broken, s)
					}
				}
				for _, u := range s.Unknown {
					if _, ok := lookup(s.Value, u); !ok {
						t.Fatalf("unknown field %s is not in the sample %s", u, s)
					}
				}
			})
			if checks() >= 100 {
				for _, m := range kinds {
					if !seen[m] {
						t.Errorf("mutation %q applies to %s but was never drawn", m, name)
					}
				}
			}
		})
	}
}

// checks returns the -rapid.checks in force.
func checks() int {
	n, _ := strconv.Atoi(flag.Lookup("rapid.checks").Value.String())
	return n
}

// TestValidCoversTheSchema checks that the valid samples reach the corners
// the property tests rely on: every enum value, null where nullable, absent
// optional properties, empty and full arrays, unknown fields.
func TestValidCoversTheSchema(t *testing.T) {
	everything := loadDoc(t, []byte(synthetic)).Components.Schemas["Everything"]
	doc, err := spec.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	page := doc.Components.Schemas["GetDownloadsResponse"]

	seen := map[string]bool{}
	g := schemagen.MustNew(everything, schemagen.Options{Unknown: true}).Valid()
	for i := range 300 {
		s := g.Example(i)
		v := s.Value.(map[string]any)
		for _, tag := range v["tags"].([]any) {
			seen["tag "+tag.(string)] = true
		}
		seen[fmt.Sprint("tags length ", len(v["tags"].([]any)))] = true
		seen[fmt.Sprint("kind ", v["kind"])] = true
		if at, ok := v["at"]; ok {
			seen[fmt.Sprint("at null ", at == nil)] = true
		} else {
			seen["at absent"] = true
		}
		seen[fmt.Sprint("unknown fields ", len(s.Unknown) > 0)] = true
	}
	for _, want := range []string{
		"tag a", "tag b", "tag c", "tags length 1", "tags length 4", "kind 1", "kind 2", "kind 3",
		"at null true", "at null false", "at absent", "unknown fields true", "unknown fields false",
	} {
		if !seen[want] {
			t.Errorf("no example with %s", want)
		}
	}

	seen = map[string]bool{}
	g = schemagen.MustNew(page, schemagen.Options{}).Valid()
	for i := range 100 {
		v := g.Example(i).Value.(map[string]any)
		switch d, ok := v["downloads"]; {
		case !ok:
			seen["downloads absent"] = true
		case d == nil:
			seen["downloads null"] = true
		default:
			seen[fmt.Sprint("downloads length ", len(d.([]any)))] = true
		}
	}
	for _, want := range []string{"downloads absent", "downloads null", "downloads length 0", "downloads length 100"} {
		if !seen[want] {
			t.Errorf("no page with %s", want)
		}
	}
}

func TestRootMutations(t *testing.T) {
	doc, err := spec.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	param := func(path, method, name string) *openapi3.SchemaRef {
		t.Helper()
		p := doc.Paths.Value(path).GetOperation(method).Parameters.GetByInAndName("query", name)
		if p == nil {
			t.Fatalf("no parameter %s", name)
		}
		return p.Schema
	}
	for _, tc := range []struct {
		schema *openapi3.SchemaRef
		want   []schemagen.Mutation
	}{
		{param("/v3/downloads", "GET", "page_size"), []schemagen.Mutation{schemagen.WrongType, schemagen.NullNotNullable, schemagen.OutOfRange}},
		{param("/v3/downloads", "GET", "product_type"), []schemagen.Mutation{schemagen.WrongType, schemagen.NullNotNullable, schemagen.UnknownEnum}},
		{param("/v3/downloads", "GET", "date_from"), []schemagen.Mutation{schemagen.WrongType, schemagen.NullNotNullable, schemagen.BadFormat}},
		{param("/v3/downloads", "GET", "use_time"), []schemagen.Mutation{schemagen.WrongType, schemagen.NullNotNullable}},
		{param("/v3/downloads/images/{id}", "POST", "height"), []schemagen.Mutation{schemagen.WrongType, schemagen.NullNotNullable}},
	} {
		if got := schemagen.MustNew(tc.schema, schemagen.Options{}).RootMutations(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: RootMutations = %v, want %v", tc.schema.Ref, got, tc.want)
		}
	}
}

func TestNewRejectsWhatItCannotGenerate(t *testing.T) {
	for kw, schema := range map[string]string{
		"oneOf":       `{oneOf: [{type: string}, {type: integer}]}`,
		"allOf":       `{allOf: [{type: object}]}`,
		"anyOf":       `{anyOf: [{type: string}]}`,
		"not":         `{not: {type: string}}`,
		"uniqueItems": `{type: array, uniqueItems: true, items: {type: string}}`,
		"readOnly":    `{type: object, properties: {a: {type: string, readOnly: true}}}`,
		"multipleOf":  `{type: integer, multipleOf: 5}`,
		"format date": `{type: string, format: date, pattern: '^2'}`,
		"pattern":     `{type: string, pattern: '[a-'}`,
	} {
		doc, err := openapi3.NewLoader().LoadFromData([]byte("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    S: " + schema + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = schemagen.New(doc.Components.Schemas["S"], schemagen.Options{})
		if err == nil || !strings.Contains(err.Error(), strings.Fields(kw)[0]) {
			t.Errorf("%s: New error = %v, want one naming %s", kw, err, kw)
		}
	}
}

func TestSetRapidDefaults(t *testing.T) {
	for _, arg := range os.Args[1:] {
		if strings.Contains(arg, "rapid.seed") {
			t.Skip("a seed was given on the command line")
		}
	}
	if _, env := os.LookupEnv("RAPID_SEED"); env {
		t.Skip("a seed was given in RAPID_SEED")
	}
	if got := flag.Lookup("rapid.seed").Value.String(); got != fmt.Sprint(schemagen.DefaultSeed) {
		t.Errorf("-rapid.seed = %s, want the default %d", got, schemagen.DefaultSeed)
	}
}

func TestValidWith(t *testing.T) {
	doc, err := spec.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	g := schemagen.MustNew(doc.Components.Schemas["Error"], schemagen.Options{Unknown: true})
	shape, err := g.ValidWith("code", "message")
	if err != nil {
		t.Fatal(err)
	}
	rapid.Check(t, func(t *rapid.T) {
		s := shape.Draw(t, "error")
		v := s.Value.(map[string]any)
		if len(v) != 2+len(s.Unknown) || v["code"] == nil || v["message"] == nil {
			t.Fatalf("want code, message and %d unknown fields: %s", len(s.Unknown), s)
		}
	})
	if _, err := g.ValidWith("code", "status"); err == nil || !strings.Contains(err.Error(), `"status"`) {
		t.Errorf("ValidWith(an undeclared property) = %v, want an error naming it", err)
	}
	page := schemagen.MustNew(doc.Components.Schemas["GetDownloadsResponse"], schemagen.Options{})
	if _, err := page.ValidWith("downloads"); err == nil || !strings.Contains(err.Error(), `"result_count"`) {
		t.Errorf("ValidWith(without a required property) = %v, want an error naming it", err)
	}
}
