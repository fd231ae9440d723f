package getty

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// imageBytes is the test image: a JPEG header and filler.
var imageBytes = append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte("getty"), 40000)...)

// downloadAPI serves the download POST, redirecting (with status) to
// location; it checks the credentials and auto_download=true.
func downloadAPI(t *testing.T, status int, location func() string) (string, *atomic.Int64) {
	posts := new(atomic.Int64)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v3/downloads/images/{id}", func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		if r.Header.Get("Api-Key") != "test-key" || r.Header.Get("Authorization") != "Bearer test-token" {
			t.Errorf("the API got headers %v", r.Header)
		}
		if r.URL.Query().Get("auto_download") != "true" {
			t.Errorf("auto_download = %q", r.URL.Query().Get("auto_download"))
		}
		w.Header().Set("Location", location())
		w.WriteHeader(status)
	})
	_, base := newAPI(t, mux)
	return base, posts
}

// serveImage answers with the test image.
func serveImage(w http.ResponseWriter, disposition string) {
	w.Header().Set("Content-Type", "image/jpeg")
	if disposition != "" {
		w.Header().Set("Content-Disposition", disposition)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(imageBytes)))
	_, _ = w.Write(imageBytes)
}

func TestDownloadURLRequest(t *testing.T) {
	tests := []struct {
		name      string
		opts      *DownloadOptions
		wantQuery string
		wantBody  string
		wantCT    string
	}{
		{"nil options", nil, "auto_download=false", "", ""},
		{"all parameters", &DownloadOptions{FileType: FileTypeJPG, Height: "612", ProductID: 77, ProductType: ProductEasyAccess, UseTeamCredits: true},
			"auto_download=false&file_type=jpg&height=612&product_id=77&product_type=easyaccess&use_team_credits=true", "", ""},
		{"notes and project code", &DownloadOptions{Notes: "for the cover", ProjectCode: "P-1"}, "auto_download=false",
			`{"download_notes":"for the cover","project_code":"P-1"}`, "application/json"},
		{"project code only", &DownloadOptions{ProjectCode: "P-1"}, "auto_download=false", `{"project_code":"P-1"}`, "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mux := http.NewServeMux()
			var gotQuery, gotBody, gotPath string
			var gotCT []string
			mux.HandleFunc("POST /api/v3/downloads/images/{id}", func(w http.ResponseWriter, r *http.Request) {
				gotPath = r.URL.Path
				gotQuery = r.URL.Query().Encode()
				b, _ := io.ReadAll(r.Body)
				gotBody = string(b)
				gotCT = r.Header.Values("Content-Type")
				writeJSON(w, 200, map[string]string{"uri": "https://delivery.example/a.jpg?sig=x"})
			})
			_, base := newAPI(t, mux)
			c := newClient(t, base)
			uri, err := c.DownloadURL(t.Context(), "1167612765", tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if uri != "https://delivery.example/a.jpg?sig=x" {
				t.Errorf("uri = %s", uri)
			}
			if gotPath != "/api/v3/downloads/images/1167612765" {
				t.Errorf("path = %s", gotPath)
			}
			if gotQuery != tt.wantQuery {
				t.Errorf("query = %s, want %s", gotQuery, tt.wantQuery)
			}
			if gotBody != tt.wantBody {
				t.Errorf("body = %q, want %q", gotBody, tt.wantBody)
			}
			if tt.wantCT == "" && len(gotCT) != 0 {
				t.Errorf("Content-Type %q sent without a body", gotCT)
			}
			if tt.wantCT != "" && (len(gotCT) != 1 || gotCT[0] != tt.wantCT) {
				t.Errorf("Content-Type = %q, want %q", gotCT, tt.wantCT)
			}
		})
	}
}

func TestInvalidIDsSendNothing(t *testing.T) {
	var hits atomic.Int64
	_, base := newAPI(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	c := newClient(t, base)
	for _, id := range []string{"", ".", "..", "../x", "a/b", `a\b`, "a?b", "a#b", "a b", "a\nb", "%2e%2e"} {
		if _, err := c.DownloadURL(t.Context(), id, nil); err == nil {
			t.Errorf("id %q accepted", id)
		}
		if _, err := c.SaveImage(t.Context(), id, t.TempDir(), nil); err == nil {
			t.Errorf("id %q accepted by SaveImage", id)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("%d requests sent", hits.Load())
	}
}

func TestOpenImageFollowsRedirectsWithoutCredentials(t *testing.T) {
	for _, status := range []int{http.StatusSeeOther, http.StatusFound} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			var deliveryHits atomic.Int64
			delivery := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				deliveryHits.Add(1)
				for _, h := range []string{"Api-Key", "Authorization", "Cookie"} {
					if v := r.Header.Get(h); v != "" {
						t.Errorf("the delivery host got %s: %s", h, v)
					}
				}
				switch r.URL.Path {
				case "/signed": // the delivery host's own redirect
					http.Redirect(w, r, "/files/GettyImages-1.jpg?sig=secret2&exp=1", http.StatusFound)
				case "/files/GettyImages-1.jpg":
					serveImage(w, `attachment; filename=GettyImages-1167612765.jpg`)
				default:
					http.NotFound(w, r)
				}
			}))
			defer delivery.Close()
			base, posts := downloadAPI(t, status, func() string { return delivery.URL + "/signed?sig=secret1" })
			c := newClient(t, base)
			img, err := c.OpenImage(t.Context(), "1167612765", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer img.Body.Close()
			got, err := io.ReadAll(img.Body)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, imageBytes) {
				t.Error("image bytes differ")
			}
			if img.Filename != "GettyImages-1167612765.jpg" || img.ContentType != "image/jpeg" ||
				img.ContentLength != int64(len(imageBytes)) || img.URL != delivery.URL+"/files/GettyImages-1.jpg" {
				t.Errorf("image = %+v", img)
			}
			if posts.Load() != 1 || deliveryHits.Load() != 2 {
				t.Errorf("%d POSTs, %d delivery requests", posts.Load(), deliveryHits.Load())
			}
		})
	}
}

func TestOpenImageRefusesDowngrade(t *testing.T) {
	var plainHits atomic.Int64
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plainHits.Add(1)
		serveImage(w, "")
	}))
	defer plain.Close()
	tlsDelivery := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/x.jpg", http.StatusFound)
	}))
	defer tlsDelivery.Close()

	tests := []struct {
		name     string
		location string
	}{
		{"API redirects to http", plain.URL + "/x.jpg?sig=s"},
		{"delivery host redirects to http", tlsDelivery.URL + "/x.jpg?sig=s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, tt.location, http.StatusSeeOther)
			}))
			defer api.Close()
			c := newClient(t, api.URL+basePath, WithToken(validToken()), WithHTTPClient(api.Client()))
			_, err := c.OpenImage(t.Context(), "1", nil)
			if !errors.Is(err, ErrInsecureRedirect) {
				t.Fatalf("err = %v, want ErrInsecureRedirect", err)
			}
			if strings.Contains(err.Error(), "sig=") {
				t.Errorf("error %q leaks the signature", err)
			}
			if plainHits.Load() != 0 {
				t.Error("the http URL was requested")
			}
		})
	}
}

func TestOpenImageRedirectLoop(t *testing.T) {
	var hits atomic.Int64
	delivery := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, r.URL.Path, http.StatusFound)
	}))
	defer delivery.Close()
	base, _ := downloadAPI(t, http.StatusSeeOther, func() string { return delivery.URL + "/loop" })
	c := newClient(t, base)
	_, err := c.OpenImage(t.Context(), "1", nil)
	if !errors.Is(err, ErrTooManyRedirects) {
		t.Fatalf("err = %v, want ErrTooManyRedirects", err)
	}
	if hits.Load() > maxRedirects {
		t.Errorf("%d delivery requests, bound is %d", hits.Load(), maxRedirects)
	}
}

func TestDeliveryErrorRedactsSignature(t *testing.T) {
	delivery := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>")
	}))
	defer delivery.Close()
	base, _ := downloadAPI(t, http.StatusSeeOther, func() string { return delivery.URL + "/x.jpg?Signature=topsecret&Expires=1" })
	c := newClient(t, base)
	_, err := c.OpenImage(t.Context(), "1", nil)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 403 || !errors.Is(err, ErrForbidden) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "topsecret") || strings.Contains(apiErr.RequestURL, "topsecret") {
		t.Errorf("signature leaked: %v", err)
	}
	if !strings.Contains(err.Error(), "Request has expired") {
		t.Errorf("error %q lacks the body snippet", err)
	}
}

func TestDownloadURLErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   error
	}{
		{"quota", 403, `{"ErrorCode":"OverageLimitReached","ErrorMessage":"limit"}`, ErrQuotaExhausted},
		{"not found", 404, `{"ErrorCode":"ImageNotFound","ErrorMessage":"nope"}`, ErrNotFound},
		{"user token required", 401, `{"ErrorCode":"UserTokenRequired","ErrorMessage":"Security token must contain a user."}`, ErrUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.HandleFunc("POST /api/v3/downloads/images/{id}", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			_, base := newAPI(t, mux)
			c := newClient(t, base)
			_, err := c.DownloadURL(t.Context(), "1", nil)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}
