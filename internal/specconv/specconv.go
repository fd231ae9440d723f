// Package specconv turns upstream API descriptions (Swagger 2.0 or OpenAPI
// 3.0.x) and OpenAPI Overlay documents into one validated OpenAPI 3 document.
//
// The pipeline is, for each upstream source: load it, apply its own overlay
// (which mends or normalizes that file, in its own format) and convert it to
// OpenAPI 3 with kin-openapi openapi2conv when it is Swagger 2.0. Then the
// sources are merged: identical definitions dedupe, and where two sources
// define an operation or a component differently, the one that supersedes
// the other wins, or the merge fails naming the first differing JSON pointer
// and both values. The main overlay is applied, every parameter, body and
// response is checked for a typed schema, every local $ref is checked, the
// document is validated with kin-openapi and rendered as YAML
// deterministically.
//
// Every overlay action matches exactly the number of nodes it declares
// (x-matches, 1 when absent); any other count is an error naming the action.
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
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// File is one named input: an upstream description or an overlay.
type File struct {
	// Name identifies the file in error messages, usually its path.
	Name string
	// Data is the file's content, YAML or JSON.
	Data []byte
}

// Source is one upstream API description with what the pipeline needs to
// know about it.
type Source struct {
	// File is the description, Swagger 2.0 or OpenAPI 3.0.x, byte-for-byte
	// as received.
	File
	// Overlay, when set, is applied to this file alone, in its own format,
	// before conversion and merging: it mends what blocks the conversion and
	// brings the file to the shape the main overlay expects.
	Overlay *File
	// Supersedes names the sources (by File.Name) this one wins over where
	// both define the same operation or component differently.
	Supersedes []string
}

// Config is the input of Convert.
type Config struct {
	// Sources are the upstream descriptions. Their order does not affect
	// the output; precedence is stated by Source.Supersedes.
	Sources []Source
	// Overlay, when set, is applied to the merged OpenAPI 3 document.
	Overlay *File
	// List names the sources list the Config was read from, if any, so
	// that messages can say what to change in it.
	List string
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

// converted is one source after its overlay and conversion: an OpenAPI 3
// document plus what error messages need to point back at the source.
type converted struct {
	src Source
	// raw is the upstream file as received, before its overlay.
	raw upstream
	doc map[string]any
}

// Convert runs the whole pipeline and returns the OpenAPI 3 document as YAML.
// The same inputs always produce the same bytes. Every problem found at one
// stage is reported together, one per line (see errors.Join).
func Convert(ctx context.Context, cfg Config) ([]byte, error) {
	if len(cfg.Sources) == 0 {
		return nil, errors.New("specconv: no upstream files")
	}
	sources := slices.Clone(cfg.Sources)
	slices.SortFunc(sources, func(a, b Source) int { return strings.Compare(a.Name, b.Name) })
	if err := checkPrecedence(sources); err != nil {
		return nil, err
	}

	parts := make([]converted, 0, len(sources))
	for _, src := range sources {
		c, err := convertSource(src)
		if err != nil {
			return nil, err
		}
		parts = append(parts, c)
	}

	merged, origins, err := merge(parts, cfg.List)
	if err != nil {
		return nil, err
	}
	// Actions that match the wrong number of nodes and untyped schemas are
	// reported together: a renamed parameter shows up as both.
	var problems []error
	if cfg.Overlay != nil {
		var actionErrs error
		if merged, actionErrs, err = applyOverlay(merged, *cfg.Overlay); err != nil {
			return nil, err
		}
		problems = append(problems, actionErrs)
	}
	if err := checkRefs(merged, origins, "the OpenAPI 3 document"); err != nil {
		return nil, errors.Join(append(problems, err)...)
	}
	problems = append(problems, checkTyped(merged, parts, origins, cfg.Overlay))
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	doc, err := validate(ctx, merged)
	if err != nil {
		return nil, err
	}
	return render(doc)
}

// convertSource loads one source, applies its overlay and converts it to
// OpenAPI 3.
func convertSource(src Source) (converted, error) {
	u, err := load(src.File)
	if err != nil {
		return converted{}, err
	}
	c := converted{src: src, raw: u, doc: u.doc}
	if src.Overlay != nil {
		var actionErrs error
		if c.doc, actionErrs, err = applyOverlay(deepCopy(u.doc).(map[string]any), *src.Overlay); err != nil {
			return converted{}, err
		}
		if actionErrs != nil {
			return converted{}, actionErrs
		}
	}
	if err := checkRefs(c.doc, nil, src.Name); err != nil {
		return converted{}, err
	}
	if u.format == swagger2 {
		if c.doc, err = toV3(c.doc, src.Name); err != nil {
			return converted{}, err
		}
	}
	return c, nil
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
				if _, ok := resolveRef(doc, ref); !ok && ref != "#" {
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

// toV3 converts a Swagger 2.0 document with kin-openapi.
func toV3(doc map[string]any, where string) (map[string]any, error) {
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
