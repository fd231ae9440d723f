package bench

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/gen"
	"github.com/gettykit/getty/gettytest"
)

// pageJSON is a page of 100 downloads as the API sends it, made from the
// fake server's seeded history.
func pageJSON(tb testing.TB) []byte {
	tb.Helper()
	h := gettytest.NewUnstartedServer(gettytest.WithDownloads(getty.MaxPageSize)).History()
	b, err := json.Marshal(map[string]any{"result_count": len(h), "downloads": h})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// pageServer answers GET /v3/downloads with page to requests that carry an
// API key and a bearer token, and nothing else: the cost measured is the
// client's, not a server's.
func pageServer(tb testing.TB, page []byte) *httptest.Server {
	tb.Helper()
	length := strconv.Itoa(len(page))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v3/downloads", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Api-Key") == "" || r.Header.Get("Authorization") == "" {
			http.Error(w, `{"message":"Unauthorized"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Length", length)
		_, _ = w.Write(page)
	})
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	return srv
}

// handList is the baseline: the same call written by hand with net/http
// and encoding/json, decoding into the same generated model the client
// returns.
func handList(hc *http.Client, base, apiKey, token string) (*gen.GetDownloadsResponse, error) {
	req, err := http.NewRequest(http.MethodGet, base+"/v3/downloads?"+url.Values{"page_size": {"100"}}.Encode(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Api-Key", apiKey)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %s", resp.Status)
	}
	var page gen.GetDownloadsResponse
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return nil, err
	}
	return &page, nil
}

func newPageClient(tb testing.TB, base string) *getty.Client {
	tb.Helper()
	c, err := getty.New(getty.WithAPIKey("bench-key"), getty.WithToken(staticToken()), getty.WithBaseURL(base), getty.WithTransport(newTransport()))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Both sides of the call-overhead benchmark get the same 100 entries.
func TestCallOverheadSidesAgree(t *testing.T) {
	srv := pageServer(t, pageJSON(t))
	pg, err := newPageClient(t, srv.URL).ListDownloads(t.Context(), &getty.ListOptions{PageSize: getty.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	hand, err := handList(&http.Client{Transport: newTransport()}, srv.URL, "bench-key", staticToken().AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(pg.Downloads)
	b, _ := json.Marshal(hand.Downloads)
	if len(pg.Downloads) != getty.MaxPageSize || string(a) != string(b) {
		t.Fatalf("client: %d entries, hand-written: %d, or they differ", len(pg.Downloads), len(hand.Downloads))
	}
}

// BenchmarkCallOverhead lists one page of 100 downloads through the client
// and through hand-written net/http and encoding/json, against the same
// httptest server.
func BenchmarkCallOverhead(b *testing.B) {
	page := pageJSON(b)
	srv := pageServer(b, page)
	b.Run("client", func(b *testing.B) {
		c := newPageClient(b, srv.URL)
		opts := &getty.ListOptions{PageSize: getty.MaxPageSize}
		b.SetBytes(int64(len(page)))
		b.ReportAllocs()
		for b.Loop() {
			pg, err := c.ListDownloads(b.Context(), opts)
			if err != nil || len(pg.Downloads) != getty.MaxPageSize {
				b.Fatalf("%v, %d entries", err, len(pg.Downloads))
			}
		}
	})
	b.Run("baseline", func(b *testing.B) {
		hc := &http.Client{Transport: newTransport()}
		token := staticToken().AccessToken
		b.SetBytes(int64(len(page)))
		b.ReportAllocs()
		for b.Loop() {
			pg, err := handList(hc, srv.URL, "bench-key", token)
			if err != nil || len(pg.Downloads) != getty.MaxPageSize {
				b.Fatalf("%v", err)
			}
		}
	})
}
