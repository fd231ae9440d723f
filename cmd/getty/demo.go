package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/contract"
	"github.com/gettykit/getty/gettytest"
	"github.com/gettykit/getty/spec"
)

// demoQuota is the fake server's premiumaccess quota in the demo: the saved
// image and the URL-only download spend it, and the third download hits the
// quota error.
const demoQuota = 2

func (a *app) newDemoCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "A tour against an in-process fake server (no network, no credentials)",
		Long: `A tour of the client against an in-process fake Getty server: the history, a
download with progress, the quota error, and the contract report of every
exchange. No network and no credentials needed.`,
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	cmd.Flags().StringVar(&dir, "dir", "", "save the demo image into this directory, created when missing (default: a temporary\ndirectory, removed afterwards)")
	mustRegister(cmd.RegisterFlagCompletionFunc("dir", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return nil, cobra.ShellCompDirectiveFilterDirs
	}))
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return a.demo(cmd.Context(), dir)
	}
	return cmd
}

// demo tours the product against an in-process fake server: the history,
// a download with progress, the quota error, and the contract report of
// every exchange. It needs no network and no credentials. The image is
// saved into dir, or into a temporary directory when dir is empty.
func (a *app) demo(ctx context.Context, dir string) error {
	fake := gettytest.NewServer(gettytest.WithNow(time.Now()), gettytest.WithDownloads(42), gettytest.WithQuota(getty.ProductPremiumAccess, demoQuota))
	defer fake.Close()

	doc, err := spec.Load(ctx)
	if err != nil {
		return err
	}
	validator, err := contract.NewValidator(doc)
	if err != nil {
		return err
	}
	checked := contract.NewTransport(http.DefaultTransport, validator)
	log := &exchangeLog{base: checked}
	c, err := getty.New(append(fake.ClientOptions(), getty.WithTransport(log))...)
	if err != nil {
		return err
	}
	out := a.stdout
	fmt.Fprintf(out, "Fake Getty server at %s (in-process; no network, no credentials).\n\n", fake.URL)

	fmt.Fprintln(out, "1. The download history, first page of 5:")
	page, err := c.ListDownloads(ctx, &getty.ListOptions{PageSize: 5})
	if err != nil {
		return err
	}
	if err := writeTable(out, page.Downloads, fmt.Sprintf("page %d, %d of %d downloads", page.Page, len(page.Downloads), page.ResultCount)); err != nil {
		return err
	}
	n := 0
	for _, err := range c.Downloads(ctx, nil, getty.WithPrefetch(4)) {
		if err != nil {
			return err
		}
		n++
	}
	fmt.Fprintf(out, "   Walking every page with the iterator: %d downloads.\n\n", n)

	if dir == "" {
		if dir, err = os.MkdirTemp("", "getty-demo-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	fmt.Fprintf(out, "2. Download image %s (auto_download, 303 to the delivery host, streamed to disk):\n", gettytest.ImageID)
	if err := a.saveAll(ctx, c, []string{gettytest.ImageID}, dir, getty.SaveOptions{
		DownloadOptions: getty.DownloadOptions{ProductType: getty.ProductPremiumAccess, ProjectCode: "DEMO-1"},
	}, 1); err != nil {
		return err
	}
	u, err := c.DownloadURL(ctx, gettytest.ImageID, &getty.DownloadOptions{ProductType: getty.ProductPremiumAccess})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   Or just the URL (auto_download=false): %s\n\n", redactString(u))

	fmt.Fprintln(out, "3. The premiumaccess quota is now spent; the next download fails with a typed error:")
	_, err = c.DownloadURL(ctx, gettytest.ImageID, &getty.DownloadOptions{ProductType: getty.ProductPremiumAccess})
	var apiErr *getty.APIError
	switch {
	case errors.As(err, &apiErr) && errors.Is(err, getty.ErrQuotaExhausted):
		fmt.Fprintf(out, "   errors.Is(err, getty.ErrQuotaExhausted) = true\n   status %d, code %s: %s\n\n", apiErr.StatusCode, apiErr.Code, apiErr.Message)
	case err == nil:
		return errors.New("demo: the fake server did not enforce its quota")
	default:
		return fmt.Errorf("demo: expected the quota error, got: %w", err)
	}

	fmt.Fprintln(out, "4. Contract check of every exchange above, against spec/openapi.yaml:")
	for _, e := range log.entries() {
		fmt.Fprintf(out, "   %-4s %-40s %d\n", e.method, e.path, e.status)
	}
	report := checked.Report()
	fmt.Fprintf(out, "   %d exchanges: %d violation(s), %d drift finding(s).\n", len(log.entries()), len(report.Violations()), len(report.Drift()))
	for _, f := range report.Findings() {
		fmt.Fprintf(out, "   %s\n", f)
	}
	if v := report.Violations(); len(v) > 0 {
		return &violationsError{violations: len(v), files: 0} // live traffic, no file
	}
	return nil
}

// exchangeLog records each exchange's method, path and status.
type exchangeLog struct {
	base http.RoundTripper
	mu   sync.Mutex
	log  []exchange
}

type exchange struct {
	method, path string
	status       int
}

func (l *exchangeLog) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.base.RoundTrip(req)
	e := exchange{method: req.Method, path: req.URL.Path}
	if err == nil {
		e.status = resp.StatusCode
	}
	l.mu.Lock()
	l.log = append(l.log, e)
	l.mu.Unlock()
	return resp, err
}

func (l *exchangeLog) entries() []exchange {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]exchange(nil), l.log...)
}
