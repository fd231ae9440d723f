package bench

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/gettytest"
)

// The listing benchmark: 10,000 downloads in pages of 100, each page
// answered after 20 ms.
const (
	listDownloads = 10_000
	listLatency   = 20 * time.Millisecond
	listPrefetch  = 8
)

// listSize is the history listed by the benchmarks (smaller with -short).
func listSize() int {
	if testing.Short() {
		return 2_000
	}
	return listDownloads
}

// listOptions lists the whole seeded history: every user's downloads, in
// a window that holds them all, 100 to a page.
func listOptions() *getty.ListOptions {
	return &getty.ListOptions{
		DateFrom:         gettytest.DefaultNow.AddDate(-3, 0, 0),
		DateTo:           gettytest.DefaultNow,
		CompanyDownloads: true,
		PageSize:         getty.MaxPageSize,
	}
}

// listIDs runs the iterator over listOptions to the end, with prefetch
// pages in flight, and returns the ids in order.
func listIDs(tb testing.TB, c *getty.Client, prefetch int) []string {
	tb.Helper()
	var ids []string
	for d, err := range c.Downloads(tb.Context(), listOptions(), getty.WithPrefetch(prefetch)) {
		if err != nil {
			tb.Fatalf("after %d entries: %v", len(ids), err)
		}
		if d.ID == "" {
			tb.Fatalf("entry %d has no id", len(ids))
		}
		ids = append(ids, d.ID)
	}
	return ids
}

func historyIDs(fake *gettytest.Server) []string {
	var ids []string
	for _, d := range fake.History() {
		ids = append(ids, d.ID)
	}
	return ids
}

// fastRetry keeps the throttling tests short: the default first backoff is
// 250 ms.
var fastRetry = getty.WithRetry(getty.RetryPolicy{MaxAttempts: 10, MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})

func TestListingPrefetchSameResultsInOrder(t *testing.T) {
	srv, _, fake := meteredFake(t, 0, gettytest.WithDownloads(listDownloads), gettytest.WithLatency(gettytest.OpListDownloads, 2*time.Millisecond))
	c := fakeClient(t, srv.URL)
	want := historyIDs(fake)
	if len(want) != listDownloads {
		t.Fatalf("the fake holds %d downloads, want %d", len(want), listDownloads)
	}
	seq := listIDs(t, c, 0)
	pre := listIDs(t, c, listPrefetch)
	if !slices.Equal(seq, want) {
		t.Fatalf("sequential listing: %d entries, not the history in order", len(seq))
	}
	if !slices.Equal(pre, seq) {
		t.Fatalf("prefetch %d: %d entries, not the sequential result in the same order", listPrefetch, len(pre))
	}
}

func TestListingPrefetchNeverExceedsBound(t *testing.T) {
	for _, n := range []int{2, listPrefetch, 16} {
		t.Run(fmt.Sprintf("prefetch=%d", n), func(t *testing.T) {
			srv, m, _ := meteredFake(t, 0, gettytest.WithDownloads(listDownloads), gettytest.WithLatency(gettytest.OpListDownloads, 5*time.Millisecond))
			c := fakeClient(t, srv.URL)
			if ids := listIDs(t, c, n); len(ids) != listDownloads {
				t.Fatalf("%d entries, want %d", len(ids), listDownloads)
			}
			s := m.stats()
			if s.MaxInFlight > n {
				t.Errorf("the server saw %d listing requests at once; the bound is %d", s.MaxInFlight, n)
			}
			if s.MaxInFlight < 2 {
				t.Errorf("the server never saw two listing requests at once: the prefetch did not overlap")
			}
			if s.Served != listDownloads/getty.MaxPageSize {
				t.Errorf("%d page requests for %d pages", s.Served, listDownloads/getty.MaxPageSize)
			}
			t.Logf("max in flight %d, mean %.2f", s.MaxInFlight, s.MeanInFlight)
		})
	}
}

// A server that lets 2 listing requests in at once and throttles the rest.
// A client that kept its 8 requests in flight would be throttled about 3
// times per page served; one that slows down, far less than once a page.
func TestListingPrefetchSlowsDownWhenThrottled(t *testing.T) {
	const limit = 2
	srv, m, fake := meteredFake(t, limit, gettytest.WithDownloads(listDownloads), gettytest.WithLatency(gettytest.OpListDownloads, 5*time.Millisecond))
	c := fakeClient(t, srv.URL, fastRetry)
	ids := listIDs(t, c, listPrefetch)
	if !slices.Equal(ids, historyIDs(fake)) {
		t.Fatalf("throttled listing: %d entries, not the history in order", len(ids))
	}
	s := m.stats()
	pages := listDownloads / getty.MaxPageSize
	t.Logf("%d pages: %d throttled answers, max in flight %d, mean %.2f", pages, s.Throttled, s.MaxInFlight, s.MeanInFlight)
	if s.Throttled == 0 {
		t.Fatal("the server never throttled: the test proves nothing")
	}
	if s.Throttled >= pages {
		t.Errorf("%d throttled answers for %d pages: the client did not slow down", s.Throttled, pages)
	}
	if s.Served != pages {
		t.Errorf("%d pages served, want %d", s.Served, pages)
	}
}

// BenchmarkListAll lists the whole history, one page at a time and with
// prefetch, from the fake server answering each page after 20 ms. It
// reports the most listing requests the server saw at once.
func BenchmarkListAll(b *testing.B) {
	for _, prefetch := range []int{0, listPrefetch} {
		name := "sequential"
		if prefetch > 1 {
			name = fmt.Sprintf("prefetch=%d", prefetch)
		}
		b.Run(name, func(b *testing.B) {
			n := listSize()
			srv, m, _ := meteredFake(b, 0, gettytest.WithDownloads(n), gettytest.WithLatency(gettytest.OpListDownloads, listLatency))
			c := fakeClient(b, srv.URL)
			listIDs(b, c, prefetch) // token and connections
			m.reset()
			for b.Loop() {
				if ids := listIDs(b, c, prefetch); len(ids) != n {
					b.Fatalf("%d entries, want %d", len(ids), n)
				}
			}
			s := m.stats()
			b.ReportMetric(float64(s.MaxInFlight), "max-in-flight")
			b.ReportMetric(float64(n/getty.MaxPageSize), "pages/op")
		})
	}
}

// BenchmarkListThrottled lists with prefetch from a server that lets 2
// listing requests in at once and throttles the others. It reports the
// throttled answers per page: about 3 for a client that kept its window of
// 8, well under 1 for one that slows down.
func BenchmarkListThrottled(b *testing.B) {
	n := listSize()
	srv, m, _ := meteredFake(b, 2, gettytest.WithDownloads(n), gettytest.WithLatency(gettytest.OpListDownloads, listLatency))
	c := fakeClient(b, srv.URL)
	m.reset()
	for b.Loop() {
		if ids := listIDs(b, c, listPrefetch); len(ids) != n {
			b.Fatalf("%d entries, want %d", len(ids), n)
		}
	}
	s := m.stats()
	b.ReportMetric(float64(s.Throttled)/float64(s.Served), "throttled/page")
	b.ReportMetric(s.MeanInFlight, "mean-in-flight")
}
