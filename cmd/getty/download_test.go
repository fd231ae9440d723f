package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gettykit/getty/gettytest"
)

// A delivery whose bytes are not the declared file type is reported with
// what they look like and that the download was charged, nothing is saved,
// and the exit status is 1. Good bodies of either EPS form are saved.
func TestDownloadContentMismatch(t *testing.T) {
	html := "<!DOCTYPE html>\n<html><head><title>Access denied</title></head><body>denied</body></html>"
	tests := []struct {
		name  string
		ct    string
		body  string
		saved string   // the file saved, "" when the download must fail
		says  []string // on stderr
	}{
		{"html served as jpeg", "image/jpeg", html, "", []string{"200 image/jpeg", "HTML (3C 21 44 4F"}},
		{"truncated jpeg header", "image/jpeg", "\xFF\xD8", "", []string{"200 image/jpeg", "only 2 bytes (FF D8)", "not a JPEG file"}},
		{"html served as eps", "application/postscript", html, "", []string{"200 application/postscript", "HTML", "not an EPS file"}},
		{"json served as jpeg", "image/jpeg", `{"message":"Forbidden"}`, "", []string{"JSON (7B 22"}},
		{"eps, postscript", "application/postscript", "%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", gettytest.ImageID + ".eps", nil},
		{"eps, dos binary header", "application/postscript", "\xC5\xD0\xD3\xC6\x1E\x00\x00\x00" + strings.Repeat("x", 40), gettytest.ImageID + ".eps", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, env := fakeEnv(t)
			srv.Fail(gettytest.OpDelivery, http.StatusOK, tt.body, http.Header{"Content-Type": {tt.ct}})
			dir := t.TempDir()
			r := runApp(t, env, false, "download", "--dir", dir, gettytest.ImageID)
			if srv.Requests(gettytest.OpDownloadImage) != 1 {
				t.Errorf("%d download requests", srv.Requests(gettytest.OpDownloadImage))
			}
			entries, _ := os.ReadDir(dir)
			if tt.saved != "" {
				data, err := os.ReadFile(filepath.Join(dir, tt.saved))
				if r.code != exitOK || err != nil || string(data) != tt.body {
					t.Fatalf("exit %d, stderr %q, %s: %v", r.code, r.stderr, tt.saved, err)
				}
				return
			}
			if r.code != exitFailure {
				t.Errorf("exit %d, want %d", r.code, exitFailure)
			}
			if len(entries) != 0 {
				t.Errorf("left in --dir: %v", entries)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q", r.stdout)
			}
			says := append([]string{"getty: " + gettytest.ImageID + ": not saved: the delivery answered", "charged", "24 hours"}, tt.says...)
			for _, s := range says {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr %q does not say %q", r.stderr, s)
				}
			}
			if n := strings.Count(r.stderr, gettytest.ImageID); n != 1 {
				t.Errorf("the id is printed %d times: %q", n, r.stderr)
			}
			if strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("stderr is not one line: %q", r.stderr)
			}
		})
	}
}

// Downloading an image again into the same directory spends a download
// before the name is known: the message says it was charged and how to
// avoid paying twice; --overwrite replaces the file.
func TestDownloadAgainSaysCharged(t *testing.T) {
	srv, env := fakeEnv(t)
	dir := t.TempDir()
	if r := runApp(t, env, false, "download", "--dir", dir, gettytest.ImageID); r.code != exitOK {
		t.Fatalf("first download: exit %d, stderr %q", r.code, r.stderr)
	}
	r := runApp(t, env, false, "download", "--dir", dir, gettytest.ImageID)
	if r.code != exitFailure {
		t.Errorf("exit %d, want %d", r.code, exitFailure)
	}
	path := filepath.Join(dir, "GettyImages-"+gettytest.ImageID+".jpg")
	for _, s := range []string{"getty: " + gettytest.ImageID + ": " + path + " already exists", "charged", "--overwrite", "remove the file"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr %q does not say %q", r.stderr, s)
		}
	}
	if strings.Contains(r.stderr, "SaveOptions") || strings.Count(r.stderr, "getty:") != 1 {
		t.Errorf("stderr %q speaks the library's language", r.stderr)
	}
	if got := srv.Requests(gettytest.OpDownloadImage); got != 2 {
		t.Errorf("%d download requests, want 2 (the second one charged)", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("--dir holds %v", entries)
	}
}

// Each failed id is printed once, at the start of its line, followed by a
// message that does not repeat it; the others are saved; the exit status
// is 1 (2 stays for usage errors).
func TestDownloadFailuresNameEachIDOnce(t *testing.T) {
	srv, env := fakeEnv(t, gettytest.WithImages("a1", "a2", "a3"))
	// One of a1, a2, a3 (whichever is fetched first) is cut short.
	srv.Inject(gettytest.OpDelivery, gettytest.Fault{Truncate: true, Times: 1})
	dir := t.TempDir()
	r := runApp(t, env, false, "download", "--dir", dir, "a1", "a2", "missing", "a3")
	if r.code != exitFailure {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(strings.TrimPrefix(r.stderr, "getty: "), "\n"), "\n")
	want := map[string]string{
		"truncated": ": saving the image after ",
		"missing":   "missing: download request: 404 Not Found: ImageNotFound",
	}
	if len(lines) != len(want) {
		t.Fatalf("stderr %q, want one line for each of %d failures", r.stderr, len(want))
	}
	for _, line := range lines {
		id, _, _ := strings.Cut(line, ": ")
		key := id
		if strings.HasPrefix(id, "a") {
			key = "truncated"
		}
		prefix, ok := want[key]
		if !ok || !strings.Contains(line, prefix) || key != "truncated" && !strings.HasPrefix(line, prefix) {
			t.Errorf("line %q, want one with %q", line, prefix)
		}
		delete(want, key)
		if rest := strings.TrimPrefix(line, id+": "); strings.Contains(rest, "downloading") ||
			(id != "missing" && strings.Contains(rest, strings.Trim(id, `"`))) {
			t.Errorf("line %q repeats the id", line)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("%d files saved, want 2", len(entries))
	}
	// Usage errors keep their own status, and an invalid id among good
	// ones is one: nothing is downloaded.
	if r := runApp(t, env, false, "download", "--dir", dir, "--file-type", "png", "a1"); r.code != exitUsage {
		t.Errorf("usage error: exit %d", r.code)
	}
	before := srv.Requests(gettytest.OpDownloadImage)
	r = runApp(t, env, false, "download", "--dir", t.TempDir(), "a1", "bad/id", "a2")
	if r.code != exitUsage || !strings.HasPrefix(r.stderr, `getty: invalid image id "bad/id": `) {
		t.Errorf("invalid id: exit %d, stderr %q", r.code, r.stderr)
	}
	if n := srv.Requests(gettytest.OpDownloadImage) - before; n != 0 {
		t.Errorf("%d download requests sent with an invalid id on the command line", n)
	}
}
