// Package oracle compares the project's spec with the OpenAPI document Getty
// Images publishes, so that every way the two differ is known and reviewed.
//
// Compare loads both documents, puts them in a form where naming and layout
// choices cannot make or hide a difference, and diffs them with oasdiff's diff
// package, Getty's document as the base and ours as the revision. The diff
// report is then flattened into one Difference per leaf: something only one
// document has (a parameter, a response, an enum value, a required property)
// or a value both have that differs (a type, a format, a bound, nullable).
// Each leaf is named by a key that says where it is: the operation and a JSON
// pointer into the diff report below it, such as
//
//	GET /v3/downloads#/parameters/query/page_size/schema/max
//
// Prose is not compared: descriptions, summaries, titles, examples, tags,
// operation ids and x- extensions, nor the info object and the openapi
// version. What the documents call their components is not compared either:
// schemas, responses and parameters are compared where operations use them,
// resolved, and security schemes by what they are (type, and where an API key
// goes), not by their names.
//
// The reviewed list of intended differences lives in
// spec/official-differences.yaml; Check says which differences it does not
// list, which of its entries match no difference, and which entries lack a
// reason or evidence.
package oracle

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oasdiff/oasdiff/diff"
	"github.com/oasdiff/oasdiff/load"
)

// Files of the comparison, relative to the module root.
const (
	OfficialFile = "spec/official/getty-v3-downloads.yaml"
	OursFile     = "spec/openapi.yaml"
	ListFile     = "spec/official-differences.yaml"
)

// Which document has something the other lacks (Difference.OnlyIn).
const (
	Ours     = "ours"
	Official = "official"
)

// Difference is one way our spec differs from Getty's published document.
type Difference struct {
	// Key says where the difference is: the method and path of the
	// operation, if any, then "#" and a JSON pointer (RFC 6901) into the
	// oasdiff diff report, with oasdiff's "modified" levels left out.
	Key string
	// OnlyIn is Ours or Official when one document has what Key names and
	// the other does not; it is empty when both have it with different
	// values.
	OnlyIn string
	// Official and Ours are the differing values (nil when unset), when
	// OnlyIn is empty.
	Official, Ours any
}

func (d Difference) String() string {
	switch d.OnlyIn {
	case Ours:
		return d.Key + ": only in our spec"
	case Official:
		return d.Key + ": only in Getty's document"
	}
	return fmt.Sprintf("%s: Getty's document has %s, ours has %s", d.Key, show(d.Official), show(d.Ours))
}

// Same reports whether d and e are the same difference: the same key and
// the same values.
func (d Difference) Same(e Difference) bool {
	return d.Key == e.Key && d.OnlyIn == e.OnlyIn &&
		canonical(d.Official) == canonical(e.Official) && canonical(d.Ours) == canonical(e.Ours)
}

// compareDiffs orders differences by key, then by side and values.
func compareDiffs(a, b Difference) int {
	return strings.Compare(a.Key+"\x00"+a.OnlyIn+"\x00"+canonical(a.Official)+"\x00"+canonical(a.Ours),
		b.Key+"\x00"+b.OnlyIn+"\x00"+canonical(b.Official)+"\x00"+canonical(b.Ours))
}

func show(v any) string {
	if v == nil {
		return "nothing"
	}
	return canonical(v)
}

// canonical is v as JSON, so that values read from YAML (int 100) and from
// the diff report (float64 100) compare equal.
func canonical(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// diffConfig leaves prose out of the diff. The operation id, which oasdiff
// has no option for, is skipped by the flattener.
func diffConfig() *diff.Config {
	return diff.NewConfig(diff.WithExcludeElements([]string{
		diff.ExcludeDescriptionOption,
		diff.ExcludeSummaryOption,
		diff.ExcludeTitleOption,
		diff.ExcludeExamplesOption,
		diff.ExcludeTagsOption,
		diff.ExcludeExtensionsOption,
		// The endpoints view repeats the paths view.
		diff.ExcludeEndpointsOption,
	}))
}

// ignoredTop are parts of the diff report that say nothing about the API:
// the document's metadata and the version of OpenAPI it is written in.
var ignoredTop = []string{"info", "openAPI", "externalDocs"}

// Compare returns every difference between Getty's published document and
// our spec, sorted by key. Both are OpenAPI 3 documents, as YAML or JSON.
func Compare(official, ours []byte) ([]Difference, error) {
	base, err := loadDoc(official, "official")
	if err != nil {
		return nil, err
	}
	revision, err := loadDoc(ours, "ours")
	if err != nil {
		return nil, err
	}
	normalize(base, revision)
	report, err := diff.Get(diffConfig(), base, revision)
	if err != nil {
		return nil, fmt.Errorf("oracle: diffing the documents: %w", err)
	}
	if report == nil {
		return nil, nil
	}
	raw, err := json.Marshal(report)
	if err != nil {
		return nil, fmt.Errorf("oracle: encoding the diff report: %w", err)
	}
	var tree map[string]any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return nil, fmt.Errorf("oracle: decoding the diff report: %w", err)
	}
	for _, k := range ignoredTop {
		delete(tree, k)
	}
	var f flattener
	f.walk(tree, nil)
	slices.SortFunc(f.out, compareDiffs)
	return f.out, nil
}

// loadDoc loads a document with a loader of its own (oasdiff's advice: a
// loader caches documents by name) and resolves its references.
func loadDoc(data []byte, name string) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	info, err := load.NewSpecInfoFromData(loader, data, name+".yaml")
	if err != nil {
		return nil, fmt.Errorf("oracle: loading the %s document: %w", name, err)
	}
	if info.Spec.Paths == nil {
		return nil, fmt.Errorf("oracle: the %s document has no paths", name)
	}
	return info.Spec, nil
}

// normalize rewrites both loaded documents, in memory, so that choices of
// naming and layout neither make nor hide a difference:
//
//   - each operation carries the security that applies to it, its own or
//     else the document's, so a requirement stated once for the document
//     and one stated per operation compare alike;
//   - Getty's security schemes take the names of ours where they are the
//     same kind of scheme (Api-Key and ApiKey are both an apiKey in the
//     Api-Key header), so the requirements compare by what they demand;
//   - of the components only the security schemes are kept: schemas,
//     responses, parameters and headers are compared where the operations
//     use them, resolved, whatever their component names, and a component
//     no operation uses is not part of the API.
func normalize(official, ours *openapi3.T) {
	for _, doc := range []*openapi3.T{official, ours} {
		for _, item := range doc.Paths.Map() {
			for _, op := range item.Operations() {
				if op.Security == nil && doc.Security != nil {
					sec := slices.Clone(doc.Security)
					op.Security = &sec
				}
			}
		}
		doc.Security = nil
	}
	renameSchemes(official, schemeNames(official, ours))
	for _, doc := range []*openapi3.T{official, ours} {
		var schemes openapi3.SecuritySchemes
		if doc.Components != nil {
			schemes = doc.Components.SecuritySchemes
		}
		doc.Components = &openapi3.Components{SecuritySchemes: schemes}
	}
}

// schemeKind is what a security scheme is, whatever it is called. For
// oauth2 and openIdConnect it is the type alone, so such a scheme is matched
// only when each document has one of that type.
func schemeKind(s *openapi3.SecurityScheme) string {
	switch s.Type {
	case "apiKey":
		return "apiKey " + s.In + " " + s.Name
	case "http":
		return "http " + strings.ToLower(s.Scheme)
	}
	return s.Type
}

// schemeNames maps the name of each security scheme of official to the
// name of the scheme of ours of the same kind, where each side has exactly
// one scheme of that kind.
func schemeNames(official, ours *openapi3.T) map[string]string {
	byKind := func(doc *openapi3.T) map[string][]string {
		m := map[string][]string{}
		if doc.Components == nil {
			return m
		}
		for name, ref := range doc.Components.SecuritySchemes {
			if ref != nil && ref.Value != nil {
				k := schemeKind(ref.Value)
				m[k] = append(m[k], name)
			}
		}
		return m
	}
	theirs, mine := byKind(official), byKind(ours)
	rename := map[string]string{}
	for kind, names := range theirs {
		if len(names) == 1 && len(mine[kind]) == 1 && names[0] != mine[kind][0] {
			rename[names[0]] = mine[kind][0]
		}
	}
	return rename
}

func renameSchemes(doc *openapi3.T, rename map[string]string) {
	if len(rename) == 0 {
		return
	}
	renameReqs := func(reqs openapi3.SecurityRequirements) {
		for i, req := range reqs {
			renamed := openapi3.SecurityRequirement{}
			for name, scopes := range req {
				if to, ok := rename[name]; ok {
					name = to
				}
				renamed[name] = scopes
			}
			reqs[i] = renamed
		}
	}
	renameReqs(doc.Security)
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.Security != nil {
				renameReqs(*op.Security)
			}
		}
	}
	if doc.Components == nil {
		return
	}
	schemes := openapi3.SecuritySchemes{}
	for name, ref := range doc.Components.SecuritySchemes {
		if to, ok := rename[name]; ok {
			name = to
		}
		schemes[name] = ref
	}
	doc.Components.SecuritySchemes = schemes
}

// flattener turns oasdiff's diff report, as JSON, into Differences. It
// knows the report's few shapes: {from, to} for a value that changed,
// added/deleted for what only one side has, modified for what both have
// and differs. Anything else it does not know is still reported, as a
// value, so nothing in the report is dropped unseen.
type flattener struct {
	out []Difference
}

func (f *flattener) walk(v any, at []string) {
	m, ok := v.(map[string]any)
	if !ok {
		// A flag such as enumAdded, or a shape this code does not know.
		f.emit(at, "", nil, v)
		return
	}
	if isValueDiff(m) {
		f.emit(at, "", m["from"], m["to"])
		return
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if k == "operationID" && isOperation(at) {
			continue
		}
		switch v := m[k]; k {
		case "added":
			f.presence(v, at, Ours)
		case "deleted":
			f.presence(v, at, Official)
		case "modified":
			f.modified(v, at)
		case "stringsdiff":
			// required: {stringsdiff: {added, deleted}}
			f.walk(v, at)
		case "listAdded", "listDeleted":
			// The security list as a whole: its requirements are
			// reported one by one beside this flag.
		default:
			f.walk(v, append(slices.Clone(at), k))
		}
	}
}

func isValueDiff(m map[string]any) bool {
	if len(m) == 0 || len(m) > 2 {
		return false
	}
	for k := range m {
		if k != "from" && k != "to" {
			return false
		}
	}
	return true
}

// presence reports what one side has and the other lacks: a name, a list of
// names, names grouped by location (parameters), or a flag for the node at
// hand (an OAuth flow).
func (f *flattener) presence(v any, at []string, side string) {
	switch v := v.(type) {
	case bool:
		if v {
			f.emit(at, side, nil, nil)
		}
	case []any:
		for _, e := range v {
			f.emit(append(slices.Clone(at), name(e)), side, nil, nil)
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			f.presence(v[k], append(slices.Clone(at), k), side)
		}
	default:
		f.emit(append(slices.Clone(at), name(v)), side, nil, nil)
	}
}

// isOperation reports whether at is an operation: paths/P/operations/M.
func isOperation(at []string) bool {
	return len(at) == 4 && at[0] == "paths" && at[2] == "operations"
}

// modified descends into what both sides have and differs: a map from
// names (of paths, operations, responses, properties, media types, ...) to
// their diffs, for parameters grouped by location first, or a list.
// Names are taken as names here, never as the report's own words, so a
// property called "added" is just a property.
func (f *flattener) modified(v any, at []string) {
	if byName, ok := v.(map[string]any); ok {
		grouped := len(at) > 0 && at[len(at)-1] == "parameters"
		for _, k := range slices.Sorted(maps.Keys(byName)) {
			child := append(slices.Clone(at), k)
			inner, ok := byName[k].(map[string]any)
			if !grouped || !ok {
				f.walk(byName[k], child)
				continue
			}
			for _, name := range slices.Sorted(maps.Keys(inner)) {
				f.walk(inner[name], append(slices.Clone(child), name))
			}
		}
		return
	}
	list, ok := v.([]any)
	if !ok {
		f.walk(v, at)
		return
	}
	// Lists of modified items: subschemas ({base, revision, diff}) and
	// security requirements ({base, revision, scopes}), named by their
	// base side.
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			f.emit(at, "", nil, e)
			continue
		}
		item := append(slices.Clone(at), name(m["base"]))
		switch {
		case m["diff"] != nil:
			f.walk(m["diff"], item)
		case m["scopes"] != nil:
			f.walk(m["scopes"], append(item, "scopes"))
		default:
			f.emit(item, "", nil, e)
		}
	}
}

// name names a list element of the report: a string as itself, a security
// requirement by its schemes ("ApiKey AND OAuth2"), a subschema by its
// index, anything else as JSON.
func name(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if schemes, ok := v["schemes"].(map[string]any); ok {
			var parts []string
			for _, s := range slices.Sorted(maps.Keys(schemes)) {
				part := s
				if scopes, _ := schemes[s].([]any); len(scopes) > 0 {
					part += fmt.Sprint(scopes)
				}
				parts = append(parts, part)
			}
			return strings.Join(parts, " AND ")
		}
		if i, ok := v["index"].(float64); ok {
			return fmt.Sprintf("#%d", int(i))
		}
	}
	return canonical(v)
}

func (f *flattener) emit(at []string, onlyIn string, official, ours any) {
	f.out = append(f.out, Difference{Key: key(at), OnlyIn: onlyIn, Official: official, Ours: ours})
}

// key renders a location in the report. Under paths/P/operations/M the
// operation leads ("GET /v3/downloads#/parameters/..."); elsewhere the key
// is a pointer from the report's root ("#/servers/...").
func key(at []string) string {
	var b strings.Builder
	rest := at
	if len(at) >= 2 && at[0] == "paths" {
		if len(at) >= 4 && at[2] == "operations" {
			b.WriteString(at[3] + " " + at[1])
			rest = at[4:]
		} else {
			b.WriteString(at[1])
			rest = at[2:]
		}
	}
	b.WriteString("#")
	for _, s := range rest {
		b.WriteString("/" + escape(s))
	}
	return b.String()
}

func escape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
