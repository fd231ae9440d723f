package contract_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image/jpeg"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/gen"
	"github.com/gettykit/getty/gettytest"
)

// Fixed date windows: the request of a replay must be the recorded one, so
// windows never depend on the clock. The fake's history ends shortly before
// gettytest.DefaultNow (2026-03-01T12:00Z), one download every two hours.
var (
	// pagesDay is one day of the fake's history: about ten downloads of
	// the user's own, several pages of four.
	pagesDay   = time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC)
	windowFrom = time.Date(2026, 2, 20, 0, 0, 0, 0, time.UTC)
	windowTo   = time.Date(2026, 2, 21, 0, 0, 0, 0, time.UTC)
	// emptyFrom and emptyTo select a month with no downloads anywhere,
	// the live API included.
	emptyFrom = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	emptyTo   = time.Date(2001, 1, 31, 0, 0, 0, 0, time.UTC)
)

// unknownImageID is an image id that exists neither on the fake nor on the
// live API.
const unknownImageID = "9999999999999"

// jpegMagic starts every JPEG file.
var jpegMagic = []byte{0xFF, 0xD8, 0xFF}

func scenarios() []scenario {
	return []scenario{
		{name: "list-first-page", run: func(t *testing.T, h *harness) {
			page, err := h.client(t).ListDownloads(h.ctx, &getty.ListOptions{PageSize: 5})
			if err != nil {
				t.Fatal(err)
			}
			if page.Page != 1 || page.PageSize != 5 || len(page.Downloads) > 5 {
				t.Errorf("page %d, size %d, %d entries", page.Page, page.PageSize, len(page.Downloads))
			}
			if h.fake && (len(page.Downloads) != 5 || page.ResultCount <= 5) {
				t.Errorf("fake history: %d entries of %d, want a full first page of more", len(page.Downloads), page.ResultCount)
			}
			wantLog(t, h, "POST /oauth2/token -> 200", "GET /v3/downloads -> 200")
		}},
		{name: "list-several-pages", run: func(t *testing.T, h *harness) {
			opts := &getty.ListOptions{DateFrom: pagesDay, DateTo: pagesDay, PageSize: 4}
			var got []getty.Download
			for d, err := range h.client(t).Downloads(h.ctx, opts) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, d)
			}
			inWindow(t, got, pagesDay, pagesDay)
			pages := h.log.count("GET", "/v3/downloads")
			if want := max(1, (len(got)+3)/4); pages != want && pages != want+1 {
				t.Errorf("%d entries in %d page requests", len(got), pages)
			}
			if h.fake && (len(got) < 9 || pages < 3) {
				t.Errorf("fake history: %d entries in %d pages, want at least 3 pages", len(got), pages)
			}
		}},
		{name: "list-product-filter", run: func(t *testing.T, h *harness) {
			page, err := h.client(t).ListDownloads(h.ctx, &getty.ListOptions{ProductType: getty.ProductEasyAccess, PageSize: 5})
			if err != nil {
				t.Fatal(err)
			}
			for i, d := range page.Downloads {
				if d.ProductType != getty.ProductEasyAccess {
					t.Errorf("entry %d: product_type %q", i, d.ProductType)
				}
			}
			if h.fake && len(page.Downloads) == 0 {
				t.Error("fake history: no easyaccess downloads")
			}
		}},
		{name: "list-date-window", run: func(t *testing.T, h *harness) {
			page, err := h.client(t).ListDownloads(h.ctx, &getty.ListOptions{DateFrom: windowFrom, DateTo: windowTo, PageSize: 5})
			if err != nil {
				t.Fatal(err)
			}
			inWindow(t, page.Downloads, windowFrom, windowTo)
			if h.fake && len(page.Downloads) == 0 {
				t.Error("fake history: nothing in the window")
			}
			if q := h.log.all(); len(q) != 2 {
				t.Errorf("exchanges: %q", q)
			}
		}},
		{name: "list-empty-history", fakeOptions: []gettytest.Option{gettytest.WithDownloads(0)}, run: func(t *testing.T, h *harness) {
			c := h.client(t)
			page, err := c.ListDownloads(h.ctx, &getty.ListOptions{DateFrom: emptyFrom, DateTo: emptyTo})
			if err != nil {
				t.Fatal(err)
			}
			if page.ResultCount != 0 || page.Downloads == nil || len(page.Downloads) != 0 {
				t.Errorf("result_count %d, downloads %#v", page.ResultCount, page.Downloads)
			}
			n := 0
			for _, err := range c.Downloads(h.ctx, &getty.ListOptions{DateFrom: emptyFrom, DateTo: emptyTo}) {
				if err != nil {
					t.Fatal(err)
				}
				n++
			}
			if n != 0 {
				t.Errorf("iterator yielded %d downloads", n)
			}
			wantLog(t, h, "POST /oauth2/token -> 200", "GET /v3/downloads -> 200", "GET /v3/downloads -> 200")
		}},
		{name: "download-uri", spendsQuota: true, run: func(t *testing.T, h *harness) {
			raw, err := h.client(t).DownloadURL(h.ctx, h.imageID, nil)
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(raw)
			if err != nil || !u.IsAbs() || u.RawQuery == "" {
				t.Errorf("download URL %q: want an absolute, signed URL (%v)", raw, err)
			}
			if h.mode == modeReplay && !strings.Contains(u.RawQuery, redacted) {
				t.Errorf("replayed download URL %q: signature not scrubbed", raw)
			}
			if h.fake && u.Path != "/delivery/"+h.imageID+".jpg" {
				t.Errorf("download URL %q", raw)
			}
			wantLog(t, h, "POST /oauth2/token -> 200", "POST /v3/downloads/images/"+h.imageID+" -> 200")
			if h.srv != nil && len(h.srv.History()) != 251 {
				t.Errorf("fake history holds %d downloads, want the new one added", len(h.srv.History()))
			}
		}},
		{name: "download-303-location", spendsQuota: true, run: func(t *testing.T, h *harness) {
			openAndCheck(t, h, http.StatusSeeOther)
		}},
		{name: "download-302-location", needsFake: true, spendsQuota: true,
			fakeOptions: []gettytest.Option{gettytest.WithRedirectStatus(http.StatusFound)},
			run: func(t *testing.T, h *harness) {
				openAndCheck(t, h, http.StatusFound)
			}},
		{name: "download-file", spendsQuota: true, run: func(t *testing.T, h *harness) {
			dir := t.TempDir()
			saved, err := h.client(t).SaveImage(h.ctx, h.imageID, dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(saved.Path)
			if err != nil {
				t.Fatal(err)
			}
			checkJPEG(t, data, saved.Size)
			if saved.ContentType != "image/jpeg" || strings.Contains(saved.URL, "?") {
				t.Errorf("saved %+v", saved)
			}
			if h.fake && saved.Filename != "GettyImages-"+h.imageID+".jpg" {
				t.Errorf("file name %q", saved.Filename)
			}
			if n := h.log.count("POST", "/v3/downloads/images/"); n != 1 {
				t.Errorf("download POST sent %d times", n)
			}
		}},
		{name: "error-400-page-size", invalidRequest: true, run: func(t *testing.T, h *harness) {
			// The client refuses to send page_size=101: send it by hand,
			// through the same transport, with the client's token.
			c := h.client(t)
			if _, err := c.ListDownloads(h.ctx, &getty.ListOptions{PageSize: 101}); err == nil {
				t.Error("the client sent page_size=101")
			}
			tok, err := c.Token(h.ctx)
			if err != nil {
				t.Fatal(err)
			}
			req, err := http.NewRequestWithContext(h.ctx, http.MethodGet, h.baseURL+"/v3/downloads?page_size=101", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Api-Key", h.apiKey)
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			req.Header.Set("Accept", "application/json")
			resp, err := (&http.Client{Transport: h.transport}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp.Body)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if h.fake {
				var e gen.Error
				if err := json.Unmarshal(body, &e); err != nil || e.ErrorCode != "InvalidPageSize" {
					t.Errorf("body %s (%v)", body, err)
				}
			}
			for _, f := range h.transport.Report().Violations() {
				if f.InRequest && f.Pointer != "page_size" {
					t.Errorf("unexpected request finding: %s", f)
				}
			}
		}},
		{name: "error-401-no-token", invalidRequest: true, run: func(t *testing.T, h *harness) {
			_, err := h.keyOnlyClient(t).DownloadURL(h.ctx, h.imageID, nil)
			apiErr := wantError(t, err, getty.ErrUnauthorized, http.StatusUnauthorized)
			if h.fake && apiErr.Code != "AuthorizationTokenRequired" {
				t.Errorf("code %q", apiErr.Code)
			}
			wantLog(t, h, "POST /v3/downloads/images/"+h.imageID+" -> 401")
			for _, f := range h.transport.Report().Violations() {
				if f.InRequest && f.Pointer != "security" {
					t.Errorf("unexpected request finding: %s", f)
				}
			}
		}},
		{name: "error-403-quota", needsFake: true,
			fakeOptions: []gettytest.Option{gettytest.WithQuota(gen.Premiumaccess, 0)},
			run: func(t *testing.T, h *harness) {
				_, err := h.client(t).DownloadURL(h.ctx, h.imageID, nil)
				apiErr := wantError(t, err, getty.ErrQuotaExhausted, http.StatusForbidden)
				if apiErr.Code != "OverageLimitReached" {
					t.Errorf("code %q", apiErr.Code)
				}
				wantLog(t, h, "POST /oauth2/token -> 200", "POST /v3/downloads/images/"+h.imageID+" -> 403")
				if h.srv != nil && h.srv.Requests(gettytest.OpDownloadImage) != 1 {
					t.Errorf("the fake got %d download requests", h.srv.Requests(gettytest.OpDownloadImage))
				}
			}},
		{name: "error-404-unknown-image", run: func(t *testing.T, h *harness) {
			_, err := h.client(t).DownloadURL(h.ctx, unknownImageID, nil)
			apiErr := wantError(t, err, getty.ErrNotFound, http.StatusNotFound)
			if h.fake && apiErr.Code != "ImageNotFound" {
				t.Errorf("code %q", apiErr.Code)
			}
			wantLog(t, h, "POST /oauth2/token -> 200", "POST /v3/downloads/images/"+unknownImageID+" -> 404")
		}},
		{name: "error-429-throttled", needsFake: true, run: func(t *testing.T, h *harness) {
			if h.srv != nil {
				h.srv.Throttle(gettytest.OpListDownloads, http.StatusTooManyRequests, 0)
			}
			retry := h.retry
			retry.MaxAttempts = 2
			_, err := h.client(t, getty.WithRetry(retry)).ListDownloads(h.ctx, nil)
			apiErr := wantError(t, err, getty.ErrRateLimited, http.StatusTooManyRequests)
			if apiErr.Detail != gettytest.ThrottleDetail {
				t.Errorf("detail %q, want the X-Error-Detail header", apiErr.Detail)
			}
			// Retried once, as the policy allows, then given up.
			wantLog(t, h, "POST /oauth2/token -> 200", "GET /v3/downloads -> 429", "GET /v3/downloads -> 429")
		}},
		{name: "error-503-then-success", needsFake: true, run: func(t *testing.T, h *harness) {
			if h.srv != nil {
				h.srv.FailOnce(gettytest.OpListDownloads, http.StatusServiceUnavailable)
			}
			page, err := h.client(t).ListDownloads(h.ctx, &getty.ListOptions{PageSize: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Downloads) != 2 {
				t.Errorf("%d entries", len(page.Downloads))
			}
			wantLog(t, h, "POST /oauth2/token -> 200", "GET /v3/downloads -> 503", "GET /v3/downloads -> 200")
			if h.srv != nil && h.srv.Requests(gettytest.OpListDownloads) != 2 {
				t.Errorf("the fake got %d listing requests", h.srv.Requests(gettytest.OpListDownloads))
			}
		}},
	}
}

// TestScenarios runs every scenario in the mode GETTY_CONTRACT_MODE selects
// (replay by default).
func TestScenarios(t *testing.T) {
	m := currentMode(t)
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			runScenario(t, sc, m)
		})
	}
}

// openAndCheck downloads h.imageID with OpenImage, which follows the
// redirect itself, and checks the file.
func openAndCheck(t *testing.T, h *harness, redirect int) {
	t.Helper()
	img, err := h.client(t).OpenImage(h.ctx, h.imageID, nil)
	if err != nil {
		t.Fatal(err)
	}
	data := readAll(t, img.Body)
	checkJPEG(t, data, img.ContentLength)
	if img.ContentType != "image/jpeg" || strings.Contains(img.URL, "?") {
		t.Errorf("image %+v", img)
	}
	if h.fake && img.Filename != "GettyImages-"+h.imageID+".jpg" {
		t.Errorf("file name %q", img.Filename)
	}
	log := h.log.all()
	if n := h.log.count("POST", "/v3/downloads/images/"); n != 1 {
		t.Errorf("download POST sent %d times: %q", n, log)
	}
	post := slices.IndexFunc(log, func(s string) bool { return strings.HasPrefix(s, "POST /v3/downloads/images/") })
	if post < 0 || post+1 >= len(log) {
		t.Fatalf("exchanges: %q", log)
	}
	if h.fake && !strings.HasSuffix(log[post], fmt.Sprintf("-> %d", redirect)) {
		t.Errorf("download answered %s, want %d", log[post], redirect)
	}
	if !strings.HasSuffix(log[post], "-> 302") && !strings.HasSuffix(log[post], "-> 303") {
		t.Errorf("download answered %s, want a redirect", log[post])
	}
	if !strings.HasPrefix(log[post+1], "GET ") || !strings.HasSuffix(log[post+1], "-> 200") {
		t.Errorf("after the redirect: %s", log[post+1])
	}
}

// checkJPEG checks that data is a whole JPEG file of the announced length.
func checkJPEG(t *testing.T, data []byte, length int64) {
	t.Helper()
	if !bytes.HasPrefix(data, jpegMagic) {
		t.Errorf("file starts with % X, want JPEG magic", data[:min(len(data), 4)])
	}
	if length < 0 || int64(len(data)) != length {
		t.Errorf("read %d bytes, Content-Length %d", len(data), length)
	}
	if _, err := jpeg.DecodeConfig(bytes.NewReader(data)); err != nil {
		t.Errorf("not a JPEG: %v", err)
	}
}

// wantError checks that err is an *getty.APIError with status and matching
// sentinel, and returns it.
func wantError(t *testing.T, err error, sentinel error, status int) *getty.APIError {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %v, want %v", err, sentinel)
	}
	var apiErr *getty.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %T %v, want *getty.APIError", err, err)
	}
	if apiErr.StatusCode != status {
		t.Errorf("status %d, want %d", apiErr.StatusCode, status)
	}
	return apiErr
}

// wantLog checks the exchanges of a scenario, in order.
func wantLog(t *testing.T, h *harness, want ...string) {
	t.Helper()
	if got := h.log.all(); !slices.Equal(got, want) {
		t.Errorf("exchanges:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// inWindow checks that every download is dated within [from, to], dates
// taken as whole days.
func inWindow(t *testing.T, ds []getty.Download, from, to time.Time) {
	t.Helper()
	end := to.AddDate(0, 0, 1)
	for i, d := range ds {
		if d.DateDownloaded.Before(from) || !d.DateDownloaded.Before(end) {
			t.Errorf("entry %d downloaded %s, outside %s..%s", i, d.DateDownloaded, from.Format(time.DateOnly), to.Format(time.DateOnly))
		}
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
