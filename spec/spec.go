// Package spec holds the OpenAPI 3 description of the Getty Images download
// API that the client is generated from and the contract checks validate
// against. The document is built by the spec pipeline (see generate.go) from
// the upstream files listed in spec/sources.yaml, each with its own overlay
// under spec/overlays, and the facts stated in spec/overlay.yaml.
package spec

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed openapi.yaml
var openapiYAML []byte

// YAML returns a copy of the embedded OpenAPI 3 document as YAML.
func YAML() []byte {
	return append([]byte(nil), openapiYAML...)
}

// Load parses and validates the embedded OpenAPI 3 document. Each call
// returns a new document, so callers may modify it.
func Load(ctx context.Context) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.Context = ctx
	doc, err := loader.LoadFromData(openapiYAML)
	if err != nil {
		return nil, fmt.Errorf("spec: parsing openapi.yaml: %w", err)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("spec: openapi.yaml is invalid: %w", err)
	}
	return doc, nil
}
