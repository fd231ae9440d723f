package getty

// The spec pipeline, then the client generator. Run with `go generate .` or
// `make generate` from the module root.
//
//go:generate go run ./cmd/specconv -sources spec/sources.yaml -out spec/openapi.yaml
//go:generate go tool oapi-codegen -config gen/config.yaml spec/openapi.yaml
