package gettytest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gettykit/getty/gen"
	"github.com/gettykit/getty/gettytest"
)

// dailyHistory is one download of the demo user a day at 10:00 UTC, from
// 2025-11-01 to 2026-03-01 (the day of gettytest.DefaultNow).
func dailyHistory() []gen.HistoricalDownload {
	var h []gen.HistoricalDownload
	user := gettytest.Username
	for d := time.Date(2025, 11, 1, 10, 0, 0, 0, time.UTC); !d.After(gettytest.DefaultNow); d = d.AddDate(0, 0, 1) {
		id := d.Format("20060102")
		h = append(h, gen.HistoricalDownload{ID: id, DateDownloaded: d, User: gen.DownloadUser{Username: user}})
	}
	return h
}

// TestListDefaultWindow: a date the listing leaves out defaults as Getty
// documents: date_to is the current date or 30 days after date_from,
// whichever is earlier; date_from is 30 days before date_to.
func TestListDefaultWindow(t *testing.T) {
	f := newFixture(t, gettytest.WithHistory(dailyHistory()))
	tests := []struct {
		name, query string
		first, last string // ids (dates) of the newest and oldest entry
		want        int
	}{
		{"no dates: 30 days before the current date", "", "20260301", "20260130", 31},
		{"empty dates are not given", "date_from=&date_to=", "20260301", "20260130", 31},
		{"date_from alone: 30 days after it", "date_from=2026-01-01", "20260131", "20260101", 31},
		{"date_from alone, fewer than 30 days ago: until now", "date_from=2026-02-15", "20260301", "20260215", 15},
		{"date_to alone: 30 days before it", "date_to=2026-01-31", "20260131", "20260101", 31},
		{"both", "date_from=2026-01-01&date_to=2026-02-28", "20260228", "20260101", 59},
		{"date_from alone with use_time: 30 days to the instant", "date_from=2026-01-01T12:00:00Z&use_time=true", "20260131", "20260102", 30},
		{"date_from alone with use_time, recent: until now", "date_from=2026-02-20T12:00:00Z&use_time=true", "20260301", "20260221", 9},
		{"legacy start_date alone", "start_date=2026-01-01", "20260131", "20260101", 31},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, r := f.list(tt.query + "&page_size=100")
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			ds := p.Downloads
			if int(p.ResultCount) != tt.want || len(ds) != tt.want {
				t.Fatalf("result_count %d with %d entries, want %d", p.ResultCount, len(ds), tt.want)
			}
			if ds[0].ID != tt.first || ds[len(ds)-1].ID != tt.last {
				t.Errorf("entries %s..%s, want %s..%s", ds[len(ds)-1].ID, ds[0].ID, tt.last, tt.first)
			}
		})
	}
	f.checkSpec(false)
}

// TestSDKQuirks: requests as Getty's own SDKs send them are served as the
// operations they are. The PHP SDK lists with GET /v3/downloads/ (also with
// a bare ?); the Node SDK sends a null height, product_id or
// use_team_credits as a blank value, which means not given.
func TestSDKQuirks(t *testing.T) {
	f := newFixture(t)
	dl := "/v3/downloads/images/" + gettytest.ImageID
	tests := []struct {
		name, method, path string
		status             int
		code               string // error code of a 400
	}{
		{"trailing slash", "GET", "/v3/downloads/", 200, ""},
		{"trailing slash and bare question mark", "GET", "/v3/downloads/?", 200, ""},
		{"trailing slash with filters", "GET", "/v3/downloads/?page=2&page_size=50&company_downloads=True", 200, ""},
		{"trailing slash, validated as the listing", "GET", "/v3/downloads/?page_size=101", 400, "InvalidPageSize"},
		{"blank height, product_id and use_team_credits", "POST", dl + "?auto_download=false&product_id=&height=&use_team_credits=", 200, ""},
		{"blanks, auto_download", "POST", dl + "?product_id=&height=&use_team_credits=", 303, ""},
		{"blanks beside values", "POST", dl + "?auto_download=false&file_type=jpg&product_type=premiumaccess&product_id=&height=&use_team_credits=", 200, ""},
		{"trailing slash on the download", "POST", dl + "/?auto_download=false", 200, ""},
		{"product_id not a number", "POST", dl + "?auto_download=false&product_id=abc", 400, "InvalidRequest"},
		{"use_team_credits not a boolean", "POST", dl + "?auto_download=false&use_team_credits=maybe", 400, "InvalidRequest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.History())
			r := f.do(tt.method, tt.path, "", "", nil)
			if r.status != tt.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, tt.status)
			}
			switch {
			case tt.code != "":
				if got := r.errorCode(t); got != tt.code {
					t.Errorf("error code %q, want %q", got, tt.code)
				}
			case tt.method == "GET":
				var p gen.GetDownloadsResponse
				r.json(t, &p)
				if p.ResultCount == 0 || p.Downloads == nil || len(p.Downloads) == 0 {
					t.Errorf("not the listing: %s", r.body)
				}
			default:
				// Not given: the download is charged to the default
				// product type.
				h := f.History()
				if len(h) != before+1 || h[0].ID != gettytest.ImageID || h[0].ProductType != gen.Premiumaccess {
					t.Errorf("download not recorded as a plain one: %d → %d entries, newest %+v", before, len(h), h[0])
				}
			}
		})
	}
	f.checkSpec(true)
	for _, v := range f.tr.Report().Violations() {
		if p := v.Pointer; p != "page_size" && p != "product_id" && p != "use_team_credits" {
			t.Errorf("unexpected violation: %s", v)
		}
	}
}

// TestTokenEndpointQuirks: the token endpoint ignores an Api-Key header (the
// archived Ruby SDK sends one) and sends expires_in as a number, as Getty's
// .NET SDK needs, unless told to send the string "1800".
func TestTokenEndpointQuirks(t *testing.T) {
	creds := url.Values{"grant_type": {"client_credentials"}, "client_id": {gettytest.APIKey}, "client_secret": {gettytest.ClientSecret}}
	onlyGrant := url.Values{"grant_type": {"client_credentials"}}
	tests := []struct {
		name        string
		opts        []gettytest.Option
		form        url.Values
		apiKey      string // Api-Key header; "" sends none
		status      int
		wantExpires string // the raw JSON of expires_in
	}{
		{"no Api-Key header", nil, creds, "", 200, `1800`},
		{"Api-Key header, as the Ruby SDK sends it", nil, creds, gettytest.APIKey, 200, `1800`},
		{"Api-Key header of another key is ignored", nil, creds, "another-key", 200, `1800`},
		{"Api-Key header does not stand in for client_id", nil, onlyGrant, gettytest.APIKey, 401, ""},
		{"expires_in as a string", []gettytest.Option{gettytest.WithExpiresInString()}, creds, gettytest.APIKey, 200, `"1800"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := gettytest.NewServer(tt.opts...)
			defer s.Close()
			req, _ := http.NewRequest("POST", s.URL+"/oauth2/token", strings.NewReader(tt.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.apiKey != "" {
				req.Header.Set("Api-Key", tt.apiKey)
			}
			resp, err := s.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("%d %s, want %d", resp.StatusCode, body, tt.status)
			}
			if tt.status != 200 {
				return
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatal(err)
			}
			if got := string(bytes.TrimSpace(m["expires_in"])); got != tt.wantExpires {
				t.Errorf("expires_in = %s, want %s", got, tt.wantExpires)
			}
			var tok string
			if json.Unmarshal(m["access_token"], &tok) != nil || tok == "" {
				t.Fatalf("no access_token in %s", body)
			}
			// The token works.
			api, _ := http.NewRequest("GET", s.URL+"/v3/downloads?page_size=1", nil)
			api.Header.Set("Api-Key", gettytest.APIKey)
			api.Header.Set("Authorization", "Bearer "+tok)
			ar, err := s.Client().Do(api)
			if err != nil {
				t.Fatal(err)
			}
			ar.Body.Close()
			if ar.StatusCode != 200 {
				t.Errorf("listing with the token: %d", ar.StatusCode)
			}
		})
	}
}
