package getty

import (
	"bytes"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
)

// TestToolsMatchGoMod checks that tools.go lists exactly the tools go.mod
// pins with tool directives, and stays out of every build.
func TestToolsMatchGoMod(t *testing.T) {
	data, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	mod, err := modfile.Parse("go.mod", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	var pinned []string
	for _, tool := range mod.Tool {
		pinned = append(pinned, tool.Path)
	}
	src, err := os.ReadFile("tools.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(src, []byte("//go:build ignore\n")) {
		t.Error("tools.go must start with //go:build ignore: under any other tag its imports reach importers' go.mod")
	}
	f, err := parser.ParseFile(token.NewFileSet(), "tools.go", src, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		listed = append(listed, path)
	}
	slices.Sort(pinned)
	slices.Sort(listed)
	if len(pinned) == 0 || !slices.Equal(pinned, listed) {
		t.Fatalf("tools.go lists %v, go.mod's tool directives pin %v", listed, pinned)
	}
}

// TestImportIsLean tidies a module that imports only this package and
// checks that none of this module's tools reach its go.mod.
func TestImportIsLean(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs go mod tidy")
	}
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeFile("go.mod", "module example.com/consumer\n\ngo 1.26\n\nrequire github.com/gettykit/getty v0.0.0\n\nreplace github.com/gettykit/getty => "+strconv.Quote(root)+"\n")
	writeFile("main.go", "package main\n\nimport \"github.com/gettykit/getty\"\n\nfunc main() { _, _ = getty.New() }\n")
	cmd := exec.Command("go", "mod", "tidy")
	cmd.Dir = dir
	// Everything the consumer needs is already in the module cache.
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOPROXY=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	consumer, err := modfile.Parse("go.mod", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range consumer.Require {
		for _, tool := range []string{"oasdiff", "oapi-codegen/oapi-codegen/v2", "speakeasy", "cobra", "viper", "go-vcr", "rapid", "kin-openapi"} {
			if strings.Contains(req.Mod.Path, tool) {
				t.Errorf("importing the package adds %s to the importer's go.mod:\n%s", req.Mod.Path, data)
			}
		}
	}
	if len(consumer.Require) > 8 {
		t.Errorf("the importer's go.mod requires %d modules:\n%s", len(consumer.Require), data)
	}
}
