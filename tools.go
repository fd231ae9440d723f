//go:build tools

// This file pins the code generators in go.mod, so that go generate runs
// the versions the module was built with.
package getty

import (
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
)
