package contract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
)

// magics lists the leading bytes each binary media type must start with.
var magics = map[string][][]byte{
	"image/jpeg":             {{0xFF, 0xD8, 0xFF}},
	"image/jpg":              {{0xFF, 0xD8, 0xFF}},
	"image/pjpeg":            {{0xFF, 0xD8, 0xFF}},
	"image/png":              {{0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}},
	"image/gif":              {[]byte("GIF87a"), []byte("GIF89a")},
	"image/tiff":             {{'I', 'I', '*', 0}, {'M', 'M', 0, '*'}},
	"image/webp":             {[]byte("RIFF")},
	"application/postscript": epsMagic,
	"application/eps":        epsMagic,
	"application/x-eps":      epsMagic,
	"image/eps":              epsMagic,
	"image/x-eps":            epsMagic,
}

// epsMagic: a PostScript header, or the DOS EPS binary header that wraps a
// preview image.
var epsMagic = [][]byte{[]byte("%!PS"), {0xC5, 0xD0, 0xD3, 0xC6}}

const headLen = 8 // the longest magic

func mediaType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt, _, _ = strings.Cut(ct, ";")
	}
	return strings.ToLower(strings.TrimSpace(mt))
}

// isBinary reports whether a response with content type ct is a file
// delivery whose bytes are checked rather than validated against a schema.
func isBinary(ct string) bool {
	mt := mediaType(ct)
	return strings.HasPrefix(mt, "image/") || magics[mt] != nil || mt == "application/octet-stream"
}

// binaryCheck checks a binary body as it goes by: its leading bytes against
// the magic of its content type, and its length against Content-Length.
type binaryCheck struct {
	base     Finding
	mt       string
	want     [][]byte
	declared int64 // -1 when unknown
	head     []byte
	n        int64
	headDone bool
}

func newBinaryCheck(req *http.Request, resp *http.Response) *binaryCheck {
	mt := mediaType(resp.Header.Get("Content-Type"))
	declared := resp.ContentLength
	if resp.Uncompressed || req.Method == http.MethodHead {
		declared = -1
	}
	return &binaryCheck{
		base:     Finding{Kind: Violation, Method: req.Method, Path: req.URL.Path, Status: resp.StatusCode},
		mt:       mt,
		want:     magics[mt],
		declared: declared,
	}
}

func (c *binaryCheck) observe(p []byte) {
	c.n += int64(len(p))
	if len(c.head) < headLen {
		c.head = append(c.head, p[:min(len(p), headLen-len(c.head))]...)
	}
}

func (c *binaryCheck) violation(format string, args ...any) Finding {
	f := c.base
	f.Message = fmt.Sprintf(format, args...)
	return f
}

// checkHead checks the magic once enough bytes have been seen (or at the
// end of the body, eof).
func (c *binaryCheck) checkHead(eof bool) []Finding {
	if c.headDone || len(c.want) == 0 {
		return nil
	}
	longest := 0
	for _, m := range c.want {
		if bytes.HasPrefix(c.head, m) {
			c.headDone = true
			return nil
		}
		longest = max(longest, len(m))
	}
	if len(c.head) < longest && !eof {
		return nil // wait for more bytes
	}
	c.headDone = true
	wants := make([]string, len(c.want))
	for i, m := range c.want {
		wants[i] = fmt.Sprintf("% X", m)
	}
	return []Finding{c.violation("content type %s, but the body starts with [% X], not [%s]", c.mt, c.head, strings.Join(wants, "] or ["))}
}

// finishHead checks only the magic, for bodies too big to be seen whole.
func (c *binaryCheck) finishHead() []Finding { return c.checkHead(true) }

// finish checks the whole body once it has ended with err (nil at a clean
// end of file).
func (c *binaryCheck) finish(err error) []Finding {
	out := c.checkHead(true)
	switch {
	case err != nil && c.declared >= 0:
		out = append(out, c.violation("body ended after %d of the %d bytes of Content-Length: %v", c.n, c.declared, err))
	case err != nil:
		out = append(out, c.violation("body ended after %d bytes: %v", c.n, err))
	case c.declared >= 0 && c.n != c.declared:
		out = append(out, c.violation("body has %d bytes, Content-Length says %d", c.n, c.declared))
	}
	return out
}

// checkedBody wraps a streamed binary body: nothing is buffered beyond the
// first few bytes, and findings go to the report when the body ends. A
// caller that closes the body early has not seen a short body, so nothing
// about the length is reported then.
type checkedBody struct {
	rc     io.ReadCloser
	report *Report
	mu     sync.Mutex
	c      *binaryCheck
	done   bool
}

func (b *checkedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return n, err
	}
	b.c.observe(p[:n])
	b.report.Add(b.c.checkHead(false)...)
	if err != nil {
		b.done = true
		switch {
		case err == io.EOF:
			b.report.Add(b.c.finish(nil)...)
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			// The caller gave up; the server did nothing wrong.
		default:
			b.report.Add(b.c.finish(err)...)
		}
	}
	return n, err
}

func (b *checkedBody) Close() error {
	b.mu.Lock()
	b.done = true
	b.mu.Unlock()
	return b.rc.Close()
}
