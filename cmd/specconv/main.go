// Command specconv builds spec/openapi.yaml from the upstream API
// descriptions and the overlays named by a sources list. go generate runs
// it; see generate.go.
//
// Usage:
//
//	specconv -sources spec/sources.yaml -out spec/openapi.yaml
//
// The sources list names every upstream file (with where it came from), an
// optional overlay for each, which file supersedes which, and the main
// overlay; its paths are relative to the list's directory. The output is
// written atomically: on any error the previous output is left untouched.
// Errors are printed one per line, each naming its file and JSON pointer.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gettykit/getty/internal/specconv"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "specconv:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("specconv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sources := fs.String("sources", "", "the sources list: upstream files, their overlays, precedence and the main overlay (required)")
	out := fs.String("out", "", "output file (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *sources == "" || *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("-sources and -out are required and no positional arguments are accepted")
	}
	root, name, err := fsRoot(*sources)
	if err != nil {
		return err
	}
	cfg, err := specconv.LoadConfig(os.DirFS(root), name)
	if err != nil {
		return err
	}
	data, err := specconv.Convert(ctx, cfg)
	if err != nil {
		return err
	}
	return specconv.WriteFileAtomic(*out, data)
}

// fsRoot splits the sources list's path into a directory to open and a
// slash-separated name inside it, so that file names in messages read as
// the paths the user typed.
func fsRoot(path string) (root, name string, err error) {
	if filepath.IsAbs(path) {
		return filepath.Dir(path), filepath.Base(path), nil
	}
	clean := filepath.ToSlash(filepath.Clean(path))
	if strings.HasPrefix(clean, "../") {
		abs, err := filepath.Abs(path)
		if err != nil {
			return "", "", err
		}
		return filepath.Dir(abs), filepath.Base(abs), nil
	}
	return ".", clean, nil
}
