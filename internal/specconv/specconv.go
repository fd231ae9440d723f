// Package specconv turns upstream API descriptions (Swagger 2.0 or OpenAPI
// 3.0.x) and OpenAPI Overlay documents into one validated OpenAPI 3 document.
//
// The pipeline is: load every upstream file, merge them (identical operations
// dedupe, conflicting ones are an error), apply the Swagger 2.0 overlay to the
// merged Swagger 2.0 input, convert it with kin-openapi openapi2conv, merge in
// any OpenAPI 3 inputs, apply the main overlay, check every local $ref,
// validate with kin-openapi and render YAML deterministically.
package specconv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/speakeasy-api/openapi/overlay"
	"gopkg.in/yaml.v3"
)

// File is one named input: an upstream description or an overlay.
type File struct {
	// Name identifies the file in error messages, usually its path.
	Name string
	// Data is the file's content, YAML or JSON.
	Data []byte
}

// Config is the input of Convert.
type Config struct {
	// Upstream holds the API descriptions, Swagger 2.0 or OpenAPI 3.0.x.
	// Their order does not affect the output.
	Upstream []File
	// Swagger2Overlay, when set, is applied to the merged Swagger 2.0 input
	// before conversion. It mends what blocks the conversion itself.
	Swagger2Overlay *File
	// Overlay, when set, is applied to the OpenAPI 3 document.
	Overlay *File
}

// Error is a conversion failure located in one input file and, where there
// is one, at a JSON pointer inside it.
type Error struct {
	// File names the input that was wrong.
	File string
	// Pointer is the RFC 6901 JSON pointer of the offending node, or empty.
	Pointer string
	// Err is the underlying cause.
	Err error
}

func (e *Error) Error() string {
	if e.Pointer != "" {
		return fmt.Sprintf("%s: at %s: %v", e.File, e.Pointer, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrUnknownFormat reports an upstream file that is neither Swagger 2.0 nor
// OpenAPI 3.0.x.
var ErrUnknownFormat = errors.New("neither Swagger 2.0 nor OpenAPI 3.0.x")

type format int

const (
	swagger2 format = iota + 1
	openapi3x
)

type upstream struct {
	name   string
	format format
	doc    map[string]any
}

// Convert runs the whole pipeline and returns the OpenAPI 3 document as YAML.
// The same inputs always produce the same bytes.
func Convert(ctx context.Context, cfg Config) ([]byte, error) {
	if len(cfg.Upstream) == 0 {
		return nil, errors.New("specconv: no upstream files")
	}
	files := slices.Clone(cfg.Upstream)
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Name, b.Name) })

	var v2, v3 []upstream
	for _, f := range files {
		u, err := load(f)
		if err != nil {
			return nil, err
		}
		if u.format == swagger2 {
			v2 = append(v2, u)
		} else {
			v3 = append(v3, u)
		}
	}

	origins := map[string]string{} // JSON pointer of an operation → file that defined it
	var merged map[string]any
	if len(v2) > 0 {
		doc, err := merge(v2, swagger2Sections, origins)
		if err != nil {
			return nil, err
		}
		if cfg.Swagger2Overlay != nil {
			if doc, err = applyOverlay(doc, *cfg.Swagger2Overlay); err != nil {
				return nil, err
			}
		}
		if err := checkRefs(doc, origins, "the merged Swagger 2.0 input"); err != nil {
			return nil, err
		}
		if merged, err = toV3(doc, v2); err != nil {
			return nil, err
		}
	}
	if len(v3) > 0 {
		parts := v3
		if merged != nil {
			parts = append([]upstream{{name: v2[0].name, format: openapi3x, doc: merged}}, v3...)
		}
		doc, err := merge(parts, openapi3Sections, origins)
		if err != nil {
			return nil, err
		}
		merged = doc
	}

	if cfg.Overlay != nil {
		var err error
		if merged, err = applyOverlay(merged, *cfg.Overlay); err != nil {
			return nil, err
		}
	}
	if err := checkRefs(merged, origins, "the OpenAPI 3 document"); err != nil {
		return nil, err
	}
	doc, err := validate(ctx, merged)
	if err != nil {
		return nil, err
	}
	return render(doc)
}

// load parses one upstream file and detects its format.
func load(f File) (upstream, error) {
	root, err := parseYAML(f)
	if err != nil {
		return upstream{}, err
	}
	v, err := nodeValue(root, "")
	if err != nil {
		return upstream{}, &Error{File: f.Name, Err: err}
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return upstream{}, &Error{File: f.Name, Err: fmt.Errorf("%w: the document is not a mapping", ErrUnknownFormat)}
	}
	u := upstream{name: f.Name, doc: doc}
	sw, _ := doc["swagger"].(string)
	oa, _ := doc["openapi"].(string)
	switch {
	case sw == "2.0":
		u.format = swagger2
	case strings.HasPrefix(oa, "3.0."):
		u.format = openapi3x
	case oa != "":
		return upstream{}, &Error{File: f.Name, Pointer: "/openapi", Err: fmt.Errorf("%w: version %q is not supported", ErrUnknownFormat, oa)}
	default:
		return upstream{}, &Error{File: f.Name, Err: fmt.Errorf("%w: no \"swagger: 2.0\" or \"openapi: 3.0.x\" field", ErrUnknownFormat)}
	}
	if _, ok := doc["paths"].(map[string]any); !ok && doc["paths"] != nil {
		return upstream{}, &Error{File: f.Name, Pointer: "/paths", Err: errors.New("paths is not a mapping")}
	}
	return u, nil
}

// parseYAML parses a single YAML (or JSON) document. A trailing empty
// document, as left by a closing "---", is allowed.
func parseYAML(f File) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(f.Data))
	var root *yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &Error{File: f.Name, Err: fmt.Errorf("malformed YAML: %w", err)}
		}
		if isEmptyDocument(&n) {
			continue
		}
		if root != nil {
			return nil, &Error{File: f.Name, Err: fmt.Errorf("malformed input: more than one YAML document (the second starts at line %d)", n.Line)}
		}
		root = &n
	}
	if root == nil {
		return nil, &Error{File: f.Name, Err: fmt.Errorf("%w: the file is empty", ErrUnknownFormat)}
	}
	return root, nil
}

func isEmptyDocument(n *yaml.Node) bool {
	if n.Kind == 0 {
		return true
	}
	if n.Kind == yaml.DocumentNode {
		return len(n.Content) == 0 || (n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!null")
	}
	return false
}

// nodeValue converts a YAML node into plain Go values with string keys, as
// JSON would have them. Numeric keys such as response codes become strings.
func nodeValue(n *yaml.Node, ptr string) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return nodeValue(n.Content[0], ptr)
	case yaml.AliasNode:
		return nil, fmt.Errorf("at %s (line %d): YAML aliases are not supported in API descriptions", pointerOrRoot(ptr), n.Line)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("at %s (line %d): mapping key is not a scalar", pointerOrRoot(ptr), k.Line)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("at %s (line %d): duplicate key %q", pointerOrRoot(ptr), k.Line, k.Value)
			}
			v, err := nodeValue(val, ptr+"/"+escape(k.Value))
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			v, err := nodeValue(c, fmt.Sprintf("%s/%d", ptr, i))
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("at %s (line %d): %w", pointerOrRoot(ptr), n.Line, err)
		}
		switch x := v.(type) {
		case int:
			return float64(x), nil
		case int64:
			return float64(x), nil
		case uint64:
			return float64(x), nil
		case float64, string, bool, nil:
			return x, nil
		default:
			// Timestamps and binary scalars: keep the text as written.
			return n.Value, nil
		}
	}
	return nil, fmt.Errorf("at %s: unexpected YAML node kind %d", pointerOrRoot(ptr), n.Kind)
}

func escape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func pointerOrRoot(ptr string) string {
	if ptr == "" {
		return "/"
	}
	return ptr
}

// Sections whose named entries are merged across files. Every other
// top-level field is taken from the first file (by name).
var (
	swagger2Sections = [][]string{{"definitions"}, {"parameters"}, {"responses"}, {"securityDefinitions"}}
	openapi3Sections = [][]string{
		{"components", "schemas"}, {"components", "parameters"}, {"components", "responses"},
		{"components", "requestBodies"}, {"components", "headers"}, {"components", "securitySchemes"},
		{"components", "examples"}, {"components", "links"}, {"components", "callbacks"},
	}
)

// merge combines documents of one format. Paths merge per path-item field
// (each HTTP method is one operation); named definitions merge per name. An
// entry defined twice must be identical.
func merge(docs []upstream, sections [][]string, origins map[string]string) (map[string]any, error) {
	out := deepCopy(docs[0].doc).(map[string]any)
	seen := map[string]string{} // pointer → file that defined it first
	walkEntries(out, sections, func(ptr string) {
		// docs[0] may itself be a merge (the converted Swagger 2.0 files):
		// keep the file each of its operations came from.
		if file, ok := origins[ptr]; ok {
			seen[ptr] = file
			return
		}
		seen[ptr] = docs[0].name
		if strings.HasPrefix(ptr, "/paths/") {
			origins[ptr] = docs[0].name
		}
	})
	for _, d := range docs[1:] {
		var err error
		walkEntriesWithValue(d.doc, sections, func(ptr string, container []string, key string, val any) {
			if err != nil {
				return
			}
			dst := ensureMap(out, container)
			if existing, ok := dst[key]; ok {
				if !reflect.DeepEqual(existing, val) {
					err = &Error{File: d.name, Pointer: ptr, Err: fmt.Errorf("defined differently in %s", seen[ptr])}
				}
				return
			}
			dst[key] = deepCopy(val)
			seen[ptr] = d.name
			if strings.HasPrefix(ptr, "/paths/") {
				origins[ptr] = d.name
			}
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func walkEntries(doc map[string]any, sections [][]string, fn func(ptr string)) {
	walkEntriesWithValue(doc, sections, func(ptr string, _ []string, _ string, _ any) { fn(ptr) })
}

// walkEntriesWithValue calls fn for every mergeable entry of doc in a stable
// order: each path-item field, then each named entry of every section.
func walkEntriesWithValue(doc map[string]any, sections [][]string, fn func(ptr string, container []string, key string, val any)) {
	if paths, ok := doc["paths"].(map[string]any); ok {
		for _, p := range sortedKeys(paths) {
			item, ok := paths[p].(map[string]any)
			if !ok {
				fn("/paths/"+escape(p), []string{"paths"}, p, paths[p])
				continue
			}
			for _, field := range sortedKeys(item) {
				fn("/paths/"+escape(p)+"/"+escape(field), []string{"paths", p}, field, item[field])
			}
		}
	}
	for _, sec := range sections {
		m, ok := lookup(doc, sec).(map[string]any)
		if !ok {
			continue
		}
		base := ""
		for _, s := range sec {
			base += "/" + escape(s)
		}
		for _, k := range sortedKeys(m) {
			fn(base+"/"+escape(k), sec, k, m[k])
		}
	}
}

func lookup(doc map[string]any, path []string) any {
	var cur any = doc
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func ensureMap(doc map[string]any, path []string) map[string]any {
	cur := doc
	for _, p := range path {
		next, ok := cur[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[p] = next
		}
		cur = next
	}
	return cur
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	default:
		return v
	}
}

// applyOverlay applies an OpenAPI Overlay document strictly: an action whose
// target matches nothing is an error.
func applyOverlay(doc map[string]any, f File) (map[string]any, error) {
	if _, err := parseYAML(f); err != nil {
		return nil, err
	}
	ov, err := overlay.ParseReader(bytes.NewReader(f.Data))
	if err != nil {
		return nil, &Error{File: f.Name, Err: fmt.Errorf("malformed overlay: %w", err)}
	}
	if ov.Version == "" || len(ov.Actions) == 0 {
		return nil, &Error{File: f.Name, Err: errors.New("not an OpenAPI Overlay document: no \"overlay\" version or no actions")}
	}
	if err := ov.Validate(); err != nil {
		return nil, &Error{File: f.Name, Err: fmt.Errorf("invalid overlay: %w", err)}
	}
	for i, a := range ov.Actions {
		if strings.TrimSpace(a.Description) == "" {
			return nil, &Error{File: f.Name, Pointer: fmt.Sprintf("/actions/%d", i), Err: errors.New("action has no description naming its source")}
		}
	}
	var node yaml.Node
	if err := node.Encode(doc); err != nil {
		return nil, &Error{File: f.Name, Err: err}
	}
	root := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{&node}}
	if _, err := ov.ApplyToStrict(root); err != nil {
		return nil, &Error{File: f.Name, Pointer: actionPointer(ov, err), Err: err}
	}
	v, err := nodeValue(root, "")
	if err != nil {
		return nil, &Error{File: f.Name, Err: fmt.Errorf("result of the overlay: %w", err)}
	}
	out, ok := v.(map[string]any)
	if !ok {
		return nil, &Error{File: f.Name, Err: errors.New("the overlay replaced the document root with a non-mapping")}
	}
	return out, nil
}

// actionPointer finds the action an overlay error is about, by its target.
func actionPointer(ov *overlay.Overlay, err error) string {
	msg := err.Error()
	for i, a := range ov.Actions {
		if strings.Contains(msg, fmt.Sprintf("%q", a.Target)) {
			return fmt.Sprintf("/actions/%d", i)
		}
	}
	return ""
}

// checkRefs reports the first local $ref that does not resolve, naming the
// upstream file that holds it when it sits inside an operation.
func checkRefs(doc map[string]any, origins map[string]string, what string) error {
	var walk func(v any, ptr string) error
	walk = func(v any, ptr string) error {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				if !strings.HasPrefix(ref, "#") {
					return refError(origins, what, ptr, fmt.Errorf("$ref %q is external; only local references are allowed", ref))
				}
				if !resolves(doc, ref) {
					return refError(origins, what, ptr, fmt.Errorf("$ref %q does not resolve", ref))
				}
			}
			for _, k := range sortedKeys(x) {
				if err := walk(x[k], ptr+"/"+escape(k)); err != nil {
					return err
				}
			}
		case []any:
			for i, e := range x {
				if err := walk(e, fmt.Sprintf("%s/%d", ptr, i)); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(doc, "")
}

func refError(origins map[string]string, what, ptr string, err error) error {
	file := what
	for op, name := range origins {
		if ptr == op || strings.HasPrefix(ptr, op+"/") {
			file = name
			break
		}
	}
	return &Error{File: file, Pointer: ptr + "/$ref", Err: err}
}

func resolves(doc map[string]any, ref string) bool {
	frag := strings.TrimPrefix(ref, "#")
	if frag == "" {
		return true
	}
	if !strings.HasPrefix(frag, "/") {
		return false
	}
	var cur any = doc
	for _, tok := range strings.Split(frag[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := cur.(type) {
		case map[string]any:
			next, ok := x[tok]
			if !ok {
				return false
			}
			cur = next
		default:
			return false
		}
	}
	return true
}

// toV3 converts the merged Swagger 2.0 document with kin-openapi.
func toV3(doc map[string]any, files []upstream) (map[string]any, error) {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.name
	}
	where := strings.Join(names, ", ")
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, &Error{File: where, Err: err}
	}
	var v2 openapi2.T
	if err := json.Unmarshal(data, &v2); err != nil {
		return nil, &Error{File: where, Err: fmt.Errorf("not a valid Swagger 2.0 document: %w", err)}
	}
	v3, err := openapi2conv.ToV3(&v2)
	if err != nil {
		return nil, &Error{File: where, Err: fmt.Errorf("converting Swagger 2.0 to OpenAPI 3: %w", err)}
	}
	out, err := json.Marshal(v3)
	if err != nil {
		return nil, &Error{File: where, Err: err}
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, &Error{File: where, Err: err}
	}
	return m, nil
}

// validate loads the final document with kin-openapi and validates it.
func validate(ctx context.Context, doc map[string]any) (*openapi3.T, error) {
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, &Error{File: "the OpenAPI 3 document", Err: err}
	}
	loader := openapi3.NewLoader()
	loader.Context = ctx
	t, err := loader.LoadFromData(data)
	if err != nil {
		return nil, &Error{File: "the OpenAPI 3 document", Err: fmt.Errorf("does not load: %w", err)}
	}
	if err := t.Validate(ctx); err != nil {
		return nil, &Error{File: "the OpenAPI 3 document", Err: fmt.Errorf("invalid: %w", err)}
	}
	return t, nil
}

// render writes the document as YAML with sorted keys.
func render(doc *openapi3.T) ([]byte, error) {
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString("# Code generated by specconv. DO NOT EDIT.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteFileAtomic writes data to path through a temporary file in the same
// directory, synced and renamed into place. On any failure the previous file
// is left untouched and the temporary file is removed.
func WriteFileAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
