package getty

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// history is a fake download history served page by page.
type history struct {
	total       int
	latency     time.Duration
	ignorePage  bool // a broken server answering page 1 every time
	throttleAt  int  // answer 429 while more than this many requests are in flight; 0: never
	failPage    int  // answer 400 for this page
	noCount     bool // leave result_count out
	mu          sync.Mutex
	queries     []url.Values
	inFlight    atomic.Int64
	maxInFlight atomic.Int64
	throttled   atomic.Int64
}

func (h *history) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := h.inFlight.Add(1)
	defer h.inFlight.Add(-1)
	for {
		m := h.maxInFlight.Load()
		if n <= m || h.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	q := r.URL.Query()
	h.mu.Lock()
	h.queries = append(h.queries, q)
	h.mu.Unlock()
	time.Sleep(h.latency)
	if h.throttleAt > 0 && n > int64(h.throttleAt) {
		h.throttled.Add(1)
		w.Header().Set("X-Error-Detail", "Account Over Queries Per Second Limit")
		writeJSON(w, 429, map[string]string{"message": "Too Many Requests"})
		return
	}
	page, size := 1, DefaultPageSize
	if v := q.Get("page"); v != "" {
		page, _ = strconv.Atoi(v)
	}
	if v := q.Get("page_size"); v != "" {
		size, _ = strconv.Atoi(v)
	}
	if page == h.failPage {
		writeJSON(w, 400, map[string]string{"ErrorCode": "InvalidPage", "ErrorMessage": "bad page"})
		return
	}
	if h.ignorePage {
		page = 1
	}
	var items []map[string]any
	for i := (page - 1) * size; i < min(page*size, h.total); i++ {
		items = append(items, map[string]any{
			"id":              fmt.Sprint(1000 + i),
			"date_downloaded": time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Duration(i) * time.Minute).Format(time.RFC3339),
			"product_type":    "premiumaccess",
			"license_model":   "RF", // a field added over time
		})
	}
	body := map[string]any{"result_count": h.total, "downloads": items}
	if h.noCount {
		delete(body, "result_count")
	}
	writeJSON(w, 200, body)
}

func (h *history) requests() []url.Values {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]url.Values(nil), h.queries...)
}

func historyClient(t *testing.T, h *history, opts ...Option) *Client {
	mux := http.NewServeMux()
	mux.Handle("GET /api/v3/downloads", h)
	_, base := newAPI(t, mux)
	return newClient(t, base, append([]Option{WithToken(validToken())}, opts...)...)
}

func collect(t *testing.T, c *Client, o *ListOptions) ([]string, error) {
	var ids []string
	for d, err := range c.Downloads(t.Context(), o) {
		if err != nil {
			return ids, err
		}
		ids = append(ids, d.ID)
	}
	return ids, nil
}

func wantIDs(n int) []string {
	var ids []string
	for i := range n {
		ids = append(ids, fmt.Sprint(1000+i))
	}
	return ids
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestListOptionsCanonicalQuery(t *testing.T) {
	from := time.Date(2026, 3, 1, 15, 4, 5, 0, time.FixedZone("X", 3600))
	to := time.Date(2026, 3, 31, 23, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		opts *ListOptions
		want string
	}{
		{"nil", nil, ""},
		{"dates", &ListOptions{DateFrom: from, DateTo: to}, "date_from=2026-03-01&date_to=2026-03-31"},
		{"use time", &ListOptions{DateFrom: from, DateTo: to, UseTime: true},
			"date_from=2026-03-01T14%3A04%3A05Z&date_to=2026-03-31T23%3A00%3A00Z&use_time=true"},
		{"everything", &ListOptions{Page: 3, PageSize: 50, ProductType: ProductPremiumAccess, CompanyDownloads: true},
			"company_downloads=true&page=3&page_size=50&product_type=premiumaccess"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got, lang string
			mux := http.NewServeMux()
			mux.HandleFunc("GET /api/v3/downloads", func(w http.ResponseWriter, r *http.Request) {
				got = r.URL.Query().Encode()
				lang = r.Header.Get("Accept-Language")
				writeJSON(w, 200, map[string]any{"result_count": 0, "downloads": nil})
			})
			_, base := newAPI(t, mux)
			c := newClient(t, base)
			var o *ListOptions
			if tt.opts != nil {
				cp := *tt.opts
				cp.AcceptLanguage = "de"
				o = &cp
			}
			pg, err := c.ListDownloads(t.Context(), o)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("query = %s\nwant    %s", got, tt.want)
			}
			if o != nil && lang != "de" {
				t.Errorf("Accept-Language = %q", lang)
			}
			if pg.Downloads == nil || pg.PageSize == 0 || pg.Page == 0 {
				t.Errorf("page = %+v", pg)
			}
		})
	}
}

// TestListSendsBothDates: when the caller gives one of DateFrom and DateTo,
// both are sent, so that the API's default for the other (date_to: today or
// 30 days after date_from, whichever is earlier) does not change the
// window. DateFrom alone lists until the pinned now of the call or
// iteration; DateTo alone lists the 30 days before it.
func TestListSendsBothDates(t *testing.T) {
	from := time.Date(2026, 3, 1, 15, 4, 5, 0, time.FixedZone("X", 3600))
	to := time.Date(2026, 3, 31, 23, 0, 0, 0, time.UTC)
	const now = "now" // date_to is the instant of the call or iteration
	tests := []struct {
		name                      string
		opts                      ListOptions
		iterate                   bool   // Downloads, three pages, instead of ListDownloads
		dateFrom, dateTo, useTime string // "" means not sent
	}{
		{name: "no dates: the API's default window", opts: ListOptions{}},
		{name: "both", opts: ListOptions{DateFrom: from, DateTo: to}, dateFrom: "2026-03-01", dateTo: "2026-03-31"},
		{name: "from only: until now", opts: ListOptions{DateFrom: from},
			dateFrom: "2026-03-01T00:00:00Z", dateTo: now, useTime: "true"},
		{name: "from only, use time", opts: ListOptions{DateFrom: from, UseTime: true},
			dateFrom: "2026-03-01T14:04:05Z", dateTo: now, useTime: "true"},
		{name: "to only: the 30 days before", opts: ListOptions{DateTo: to}, dateFrom: "2026-03-01", dateTo: "2026-03-31"},
		{name: "to only, use time", opts: ListOptions{DateTo: to, UseTime: true},
			dateFrom: "2026-03-01T23:00:00Z", dateTo: "2026-03-31T23:00:00Z", useTime: "true"},
		{name: "iterator, from only: until now", opts: ListOptions{DateFrom: from}, iterate: true,
			dateFrom: "2026-03-01T00:00:00Z", dateTo: now, useTime: "true"},
		{name: "iterator, to only: the 30 days before", opts: ListOptions{DateTo: to}, iterate: true,
			dateFrom: "2026-03-01", dateTo: "2026-03-31"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &history{total: 5}
			c := historyClient(t, h)
			opts := tt.opts
			before := time.Now().Truncate(time.Second)
			if tt.iterate {
				opts.PageSize = 2
				if _, err := collect(t, c, &opts); err != nil {
					t.Fatal(err)
				}
				opts.PageSize = 0
			} else if _, err := c.ListDownloads(t.Context(), &opts); err != nil {
				t.Fatal(err)
			}
			after := time.Now()
			if opts != tt.opts {
				t.Errorf("the caller's options were modified: %+v", opts)
			}
			reqs := h.requests()
			if want := map[bool]int{false: 1, true: 3}[tt.iterate]; len(reqs) != want {
				t.Fatalf("%d requests, want %d", len(reqs), want)
			}
			for _, q := range reqs {
				if got := q.Get("date_from"); got != tt.dateFrom {
					t.Errorf("date_from = %q, want %q", got, tt.dateFrom)
				}
				if got := q.Get("use_time"); got != tt.useTime {
					t.Errorf("use_time = %q, want %q", got, tt.useTime)
				}
				got := q.Get("date_to")
				if got != reqs[0].Get("date_to") {
					t.Errorf("date_to = %q, then %q: the window moved", reqs[0].Get("date_to"), got)
				}
				if tt.dateTo != now {
					if got != tt.dateTo {
						t.Errorf("date_to = %q, want %q", got, tt.dateTo)
					}
					continue
				}
				if at, err := time.Parse(time.RFC3339, got); err != nil || at.Before(before) || at.After(after) || !strings.HasSuffix(got, "Z") {
					t.Errorf("date_to = %q, want the UTC instant of the call, %s..%s", got, before.UTC().Format(time.RFC3339), after.UTC().Format(time.RFC3339))
				}
			}
		})
	}
}

func TestListOptionsValidation(t *testing.T) {
	c := newClient(t, "http://127.0.0.1:1")
	now := time.Now()
	for _, o := range []*ListOptions{
		{Page: -1}, {PageSize: 101}, {PageSize: -1}, {Prefetch: -2},
		{DateFrom: now, DateTo: now.Add(-time.Hour)},
	} {
		if _, err := c.ListDownloads(t.Context(), o); err == nil {
			t.Errorf("ListDownloads(%+v) gave no error", o)
		}
		if _, err := collect(t, c, o); err == nil {
			t.Errorf("Downloads(%+v) gave no error", o)
		}
	}
}

func TestDownloadsPagination(t *testing.T) {
	tests := []struct {
		name      string
		total     int
		pageSize  int
		prefetch  int
		wantPages int
	}{
		{"several pages", 7, 3, 0, 3},
		{"several pages, prefetch", 7, 3, 4, 3},
		{"exact multiple", 9, 3, 0, 3},
		{"exact multiple, prefetch", 9, 3, 8, 3},
		{"one page", 2, 3, 2, 1},
		{"empty history", 0, 3, 0, 1},
		{"empty history, prefetch", 0, 3, 4, 1},
		{"default page size", 150, 0, 3, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &history{total: tt.total}
			c := historyClient(t, h)
			opts := &ListOptions{PageSize: tt.pageSize, Prefetch: tt.prefetch}
			ids, err := collect(t, c, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !equal(ids, wantIDs(tt.total)) {
				t.Errorf("ids = %v", ids)
			}
			reqs := h.requests()
			if len(reqs) != tt.wantPages {
				t.Errorf("%d requests, want %d", len(reqs), tt.wantPages)
			}
			if *opts != (ListOptions{PageSize: tt.pageSize, Prefetch: tt.prefetch}) {
				t.Errorf("Downloads modified the caller's options: %+v", opts)
			}
			// The window is pinned: every page asks for the same one.
			for _, q := range reqs {
				if q.Get("date_to") != reqs[0].Get("date_to") || q.Get("date_from") != reqs[0].Get("date_from") ||
					q.Get("date_to") == "" || q.Get("use_time") != "true" {
					t.Errorf("window not pinned: %v vs %v", q, reqs[0])
				}
			}
		})
	}
}

func TestDownloadsWithoutResultCount(t *testing.T) {
	for _, prefetch := range []int{0, 4} {
		h := &history{total: 10, noCount: true}
		c := historyClient(t, h)
		ids, err := collect(t, c, &ListOptions{PageSize: 3, Prefetch: prefetch})
		if err != nil || !equal(ids, wantIDs(10)) {
			t.Errorf("prefetch %d: %v, %v", prefetch, ids, err)
		}
	}
}

func TestDownloadsRepeatedPage(t *testing.T) {
	for _, prefetch := range []int{0, 3} {
		h := &history{total: 10, ignorePage: true}
		c := historyClient(t, h)
		ids, err := collect(t, c, &ListOptions{PageSize: 3, Prefetch: prefetch})
		if !errors.Is(err, ErrRepeatedPage) {
			t.Fatalf("prefetch %d: err = %v, want ErrRepeatedPage", prefetch, err)
		}
		if !equal(ids, wantIDs(3)) {
			t.Errorf("prefetch %d: yielded %v before the error", prefetch, ids)
		}
	}
}

func TestDownloadsStopsAtError(t *testing.T) {
	h := &history{total: 10, failPage: 2}
	c := historyClient(t, h)
	ids, err := collect(t, c, &ListOptions{PageSize: 3, Prefetch: 2})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "InvalidPage" {
		t.Fatalf("err = %v", err)
	}
	if !equal(ids, wantIDs(3)) {
		t.Errorf("yielded %v", ids)
	}
}

func TestDownloadsBreakEarly(t *testing.T) {
	h := &history{total: 100}
	c := historyClient(t, h)
	n := 0
	for _, err := range c.Downloads(t.Context(), &ListOptions{PageSize: 5, Prefetch: 4}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 7 {
			break
		}
	}
	// Pages 1 and 2 were needed; at most the prefetch window beyond them.
	if got := len(h.requests()); got > 2+4 {
		t.Errorf("%d requests after breaking at the 7th entry", got)
	}
}

func TestDownloadsPrefetchIsConcurrentAndBounded(t *testing.T) {
	const pages, window = 40, 6
	h := &history{total: pages * 5, latency: 10 * time.Millisecond}
	c := historyClient(t, h)
	ids, err := collect(t, c, &ListOptions{PageSize: 5, Prefetch: window})
	if err != nil {
		t.Fatal(err)
	}
	if !equal(ids, wantIDs(pages*5)) {
		t.Fatalf("prefetch changed the results")
	}
	// Concurrency is proven by the requests in flight; how much faster it
	// is, is measured by BenchmarkListAll (bench/), not timed here.
	if m := h.maxInFlight.Load(); m > window || m < 2 {
		t.Errorf("max %d requests in flight, want 2..%d", m, window)
	}
}

func TestDownloadsPrefetchSlowsDownWhenThrottled(t *testing.T) {
	h := &history{total: 30 * 5, latency: 5 * time.Millisecond, throttleAt: 2}
	c := historyClient(t, h, WithRetry(RetryPolicy{MaxAttempts: 6, MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}))
	ids, err := collect(t, c, &ListOptions{PageSize: 5, Prefetch: 8})
	if err != nil {
		t.Fatalf("after %d throttled answers: %v", h.throttled.Load(), err)
	}
	if !equal(ids, wantIDs(30*5)) {
		t.Fatalf("throttling changed the results")
	}
	if h.throttled.Load() == 0 {
		t.Fatal("the server never throttled: the test proves nothing")
	}
	// Without slowing down, a window of 8 against a limit of 2 gets
	// throttled on most requests.
	if n := h.throttled.Load(); n > 30 {
		t.Errorf("%d throttled answers for 30 pages: the window did not shrink", n)
	}
}

func TestPinWindow(t *testing.T) {
	now := time.Date(2026, 5, 20, 13, 30, 0, 0, time.UTC)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	aest := time.FixedZone("AEST", 10*3600)
	tests := []struct {
		name string
		now  time.Time // now, if zero
		in   ListOptions
		want ListOptions
	}{
		{name: "open window", in: ListOptions{}, want: ListOptions{DateFrom: day(2026, 4, 20), DateTo: now, UseTime: true}},
		{name: "from only", in: ListOptions{DateFrom: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)},
			want: ListOptions{DateFrom: day(2026, 5, 1), DateTo: now, UseTime: true}},
		// 2026-05-01 is what ListDownloads would send for this DateFrom;
		// local midnight (2026-04-30T14:00Z) would add ten hours of April.
		{name: "from only, east of UTC", in: ListOptions{DateFrom: time.Date(2026, 5, 1, 9, 0, 0, 0, aest)},
			want: ListOptions{DateFrom: day(2026, 5, 1), DateTo: now, UseTime: true}},
		{name: "from only, use time", in: ListOptions{DateFrom: now.Add(-time.Hour), UseTime: true},
			want: ListOptions{DateFrom: now.Add(-time.Hour), DateTo: now, UseTime: true}},
		// At 06:00 in Sydney, 2026-05-21 has begun there but not in UTC:
		// the window is empty, and must not be sent inverted.
		{name: "from only, today east of UTC", now: time.Date(2026, 5, 20, 20, 0, 0, 0, time.UTC),
			in:   ListOptions{DateFrom: time.Date(2026, 5, 21, 5, 0, 0, 0, aest)},
			want: ListOptions{DateFrom: day(2026, 5, 21), DateTo: day(2026, 5, 21), UseTime: true}},
		{name: "from only in the future, use time", in: ListOptions{DateFrom: now.Add(time.Hour), UseTime: true},
			want: ListOptions{DateFrom: now.Add(time.Hour), DateTo: now.Add(time.Hour), UseTime: true}},
		// DateTo alone: the API's own default, 30 days before, made explicit.
		{name: "to only", in: ListOptions{DateTo: day(2026, 3, 31)}, want: ListOptions{DateFrom: day(2026, 3, 1), DateTo: day(2026, 3, 31)}},
		{name: "to only, use time", in: ListOptions{DateTo: time.Date(2026, 3, 31, 14, 0, 0, 0, time.FixedZone("X", 3600)), UseTime: true},
			want: ListOptions{DateFrom: time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC), DateTo: time.Date(2026, 3, 31, 13, 0, 0, 0, time.UTC), UseTime: true}},
		{name: "both", in: ListOptions{DateFrom: day(2026, 1, 1), DateTo: day(2026, 2, 1)}, want: ListOptions{DateFrom: day(2026, 1, 1), DateTo: day(2026, 2, 1)}},
	}
	for _, tt := range tests {
		got := tt.in
		at := now
		if !tt.now.IsZero() {
			at = tt.now
		}
		pinWindow(&got, at)
		if !got.DateFrom.Equal(tt.want.DateFrom) || !got.DateTo.Equal(tt.want.DateTo) || got.UseTime != tt.want.UseTime {
			t.Errorf("%s: got %v..%v use_time %v; want %v..%v %v", tt.name, got.DateFrom, got.DateTo, got.UseTime,
				tt.want.DateFrom, tt.want.DateTo, tt.want.UseTime)
		}
	}
}

// BenchmarkDownloads lists 100 pages served with 20ms of latency,
// sequentially and with prefetch.
func BenchmarkDownloads(b *testing.B) {
	for _, prefetch := range []int{1, 8} {
		b.Run(fmt.Sprintf("prefetch=%d", prefetch), func(b *testing.B) {
			h := &history{total: 100 * 10, latency: 20 * time.Millisecond}
			mux := http.NewServeMux()
			mux.Handle("GET /api/v3/downloads", h)
			srv := httptest.NewServer(mux)
			b.Cleanup(srv.Close)
			c, err := New(WithAPIKey("k"), WithBaseURL(srv.URL+basePath), WithToken(validToken()))
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				n := 0
				for _, err := range c.Downloads(b.Context(), &ListOptions{PageSize: 10, Prefetch: prefetch}) {
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				if n != 1000 {
					b.Fatalf("%d entries", n)
				}
			}
		})
	}
}

// collectPages returns the ids of every page of DownloadPages, page by
// page, with the page numbers and result counts.
func collectPages(t *testing.T, c *Client, o *ListOptions, iterOpts ...IterOption) (ids []string, pages, counts []int, err error) {
	t.Helper()
	for pg, err := range c.DownloadPages(t.Context(), o, iterOpts...) {
		if err != nil {
			return ids, pages, counts, err
		}
		pages, counts = append(pages, pg.Page), append(counts, pg.ResultCount)
		for _, d := range pg.Downloads {
			ids = append(ids, d.ID)
		}
	}
	return ids, pages, counts, nil
}

// The page iterator and the item iterator yield the same downloads, in the
// same order, with and without prefetch (the option and the deprecated
// field), each page numbered and counted for progress.
func TestDownloadPagesMatchDownloads(t *testing.T) {
	for _, tt := range []struct {
		name     string
		opts     ListOptions
		iterOpts []IterOption
	}{
		{"sequential", ListOptions{PageSize: 5}, nil},
		{"WithPrefetch(4)", ListOptions{PageSize: 5}, []IterOption{WithPrefetch(4)}},
		{"deprecated Prefetch field", ListOptions{PageSize: 5, Prefetch: 4}, nil},
		{"WithPrefetch overrides the field", ListOptions{PageSize: 5, Prefetch: 8}, []IterOption{WithPrefetch(1)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := &history{total: 23, latency: time.Millisecond}
			c := historyClient(t, h)
			o := tt.opts
			ids, pages, counts, err := collectPages(t, c, &o, tt.iterOpts...)
			if err != nil {
				t.Fatal(err)
			}
			var items []string
			for d, err := range c.Downloads(t.Context(), &o, tt.iterOpts...) {
				if err != nil {
					t.Fatal(err)
				}
				items = append(items, d.ID)
			}
			if !equal(ids, wantIDs(23)) || !equal(items, ids) {
				t.Errorf("pages yielded %v\nitems yielded %v", ids, items)
			}
			if fmt.Sprint(pages) != "[1 2 3 4 5]" || fmt.Sprint(counts) != "[23 23 23 23 23]" {
				t.Errorf("pages %v, result counts %v", pages, counts)
			}
			if tt.name == "WithPrefetch overrides the field" && h.maxInFlight.Load() != 1 {
				t.Errorf("%d requests in flight with WithPrefetch(1)", h.maxInFlight.Load())
			}
		})
	}
}

func TestDownloadPagesEmptyHistoryYieldsOnePage(t *testing.T) {
	c := historyClient(t, &history{total: 0})
	n := 0
	for pg, err := range c.DownloadPages(t.Context(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; pg.ResultCount != 0 || len(pg.Downloads) != 0 || pg.Page != 1 {
			t.Errorf("page %+v", pg)
		}
	}
	if n != 1 {
		t.Errorf("%d pages, want the first one, empty", n)
	}
}

func TestDownloadPagesInvalidPrefetch(t *testing.T) {
	c := newClient(t, "http://127.0.0.1:1")
	for pg, err := range c.DownloadPages(t.Context(), nil, WithPrefetch(-1)) {
		if err == nil || pg != nil || !strings.Contains(err.Error(), "WithPrefetch") {
			t.Errorf("got %v, %v", pg, err)
		}
	}
}

// A page iteration stopped after a page resumes from the checkpoint that
// page gives (saved as JSON, as between two runs): the next pages, in the
// window of the first run, even once that window's end has passed.
func TestDownloadPagesResumeFromCheckpoint(t *testing.T) {
	for _, prefetch := range []int{0, 3} {
		h := &history{total: 23}
		c := historyClient(t, h)
		var ids []string
		var checkpoint []byte
		for pg, err := range c.DownloadPages(t.Context(), &ListOptions{PageSize: 5}, WithPrefetch(prefetch)) {
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range pg.Downloads {
				ids = append(ids, d.ID)
			}
			if checkpoint, err = json.Marshal(pg.NextOptions()); err != nil {
				t.Fatal(err)
			}
			if pg.Page == 2 {
				break
			}
		}
		first := h.requests()
		time.Sleep(1100 * time.Millisecond) // the window's end (to the second) is past

		var resume ListOptions
		if err := json.Unmarshal(checkpoint, &resume); err != nil {
			t.Fatal(err)
		}
		if resume.Page != 3 {
			t.Fatalf("checkpoint %s: page %d, want 3", checkpoint, resume.Page)
		}
		rest, pages, _, err := collectPages(t, c, &resume, WithPrefetch(prefetch))
		if err != nil {
			t.Fatal(err)
		}
		if got := append(ids, rest...); !equal(got, wantIDs(23)) || fmt.Sprint(pages) != "[3 4 5]" {
			t.Errorf("prefetch %d: resumed at pages %v: %v", prefetch, pages, got)
		}
		for _, q := range h.requests()[len(first):] {
			if q.Get("date_from") != first[0].Get("date_from") || q.Get("date_to") != first[0].Get("date_to") || q.Get("use_time") != "true" {
				t.Errorf("prefetch %d: resumed in window %v, not the first run's %v", prefetch, q, first[0])
			}
			if p, _ := strconv.Atoi(q.Get("page")); p < 3 {
				t.Errorf("prefetch %d: resumed iteration asked for page %d again", prefetch, p)
			}
		}
	}
}

// A request built with no options sends no optional parameter: no query
// at all and no Accept-Language, whether the options are nil or zero.
func TestListDownloadsNoOptionsSendsNoOptionalParameter(t *testing.T) {
	for _, o := range []*ListOptions{nil, {}} {
		var rawQuery, lang string
		var hasLang bool
		mux := http.NewServeMux()
		mux.HandleFunc("GET /api/v3/downloads", func(w http.ResponseWriter, r *http.Request) {
			rawQuery = r.URL.RawQuery
			lang = r.Header.Get("Accept-Language")
			_, hasLang = r.Header["Accept-Language"]
			writeJSON(w, 200, map[string]any{"result_count": 0, "downloads": []any{}})
		})
		_, base := newAPI(t, mux)
		c := newClient(t, base)
		pg, err := c.ListDownloads(t.Context(), o)
		if err != nil {
			t.Fatal(err)
		}
		if rawQuery != "" || hasLang {
			t.Errorf("ListDownloads(%v) sent query %q, Accept-Language %q", o, rawQuery, lang)
		}
		if pg.Page != 1 || pg.PageSize != DefaultPageSize {
			t.Errorf("page %d, size %d", pg.Page, pg.PageSize)
		}
		// The generated parameters too: every optional field is nil.
		v := reflect.ValueOf(*new(ListOptions).params())
		for i := range v.NumField() {
			if f := v.Field(i); f.Kind() == reflect.Pointer && !f.IsNil() {
				t.Errorf("params().%s is set", v.Type().Field(i).Name)
			}
		}
	}
}
