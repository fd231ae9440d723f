package bench

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/contract"
	"github.com/gettykit/getty/gen"
	"github.com/gettykit/getty/gettytest"
)

// memTransport answers every request with a JSON page held in memory, so
// that the validation benchmark measures validation, not the network.
type memTransport []byte

func (m memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json; charset=utf-8"}, "Content-Length": {strconv.Itoa(len(m))}},
		Body:          io.NopCloser(bytes.NewReader(m)),
		ContentLength: int64(len(m)),
		Request:       req,
	}, nil
}

func listRequest(tb testing.TB) *http.Request {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://getty.test/v3/downloads?page_size=100", nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Api-Key", "bench-key")
	req.Header.Set("Authorization", "Bearer bench-token")
	return req
}

func roundTrip(rt http.RoundTripper, req *http.Request) error {
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return err
}

func newValidator(tb testing.TB) *contract.Validator {
	tb.Helper()
	v, err := contract.NewValidator(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// The validation benchmark measures the path of a valid page: no findings,
// and the caller still gets the whole body.
func TestValidationPageIsClean(t *testing.T) {
	page := pageJSON(t)
	tr := contract.NewTransport(memTransport(page), newValidator(t))
	resp, err := tr.RoundTrip(listRequest(t))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !bytes.Equal(body, page) {
		t.Fatalf("the body did not come through intact: %v", err)
	}
	if fs := tr.Report().Findings(); len(fs) != 0 {
		t.Fatalf("findings on a valid page:\n%s", tr.Report())
	}
}

// BenchmarkValidation: the contract transport on a page of 100 downloads
// (transport) against the same round trip without it (raw) and decoding
// the page (decode). The cost validation adds is transport - raw.
func BenchmarkValidation(b *testing.B) {
	page := pageJSON(b)
	req := listRequest(b)
	b.Run("transport", func(b *testing.B) {
		tr := contract.NewTransport(memTransport(page), newValidator(b))
		b.ReportAllocs()
		for b.Loop() {
			if err := roundTrip(tr, req); err != nil {
				b.Fatal(err)
			}
		}
		if n := len(tr.Report().Findings()); n != 0 {
			b.Fatalf("%d findings", n)
		}
	})
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := roundTrip(memTransport(page), req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		b.ReportAllocs()
		for b.Loop() {
			var pg gen.GetDownloadsResponse
			if err := json.NewDecoder(bytes.NewReader(page)).Decode(&pg); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// deliveryURL is the download URL of the fake's image.
func deliveryURL(fake *gettytest.Server) string {
	return fake.URL + fake.DownloadURI(gettytest.ImageID, getty.FileTypeJPG)
}

// fetch streams url through rt into w through a buffer of the client's size
// (CopyBufferSize), as the client saves images, and returns the number of
// bytes.
func fetch(tb testing.TB, rt http.RoundTripper, url string, w io.Writer) int64 {
	tb.Helper()
	req, err := http.NewRequestWithContext(tb.Context(), http.MethodGet, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("%s", resp.Status)
	}
	n, err := io.CopyBuffer(struct{ io.Writer }{w}, struct{ io.Reader }{resp.Body}, make([]byte, CopyBufferSize))
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// Through the transport an image comes out byte for byte, and its checks
// (magic bytes, length) pass.
func TestPassThroughIntact(t *testing.T) {
	fake := gettytest.NewServer(gettytest.WithImageSize(4 << 20))
	defer fake.Close()
	tr := contract.NewTransport(newTransport(), newValidator(t))
	raw, through := sha256.New(), sha256.New()
	n1 := fetch(t, newTransport(), deliveryURL(fake), raw)
	n2 := fetch(t, tr, deliveryURL(fake), through)
	if n1 != 4<<20 || n2 != n1 || !bytes.Equal(raw.Sum(nil), through.Sum(nil)) {
		t.Fatalf("raw %d bytes, through the transport %d, or different bytes", n1, n2)
	}
	if fs := tr.Report().Findings(); len(fs) != 0 {
		t.Fatalf("findings on a valid image:\n%s", tr.Report())
	}
}

// BenchmarkPassThrough streams a large image from the fake server over
// loopback through the contract transport and without it.
func BenchmarkPassThrough(b *testing.B) {
	size := imageSize()
	fake := gettytest.NewServer(gettytest.WithImageSize(size))
	b.Cleanup(fake.Close)
	url := deliveryURL(fake)
	for _, side := range []string{"transport", "raw"} {
		b.Run(side, func(b *testing.B) {
			var rt http.RoundTripper = newTransport()
			var tr *contract.Transport
			if side == "transport" {
				tr = contract.NewTransport(rt, newValidator(b))
				rt = tr
			}
			b.SetBytes(size)
			for b.Loop() {
				if n := fetch(b, rt, url, io.Discard); n != size {
					b.Fatalf("%d bytes", n)
				}
			}
			if tr != nil && len(tr.Report().Findings()) != 0 {
				b.Fatalf("findings:\n%s", tr.Report())
			}
		})
	}
}
