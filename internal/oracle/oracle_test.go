package oracle_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"

	"github.com/gettykit/getty/internal/oracle"
)

var update = flag.Bool("update", false, "rewrite "+oracle.ListFile+": keep the entries that still match, draft one for each unlisted difference, drop stale ones")

// files returns Getty's document, our spec and the list, read from the
// module root.
func files(t *testing.T) (official, ours, list []byte, listPath string) {
	t.Helper()
	root, err := oracle.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	listPath = filepath.Join(root, oracle.ListFile)
	return read(oracle.OfficialFile), read(oracle.OursFile), read(oracle.ListFile), listPath
}

// TestOracle is the second oracle: every way spec/openapi.yaml differs from
// Getty's published document is listed in spec/official-differences.yaml
// with a reason and evidence, and every entry there still holds.
func TestOracle(t *testing.T) {
	official, ours, list, listPath := files(t)
	diffs, err := oracle.Compare(official, ours)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := oracle.ParseList(list)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		drafted, err := oracle.Draft(list, diffs, entries)
		if err != nil {
			t.Fatal(err)
		}
		if string(drafted) != string(list) {
			if err := os.WriteFile(listPath, drafted, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("rewrote %s", oracle.ListFile)
		}
		if entries, err = oracle.ParseList(drafted); err != nil {
			t.Fatal(err)
		}
	}
	problems := oracle.Check(diffs, entries)
	for _, p := range problems {
		t.Error(p)
	}
	if len(problems) > 0 {
		t.Logf("%d differences, %d entries. To draft entries for the unlisted differences and drop the stale ones, run\n"+
			"\tgo test ./internal/oracle -run TestOracle -update\nthen give each draft a reason and evidence.", len(diffs), len(entries))
	}
}

// mutate loads our spec, changes it with f and returns it as JSON.
func mutate(t *testing.T, ours []byte, f func(t *testing.T, doc *openapi3.T)) []byte {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(ours)
	if err != nil {
		t.Fatal(err)
	}
	f(t, doc)
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the mutated spec is invalid: %v", err)
	}
	data, err := doc.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func schema(t *testing.T, doc *openapi3.T, name string) *openapi3.Schema {
	t.Helper()
	ref := doc.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		t.Fatalf("our spec has no component schema %s (renamed? update this test)", name)
	}
	return ref.Value
}

func param(t *testing.T, op *openapi3.Operation, name string) *openapi3.Parameter {
	t.Helper()
	for _, p := range op.Parameters {
		if p.Value.Name == name {
			return p.Value
		}
	}
	t.Fatalf("our spec's operation %s has no parameter %s", op.OperationID, name)
	return nil
}

func without(op *openapi3.Operation, name string) {
	op.Parameters = slices.DeleteFunc(op.Parameters, func(p *openapi3.ParameterRef) bool { return p.Value.Name == name })
}

// The paths and operations below, and in the list's keys.
const (
	list      = "GET /v3/downloads"
	download  = "POST /v3/downloads/images/{id}"
	listItems = list + "#/responses/200/content/application~1json/schema/properties/downloads/items"
)

// TestChangesAreCaught makes one deliberate change to our spec at a time, in
// memory, in either direction (our spec looser or stricter, having more or
// less), and checks that the oracle reports exactly the expected unlisted
// differences, naming where each is. Several changes are made through a
// component that Getty's document names differently (ProductType,
// DownloadUser, FileType), so a rename cannot hide them.
func TestChangesAreCaught(t *testing.T) {
	official, ours, listData, _ := files(t)
	entries, err := oracle.ParseList(listData)
	if err != nil {
		t.Fatal(err)
	}
	// Compared with what the unchanged spec yields, so these tests do not
	// depend on the list being up to date (TestOracle checks that).
	baseline := map[string]bool{}
	for _, p := range problems(t, official, mutate(t, ours, func(*testing.T, *openapi3.T) {}), entries) {
		baseline[p.Message] = true
	}

	tests := []struct {
		name   string
		change func(t *testing.T, doc *openapi3.T)
		want   []string // the unlisted differences, as Problem messages say them
		stale  []string // keys of entries the change makes stale
	}{
		{
			"enum value added",
			func(t *testing.T, doc *openapi3.T) {
				s := schema(t, doc, "ProductType")
				s.Enum = append(s.Enum, "bogus")
			},
			[]string{
				"unlisted difference: " + list + "#/parameters/query/product_type/schema/enum/bogus: only in our spec",
				"unlisted difference: " + download + "#/parameters/query/product_type/schema/enum/bogus: only in our spec",
			},
			nil,
		},
		{
			"enum value removed",
			func(t *testing.T, doc *openapi3.T) {
				s := schema(t, doc, "FileType")
				s.Enum = slices.DeleteFunc(s.Enum, func(v any) bool { return v == "eps" })
			},
			[]string{"unlisted difference: " + download + "#/parameters/query/file_type/schema/enum/eps: only in Getty's document"},
			nil,
		},
		{
			"property type changed",
			func(t *testing.T, doc *openapi3.T) {
				schema(t, doc, "DownloadUser").Properties["username"].Value.Type = &openapi3.Types{"integer"}
			},
			[]string{
				"unlisted difference: " + listItems + "/properties/user/properties/username/type/integer: only in our spec",
				"unlisted difference: " + listItems + "/properties/user/properties/username/type/string: only in Getty's document",
			},
			nil,
		},
		{
			"parameter format changed",
			func(t *testing.T, doc *openapi3.T) {
				param(t, doc.Paths.Value("/v3/downloads").Get, "page").Schema.Value.Format = "int64"
			},
			[]string{`unlisted difference: ` + list + `#/parameters/query/page/schema/format: Getty's document has "int32", ours has "int64"`},
			nil,
		},
		{
			"parameter removed",
			func(t *testing.T, doc *openapi3.T) {
				without(doc.Paths.Value("/v3/downloads").Get, "company_downloads")
			},
			[]string{"unlisted difference: " + list + "#/parameters/query/company_downloads: only in Getty's document"},
			nil,
		},
		{
			"parameter added",
			func(t *testing.T, doc *openapi3.T) {
				op := doc.Paths.Value("/v3/downloads/images/{id}").Post
				op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: openapi3.NewQueryParameter("size").
					WithSchema(openapi3.NewStringSchema())})
			},
			[]string{"unlisted difference: " + download + "#/parameters/query/size: only in our spec"},
			nil,
		},
		{
			"response removed",
			func(t *testing.T, doc *openapi3.T) {
				doc.Paths.Value("/v3/downloads/images/{id}").Post.Responses.Delete("404")
			},
			[]string{"unlisted difference: " + download + "#/responses/404: only in Getty's document"},
			[]string{download + "#/responses/404/content/application~1json"},
		},
		{
			"property added",
			func(t *testing.T, doc *openapi3.T) {
				schema(t, doc, "DownloadDimensions").Properties["depth"] = openapi3.NewInt32Schema().NewRef()
			},
			[]string{"unlisted difference: " + listItems + "/properties/dimensions/properties/depth: only in our spec"},
			nil,
		},
		{
			"property removed",
			func(t *testing.T, doc *openapi3.T) {
				delete(schema(t, doc, "HistoricalDownload").Properties, "license_model")
			},
			[]string{"unlisted difference: " + listItems + "/properties/license_model: only in Getty's document"},
			nil,
		},
		{
			"nullable dropped",
			func(t *testing.T, doc *openapi3.T) {
				schema(t, doc, "GetDownloadsResponse").Properties["downloads"].Value.Nullable = false
			},
			[]string{"unlisted difference: " + list + "#/responses/200/content/application~1json/schema/properties/downloads/nullable: Getty's document has true, ours has false"},
			nil,
		},
		{
			"property made required",
			func(t *testing.T, doc *openapi3.T) {
				s := schema(t, doc, "HistoricalDownload")
				s.Required = append(s.Required, "id")
			},
			[]string{"unlisted difference: " + listItems + "/required/id: only in our spec"},
			nil,
		},
		{
			"default changed",
			func(t *testing.T, doc *openapi3.T) {
				param(t, doc.Paths.Value("/v3/downloads/images/{id}").Post, "auto_download").Schema.Value.Default = false
			},
			[]string{"unlisted difference: " + download + "#/parameters/query/auto_download/schema/default: Getty's document has true, ours has false"},
			nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var unlisted, stale []string
			for _, p := range problems(t, official, mutate(t, ours, tt.change), entries) {
				switch {
				case baseline[p.Message]:
				case p.Kind == "unlisted":
					unlisted = append(unlisted, p.Message)
				case p.Kind == "stale":
					stale = append(stale, p.Key)
				default:
					t.Errorf("unexpected problem: %s", p)
				}
			}
			slices.Sort(unlisted)
			if !slices.Equal(unlisted, tt.want) {
				t.Errorf("unlisted:\n\t%s\nwant:\n\t%s", strings.Join(unlisted, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
			if !slices.Equal(stale, tt.stale) {
				t.Errorf("stale: %q, want %q", stale, tt.stale)
			}
		})
	}
}

func problems(t *testing.T, official, ours []byte, entries []oracle.Entry) []oracle.Problem {
	t.Helper()
	diffs, err := oracle.Compare(official, ours)
	if err != nil {
		t.Fatal(err)
	}
	return oracle.Check(diffs, entries)
}

// TestNamesMakeNoDifference renames Getty's components to the names our
// spec uses (and to names neither uses), and moves its document-wide
// security onto each operation: none of it may show as a difference.
func TestNamesMakeNoDifference(t *testing.T) {
	official, _, _, _ := files(t)
	for _, names := range []map[string]string{
		{"ProductTypeForDownloads": "ProductType", "DownloadFileType": "FileType", "User": "DownloadUser", "Dimensions": "DownloadDimensions", "Api-Key": "ApiKey"},
		{"ProductTypeForDownloads": "A", "DownloadFileType": "B", "User": "C", "Dimensions": "D", "HistoricalDownload": "E", "Api-Key": "F", "OAuth2": "G"},
	} {
		renamed := renameOfficial(t, official, names)
		diffs, err := oracle.Compare(official, renamed)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range diffs {
			t.Errorf("renaming %v: %s", names, d)
		}
	}
}

// renameOfficial renames components of Getty's document, rewriting every
// $ref and security requirement, and states its security per operation.
func renameOfficial(t *testing.T, official []byte, names map[string]string) []byte {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(official, &doc); err != nil {
		t.Fatal(err)
	}
	components := doc["components"].(map[string]any)
	for _, section := range []string{"schemas", "securitySchemes"} {
		m := components[section].(map[string]any)
		for from, to := range names {
			if v, ok := m[from]; ok {
				delete(m, from)
				m[to] = v
			}
		}
	}
	renameReqs := func(reqs []any) []any {
		var out []any
		for _, r := range reqs {
			req := map[string]any{}
			for k, v := range r.(map[string]any) {
				if to, ok := names[k]; ok {
					k = to
				}
				req[k] = v
			}
			out = append(out, req)
		}
		return out
	}
	security := renameReqs(doc["security"].([]any))
	delete(doc, "security")
	for _, item := range doc["paths"].(map[string]any) {
		for _, op := range item.(map[string]any) {
			op.(map[string]any)["security"] = security
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				name, found := strings.CutPrefix(ref, "#/components/schemas/")
				if to, ok := names[name]; found && ok {
					v["$ref"] = "#/components/schemas/" + to
				}
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(doc)
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStaleEntry(t *testing.T) {
	official, ours, listData, _ := files(t)
	diffs, err := oracle.Compare(official, ours)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := oracle.ParseList(listData)
	if err != nil {
		t.Fatal(err)
	}
	extra, err := oracle.ParseList([]byte(`differences:
  - key: "GET /v3/downloads#/parameters/query/sort_order"
    only_in: ours
    reason: A parameter our spec once had.
    evidence: [none]
  - key: "GET /v3/downloads#/parameters/query/page_size/schema/max"
    official: null
    ours: 500
    reason: The listed value differs from the spec's.
    evidence: [none]
`))
	if err != nil {
		t.Fatal(err)
	}
	got := oracle.Check(diffs, append(slices.Clone(entries), extra...))
	var stale []string
	for _, p := range got {
		if p.Kind == "stale" {
			stale = append(stale, p.Message)
		}
	}
	want := []string{
		"stale entry at line 2 matches no difference: GET /v3/downloads#/parameters/query/sort_order: only in our spec",
		"stale entry at line 6 matches no difference: GET /v3/downloads#/parameters/query/page_size/schema/max: Getty's document has nothing, ours has 500",
	}
	if !slices.Equal(stale, want) {
		t.Errorf("stale problems:\n\t%s\nwant:\n\t%s", strings.Join(stale, "\n\t"), strings.Join(want, "\n\t"))
	}
}

func TestEntryNeedsReasonAndEvidence(t *testing.T) {
	d := oracle.Difference{Key: "GET /v3/downloads#/parameters/query/start_date", OnlyIn: oracle.Ours}
	for _, tt := range []struct {
		name  string
		entry oracle.Entry
		want  []string
	}{
		{"complete", oracle.Entry{Difference: d, Reason: "r", Evidence: []string{"e"}, Line: 3}, nil},
		{"no reason", oracle.Entry{Difference: d, Reason: " ", Evidence: []string{"e"}, Line: 3},
			[]string{"entry at line 3 (" + d.Key + ") has no reason"}},
		{"no evidence", oracle.Entry{Difference: d, Reason: "r", Line: 3},
			[]string{"entry at line 3 (" + d.Key + ") has no evidence, or an empty item"}},
		{"empty evidence item", oracle.Entry{Difference: d, Reason: "r", Evidence: []string{"e", ""}, Line: 3},
			[]string{"entry at line 3 (" + d.Key + ") has no evidence, or an empty item"}},
	} {
		var got []string
		for _, p := range oracle.Check([]oracle.Difference{d}, []oracle.Entry{tt.entry}) {
			got = append(got, p.Message)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestParseListRejects(t *testing.T) {
	for _, list := range []string{
		"differences:\n  - key: k\n    only_in: ours\n    reasons: typo\n",
		"differences:\n  - only_in: ours\n",
		"differences:\n  - key: k\n    only_in: both\n",
		"differences:\n  - key: k\n    only_in: ours\n    ours: 1\n",
		"differences:\n  - key: k\n    ours: 1\n",
		"surprise: true\n",
	} {
		if _, err := oracle.ParseList([]byte(list)); err == nil {
			t.Errorf("ParseList accepted %q", list)
		}
	}
}

// TestDraft checks -update's rewrite: reviewed entries kept, drafts added
// for unlisted differences (failing until filled in), stale entries gone,
// the header kept, and a second rewrite changing nothing.
func TestDraft(t *testing.T) {
	list := []byte(`# header line
#   kept as is

differences:
  - key: "#/b"
    only_in: ours
    reason: Reviewed, with a reason long enough to be folded over more than one line when the list is written again by the draft writer.
    evidence: [one, "two: with a colon"]
  - key: "#/gone"
    only_in: official
    reason: stale
    evidence: [x]
`)
	entries, err := oracle.ParseList(list)
	if err != nil {
		t.Fatal(err)
	}
	diffs := []oracle.Difference{
		{Key: "#/b", OnlyIn: oracle.Ours},
		{Key: "#/a", Official: "date-time", Ours: nil},
		{Key: "#/c", Official: map[string]any{"x": 1.0}, Ours: []any{"y", "z\nw"}},
	}
	drafted, err := oracle.Draft(list, diffs, entries)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(drafted), "# header line\n#   kept as is\n\ndifferences:\n  - key: '#/a'\n") {
		t.Errorf("drafted list:\n%s", drafted)
	}
	again, err := oracle.ParseList(drafted)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 3 || again[1].Reason != entries[0].Reason || !slices.Equal(again[1].Evidence, entries[0].Evidence) {
		t.Errorf("drafted entries: %+v", again)
	}
	var kinds []string
	for _, p := range oracle.Check(diffs, again) {
		kinds = append(kinds, p.Kind+" "+p.Key)
	}
	want := []string{"incomplete #/a", "incomplete #/a", "incomplete #/c", "incomplete #/c"}
	if !slices.Equal(kinds, want) {
		t.Errorf("problems after drafting: %q, want %q", kinds, want)
	}
	// A list that is only its header, as when starting afresh, drafts too.
	none, err := oracle.ParseList([]byte("# header\n"))
	if err != nil || len(none) != 0 {
		t.Fatalf("a header-only list: %v, %v", none, err)
	}
	if fresh, err := oracle.Draft([]byte("# header\n"), diffs, none); err != nil || !strings.HasPrefix(string(fresh), "# header\ndifferences:\n  - key: '#/a'\n") {
		t.Errorf("drafting from a header-only list: %v\n%s", err, fresh)
	}
	twice, err := oracle.Draft(drafted, diffs, again)
	if err != nil {
		t.Fatal(err)
	}
	if string(twice) != string(drafted) {
		t.Errorf("a second rewrite changed the list:\n%s\nthen:\n%s", drafted, twice)
	}
}

// TestNamesLikeReportWords checks that names which are also words of
// oasdiff's report (added, modified, from) stay names in the keys.
func TestNamesLikeReportWords(t *testing.T) {
	doc := func(typ string) []byte {
		return []byte(`openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /things:
    get:
      parameters:
        - {in: query, name: modified, schema: {type: ` + typ + `}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  added: {type: ` + typ + `}
                  from: {type: object, properties: {to: {type: ` + typ + `}}}
`)
	}
	diffs, err := oracle.Compare(doc("string"), doc("integer"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range diffs {
		got = append(got, d.String())
	}
	const body = "GET /things#/responses/200/content/application~1json/schema/properties/"
	want := []string{
		"GET /things#/parameters/query/modified/schema/type/integer: only in our spec",
		"GET /things#/parameters/query/modified/schema/type/string: only in Getty's document",
		body + "added/type/integer: only in our spec",
		body + "added/type/string: only in Getty's document",
		body + "from/properties/to/type/integer: only in our spec",
		body + "from/properties/to/type/string: only in Getty's document",
	}
	if !slices.Equal(got, want) {
		t.Errorf("differences:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}
