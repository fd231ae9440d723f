package oracle

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// Module is the path of the module whose files the oracle compares.
const Module = "github.com/gettykit/getty"

// FindRoot returns the root of this module: dir, or the nearest directory
// above it, whose go.mod declares Module.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && declares(data, Module) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("oracle: no go.mod for " + Module + " in this directory or above it")
		}
		dir = parent
	}
}

func declares(gomod []byte, module string) bool {
	for line := range bytes.Lines(gomod) {
		if f := strings.Fields(string(line)); len(f) == 2 && f[0] == "module" {
			return f[1] == module
		}
	}
	return false
}
