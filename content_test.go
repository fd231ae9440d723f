package getty

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gettykit/getty/internal/filetype"
	"github.com/gettykit/getty/internal/filetype/filetypetest"
)

// testID is the id the content tests download: nothing a hex dump can
// contain.
const testID = "img-7"

// deliverBody answers with body as ct, with its Content-Length.
func deliverBody(ct string, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	}
}

// countingWriter records every write.
type countingWriter struct {
	writes int
	buf    bytes.Buffer
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writes++
	return c.buf.Write(p)
}

// contentCase is a body a delivery may answer with: the cases shared with
// the contract package's binary checks, and the client's own rules for
// types without a signature.
type contentCase struct {
	name string
	ct   string
	body []byte
	bad  bool
	got  string // ContentMismatchError.Got
}

func contentCases() []contentCase {
	var out []contentCase
	for _, c := range filetypetest.Cases {
		out = append(out, contentCase{c.Name, c.ContentType, c.Body, c.Bad, c.Got})
	}
	svg := []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`)
	return append(out,
		contentCase{"html declared as html", "text/html; charset=utf-8", filetypetest.HTML, true, "HTML"},
		contentCase{"json declared as json", "application/json", []byte(`{"ErrorCode":"ImageNotFound","ErrorMessage":"gone"}`), true, "JSON"},
		contentCase{"short text declared as text", "text/plain", []byte("denied"), true, "text"},
		contentCase{"html as octet-stream", "application/octet-stream", filetypetest.HTML, true, "HTML"},
		contentCase{"html without a content type", "", filetypetest.HTML, true, "HTML"},
		contentCase{"empty octet-stream", "application/octet-stream", nil, true, "empty"},
		contentCase{"jpeg as octet-stream", "application/octet-stream", filetypetest.JPEG, false, ""},
		contentCase{"svg, no signature known: unchecked", "image/svg+xml", svg, false, ""},
	)
}

// checkMismatch checks that err is the *ContentMismatchError tc calls for,
// and that its message says what a caller needs to know.
func checkMismatch(t *testing.T, err error, tc contentCase) {
	t.Helper()
	var cm *ContentMismatchError
	if !errors.As(err, &cm) {
		t.Fatalf("err = %v, want a *ContentMismatchError", err)
	}
	if cm.StatusCode != 200 || cm.ContentType != tc.ct || cm.Got != tc.got || !bytes.HasPrefix(tc.body, cm.Head) ||
		len(cm.Head) > filetype.HeadLen || (len(tc.body) > 0) != (len(cm.Head) > 0) {
		t.Errorf("error = %#v", cm)
	}
	if strings.Contains(cm.URL, "sig=") {
		t.Errorf("URL %q holds the signature", cm.URL)
	}
	msg := err.Error()
	want := []string{"200", "charged", "24 hours"}
	if mt := filetype.MediaType(tc.ct); mt != "" {
		want = append(want, mt)
	}
	if tc.got != "" {
		want = append(want, tc.got)
	}
	if len(cm.Head) > 0 {
		want = append(want, filetype.Hex(cm.Head[:1]))
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("message %q does not say %q", msg, w)
		}
	}
	if strings.Contains(msg, testID) {
		t.Errorf("message %q repeats the image id", msg)
	}
}

// A body that is not the declared file is refused on OpenImage's first
// Read, before a byte is passed on; SaveImage leaves no file, SaveImageTo
// writes nothing. Good bodies pass through byte for byte.
func TestContentChecked(t *testing.T) {
	for _, tc := range contentCases() {
		t.Run(tc.name, func(t *testing.T) {
			c, posts := saveSetup(t, deliverBody(tc.ct, tc.body))

			t.Run("OpenImage", func(t *testing.T) {
				img, err := c.OpenImage(t.Context(), testID, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer img.Body.Close()
				p := make([]byte, 32<<10)
				n, err := img.Body.Read(p)
				if !tc.bad {
					rest, rerr := io.ReadAll(img.Body)
					if err != nil && err != io.EOF || rerr != nil || !bytes.Equal(append(p[:n:n], rest...), tc.body) {
						t.Fatalf("read %d+%d bytes, %v, %v", n, len(rest), err, rerr)
					}
					return
				}
				if n != 0 {
					t.Errorf("first Read passed on %d bytes", n)
				}
				checkMismatch(t, err, tc)
				// The error sticks.
				if n, err2 := img.Body.Read(p); n != 0 || err2 != err {
					t.Errorf("second Read: %d, %v", n, err2)
				}
			})

			t.Run("SaveImage", func(t *testing.T) {
				dir := t.TempDir()
				saved, err := c.SaveImage(t.Context(), testID, dir, nil)
				if !tc.bad {
					if err != nil {
						t.Fatal(err)
					}
					if got, _ := os.ReadFile(saved.Path); !bytes.Equal(got, tc.body) {
						t.Error("saved file differs")
					}
					return
				}
				checkMismatch(t, err, tc)
				if names := listDir(t, dir); len(names) != 0 {
					t.Errorf("left behind: %v", names)
				}
				_, err = c.SaveImage(t.Context(), testID, filepath.Join(dir, "cover.jpg"), nil)
				checkMismatch(t, err, tc)
				if names := listDir(t, dir); len(names) != 0 {
					t.Errorf("left behind with a file path: %v", names)
				}
			})

			t.Run("SaveImageTo", func(t *testing.T) {
				var w countingWriter
				var progress int
				_, err := c.SaveImageTo(t.Context(), testID, &w, &SaveOptions{Progress: func(int64, int64) { progress++ }})
				if !tc.bad {
					if err != nil || !bytes.Equal(w.buf.Bytes(), tc.body) {
						t.Fatalf("%d bytes written: %v", w.buf.Len(), err)
					}
					return
				}
				checkMismatch(t, err, tc)
				if w.writes != 0 || progress != 0 {
					t.Errorf("%d writes (%d bytes), %d progress calls before the mismatch was noticed", w.writes, w.buf.Len(), progress)
				}
			})

			// The download request was sent (and charged) once per call.
			if want := map[bool]int64{false: 3, true: 4}[tc.bad]; posts.Load() != want {
				t.Errorf("%d POSTs, want %d", posts.Load(), want)
			}
		})
	}
}

// The check holds back only the first bytes: it decides as soon as they
// show the type, even when they come in pieces, and does not wait for the
// rest of the body.
func TestContentCheckStreams(t *testing.T) {
	release := make(chan struct{})
	c, _ := saveSetup(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Content-Length", strconv.Itoa(len(filetypetest.JPEG)))
		for _, piece := range [][]byte{filetypetest.JPEG[:1], filetypetest.JPEG[1:2], filetypetest.JPEG[2:8]} {
			_, _ = w.Write(piece)
			w.(http.Flusher).Flush()
			time.Sleep(5 * time.Millisecond)
		}
		select { // the rest only once the first bytes have been read
		case <-release:
		case <-r.Context().Done():
			return
		}
		_, _ = w.Write(filetypetest.JPEG[8:])
	})
	img, err := c.OpenImage(t.Context(), testID, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Body.Close()
	p := make([]byte, 64<<10)
	done := make(chan struct{})
	var n int
	go func() {
		defer close(done)
		n, err = img.Body.Read(p)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		close(release)
		t.Fatal("the first Read waited for more than the first bytes")
	}
	close(release)
	if err != nil || n == 0 || !bytes.Equal(p[:n], filetypetest.JPEG[:n]) {
		t.Fatalf("first Read: %d bytes, %v", n, err)
	}
	rest, err := io.ReadAll(img.Body)
	if err != nil || !bytes.Equal(append(p[:n:n], rest...), filetypetest.JPEG) {
		t.Fatalf("rest: %d bytes, %v", len(rest), err)
	}
}

// A connection that breaks within the first bytes: bytes that already
// contradict the type are a mismatch; bytes that could still be the file
// are a broken download (unexpected EOF), not a mismatch. Either way
// nothing is passed on or saved.
func TestContentCheckBrokenConnection(t *testing.T) {
	tests := []struct {
		name     string
		sent     []byte
		mismatch bool
	}{
		{"html, then the connection breaks", []byte("<htm"), true},
		{"a jpeg header cut by the connection", []byte{0xFF, 0xD8}, false},
		{"nothing at all", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := saveSetup(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "image/jpeg")
				w.Header().Set("Content-Length", "5000")
				_, _ = w.Write(tt.sent)
				w.(http.Flusher).Flush()
				hangUp(t, w)
			})
			var w countingWriter
			_, err := c.SaveImageTo(t.Context(), testID, &w, nil)
			var cm *ContentMismatchError
			if errors.As(err, &cm) != tt.mismatch {
				t.Errorf("err = %v, mismatch: want %v", err, tt.mismatch)
			}
			if !tt.mismatch && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("err = %v, want unexpected EOF", err)
			}
			if w.writes != 0 {
				t.Errorf("%d writes", w.writes)
			}
			dir := t.TempDir()
			if _, err := c.SaveImage(t.Context(), testID, dir, nil); err == nil {
				t.Error("SaveImage: no error")
			}
			if names := listDir(t, dir); len(names) != 0 {
				t.Errorf("left behind: %v", names)
			}
		})
	}
}

// Re-running a save into a directory over an image already there: the
// download was charged before the name was known, and the error says so,
// with how to avoid it; a file path is checked before anything is charged.
func TestExistsErrorSaysCharged(t *testing.T) {
	c, posts := saveSetup(t, func(w http.ResponseWriter, r *http.Request) {
		serveImage(w, `attachment; filename=GettyImages-42.jpg`)
	})
	dir := t.TempDir()
	existing := filepath.Join(dir, "GettyImages-42.jpg")
	if err := os.WriteFile(existing, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		dst     string
		charged bool
		says    []string
	}{
		{"into the directory", dir, true, []string{existing, "charged", "SaveOptions.Overwrite", "remove the file", "file path"}},
		{"to the file path", existing, false, []string{existing, "SaveOptions.Overwrite"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := posts.Load()
			_, err := c.SaveImage(t.Context(), testID, tt.dst, nil)
			var ee *ExistsError
			if !errors.As(err, &ee) || !errors.Is(err, fs.ErrExist) {
				t.Fatalf("err = %v, want an *ExistsError matching fs.ErrExist", err)
			}
			if ee.Path != existing || ee.Charged != tt.charged {
				t.Errorf("error = %#v", ee)
			}
			if spent := posts.Load() - before; spent != map[bool]int64{false: 0, true: 1}[tt.charged] {
				t.Errorf("%d POSTs, charged = %v", spent, tt.charged)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message %q does not say %q", err, s)
				}
			}
			if !tt.charged && strings.Contains(err.Error(), "charged") {
				t.Errorf("message %q says charged, but nothing was requested", err)
			}
			if names := listDir(t, dir); len(names) != 1 {
				t.Errorf("directory holds %v", names)
			}
			if b, _ := os.ReadFile(existing); string(b) != "old" {
				t.Error("the existing file was replaced")
			}
		})
	}
	// The name taken between the check and the commit: charged too.
	tmp := filepath.Join(dir, "tmp")
	if err := os.WriteFile(tmp, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	var ee *ExistsError
	if err := commit(tmp, existing, false); !errors.As(err, &ee) || !ee.Charged {
		t.Errorf("commit: err = %v", err)
	}
}

// Errors from the methods taking an id do not repeat it: a caller handling
// several ids adds it once.
func TestErrorsDoNotRepeatTheID(t *testing.T) {
	const id = "800000006"
	c, _ := saveSetup(t, func(w http.ResponseWriter, r *http.Request) { hangUp(t, w) })
	_, err := c.SaveImage(t.Context(), id, t.TempDir(), nil)
	if err == nil || strings.Contains(err.Error(), id) {
		t.Errorf("delivery failure: %v", err)
	}
	_, err = c.SaveImage(t.Context(), id+"/x", t.TempDir(), nil)
	if err == nil || strings.Contains(err.Error(), id) {
		t.Errorf("invalid id: %v", err)
	}
}
