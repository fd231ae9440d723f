package getty

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gettykit/getty/gen"
)

// Download is one entry of the download history. It is the generated model
// itself (an alias of gen.HistoricalDownload). Its fields are plain values:
// a field the API leaves out or sends as null reads as the zero value ("",
// 0), and nested objects (User, Dimensions, DownloadDetails) are never nil.
// Unknown fields the API adds are ignored.
type Download = gen.HistoricalDownload

// ProductType is a Getty product offering (an alias of gen.ProductType).
// Values outside the constants below are sent as given: Getty adds
// offerings over time.
type ProductType = gen.ProductType

// Product offerings. EasyAccess, EditorialSubscription, ImagePack and
// PremiumAccess are Getty keys; RoyaltyFreeSubscription and CreditPack are
// iStock keys.
const (
	ProductEasyAccess              ProductType = gen.Easyaccess
	ProductEditorialSubscription   ProductType = gen.Editorialsubscription
	ProductImagePack               ProductType = gen.Imagepack
	ProductPremiumAccess           ProductType = gen.Premiumaccess
	ProductRoyaltyFreeSubscription ProductType = gen.Royaltyfreesubscription
	ProductCreditPack              ProductType = gen.Creditpack
	ProductAIGen                   ProductType = gen.Aigen
)

// DefaultPageSize is the API's page size when none is requested;
// MaxPageSize is the largest it accepts.
const (
	DefaultPageSize = 30
	MaxPageSize     = 100
)

// ErrRepeatedPage is returned by Downloads and DownloadPages when the
// server answers a page with the same entries as an earlier one, which
// would otherwise loop or duplicate entries.
var ErrRepeatedPage = errors.New("getty: the server repeated a page")

// ListOptions filters the download history. The zero value lists the API's
// default window (the last 30 days) with its default page size.
//
// When only one of DateFrom and DateTo is set, the other is sent too, so
// that the window is the one described here rather than the API's default
// for the missing date (Getty ends a window given only date_from at the
// current date or 30 days after date_from, whichever is earlier):
//
//   - DateFrom alone lists from DateFrom until now: the instant of the
//     ListDownloads call, or the start of a Downloads iteration. The window
//     is sent with use_time so that it ends at that instant; without
//     UseTime, DateFrom then stands for the start, in UTC, of the date
//     (YYYY-MM-DD) that would otherwise be sent, so it keeps its meaning.
//   - DateTo alone lists the 30 days before DateTo, the API's own default,
//     sent as an explicit date_from. The API has no open-ended start: set
//     DateFrom for a longer window.
type ListOptions struct {
	// DateFrom selects downloads on or after this date; zero means 30 days
	// before DateTo, or before now when DateTo is zero too. Sent as
	// YYYY-MM-DD (its date in its own location) unless UseTime is set.
	DateFrom time.Time
	// DateTo selects downloads on or before this date; zero means now,
	// also when DateFrom is set (see above).
	DateTo time.Time
	// UseTime makes the API use the time of day too: dates are then sent
	// as RFC 3339 timestamps in UTC.
	UseTime bool
	// Page is the 1-based page number; zero means 1.
	Page int
	// PageSize is the number of entries per page, at most MaxPageSize;
	// zero means the API default (DefaultPageSize) for ListDownloads and
	// MaxPageSize for Downloads.
	PageSize int
	// ProductType restricts the listing to one product offering.
	ProductType ProductType
	// CompanyDownloads lists the downloads of every user of the company.
	CompanyDownloads bool
	// AcceptLanguage is sent as the Accept-Language header.
	AcceptLanguage string
	// Prefetch is read by the iterators Downloads and DownloadPages only,
	// when no WithPrefetch option is given; ListDownloads ignores it.
	//
	// Deprecated: pass WithPrefetch(n) to Downloads or DownloadPages.
	// The field keeps working, so that existing callers compile and
	// behave as before.
	Prefetch int
}

// DownloadsPage is one page of the download history.
type DownloadsPage struct {
	// ResultCount is the number of downloads matching the filters over all
	// pages.
	ResultCount int
	// Downloads holds this page's entries; never nil.
	Downloads []Download
	// Page is the page number requested (1 if none was).
	Page int
	// PageSize is the page size requested (DefaultPageSize if none was).
	PageSize int

	// req is the request this page answers, its window as sent.
	req ListOptions
}

// NextOptions returns the options that request the page after p in the
// same window as p (pinned dates included): a checkpoint. Pass them to
// DownloadPages or Downloads to resume after p, later or in another
// process: ListOptions is plain data and can be saved with encoding/json.
// A page past the last one is answered empty.
func (p *DownloadsPage) NextOptions() *ListOptions {
	o := p.req
	o.Page = p.Page + 1
	return &o
}

func (o *ListOptions) validate() error {
	switch {
	case o.Page < 0:
		return fmt.Errorf("getty: ListOptions.Page %d is negative", o.Page)
	case o.PageSize < 0 || o.PageSize > MaxPageSize:
		return fmt.Errorf("getty: ListOptions.PageSize %d is outside 0..%d", o.PageSize, MaxPageSize)
	case o.Prefetch < 0:
		return fmt.Errorf("getty: ListOptions.Prefetch %d is negative", o.Prefetch)
	case o.Page > math.MaxInt32:
		return fmt.Errorf("getty: ListOptions.Page %d is beyond the API's last possible page (%d)", o.Page, math.MaxInt32)
	}
	for _, d := range []struct {
		name string
		t    time.Time
	}{{"DateFrom", o.DateFrom}, {"DateTo", o.DateTo}} {
		if d.t.IsZero() {
			continue
		}
		// The date as sent (in its location, or in UTC with UseTime), and
		// the date 30 days before, which may be sent for DateTo alone.
		for _, t := range []time.Time{d.t, d.t.UTC(), d.t.AddDate(0, 0, -30)} {
			if y := t.Year(); y < 1 || y > 9999 {
				return fmt.Errorf("getty: ListOptions.%s %s is outside the years 0001-9999 the API takes", d.name, d.t.Format(time.RFC3339))
			}
		}
	}
	if !o.DateFrom.IsZero() && !o.DateTo.IsZero() {
		// Compare what is sent: instants with UseTime, otherwise each
		// date in its own location, which two nearby instants in distant
		// time zones can invert.
		from, to := formatDate(o.DateFrom, o.UseTime), formatDate(o.DateTo, o.UseTime)
		if o.UseTime && o.DateFrom.After(o.DateTo) || !o.UseTime && from > to {
			return fmt.Errorf("getty: ListOptions.DateFrom (%s) is after DateTo (%s)", from, to)
		}
	}
	return nil
}

func formatDate(t time.Time, useTime bool) string {
	if useTime {
		return t.UTC().Format(time.RFC3339)
	}
	return t.Format(time.DateOnly)
}

// params is the canonical request for o: unset options are left out.
func (o *ListOptions) params() *gen.ListDownloadsParams {
	p := &gen.ListDownloadsParams{}
	if !o.DateFrom.IsZero() {
		s := formatDate(o.DateFrom, o.UseTime)
		p.DateFrom = &s
	}
	if !o.DateTo.IsZero() {
		s := formatDate(o.DateTo, o.UseTime)
		p.DateTo = &s
	}
	if o.UseTime {
		p.UseTime = ptr(true)
	}
	if o.Page > 0 {
		p.Page = ptr(int32(o.Page))
	}
	if o.PageSize > 0 {
		p.PageSize = ptr(int32(o.PageSize))
	}
	if o.ProductType != "" {
		p.ProductType = ptr(o.ProductType)
	}
	if o.CompanyDownloads {
		p.CompanyDownloads = ptr(true)
	}
	if o.AcceptLanguage != "" {
		p.AcceptLanguage = ptr(o.AcceptLanguage)
	}
	return p
}

func ptr[T any](v T) *T { return &v }

// maxPageBody caps a page of history: 100 entries are a few tens of KiB.
const maxPageBody = 16 << 20

// ListDownloads returns one page of the download history (GET
// /v3/downloads). opts may be nil.
func (c *Client) ListDownloads(ctx context.Context, opts *ListOptions) (*DownloadsPage, error) {
	var o ListOptions
	if opts != nil {
		o = *opts
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	if o.DateFrom.IsZero() != o.DateTo.IsZero() {
		// One date alone: send both, so that the API's default for the
		// other (30 days after date_from) does not cut the window short.
		pinWindow(&o, time.Now())
	}
	resp, err := c.api.ListDownloads(ctx, o.params())
	if err != nil {
		return nil, wrapf(err, "listing downloads")
	}
	if resp.StatusCode != http.StatusOK {
		return nil, newAPIError(resp)
	}
	defer resp.Body.Close()
	var body gen.GetDownloadsResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxPageBody)).Decode(&body); err != nil {
		return nil, fmt.Errorf("getty: decoding the downloads page: %w", err)
	}
	pg := &DownloadsPage{
		ResultCount: int(body.ResultCount),
		Downloads:   []Download{},
		Page:        max(o.Page, 1),
		PageSize:    o.PageSize,
		req:         o,
	}
	if pg.PageSize == 0 {
		pg.PageSize = DefaultPageSize
	}
	if body.Downloads != nil {
		pg.Downloads = body.Downloads
	}
	return pg, nil
}

// pinWindow sets both dates of o's window, so that the API applies no
// default of its own, and fixes it at now, so that downloads made while a
// listing runs cannot shift entries between pages. An open window ends
// now: it is sent with use_time so that it really ends at this instant, and
// a date-only DateFrom becomes the start of its day in UTC, the instant the
// YYYY-MM-DD that ListDownloads would send stands for (timestamps are sent
// in UTC too), so it keeps its meaning whatever its location. A DateTo
// alone gets the DateFrom the API would default to, 30 days before it.
func pinWindow(o *ListOptions, now time.Time) {
	if o.DateTo.IsZero() {
		o.DateTo = now.UTC()
		if !o.UseTime {
			o.UseTime = true
			if o.DateFrom.IsZero() {
				y, m, d := o.DateTo.AddDate(0, 0, -30).Date()
				o.DateFrom = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
			} else {
				y, m, d := o.DateFrom.Date()
				o.DateFrom = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
			}
		}
		if o.DateFrom.After(o.DateTo) {
			// A DateFrom whose date has not begun in UTC yet (today, east
			// of UTC): the window is empty, but must not be sent inverted.
			o.DateTo = o.DateFrom
		}
	}
	if o.DateFrom.IsZero() {
		if o.UseTime {
			o.DateFrom = o.DateTo.UTC().AddDate(0, 0, -30)
		} else {
			o.DateFrom = o.DateTo.AddDate(0, 0, -30)
		}
	}
}

// IterOption configures the iterators Downloads and DownloadPages.
type IterOption func(*iterConfig)

type iterConfig struct {
	prefetch    int
	prefetchSet bool
}

// WithPrefetch sets the number of page requests an iterator may have in
// flight. 0 and 1 fetch one page at a time; with n > 1 pages are fetched
// ahead, at most n at once, and yielded in the same order as sequentially.
// The window shrinks while the server throttles. It overrides the
// deprecated ListOptions.Prefetch.
func WithPrefetch(n int) IterOption {
	return func(c *iterConfig) {
		c.prefetch, c.prefetchSet = n, true
	}
}

// DownloadPages iterates over the pages of the download history, from
// opts.Page (default 1), each with ResultCount (for progress) and Page (a
// checkpoint: see DownloadsPage.NextOptions to resume after it). opts is
// copied when DownloadPages is called and may be nil; PageSize defaults to
// MaxPageSize. The date window is pinned when iteration starts (see
// ListOptions: DateTo defaults to that instant), so that new downloads do
// not shift the pages. Every page yielded holds entries, but for the first
// one, which is yielded even when empty so that its ResultCount is known.
// The iteration stops after the last page, at the first error (yielded
// with a nil page), or when the server repeats a page (ErrRepeatedPage).
// With WithPrefetch(n > 1) pages are requested concurrently.
func (c *Client) DownloadPages(ctx context.Context, opts *ListOptions, iterOpts ...IterOption) iter.Seq2[*DownloadsPage, error] {
	var base ListOptions
	if opts != nil {
		base = *opts
	}
	cfg := iterConfig{prefetch: base.Prefetch}
	for _, f := range iterOpts {
		if f != nil {
			f(&cfg)
		}
	}
	return func(yield func(*DownloadsPage, error) bool) {
		o := base
		if err := o.validate(); err != nil {
			yield(nil, err)
			return
		}
		if cfg.prefetchSet && cfg.prefetch < 0 {
			yield(nil, fmt.Errorf("getty: WithPrefetch: %d is negative", cfg.prefetch))
			return
		}
		pinWindow(&o, time.Now())
		if o.PageSize == 0 {
			o.PageSize = MaxPageSize
		}
		c.iterate(ctx, o, cfg.prefetch, yield)
	}
}

// Downloads iterates over every download in the history, page after page:
// it yields the entries of the pages of DownloadPages, with the same
// options, window and prefetch. The iteration stops after the last page,
// at the first error (yielded with a zero Download), or when the server
// repeats a page (ErrRepeatedPage).
func (c *Client) Downloads(ctx context.Context, opts *ListOptions, iterOpts ...IterOption) iter.Seq2[Download, error] {
	pages := c.DownloadPages(ctx, opts, iterOpts...)
	return func(yield func(Download, error) bool) {
		for pg, err := range pages {
			if err != nil {
				yield(Download{}, err)
				return
			}
			for _, d := range pg.Downloads {
				if !yield(d, nil) {
					return
				}
			}
		}
	}
}

type pageResult struct {
	page *DownloadsPage
	err  error
}

func (c *Client) iterate(ctx context.Context, o ListOptions, prefetch int, yield func(*DownloadsPage, error) bool) {
	maxWindow := max(prefetch, 1)
	var window atomic.Int64
	window.Store(int64(maxWindow))
	// Throttling halves the window; see below for growing it back.
	shrink := func() {
		for {
			w := window.Load()
			if w <= 1 || window.CompareAndSwap(w, max(w/2, 1)) {
				return
			}
		}
	}
	ctx, cancel := context.WithCancel(context.WithValue(ctx, throttleKey{}, shrink))
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()

	first := max(o.Page, 1)
	last := first // known once the first page is in
	want := first // the page to yield next
	next := first // the page to request next
	pending := map[int]chan pageResult{}
	launch := func() {
		for next <= last && int64(next-want) < window.Load() {
			ch := make(chan pageResult, 1)
			pending[next] = ch
			po := o
			po.Page = next
			wg.Go(func() {
				pg, err := c.ListDownloads(ctx, &po)
				ch <- pageResult{pg, err}
			})
			next++
		}
	}

	seen := map[[32]byte]int{}
	grow := 0
	for {
		launch()
		var res pageResult
		select {
		case res = <-pending[want]:
		case <-ctx.Done():
			yield(nil, ctx.Err())
			return
		}
		delete(pending, want)
		if res.err != nil {
			yield(nil, res.err)
			return
		}
		pg := res.page
		if want == first {
			switch {
			case pg.ResultCount > 0:
				last = max(first, (pg.ResultCount+o.PageSize-1)/o.PageSize)
			case len(pg.Downloads) >= o.PageSize:
				// A full page without a count: go on until a short or
				// empty page (or a repeated one).
				last = math.MaxInt
			}
		}
		if len(pg.Downloads) > 0 {
			sum, err := pageSum(pg.Downloads)
			if err != nil {
				yield(nil, err)
				return
			}
			if p, ok := seen[sum]; ok {
				yield(nil, fmt.Errorf("%w: page %d has the same entries as page %d", ErrRepeatedPage, want, p))
				return
			}
			seen[sum] = want
		}
		if (len(pg.Downloads) > 0 || want == first) && !yield(pg, nil) {
			return
		}
		if len(pg.Downloads) < o.PageSize || want >= last {
			return
		}
		want++
		// Additive increase: after a window's worth of pages without
		// throttling, allow one more request in flight.
		if w := window.Load(); w < int64(maxWindow) {
			if grow++; int64(grow) >= w {
				window.CompareAndSwap(w, w+1)
				grow = 0
			}
		}
	}
}

func pageSum(ds []Download) ([32]byte, error) {
	b, err := json.Marshal(ds)
	if err != nil {
		return [32]byte{}, fmt.Errorf("getty: %w", err)
	}
	return sha256.Sum256(b), nil
}
