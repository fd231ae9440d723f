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
	"github.com/gettykit/getty/internal/filetype"
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
// ".." would otherwise be resolved away from the image path. Like the other
// errors of the methods taking an id, its message does not repeat the id:
// the caller has it, and one that handles several adds it once.
func validateID(id string) error {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, "/\\?#% \t") || hasCtl(id) {
		return errors.New(`getty: invalid image id: empty, "." or "..", or holding one of / \ ? # % white space or control characters; nothing was sent`)
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
		p.ProductID = ptr(int32(o.ProductID))
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
		return nil, wrapf(err, "sending the download request")
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
		raw = body.URI
	case isRedirect(resp.StatusCode) && resp.Header.Get("Location") != "":
		raw = resp.Header.Get("Location")
		drain(resp)
	default:
		return nil, newAPIError(resp)
	}
	// A Location may be relative to the request; the {uri} of a 200 must be
	// absolute, or a missing or empty one would resolve to the API's own URL.
	u, err := resp.Request.URL.Parse(raw)
	if resp.StatusCode == http.StatusOK && err == nil {
		u, err = url.Parse(raw)
	}
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
	// Body streams the file. Its first Read checks that the file starts
	// as its ContentType says it must (a JPEG with FF D8 FF, an EPS with
	// "%!PS" or the DOS EPS header, a PNG, TIFF, GIF or WebP with its
	// signature) and fails with a *ContentMismatchError, before passing on
	// a single byte, when it does not: an HTML error page answered as
	// "200 image/jpeg", an empty body. Reading fails too if the connection
	// ends before ContentLength bytes.
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
// The body is checked as it streams, without being buffered: the first Read
// of Image.Body holds back the first few bytes (at most 16) until they show
// the declared file type, and fails with a *ContentMismatchError if they
// do not (see Image.Body).
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
			return nil, fmt.Errorf("%w: more than %d on the way to the image file", ErrTooManyRedirects, maxRedirects)
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
			return nil, wrapf(err, "fetching the image file")
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
		body := &lengthReader{rc: resp.Body, want: resp.ContentLength}
		return &Image{
			Body: &checkedBody{rc: body, mt: filetype.MediaType(ct), mismatch: ContentMismatchError{
				StatusCode: resp.StatusCode, ContentType: ct, URL: stripQuery(to),
			}},
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
		return n, wrapf(io.ErrUnexpectedEOF, "image body ended after %d of %d bytes", r.n, r.want)
	}
	return n, err
}

func (r *lengthReader) Close() error { return r.rc.Close() }

// ContentMismatchError reports a file delivery whose body is not what its
// Content-Type declares: an HTML or JSON error page answered as
// "200 image/jpeg", an empty body, a JPEG cut off inside its header, a body
// declared as a document (text/html, JSON, XML) rather than a file. The
// signatures are those the contract package checks too.
//
// Image.Body returns it from its first Read, before passing on any byte, so
// SaveImage leaves no file and SaveImageTo writes nothing to its writer.
// The download request had already succeeded: the download was charged.
// The download URL stays valid for 24 hours, so a caller that has it (from
// DownloadURL) can fetch it again instead of paying for a new download.
type ContentMismatchError struct {
	// StatusCode is the delivery's status (200).
	StatusCode int
	// ContentType is the declared Content-Type header.
	ContentType string
	// Got says what the body looks like: "empty", "HTML", "JSON", "XML",
	// "text", another file type such as "PNG" or "PDF", or "" when it is
	// not recognized (Head then tells).
	Got string
	// Head holds the first bytes of the body (at most 16).
	Head []byte
	// Ended reports that the body ended within Head.
	Ended bool
	// URL is the URL the body came from, without its query string (which
	// holds the signature).
	URL string
}

// Error names the status, the declared type and what the body looks like,
// and says that the download was charged.
func (e *ContentMismatchError) Error() string {
	var b strings.Builder
	mt := filetype.MediaType(e.ContentType)
	declared := printable(snippet(mt, 80))
	if mt == "" {
		declared = "no Content-Type"
	}
	fmt.Fprintf(&b, "getty: the delivery answered %d %s, but the body is ", e.StatusCode, declared)
	switch {
	case len(e.Head) == 0:
		b.WriteString("empty")
	case e.Got != "" && e.Ended:
		fmt.Fprintf(&b, "%s (%s)", e.Got, filetype.Hex(e.Head))
	case e.Got != "":
		fmt.Fprintf(&b, "%s (%s ...)", e.Got, filetype.Hex(e.Head))
	case e.Ended:
		fmt.Fprintf(&b, "only %d bytes (%s)", len(e.Head), filetype.Hex(e.Head))
	default:
		fmt.Fprintf(&b, "unrecognized bytes (%s ...)", filetype.Hex(e.Head))
	}
	switch k := filetype.ForMediaType(mt); {
	case k != nil:
		article := "a"
		if strings.ContainsRune("AEIO", rune(k.Name[0])) {
			article = "an"
		}
		fmt.Fprintf(&b, ", not %s %s file", article, k.Name)
	case isDocumentType(mt):
		b.WriteString(": a document, not an image file")
	default:
		b.WriteString(", not an image file")
	}
	b.WriteString("; the download was charged (its request succeeded, so the quota is spent), and its URL stays valid for 24 hours if you have it")
	return b.String()
}

// isDocumentType reports whether mt is a type error pages come as (HTML,
// plain text, JSON, XML) and never an image file. SVG, an image in XML, is
// not one.
func isDocumentType(mt string) bool {
	if strings.HasPrefix(mt, "image/") {
		return false
	}
	return strings.HasPrefix(mt, "text/") || mt == "application/json" || strings.HasSuffix(mt, "+json") ||
		mt == "application/xml" || strings.HasSuffix(mt, "+xml") || mt == "application/xhtml+xml"
}

// isGenericType reports whether mt says nothing about the file type.
func isGenericType(mt string) bool {
	return mt == "" || mt == "application/octet-stream" || mt == "binary/octet-stream"
}

// judgeContent decides whether head, the first bytes of a body of media type
// mt, may be passed on; complete says the body has ended. A type with known
// signatures must start with one; a document type never passes; a generic
// type (application/octet-stream, none) passes unless the bytes look like
// an error page; other types (image/svg+xml) pass unchecked. An empty body
// never passes.
func judgeContent(mt string, head []byte, complete bool) filetype.Result {
	if complete && len(head) == 0 {
		return filetype.Mismatch
	}
	if k := filetype.ForMediaType(mt); k != nil {
		return k.Check(head, complete)
	}
	if len(head) < filetype.HeadLen && !complete {
		return filetype.Undecided
	}
	switch {
	case isDocumentType(mt):
		return filetype.Mismatch
	case isGenericType(mt):
		switch filetype.Describe(head) {
		case "HTML", "JSON", "XML":
			return filetype.Mismatch
		}
	}
	return filetype.Match
}

// checkedBody holds back the first bytes of an image body (at most
// filetype.HeadLen) until judgeContent accepts them, so that no byte of a
// body that is not the declared file reaches the caller. After that it
// passes reads straight through.
type checkedBody struct {
	rc       io.ReadCloser
	mt       string
	mismatch ContentMismatchError // StatusCode, ContentType and URL set

	checked bool
	head    []byte // accepted bytes not yet returned
	err     error  // returned once head is drained
}

func (r *checkedBody) Read(p []byte) (int, error) {
	if !r.checked {
		r.checked = true
		r.check()
	}
	if len(r.head) > 0 {
		n := copy(p, r.head)
		r.head = r.head[n:]
		if len(r.head) == 0 && r.err != nil {
			return n, r.err
		}
		return n, nil
	}
	if r.err != nil {
		return 0, r.err
	}
	return r.rc.Read(p)
}

// check reads the first bytes and judges them.
func (r *checkedBody) check() {
	var buf [filetype.HeadLen]byte
	n := 0
	for {
		m, err := r.rc.Read(buf[n:])
		n += m
		head := buf[:n]
		ended := errors.Is(err, io.EOF)
		switch judgeContent(r.mt, head, ended) {
		case filetype.Match:
			r.head, r.err = head, err
			return
		case filetype.Mismatch:
			r.fail(head, ended)
			return
		}
		if err != nil {
			// The connection failed before the bytes could be judged. Bytes
			// that already contradict the declared type are the better
			// explanation; otherwise the read error is, and the bytes are
			// dropped with it.
			if k := filetype.ForMediaType(r.mt); k != nil && n > 0 && !k.Prefix(head) {
				r.fail(head, false)
				return
			}
			r.err = err
			return
		}
		if n == len(buf) { // cannot happen: HeadLen bytes always decide
			r.head = head
			return
		}
	}
}

func (r *checkedBody) fail(head []byte, ended bool) {
	e := r.mismatch
	e.Head = append([]byte(nil), head...)
	e.Got = filetype.Describe(head)
	e.Ended = ended
	r.err = &e
}

func (r *checkedBody) Close() error { return r.rc.Close() }
