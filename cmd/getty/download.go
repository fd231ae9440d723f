package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/gettykit/getty"
)

const downloadLong = `Saves each image into --dir under the name the server gives it; --dir is
created when missing. Each download spends quota, also when the image is then
not saved: the name is known only after the download request, so a file
already there is found only then (use --overwrite, or remove it first). A file
is written completely, and only if its bytes are the declared file type, or
not at all.

An image id never starts with "-": such an argument is a flag, and after "--"
it is refused as an id.`

func (a *app) newDownloadCmd() *cobra.Command {
	var (
		opts        getty.SaveOptions
		dir         string
		fileType    string
		product     string
		productID   int
		urlOnly     bool
		parallel    int
		teamCredits bool
	)
	cmd := &cobra.Command{
		Use:   "download [flags] ID...",
		Short: "Save images into a directory, with progress",
		Long:  downloadLong,
		Example: `  getty download --dir photos 1167612765 1167612766   # progress bars on a terminal
  getty download 1167612765 --url-only      # print the URL (still spends quota)`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("download needs at least one image id")
			}
			return checkIDs(args)
		},
		ValidArgsFunction: cobra.NoFileCompletions,
		Annotations:       map[string]string{annotIDs: ""},
	}
	fs := cmd.Flags()
	fs.StringVar(&dir, "dir", ".", "directory to save into, created when missing")
	fs.StringVar(&fileType, "file-type", "", "file type: jpg or eps")
	fs.StringVar(&opts.Height, "height", "", "one of the image's listed pixel heights (default: the largest)")
	fs.StringVar(&product, "product-type", "", "product offering to charge ("+productTypes+")")
	fs.IntVar(&productID, "product-id", 0, "instance of the product offering")
	fs.BoolVar(&teamCredits, "team-credits", false, "use team credits (iStock)")
	fs.StringVar(&opts.ProjectCode, "project-code", "", "project code recorded with the download")
	fs.StringVar(&opts.Notes, "notes", "", "notes recorded with the download")
	fs.BoolVar(&opts.Overwrite, "overwrite", false, "replace files that already exist")
	fs.BoolVar(&urlOnly, "url-only", false, "print each download URL instead of downloading (still spends quota)")
	fs.IntVar(&parallel, "parallel", 4, "downloads at once")
	mustRegister(cmd.RegisterFlagCompletionFunc("dir", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return nil, cobra.ShellCompDirectiveFilterDirs
	}))
	mustRegister(cmd.RegisterFlagCompletionFunc("file-type", completeValues("jpg", "eps")))
	mustRegister(cmd.RegisterFlagCompletionFunc("product-type", completeValues(strings.Split(productTypes, ", ")...)))

	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		switch {
		case parallel < 1 || parallel > 32:
			return usageErrorf("--parallel %d is outside 1..32", parallel)
		case productID < 0:
			return usageErrorf("--product-id %d is negative", productID)
		case fileType != "" && fileType != "jpg" && fileType != "eps":
			return usageErrorf("--file-type %q is neither jpg nor eps", fileType)
		case dir == "":
			return usageErrorf("--dir is empty (use . for the current directory)")
		}
		if opts.Height != "" {
			if n, err := strconv.Atoi(opts.Height); err != nil || n <= 0 {
				return usageErrorf("--height %q is not a positive number of pixels", opts.Height)
			}
		}
		var err error
		if opts.ProductType, err = parseProductType(product); err != nil {
			return err
		}
		opts.FileType = getty.FileType(fileType)
		opts.ProductID = productID
		opts.UseTeamCredits = teamCredits
		// Each download spends quota: an id given twice is downloaded once.
		seen := map[string]bool{}
		ids := slices.DeleteFunc(slices.Clone(args), func(id string) bool {
			dup := seen[id]
			seen[id] = true
			return dup
		})
		c, err := a.newClient(true)
		if err != nil {
			return err
		}
		if urlOnly {
			var errs []error
			for _, id := range ids {
				u, err := c.DownloadURL(cmd.Context(), id, &opts.DownloadOptions)
				if err != nil {
					errs = append(errs, &idError{id: id, err: err})
					continue
				}
				fmt.Fprintf(a.stdout, "%s\t%s\n", id, u)
			}
			return errors.Join(errs...)
		}
		return a.saveAll(cmd.Context(), c, ids, dir, opts, parallel)
	}
	return cmd
}

// checkIDs refuses arguments that cannot be image ids, before any quota is
// spent: one starting with "-" (a mistyped flag, or after "--"), and those
// the library refuses (see validID).
func checkIDs(ids []string) error {
	var errs []error
	for _, id := range ids {
		switch {
		case strings.HasPrefix(id, "-"):
			errs = append(errs, fmt.Errorf("invalid image id %s: an id never starts with \"-\"", strconv.Quote(id)))
		case !validID(id):
			errs = append(errs, fmt.Errorf(`invalid image id %s: empty, "." or "..", or holding one of / \ ? # %%, white space or control characters`, strconv.Quote(id)))
		}
	}
	if len(errs) > 0 {
		return &usageError{msg: errors.Join(errs...).Error()}
	}
	return nil
}

// validID is the library's rule for an image id (it refuses others without
// sending anything); TestIDRuleMatchesLibrary keeps the two in step.
func validID(id string) bool {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, "/\\?#% \t") {
		return false
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// saveAll downloads ids into dir, which it creates when missing, with at
// most parallel at once. One failure does not stop the others; every
// failure is reported.
func (a *app) saveAll(ctx context.Context, c *getty.Client, ids []string, dir string, opts getty.SaveOptions, parallel int) error {
	// Like wget -P, a missing directory is created. SaveImage would take a
	// missing path for the name of the file to write.
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return usageErrorf("--dir %s is a file, not a directory", dir)
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return fmt.Errorf("--dir: %w", err)
	}
	var progress *mpb.Progress
	if a.isTerminal(a.stdout) {
		progress = mpb.NewWithContext(ctx, mpb.WithOutput(a.stdout), mpb.WithWidth(40), mpb.WithAutoRefresh())
	}
	var (
		mu   sync.Mutex
		errs = make([]error, len(ids))
		done = make([]*getty.SavedImage, len(ids))
		wg   sync.WaitGroup
		sem  = make(chan struct{}, parallel)
	)
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = &idError{id: id, err: ctx.Err()}
				return
			}
			defer func() { <-sem }()
			o := opts
			var bar *mpb.Bar
			if progress != nil {
				bar = progress.AddBar(0,
					mpb.PrependDecorators(decor.Name(id, decor.WC{C: decor.DindentRight | decor.DextraSpace})),
					mpb.AppendDecorators(decor.CountersKibiByte("% .1f / % .1f"), decor.Percentage(decor.WCSyncSpace)))
				o.Progress = func(written, total int64) {
					if total > 0 {
						bar.SetTotal(total, false)
					}
					bar.SetCurrent(written)
				}
			}
			saved, err := c.SaveImage(ctx, id, dir, &o)
			if bar != nil {
				if err != nil {
					bar.Abort(false)
				} else {
					bar.SetTotal(-1, true)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[i] = &idError{id: id, err: err}
				return
			}
			done[i] = saved
			if progress == nil {
				fmt.Fprintf(a.stdout, "saved %s (%d bytes, %s)\n", saved.Path, saved.Size, saved.ContentType)
			}
		}()
	}
	wg.Wait()
	if progress != nil {
		progress.Wait()
		for _, saved := range done {
			if saved != nil {
				fmt.Fprintf(a.stdout, "saved %s (%d bytes, %s)\n", saved.Path, saved.Size, saved.ContentType)
			}
		}
	}
	return errors.Join(errs...)
}

// idError is the failure of one image, printed as "ID: what happened": the
// id once (the library's errors do not repeat it), in the command line's
// words. It unwraps to the library's error, so the exit status is the one
// that error calls for.
type idError struct {
	id  string
	err error
}

func (e *idError) Error() string { return showID(e.id) + ": " + failureText(e.err) }

func (e *idError) Unwrap() error { return e.err }

// failureText words a download failure for the command line.
func failureText(err error) string {
	var (
		exists   *getty.ExistsError
		mismatch *getty.ContentMismatchError
		apiErr   *getty.APIError
	)
	switch {
	case errors.As(err, &exists) && exists.Charged:
		return fmt.Sprintf("%s already exists and was not replaced, but the download was charged "+
			"(the file's name comes with the answer to the download request); to avoid paying twice, "+
			"use --overwrite to replace it or remove the file before downloading again", exists.Path)
	case errors.As(err, &exists):
		return fmt.Sprintf("%s already exists (use --overwrite to replace it)", exists.Path)
	case errors.As(err, &mismatch):
		return "not saved: " + cliMessage(mismatch)
	case errors.As(err, &apiErr) && err == error(apiErr) && apiErr.Method == http.MethodPost:
		// The download request's URL names the id again; its method and
		// status say enough (--verbose logs the URL).
		msg := apiErr.Error()
		if rest, ok := strings.CutPrefix(msg, "getty: "+apiErr.Method+" "+apiErr.RequestURL+": "); ok {
			return "download request: " + rest
		}
	}
	return cliMessage(err)
}

// showID prints an id as given when it is made of letters, digits, dots,
// dashes and underscores, and quoted otherwise, so that an id cannot forge
// lines or escape sequences on the terminal.
func showID(id string) string {
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return strconv.Quote(id)
		}
	}
	if id == "" {
		return `""`
	}
	return id
}
