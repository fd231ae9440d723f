// Package archive mirrors a Getty Images download history into a local
// directory: every image the history lists is saved once, and a record of
// what is completely on disk, the manifest, lets a later run skip it
// without spending a download request.
//
// [Sync] lists the history for a window, then downloads what is not
// archived yet, a few images at a time. The directory holds the images,
// under the names the delivery gives them, and the manifest
// ([ManifestName]: JSON Lines, one object per image, see [Entry]). The
// manifest is appended to and synced after each image is completely on
// disk, so a sync killed at any point (SIGKILL and power loss included)
// leaves no partial file under a final name and no manifest line for an
// image that is not complete, and a rerun downloads only what is missing.
//
// A download spends quota (the request is charged even if the image is
// then not saved). Sync never requests an image whose file is in the
// manifest and on disk with its recorded size, stops at the first
// [getty.ErrQuotaExhausted] (returning a [*QuotaError] that says how many
// images remain), can be capped ([Options.MaxDownloads]) and asked what it
// would do ([Options.DryRun]).
package archive

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gettykit/getty"
)

// DefaultFrom is the start of the window when Options.From is zero: the
// API has no open-ended start, and no Getty download predates the year the
// company was founded, so a window from 1995 holds the whole history.
var DefaultFrom = time.Date(1995, 1, 1, 0, 0, 0, 0, time.UTC)

// DefaultParallel is the number of downloads at once when
// Options.Parallel is zero.
const DefaultParallel = 4

// Options configures a sync. The zero value syncs the caller's own
// downloads since DefaultFrom, four at a time.
type Options struct {
	// From and To bound the window of the history to mirror (inclusive,
	// as the API's date_from and date_to). From zero means DefaultFrom;
	// To zero means now, pinned when the sync starts. Dates are sent as
	// YYYY-MM-DD unless UseTime is set (see getty.ListOptions).
	From, To time.Time
	// UseTime makes the API use the time of day of From and To too.
	UseTime bool
	// ProductType, if set, restricts the sync to downloads of that
	// product offering, and is the product each download request
	// charges; otherwise the account's default product is charged.
	ProductType getty.ProductType
	// Company mirrors the downloads of every user of the company, not
	// only the caller's.
	Company bool
	// Parallel is the number of downloads at once (default
	// DefaultParallel). The listing prefetches as many pages.
	Parallel int
	// MaxDownloads caps the download requests of this run; zero means no
	// cap. Images left over are counted in Result.Remaining.
	MaxDownloads int
	// DryRun lists and compares with the manifest, and reports in
	// Result.WouldDownload how many download requests a real run would
	// make, without making any or changing the directory.
	DryRun bool
	// Verify re-hashes every archived file of the window and downloads
	// again only those that are missing or whose SHA-256 no longer
	// matches the manifest. Without it an archived file is trusted when
	// it exists with its recorded size.
	Verify bool
	// Progress, if set, is called as the sync goes (see Event). Calls are
	// serialized, never concurrent, but come from the downloading
	// goroutines: keep it quick.
	Progress func(Event)
}

// Result counts what a sync did. It is returned also when the sync stops
// early, with what was done until then.
type Result struct {
	// Listed is the number of distinct images in the window (an image
	// downloaded several times is listed once).
	Listed int `json:"listed"`
	// Saved is the number of images downloaded and recorded by this run.
	Saved int `json:"saved"`
	// Skipped is the number of images already archived, for which no
	// request was made.
	Skipped int `json:"skipped"`
	// Failed is the number of images whose download failed for a reason
	// of their own (not found, a body cut short or not an image...); see
	// Failures.
	Failed int `json:"failed"`
	// DownloadRequests is the number of download requests (POSTs, each
	// of which spends quota once it succeeds) this run made.
	DownloadRequests int `json:"download_requests"`
	// Bytes is the number of bytes saved by this run.
	Bytes int64 `json:"bytes"`
	// Remaining is the number of images of the window still not archived
	// when the run ended: those left by a quota, MaxDownloads, an
	// interruption or a dry run, and those that failed.
	Remaining int `json:"remaining"`
	// Missing and Damaged count archived images found gone, or with a
	// size (or, with Verify, a SHA-256) other than recorded: they are
	// downloaded again.
	Missing int `json:"missing"`
	Damaged int `json:"damaged"`
	// WouldDownload is, for a dry run, the number of download requests a
	// real run would make (MaxDownloads applied).
	WouldDownload int `json:"would_download,omitempty"`
	// DryRun reports a dry run.
	DryRun bool `json:"dry_run,omitempty"`
	// Failures lists the failed images.
	Failures []Failure `json:"failures,omitempty"`
	// ListTime is the time spent listing the history and comparing it
	// with the archive; Elapsed the whole run.
	ListTime time.Duration `json:"-"`
	Elapsed  time.Duration `json:"-"`
}

// Failure is an image whose download failed.
type Failure struct {
	ID string `json:"id"`
	// Err is what happened; Message its text, for JSON.
	Err     error  `json:"-"`
	Message string `json:"error"`
}

// EventKind says what an Event reports.
type EventKind int

// Event kinds.
const (
	// EventPlanned: the history is listed and compared with the archive.
	// Listed, Skipped and Planned (the downloads to make) are set.
	EventPlanned EventKind = iota + 1
	// EventStarted: Worker starts downloading ID.
	EventStarted
	// EventProgress: Worker has written Written of Total bytes (Total -1
	// if unknown) of ID.
	EventProgress
	// EventSaved: ID is complete on disk as File (Written bytes) and
	// recorded in the manifest.
	EventSaved
	// EventFailed: the download of ID failed with Err. When the failure
	// stops the sync (a quota, an interruption), Stop is set.
	EventFailed
)

// Event reports the progress of a sync to Options.Progress.
type Event struct {
	Kind EventKind
	// Worker numbers the downloading goroutine, from 0 to Parallel-1, for
	// one progress bar per worker.
	Worker int
	// ID is the image.
	ID string
	// File is its name in the directory (EventSaved).
	File string
	// Written and Total are bytes (EventProgress, EventSaved).
	Written, Total int64
	// Err is the failure (EventFailed).
	Err error
	// Stop reports a failure that stops the sync (EventFailed).
	Stop bool
	// Listed, Skipped and Planned are set for EventPlanned.
	Listed, Skipped, Planned int
}

// QuotaError reports a sync stopped because the download quota is
// exhausted. What was saved is kept and recorded: a rerun once the quota
// renews continues where this one stopped. It matches
// getty.ErrQuotaExhausted (errors.Is).
type QuotaError struct {
	// Saved is the number of images this run saved before the quota ran
	// out; Remaining the number still to download.
	Saved, Remaining int
	// Err is the download request's error.
	Err error
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("archive: the download quota is exhausted: %d saved by this run, %d remain to download; "+
		"sync again once the quota renews, nothing saved is downloaded again (%v)", e.Saved, e.Remaining, e.Err)
}

func (e *QuotaError) Unwrap() error { return e.Err }

// IncompleteError reports a sync that ran to the end but could not save
// some images (see Result.Failures); a rerun tries them again.
type IncompleteError struct {
	Failures []Failure
}

func (e *IncompleteError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "archive: %d image(s) could not be saved (a rerun tries them again)", len(e.Failures))
	for i, f := range e.Failures {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(e.Failures)-i)
			break
		}
		fmt.Fprintf(&b, "; %s: %s", f.ID, strings.TrimPrefix(f.Message, "getty: "))
	}
	return b.String()
}

// Unwrap returns the failures' errors.
func (e *IncompleteError) Unwrap() []error {
	errs := make([]error, len(e.Failures))
	for i, f := range e.Failures {
		errs[i] = f.Err
	}
	return errs
}

// Sync mirrors the download history of c into dir, which is created if
// needed (see the package documentation). opts may be nil.
//
// It lists the whole window first, then downloads: the listing is pinned
// (To defaults to the start of the sync), and the downloads this run makes
// are themselves new history entries, so listing while downloading could
// shift the pages under it.
//
// The Result is never nil. The error is nil when every image of the window
// is archived or, with MaxDownloads or DryRun, when nothing failed; it is
// a *LockedError when another sync holds dir (nothing was requested), a
// *QuotaError when the quota ran out, an *IncompleteError when some images
// failed, a *CorruptManifestError when the manifest is damaged other than
// by a torn last line, the context's error when ctx ended, or the error
// that stopped the listing or the run (an account-wide refusal such as
// getty.ErrUnauthorized or getty.ErrDailyLimit stops it at once rather
// than failing every image the same way).
func Sync(ctx context.Context, c *getty.Client, dir string, opts *Options) (*Result, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	res := &Result{DryRun: o.DryRun}
	start := time.Now()
	defer func() { res.Elapsed = time.Since(start) }()
	switch {
	case c == nil:
		return res, errors.New("archive: nil client")
	case dir == "":
		return res, errors.New("archive: empty directory")
	case o.Parallel < 0:
		return res, fmt.Errorf("archive: Options.Parallel %d is negative", o.Parallel)
	case o.MaxDownloads < 0:
		return res, fmt.Errorf("archive: Options.MaxDownloads %d is negative", o.MaxDownloads)
	}
	if o.Parallel == 0 {
		o.Parallel = DefaultParallel
	}
	if o.From.IsZero() {
		o.From = DefaultFrom
	}
	s := &syncer{c: c, dir: dir, o: o, res: res, names: map[string]string{}, byID: map[string]Entry{}}

	var entries []Entry
	if o.DryRun {
		var err error
		if entries, err = ReadManifest(dir); err != nil {
			return res, err
		}
	} else {
		if err := os.MkdirAll(dir, 0o777); err != nil {
			return res, fmt.Errorf("archive: %w", err)
		}
		unlock, err := lock(dir)
		if err != nil {
			return res, err
		}
		defer unlock()
		removeTemps(dir)
		m, es, err := openManifest(dir)
		if err != nil {
			return res, err
		}
		defer m.close()
		s.m, entries = m, es
	}
	entries, superseded := latest(entries)
	for _, e := range entries {
		s.byID[e.ID] = e
		s.names[e.File] = e.ID
		s.order = append(s.order, e.ID)
	}
	s.superseded = superseded

	pending, err := s.plan(ctx)
	res.ListTime = time.Since(start)
	if err != nil {
		return res, err
	}
	planned := len(pending)
	if o.MaxDownloads > 0 {
		planned = min(planned, o.MaxDownloads)
	}
	s.emit(Event{Kind: EventPlanned, Listed: res.Listed, Skipped: res.Skipped, Planned: planned})
	res.Remaining = len(pending)
	if o.DryRun {
		res.WouldDownload = planned
		return res, nil
	}
	s.run(ctx, pending[:planned])
	res.Remaining = len(pending) - res.Saved
	if s.superseded {
		// Images saved again have a second line: leave one per image.
		kept := make([]Entry, len(s.order))
		for i, id := range s.order {
			kept[i] = s.byID[id]
		}
		if err := s.m.rewrite(dir, kept); err != nil && s.stopErr == nil {
			s.stopErr = err
		}
	}
	// Workers finish in any order: sorted, the report is stable.
	slices.SortFunc(res.Failures, func(a, b Failure) int { return cmp.Compare(a.ID, b.ID) })

	switch stop := s.stopErr; {
	case stop != nil && errors.Is(stop, getty.ErrQuotaExhausted):
		return res, &QuotaError{Saved: res.Saved, Remaining: res.Remaining, Err: stop}
	case stop != nil:
		return res, stop
	case ctx.Err() != nil && res.Remaining > 0:
		err := fmt.Errorf("archive: interrupted with %d image(s) left to download: %w", res.Remaining, ctx.Err())
		if cause := context.Cause(ctx); cause != ctx.Err() {
			err = fmt.Errorf("%w (%w)", err, cause)
		}
		return res, err
	case len(res.Failures) > 0:
		return res, &IncompleteError{Failures: res.Failures}
	}
	return res, nil
}

// syncer is one run of Sync.
type syncer struct {
	c   *getty.Client
	dir string
	o   Options
	m   *manifest // nil for a dry run

	commits *committer

	eventMu sync.Mutex

	mu         sync.Mutex
	res        *Result
	byID       map[string]Entry  // the manifest, latest line per id
	names      map[string]string // file name → id: recorded, or claimed by a download in flight
	order      []string          // the manifest's ids, in the order of their first lines
	superseded bool              // the manifest has lines superseded by later ones
	stopErr    error             // what stopped the run
	stopped    atomic.Bool
	stopCh     chan struct{}
}

// item is an image to download; recorded is its file in the manifest when
// it is archived but missing or damaged.
type item struct {
	d        getty.Download
	recorded string
}

func (s *syncer) emit(e Event) {
	if s.o.Progress == nil {
		return
	}
	s.eventMu.Lock()
	defer s.eventMu.Unlock()
	s.o.Progress(e)
}

// plan lists the window and returns the images to download, newest first,
// each once.
func (s *syncer) plan(ctx context.Context) ([]item, error) {
	lo := &getty.ListOptions{
		DateFrom:         s.o.From,
		DateTo:           s.o.To,
		UseTime:          s.o.UseTime,
		ProductType:      s.o.ProductType,
		CompanyDownloads: s.o.Company,
	}
	seen := map[string]bool{}
	var pending []item
	for d, err := range s.c.Downloads(ctx, lo, getty.WithPrefetch(s.o.Parallel)) {
		if err != nil {
			return nil, fmt.Errorf("archive: listing the download history: %w", err)
		}
		if d.ID == "" || seen[d.ID] {
			continue
		}
		seen[d.ID] = true
		s.res.Listed++
		e, ok := s.byID[d.ID]
		if !ok {
			pending = append(pending, item{d: d})
			continue
		}
		switch state, err := s.check(e); {
		case err != nil:
			return nil, err
		case state == intact:
			s.res.Skipped++
		default:
			if state == missing {
				s.res.Missing++
			} else {
				s.res.Damaged++
			}
			pending = append(pending, item{d: d, recorded: e.File})
		}
	}
	return pending, nil
}

type fileState int

const (
	intact fileState = iota
	missing
	damaged
)

// check compares an archived file with its entry: its size, and with
// Verify its SHA-256.
func (s *syncer) check(e Entry) (fileState, error) {
	path := filepath.Join(s.dir, e.File)
	st, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return missing, nil
	case err != nil:
		return 0, fmt.Errorf("archive: %w", err)
	case !st.Mode().IsRegular() || st.Size() != e.Size:
		return damaged, nil
	case !s.o.Verify:
		return intact, nil
	}
	sum, err := hashFile(path)
	if err != nil {
		return 0, fmt.Errorf("archive: verifying %s: %w", e.File, err)
	}
	if sum != e.SHA256 {
		return damaged, nil
	}
	return intact, nil
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// run downloads items with s.o.Parallel workers, until done or stopped.
// A worker streams an image into a temporary file and passes it on to be
// made durable, moved into place and recorded (finish), which happens
// while the worker downloads its next image: the syncs to disk do not hold
// a download slot.
func (s *syncer) run(ctx context.Context, items []item) {
	s.stopCh = make(chan struct{})
	s.commits = newCommitter(s.dir, s.m)
	defer s.commits.close()
	n := min(s.o.Parallel, max(len(items), 1))
	jobs := make(chan item)
	done := make(chan downloaded, n)
	var workers, finishers sync.WaitGroup
	for w := range n {
		workers.Go(func() {
			for it := range jobs {
				if s.stopped.Load() || ctx.Err() != nil {
					continue
				}
				if d, ok := s.download(ctx, w, it); ok {
					done <- d
				}
			}
		})
		// Finishing needs no context: an image downloaded (and charged)
		// is kept even when the sync is being interrupted.
		finishers.Go(func() {
			for d := range done {
				s.finish(d)
			}
		})
	}
feed:
	for _, it := range items {
		select {
		case jobs <- it:
		case <-s.stopCh:
			break feed
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	workers.Wait()
	close(done)
	finishers.Wait()
}

// stop ends the run after the downloads in flight: no new one starts.
func (s *syncer) stop(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopErr == nil {
		s.stopErr = err
		s.stopped.Store(true)
		close(s.stopCh)
	}
}

// stops reports whether an error is not the image's own but one that every
// further download would meet too: the quota, the per-day limit, rejected
// credentials, the download request refused (403 NoAccessToProductType,
// UserTokenRequired), or the local disk (full, read-only...), where each
// further download would be charged and lost. A refusal from the delivery
// host (an expired signature) is the image's own.
func stops(err error) bool {
	var (
		apiErr  *getty.APIError
		pathErr *fs.PathError
		linkErr *os.LinkError
	)
	return errors.Is(err, getty.ErrQuotaExhausted) || errors.Is(err, getty.ErrDailyLimit) ||
		errors.Is(err, getty.ErrUnauthorized) ||
		(errors.As(err, &apiErr) && apiErr.Method == http.MethodPost && errors.Is(err, getty.ErrForbidden)) ||
		errors.Is(err, errManifest) || errors.As(err, &pathErr) || errors.As(err, &linkErr)
}

// errManifest marks a failure to record an image, which stops the run:
// going on would spend requests on images that cannot be recorded.
var errManifest = errors.New("archive: the manifest cannot be written")

// fail counts a failed image, or stops the run when the failure is not the
// image's own. A download that fails once ctx has ended was interrupted
// (its error may carry the context's cause rather than its error): it is
// neither a failure nor a reason to stop, the image just remains.
func (s *syncer) fail(ctx context.Context, w int, id string, err error) {
	interrupted := ctx.Err() != nil
	stop := interrupted || stops(err)
	s.emit(Event{Kind: EventFailed, Worker: w, ID: id, Err: err, Stop: stop})
	switch {
	case interrupted:
	case stop:
		s.stop(err)
	default:
		s.mu.Lock()
		s.res.Failed++
		s.res.Failures = append(s.res.Failures, Failure{ID: id, Err: err, Message: err.Error()})
		s.mu.Unlock()
	}
}

// downloaded is an image streamed completely into its temporary file.
type downloaded struct {
	w          int
	it         item
	tmp        *os.File
	serverName string
	e          Entry // without File
}

// download sends the download request for it and streams the image into a
// new temporary file, hashing it as it is written. ok is false when it
// failed (reported, and the temporary file removed).
func (s *syncer) download(ctx context.Context, w int, it item) (d downloaded, ok bool) {
	id := it.d.ID
	s.emit(Event{Kind: EventStarted, Worker: w, ID: id})
	tmp, err := createTemp(s.dir)
	if err != nil {
		s.fail(ctx, w, id, fmt.Errorf("archive: %w", err))
		return d, false
	}
	h := sha256.New()
	opts := &getty.SaveOptions{
		DownloadOptions: getty.DownloadOptions{ProductType: s.o.ProductType},
	}
	if s.o.Progress != nil {
		opts.Progress = func(written, total int64) {
			s.emit(Event{Kind: EventProgress, Worker: w, ID: id, Written: written, Total: total})
		}
	}
	s.mu.Lock()
	s.res.DownloadRequests++
	s.mu.Unlock()
	saved, err := s.c.SaveImageTo(ctx, id, io.MultiWriter(tmp, h), opts)
	if err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		s.fail(ctx, w, id, err)
		return d, false
	}
	return downloaded{w: w, it: it, tmp: tmp, serverName: saved.Filename, e: Entry{
		ID:          id,
		Size:        saved.Size,
		SHA256:      hex.EncodeToString(h.Sum(nil)),
		ContentType: saved.ContentType,
		SavedAt:     time.Now().UTC().Truncate(time.Second),
		Download:    it.d,
	}}, true
}

// finish makes a downloaded image durable, moves it to its final name and
// records it in the manifest, in that order: the manifest never names a
// file that is not complete on disk.
func (s *syncer) finish(d downloaded) {
	id := d.it.d.ID
	tmpName := d.tmp.Name()
	err := d.tmp.Sync()
	if cerr := d.tmp.Close(); err == nil {
		err = cerr
	}
	var name string
	if err == nil {
		name, err = s.place(tmpName, d.it, d.serverName, d.e)
	}
	if err != nil {
		_ = os.Remove(tmpName)
		s.fail(context.Background(), d.w, id, fmt.Errorf("archive: saving the downloaded image: %w", err))
		return
	}
	e := d.e
	e.File = name
	// The rename is made durable before the manifest says the file is
	// there.
	if err := s.commits.record(e); err != nil {
		s.fail(context.Background(), d.w, id, fmt.Errorf("%w: %w", errManifest, err))
		return
	}
	s.mu.Lock()
	if _, ok := s.byID[id]; ok {
		s.superseded = true
	} else {
		s.order = append(s.order, id)
	}
	s.byID[id] = e
	s.res.Saved++
	s.res.Bytes += e.Size
	s.mu.Unlock()
	s.emit(Event{Kind: EventSaved, Worker: d.w, ID: id, File: e.File, Written: e.Size, Total: e.Size})
}

// place moves the complete temporary file to its final name and returns
// the name. An image archived before keeps its recorded name (the damaged
// or partial file there is replaced). A new image gets the name the
// delivery gave (already sanitized by getty), unless the name is taken:
// by another image of the archive, by a download in flight, or by a file
// that is not this image, in which case "<name>_<id><ext>" is used (then
// "_2", "_3"...). A file already there with the same content is this very
// image, saved by a run killed before it could record it: it is kept.
func (s *syncer) place(tmp string, it item, serverName string, e Entry) (string, error) {
	id := it.d.ID
	s.mu.Lock()
	defer s.mu.Unlock()
	if it.recorded != "" {
		if err := os.Rename(tmp, filepath.Join(s.dir, it.recorded)); err != nil {
			return "", err
		}
		return it.recorded, nil
	}
	for n := 0; ; n++ {
		name := candidate(serverName, id, n)
		if owner, ok := s.names[name]; ok && owner != id {
			continue
		}
		final := filepath.Join(s.dir, name)
		if _, err := os.Lstat(final); err == nil {
			if same, _ := sameContent(final, e.Size, e.SHA256); same {
				_ = os.Remove(tmp)
				s.names[name] = id
				return name, nil
			}
			continue
		}
		// A hard link claims the name only if it is still free; where
		// links are not supported, the lock on the directory makes the
		// rename safe enough.
		err := os.Link(tmp, final)
		switch {
		case err == nil:
			_ = os.Remove(tmp)
		case errors.Is(err, fs.ErrExist):
			continue
		default:
			if err := os.Rename(tmp, final); err != nil {
				return "", err
			}
		}
		s.names[name] = id
		return name, nil
	}
}

// candidate is the n-th name tried for image id delivered as name.
func candidate(name, id string, n int) string {
	if name == "" || name == ManifestName || !plainName(name) {
		name = "image"
		if n == 0 {
			n = 1
		}
	}
	if n == 0 {
		return name
	}
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	suffix := "_" + safeID(id)
	if n > 1 {
		suffix += "_" + strconv.Itoa(n)
	}
	return stem + suffix + ext
}

// safeID keeps the letters, digits, dots, dashes and underscores of an id.
func safeID(id string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, id)
}

// sameContent reports whether the file at path has the given size and
// SHA-256.
func sameContent(path string, size int64, sum string) (bool, error) {
	st, err := os.Lstat(path)
	if err != nil || !st.Mode().IsRegular() || st.Size() != size {
		return false, err
	}
	got, err := hashFile(path)
	return got == sum, err
}

// tempPrefix starts the names of the temporary files a sync writes;
// they are hidden, so never taken for images, and removed by the next
// sync if a killed one left them.
const tempPrefix = ".getty-sync-"

func createTemp(dir string) (*os.File, error) {
	for range 100 {
		name := filepath.Join(dir, tempPrefix+strconv.FormatUint(rand.Uint64(), 36)+".part")
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("no free temporary file name in %s", dir)
}

// removeTemps removes what syncs killed before they could clean up left
// behind. The caller holds the lock: no other sync is writing them.
func removeTemps(dir string) {
	matches, _ := filepath.Glob(filepath.Join(dir, tempPrefix+"*.part"))
	for _, m := range matches {
		_ = os.Remove(m)
	}
}
