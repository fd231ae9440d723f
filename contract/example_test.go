package contract_test

import (
	"net/http"
	"os"

	"github.com/gettykit/getty/contract"
	"github.com/gettykit/getty/gettytest"
)

func ExampleNewTransport() {
	srv := gettytest.NewServer(gettytest.WithExtraField("rating", 5), gettytest.WithDownloads(1))
	defer srv.Close()

	tr := contract.NewTransport(srv.Client().Transport, nil)
	client := &http.Client{Transport: tr}
	for _, query := range []string{"page_size=10", "page_size=500"} {
		req, _ := http.NewRequest("GET", srv.URL+"/v3/downloads?"+query, nil)
		req.Header.Set("Api-Key", gettytest.APIKey)
		req.Header.Set("Authorization", "Bearer "+srv.IssueToken(true))
		resp, err := client.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
	}
	tr.Report().WriteTo(os.Stdout)
	// In a test: contract.AssertNoViolations(t, tr.Report())

	// Output:
	// 1 violation(s), 1 drift finding(s)
	//   violation: listDownloads GET /v3/downloads (request) at page_size: query parameter "page_size": number must be at most 100
	//   drift: listDownloads GET /v3/downloads -> 200 at /downloads/0/rating: field "rating" is not in the spec
}
