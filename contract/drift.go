package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// bodyDrift reports the fields of a JSON body that its schema does not
// declare. Getty marks its objects additionalProperties: false in its own
// spec yet adds fields over time, so the project's spec tolerates them and
// this walk reports them, separately from violations.
func (v *Validator) bodyDrift(data []byte, schema *openapi3.SchemaRef, base Finding) []Finding {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var value any
	if err := dec.Decode(&value); err != nil {
		return nil // not JSON: openapi3filter reports what is wrong with it
	}
	return v.valueDrift(value, schema, base)
}

// valueDrift is bodyDrift for a body already decoded.
func (v *Validator) valueDrift(value any, schema *openapi3.SchemaRef, base Finding) []Finding {
	var all []found
	v.walkDrift(value, schema, nil, func(ptr []string, msg string) { all = append(all, found{ptr, msg}) })
	return driftFindings(all, base)
}

// driftFindings turns what a drift walk found into findings, in document
// order.
func driftFindings(all []found, base Finding) []Finding {
	if len(all) == 0 {
		return nil
	}
	// The walk follows the maps' random order; report in document order.
	slices.SortFunc(all, func(a, b found) int { return slices.CompareFunc(a.ptr, b.ptr, compareToken) })
	out := make([]Finding, 0, len(all))
	for _, d := range all {
		f := base
		f.Kind, f.Pointer, f.Message = Drift, jsonPointer(d.ptr), d.msg
		if base.InRequest {
			f.Message = "request body: " + d.msg
		}
		out = append(out, f)
	}
	return out
}

// compareToken orders JSON pointer tokens: array indices by number, keys
// by text.
func compareToken(a, b string) int {
	ai, aerr := strconv.Atoi(a)
	bi, berr := strconv.Atoi(b)
	if aerr == nil && berr == nil {
		return ai - bi
	}
	return strings.Compare(a, b)
}

func (v *Validator) walkDrift(value any, ref *openapi3.SchemaRef, ptr []string, report func([]string, string)) {
	if ref == nil || ref.Value == nil {
		return
	}
	switch value := value.(type) {
	case map[string]any:
		sh := v.shape(ref.Value)
		if len(sh.props) == 0 && sh.extra == nil {
			return // a free-form object
		}
		var unknown []string
		for k, e := range value {
			switch {
			case sh.props[k] != nil:
				v.walkDrift(e, sh.props[k], append(ptr[:len(ptr):len(ptr)], k), report)
			case sh.extra != nil:
				v.walkDrift(e, sh.extra, append(ptr[:len(ptr):len(ptr)], k), report)
			case !sh.open:
				unknown = append(unknown, k)
			}
		}
		slices.Sort(unknown) // a stable report whatever the map's order
		for _, k := range unknown {
			report(append(ptr[:len(ptr):len(ptr)], k), fmt.Sprintf("field %q is not in the spec", k))
		}
	case []any:
		if items := v.shape(ref.Value).items; items != nil {
			for i, item := range value {
				v.walkDrift(item, items, append(ptr[:len(ptr):len(ptr)], strconv.Itoa(i)), report)
			}
		}
	}
}

// objectShape is what the drift walk needs of a schema, computed once per
// schema: its properties merged with those of its allOf, oneOf and anyOf
// branches, its additionalProperties schema, whether additional properties
// are explicitly allowed, and the first items schema.
type objectShape struct {
	props map[string]*openapi3.SchemaRef
	extra *openapi3.SchemaRef
	open  bool
	items *openapi3.SchemaRef
}

// shape returns the cached objectShape of s.
func (v *Validator) shape(s *openapi3.Schema) *objectShape {
	if sh, ok := v.shapes.Load(s); ok {
		return sh.(*objectShape)
	}
	sh := &objectShape{props: map[string]*openapi3.SchemaRef{}}
	for _, sub := range allSchemas(s) {
		for k, p := range sub.Properties {
			if sh.props[k] == nil {
				sh.props[k] = p
			}
		}
		if sub.AdditionalProperties.Schema != nil && sh.extra == nil {
			sh.extra = sub.AdditionalProperties.Schema
		}
		if h := sub.AdditionalProperties.Has; h != nil && *h {
			sh.open = true
		}
		if sub.Items != nil && sh.items == nil {
			sh.items = sub.Items
		}
	}
	actual, _ := v.shapes.LoadOrStore(s, sh)
	return actual.(*objectShape)
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
