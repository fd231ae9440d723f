package gettytest_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/contract"
	"github.com/gettykit/getty/gettytest"
)

// clientFor returns a client of srv whose traffic is checked against the
// spec, and the checking transport.
func clientFor(t *testing.T, srv *gettytest.Server) (*getty.Client, *contract.Transport) {
	t.Helper()
	tr := contract.NewTransport(http.DefaultTransport, nil)
	c, err := getty.New(
		getty.WithAPIKey(gettytest.APIKey), getty.WithClientSecret(gettytest.ClientSecret),
		getty.WithBaseURL(srv.URL), getty.WithTokenURL(srv.URL+"/oauth2/token"),
		getty.WithTransport(tr),
	)
	if err != nil {
		t.Fatal(err)
	}
	return c, tr
}

func countDownloads(t *testing.T, c *getty.Client, opts *getty.ListOptions) (n int, newest getty.Download) {
	t.Helper()
	for d, err := range c.Downloads(t.Context(), opts) {
		if err != nil {
			t.Fatalf("after %d downloads: %v", n, err)
		}
		if n == 0 {
			newest = d
		}
		n++
	}
	return n, newest
}

// TestDefaultClockIsReal: without WithNow the history ends shortly before
// the server was created, so a client's "last 30 days", taken from the
// machine's clock, lists all of it, and a new download is dated now.
func TestDefaultClockIsReal(t *testing.T) {
	before := time.Now().Truncate(time.Second)
	srv := gettytest.NewServer()
	t.Cleanup(srv.Close)
	after := time.Now()

	h := srv.History()
	if len(h) != 250 {
		t.Fatalf("%d seeded downloads, want 250", len(h))
	}
	newest, oldest := h[0].DateDownloaded, h[len(h)-1].DateDownloaded
	if newest.Before(before.Add(-17*time.Minute)) || newest.After(after.Add(-17*time.Minute)) {
		t.Errorf("newest seeded download at %v, want 17 minutes before the server's creation (%v)", newest, before)
	}
	if newest.Location() != time.UTC || newest.Nanosecond() != 0 {
		t.Errorf("seeded dates are %v: want UTC, whole seconds, as Getty sends them", newest)
	}
	if want := newest.Add(-249 * 2 * time.Hour); !oldest.Equal(want) {
		t.Errorf("oldest seeded download at %v, want %v (one every two hours)", oldest, want)
	}

	c, tr := clientFor(t, srv)
	// The iterator's window is the last 30 days by the machine's clock:
	// the user's own 200 downloads, or all 250 with the company's.
	if n, _ := countDownloads(t, c, nil); n != 200 {
		t.Errorf("Downloads(nil): %d downloads, want the user's 200", n)
	}
	//lint:ignore SA1019 the deprecated field keeps working: this checks it too
	if n, _ := countDownloads(t, c, &getty.ListOptions{CompanyDownloads: true, Prefetch: 4}); n != 250 {
		t.Errorf("Downloads(CompanyDownloads): %d downloads, want 250", n)
	}
	if n, _ := countDownloads(t, c, &getty.ListOptions{DateFrom: time.Now().AddDate(0, 0, -90)}); n != 200 {
		t.Errorf("Downloads(the last 90 days): %d downloads, want 200", n)
	}
	// The one-page call without dates gets the server's default window,
	// which its clock sets.
	page, err := c.ListDownloads(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if page.ResultCount != 200 || len(page.Downloads) != getty.DefaultPageSize {
		t.Errorf("ListDownloads(nil): %d entries of %d, want 30 of 200", len(page.Downloads), page.ResultCount)
	}

	// A download is dated by the clock and listed first.
	if _, err := c.DownloadURL(t.Context(), gettytest.ImageID, nil); err != nil {
		t.Fatal(err)
	}
	done := time.Now()
	n, d := countDownloads(t, c, nil)
	if n != 201 || d.ID != gettytest.ImageID {
		t.Fatalf("after a download: %d downloads, newest %s; want 201, newest %s", n, d.ID, gettytest.ImageID)
	}
	if d.DateDownloaded.Before(after.Truncate(time.Second)) || d.DateDownloaded.After(done) {
		t.Errorf("download dated %v, want between %v and %v", d.DateDownloaded, after, done)
	}
	tr.Report().Check(t)
}

// TestWithNowFixesClock: WithNow dates the history and new downloads by a
// clock that does not move, to the second.
func TestWithNowFixesClock(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 500_000_000, time.FixedZone("CET", 3600))
	srv := gettytest.NewServer(gettytest.WithNow(now), gettytest.WithDownloads(3))
	t.Cleanup(srv.Close)
	want := time.Date(2026, 3, 1, 10, 43, 0, 0, time.UTC) // 11:00 UTC, whole seconds, 17 minutes before
	if got := srv.History()[0].DateDownloaded; !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("newest seeded download at %v, want %v", got, want)
	}

	c, tr := clientFor(t, srv)
	if _, err := c.DownloadURL(t.Context(), gettytest.ImageID, nil); err != nil {
		t.Fatal(err)
	}
	if got := srv.History()[0].DateDownloaded; !got.Equal(now.Truncate(time.Second)) {
		t.Errorf("download dated %v, want the fixed clock's %v", got, now.Truncate(time.Second))
	}
	// A listing without dates gets the window of the server's clock.
	page, err := c.ListDownloads(t.Context(), &getty.ListOptions{CompanyDownloads: true})
	if err != nil {
		t.Fatal(err)
	}
	if page.ResultCount != 4 {
		t.Errorf("default window: %d downloads, want 4", page.ResultCount)
	}
	tr.Report().Check(t)
}
