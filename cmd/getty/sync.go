package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/archive"
)

const syncLong = `Mirrors the download history into --dir (created when missing): every image
of the window not archived yet is saved under the name the delivery gives it,
and recorded in DIR/` + archive.ManifestName + `, one JSON object per line (id, file,
size, sha256, date downloaded, product type, agreement and the rest of the
history record). An image of the manifest whose file is there with its
recorded size is skipped without a download request; --verify re-hashes the
files and downloads again only those missing or damaged.

A sync may be stopped at any point (Ctrl-C, kill -9, a crash): no partial file
is left under a final name, the manifest records only complete images, and a
rerun downloads only what is missing. A second sync into the same directory
while one runs is refused.

Each download request spends quota. When the quota runs out the sync stops,
keeps what it saved and exits 4, saying how many images remain: sync again
when the quota renews. --dry-run prints how many download requests a run would
make, and makes none; --max-downloads caps them.

The window runs from --from (default 1995-01-01, the whole history) to --to
(default now). --timeout applies only when given: a large archive takes as
long as it takes, and --stall-timeout still ends a download that hangs.`

func (a *app) newSyncCmd() *cobra.Command {
	var (
		dir          string
		from, to     dateFlag
		product      string
		company      bool
		parallel     int
		maxDownloads int
		dryRun       bool
		verify       bool
		asJSON       bool
	)
	cmd := &cobra.Command{
		Use:   "sync --dir DIR",
		Short: "Mirror the download history into a directory, resumable",
		Long:  syncLong,
		Example: `  getty downloads sync --dir archive                # everything, 4 at a time
  getty downloads sync --dir archive --dry-run      # how many download requests it would make
  getty downloads sync --dir archive --from 2026-01-01 --product-type premiumaccess --parallel 8
  getty downloads sync --dir archive --verify --json`,
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		// Like a server, a sync runs as long as its work takes: the
		// default --timeout would cut a large archive short.
		Annotations: map[string]string{annotLongRunning: ""},
	}
	fs := cmd.Flags()
	fs.StringVar(&dir, "dir", "", "directory to mirror into, created when missing (required)")
	fs.Var(&from, "from", "downloads on or after this date (YYYY-MM-DD or RFC 3339; default 1995-01-01, the whole history)")
	fs.Var(&to, "to", "downloads on or before this date (default now)")
	fs.StringVar(&product, "product-type", "", "only downloads of this product offering, which each download then charges ("+productTypes+")")
	fs.BoolVar(&company, "company", false, "the downloads of every user of the company")
	fs.IntVar(&parallel, "parallel", archive.DefaultParallel, "downloads at once, 1..32")
	fs.IntVar(&maxDownloads, "max-downloads", 0, "make at most this many download requests (0: no limit)")
	fs.BoolVar(&dryRun, "dry-run", false, "print how many download requests a sync would make, and make none")
	fs.BoolVar(&verify, "verify", false, "re-hash the archived files and download again those missing or damaged")
	fs.BoolVar(&asJSON, "json", false, "print one JSON summary object at the end instead of progress and a summary line")
	mustRegister(cmd.RegisterFlagCompletionFunc("dir", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return nil, cobra.ShellCompDirectiveFilterDirs
	}))
	mustRegister(cmd.RegisterFlagCompletionFunc("product-type", completeValues(strings.Split(productTypes, ", ")...)))
	mustRegister(cmd.RegisterFlagCompletionFunc("from", cobra.NoFileCompletions))
	mustRegister(cmd.RegisterFlagCompletionFunc("to", cobra.NoFileCompletions))

	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		switch {
		case dir == "":
			return usageErrorf("downloads sync needs --dir, the directory to mirror into")
		case parallel < 1 || parallel > 32:
			return usageErrorf("--parallel %d is outside 1..32", parallel)
		case maxDownloads < 0:
			return usageErrorf("--max-downloads %d is negative (0 means no limit)", maxDownloads)
		}
		if st, err := os.Stat(dir); err == nil && !st.IsDir() {
			return usageErrorf("--dir %s is a file, not a directory", dir)
		}
		if from.t.IsZero() {
			from.t = archive.DefaultFrom
		}
		if err := checkWindow(from.t, to.t, false); err != nil {
			return err
		}
		opts := &archive.Options{
			From: from.t, To: to.t, Company: company, Parallel: parallel,
			MaxDownloads: maxDownloads, DryRun: dryRun, Verify: verify,
		}
		var err error
		if opts.ProductType, err = parseProductType(product); err != nil {
			return err
		}
		c, err := a.newClient(!dryRun)
		if err != nil {
			return err
		}
		return a.sync(cmd.Context(), c, dir, opts, asJSON)
	}
	return cmd
}

// sync runs the sync with progress (bars on a terminal, lines otherwise,
// nothing with --json) and prints its summary, also when it stopped early.
func (a *app) sync(ctx context.Context, c *getty.Client, dir string, opts *archive.Options, asJSON bool) error {
	var bars *syncBars
	switch {
	case asJSON:
	case a.isTerminal(a.stdout):
		bars = newSyncBars(ctx, a.stdout, opts.Parallel)
		opts.Progress = bars.event
	default:
		opts.Progress = func(e archive.Event) { plainEvent(a.stdout, e) }
	}
	res, err := archive.Sync(ctx, c, dir, opts)
	if bars != nil {
		bars.wait()
	}
	if asJSON {
		if jerr := writeSyncJSON(a.stdout, dir, res, err); jerr != nil {
			return jerr
		}
	} else {
		fmt.Fprintln(a.stdout, summaryLine(dir, res))
	}
	return syncFailure(dir, err)
}

// plainEvent prints the progress of a sync as lines, for logs and pipes.
func plainEvent(w io.Writer, e archive.Event) {
	switch e.Kind {
	case archive.EventPlanned:
		fmt.Fprintf(w, "%d images in the window: %d archived already, %d to download\n", e.Listed, e.Skipped, e.Planned)
	case archive.EventSaved:
		fmt.Fprintf(w, "saved %s (%d bytes)\n", e.File, e.Written)
	case archive.EventFailed:
		if !e.Stop {
			fmt.Fprintf(w, "failed %s: %s\n", showID(e.ID), failureText(e.Err))
		}
	}
}

// summaryLine says what a sync did, in one line.
func summaryLine(dir string, r *archive.Result) string {
	if r.DryRun {
		return fmt.Sprintf("dry run: %d download request(s) would be made for %s (%d of %d images archived already); nothing was downloaded",
			r.WouldDownload, dir, r.Skipped, r.Listed)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d images in the window; %d saved (%s), %d skipped, %d failed; %d download request(s)",
		dir, r.Listed, r.Saved, sizeText(r.Bytes), r.Skipped, r.Failed, r.DownloadRequests)
	if r.Missing+r.Damaged > 0 {
		fmt.Fprintf(&b, "; %d missing and %d damaged downloaded again", r.Missing, r.Damaged)
	}
	if r.Remaining > 0 {
		fmt.Fprintf(&b, "; %d remain", r.Remaining)
	}
	return b.String()
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// syncSummary is the --json output: the library's Result, and how the
// run ended.
type syncSummary struct {
	Dir string `json:"dir"`
	*archive.Result
	DryRun         bool    `json:"dry_run"`
	WouldDownload  int     `json:"would_download"`
	QuotaExhausted bool    `json:"quota_exhausted"`
	Seconds        float64 `json:"seconds"`
	Error          string  `json:"error,omitempty"`
}

func writeSyncJSON(w io.Writer, dir string, r *archive.Result, err error) error {
	s := syncSummary{
		Dir: dir, Result: r, DryRun: r.DryRun, WouldDownload: r.WouldDownload,
		QuotaExhausted: errors.Is(err, getty.ErrQuotaExhausted),
		Seconds:        r.Elapsed.Round(time.Millisecond).Seconds(),
	}
	if r.Failures == nil {
		r.Failures = []archive.Failure{}
	}
	if err != nil {
		s.Error = cliMessage(syncFailure(dir, err))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// syncError words a sync's error for the command line and unwraps to it,
// so that the exit status is the one it calls for (4 for the quota).
type syncError struct {
	msg string
	err error
}

func (e *syncError) Error() string { return e.msg }

func (e *syncError) Unwrap() error { return e.err }

func syncFailure(dir string, err error) error {
	var (
		quota      *archive.QuotaError
		locked     *archive.LockedError
		incomplete *archive.IncompleteError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &quota):
		return &syncError{err: err, msg: fmt.Sprintf("download quota exhausted: %d image(s) saved, %d remain to download; "+
			"sync again when the quota renews (nothing saved is downloaded again): %s", quota.Saved, quota.Remaining, failureText(quota.Err))}
	case errors.As(err, &locked):
		holder := locked.Holder
		if holder == "" {
			holder = "a process that has not said which yet"
		}
		return &syncError{err: err, msg: fmt.Sprintf("another sync is running in %s (%s): wait for it to end; "+
			"two syncs at once would corrupt the manifest", dir, holder)}
	case errors.As(err, &incomplete):
		lines := []string{fmt.Sprintf("%d image(s) could not be saved; a rerun tries them again:", len(incomplete.Failures))}
		for _, f := range incomplete.Failures {
			lines = append(lines, "  "+showID(f.ID)+": "+failureText(f.Err))
		}
		return &syncError{err: err, msg: strings.Join(lines, "\n")}
	}
	return &syncError{err: err, msg: strings.TrimPrefix(failureText(err), "archive: ")}
}

// syncBars draws a sync on a terminal: an overall bar of the images to
// download, and a bar per worker for the file it is writing.
type syncBars struct {
	p       *mpb.Progress
	overall *mpb.Bar
	workers []*mpb.Bar
	names   []atomic.Pointer[string]
}

func newSyncBars(ctx context.Context, w io.Writer, parallel int) *syncBars {
	return &syncBars{
		p:     mpb.NewWithContext(ctx, mpb.WithOutput(w), mpb.WithWidth(40), mpb.WithAutoRefresh()),
		names: make([]atomic.Pointer[string], parallel),
	}
}

// event is the sync's progress callback; calls are serialized.
func (s *syncBars) event(e archive.Event) {
	switch e.Kind {
	case archive.EventPlanned:
		s.overall = s.p.AddBar(int64(e.Planned),
			mpb.PrependDecorators(decor.Name("images", decor.WC{C: decor.DindentRight | decor.DextraSpace}),
				decor.CountersNoUnit("%d / %d", decor.WCSyncWidth)),
			mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), decor.Name(" "), decor.AverageETA(decor.ET_STYLE_GO)))
		if e.Planned == 0 {
			s.overall.SetTotal(-1, true)
		}
		for i := range s.names {
			idle := "idle"
			s.names[i].Store(&idle)
			s.workers = append(s.workers, s.p.AddBar(0,
				mpb.BarRemoveOnComplete(),
				mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return *s.names[i].Load() },
					decor.WC{W: 12, C: decor.DindentRight | decor.DextraSpace})),
				mpb.AppendDecorators(decor.CountersKibiByte("% .1f / % .1f"), decor.Percentage(decor.WCSyncSpace))))
		}
	case archive.EventStarted:
		name := showID(e.ID)
		s.names[e.Worker].Store(&name)
		s.workers[e.Worker].SetTotal(0, false)
		s.workers[e.Worker].SetCurrent(0)
	case archive.EventProgress:
		if e.Total > 0 {
			s.workers[e.Worker].SetTotal(e.Total, false)
		}
		s.workers[e.Worker].SetCurrent(e.Written)
	case archive.EventSaved:
		s.overall.Increment()
	case archive.EventFailed:
		if !e.Stop {
			s.overall.Increment()
		}
	}
}

// wait ends the bars (the overall one may be short of its total after a
// quota or an interruption) and waits until they are drawn.
func (s *syncBars) wait() {
	for _, b := range s.workers {
		b.SetTotal(-1, true)
	}
	if s.overall != nil && !s.overall.Completed() {
		s.overall.Abort(false)
	}
	s.p.Wait()
}
