package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
)

// bodyDrift reports the fields of a JSON body that its schema does not
// declare. Getty marks its objects additionalProperties: false in its own
// spec yet adds fields over time, so the project's spec tolerates them and
// this walk reports them, separately from violations.
func bodyDrift(data []byte, schema *openapi3.SchemaRef, base Finding) []Finding {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil // not JSON: openapi3filter reports what is wrong with it
	}
	var out []Finding
	walkDrift(v, schema, nil, func(ptr []string, msg string) {
		f := base
		f.Kind, f.Pointer, f.Message = Drift, jsonPointer(ptr), msg
		if base.InRequest {
			f.Message = "request body: " + msg
		}
		out = append(out, f)
	})
	return out
}

func walkDrift(v any, ref *openapi3.SchemaRef, ptr []string, report func([]string, string)) {
	if ref == nil || ref.Value == nil {
		return
	}
	switch v := v.(type) {
	case map[string]any:
		props, extra, open := objectShape(ref.Value)
		if len(props) == 0 && extra == nil {
			return // a free-form object
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := append(ptr[:len(ptr):len(ptr)], k)
			switch {
			case props[k] != nil:
				walkDrift(v[k], props[k], p, report)
			case extra != nil:
				walkDrift(v[k], extra, p, report)
			case !open:
				report(p, fmt.Sprintf("field %q is not in the spec", k))
			}
		}
	case []any:
		s := ref.Value
		for _, sub := range allSchemas(s) {
			if sub.Items != nil {
				for i, item := range v {
					walkDrift(item, sub.Items, append(ptr[:len(ptr):len(ptr)], strconv.Itoa(i)), report)
				}
				return
			}
		}
	}
}

// objectShape merges the properties of s and its allOf, oneOf and anyOf
// branches. open reports additionalProperties: true stated explicitly.
func objectShape(s *openapi3.Schema) (props map[string]*openapi3.SchemaRef, extra *openapi3.SchemaRef, open bool) {
	props = map[string]*openapi3.SchemaRef{}
	for _, sub := range allSchemas(s) {
		for k, p := range sub.Properties {
			if props[k] == nil {
				props[k] = p
			}
		}
		if sub.AdditionalProperties.Schema != nil && extra == nil {
			extra = sub.AdditionalProperties.Schema
		}
		if h := sub.AdditionalProperties.Has; h != nil && *h {
			open = true
		}
	}
	return props, extra, open
}

func allSchemas(s *openapi3.Schema) []*openapi3.Schema {
	out := []*openapi3.Schema{s}
	for _, list := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, r := range list {
			if r != nil && r.Value != nil {
				out = append(out, allSchemas(r.Value)...)
			}
		}
	}
	return out
}
