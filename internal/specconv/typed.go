package specconv

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrUntyped reports a parameter, body, response or component schema
// without a type. oapi-codegen turns such a schema into interface{}, and its
// request builders panic on an unset interface{} parameter, so no untyped
// schema may reach the generator.
var ErrUntyped = errors.New("no typed schema")

// checkTyped is the gate before gen/: every parameter, request body,
// response body, response header and component schema of the merged
// document must have a typed schema, and every success response but 204
// must describe its body. Each finding names the upstream file, the JSON
// pointer and the overlay action that would state the type.
func checkTyped(doc map[string]any, parts []converted, origins map[string]string, ov *File) error {
	overlayName := "the main overlay"
	if ov != nil {
		overlayName = ov.Name
	}
	g := gate{doc: doc, parts: parts, origins: origins, overlay: overlayName}
	paths, _ := doc["paths"].(map[string]any)
	for _, p := range sortedKeys(paths) {
		item, _ := paths[p].(map[string]any)
		for _, method := range sortedKeys(item) {
			if !slices.Contains(httpMethods, method) {
				continue
			}
			op, _ := item[method].(map[string]any)
			g.operation(p, method, op)
		}
	}
	schemas, _ := lookup(doc, []string{"components", "schemas"}).(map[string]any)
	for _, name := range sortedKeys(schemas) {
		ptr := "/components/schemas/" + escape(name)
		if where, ok := g.typed(schemas[name], ptr, nil); !ok {
			g.fail(g.sourceOf(ptr), where, fmt.Sprintf("component schema %s has no type", name),
				fmt.Sprintf("$.components.schemas['%s']", name), "type: object  # or string, integer, number, boolean, array")
		}
	}
	return errors.Join(g.errs...)
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

type gate struct {
	doc     map[string]any
	parts   []converted
	origins map[string]string
	overlay string
	errs    []error
}

func (g *gate) operation(path, method string, op map[string]any) {
	opPtr := "/paths/" + escape(path) + "/" + method
	opName := strings.ToUpper(method) + " " + path
	opTarget := fmt.Sprintf("$.paths['%s'].%s", path, method)
	source := g.sourceOf(opPtr)

	params, _ := op["parameters"].([]any)
	for i, raw := range params {
		param, ptr := g.deref(raw, fmt.Sprintf("%s/parameters/%d", opPtr, i))
		name, _ := param["name"].(string)
		in, _ := param["in"].(string)
		if _, ok := param["content"].(map[string]any); ok {
			continue // typed through its media type, checked like a body
		}
		schema, ok := param["schema"]
		where := ptr + "/schema"
		if ok {
			where, ok = g.typed(schema, where, nil)
		}
		if !ok {
			file, upPtr := g.locateParam(source, path, method, in, name)
			if upPtr == "" {
				upPtr = where
			}
			g.fail(file, upPtr, fmt.Sprintf("%s parameter %q of %s has no type", in, name, opName),
				fmt.Sprintf("%s.parameters[?@.name == '%s']", opTarget, name),
				"schema:\n        type: string  # or integer, number, boolean, array, or a $ref")
		}
	}

	if raw, ok := op["requestBody"]; ok {
		body, ptr := g.deref(raw, opPtr+"/requestBody")
		g.content(source, body, ptr, "request body of "+opName, opTarget+".requestBody")
	}

	responses, _ := op["responses"].(map[string]any)
	for _, code := range sortedKeys(responses) {
		resp, ptr := g.deref(responses[code], opPtr+"/responses/"+escape(code))
		what := fmt.Sprintf("response %s of %s", code, opName)
		target := fmt.Sprintf("%s.responses['%s']", opTarget, code)
		if _, ok := resp["content"].(map[string]any); !ok && strings.HasPrefix(code, "2") && code != "204" {
			g.fail(source, ptr, what+" describes no body",
				target, "content:\n        application/json:\n          schema:\n            $ref: '#/components/schemas/...'")
			continue
		}
		g.content(source, resp, ptr, what, target)
		headers, _ := resp["headers"].(map[string]any)
		for _, h := range sortedKeys(headers) {
			header, hptr := g.deref(headers[h], ptr+"/headers/"+escape(h))
			if where, ok := g.typed(header["schema"], hptr+"/schema", nil); !ok {
				g.fail(source, where, fmt.Sprintf("header %s of %s has no type", h, what),
					fmt.Sprintf("%s.headers['%s']", target, h), "schema:\n        type: string")
			}
		}
	}
}

// content checks every media type of a body.
func (g *gate) content(source string, holder map[string]any, ptr, what, target string) {
	content, _ := holder["content"].(map[string]any)
	for _, mt := range sortedKeys(content) {
		media, _ := content[mt].(map[string]any)
		if where, ok := g.typed(media["schema"], ptr+"/content/"+escape(mt)+"/schema", nil); !ok {
			g.fail(source, where, fmt.Sprintf("%s (%s) has no type", what, mt),
				fmt.Sprintf("%s.content['%s']", target, mt),
				"schema:\n        $ref: '#/components/schemas/...'  # or an inline typed schema")
		}
	}
}

// typed reports whether a schema, and every schema inside it, has a type;
// when not, it returns the pointer of the first untyped one.
func (g *gate) typed(v any, ptr string, seen []string) (string, bool) {
	s, ok := v.(map[string]any)
	if !ok {
		return ptr, false
	}
	if ref, ok := s["$ref"].(string); ok {
		if slices.Contains(seen, ref) {
			return "", true
		}
		target, ok := resolveRef(g.doc, ref)
		if !ok {
			return ptr, true // reported by checkRefs, with its own message
		}
		return g.typed(target, strings.TrimPrefix(ref, "#"), append(seen, ref))
	}
	for _, key := range []string{"allOf", "oneOf", "anyOf"} {
		list, ok := s[key].([]any)
		if !ok || len(list) == 0 {
			continue
		}
		for i, sub := range list {
			if where, ok := g.typed(sub, fmt.Sprintf("%s/%s/%d", ptr, key, i), seen); !ok {
				return where, false
			}
		}
		return "", true
	}
	switch t := s["type"].(type) {
	case string:
		if t == "" {
			return ptr, false
		}
	case []any:
		if len(t) == 0 {
			return ptr, false
		}
	default:
		return ptr, false
	}
	props, _ := s["properties"].(map[string]any)
	for _, name := range sortedKeys(props) {
		if where, ok := g.typed(props[name], ptr+"/properties/"+escape(name), seen); !ok {
			return where, false
		}
	}
	if extra, ok := s["additionalProperties"].(map[string]any); ok && len(extra) > 0 {
		if where, ok := g.typed(extra, ptr+"/additionalProperties", seen); !ok {
			return where, false
		}
	}
	if s["type"] == "array" {
		return g.typed(s["items"], ptr+"/items", seen)
	}
	return "", true
}

// deref follows a local $ref of a parameter, body, response or header.
func (g *gate) deref(v any, ptr string) (map[string]any, string) {
	m, _ := v.(map[string]any)
	if ref, ok := m["$ref"].(string); ok {
		if target, ok := resolveRef(g.doc, ref); ok {
			if t, ok := target.(map[string]any); ok {
				return t, strings.TrimPrefix(ref, "#")
			}
		}
	}
	return m, ptr
}

// sourceOf names the source an operation or component came from, or the
// main overlay when no source defined it.
func (g *gate) sourceOf(ptr string) string {
	if s, ok := g.origins[ptr]; ok {
		return s
	}
	return g.overlay
}

// locateParam finds a parameter in the upstream file as received and
// returns the file and the parameter's pointer there. A parameter the
// file does not have came from an overlay: the source's own, or the main one.
func (g *gate) locateParam(source, path, method, in, name string) (string, string) {
	for _, p := range g.parts {
		if p.src.Name != source {
			continue
		}
		params, _ := lookup(p.raw.doc, []string{"paths", path, method, "parameters"}).([]any)
		for i, raw := range params {
			m, _ := raw.(map[string]any)
			if m["name"] == name && m["in"] == in {
				return source, fmt.Sprintf("/paths/%s/%s/parameters/%d", escape(path), method, i)
			}
		}
		if p.src.Overlay != nil {
			return p.src.Overlay.Name + " (which adds it to " + source + ")", ""
		}
	}
	return g.overlay, ""
}

func (g *gate) fail(file, ptr, what, target, update string) {
	g.errs = append(g.errs, &Error{File: file, Pointer: ptr, Err: fmt.Errorf(
		"%w: %s, so oapi-codegen would generate interface{} or nothing; state it in %s:\n"+
			"  - target: %s\n"+
			"    description: \"[docs] <what it is, and where that fact comes from>\"\n"+
			"    update:\n"+
			"      %s",
		ErrUntyped, what, g.overlay, target, update)})
}

// resolveRef returns the node a local $ref points at.
func resolveRef(doc map[string]any, ref string) (any, bool) {
	frag, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, false
	}
	var cur any = doc
	for _, tok := range strings.Split(frag, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return cur, true
}
