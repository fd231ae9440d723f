package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gettykit/getty"
)

// dateFlag is a date (YYYY-MM-DD) or an RFC 3339 date-time.
type dateFlag struct{ t time.Time }

func (d *dateFlag) String() string {
	if d == nil || d.t.IsZero() {
		return ""
	}
	return d.t.Format(time.RFC3339)
}

func (d *dateFlag) Set(s string) error {
	for _, layout := range []string{time.DateOnly, time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			d.t = t
			return nil
		}
	}
	return errors.New("neither a date (2006-01-02) nor an RFC 3339 date-time")
}

// Type names the value in the help ("--from date").
func (d *dateFlag) Type() string { return "date" }

func (a *app) newListCmd() *cobra.Command {
	var (
		from, to dateFlag
		opts     getty.ListOptions
		product  string
		all      bool
		asJSON   bool
		prefetch int
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "The download history, as a table or JSON",
		Long:  "The download history, as an aligned table or, with --json, as JSON.",
		Example: `  getty downloads list                       # the last 30 days, as a table
  getty downloads list --all --json          # every page, as JSON
  getty downloads list --product-type premiumaccess --from 2026-01-01 --to 2026-01-31`,
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	fs := cmd.Flags()
	fs.Var(&from, "from", "downloads on or after this date (YYYY-MM-DD or RFC 3339; default 30 days before --to)")
	fs.Var(&to, "to", "downloads on or before this date (default now, also when only --from is given: Getty's own\ndefault would be the current date or 30 days after --from, whichever is earlier)")
	fs.BoolVar(&opts.UseTime, "use-time", false, "use the time of day of --from and --to too")
	fs.IntVar(&opts.Page, "page", 0, "page number, from 1 (default 1)")
	fs.IntVar(&opts.PageSize, "page-size", 0, fmt.Sprintf("entries per page, 1..%d (default %d; %d with --all)", getty.MaxPageSize, getty.DefaultPageSize, getty.MaxPageSize))
	fs.StringVar(&product, "product-type", "", "only this product offering ("+productTypes+")")
	fs.BoolVar(&opts.CompanyDownloads, "company", false, "downloads of every user of the company")
	fs.StringVar(&opts.AcceptLanguage, "lang", "", "language of result values (Accept-Language)")
	fs.BoolVar(&all, "all", false, "walk every page")
	fs.IntVar(&prefetch, "prefetch", 4, "with --all: pages requested ahead, at most this many at once")
	fs.BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	mustRegister(cmd.RegisterFlagCompletionFunc("product-type", completeValues(strings.Split(productTypes, ", ")...)))
	mustRegister(cmd.RegisterFlagCompletionFunc("from", cobra.NoFileCompletions))
	mustRegister(cmd.RegisterFlagCompletionFunc("to", cobra.NoFileCompletions))

	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		// A page or page size given as 0 is a mistake, not the default.
		switch set := cmd.Flags().Changed; {
		case all && set("page"):
			return usageErrorf("--page and --all cannot be combined")
		case set("page") && opts.Page < 1:
			return usageErrorf("--page %d is not a page number (1 or more)", opts.Page)
		case opts.Page > math.MaxInt32:
			return usageErrorf("--page %d is beyond the API's last possible page (%d)", opts.Page, math.MaxInt32)
		case set("page-size") && (opts.PageSize < 1 || opts.PageSize > getty.MaxPageSize):
			return usageErrorf("--page-size %d is outside 1..%d", opts.PageSize, getty.MaxPageSize)
		case prefetch < 1:
			return usageErrorf("--prefetch %d must be 1 or more", prefetch)
		}
		var err error
		if opts.ProductType, err = parseProductType(product); err != nil {
			return err
		}
		if err := checkWindow(from.t, to.t, opts.UseTime); err != nil {
			return err
		}
		opts.DateFrom, opts.DateTo = from.t, to.t
		return a.list(cmd.Context(), &opts, all, asJSON, prefetch)
	}
	return cmd
}

// checkWindow refuses the dates the library would: out of the API's range,
// or --from after --to as they are sent (dates, or instants with
// --use-time), naming the flags.
func checkWindow(from, to time.Time, useTime bool) error {
	for _, d := range []struct {
		flag string
		t    time.Time
	}{{"--from", from}, {"--to", to}} {
		if d.t.IsZero() {
			continue
		}
		// The date as sent (in its location, or in UTC with --use-time),
		// and the date 30 days before, which may be sent for --to alone.
		for _, t := range []time.Time{d.t, d.t.UTC(), d.t.AddDate(0, 0, -30)} {
			if y := t.Year(); y < 1 || y > 9999 {
				return usageErrorf("%s %s is outside the dates the API takes (0001-01-31 to 9999-12-31)", d.flag, d.t.Format(time.RFC3339))
			}
		}
	}
	if from.IsZero() || to.IsZero() {
		return nil
	}
	layout := time.DateOnly
	f, t := from.Format(layout), to.Format(layout)
	if useTime {
		layout = time.RFC3339
		f, t = from.UTC().Format(layout), to.UTC().Format(layout)
	}
	if useTime && from.After(to) || !useTime && f > t {
		return usageErrorf("--from %s is after --to %s", f, t)
	}
	return nil
}

// list prints one page of the history, or every page.
func (a *app) list(ctx context.Context, opts *getty.ListOptions, all, asJSON bool, prefetch int) error {
	c, err := a.newClient(false)
	if err != nil {
		return err
	}
	if !all {
		page, err := c.ListDownloads(ctx, opts)
		if err != nil {
			return err
		}
		if asJSON {
			return writeJSON(a.stdout, page.ResultCount, page.Downloads)
		}
		return writeTable(a.stdout, page.Downloads, fmt.Sprintf("page %d, %d of %d downloads", page.Page, len(page.Downloads), page.ResultCount))
	}
	var downloads []getty.Download
	for d, err := range c.Downloads(ctx, opts, getty.WithPrefetch(prefetch)) {
		if err != nil {
			return err
		}
		downloads = append(downloads, d)
	}
	if asJSON {
		return writeJSON(a.stdout, len(downloads), downloads)
	}
	return writeTable(a.stdout, downloads, fmt.Sprintf("%d downloads", len(downloads)))
}

const productTypes = "easyaccess, editorialsubscription, imagepack, premiumaccess, royaltyfreesubscription, creditpack, aigen"

func parseProductType(s string) (getty.ProductType, error) {
	if s == "" {
		return "", nil
	}
	for _, p := range strings.Split(productTypes, ", ") {
		if s == p {
			return getty.ProductType(s), nil
		}
	}
	return "", usageErrorf("--product-type %q is not one of %s", s, productTypes)
}

// writeJSON prints the listing in the API's own shape.
func writeJSON(w io.Writer, count int, downloads []getty.Download) error {
	if downloads == nil {
		downloads = []getty.Download{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		ResultCount int              `json:"result_count"`
		Downloads   []getty.Download `json:"downloads"`
	}{count, downloads})
}

// writeTable prints one aligned row per download and a summary line.
func writeTable(w io.Writer, downloads []getty.Download, summary string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DOWNLOADED\tID\tASSET\tPRODUCT\tSIZE\tUSER\tPROJECT")
	for _, d := range downloads {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			d.DateDownloaded.UTC().Format("2006-01-02 15:04"),
			cell(d.ID), cell(d.AssetType), cell(string(d.ProductType)), cell(d.SizeName), cell(d.User.Username), cell(d.DownloadDetails.ProjectCode))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, summary)
	return err
}

// cell makes a server-supplied value safe for one table cell: no control
// characters (which could move the cursor or break the columns), "-" when
// empty.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
}
