// Command specconv builds spec/openapi.yaml from the upstream API
// descriptions and the overlays. go generate runs it; see generate.go.
//
// Usage:
//
//	specconv -in spec/swagger -swagger2-overlay spec/swagger2-overlay.yaml \
//	         -overlay spec/overlay.yaml -out spec/openapi.yaml
//
// Every *.yaml, *.yml and *.json file in the -in directory is an upstream
// file. The output is written atomically: on any error the previous output is
// left untouched.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
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
	in := fs.String("in", "", "directory of upstream Swagger 2.0 / OpenAPI 3.0 files (required)")
	pre := fs.String("swagger2-overlay", "", "overlay applied to the merged Swagger 2.0 input before conversion")
	ov := fs.String("overlay", "", "overlay applied to the OpenAPI 3 document")
	out := fs.String("out", "", "output file (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" || *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("-in and -out are required and no positional arguments are accepted")
	}
	upstream, err := readDir(*in)
	if err != nil {
		return err
	}
	cfg := specconv.Config{Upstream: upstream}
	if *pre != "" {
		if cfg.Swagger2Overlay, err = readFile(*pre); err != nil {
			return err
		}
	}
	if *ov != "" {
		if cfg.Overlay, err = readFile(*ov); err != nil {
			return err
		}
	}
	data, err := specconv.Convert(ctx, cfg)
	if err != nil {
		return err
	}
	return specconv.WriteFileAtomic(*out, data)
}

func readDir(dir string) ([]specconv.File, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []specconv.File
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || !slices.Contains([]string{".yaml", ".yml", ".json"}, ext) {
			continue
		}
		f, err := readFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		files = append(files, *f)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no *.yaml, *.yml or *.json upstream files", dir)
	}
	return files, nil
}

func readFile(path string) (*specconv.File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return &specconv.File{Name: filepath.ToSlash(path), Data: data}, nil
}
