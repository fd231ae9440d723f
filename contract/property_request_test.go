package contract_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"pgregory.net/rapid"

	"github.com/gettykit/getty/contract"
	"github.com/gettykit/getty/gen"
	"github.com/gettykit/getty/internal/schemagen"
	"github.com/gettykit/getty/spec"
)

// builder is a generated request builder: params is a pointer to the
// operation's generated params struct; body is nil for no body.
type builder struct {
	params reflect.Type
	build  func(server string, path map[string]string, params any, body []byte, asStruct bool) (*http.Request, error)
}

// builders maps the spec's operations to gen's request builders. An
// operation the spec gains without an entry here fails the test.
var builders = map[string]builder{
	"listDownloads": {reflect.TypeFor[gen.ListDownloadsParams](), func(server string, _ map[string]string, params any, _ []byte, _ bool) (*http.Request, error) {
		return gen.NewListDownloadsRequest(server, params.(*gen.ListDownloadsParams))
	}},
	"downloadImage": {reflect.TypeFor[gen.DownloadImageParams](), func(server string, path map[string]string, params any, body []byte, asStruct bool) (*http.Request, error) {
		p := params.(*gen.DownloadImageParams)
		if body == nil {
			return gen.NewDownloadImageRequestWithBody(server, path["id"], p, "", nil)
		}
		if asStruct {
			var b gen.DownloadImageJSONRequestBody
			if err := json.Unmarshal(body, &b); err != nil {
				return nil, err
			}
			return gen.NewDownloadImageRequest(server, path["id"], p, b)
		}
		return gen.NewDownloadImageRequestWithBody(server, path["id"], p, "application/json", bytes.NewReader(body))
	}},
}

// paramSpace is how one parameter of an operation is generated and set.
type paramSpace struct {
	p       *openapi3.Parameter
	field   int          // index of the params struct field; -1 for a path parameter
	kind    reflect.Kind // of the field's element: Bool, Int32 or String
	valid   *rapid.Generator[schemagen.Sample]
	invalid *rapid.Generator[schemagen.Sample] // nil: the Go type cannot hold a value the schema rejects
}

// representable lists the mutations whose values a field of kind k can
// hold: a *int32 cannot hold a string, a *bool nothing but true and false.
func representable(k reflect.Kind) []schemagen.Mutation {
	switch k {
	case reflect.Int32:
		return []schemagen.Mutation{schemagen.OutOfRange}
	case reflect.String:
		return []schemagen.Mutation{schemagen.UnknownEnum, schemagen.BadFormat, schemagen.BadLength}
	}
	return nil
}

func fitsInt32(s schemagen.Sample) bool {
	v, ok := s.Value.(int64)
	return ok && v >= math.MinInt32 && v <= math.MaxInt32
}

// fieldFor finds the params struct field of a query (form tag) or header
// (json tag) parameter.
func fieldFor(t *testing.T, typ reflect.Type, p *openapi3.Parameter) int {
	t.Helper()
	tag := map[string]string{openapi3.ParameterInQuery: "form", openapi3.ParameterInHeader: "json"}[p.In]
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get(tag), ",")
		if tag != "" && name == p.Name {
			return i
		}
	}
	t.Fatalf("%s has no field for the %s parameter %q: is gen/ stale?", typ, p.In, p.Name)
	return -1
}

type opSpace struct {
	id       string
	b        builder
	params   []paramSpace
	body     *openapi3.SchemaRef
	bodyOK   *rapid.Generator[schemagen.Sample]
	bodyBad  *rapid.Generator[schemagen.Sample]
	security int
}

func newOpSpaces(t *testing.T) []opSpace {
	t.Helper()
	doc, err := spec.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []opSpace
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		for _, method := range slices.Sorted(maps.Keys(item.Operations())) {
			op := item.Operations()[method]
			b, ok := builders[op.OperationID]
			if !ok {
				t.Fatalf("no generated builder listed for operation %s", op.OperationID)
			}
			os := opSpace{id: op.OperationID, b: b}
			for _, ref := range append(slices.Clone(item.Parameters), op.Parameters...) {
				p := ref.Value
				ps := paramSpace{p: p, field: -1, kind: reflect.String}
				if p.In != openapi3.ParameterInPath {
					ps.field = fieldFor(t, b.params, p)
					ft := b.params.Field(ps.field).Type
					if ft.Kind() != reflect.Pointer {
						t.Fatalf("%s.%s is not a pointer: unset cannot be expressed", b.params, b.params.Field(ps.field).Name)
					}
					ps.kind = ft.Elem().Kind()
				}
				opts := schemagen.Options{Printable: p.In == openapi3.ParameterInHeader}
				ps.valid = schemagen.MustNew(p.Schema, opts).Valid()
				var kinds []schemagen.Mutation
				for _, m := range schemagen.MustNew(p.Schema, opts).RootMutations() {
					if slices.Contains(representable(ps.kind), m) {
						kinds = append(kinds, m)
					}
				}
				if len(kinds) > 0 && p.In != openapi3.ParameterInPath {
					opts.Mutations = kinds
					ps.invalid = schemagen.MustNew(p.Schema, opts).Invalid()
					if ps.kind == reflect.Int32 {
						ps.invalid = ps.invalid.Filter(fitsInt32)
					}
				}
				os.params = append(os.params, ps)
			}
			if rb := op.RequestBody; rb != nil {
				mt := rb.Value.Content.Get("application/json")
				if mt == nil || len(rb.Value.Content) != 1 {
					t.Fatalf("%s: the builders here send JSON bodies only", op.OperationID)
				}
				os.body = mt.Schema
				g := schemagen.MustNew(mt.Schema, schemagen.Options{Unknown: true})
				os.bodyOK, os.bodyBad = g.Valid(), g.Invalid()
			}
			out = append(out, os)
		}
	}
	return out
}

// formatParam is how a query or header value reads on the wire.
func formatParam(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int32:
		return strconv.FormatInt(v.Int(), 10)
	}
	return v.String()
}

// dotSegment reports whether id is "." or "..": see
// TestBugGeneratedBuilderResolvesDotIDs.
func dotSegment(id string) bool { return id == "." || id == ".." }

// TestPropertyGeneratedRequestBuilders: gen's request builders, given any
// combination of set and unset parameters (values from the spec's schemas,
// empty where allowEmptyValue, and now and then one the schema rejects:
// an int32 out of its bounds, a value outside an enum or a pattern), path
// ids from the schema, and a JSON body or none, never panic, build a
// request whose query and headers carry exactly the values set, and that
// request is judged by the contract Validator to have violations exactly
// at the rejected values and drift exactly at the deprecated parameters
// set and the unknown body fields.
func TestPropertyGeneratedRequestBuilders(t *testing.T) {
	ops := newOpSpaces(t)
	plain, err := contract.NewValidator(nil)
	if err != nil {
		t.Fatal(err)
	}
	based, err := contract.NewValidator(nil, contract.WithBasePath("/api"))
	if err != nil {
		t.Fatal(err)
	}
	servers := []struct {
		url, base string
		v         *contract.Validator
	}{
		{"https://api.gettyimages.com", "", plain},
		{"https://api.gettyimages.com/", "", plain},
		{"http://127.0.0.1:8080/api/", "/api", based},
	}
	rapid.Check(t, func(t *rapid.T) {
		op := rapid.SampledFrom(ops).Draw(t, "operation")
		srv := rapid.SampledFrom(servers).Draw(t, "server")
		params := reflect.New(op.b.params)
		path := map[string]string{}
		wantViolations, wantDrift := map[string]bool{}, map[string]bool{}
		wire := map[string]string{} // parameter name → value on the wire
		for _, ps := range op.params {
			states := []string{"unset", "valid", "valid"}
			if ps.invalid != nil {
				states = append(states, "invalid")
			}
			if ps.field < 0 {
				states = []string{"valid"} // a path parameter is always there
			}
			var s schemagen.Sample
			switch rapid.SampledFrom(states).Draw(t, ps.p.Name) {
			case "unset":
				continue
			case "valid":
				s = ps.valid.Draw(t, ps.p.Name)
				if ps.p.AllowEmptyValue && ps.kind == reflect.String && rapid.IntRange(0, 4).Draw(t, "empty?") == 0 {
					s.Value = ""
				}
			case "invalid":
				s = ps.invalid.Draw(t, ps.p.Name)
				// An empty value is not given at all, where allowed.
				if !(ps.p.AllowEmptyValue && s.Value == "") {
					wantViolations[ps.p.Name] = true
				}
			}
			if ps.field < 0 {
				id := s.Value.(string)
				if dotSegment(id) {
					id += "x"
				}
				path[ps.p.Name] = id
				continue
			}
			f := params.Elem().Field(ps.field)
			v := reflect.New(f.Type().Elem())
			switch ps.kind {
			case reflect.Int32:
				v.Elem().SetInt(s.Value.(int64))
			case reflect.Bool:
				v.Elem().SetBool(s.Value.(bool))
			default:
				v.Elem().SetString(s.Value.(string))
			}
			f.Set(v)
			wire[ps.p.Name] = formatParam(v.Elem())
			if ps.p.Deprecated {
				wantDrift[ps.p.Name] = true
			}
		}
		var body []byte
		asStruct := false
		if op.body != nil {
			switch rapid.SampledFrom([]string{"none", "valid", "valid", "broken"}).Draw(t, "body") {
			case "valid":
				s := op.bodyOK.Draw(t, "body")
				body = s.JSON()
				for _, u := range s.Unknown {
					wantDrift[u] = true
				}
				// Without unknown fields the body fits the generated struct.
				asStruct = len(s.Unknown) == 0 && s.Value != nil && rapid.Bool().Draw(t, "struct?")
			case "broken":
				s := op.bodyBad.Draw(t, "body")
				body = s.JSON()
				wantViolations[s.Broken] = true
				for _, u := range s.Unknown {
					wantDrift[u] = true
				}
			}
		}

		req, err := op.b.build(srv.url, path, params.Interface(), body, asStruct)
		if err != nil {
			t.Fatalf("%s: building the request: %v", op.id, err)
		}
		if !strings.HasPrefix(req.URL.Path, srv.base+"/v3/") {
			t.Fatalf("%s: request path %q is not under %q", op.id, req.URL.Path, srv.base)
		}
		q := req.URL.Query()
		for _, ps := range op.params {
			got, sent := "", false
			switch ps.p.In {
			case openapi3.ParameterInQuery:
				vs := q[ps.p.Name]
				sent = len(vs) > 0
				if len(vs) > 1 {
					t.Fatalf("query parameter %s sent %d times", ps.p.Name, len(vs))
				}
				if sent {
					got = vs[0]
				}
			case openapi3.ParameterInHeader:
				_, sent = req.Header[http.CanonicalHeaderKey(ps.p.Name)]
				got = req.Header.Get(ps.p.Name)
			default:
				continue
			}
			want, set := wire[ps.p.Name]
			if sent != set || got != want {
				t.Fatalf("%s %s: sent %v %q, set %v %q (query %s)", ps.p.In, ps.p.Name, sent, got, set, want, req.URL.RawQuery)
			}
		}

		req.Header.Set("Api-Key", "key")
		req.Header.Set("Authorization", "Bearer token")
		var gotViolations, gotDrift []string
		for _, f := range srv.v.ValidateRequest(req) {
			if !f.InRequest {
				t.Fatalf("a request finding not marked InRequest: %s", f)
			}
			switch f.Kind {
			case contract.Violation:
				gotViolations = append(gotViolations, f.Pointer)
				if !wantViolations[f.Pointer] {
					t.Fatalf("unexpected violation %s\nquery %s body %s", f, req.URL.RawQuery, body)
				}
			case contract.Drift:
				gotDrift = append(gotDrift, f.Pointer)
				if !wantDrift[f.Pointer] {
					t.Fatalf("unexpected drift %s", f)
				}
			}
		}
		for p := range wantViolations {
			if !slices.Contains(gotViolations, p) {
				t.Fatalf("no violation at %q\nquery %s body %s", p, req.URL.RawQuery, body)
			}
		}
		for p := range wantDrift {
			if !slices.Contains(gotDrift, p) {
				t.Fatalf("no drift at %q\nquery %s body %s", p, req.URL.RawQuery, body)
			}
		}
		if body != nil {
			sent, _ := io.ReadAll(req.Body)
			if !asStruct && !bytes.Equal(sent, body) {
				t.Fatalf("body %s sent as %s", body, sent)
			}
		}
	})
}

// TestBugGeneratedBuilderResolvesDotIDs: the spec lets the path id be any
// non-empty string, and gen.NewDownloadImageRequest escapes it with
// url.PathEscape, which leaves "." and "..": the URL is then resolved as
// RFC 3986 says and the request goes to POST /v3/downloads/ (or
// /v3/downloads/images/), which the spec does not have. The root package
// rejects such ids before calling the builder.
func TestBugGeneratedBuilderResolvesDotIDs(t *testing.T) {
	t.Skip("known limitation: gen.NewDownloadImageRequest sends the ids \".\" and \"..\" to another path; " +
		"the spec's id (type string, minLength 1) allows them; the root package's id check guards callers")
	v, err := contract.NewValidator(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{".", ".."} {
		req, err := gen.NewDownloadImageRequestWithBody("https://api.gettyimages.com", id, nil, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Api-Key", "key")
		req.Header.Set("Authorization", "Bearer token")
		if fs := v.ValidateRequest(req); len(fs) > 0 || !strings.HasSuffix(req.URL.EscapedPath(), "/images/"+id) {
			t.Errorf("id %q: sent to %s: %v", id, req.URL.EscapedPath(), fmt.Sprint(fs))
		}
	}
}
