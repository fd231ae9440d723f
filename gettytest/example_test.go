package gettytest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gettykit/getty/gen"
	"github.com/gettykit/getty/gettytest"
)

func Example() {
	// A fixed clock, for the same dates on every run; without WithNow the
	// history ends shortly before the server starts.
	srv := gettytest.NewServer(gettytest.WithNow(gettytest.DefaultNow), gettytest.WithDownloads(40))
	defer srv.Close()

	// A token, as Getty's token endpoint hands it out.
	resp, err := srv.Client().PostForm(srv.URL+"/oauth2/token", url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {gettytest.APIKey},
		"client_secret": {gettytest.ClientSecret},
	})
	if err != nil {
		panic(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()

	req, _ := http.NewRequest("GET", srv.URL+"/v3/downloads?page_size=3&company_downloads=true", nil)
	req.Header.Set("Api-Key", gettytest.APIKey)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = srv.Client().Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var page gen.GetDownloadsResponse
	json.NewDecoder(resp.Body).Decode(&page)
	fmt.Println(resp.StatusCode, page.ResultCount)
	for _, d := range page.Downloads {
		fmt.Println(d.DateDownloaded.Format("2006-01-02 15:04"), d.ID, d.ProductType)
	}
	// Output:
	// 200 40
	// 2026-03-01 11:43 1000000000 premiumaccess
	// 2026-03-01 09:43 1000007919 editorialsubscription
	// 2026-03-01 07:43 1000015838 easyaccess
}

func ExampleServer_FailOnce() {
	srv := gettytest.NewServer()
	defer srv.Close()
	srv.FailOnce(gettytest.OpDownloadImage, http.StatusServiceUnavailable)

	for range 2 {
		req, _ := http.NewRequest("POST", srv.URL+"/v3/downloads/images/"+gettytest.ImageID+"?auto_download=false", nil)
		req.Header.Set("Api-Key", gettytest.APIKey)
		req.Header.Set("Authorization", "Bearer "+srv.IssueToken(true))
		resp, err := srv.Client().Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	fmt.Println("POSTs received:", srv.Requests(gettytest.OpDownloadImage))
	// Output:
	// 503
	// 200
	// POSTs received: 2
}

func ExampleServer_Throttle() {
	srv := gettytest.NewServer()
	defer srv.Close()
	srv.Throttle("", http.StatusTooManyRequests, 1)

	req, _ := http.NewRequest("GET", srv.URL+"/v3/downloads", nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("X-Error-Detail"))
	// Output:
	// 429 Account Over Queries Per Second Limit
}
