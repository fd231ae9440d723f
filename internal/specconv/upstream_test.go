package specconv

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/util"
	"github.com/oasdiff/oasdiff/checker"
	"github.com/oasdiff/oasdiff/diff"
	oasload "github.com/oasdiff/oasdiff/load"
	"gopkg.in/yaml.v3"
)

// moduleRoot is the module's root directory, relative to this package.
var moduleRoot = filepath.Join("..", "..")

// specTree copies the module's spec/ directory (the sources list, upstream
// files and overlays) into a temporary directory and lets edit change it
// the way an upstream change would.
func specTree(t *testing.T, edit func(dir string)) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(moduleRoot, "spec")
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(dir)
	}
	return dir
}

// rewrite replaces old with new in a file of a tree; old must occur.
func rewrite(t *testing.T, dir, name, old, new string) {
	t.Helper()
	path := filepath.Join(dir, filepath.FromSlash(name))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%s does not contain %q", name, old)
	}
	if err := os.WriteFile(path, bytes.Replace(data, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, dir, name, data string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// convertTree runs the pipeline on a tree as go generate does.
func convertTree(t *testing.T, dir string) ([]byte, error) {
	t.Helper()
	cfg, err := LoadConfig(os.DirFS(dir), "sources.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return Convert(context.Background(), cfg)
}

const officialAlone = `sources:
  - file: official/getty-v3-downloads.yaml
    origin: see official/SOURCE.md
    overlay: overlays/official.yaml
overlay: overlay.yaml
`

// allThree is the committed list plus Getty's document, which supersedes
// both Swagger files.
const officialEntry = `  - file: official/getty-v3-downloads.yaml
    origin: see official/SOURCE.md
    overlay: overlays/official.yaml
    supersedes: [swagger/download-image.yaml, swagger/get-downloads.yaml]
overlay: overlay.yaml
`

// newListingParam is a parameter Getty adds to the listing, written the way
// its Swagger files write parameters.
const newListingParam = `      - in: query
        name: asset_kind
        description: Only downloads of this kind of asset
`

// TestUpstreamChanges regenerates the spec from trees that differ from the
// committed one the way Getty's files change, and checks what generation
// does with each: fail with a message that says what to fix, or produce a
// spec the client generates from and builds against.
func TestUpstreamChanges(t *testing.T) {
	committed := readRepo(t, "spec/openapi.yaml")
	officialOut := func(t *testing.T) []byte {
		out, err := convertTree(t, specTree(t, func(dir string) { writeFile(t, dir, "sources.yaml", officialAlone) }))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	tests := []struct {
		name string
		edit func(t *testing.T, dir string)
		// wantErr lists what the error must say, in order of appearance.
		wantErr []string
		// check inspects a successful output.
		check func(t *testing.T, out []byte)
	}{
		{
			name: "untyped new parameter",
			edit: func(t *testing.T, dir string) {
				rewrite(t, dir, "swagger/get-downloads.yaml", "      - in: query\n        name: start_date\n", newListingParam+"      - in: query\n        name: start_date\n")
			},
			wantErr: []string{
				"swagger/get-downloads.yaml: at /paths/~1v3~1downloads/get/parameters/7: no typed schema",
				`query parameter "asset_kind" of GET /v3/downloads has no type`,
				"state it in overlay.yaml:\n  - target: $.paths['/v3/downloads'].get.parameters[?@.name == 'asset_kind']\n",
				"    update:\n      schema:\n        type: string",
			},
		},
		{
			name: "typed new parameter",
			edit: func(t *testing.T, dir string) {
				rewrite(t, dir, "swagger/get-downloads.yaml", "      - in: query\n        name: start_date\n",
					strings.Replace(newListingParam, "asset_kind\n", "asset_kind\n        type: string\n", 1)+"      - in: query\n        name: start_date\n")
			},
			check: func(t *testing.T, out []byte) {
				code := generateClient(t, out)
				if !strings.Contains(code, "AssetKind *string `form:\"asset_kind,omitempty\"") {
					t.Error("gen/ has no AssetKind field for the new parameter")
				}
				if breaking := breakingChanges(t, committed, out); len(breaking) > 0 {
					t.Errorf("an optional typed parameter is reported as breaking: %v", breaking)
				}
				buildClient(t, out, code)
			},
		},
		{
			name: "renamed parameter under a shared action",
			edit: func(t *testing.T, dir string) {
				rewrite(t, dir, "swagger/get-downloads.yaml", "name: start_date", "name: startDate")
			},
			wantErr: []string{
				"overlay.yaml: at /actions/16: target $.paths['/v3/downloads'].get.parameters[?@.name == 'start_date' || @.name == 'end_date']: matched 1 node, the action expects 2 (x-matches)",
				`swagger/get-downloads.yaml: at /paths/~1v3~1downloads/get/parameters/7: no typed schema: query parameter "startDate" of GET /v3/downloads has no type`,
			},
		},
		{
			name: "Getty's document alone",
			edit: func(t *testing.T, dir string) { writeFile(t, dir, "sources.yaml", officialAlone) },
			check: func(t *testing.T, out []byte) {
				checkOutput(t, out)
				code := generateClient(t, out)
				if got, want := exportedAPI(t, code), exportedAPI(t, string(readRepo(t, "gen/getty.gen.go"))); !slices.Equal(got, want) {
					t.Errorf("gen/ from Getty's document has another public API:\n%s", lineDiff(want, got))
				}
				buildClient(t, out, code)
			},
		},
		{
			name: "Getty's document beside the Swagger files",
			edit: func(t *testing.T, dir string) {
				rewrite(t, dir, "sources.yaml", "overlay: overlay.yaml\n", officialEntry)
			},
			check: func(t *testing.T, out []byte) {
				if !bytes.Equal(out, officialOut(t)) {
					t.Error("Getty's document beside the Swagger files, superseding them, gives another spec than alone")
				}
				buildClient(t, out, generateClient(t, out))
			},
		},
		{
			name: "one file changed, resolved by precedence",
			edit: func(t *testing.T, dir string) {
				rewrite(t, dir, "swagger/get-downloads.yaml", "Identifies page to return", "The page to return, from 1")
			},
			check: func(t *testing.T, out []byte) {
				if !bytes.Contains(out, []byte("The page to return, from 1")) {
					t.Error("the superseding file's change is not in the output")
				}
			},
		},
		{
			name: "one file changed, no precedence",
			edit: func(t *testing.T, dir string) {
				rewrite(t, dir, "swagger/get-downloads.yaml", "Identifies page to return", "The page to return, from 1")
				rewrite(t, dir, "sources.yaml", "    supersedes: [swagger/download-image.yaml]\n", "")
				// Without precedence, the listing's copy in download-image.yaml
				// must match after both files' own overlays.
				rewrite(t, dir, "overlays/download-image.yaml", "actions:\n", `actions:
  - target: $.paths['/v3/downloads'].get.parameters[?@.name == 'Authorization']
    description: test
    remove: true
  - target: $.paths['/v3/downloads'].get.parameters
    description: test
    update: [{in: query, name: date_from}, {in: query, name: date_to}, {in: query, name: use_time}]
`)
			},
			wantErr: []string{
				"swagger/get-downloads.yaml: at /paths/~1v3~1downloads/get: GET /v3/downloads defined differently in swagger/download-image.yaml",
				"first difference at /paths/~1v3~1downloads/get/parameters/3/description:",
				`swagger/download-image.yaml: "Identifies page to return"`,
				`swagger/get-downloads.yaml: "The page to return, from 1"`,
				`on the entry of swagger/get-downloads.yaml,` + "\n" + `    "supersedes: [swagger/download-image.yaml]"`,
			},
		},
		{
			name: "Getty's document beside the Swagger files, no precedence",
			edit: func(t *testing.T, dir string) {
				rewrite(t, dir, "sources.yaml", "overlay: overlay.yaml\n", strings.Replace(officialEntry, "    supersedes: [swagger/download-image.yaml, swagger/get-downloads.yaml]\n", "", 1))
			},
			wantErr: []string{
				"component schemas/PremiumAccessDownloadData defined differently",
				"GET /v3/downloads defined differently",
				"POST /v3/downloads/images/{id} defined differently",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := specTree(t, func(dir string) { tc.edit(t, dir) })
			out, err := convertTree(t, dir)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("generation failed:\n%v", err)
				}
				tc.check(t, out)
				return
			}
			if err == nil {
				t.Fatal("generation succeeded")
			}
			msg, at := err.Error(), 0
			for _, want := range tc.wantErr {
				i := strings.Index(msg[at:], want)
				if i < 0 {
					t.Fatalf("error does not say, after what it said before,\n%s\nerror:\n%s", want, msg)
				}
				at += i + len(want)
			}
		})
	}
}

// TestSpecDiffReportsTypeLoss checks the severity levels `make spec-diff`
// uses: a parameter that loses its type is a breaking change.
func TestSpecDiffReportsTypeLoss(t *testing.T) {
	committed := readRepo(t, "spec/openapi.yaml")
	i := bytes.Index(committed, []byte("name: page_size"))
	j := bytes.Index(committed[i:], []byte("type: integer"))
	if i < 0 || j < 0 {
		t.Fatal("page_size is not typed in spec/openapi.yaml")
	}
	lost := slices.Concat(committed[:i+j], []byte("description: no type"), committed[i+j+len("type: integer"):])
	breaking := breakingChanges(t, committed, lost)
	if !slices.ContainsFunc(breaking, func(s string) bool { return strings.Contains(s, "request-parameter-type-generalized") }) {
		t.Fatalf("a parameter losing its type is not breaking: %v", breaking)
	}
}

// TestGenerateClientMatchesCommitted checks that the tests' generator is
// the one go generate runs: on the committed spec it gives the committed
// gen/ byte for byte, but for the header line naming the generator's build.
func TestGenerateClientMatchesCommitted(t *testing.T) {
	body := func(code string) string {
		_, rest, _ := strings.Cut(code, "DO NOT EDIT.\n")
		return rest
	}
	got, want := body(generateClient(t, readRepo(t, "spec/openapi.yaml"))), body(string(readRepo(t, "gen/getty.gen.go")))
	if got == "" || got != want {
		t.Fatal("generateClient does not reproduce gen/getty.gen.go: see gen/config.yaml")
	}
}

func readRepo(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(moduleRoot, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// codegenMu serializes codegen.Generate, which keeps its settings in
// package variables.
var codegenMu sync.Mutex

// generateClient runs oapi-codegen with gen/config.yaml on a spec.
func generateClient(t *testing.T, spec []byte) string {
	t.Helper()
	codegenMu.Lock()
	defer codegenMu.Unlock()
	var cfg struct {
		codegen.Configuration `yaml:",inline"`
		Output                string `yaml:"output"`
	}
	if err := yaml.Unmarshal(readRepo(t, "gen/config.yaml"), &cfg); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "openapi.yaml")
	if err := os.WriteFile(path, spec, 0o644); err != nil {
		t.Fatal(err)
	}
	doc, err := util.LoadSwagger(path)
	if err != nil {
		t.Fatal(err)
	}
	code, err := codegen.Generate(doc, cfg.UpdateDefaults())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// buildClient builds the module's root package against a regenerated spec
// and gen/, in a copy of the module.
func buildClient(t *testing.T, spec []byte, code string) {
	t.Helper()
	if testing.Short() {
		t.Log("-short: not building the client")
		return
	}
	dir := t.TempDir()
	copyFiles := func(sub string, keep func(name string) bool) {
		entries, err := os.ReadDir(filepath.Join(moduleRoot, sub))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() || !keep(e.Name()) {
				continue
			}
			writeFile(t, dir, filepath.Join(sub, e.Name()), string(readRepo(t, filepath.Join(sub, e.Name()))))
		}
	}
	goSource := func(name string) bool { return strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") }
	copyFiles(".", func(name string) bool { return goSource(name) || name == "go.mod" || name == "go.sum" })
	copyFiles("spec", goSource)
	copyFiles("internal/filetype", goSource) // imported by the root package
	copyFiles("gen", func(string) bool { return false })
	writeFile(t, dir, "spec/openapi.yaml", string(spec))
	writeFile(t, dir, "gen/getty.gen.go", code)
	cmd := exec.Command("go", "build", ".", "./gen", "./spec")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the client does not build against the regenerated gen/: %v\n%s", err, out)
	}
}

// breakingChanges lists the ERR-level changes oasdiff reports from base to
// revision with the severity levels `make spec-diff` uses.
func breakingChanges(t *testing.T, base, revision []byte) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(moduleRoot, "spec", "severity-levels.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	levels, err := checker.GetSeverityLevels(f)
	if err != nil {
		t.Fatal(err)
	}
	loader := openapi3.NewLoader()
	s1, err := oasload.NewSpecInfoFromData(loader, base, "base")
	if err != nil {
		t.Fatal(err)
	}
	s2, err := oasload.NewSpecInfoFromData(openapi3.NewLoader(), revision, "revision")
	if err != nil {
		t.Fatal(err)
	}
	d, sources, err := diff.GetWithOperationsSourcesMap(diff.NewConfig(), s1, s2)
	if err != nil {
		t.Fatal(err)
	}
	cfg := checker.NewConfig(checker.GetAllChecks(), checker.WithSeverityLevels(levels))
	var out []string
	for _, c := range checker.CheckBackwardCompatibilityUntilLevel(cfg, d, sources, checker.ERR) {
		out = append(out, c.GetId()+": "+c.GetUncolorizedText(checker.NewDefaultLocalizer()))
	}
	return out
}

// exportedAPI lists the exported declarations of generated code, with
// struct fields sorted and comments left out: what code importing the
// package can use.
func exportedAPI(t *testing.T, code string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "gen.go", code, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	show := func(n ast.Node) string {
		var b strings.Builder
		if err := printer.Fprint(&b, fset, n); err != nil {
			t.Fatal(err)
		}
		return strings.Join(strings.Fields(b.String()), " ")
	}
	var api []string
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if d.Name.IsExported() {
				recv := ""
				if d.Recv != nil {
					recv = show(d.Recv.List[0].Type) + "."
				}
				api = append(api, "func "+recv+d.Name.Name+show(d.Type)[len("func"):])
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					if !s.Name.IsExported() {
						continue
					}
					if st, ok := s.Type.(*ast.StructType); ok {
						for _, field := range st.Fields.List {
							for _, name := range field.Names {
								if name.IsExported() {
									tag := ""
									if field.Tag != nil {
										tag = " " + field.Tag.Value
									}
									api = append(api, "field "+s.Name.Name+"."+name.Name+" "+show(field.Type)+tag)
								}
							}
						}
						api = append(api, "type "+s.Name.Name+" struct")
						continue
					}
					api = append(api, "type "+s.Name.Name+" "+show(s.Type))
				case *ast.ValueSpec:
					for _, name := range s.Names {
						if name.IsExported() {
							api = append(api, d.Tok.String()+" "+name.Name)
						}
					}
				}
			}
		}
	}
	slices.Sort(api)
	return api
}

// lineDiff shows what one sorted list has that the other lacks.
func lineDiff(want, got []string) string {
	var b strings.Builder
	for _, w := range want {
		if !slices.Contains(got, w) {
			b.WriteString("- " + w + "\n")
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			b.WriteString("+ " + g + "\n")
		}
	}
	return b.String()
}

// checkOutput runs TestOutput's checks on another output.
func checkOutput(t *testing.T, out []byte) {
	t.Helper()
	if _, err := openapi3.NewLoader().LoadFromData(out); err != nil {
		t.Fatal(err)
	}
	outputChecks(t, out)
}
