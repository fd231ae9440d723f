package spec_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/gettykit/getty/contract"
	"github.com/gettykit/getty/gen"
	"github.com/gettykit/getty/spec"
)

func TestLoad(t *testing.T) {
	doc, err := spec.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if doc.Paths.Find("/v3/downloads") == nil || doc.Paths.Find("/v3/downloads/images/{id}") == nil {
		t.Fatal("embedded document lacks the download paths")
	}
	doc.Info.Title = "changed"
	again, err := spec.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if again.Info.Title == "changed" {
		t.Fatal("Load returned a shared document")
	}
	if !bytes.HasPrefix(spec.YAML(), []byte("# Code generated")) {
		t.Fatal("YAML does not return the generated document")
	}
}

func ptr[T any](v T) *T { return &v }

// newRequestValidator returns a function that routes a request in the
// embedded spec and validates it with openapi3filter.
func newRequestValidator(t *testing.T) func(*http.Request) error {
	t.Helper()
	ctx := context.Background()
	doc, err := spec.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return func(req *http.Request) error {
		route, params, err := router.FindRoute(req)
		if err != nil {
			return fmt.Errorf("routing: %w", err)
		}
		return openapi3filter.ValidateRequest(ctx, &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: contract.Authenticate},
		})
	}
}

// TestGeneratedRequestsValidate runs the whole pipeline end to end: requests
// built by the generated client, with every parameter set and with none,
// validate against the spec they were generated from.
func TestGeneratedRequestsValidate(t *testing.T) {
	validate := newRequestValidator(t)
	const server = "https://api.gettyimages.com"
	product := gen.ProductType("premiumaccess")
	jpg := gen.FileType("jpg")
	tests := []struct {
		name  string
		build func() (*http.Request, error)
	}{
		{"list, every parameter", func() (*http.Request, error) {
			return gen.NewListDownloadsRequest(server, &gen.ListDownloadsParams{
				CompanyDownloads: ptr(true), Page: ptr(int32(2)), PageSize: ptr(int32(100)),
				ProductType: &product, DateFrom: ptr("2026-01-01"), DateTo: ptr("2026-01-31T23:59:59Z"),
				StartDate: ptr("2026-01-01"), EndDate: ptr("2026-01-31"), UseTime: ptr(true),
				AcceptLanguage: ptr("en-US"),
			})
		}},
		{"list, no parameters", func() (*http.Request, error) {
			return gen.NewListDownloadsRequest(server, &gen.ListDownloadsParams{})
		}},
		{"list, nil parameters", func() (*http.Request, error) {
			return gen.NewListDownloadsRequest(server, nil)
		}},
		{"download, every parameter and a body", func() (*http.Request, error) {
			return gen.NewDownloadImageRequest(server, "1167612765", &gen.DownloadImageParams{
				AutoDownload: ptr(false), FileType: &jpg, Height: ptr("1024"), ProductID: ptr(int32(7)),
				ProductType: &product, UseTeamCredits: ptr(false), AcceptLanguage: ptr("de"),
			}, gen.PremiumAccessDownloadData{DownloadNotes: ptr("cover"), ProjectCode: ptr("P-1")})
		}},
		{"download, no parameters and no body", func() (*http.Request, error) {
			return gen.NewDownloadImageRequestWithBody(server, "1167612765", &gen.DownloadImageParams{}, "", nil)
		}},
		{"download, nil parameters and an empty body", func() (*http.Request, error) {
			return gen.NewDownloadImageRequest(server, "1167612765", nil, gen.PremiumAccessDownloadData{})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := tc.build()
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Api-Key", "key")
			req.Header.Set("Authorization", "Bearer token")
			if err := validate(req); err != nil {
				t.Fatalf("%s %s does not validate: %v", req.Method, req.URL, err)
			}
		})
	}
}

// TestSpecRejects makes sure the validation above can fail: requests the API
// refuses do not validate.
func TestSpecRejects(t *testing.T) {
	validate := newRequestValidator(t)
	for target, param := range map[string]string{
		"/v3/downloads?page_size=101":        "page_size",
		"/v3/downloads?page=0":               "page",
		"/v3/downloads?product_type=unknown": "product_type",
		"/v3/downloads?date_from=31-01-2026": "date_from",
		"/v3/downloads?use_time=maybe":       "use_time",
	} {
		req, _ := http.NewRequest(http.MethodGet, "https://api.gettyimages.com"+target, nil)
		req.Header.Set("Api-Key", "key")
		req.Header.Set("Authorization", "Bearer token")
		if err := validate(req); err == nil || !strings.Contains(err.Error(), param) {
			t.Errorf("%s: error %v, want one about %s", target, err, param)
		}
	}
}
