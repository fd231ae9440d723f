package getty

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// saveSetup starts a delivery server running deliver and an API redirecting
// to it, and returns a client and the POST counter.
func saveSetup(t *testing.T, deliver http.HandlerFunc, opts ...Option) (*Client, *atomic.Int64) {
	delivery := httptest.NewServer(deliver)
	t.Cleanup(delivery.Close)
	base, posts := downloadAPI(t, http.StatusSeeOther, func() string { return delivery.URL + "/file?sig=s" })
	return newClient(t, base, append([]Option{WithToken(validToken())}, opts...)...), posts
}

func TestSaveImage(t *testing.T) {
	c, _ := saveSetup(t, func(w http.ResponseWriter, r *http.Request) {
		serveImage(w, `attachment; filename="GettyImages-42.jpg"`)
	})
	t.Run("into a directory", func(t *testing.T) {
		dir := t.TempDir()
		var calls int
		var last, total int64
		saved, err := c.SaveImage(t.Context(), "42", dir, &SaveOptions{Progress: func(w, n int64) {
			if w < last {
				t.Errorf("progress went back from %d to %d", last, w)
			}
			calls, last, total = calls+1, w, n
		}})
		if err != nil {
			t.Fatal(err)
		}
		want := filepath.Join(dir, "GettyImages-42.jpg")
		if saved.Path != want || saved.Size != int64(len(imageBytes)) || saved.ContentType != "image/jpeg" {
			t.Errorf("saved = %+v", saved)
		}
		got, err := os.ReadFile(want)
		if err != nil || !bytes.Equal(got, imageBytes) {
			t.Errorf("file content differs (%v)", err)
		}
		if names := listDir(t, dir); len(names) != 1 {
			t.Errorf("directory holds %v", names)
		}
		if calls == 0 || last != int64(len(imageBytes)) || total != int64(len(imageBytes)) {
			t.Errorf("progress: %d calls, last %d of %d", calls, last, total)
		}
	})
	t.Run("to a file path", func(t *testing.T) {
		dir := t.TempDir()
		dst := filepath.Join(dir, "cover.jpg")
		saved, err := c.SaveImage(t.Context(), "42", dst, nil)
		if err != nil {
			t.Fatal(err)
		}
		if saved.Path != dst || saved.Filename != "GettyImages-42.jpg" {
			t.Errorf("saved = %+v", saved)
		}
		if names := listDir(t, dir); len(names) != 1 || names[0] != "cover.jpg" {
			t.Errorf("directory holds %v", names)
		}
	})
	t.Run("to a writer", func(t *testing.T) {
		var buf bytes.Buffer
		saved, err := c.SaveImageTo(t.Context(), "42", &buf, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), imageBytes) || saved.Size != int64(len(imageBytes)) || saved.Path != "" {
			t.Errorf("saved = %+v, %d bytes", saved, buf.Len())
		}
	})
}

// TestSaveImageCreatesDirectories: a directory given with a trailing slash,
// and the parents of a file path, are created when missing, as wget -P
// does; a missing path without the slash names a file.
func TestSaveImageCreatesDirectories(t *testing.T) {
	c, posts := saveSetup(t, func(w http.ResponseWriter, r *http.Request) {
		serveImage(w, `attachment; filename="GettyImages-42.jpg"`)
	})
	check := func(t *testing.T, saved *SavedImage, want string) {
		t.Helper()
		if saved.Path != want {
			t.Errorf("saved to %s, want %s", saved.Path, want)
		}
		if got, err := os.ReadFile(want); err != nil || !bytes.Equal(got, imageBytes) {
			t.Errorf("%s: content differs (%v)", want, err)
		}
	}
	t.Run("a directory with a trailing slash", func(t *testing.T) {
		root := t.TempDir()
		saved, err := c.SaveImage(t.Context(), "42", filepath.Join(root, "a", "b")+string(filepath.Separator), nil)
		if err != nil {
			t.Fatal(err)
		}
		check(t, saved, filepath.Join(root, "a", "b", "GettyImages-42.jpg"))
		if names := listDir(t, filepath.Join(root, "a", "b")); len(names) != 1 {
			t.Errorf("directory holds %v", names)
		}
	})
	t.Run("relative, as in the README", func(t *testing.T) {
		t.Chdir(t.TempDir())
		saved, err := c.SaveImage(t.Context(), "42", "photos/", nil)
		if err != nil {
			t.Fatal(err)
		}
		check(t, saved, filepath.Join("photos", "GettyImages-42.jpg"))
	})
	t.Run("the parents of a file path", func(t *testing.T) {
		root := t.TempDir()
		dst := filepath.Join(root, "x", "y", "cover.jpg")
		saved, err := c.SaveImage(t.Context(), "42", dst, nil)
		if err != nil {
			t.Fatal(err)
		}
		check(t, saved, dst)
	})
	t.Run("a missing path without a slash is a file", func(t *testing.T) {
		root := t.TempDir()
		dst := filepath.Join(root, "photos")
		saved, err := c.SaveImage(t.Context(), "42", dst, nil)
		if err != nil {
			t.Fatal(err)
		}
		check(t, saved, dst)
	})
	t.Run("concurrent saves into one new directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "new", "dir")
		errs := make(chan error, 8)
		for i := range 8 {
			go func() {
				_, err := c.SaveImage(t.Context(), "42", filepath.Join(dir, strconv.Itoa(i)+".jpg"), nil)
				errs <- err
			}()
		}
		for range 8 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		if names := listDir(t, dir); len(names) != 8 {
			t.Errorf("directory holds %v", names)
		}
	})

	// A file where a directory must be: a clear error, no request, nothing
	// created.
	root := t.TempDir()
	file := filepath.Join(root, "notes.txt")
	if err := os.WriteFile(file, []byte("notes"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := posts.Load()
	for _, dst := range []string{
		file + string(filepath.Separator),
		filepath.Join(file, "photos") + string(filepath.Separator),
		filepath.Join(file, "photos", "cover.jpg"),
		filepath.Join(file, "cover.jpg"),
	} {
		_, err := c.SaveImage(t.Context(), "42", dst, nil)
		if !errors.Is(err, syscall.ENOTDIR) {
			t.Errorf("%s: err = %v, want one matching syscall.ENOTDIR", dst, err)
			continue
		}
		if want := file + " is a file, not a directory"; !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %q does not say %q", dst, err, want)
		}
	}
	if n := posts.Load() - before; n != 0 {
		t.Errorf("%d download requests for destinations that could not be written", n)
	}
	if names := listDir(t, root); len(names) != 1 {
		t.Errorf("left behind: %v", names)
	}
}

func TestSaveImageOverwrite(t *testing.T) {
	c, posts := saveSetup(t, func(w http.ResponseWriter, r *http.Request) {
		serveImage(w, `attachment; filename=GettyImages-42.jpg`)
	})
	dir := t.TempDir()
	existing := filepath.Join(dir, "GettyImages-42.jpg")
	if err := os.WriteFile(existing, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}

	// A file path that exists: refused before any quota is spent.
	if _, err := c.SaveImage(t.Context(), "42", existing, nil); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("err = %v, want fs.ErrExist", err)
	}
	if posts.Load() != 0 {
		t.Errorf("%d POSTs for a destination that could not be written", posts.Load())
	}
	// A directory where the server's name exists.
	if _, err := c.SaveImage(t.Context(), "42", dir, nil); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("err = %v, want fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(existing); string(b) != "old" {
		t.Error("the existing file was replaced")
	}
	if names := listDir(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v", names)
	}
	// Overwrite.
	if _, err := c.SaveImage(t.Context(), "42", existing, &SaveOptions{Overwrite: true}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(existing); !bytes.Equal(b, imageBytes) {
		t.Error("the file was not replaced")
	}
}

func TestCommitNoClobberRace(t *testing.T) {
	dir := t.TempDir()
	tmp := filepath.Join(dir, "tmp")
	final := filepath.Join(dir, "final")
	if err := os.WriteFile(tmp, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Someone creates the name after the early check.
	if err := os.WriteFile(final, []byte("theirs"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := commit(tmp, final, false); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(final); string(b) != "theirs" {
		t.Error("commit replaced a file it did not own")
	}
}

// lyingLength rewrites the Content-Length of delivery responses.
type lyingLength struct {
	next  http.RoundTripper
	delta int64
}

func (l lyingLength) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(r)
	if err == nil && resp.StatusCode == 200 {
		resp.ContentLength += l.delta
	}
	return resp, err
}

type failingWriter struct {
	w    io.Writer
	left int
}

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.left {
		n, _ := f.w.Write(p[:f.left])
		f.left = 0
		return n, errors.New("disk full")
	}
	f.left -= len(p)
	return f.w.Write(p)
}

func TestSaveImageFailuresLeaveNoFile(t *testing.T) {
	full := func(w http.ResponseWriter, r *http.Request) { serveImage(w, "attachment; filename=a.jpg") }
	tests := []struct {
		name    string
		deliver http.HandlerFunc
		opts    []Option
		setup   func(c *Client)
		ctx     func(context.Context) (context.Context, context.CancelFunc)
	}{
		{name: "truncated body", deliver: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/jpeg")
			w.Header().Set("Content-Length", strconv.Itoa(len(imageBytes)))
			_, _ = w.Write(imageBytes[:len(imageBytes)/2])
		}},
		{name: "Content-Length larger than the body", deliver: full,
			opts: []Option{WithTransport(lyingLength{http.DefaultTransport, +100})}},
		{name: "Content-Length smaller than the body", deliver: full,
			opts: []Option{WithTransport(lyingLength{http.DefaultTransport, -100})}},
		{name: "failing writer", deliver: full, setup: func(c *Client) {
			c.wrapFile = func(w io.Writer) io.Writer { return &failingWriter{w: w, left: 1000} }
		}},
		{name: "cancelled mid-body", deliver: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/jpeg")
			w.Header().Set("Content-Length", strconv.Itoa(len(imageBytes)))
			_, _ = w.Write(imageBytes[:1000])
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, ctx: func(ctx context.Context) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(ctx)
			return ctx, cancel
		}},
		{name: "delivery error", deliver: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "gone", http.StatusGone)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := saveSetup(t, tt.deliver, tt.opts...)
			if tt.setup != nil {
				tt.setup(c)
			}
			ctx := t.Context()
			var opts *SaveOptions
			if tt.ctx != nil {
				var cancel context.CancelFunc
				ctx, cancel = tt.ctx(ctx)
				opts = &SaveOptions{Progress: func(written, _ int64) {
					if written >= 1000 {
						cancel()
					}
				}}
			}
			dir := t.TempDir()
			if _, err := c.SaveImage(ctx, "42", dir, opts); err == nil {
				t.Fatal("no error")
			}
			if names := listDir(t, dir); len(names) != 0 {
				t.Errorf("left behind: %v", names)
			}
			// The same failure through a file path.
			if _, err := c.SaveImage(ctx, "42", filepath.Join(dir, "x.jpg"), opts); err == nil {
				t.Fatal("no error with a file path")
			}
			if names := listDir(t, dir); len(names) != 0 {
				t.Errorf("left behind: %v", names)
			}
			// And into a directory SaveImage creates: it stays, empty.
			if _, err := c.SaveImage(ctx, "42", filepath.Join(dir, "new")+string(filepath.Separator), opts); err == nil {
				t.Fatal("no error with a new directory")
			}
			if names := listDir(t, filepath.Join(dir, "new")); len(names) != 0 {
				t.Errorf("left behind: %v", names)
			}
		})
	}
}

func TestSaveImageToFailingWriter(t *testing.T) {
	c, _ := saveSetup(t, func(w http.ResponseWriter, r *http.Request) { serveImage(w, "") })
	_, err := c.SaveImageTo(t.Context(), "42", &failingWriter{w: io.Discard, left: 10}, nil)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
}

func TestHostileFilenames(t *testing.T) {
	tests := []struct {
		disposition string
		want        string
	}{
		{`attachment; filename="../../x"`, "x"},
		{`attachment; filename="/etc/passwd"`, "passwd"},
		{`attachment; filename="..\\..\\windows\\evil.jpg"`, "evil.jpg"},
		{`attachment; filename*=UTF-8''..%2F..%2Fevil.jpg`, "evil.jpg"},
		{`attachment; filename=""`, "42.jpg"},
		{`attachment`, "42.jpg"},
		{``, "42.jpg"},
		{`attachment; filename=".."`, "42.jpg"},
		{`attachment; filename=".bashrc"`, "bashrc"},
		{"attachment; filename*=UTF-8''a%0Ab%00c%1B.jpg", "abc.jpg"},
		{"attachment; filename*=UTF-8''photo%E2%80%AEgpj.exe", "photogpj.exe"},
		{`attachment; filename="con.jpg"`, "_con.jpg"},
		{`attachment; filename="a<b>:c|d?.jpg"`, "a_b__c_d_.jpg"},
		{`attachment; filename=` + strings.Repeat("a", 300) + `.jpg`, strings.Repeat("a", maxFilename-4) + ".jpg"},
		{`attachment; filename=caf%C3%A9.jpg; filename*=UTF-8''caf%C3%A9.jpg`, "café.jpg"},
		{`not a; valid;; header=`, "42.jpg"},
	}
	for _, tt := range tests {
		t.Run(tt.disposition, func(t *testing.T) {
			if got := filenameFor(tt.disposition, "42", "image/jpeg"); got != tt.want {
				t.Errorf("filenameFor = %q, want %q", got, tt.want)
			}
		})
	}
	// End to end: the hostile name lands inside the chosen directory.
	c, _ := saveSetup(t, func(w http.ResponseWriter, r *http.Request) {
		serveImage(w, `attachment; filename="../../escaped.jpg"`)
	})
	parent := t.TempDir()
	dir := filepath.Join(parent, "a", "b")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	saved, err := c.SaveImage(t.Context(), "42", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Path != filepath.Join(dir, "escaped.jpg") {
		t.Errorf("saved to %s", saved.Path)
	}
	if names := listDir(t, parent); len(names) != 1 || names[0] != "a" {
		t.Errorf("parent holds %v", names)
	}
}

func TestFallbackExtension(t *testing.T) {
	tests := map[string]string{
		"image/jpeg":               "42.jpg",
		"image/png":                "42.png",
		"application/postscript":   "42.eps",
		"image/jpeg; charset=x":    "42.jpg",
		"":                         "42",
		"application/x-unknown-zz": "42",
	}
	for ct, want := range tests {
		if got := filenameFor("", "42", ct); got != want {
			t.Errorf("filenameFor(%q) = %q, want %q", ct, got, want)
		}
	}
}
