package archive_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/archive"
	"github.com/gettykit/getty/gettytest"
)

// fastRetry keeps retried GETs quick.
var fastRetry = getty.RetryPolicy{MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond}

// newFake starts a fake Getty server for the test.
func newFake(t testing.TB, opts ...gettytest.Option) *gettytest.Server {
	t.Helper()
	srv := gettytest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// newClient returns a client of srv that gets its token from the fake's
// token endpoint.
func newClient(t testing.TB, url string) *getty.Client {
	t.Helper()
	c, err := getty.New(
		getty.WithAPIKey(gettytest.APIKey), getty.WithClientSecret(gettytest.ClientSecret),
		getty.WithBaseURL(url), getty.WithTokenURL(url+"/oauth2/token"),
		getty.WithRetry(fastRetry),
	)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// all is the options of a sync of every seeded download (the colleagues'
// too: company downloads), with parallel workers.
func all(parallel int) *archive.Options {
	return &archive.Options{Company: true, Parallel: parallel}
}

// downloads is the number of download requests srv has received.
func downloads(srv *gettytest.Server) int { return srv.Requests(gettytest.OpDownloadImage) }

// checkArchive checks that dir holds exactly the manifest, the lock file
// and one file per manifest entry, each with its recorded size and
// SHA-256, no image twice, want images in all; no temporary file is left.
func checkArchive(t *testing.T, dir string, want int) []archive.Entry {
	t.Helper()
	entries, err := archive.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	ids := map[string]bool{}
	for _, e := range entries {
		if ids[e.ID] {
			t.Errorf("manifest records image %s twice", e.ID)
		}
		ids[e.ID] = true
		if files[e.File] {
			t.Errorf("manifest records file %s twice", e.File)
		}
		files[e.File] = true
		b, err := os.ReadFile(filepath.Join(dir, e.File))
		if err != nil {
			t.Errorf("image %s: %v", e.ID, err)
			continue
		}
		sum := sha256.Sum256(b)
		if int64(len(b)) != e.Size || hex.EncodeToString(sum[:]) != e.SHA256 {
			t.Errorf("%s: %d bytes, sha256 %x; manifest says %d bytes, %s", e.File, len(b), sum, e.Size, e.SHA256)
		}
		if e.DateDownloaded.IsZero() || e.ProductType == "" || e.AgreementName == "" || e.Download.ID != e.ID {
			t.Errorf("entry %s lacks the history record's fields: %+v", e.ID, e)
		}
	}
	if len(entries) != want {
		t.Errorf("manifest has %d entries, want %d", len(entries), want)
	}
	names, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var stray []string
	for _, n := range names {
		if !files[n.Name()] && n.Name() != archive.ManifestName && n.Name() != archive.LockName {
			stray = append(stray, n.Name())
		}
	}
	if len(stray) > 0 {
		slices.Sort(stray)
		if len(stray) > 10 {
			stray = append(stray[:10], "...")
		}
		t.Errorf("stray files in the archive: %s", strings.Join(stray, ", "))
	}
	return entries
}

// manifestLines counts the complete lines of dir's manifest.
func manifestLines(dir string) int {
	b, _ := os.ReadFile(filepath.Join(dir, archive.ManifestName))
	return strings.Count(string(b), "\n")
}

// tempDir returns a new directory for an archive, removed after the test:
// on a RAM file system where there is one (/dev/shm on Linux), so that the
// three syncs to disk each image costs (its file, the directory, the
// manifest: about 10 ms on the virtual disk of a CI machine) do not make
// the suite take tens of seconds. The tests check what a sync does and
// leaves, not how durable the disk is; the benchmark uses the real disk.
func tempDir(t testing.TB) string {
	t.Helper()
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "getty-archive-test-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		}
	}
	return t.TempDir()
}
