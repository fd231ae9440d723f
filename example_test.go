package getty_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/oauth2"

	"github.com/gettykit/getty"
)

// fakeGetty is a tiny stand-in for the API, enough for the examples: a
// history of five downloads, the download POST, and a delivery path.
func fakeGetty() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v3/downloads", func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		size, _ := strconv.Atoi(r.URL.Query().Get("page_size"))
		page, size = max(page, 1), max(size, 1)
		var items []map[string]any
		for i := (page - 1) * size; i < min(page*size, 5); i++ {
			items = append(items, map[string]any{
				"id":              fmt.Sprint(1167612760 + i),
				"date_downloaded": "2026-01-0" + fmt.Sprint(i+1) + "T10:00:00Z",
			})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"result_count": 5, "downloads": items})
	})
	mux.HandleFunc("POST /v3/downloads/images/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if id == "0" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"ErrorCode":"OverageLimitReached","ErrorMessage":"Download limit reached"}`)
			return
		}
		delivery := "http://" + r.Host + "/delivery/" + id + "?sig=opaque"
		if r.URL.Query().Get("auto_download") == "true" {
			http.Redirect(w, r, delivery, http.StatusSeeOther)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"uri": delivery})
	})
	mux.HandleFunc("GET /delivery/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Content-Disposition", "attachment; filename=GettyImages-"+r.PathValue("id")+".jpg")
		fmt.Fprint(w, "\xff\xd8\xff\xe0 not really a JPEG")
	})
	return httptest.NewServer(mux)
}

func newExampleClient(baseURL string) *getty.Client {
	c, err := getty.New(
		getty.WithAPIKey("my-api-key"),
		getty.WithToken(&oauth2.Token{AccessToken: "my-token", Expiry: time.Now().Add(time.Hour)}),
		getty.WithBaseURL(baseURL),
	)
	if err != nil {
		log.Fatal(err)
	}
	return c
}

func ExampleNew() {
	c, err := getty.New(
		getty.WithAPIKey(os.Getenv("GETTY_API_KEY")),
		getty.WithClientSecret(os.Getenv("GETTY_API_SECRET")),
		getty.WithRetry(getty.RetryPolicy{MaxAttempts: 3}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = c
}

func ExampleClient_Downloads() {
	srv := fakeGetty()
	defer srv.Close()
	c := newExampleClient(srv.URL)

	// Every download of the last 30 days, two per page, two pages in flight.
	for d, err := range c.Downloads(context.Background(), &getty.ListOptions{PageSize: 2}, getty.WithPrefetch(2)) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(d.ID, d.DateDownloaded.Format(time.DateOnly))
	}
	// Output:
	// 1167612760 2026-01-01
	// 1167612761 2026-01-02
	// 1167612762 2026-01-03
	// 1167612763 2026-01-04
	// 1167612764 2026-01-05
}

func ExampleClient_DownloadPages() {
	srv := fakeGetty()
	defer srv.Close()
	c := newExampleClient(srv.URL)

	// Page by page, with progress, and a checkpoint after each page: the
	// options that resume after it, in the same window.
	var checkpoint *getty.ListOptions
	done := 0
	for page, err := range c.DownloadPages(context.Background(), &getty.ListOptions{PageSize: 2}) {
		if err != nil {
			log.Fatal(err)
		}
		done += len(page.Downloads)
		fmt.Printf("page %d: %d/%d\n", page.Page, done, page.ResultCount)
		checkpoint = page.NextOptions()
		if page.Page == 2 {
			break // interrupted: resume from the checkpoint
		}
	}
	for page, err := range c.DownloadPages(context.Background(), checkpoint) {
		if err != nil {
			log.Fatal(err)
		}
		done += len(page.Downloads)
		fmt.Printf("page %d: %d/%d\n", page.Page, done, page.ResultCount)
	}
	// Output:
	// page 1: 2/5
	// page 2: 4/5
	// page 3: 5/5
}

func ExampleClient_ListDownloads() {
	srv := fakeGetty()
	defer srv.Close()
	c := newExampleClient(srv.URL)

	page, err := c.ListDownloads(context.Background(), &getty.ListOptions{
		DateFrom:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		DateTo:      time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC),
		Page:        2,
		PageSize:    3,
		ProductType: getty.ProductPremiumAccess,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("page %d: %d of %d downloads\n", page.Page, len(page.Downloads), page.ResultCount)
	// Output:
	// page 2: 2 of 5 downloads
}

func ExampleClient_DownloadURL() {
	srv := fakeGetty()
	defer srv.Close()
	c := newExampleClient(srv.URL)

	uri, err := c.DownloadURL(context.Background(), "1167612765", &getty.DownloadOptions{
		ProjectCode: "SPRING-CAMPAIGN",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(uri[len(srv.URL):])
	// Output:
	// /delivery/1167612765?sig=opaque
}

func ExampleClient_SaveImage() {
	srv := fakeGetty()
	defer srv.Close()
	c := newExampleClient(srv.URL)

	dir, err := os.MkdirTemp("", "getty-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	saved, err := c.SaveImage(context.Background(), "1167612765", dir, &getty.SaveOptions{
		DownloadOptions: getty.DownloadOptions{FileType: getty.FileTypeJPG},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(filepath.Base(saved.Path), saved.Size, saved.ContentType)
	// Output:
	// GettyImages-1167612765.jpg 22 image/jpeg
}

func ExampleClient_OpenImage() {
	srv := fakeGetty()
	defer srv.Close()
	c := newExampleClient(srv.URL)

	img, err := c.OpenImage(context.Background(), "1167612765", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer img.Body.Close()
	// Stream img.Body wherever it is needed; here, just its metadata.
	fmt.Println(img.Filename, img.ContentType, img.ContentLength)
	// Output:
	// GettyImages-1167612765.jpg image/jpeg 22
}

func ExampleAPIError() {
	srv := fakeGetty()
	defer srv.Close()
	c := newExampleClient(srv.URL)

	_, err := c.DownloadURL(context.Background(), "0", nil)
	if errors.Is(err, getty.ErrQuotaExhausted) {
		fmt.Println("quota exhausted, try again next period")
	}
	var apiErr *getty.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code, apiErr.Message)
	}
	// Output:
	// quota exhausted, try again next period
	// 403 OverageLimitReached Download limit reached
}
