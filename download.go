package getty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"

	"github.com/gettykit/getty/gen"
)

// FileType is the file type of a download (an alias of gen.FileType).
type FileType = gen.FileType

// File types.
const (
	FileTypeJPG FileType = gen.Jpg
	FileTypeEPS FileType = gen.Eps
)

// maxRedirects bounds the redirects followed for one image, the API's own
// 303 included.
const maxRedirects = 10

// DownloadOptions are the parameters of a download request. The zero value
// downloads the largest size with the account's default product.
type DownloadOptions struct {
	// FileType asks for a file type (jpg or eps).
	FileType FileType
	// Height is one of the pixel heights listed for the image; empty means
	// the largest.
	Height string
	// ProductID selects the instance of the product offering; zero means
	// none.
	ProductID int
	// ProductType selects the product offering to charge.
	ProductType ProductType
	// UseTeamCredits uses team credits (iStock only).
	UseTeamCredits bool
	// ProjectCode is recorded with the download, as some accounts
	// require. When it and Notes are empty the request has no body.
	ProjectCode string
	// Notes are recorded with the download (download_notes).
	Notes string
	// AcceptLanguage is sent as the Accept-Language header.
	AcceptLanguage string
}

// validateID rejects ids that would not name a single image: an id such as
// ".." would otherwise be resolved away from the image path.
func validateID(id string) error {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, "/\\?#% \t") || hasCtl(id) {
		return fmt.Errorf("getty: invalid image id %q", id)
	}
	return nil
}

// postDownload sends POST /v3/downloads/images/{id}. auto_download is
// always sent: the spec's default (true) and Getty's docs disagree.
func (c *Client) postDownload(ctx context.Context, id string, opts *DownloadOptions, auto bool) (*http.Response, error) {
	if err := validateID(id); err != nil {
		return nil, err
	}
	var o DownloadOptions
	if opts != nil {
		o = *opts
	}
	p := &gen.DownloadImageParams{AutoDownload: ptr(auto)}
	if o.FileType != "" {
		p.FileType = ptr(o.FileType)
	}
	if o.Height != "" {
		p.Height = ptr(o.Height)
	}
	if o.ProductID != 0 {
		if o.ProductID < 0 || o.ProductID > math.MaxInt32 {
			return nil, fmt.Errorf("getty: DownloadOptions.ProductID %d is out of range", o.ProductID)
		}
		p.ProductId = ptr(int32(o.ProductID))
	}
	if o.ProductType != "" {
		p.ProductType = ptr(o.ProductType)
	}
	if o.UseTeamCredits {
		p.UseTeamCredits = ptr(true)
	}
	if o.AcceptLanguage != "" {
		p.AcceptLanguage = ptr(o.AcceptLanguage)
	}
	var body io.Reader
	contentType := ""
	if o.Notes != "" || o.ProjectCode != "" {
		var data gen.PremiumAccessDownloadData
		if o.Notes != "" {
			data.DownloadNotes = ptr(o.Notes)
		}
		if o.ProjectCode != "" {
			data.ProjectCode = ptr(o.ProjectCode)
		}
		b, err := json.Marshal(data)
		if err != nil {
			return nil, fmt.Errorf("getty: %w", err)
		}
		// A *bytes.Reader lets the request be re-sent after a 401.
		body, contentType = bytes.NewReader(b), "application/json"
	}
	noEmptyContentType := func(_ context.Context, req *http.Request) error {
		if body == nil {
			req.Header.Del("Content-Type")
		}
		return nil
	}
	resp, err := c.api.DownloadImageWithBody(ctx, id, p, contentType, body, noEmptyContentType)
	if err != nil {
		return nil, fmt.Errorf("getty: requesting the download of %s: %w", id, err)
	}
	return resp, nil
}

// DownloadURL asks for a download URL for image id (POST
// /v3/downloads/images/{id} with auto_download=false) and returns it. The
// URL is valid for 24 hours and needs no credentials. Each call spends one
// download of the product's quota; it is never retried once it may have
// reached the server, with one exception: a 401 answer (an expired or
// revoked token) is retried once with a renewed token, because a 401 is
// given before the download is processed, so no quota was spent on it.
func (c *Client) DownloadURL(ctx context.Context, id string, opts *DownloadOptions) (string, error) {
	resp, err := c.postDownload(ctx, id, opts, false)
	if err != nil {
		return "", err
	}
	u, err := downloadLocation(resp)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// downloadLocation reads where the image is from the POST's answer: the
// documented 200 {"uri"} or a 302/303 Location, whichever the server sent.
func downloadLocation(resp *http.Response) (*url.URL, error) {
	var raw string
	switch {
	case resp.StatusCode == http.StatusOK:
		defer resp.Body.Close()
		var body gen.DownloadURI
		if err := json.NewDecoder(io.LimitReader(resp.Body, maxErrorBody)).Decode(&body); err != nil {
			return nil, fmt.Errorf("getty: decoding the download URI: %w", err)
		}
		raw = body.Uri
	case isRedirect(resp.StatusCode) && resp.Header.Get("Location") != "":
		raw = resp.Header.Get("Location")
		drain(resp)
	default:
		return nil, newAPIError(resp)
	}
	u, err := resp.Request.URL.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("getty: the server returned an unusable download URI %q", snippet(raw, 80))
	}
	return u, nil
}

func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// Image is an image being downloaded. Close Body when done.
type Image struct {
	// Body streams the file. Reading it fails if the connection ends
	// before ContentLength bytes.
	Body io.ReadCloser
	// Filename is the name from the Content-Disposition header, sanitized
	// (no directories, no leading dots, no control characters), or
	// "<id>.<extension of the content type>" when there is none.
	Filename string
	// ContentType is the Content-Type header, such as "image/jpeg".
	ContentType string
	// ContentLength is the size in bytes, -1 if unknown.
	ContentLength int64
	// URL is the URL the file came from, without its query string (which
	// holds the signature).
	URL string
}

// OpenImage downloads image id (POST /v3/downloads/images/{id} with
// auto_download=true) and returns the file as a stream. It spends one
// download of the product's quota, and is never retried once it may have
// reached the server.
//
// The redirects to the file are followed by this package, not by net/http:
// the Api-Key and Authorization headers go to the API host only, a redirect
// from https to http is refused (ErrInsecureRedirect) and at most 10 are
// followed (ErrTooManyRedirects). The GET requests to the delivery host are
// retried like any GET.
func (c *Client) OpenImage(ctx context.Context, id string, opts *DownloadOptions) (*Image, error) {
	resp, err := c.postDownload(ctx, id, opts, true)
	if err != nil {
		return nil, err
	}
	from := resp.Request.URL
	to, err := downloadLocation(resp)
	if err != nil {
		return nil, err
	}
	for hops := 1; ; hops++ {
		if hops > maxRedirects {
			return nil, fmt.Errorf("%w: more than %d while downloading %s", ErrTooManyRedirects, maxRedirects, id)
		}
		if from.Scheme == "https" && to.Scheme != "https" {
			return nil, fmt.Errorf("%w: %s", ErrInsecureRedirect, stripQuery(to))
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, to.String(), nil)
		if err != nil {
			return nil, fmt.Errorf("getty: %w", err)
		}
		// The length must be the file's: no transparent decompression.
		req.Header.Set("Accept-Encoding", "identity")
		resp, err := c.do(req)
		if err != nil {
			return nil, fmt.Errorf("getty: downloading %s: %w", id, err)
		}
		if isRedirect(resp.StatusCode) {
			loc := resp.Header.Get("Location")
			next, perr := to.Parse(loc)
			if loc == "" || perr != nil {
				return nil, newAPIError(resp)
			}
			drain(resp)
			from, to = to, next
			continue
		}
		if resp.StatusCode != http.StatusOK {
			return nil, newAPIError(resp)
		}
		ct := resp.Header.Get("Content-Type")
		return &Image{
			Body:          &lengthReader{rc: resp.Body, want: resp.ContentLength},
			Filename:      filenameFor(resp.Header.Get("Content-Disposition"), id, ct),
			ContentType:   ct,
			ContentLength: resp.ContentLength,
			URL:           stripQuery(to),
		}, nil
	}
}

// lengthReader turns an early end of the body into io.ErrUnexpectedEOF, so
// that a truncated file is never taken for a complete one.
type lengthReader struct {
	rc   io.ReadCloser
	want int64 // -1: unknown
	n    int64
}

func (r *lengthReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	r.n += int64(n)
	if errors.Is(err, io.EOF) && r.want >= 0 && r.n != r.want {
		return n, fmt.Errorf("getty: image body ended after %d of %d bytes: %w", r.n, r.want, io.ErrUnexpectedEOF)
	}
	return n, err
}

func (r *lengthReader) Close() error { return r.rc.Close() }
