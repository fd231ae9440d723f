package archive_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/archive"
	"github.com/gettykit/getty/gettytest"
)

// A first sync of 1,000 history entries saves each image with exactly one
// download request; a second makes none at all, and lists only.
func TestSyncThenResyncMakesNoRequest(t *testing.T) {
	t.Parallel()
	srv := newFake(t, gettytest.WithDownloads(1000))
	c := newClient(t, srv.URL)
	dir := filepath.Join(tempDir(t), "archive") // created by the sync

	var mu sync.Mutex
	var planned, saved, progressed int
	workers := map[int]bool{}
	opts := all(8)
	opts.Progress = func(e archive.Event) {
		mu.Lock()
		defer mu.Unlock()
		switch e.Kind {
		case archive.EventPlanned:
			planned = e.Planned
		case archive.EventSaved:
			saved++
			workers[e.Worker] = true
		case archive.EventProgress:
			progressed++
		}
	}
	res, err := archive.Sync(t.Context(), c, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Listed != 1000 || res.Saved != 1000 || res.Skipped != 0 || res.Failed != 0 || res.DownloadRequests != 1000 || res.Remaining != 0 {
		t.Errorf("first sync: %+v, want 1000 listed, saved and requested", res)
	}
	if got := downloads(srv); got != 1000 {
		t.Errorf("first sync: the server got %d download requests, want 1000", got)
	}
	// One request per image: each id was downloaded (added to the
	// history) exactly once.
	per := map[string]int{}
	for _, d := range srv.History()[:1000] {
		per[d.ID]++
	}
	if len(per) != 1000 {
		t.Errorf("the 1,000 new downloads are of %d distinct images, want 1000", len(per))
	}
	entries := checkArchive(t, dir, 1000)
	var total int64
	for _, e := range entries {
		total += e.Size
	}
	if res.Bytes != total {
		t.Errorf("Bytes = %d, want %d (the files' sizes)", res.Bytes, total)
	}
	if planned != 1000 || saved != 1000 || progressed < 1000 || len(workers) < 2 {
		t.Errorf("events: planned %d, saved %d, %d progress events, %d workers; want 1000, 1000, ≥1000, several", planned, saved, progressed, len(workers))
	}

	// The history now lists each image twice (the sync's own downloads are
	// history too): still one image each, all archived.
	lists := srv.Requests(gettytest.OpListDownloads)
	res, err = archive.Sync(t.Context(), c, dir, all(8))
	if err != nil {
		t.Fatal(err)
	}
	if res.Listed != 1000 || res.Skipped != 1000 || res.Saved != 0 || res.DownloadRequests != 0 || res.Remaining != 0 {
		t.Errorf("second sync: %+v, want 1000 listed and skipped, nothing requested", res)
	}
	if got := downloads(srv); got != 1000 {
		t.Errorf("second sync made %d download requests, want none", got-1000)
	}
	if got := srv.Requests(gettytest.OpListDownloads) - lists; got != 20 {
		t.Errorf("second sync made %d listing requests, want 20 (2,000 entries, 100 a page)", got)
	}
	checkArchive(t, dir, 1000)
}

// The quota runs out after 10 downloads: the sync stops with a
// *QuotaError matching getty.ErrQuotaExhausted, having saved and recorded
// those 10, and says how many remain; once the quota renews, a rerun
// continues with requests for the other 990 only.
func TestSyncStopsOnQuotaAndContinues(t *testing.T) {
	t.Parallel()
	srv := newFake(t, gettytest.WithDownloads(1000), gettytest.WithQuota(getty.ProductPremiumAccess, 10))
	c := newClient(t, srv.URL)
	dir := tempDir(t)

	res, err := archive.Sync(t.Context(), c, dir, all(8))
	var qe *archive.QuotaError
	if !errors.As(err, &qe) || !errors.Is(err, getty.ErrQuotaExhausted) {
		t.Fatalf("err = %v, want a *QuotaError matching ErrQuotaExhausted", err)
	}
	if res.Saved != 10 || res.Remaining != 990 || res.Failed != 0 || qe.Saved != 10 || qe.Remaining != 990 {
		t.Errorf("result %+v, error %+v: want 10 saved, 990 remaining, none failed", res, qe)
	}
	// The requests refused for quota were in flight when the first
	// refusal came: at most one per other worker.
	if res.DownloadRequests < 11 || res.DownloadRequests > 18 || res.DownloadRequests != downloads(srv) {
		t.Errorf("%d download requests (server: %d), want 11..18", res.DownloadRequests, downloads(srv))
	}
	if !strings.Contains(err.Error(), "990 remain") {
		t.Errorf("error %q does not say how many remain", err)
	}
	checkArchive(t, dir, 10)

	srv.SetQuota(getty.ProductPremiumAccess, 1000)
	before := downloads(srv)
	res, err = archive.Sync(t.Context(), c, dir, all(8))
	if err != nil {
		t.Fatal(err)
	}
	if res.Saved != 990 || res.Skipped != 10 || res.DownloadRequests != 990 || downloads(srv)-before != 990 {
		t.Errorf("rerun: %+v, server got %d requests; want 990 saved and requested, 10 skipped", res, downloads(srv)-before)
	}
	checkArchive(t, dir, 1000)
}

// A file damaged in place (same size) is trusted without Verify and
// downloaded again with it; a file gone or cut short is downloaded again
// in any case. Nothing else is requested.
func TestVerifyRefetchesOnlyDamaged(t *testing.T) {
	t.Parallel()
	srv := newFake(t, gettytest.WithDownloads(30))
	c := newClient(t, srv.URL)
	dir := tempDir(t)
	if _, err := archive.Sync(t.Context(), c, dir, all(4)); err != nil {
		t.Fatal(err)
	}
	entries := checkArchive(t, dir, 30)
	damaged, gone, cut := entries[3], entries[7], entries[11]
	path := filepath.Join(dir, damaged.File)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}

	before := downloads(srv)
	res, err := archive.Sync(t.Context(), c, dir, all(4))
	if err != nil {
		t.Fatal(err)
	}
	if res.DownloadRequests != 0 || downloads(srv) != before || res.Skipped != 30 {
		t.Errorf("without verify, a same-size damage is not looked for: %+v", res)
	}

	if err := os.Remove(filepath.Join(dir, gone.File)); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(dir, cut.File), cut.Size/2); err != nil {
		t.Fatal(err)
	}
	res, err = archive.Sync(t.Context(), c, dir, all(4))
	if err != nil {
		t.Fatal(err)
	}
	if res.DownloadRequests != 2 || res.Saved != 2 || res.Missing != 1 || res.Damaged != 1 || res.Skipped != 28 || downloads(srv)-before != 2 {
		t.Errorf("a file gone and one cut short: %+v, want both downloaded again, nothing else", res)
	}

	opts := all(4)
	opts.Verify = true
	res, err = archive.Sync(t.Context(), c, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.DownloadRequests != 1 || res.Saved != 1 || res.Damaged != 1 || res.Skipped != 29 || downloads(srv)-before != 3 {
		t.Errorf("verify: %+v, want the damaged file only downloaded again", res)
	}
	after := checkArchive(t, dir, 30)
	for _, e := range after {
		if e.ID == damaged.ID && (e.File != damaged.File || e.SHA256 != damaged.SHA256) {
			t.Errorf("re-fetched %s as %s (%s), want its old name and content", damaged.ID, e.File, e.SHA256)
		}
	}
	// Nothing is left to verify or fetch.
	res, err = archive.Sync(t.Context(), c, dir, opts)
	if err != nil || res.DownloadRequests != 0 || res.Skipped != 30 {
		t.Errorf("verify again: %+v, %v; want everything skipped", res, err)
	}
}

// A dry run requests no download and changes nothing, and reports how
// many download requests a real run would make (MaxDownloads applied);
// MaxDownloads caps a real run's requests.
func TestDryRunAndMaxDownloads(t *testing.T) {
	t.Parallel()
	srv := newFake(t, gettytest.WithDownloads(1000))
	c := newClient(t, srv.URL)
	dir := tempDir(t)

	opts := all(4)
	opts.MaxDownloads = 100
	res, err := archive.Sync(t.Context(), c, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Saved != 100 || res.DownloadRequests != 100 || res.Remaining != 900 || downloads(srv) != 100 {
		t.Errorf("max 100: %+v, server got %d; want 100 saved and requested, 900 remaining", res, downloads(srv))
	}
	checkArchive(t, dir, 100)
	manifest, _ := os.ReadFile(filepath.Join(dir, archive.ManifestName))

	for _, max := range []int{0, 50} {
		opts := all(4)
		opts.DryRun, opts.MaxDownloads = true, max
		res, err := archive.Sync(t.Context(), c, dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		want := 900
		if max > 0 {
			want = max
		}
		if !res.DryRun || res.WouldDownload != want || res.Skipped != 100 || res.Remaining != 900 || res.DownloadRequests != 0 || res.Saved != 0 {
			t.Errorf("dry run, max %d: %+v, want %d would be downloaded, 100 skipped", max, res, want)
		}
	}
	if got := downloads(srv); got != 100 {
		t.Errorf("the dry runs made %d download requests", got-100)
	}
	if now, _ := os.ReadFile(filepath.Join(dir, archive.ManifestName)); string(now) != string(manifest) {
		t.Error("a dry run changed the manifest")
	}
	checkArchive(t, dir, 100)

	// A dry run of a directory that does not exist creates nothing.
	none := filepath.Join(tempDir(t), "none")
	res, err = archive.Sync(t.Context(), c, none, &archive.Options{Company: true, DryRun: true})
	if err != nil || res.WouldDownload != 1000 {
		t.Errorf("dry run of a new directory: %+v, %v", res, err)
	}
	if _, err := os.Stat(none); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dry run created %s", none)
	}
}

// Two syncs into one directory at once: the second is refused, naming the
// first, before any request, and the manifest the first writes is intact.
func TestConcurrentSyncsRefused(t *testing.T) {
	t.Parallel()
	srv := newFake(t, gettytest.WithDownloads(100), gettytest.WithLatency(gettytest.OpDelivery, 5*time.Millisecond))
	c := newClient(t, srv.URL)
	dir := tempDir(t)

	first := make(chan error, 1)
	go func() {
		_, err := archive.Sync(t.Context(), c, dir, all(2))
		first <- err
	}()
	for manifestLines(dir) < 5 {
		time.Sleep(time.Millisecond)
	}
	res, err := archive.Sync(t.Context(), c, dir, all(2))
	var le *archive.LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second sync: %v, want a *LockedError", err)
	}
	if want := fmt.Sprintf("pid %d on ", os.Getpid()); !strings.Contains(le.Holder, want) || !strings.Contains(err.Error(), want) {
		t.Errorf("refusal %q does not name the holder (%q)", err, want)
	}
	if res.Listed != 0 || res.DownloadRequests != 0 {
		t.Errorf("the refused sync listed or downloaded: %+v", res)
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	checkArchive(t, dir, 100)

	// Many at once: whichever runs, every image is recorded once and
	// requested once.
	dir = tempDir(t)
	base := downloads(srv)
	var wg sync.WaitGroup
	var ran, refused atomic.Int32
	for range 6 {
		wg.Go(func() {
			_, err := archive.Sync(t.Context(), c, dir, all(2))
			switch {
			case err == nil:
				ran.Add(1)
			case errors.As(err, new(*archive.LockedError)):
				refused.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ran.Load() < 1 || ran.Load()+refused.Load() != 6 {
		t.Errorf("%d syncs ran, %d were refused", ran.Load(), refused.Load())
	}
	if got := downloads(srv) - base; got != 100 {
		t.Errorf("%d download requests for 100 images", got)
	}
	checkArchive(t, dir, 100)
}

// A torn last line (a sync killed while writing it) is dropped and the
// file repaired; damage followed by valid lines is refused before any
// request.
func TestTornManifestRepaired(t *testing.T) {
	t.Parallel()
	srv := newFake(t, gettytest.WithDownloads(20))
	c := newClient(t, srv.URL)
	dir := tempDir(t)
	opts := all(2)
	opts.MaxDownloads = 5
	if _, err := archive.Sync(t.Context(), c, dir, opts); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, archive.ManifestName)
	good, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(good), "\n")

	for name, tail := range map[string]string{
		"half a line":       lines[0][:len(lines[0])/2],
		"zeros":             "\x00\x00\x00\x00",
		"zeros and newline": "\x00\x00\n\x00\x00",
		"a blank line":      "\n",
	} {
		if err := os.WriteFile(path, []byte(string(good)+tail), 0o644); err != nil {
			t.Fatal(err)
		}
		if entries, err := archive.ReadManifest(dir); err != nil || len(entries) != 5 {
			t.Errorf("%s: ReadManifest: %d entries, %v", name, len(entries), err)
		}
		before := downloads(srv)
		o := *opts
		o.MaxDownloads = 0
		o.DryRun = true
		res, err := archive.Sync(t.Context(), c, dir, &o)
		if err != nil || res.Skipped != 5 || downloads(srv) != before {
			t.Errorf("%s: dry run %+v, %v", name, res, err)
		}
		o.DryRun = false
		o.MaxDownloads = 1
		if _, err := archive.Sync(t.Context(), c, dir, &o); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		checkArchive(t, dir, 6)
		now, _ := os.ReadFile(path)
		if !strings.HasPrefix(string(now), string(good)) {
			t.Errorf("%s: the manifest is not the 5 lines and one more:\n%s", name, now)
		}
		// Undo the sixth image for the next case.
		entries, _ := archive.ReadManifest(dir)
		os.Remove(filepath.Join(dir, entries[5].File))
	}

	// A last line cut just before its newline is complete: kept.
	if err := os.WriteFile(path, good[:len(good)-1], 0o644); err != nil {
		t.Fatal(err)
	}
	before := downloads(srv)
	o := *opts
	o.MaxDownloads = 0
	res, err := archive.Sync(t.Context(), c, dir, &o)
	if err != nil || res.Skipped != 5 || res.Saved != 15 || downloads(srv)-before != 15 {
		t.Errorf("last line without its newline: %+v, %v; want its image skipped", res, err)
	}
	checkArchive(t, dir, 20)

	// Damage in the middle is not a torn line: refused, nothing
	// requested, the manifest left as it is.
	lines = strings.SplitAfter(string(mustRead(t, path)), "\n")
	lines[2] = `{"id": "oops"` + "\n"
	bad := strings.Join(lines, "")
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	before = downloads(srv)
	_, err = archive.Sync(t.Context(), c, dir, &o)
	var ce *archive.CorruptManifestError
	if !errors.As(err, &ce) || ce.Line != 3 || downloads(srv) != before {
		t.Errorf("damaged line 3: %v, want a *CorruptManifestError for line 3", err)
	}
	if now := string(mustRead(t, path)); now != bad {
		t.Error("the damaged manifest was changed")
	}
	// A line naming a file outside the directory is damage too.
	lines[2] = strings.Replace(lines[3], `"file":"`, `"file":"../`, 1)
	os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644)
	if _, err := archive.ReadManifest(dir); !errors.As(err, &ce) || !strings.Contains(err.Error(), "plain file name") {
		t.Errorf("a file outside the directory: %v", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// An image whose body is cut short fails alone: the others are saved, no
// partial file is left, the error lists it, and a rerun fetches only it.
func TestFailedImageRetriedByRerun(t *testing.T) {
	t.Parallel()
	srv := newFake(t, gettytest.WithDownloads(20))
	c := newClient(t, srv.URL)
	dir := tempDir(t)
	srv.Truncate(gettytest.OpDelivery, 1)
	res, err := archive.Sync(t.Context(), c, dir, all(1))
	var ie *archive.IncompleteError
	if !errors.As(err, &ie) || len(ie.Failures) != 1 || res.Failed != 1 || res.Saved != 19 || res.Remaining != 1 {
		t.Fatalf("one body cut short: %+v, %v", res, err)
	}
	if !errors.Is(err, errors.Unwrap(ie.Failures[0].Err)) && ie.Failures[0].Err == nil {
		t.Error("the failure's error is not kept")
	}
	checkArchive(t, dir, 19)
	before := downloads(srv)
	res, err = archive.Sync(t.Context(), c, dir, all(1))
	if err != nil || res.Saved != 1 || res.Skipped != 19 || downloads(srv)-before != 1 {
		t.Errorf("rerun: %+v, %v", res, err)
	}
	checkArchive(t, dir, 20)
}

// An interrupted sync leaves no partial file and reports what remains; a
// rerun completes it.
func TestInterruptedSync(t *testing.T) {
	t.Parallel()
	srv := newFake(t, gettytest.WithDownloads(100), gettytest.WithLatency(gettytest.OpDelivery, 2*time.Millisecond))
	c := newClient(t, srv.URL)
	dir := tempDir(t)
	ctx, cancel := context.WithCancel(t.Context())
	opts := all(4)
	opts.Progress = func(e archive.Event) {
		if e.Kind == archive.EventSaved && manifestLines(dir) >= 30 {
			cancel()
		}
	}
	res, err := archive.Sync(ctx, c, dir, opts)
	if !errors.Is(err, context.Canceled) || res.Remaining == 0 || res.Saved+res.Remaining != 100 || res.Failed != 0 {
		t.Fatalf("interrupted: %+v, %v", res, err)
	}
	checkArchive(t, dir, res.Saved)
	res, err = archive.Sync(t.Context(), c, dir, all(4))
	if err != nil || res.Saved+res.Skipped != 100 {
		t.Errorf("rerun: %+v, %v", res, err)
	}
	checkArchive(t, dir, 100)
}

// An interruption with a cause matches both the context's error and the
// cause.
func TestInterruptedWithCause(t *testing.T) {
	t.Parallel()
	srv := newFake(t, gettytest.WithDownloads(50), gettytest.WithLatency(gettytest.OpDelivery, 2*time.Millisecond))
	c := newClient(t, srv.URL)
	dir := tempDir(t)
	cause := errors.New("the user pressed Ctrl-C")
	ctx, cancel := context.WithCancelCause(t.Context())
	opts := all(2)
	opts.Progress = func(e archive.Event) {
		if e.Kind == archive.EventSaved {
			cancel(cause)
		}
	}
	res, err := archive.Sync(ctx, c, dir, opts)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, cause) || res.Remaining == 0 || res.Failed != 0 {
		t.Fatalf("%+v, %v: want an error matching context.Canceled and the cause", res, err)
	}
	checkArchive(t, dir, res.Saved)
}
