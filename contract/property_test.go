package contract_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"pgregory.net/rapid"

	"github.com/gettykit/getty/contract"
	"github.com/gettykit/getty/internal/schemagen"
	"github.com/gettykit/getty/spec"
)

// TestMain gives the property tests a fixed seed unless -rapid.seed is
// given (see schemagen.SetRapidDefaults).
func TestMain(m *testing.M) {
	flag.Parse()
	schemagen.SetRapidDefaults()
	os.Exit(m.Run())
}

// errorShapes are the error bodies Getty sends, as the Error schema's
// description documents them: application errors, gateway errors and the
// older shape. Each name must be a property of the schema (ValidWith fails
// otherwise), so a spec that drops one fails these tests.
var errorShapes = [][]string{{"ErrorCode", "ErrorMessage"}, {"message"}, {"code", "message"}}

// documented is one documented response of an operation.
type documented struct {
	opID   string
	method string
	target string // a request path that routes to the operation
	status string // as the spec keys it: "200", "5XX"
	resp   *openapi3.Response
	// undocumented lists statuses the operation does not document.
	undocumented []int
}

// bodyGen generates the bodies of one media type of a response.
type bodyGen struct {
	valid *rapid.Generator[schemagen.Sample]
	// invalid has a generator for each mutation that applies somewhere in
	// the schema, so that each is drawn about as often as the others;
	// empty when nothing can be broken.
	invalid map[schemagen.Mutation]*rapid.Generator[schemagen.Sample]
	kinds   []schemagen.Mutation
	free    bool // text that any string schema accepts
}

// responseSpace is every response the spec documents, with generators for
// their bodies and headers, read from the spec itself.
type responseSpace struct {
	cases []documented
	// groups holds the cases by the schema of their bodies (the 400 and the
	// 404 share Error): drawing a group first gives every schema, the
	// listing's rich one included, its share of the checks.
	groups  [][]documented
	bodies  map[*openapi3.MediaType]bodyGen
	headers map[*openapi3.Header]*rapid.Generator[schemagen.Sample]
}

func newResponseSpace(t *testing.T) *responseSpace {
	t.Helper()
	doc, err := spec.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sp := &responseSpace{
		bodies:  map[*openapi3.MediaType]bodyGen{},
		headers: map[*openapi3.Header]*rapid.Generator[schemagen.Sample]{},
	}
	errSchema := doc.Components.Schemas["Error"]
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		for _, method := range slices.Sorted(maps.Keys(item.Operations())) {
			op := item.Operations()[method]
			target := regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(path, "1167612765")
			var undocumented []int
			for code := 200; code < 600; code++ {
				if op.Responses.Status(code) == nil && op.Responses.Default() == nil {
					undocumented = append(undocumented, code)
				}
			}
			for _, status := range slices.Sorted(maps.Keys(op.Responses.Map())) {
				resp := op.Responses.Value(status).Value
				sp.cases = append(sp.cases, documented{op.OperationID, method, target, status, resp, undocumented})
				for _, mt := range resp.Content {
					if _, done := sp.bodies[mt]; done {
						continue
					}
					sp.bodies[mt] = newBodyGen(t, mt, errSchema)
				}
				for _, h := range resp.Headers {
					g, err := schemagen.New(h.Value.Schema, schemagen.Options{Printable: true})
					if err != nil {
						t.Fatal(err)
					}
					sp.headers[h.Value] = g.Valid()
				}
			}
		}
	}
	byBody := map[string][]documented{}
	for _, c := range sp.cases {
		var key []string
		for _, ct := range slices.Sorted(maps.Keys(c.resp.Content)) {
			key = append(key, fmt.Sprintf("%p", c.resp.Content[ct].Schema.Value))
		}
		k := strings.Join(key, ",")
		byBody[k] = append(byBody[k], c)
	}
	for _, k := range slices.Sorted(maps.Keys(byBody)) {
		sp.groups = append(sp.groups, byBody[k])
	}
	return sp
}

// drawCase draws a documented response, its body's schema first.
func (sp *responseSpace) drawCase(t *rapid.T, keep func(documented) bool) documented {
	var groups [][]documented
	for _, g := range sp.groups {
		if g = slices.DeleteFunc(slices.Clone(g), func(c documented) bool { return !keep(c) }); len(g) > 0 {
			groups = append(groups, g)
		}
	}
	if len(groups) == 0 {
		t.Fatal("no documented response to draw")
	}
	return rapid.SampledFrom(rapid.SampledFrom(groups).Draw(t, "schema")).Draw(t, "response")
}

func newBodyGen(t *testing.T, mt *openapi3.MediaType, errSchema *openapi3.SchemaRef) bodyGen {
	t.Helper()
	g, err := schemagen.New(mt.Schema, schemagen.Options{Unknown: true})
	if err != nil {
		t.Fatal(err)
	}
	s := mt.Schema.Value
	if s.Type.Is("string") && s.Pattern == "" && s.Format == "" && len(s.Enum) == 0 {
		return bodyGen{valid: g.Valid(), free: true}
	}
	bg := bodyGen{valid: g.Valid(), invalid: map[schemagen.Mutation]*rapid.Generator[schemagen.Sample]{}}
	for _, m := range g.Applicable() {
		bg.invalid[m] = schemagen.MustNew(mt.Schema, schemagen.Options{Unknown: true, Mutations: []schemagen.Mutation{m}}).Invalid()
		bg.kinds = append(bg.kinds, m)
	}
	if mt.Schema.Value == errSchema.Value {
		// The documented shapes, beside the schema's arbitrary mixes.
		gens := []*rapid.Generator[schemagen.Sample]{g.Valid()}
		for _, shape := range errorShapes {
			sg, err := g.ValidWith(shape...)
			if err != nil {
				t.Fatalf("error shape %v: %v", shape, err)
			}
			gens = append(gens, sg, sg) // the shapes twice as often as mixes
		}
		bg.valid = rapid.OneOf(gens...)
	}
	return bg
}

// served is one scripted answer of the test server.
type served struct {
	status  int
	header  http.Header
	body    []byte
	sample  schemagen.Sample // the body's, when JSON
	schema  *openapi3.Schema // the body's
	mutated string           // what was broken: "body", "header", "status", or ""
	broken  string           // the pointer expected on the violation
}

// draw generates an answer to c: valid, or broken in one place, in one of
// the ways given, when ways is not empty.
func (sp *responseSpace) draw(t *rapid.T, c documented, ways ...string) served {
	out := served{header: http.Header{}}
	switch {
	case strings.HasSuffix(c.status, "XX"):
		first := int(c.status[0]-'0') * 100
		out.status = rapid.IntRange(first, first+99).Filter(func(code int) bool {
			return code != http.StatusNotModified && code != http.StatusNoContent
		}).Draw(t, "status")
	default:
		out.status, _ = strconv.Atoi(c.status)
	}

	var required []string
	for _, name := range slices.Sorted(maps.Keys(c.resp.Headers)) {
		h := c.resp.Headers[name].Value
		if h.Required {
			required = append(required, name)
		}
		if h.Required || rapid.Bool().Draw(t, "header present?") {
			v := sp.headers[h].Draw(t, name)
			out.header.Set(name, fmt.Sprint(v.Value))
		}
	}
	var mt *openapi3.MediaType
	if len(c.resp.Content) > 0 {
		ct := rapid.SampledFrom(slices.Sorted(maps.Keys(c.resp.Content))).Draw(t, "content type")
		mt = c.resp.Content[ct]
		if ct == "application/json" || strings.HasPrefix(ct, "text/") {
			// Both are seen in Getty's answers.
			ct = rapid.SampledFrom([]string{ct, ct + "; charset=utf-8"}).Draw(t, "charset")
		}
		out.header.Set("Content-Type", ct)
		out.schema = mt.Schema.Value
		s := sp.bodies[mt].valid.Draw(t, "body")
		out.sample = s
		if sp.bodies[mt].free {
			out.body = []byte(s.Value.(string))
		} else {
			out.body = s.JSON()
		}
	}
	if len(ways) == 0 {
		return out
	}
	switch out.mutated = rapid.SampledFrom(ways).Draw(t, "break"); out.mutated {
	case "body":
		bg := sp.bodies[mt]
		s := bg.invalid[rapid.SampledFrom(bg.kinds).Draw(t, "mutation")].Draw(t, "broken body")
		out.sample, out.body, out.broken = s, s.JSON(), s.Broken
	case "header":
		name := rapid.SampledFrom(required).Draw(t, "required header")
		out.header.Del(name)
		out.broken = name
	case "status":
		out.status = rapid.SampledFrom(c.undocumented).Draw(t, "undocumented status")
		out.broken = ""
		if out.status == http.StatusNoContent || out.status == http.StatusNotModified {
			out.body, out.sample = nil, schemagen.Sample{}
		}
	}
	return out
}

// scripted is a server that answers every request with the current answer.
type scripted struct {
	mu  sync.Mutex
	ans served
}

func (s *scripted) set(a served) {
	s.mu.Lock()
	s.ans = a
	s.mu.Unlock()
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	a := s.ans
	s.mu.Unlock()
	maps.Copy(w.Header(), a.header)
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// withCredentials adds the credentials the spec's security requires, so
// that requests are valid and every finding is about the response.
type withCredentials struct{ base http.RoundTripper }

func (c withCredentials) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Api-Key", "key")
	r.Header.Set("Authorization", "Bearer token")
	return c.base.RoundTrip(r)
}

// exchange sends c's request through a fresh contract Transport to srv,
// which answers with a, and returns the findings and the body the caller
// read.
func exchange(t *rapid.T, srv *httptest.Server, v *contract.Validator, c documented, a served) (violations, drift []contract.Finding, body []byte) {
	tr := contract.NewTransport(srv.Client().Transport, v)
	hc := &http.Client{
		Transport:     withCredentials{tr},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	srv.Config.Handler.(*scripted).set(a)
	req, err := http.NewRequestWithContext(context.Background(), c.method, srv.URL+c.target, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range tr.Report().Findings() {
		if f.InRequest {
			t.Fatalf("the test's own request is not valid: %s", f)
		}
	}
	return tr.Report().Violations(), tr.Report().Drift(), body
}

func pointers(fs []contract.Finding) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.Pointer)
	}
	slices.Sort(out)
	return out
}

// TestPropertyValidResponsesPass: every response built from the spec's
// schemas (any documented status, content type and header; bodies with
// nulls, absent optional fields, empty and 100-entry pages, every enum
// value, the three error shapes, fields the spec does not know) gives no
// violation, exactly one drift finding per unknown field, and reaches the
// caller byte for byte.
func TestPropertyValidResponsesPass(t *testing.T) {
	sp := newResponseSpace(t)
	srv := httptest.NewServer(&scripted{})
	t.Cleanup(srv.Close)
	v, err := contract.NewValidator(nil)
	if err != nil {
		t.Fatal(err)
	}
	rapid.Check(t, func(t *rapid.T) {
		c := sp.drawCase(t, func(documented) bool { return true })
		a := sp.draw(t, c)
		violations, drift, body := exchange(t, srv, v, c, a)
		if len(violations) > 0 {
			t.Fatalf("%s %d: valid response judged a violation: %v\nbody: %s", c.opID, a.status, violations, a.sample)
		}
		if got, want := pointers(drift), a.sample.Unknown; !slices.Equal(got, want) && len(got)+len(want) > 0 {
			t.Fatalf("%s %d: drift at %v, want at the unknown fields %v\nbody: %s", c.opID, a.status, got, want, a.sample)
		}
		if !bytes.Equal(body, a.body) {
			t.Fatalf("the caller read %q, the server sent %q", body, a.body)
		}
	})
}

// TestPropertyBrokenResponsesAreViolations: a response broken in one place
// gives violations, all naming the broken place:
//
//   - body: a wrong type, a required field missing, null where the schema
//     is not nullable, an int32 out of range, a value outside its enum or
//     format, anywhere in the body: the body's JSON pointer;
//   - header: a required header (Location of a redirect) missing: its name;
//   - status: a status the operation does not document: "".
func TestPropertyBrokenResponsesAreViolations(t *testing.T) {
	sp := newResponseSpace(t)
	srv := httptest.NewServer(&scripted{})
	t.Cleanup(srv.Close)
	v, err := contract.NewValidator(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, way := range []string{"body", "header", "status"} {
		applies := func(c documented) bool {
			switch way {
			case "body":
				for _, mt := range c.resp.Content {
					if len(sp.bodies[mt].kinds) == 0 {
						return false // the media type drawn might be unbreakable
					}
				}
				return len(c.resp.Content) > 0
			case "header":
				for _, h := range c.resp.Headers {
					if h.Value.Required {
						return true
					}
				}
				return false
			}
			return len(c.undocumented) > 0
		}
		type tried struct {
			schema *openapi3.Schema
			m      schemagen.Mutation
		}
		seen := map[tried]bool{}
		t.Run(way, func(tt *testing.T) {
			rapid.Check(tt, func(t *rapid.T) {
				c := sp.drawCase(t, applies)
				a := sp.draw(t, c, way)
				seen[tried{a.schema, a.sample.Mutation}] = true
				checkBroken(t, srv, v, c, a)
			})
			if way != "body" || rapidChecks() < 100 {
				return
			}
			// Each mutation that applies to a body schema was tried on it.
			for mt, bg := range sp.bodies {
				for _, m := range bg.kinds {
					if !seen[tried{mt.Schema.Value, m}] {
						tt.Errorf("the body schema %s was never broken by %s", mt.Schema.Ref, m)
					}
				}
			}
		})
	}
}

// rapidChecks returns the -rapid.checks in force.
func rapidChecks() int {
	n, _ := strconv.Atoi(flag.Lookup("rapid.checks").Value.String())
	return n
}

func checkBroken(t *rapid.T, srv *httptest.Server, v *contract.Validator, c documented, a served) {
	violations, _, _ := exchange(t, srv, v, c, a)
	what := fmt.Sprintf("%s %s %d, %s broken at %q: %s", c.opID, c.status, a.status, a.mutated, a.broken, a.sample)
	if len(violations) == 0 {
		t.Fatalf("no violation for %s", what)
	}
	for _, f := range violations {
		if f.Pointer != a.broken {
			t.Fatalf("violation at %q, want %q: %s\nfor %s", f.Pointer, a.broken, f, what)
		}
		if a.mutated == "status" && !strings.Contains(f.Message, "not documented") {
			t.Fatalf("violation %s does not say the status is undocumented", f)
		}
	}
}
