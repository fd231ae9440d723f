package contract_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gettykit/getty/contract"
	"github.com/gettykit/getty/internal/filetype"
	"github.com/gettykit/getty/internal/filetype/filetypetest"
)

// The binary checks flag exactly the bodies the client's downloads refuse
// (the cases are shared with the root package's tests), both when a
// response is judged whole and when it streams through a Transport, and
// their messages say what the body looks like.
func TestBinaryChecksSharedCases(t *testing.T) {
	v := newValidator(t)
	for _, tc := range filetypetest.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			check := func(t *testing.T, violations []contract.Finding) {
				t.Helper()
				if !tc.Bad {
					if len(violations) != 0 {
						t.Errorf("unexpected %v", violations)
					}
					return
				}
				if len(violations) != 1 {
					t.Fatalf("violations = %v, want one", violations)
				}
				msg := violations[0].Message
				kind := filetype.ForMediaType(filetype.MediaType(tc.ContentType))
				want := []string{"starts with [" + filetype.Hex(tc.Body[:min(len(tc.Body), 2)]), "not " + kind.Name}
				if tc.Got != "" {
					want = append(want, "("+tc.Got+")")
				}
				for _, w := range want {
					if !strings.Contains(msg, w) {
						t.Errorf("message %q does not say %q", msg, w)
					}
				}
			}

			t.Run("whole", func(t *testing.T) {
				req := httptest.NewRequest("GET", "https://delivery.gettyimages.com/f?sig=s", nil)
				resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {tc.ContentType}},
					Body: io.NopCloser(bytes.NewReader(tc.Body)), ContentLength: int64(len(tc.Body))}
				violations, _ := split(v.ValidateResponse(req, resp))
				check(t, violations)
			})

			t.Run("streamed", func(t *testing.T) {
				ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", tc.ContentType)
					w.Header().Set("Content-Length", strconv.Itoa(len(tc.Body)))
					// In pieces, so that the check has to wait for its bytes.
					for i := 0; i < len(tc.Body); i += 3 {
						_, _ = w.Write(tc.Body[i:min(i+3, len(tc.Body))])
						w.(http.Flusher).Flush()
					}
				}))
				defer ts.Close()
				tr := contract.NewTransport(ts.Client().Transport, v)
				resp, err := (&http.Client{Transport: tr}).Get(ts.URL + "/f")
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || !bytes.Equal(got, tc.Body) {
					t.Fatalf("the caller got %d bytes (%v), want the body intact", len(got), err)
				}
				check(t, tr.Report().Violations())
			})
		})
	}
}

// Every media type package filetype knows a signature for is checked as a
// binary body: the contract has no list of its own that could fall behind
// the client's.
func TestBinaryChecksEveryKnownType(t *testing.T) {
	v := newValidator(t)
	req := httptest.NewRequest("GET", "https://delivery.gettyimages.com/f?sig=s", nil)
	for _, mt := range filetype.MediaTypes() {
		resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {mt}},
			Body: io.NopCloser(bytes.NewReader(filetypetest.HTML)), ContentLength: int64(len(filetypetest.HTML))}
		violations, _ := split(v.ValidateResponse(req, resp))
		if len(violations) != 1 || !strings.Contains(violations[0].Message, "(HTML)") {
			t.Errorf("%s: HTML body: %v", mt, violations)
		}
	}
}

// Answers without a body (HEAD, 304) have no magic to check.
func TestBinaryChecksSkipBodilessAnswers(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		if r.URL.Path == "/not-modified" {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Length", "5000")
	}))
	defer ts.Close()
	tr := contract.NewTransport(ts.Client().Transport, newValidator(t))
	c := &http.Client{Transport: tr}
	if resp, err := c.Head(ts.URL + "/f"); err == nil {
		resp.Body.Close()
	} else {
		t.Fatal(err)
	}
	if resp, err := c.Get(ts.URL + "/not-modified"); err == nil {
		resp.Body.Close()
	} else {
		t.Fatal(err)
	}
	if v := tr.Report().Violations(); len(v) != 0 {
		t.Errorf("violations = %v", v)
	}
}
