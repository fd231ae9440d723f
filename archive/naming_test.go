package archive_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/archive"
	"github.com/gettykit/getty/gettytest"
)

// sameNameServer serves a history of the given ids, each delivered under
// the same file name, photo.jpg, with a body of its own.
func sameNameServer(t *testing.T, ids ...string) (*getty.Client, *atomic.Int32) {
	t.Helper()
	posts := new(atomic.Int32)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v3/downloads", func(w http.ResponseWriter, r *http.Request) {
		var items []map[string]any
		for i, id := range ids {
			items = append(items, map[string]any{
				"id": id, "date_downloaded": time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC),
				"product_type": "premiumaccess", "agreement_name": "Premium Access Agreement",
			})
		}
		if p, _ := strconv.Atoi(r.URL.Query().Get("page")); p > 1 {
			items = nil
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"result_count": len(ids), "downloads": items})
	})
	mux.HandleFunc("POST /v3/downloads/images/{id}", func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		http.Redirect(w, r, "/delivery/"+r.PathValue("id"), http.StatusSeeOther)
	})
	mux.HandleFunc("GET /delivery/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Content-Disposition", `attachment; filename="photo.jpg"`)
		fmt.Fprintf(w, "\xff\xd8\xff\xe0 image %s", r.PathValue("id"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := getty.New(getty.WithAPIKey("key"), getty.WithBaseURL(srv.URL),
		getty.WithToken(&oauth2.Token{AccessToken: "token", Expiry: time.Now().Add(time.Hour)}))
	if err != nil {
		t.Fatal(err)
	}
	return c, posts
}

// Images delivered under one name are saved under names of their own,
// and a file of the user's that has the name is left alone.
func TestNameCollisions(t *testing.T) {
	t.Parallel()
	c, posts := sameNameServer(t, "1", "2", "3")
	dir := tempDir(t)
	mine := filepath.Join(dir, "photo.jpg")
	if err := os.WriteFile(mine, []byte("my own photo"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := archive.Sync(t.Context(), c, dir, &archive.Options{Parallel: 1})
	if err != nil || res.Saved != 3 || posts.Load() != 3 {
		t.Fatalf("%+v, %v, %d requests", res, err, posts.Load())
	}
	entries, err := archive.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.File)
		b, _ := os.ReadFile(filepath.Join(dir, e.File))
		if !strings.HasSuffix(string(b), "image "+e.ID) {
			t.Errorf("%s holds %q, not image %s", e.File, b, e.ID)
		}
	}
	slices.Sort(names)
	if want := []string{"photo_1.jpg", "photo_2.jpg", "photo_3.jpg"}; !slices.Equal(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
	if b, _ := os.ReadFile(mine); string(b) != "my own photo" {
		t.Errorf("the user's photo.jpg was replaced: %q", b)
	}
}

// An image already under its final name but not recorded (a sync killed
// between the rename and the manifest line) is recognized by its content
// after the download and recorded: no second copy.
func TestUnrecordedFileAdopted(t *testing.T) {
	t.Parallel()
	srv := newFake(t, gettytest.WithDownloads(5))
	c := newClient(t, srv.URL)
	first := tempDir(t)
	if _, err := archive.Sync(t.Context(), c, first, all(2)); err != nil {
		t.Fatal(err)
	}
	entries := checkArchive(t, first, 5)
	dir := tempDir(t)
	b, _ := os.ReadFile(filepath.Join(first, entries[2].File))
	if err := os.WriteFile(filepath.Join(dir, entries[2].File), b, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := archive.Sync(t.Context(), c, dir, all(2))
	if err != nil || res.Saved != 5 {
		t.Fatalf("%+v, %v", res, err)
	}
	checkArchive(t, dir, 5)
}

// A manifest line is one flat JSON object: the archive's fields and the
// history record's, for jq and for people.
func TestManifestLineFields(t *testing.T) {
	t.Parallel()
	srv := newFake(t, gettytest.WithDownloads(1))
	dir := tempDir(t)
	if _, err := archive.Sync(t.Context(), newClient(t, srv.URL), dir, nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, archive.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal(b, &line); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	for _, k := range []string{"id", "file", "size", "sha256", "content_type", "saved_at",
		"date_downloaded", "product_type", "agreement_name", "license_model", "product_id", "asset_type", "user", "dimensions"} {
		if _, ok := line[k]; !ok {
			t.Errorf("manifest line has no %q: %s", k, b)
		}
	}
	if !strings.HasPrefix(string(b), `{"id":"`) {
		t.Errorf("the line does not start with the id: %s", b)
	}
}
