package getty_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/modfile"

	"github.com/gettykit/getty/gettytest"
)

// readmeBlock is a ```go block of README.md.
type readmeBlock struct {
	line int    // of the opening fence, 1-based
	src  string // without the fence's indentation
}

// readmeGoBlocks returns the ```go blocks of a Markdown file, indented ones
// (in list items) included.
func readmeGoBlocks(t *testing.T, path string) []readmeBlock {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var (
		blocks []readmeBlock
		cur    *readmeBlock
		indent string
		body   strings.Builder
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && trimmed == "```go":
			cur = &readmeBlock{line: n}
			indent = line[:strings.Index(line, "```")]
			body.Reset()
		case cur != nil && trimmed == "```":
			cur.src = body.String()
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			body.WriteString(strings.TrimPrefix(line, indent))
			body.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		t.Fatalf("%s:%d: the ```go block is not closed", path, cur.line)
	}
	return blocks
}

// TestREADMEGoBlocks builds and runs every ```go block of README.md as a
// reader would: in a module of their own that requires this one.
//
// The convention, so that every block runs as written: a ```go block is a
// complete Go file, package clause and imports included.
//
//   - package main: built, then run in an empty directory against a fake
//     server (package gettytest, with its default clock), pointed at it by
//     the variables `getty fake-server` prints (GETTY_BASE_URL,
//     GETTY_TOKEN_URL, GETTY_API_KEY, GETTY_API_SECRET). It must exit 0;
//     if it lists downloads it must print at least one of the fake's, and
//     if it downloads it must leave the file saved, and name it.
//   - a file with Test functions: run with go test; they must pass, none
//     skipped.
//   - any other package: compiled and vetted.
func TestREADMEGoBlocks(t *testing.T) {
	blocks := readmeGoBlocks(t, "README.md")
	if len(blocks) == 0 {
		t.Fatal("README.md has no ```go block: has the fence changed?")
	}
	type parsed struct {
		readmeBlock
		pkg   string
		tests bool
		dir   string // in the consumer module
	}
	readme, err := filepath.Abs("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var files []parsed
	for _, b := range blocks {
		// Positions in messages, the compiler's included, are README.md's.
		b.src = fmt.Sprintf("//line %s:%d\n%s", readme, b.line+1, b.src)
		f, err := parser.ParseFile(token.NewFileSet(), "README.md", b.src, parser.SkipObjectResolution)
		if err != nil {
			t.Errorf("README.md:%d: the ```go block is not a complete Go file (package clause, imports, declarations), "+
				"so readers cannot run it as written: %v", b.line, err)
			continue
		}
		p := parsed{readmeBlock: b, pkg: f.Name.Name, dir: "block" + strconv.Itoa(b.line)}
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") {
				p.tests = true
			}
		}
		files = append(files, p)
	}
	if t.Failed() {
		return
	}
	if testing.Short() {
		t.Skip("-short: the blocks were parsed, not built (go build, go test)")
	}

	mod := readmeModule(t)
	for _, f := range files {
		name := "main.go"
		if f.tests {
			name = "readme_test.go"
		}
		readmeWriteFile(t, filepath.Join(mod, f.dir, name), f.src)
	}
	readmeGo(t, mod, "mod", "tidy", "-e") // -e: tests of dependencies need modules not in the cache
	readmeGo(t, mod, "vet", "./...")

	for _, f := range files {
		t.Run(fmt.Sprintf("README.md:%d", f.line), func(t *testing.T) {
			switch {
			case f.pkg == "main":
				bin := filepath.Join(mod, "bin", f.dir)
				readmeGo(t, mod, "build", "-o", bin, "./"+f.dir)
				runReadmeProgram(t, bin)
			case f.tests:
				out := readmeGo(t, mod, "test", "-count=1", "-v", "./"+f.dir)
				if !strings.Contains(out, "--- PASS") || strings.Contains(out, "--- SKIP") {
					t.Errorf("go test: tests skipped or none run:\n%s", out)
				}
			}
		})
	}
}

// runReadmeProgram runs a program of the README in an empty directory
// against a fake server and checks that it returned data.
func runReadmeProgram(t *testing.T, bin string) {
	srv := gettytest.NewServer()
	t.Cleanup(srv.Close)
	history := srv.History()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = t.TempDir()
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GETTY_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"GETTY_BASE_URL="+srv.URL, "GETTY_TOKEN_URL="+srv.URL+"/oauth2/token",
		"GETTY_API_KEY="+gettytest.APIKey, "GETTY_API_SECRET="+gettytest.ClientSecret)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	if strings.TrimSpace(out) == "" {
		t.Errorf("the program printed nothing; stderr:\n%s", stderr.String())
	}
	if srv.Requests(gettytest.OpListDownloads) > 0 {
		listed := 0
		for _, d := range history {
			if strings.Contains(out, d.ID) {
				listed++
			}
		}
		if listed == 0 {
			t.Errorf("the program listed downloads but printed none of the fake's %d:\n%s", len(history), out)
		} else {
			t.Logf("%d downloads of the fake's history printed", listed)
		}
	}
	if srv.Requests(gettytest.OpDownloadImage) > 0 {
		var saved []string
		err := filepath.WalkDir(cmd.Dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				rel, _ := filepath.Rel(cmd.Dir, path)
				saved = append(saved, rel)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(saved) == 0 {
			t.Errorf("the program downloaded, but no file was saved")
		}
		for _, rel := range saved {
			if strings.HasSuffix(rel, ".part") || !strings.Contains(out, rel) {
				t.Errorf("%s: left behind or not named in the output:\n%s", rel, out)
			}
		}
	}
}

// readmeModule returns a new module that requires this one from its
// directory, as a reader's module would from the module proxy.
func readmeModule(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	mf, err := modfile.ParseLax("go.mod", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	readmeWriteFile(t, filepath.Join(dir, "go.mod"), fmt.Sprintf(
		"module example.com/readme\n\ngo %s\n\nrequire %s v0.0.0\n\nreplace %s => %s\n",
		mf.Go.Version, mf.Module.Mod.Path, mf.Module.Mod.Path, strconv.Quote(root)))
	return dir
}

func readmeWriteFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readmeGo runs the go command in dir, offline, and returns its output.
func readmeGo(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "go", args...)
	cmd.Dir = dir
	// Everything a reader's module needs is in the module cache already.
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOPROXY=off", "GOTOOLCHAIN=local")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
