//go:build tools

// This file pins the command-line tools the Makefile and go generate run, so
// that they are the versions recorded in go.mod.
package getty

import (
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
	_ "github.com/oasdiff/oasdiff"
)
