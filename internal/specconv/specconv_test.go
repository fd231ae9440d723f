package specconv

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// repoFile reads a file of the module by its path from the module root.
func repoFile(t testing.TB, rel string) File {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return File{Name: rel, Data: data}
}

// realConfig is the pipeline's configuration as go generate reads it.
func realConfig(t testing.TB) Config {
	t.Helper()
	cfg, err := LoadConfig(os.DirFS(filepath.Join("..", "..")), "spec/sources.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// only wraps files as sources with no overlay and no precedence.
func only(files ...File) []Source {
	out := make([]Source, len(files))
	for i, f := range files {
		out[i] = Source{File: f}
	}
	return out
}

func TestConvertIsDeterministic(t *testing.T) {
	ctx := context.Background()
	cfg := realConfig(t)
	first, err := Convert(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Convert(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Fatal("two runs gave different bytes")
	}
	reversed := cfg
	reversed.Sources = slices.Clone(cfg.Sources)
	slices.Reverse(reversed.Sources)
	third, err := Convert(ctx, reversed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, third) {
		t.Fatal("upstream files in reverse order gave different bytes")
	}
}

func TestCommittedSpecIsCurrent(t *testing.T) {
	got, err := Convert(context.Background(), realConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	want := repoFile(t, "spec/openapi.yaml")
	if !bytes.Equal(got, want.Data) {
		t.Fatal("spec/openapi.yaml is not what the pipeline produces: run `make generate`")
	}
}

// TestOutput checks what the overlay must state, on the converted document.
func TestOutput(t *testing.T) {
	out, err := Convert(context.Background(), realConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	outputChecks(t, out)
}

// outputChecks checks what the overlay must state, in any output.
func outputChecks(t *testing.T, out []byte) {
	t.Helper()
	ctx := context.Background()
	doc, err := openapi3.NewLoader().LoadFromData(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("output does not validate: %v", err)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "https://api.gettyimages.com" {
		t.Errorf("servers = %v, want the https API host only", doc.Servers)
	}
	for _, name := range []string{"ApiKey", "OAuth2"} {
		if doc.Components.SecuritySchemes[name] == nil {
			t.Errorf("security scheme %s missing", name)
		}
	}

	wantOps := map[string]string{"GET /v3/downloads": "listDownloads", "POST /v3/downloads/images/{id}": "downloadImage"}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			key := method + " " + path
			if wantOps[key] != op.OperationID {
				t.Errorf("%s: operationId %q, want %q", key, op.OperationID, wantOps[key])
			}
			delete(wantOps, key)
			if op.Security == nil || len(*op.Security) == 0 {
				t.Errorf("%s: no security requirement", key)
			}
			for _, p := range op.Parameters {
				if p.Value.Name == "Authorization" {
					t.Errorf("%s: Authorization is a parameter; it belongs to the security schemes", key)
				}
				s := p.Value.Schema
				if s == nil || s.Value == nil || s.Value.Type == nil || len(*s.Value.Type) == 0 {
					t.Errorf("%s: parameter %s has no typed schema", key, p.Value.Name)
				}
			}
			var success, failure int
			for code, resp := range op.Responses.Map() {
				r := resp.Value
				hasSchema := false
				for _, mt := range r.Content {
					hasSchema = hasSchema || (mt.Schema != nil && mt.Schema.Value != nil)
				}
				switch {
				case code[0] == '2' && hasSchema:
					success++
				case code[0] == '3' && r.Headers["Location"] != nil && r.Headers["Location"].Value.Required:
					success++
				case code[0] == '4' || code[0] == '5':
					if !hasSchema {
						t.Errorf("%s: error response %s has no schema", key, code)
					}
					failure++
				default:
					t.Errorf("%s: response %s documents neither a body schema nor a Location", key, code)
				}
			}
			if success == 0 || failure == 0 {
				t.Errorf("%s: %d success and %d error responses, want both", key, success, failure)
			}
		}
	}
	if len(wantOps) > 0 {
		t.Errorf("operations missing: %v", wantOps)
	}

	list := doc.Paths.Find("/v3/downloads").Get
	for _, tc := range []struct {
		param    string
		min, max *float64
		def      any
	}{
		{"page", ptr(1.0), nil, 1.0},
		{"page_size", ptr(1.0), ptr(100.0), 30.0},
		{"use_time", nil, nil, false},
		{"company_downloads", nil, nil, false},
	} {
		p := list.Parameters.GetByInAndName("query", tc.param)
		if p == nil {
			t.Errorf("GET parameter %s missing", tc.param)
			continue
		}
		s := p.Schema.Value
		if !equalPtr(s.Min, tc.min) || !equalPtr(s.Max, tc.max) || s.Default != tc.def {
			t.Errorf("%s: min %v max %v default %v", tc.param, s.Min, s.Max, s.Default)
		}
	}
	for _, legacy := range []string{"start_date", "end_date"} {
		if p := list.Parameters.GetByInAndName("query", legacy); p == nil || !p.Deprecated {
			t.Errorf("%s must be kept and deprecated", legacy)
		}
	}
	dates := doc.Components.Schemas["DateOrDateTime"].Value
	for _, v := range []string{"2026-01-31", "2026-01-31T10:00:00Z", "2026-01-31T10:00:00.5+01:00"} {
		if err := dates.VisitJSON(v); err != nil {
			t.Errorf("date %q rejected: %v", v, err)
		}
	}
	for _, v := range []string{"31/01/2026", "yesterday"} {
		if err := dates.VisitJSON(v); err == nil {
			t.Errorf("date %q accepted", v)
		}
	}
	products := doc.Components.Schemas["ProductType"].Value.Enum
	for _, p := range []string{"creditpack", "aigen", "premiumaccess"} {
		if !slices.Contains(products, any(p)) {
			t.Errorf("product_type enum lacks %s", p)
		}
	}
	body := doc.Components.Schemas["PremiumAccessDownloadData"].Value
	if body.Properties["download_notes"] == nil || body.Properties["project_code"] == nil || !body.Nullable {
		t.Error("the download body schema must hold nullable download_notes and project_code")
	}
}

func ptr[T any](v T) *T { return &v }

func equalPtr(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

const minimalSwagger = `swagger: "2.0"
info: {title: t, version: "1"}
host: api.example.com
paths:
  /things:
    get:
      operationId: listThings
      parameters:
        - {in: query, name: page, type: integer}
      responses:
        200: {description: OK, schema: {type: object}}
`

const minimalOverlay = `overlay: 1.0.0
info: {title: t, version: "1"}
actions:
  - target: $.info
    description: test
    update: {title: changed}
`

func TestConvertErrors(t *testing.T) {
	ctx := context.Background()
	good := File{Name: "good.yaml", Data: []byte(minimalSwagger)}
	differently := strings.Replace(minimalSwagger, "type: integer", "type: string", 1)
	tests := []struct {
		name    string
		cfg     Config
		wantIn  []string
		wantErr error
	}{
		{
			name:   "malformed YAML",
			cfg:    Config{Sources: only(File{Name: "broken.yaml", Data: []byte("swagger: \"2.0\"\npaths: [\n  - :\n")})},
			wantIn: []string{"broken.yaml", "malformed YAML", "line"},
		},
		{
			name:    "neither Swagger 2.0 nor OpenAPI 3",
			cfg:     Config{Sources: only(File{Name: "other.yaml", Data: []byte("asyncapi: 2.0.0\ninfo: {title: x}\n")})},
			wantIn:  []string{"other.yaml", "neither Swagger 2.0 nor OpenAPI 3.0.x"},
			wantErr: ErrUnknownFormat,
		},
		{
			name:    "OpenAPI 3.1",
			cfg:     Config{Sources: only(File{Name: "new.yaml", Data: []byte("openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: {}\n")})},
			wantIn:  []string{"new.yaml", "/openapi", "3.1.0"},
			wantErr: ErrUnknownFormat,
		},
		{
			name:   "scalar document",
			cfg:    Config{Sources: only(File{Name: "scalar.yaml", Data: []byte("just text\n")})},
			wantIn: []string{"scalar.yaml", "not a mapping"},
		},
		{
			name:   "two YAML documents",
			cfg:    Config{Sources: only(File{Name: "two.yaml", Data: []byte(minimalSwagger + "---\n" + minimalSwagger)})},
			wantIn: []string{"two.yaml", "more than one YAML document"},
		},
		{
			name:   "overlay target matches nothing",
			cfg:    Config{Sources: only(good), Overlay: &File{Name: "ov.yaml", Data: []byte(strings.Replace(minimalOverlay, "$.info", "$.paths['/nothing'].get", 1))}},
			wantIn: []string{"ov.yaml", "/actions/0", "$.paths['/nothing'].get", "matched 0 nodes, the action expects 1"},
		},
		{
			name:   "overlay action without description",
			cfg:    Config{Sources: only(good), Overlay: &File{Name: "ov.yaml", Data: []byte(strings.Replace(minimalOverlay, "description: test", "description: ''", 1))}},
			wantIn: []string{"ov.yaml", "/actions/0", "no description"},
		},
		{
			name:   "overlay is not an overlay",
			cfg:    Config{Sources: only(good), Overlay: &File{Name: "ov.yaml", Data: []byte(minimalSwagger)}},
			wantIn: []string{"ov.yaml", "not an OpenAPI Overlay"},
		},
		{
			name: "same operation defined differently",
			cfg:  Config{Sources: only(good, File{Name: "other.yaml", Data: []byte(differently)})},
			wantIn: []string{"good.yaml", "other.yaml", "GET /things defined differently",
				"first difference at /paths/~1things/get/parameters/0/schema/type", `good.yaml: "integer"`, `other.yaml: "string"`, "supersedes: [good.yaml]"},
		},
		{
			name: "dangling $ref",
			cfg: Config{Sources: only(File{Name: "dangling.yaml", Data: []byte(strings.Replace(minimalSwagger,
				"- {in: query, name: page, type: integer}",
				"- {in: body, name: b, schema: {$ref: '#/definitions/holder'}}", 1))})},
			wantIn: []string{"dangling.yaml", "/paths/~1things/get/parameters/0/schema/$ref", `"#/definitions/holder" does not resolve`},
		},
		{
			name: "dangling $ref introduced by the overlay",
			cfg: Config{Sources: only(good), Overlay: &File{Name: "ov.yaml", Data: []byte(`overlay: 1.0.0
info: {title: t, version: "1"}
actions:
  - target: $.paths['/things'].get.parameters[0]
    description: test
    update: {schema: {$ref: '#/components/schemas/Missing'}}
`)}},
			wantIn: []string{"good.yaml", "/paths/~1things/get/parameters/0/schema/$ref", "does not resolve"},
		},
		{
			name:   "no upstream files",
			cfg:    Config{},
			wantIn: []string{"no upstream files"},
		},
		{
			name:   "YAML alias",
			cfg:    Config{Sources: only(File{Name: "alias.yaml", Data: []byte("swagger: '2.0'\nx-a: &a {b: 1}\nx-c: *a\n")})},
			wantIn: []string{"alias.yaml", "/x-c", "aliases"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Convert(ctx, tc.cfg)
			if err == nil {
				t.Fatalf("no error; output:\n%s", out)
			}
			for _, want := range tc.wantIn {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error %v is not %v", err, tc.wantErr)
			}
		})
	}
}

func TestConvertMergesIdenticalOperations(t *testing.T) {
	a := File{Name: "a.yaml", Data: []byte(minimalSwagger)}
	b := File{Name: "b.json", Data: []byte(`{"swagger":"2.0","info":{"title":"t","version":"1"},"host":"api.example.com",
	  "paths":{"/things":{"get":{"operationId":"listThings","parameters":[{"in":"query","name":"page","type":"integer"}],"responses":{"200":{"description":"OK","schema":{"type":"object"}}}}},
	  "/other":{"post":{"operationId":"makeOther","responses":{"201":{"description":"Created","schema":{"type":"object"}}}}}}}`)}
	out, err := Convert(context.Background(), Config{Sources: only(a, b)})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(out)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Paths.Len() != 2 || doc.Paths.Find("/things").Get == nil || doc.Paths.Find("/other").Post == nil {
		t.Fatalf("merged paths = %v", doc.Paths.InMatchingOrder())
	}
}

func TestConvertMixesSwaggerAndOpenAPI3(t *testing.T) {
	v3 := File{Name: "v3.yaml", Data: []byte(`openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /v3only:
    get:
      operationId: v3only
      responses:
        "200":
          description: OK
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
components:
  schemas:
    Thing: {type: object}
`)}
	out, err := Convert(context.Background(), Config{Sources: only(v3, File{Name: "v2.yaml", Data: []byte(minimalSwagger)})})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(out)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Paths.Find("/v3only") == nil || doc.Paths.Find("/things") == nil || doc.Components.Schemas["Thing"] == nil {
		t.Fatalf("merged document lacks an input's content:\n%s", out)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.yaml")
	if err := WriteFileAtomic(path, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(path, []byte("two")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "two" {
		t.Fatalf("got %q, %v", got, err)
	}
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "out.yaml"), []byte("x")); err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func FuzzConvert(f *testing.F) {
	f.Add([]byte(minimalSwagger))
	for _, name := range []string{"spec/swagger/download-image.yaml", "spec/swagger/get-downloads.yaml"} {
		f.Add(repoFile(f, name).Data)
	}
	f.Add([]byte("openapi: 3.0.0\ninfo: {title: x, version: '1'}\npaths: {/a: {get: {responses: {'200': {description: ok}}}}}\n"))
	f.Add([]byte("{\"swagger\": \"2.0\", \"paths\": {\"/x\": 3}}"))
	cfg := realConfig(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		// The input alone, and the input beside the real upstream files with the real overlays.
		_, _ = Convert(ctx, Config{Sources: only(File{Name: "fuzz.yaml", Data: data})})
		c := cfg
		c.Sources = append(slices.Clone(cfg.Sources), Source{File: File{Name: "fuzz.yaml", Data: data}})
		_, _ = Convert(ctx, c)
		_, _ = Convert(ctx, Config{Sources: cfg.Sources, Overlay: &File{Name: "fuzz-overlay.yaml", Data: data}})
	})
}

// TestConvertConflictNamesSwaggerFile checks that an OpenAPI 3 file that
// conflicts with an operation of the second Swagger 2.0 file names that file,
// not the first one.
func TestConvertConflictNamesSwaggerFile(t *testing.T) {
	a := File{Name: "a.yaml", Data: []byte(minimalSwagger)}
	b := File{Name: "b.yaml", Data: []byte(`swagger: "2.0"
info: {title: t, version: "1"}
host: api.example.com
paths:
  /other:
    post:
      operationId: makeOther
      responses:
        201: {description: Created}
`)}
	c := File{Name: "c.yaml", Data: []byte(`openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /other:
    post:
      operationId: somethingElse
      responses:
        "201": {description: Created}
`)}
	_, err := Convert(context.Background(), Config{Sources: only(a, b, c)})
	if err == nil || !strings.Contains(err.Error(), "c.yaml") || !strings.Contains(err.Error(), "defined differently in b.yaml") {
		t.Fatalf("error %v does not name c.yaml and b.yaml", err)
	}
}
