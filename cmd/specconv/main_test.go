package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunLeavesOutputOnError checks that a failed run names the bad file and
// leaves the previous output untouched, with no temporary file behind.
func TestRunLeavesOutputOnError(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("..", "..", "spec", "swagger", "get-downloads.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		files  map[string]string
		wantIn []string
	}{
		{"malformed YAML", map[string]string{"bad.yaml": "swagger: '2.0'\npaths: {\n"}, []string{"bad.yaml", "malformed YAML"}},
		{"not an API description", map[string]string{"bad.yaml": "hello: world\n"}, []string{"bad.yaml", "neither Swagger 2.0 nor OpenAPI 3"}},
		{"conflicting operation", map[string]string{"other.yaml": strings.Replace(string(good), "Identifies page to return", "Another page", 1)},
			[]string{"get-downloads.yaml", "other.yaml", "GET /v3/downloads defined differently", "first difference at /paths/~1v3~1downloads/get/parameters/4/description",
				`"Another page"`, `"Identifies page to return"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "swagger")
			if err := os.Mkdir(in, 0o755); err != nil {
				t.Fatal(err)
			}
			list := "sources:\n  - {file: swagger/get-downloads.yaml, origin: test}\n"
			if err := os.WriteFile(filepath.Join(in, "get-downloads.yaml"), good, 0o644); err != nil {
				t.Fatal(err)
			}
			for name, body := range tc.files {
				if err := os.WriteFile(filepath.Join(in, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
				list += "  - {file: swagger/" + name + ", origin: test}\n"
			}
			sources := filepath.Join(dir, "sources.yaml")
			if err := os.WriteFile(sources, []byte(list), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "openapi.yaml")
			previous := []byte("previous output\n")
			if err := os.WriteFile(out, previous, 0o644); err != nil {
				t.Fatal(err)
			}
			err := run(context.Background(), []string{"-sources", sources, "-out", out}, &bytes.Buffer{})
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tc.wantIn {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if got, _ := os.ReadFile(out); !bytes.Equal(got, previous) {
				t.Errorf("previous output changed to %q", got)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 3 {
				t.Errorf("files left behind: %v", entries)
			}
		})
	}
}

func TestRunWritesOutput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "openapi.yaml")
	root := filepath.Join("..", "..", "spec")
	err := run(context.Background(), []string{"-sources", filepath.Join(root, "sources.yaml"), "-out", out}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	want, _ := os.ReadFile(filepath.Join(root, "openapi.yaml"))
	if !bytes.Equal(got, want) {
		t.Fatal("output differs from the committed spec/openapi.yaml")
	}
}

func TestRunUsage(t *testing.T) {
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"-sources", "x"}, &stderr); err == nil {
		t.Fatal("missing -out accepted")
	}
	if !strings.Contains(stderr.String(), "-sources") {
		t.Fatalf("usage not printed: %q", stderr.String())
	}
	if err := run(context.Background(), []string{"-sources", "does-not-exist.yaml", "-out", filepath.Join(t.TempDir(), "o")}, &stderr); err == nil ||
		!strings.Contains(err.Error(), "does-not-exist") {
		t.Fatalf("missing input directory: %v", err)
	}
}
