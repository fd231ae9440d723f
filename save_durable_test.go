package getty

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// TestSaveImageIsDurable checks the order that makes a save survive a
// crash: the complete temporary file is synced before it is renamed into
// place, and the directory after the rename; a failed sync leaves no file.
func TestSaveImageIsDurable(t *testing.T) {
	c, _ := saveSetup(t, func(w http.ResponseWriter, r *http.Request) {
		serveImage(w, `attachment; filename="GettyImages-42.jpg"`)
	})
	dir := t.TempDir()
	final := filepath.Join(dir, "GettyImages-42.jpg")
	type syncCall struct {
		dir, finalExists bool
		size             int64
	}
	var calls []syncCall
	c.syncFile = func(f *os.File) error {
		st, err := f.Stat()
		if err != nil {
			return err
		}
		_, ferr := os.Stat(final)
		calls = append(calls, syncCall{dir: st.IsDir(), finalExists: ferr == nil, size: st.Size()})
		return f.Sync()
	}
	if _, err := c.SaveImage(t.Context(), "42", dir, nil); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 {
		t.Fatalf("syncs = %+v, want the file's, then the directory's", calls)
	}
	if want := (syncCall{dir: false, finalExists: false, size: int64(len(imageBytes))}); calls[0] != want {
		t.Errorf("first sync %+v, want the whole file before its rename", calls[0])
	}
	if !calls[1].dir || !calls[1].finalExists {
		t.Errorf("second sync %+v, want the directory after the rename", calls[1])
	}

	// A file that cannot be synced is not renamed into place.
	dir2 := t.TempDir()
	failed := errors.New("disk says no")
	c.syncFile = func(f *os.File) error { return failed }
	if _, err := c.SaveImage(t.Context(), "42", dir2, nil); !errors.Is(err, failed) {
		t.Fatalf("err = %v, want the sync error", err)
	}
	if names := listDir(t, dir2); len(names) != 0 {
		t.Errorf("files left after a failed sync: %v", names)
	}
}
