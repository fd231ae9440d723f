//go:build ignore

// This file lists the command-line tools that go generate and the Makefile
// run. Their versions are pinned by the tool directives in go.mod, and they
// run as `go tool oapi-codegen` and `go tool oasdiff`.
//
// The ignore build tag keeps this file out of every build and out of
// `go mod tidy`, so that the tools and their dependencies never reach the
// go.mod of a module that imports this one (an import here under a "tools"
// tag would add them all). TestToolsMatchGoMod keeps this list and go.mod's
// tool block the same.
package tools

import (
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
	_ "github.com/oasdiff/oasdiff"
)
