package specconv

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"gopkg.in/yaml.v3"
)

// sourcesFile is the shape of the sources list (spec/sources.yaml).
type sourcesFile struct {
	Sources []struct {
		File       string   `yaml:"file"`
		Origin     string   `yaml:"origin"`
		Overlay    string   `yaml:"overlay"`
		Supersedes []string `yaml:"supersedes"`
	} `yaml:"sources"`
	Overlay string `yaml:"overlay"`
}

// LoadConfig reads a sources list and every file it names from fsys. Paths in
// the list are relative to the list's own directory; file names in the
// returned Config (and so in error messages) are paths in fsys.
//
// The list names each upstream file with its origin (where it was received
// from), an optional overlay for that file alone, and the files it
// supersedes; and the main overlay. Unknown keys are errors, so a misspelt
// key is not silently ignored.
func LoadConfig(fsys fs.FS, name string) (Config, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return Config{}, err
	}
	var list sourcesFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&list); err != nil {
		return Config{}, &Error{File: name, Err: fmt.Errorf("malformed sources list: %w", err)}
	}
	if len(list.Sources) == 0 {
		return Config{}, &Error{File: name, Pointer: "/sources", Err: errors.New("no upstream sources listed")}
	}
	dir := path.Dir(name)
	rel := func(p string) string { return path.Join(dir, p) }
	read := func(ptr, p string) (*File, error) {
		if p == "" || path.IsAbs(p) || strings.HasPrefix(path.Clean(p), "..") {
			return nil, &Error{File: name, Pointer: ptr, Err: fmt.Errorf("%q is not a path inside %s", p, dir)}
		}
		data, err := fs.ReadFile(fsys, rel(p))
		if err != nil {
			return nil, &Error{File: name, Pointer: ptr, Err: err}
		}
		return &File{Name: rel(p), Data: data}, nil
	}

	cfg := Config{List: name}
	for i, s := range list.Sources {
		ptr := fmt.Sprintf("/sources/%d", i)
		if strings.TrimSpace(s.Origin) == "" {
			return Config{}, &Error{File: name, Pointer: ptr + "/origin", Err: fmt.Errorf("%s: say where the file was received from", s.File)}
		}
		f, err := read(ptr+"/file", s.File)
		if err != nil {
			return Config{}, err
		}
		src := Source{File: *f}
		if s.Overlay != "" {
			if src.Overlay, err = read(ptr+"/overlay", s.Overlay); err != nil {
				return Config{}, err
			}
		}
		for _, other := range s.Supersedes {
			src.Supersedes = append(src.Supersedes, rel(other))
		}
		cfg.Sources = append(cfg.Sources, src)
	}
	if list.Overlay != "" {
		if cfg.Overlay, err = read("/overlay", list.Overlay); err != nil {
			return Config{}, err
		}
	}
	return cfg, nil
}
