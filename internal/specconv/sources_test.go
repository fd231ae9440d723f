package specconv

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadConfigErrors(t *testing.T) {
	files := fstest.MapFS{
		"spec/a.yaml":  {Data: []byte(minimalSwagger)},
		"spec/b.yaml":  {Data: []byte(minimalSwagger)},
		"spec/ov.yaml": {Data: []byte(minimalOverlay)},
	}
	tests := []struct {
		name, list string
		wantIn     []string
	}{
		{"unknown key", "sources:\n  - {file: a.yaml, origin: x, overlays: ov.yaml}\n", []string{"spec/sources.yaml", "malformed sources list", "overlays"}},
		{"no sources", "overlay: ov.yaml\n", []string{"spec/sources.yaml", "/sources", "no upstream sources"}},
		{"no origin", "sources:\n  - {file: a.yaml}\n", []string{"/sources/0/origin", "a.yaml", "where the file was received from"}},
		{"missing file", "sources:\n  - {file: c.yaml, origin: x}\n", []string{"/sources/0/file", "c.yaml"}},
		{"path outside", "sources:\n  - {file: ../a.yaml, origin: x}\n", []string{"/sources/0/file", "not a path inside spec"}},
		{"missing overlay", "sources:\n  - {file: a.yaml, origin: x, overlay: nope.yaml}\n", []string{"/sources/0/overlay", "nope.yaml"}},
		{"missing main overlay", "sources:\n  - {file: a.yaml, origin: x}\noverlay: nope.yaml\n", []string{"spec/sources.yaml: at /overlay", "nope.yaml"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{"spec/sources.yaml": {Data: []byte(tc.list)}}
			for k, v := range files {
				fsys[k] = v
			}
			_, err := LoadConfig(fsys, "spec/sources.yaml")
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tc.wantIn {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestPrecedenceErrors(t *testing.T) {
	a := File{Name: "a.yaml", Data: []byte(minimalSwagger)}
	b := File{Name: "b.yaml", Data: []byte(minimalSwagger)}
	tests := []struct {
		name    string
		sources []Source
		wantIn  []string
	}{
		{"itself", []Source{{File: a, Supersedes: []string{"a.yaml"}}}, []string{"a.yaml: supersedes itself"}},
		{"unknown", []Source{{File: a, Supersedes: []string{"c.yaml"}}}, []string{"a.yaml: supersedes c.yaml, which is not an upstream source"}},
		{"cycle", []Source{{File: a, Supersedes: []string{"b.yaml"}}, {File: b, Supersedes: []string{"a.yaml"}}},
			[]string{"a.yaml: supersedes b.yaml, which supersedes it in turn", "b.yaml: supersedes a.yaml, which supersedes it in turn"}},
		{"listed twice", []Source{{File: a}, {File: a}}, []string{"a.yaml: listed twice"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Convert(context.Background(), Config{Sources: tc.sources})
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tc.wantIn {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

// TestOverlayMatchCounts checks that every action matches exactly what it
// declares, and that each failing action is reported on its own line with
// its own selector.
func TestOverlayMatchCounts(t *testing.T) {
	twoOps := strings.Replace(minimalSwagger, "paths:\n", `paths:
  /others:
    get:
      operationId: listOthers
      parameters:
        - {in: query, name: page, type: integer}
      responses:
        200: {description: OK, schema: {type: object}}
`, 1)
	overlay := func(actions string) *File {
		return &File{Name: "ov.yaml", Data: []byte("overlay: 1.0.0\nx-speakeasy-jsonpath: rfc9535\ninfo: {title: t, version: '1'}\nactions:\n" + actions)}
	}
	tests := []struct {
		name    string
		actions string
		wantIn  []string // nil: no error
	}{
		{"one match by default", "  - {target: \"$.paths['/things'].get\", description: d, update: {summary: s}}\n", nil},
		{"declared count", "  - {target: '$.paths.*.get', description: d, x-matches: 2, update: {summary: s}}\n", nil},
		{"more than one by default", "  - {target: '$.paths.*.get', description: d, update: {summary: s}}\n",
			[]string{"ov.yaml: at /actions/0: target $.paths.*.get: matched 2 nodes, the action expects 1 (x-matches)"}},
		{"fewer than declared", "  - {target: \"$.paths['/things'].get\", description: d, x-matches: 2, update: {summary: s}}\n",
			[]string{"/actions/0", "matched 1 node, the action expects 2"}},
		{"invalid count", "  - {target: '$.info', description: d, x-matches: two, update: {title: s}}\n",
			[]string{"/actions/0", "x-matches is two; it must be a whole number of at least 1"}},
		{"zero count", "  - {target: '$.info', description: d, x-matches: 0, update: {title: s}}\n",
			[]string{"/actions/0", "x-matches is 0"}},
		{"invalid selector", "  - {target: '$.paths[?@.x ==]', description: d, update: {title: s}}\n",
			[]string{"/actions/0", "invalid selector"}},
		{"each failing action on its own line",
			"  - {target: '$.nothing', description: d, update: {a: b}}\n" +
				"  - {target: '$.info', description: d, update: {title: s}}\n" +
				"  - {target: '$.paths.*.get', description: d, update: {summary: s}}\n",
			[]string{"ov.yaml: at /actions/0: target $.nothing: matched 0 nodes", "count if it is meant to change more\nov.yaml: at /actions/2", "ov.yaml: at /actions/2: target $.paths.*.get: matched 2 nodes"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Convert(context.Background(), Config{
				Sources: only(File{Name: "a.yaml", Data: []byte(twoOps)}),
				Overlay: overlay(tc.actions),
			})
			if tc.wantIn == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tc.wantIn {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "/actions/1") {
				t.Errorf("a correct action is reported: %v", err)
			}
		})
	}
}
