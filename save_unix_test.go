//go:build unix

package getty

import (
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// The saved file gets the permissions the umask gives new files, not a
// fixed mode: a user with umask 077 keeps their images private.
func TestSaveImageHonoursUmask(t *testing.T) {
	c, _ := saveSetup(t, func(w http.ResponseWriter, r *http.Request) {
		serveImage(w, `attachment; filename="GettyImages-42.jpg"`)
	})
	for _, umask := range []int{0o077, 0o022} {
		old := syscall.Umask(umask)
		dir := t.TempDir()
		_, err := c.SaveImage(t.Context(), "42", dir, nil)
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(filepath.Join(dir, "GettyImages-42.jpg"))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := st.Mode().Perm(), fs.FileMode(0o666&^umask); got != want {
			t.Errorf("umask %03o: file mode %v, want %v", umask, got, want)
		}
	}
}

// Directories SaveImage creates get 0755 less the umask, as mkdir -p and
// wget -P give them, parents included.
func TestSaveImageDirectoriesHonourUmask(t *testing.T) {
	c, _ := saveSetup(t, func(w http.ResponseWriter, r *http.Request) {
		serveImage(w, `attachment; filename="GettyImages-42.jpg"`)
	})
	for _, umask := range []int{0o077, 0o022} {
		root := t.TempDir()
		old := syscall.Umask(umask)
		_, err := c.SaveImage(t.Context(), "42", filepath.Join(root, "a", "b")+"/", nil)
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		for _, dir := range []string{filepath.Join(root, "a"), filepath.Join(root, "a", "b")} {
			st, err := os.Stat(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := st.Mode().Perm(), fs.FileMode(0o755&^umask); got != want {
				t.Errorf("umask %03o: %s has mode %v, want %v", umask, dir, got, want)
			}
		}
	}
}
