package contract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/gettykit/getty/internal/filetype"
)

// mediaType returns the media type of a Content-Type value, lower case and
// without parameters.
func mediaType(ct string) string { return filetype.MediaType(ct) }

// isBinary reports whether a response with content type ct is a file
// delivery whose bytes are checked rather than validated against a schema.
func isBinary(ct string) bool {
	mt := mediaType(ct)
	return strings.HasPrefix(mt, "image/") || filetype.ForMediaType(mt) != nil || mt == "application/octet-stream"
}

// binaryCheck checks a binary body as it goes by: its leading bytes against
// the magic of its content type (package internal/filetype, which the
// client's downloads use too), and its length against Content-Length.
type binaryCheck struct {
	base     Finding
	mt       string
	kind     *filetype.Kind // nil: no signature known for mt
	declared int64          // -1 when unknown
	head     []byte
	n        int64
	headDone bool
}

func newBinaryCheck(req *http.Request, resp *http.Response) *binaryCheck {
	mt := mediaType(resp.Header.Get("Content-Type"))
	kind := filetype.ForMediaType(mt)
	declared := resp.ContentLength
	if resp.Uncompressed || req.Method == http.MethodHead {
		declared = -1
	}
	if req.Method == http.MethodHead || resp.StatusCode == http.StatusNoContent ||
		resp.StatusCode == http.StatusNotModified || resp.StatusCode < 200 {
		kind = nil // an answer without a body: nothing to start with a magic
	}
	return &binaryCheck{
		base:     Finding{Kind: Violation, Method: req.Method, Path: req.URL.Path, Status: resp.StatusCode},
		mt:       mt,
		kind:     kind,
		declared: declared,
	}
}

func (c *binaryCheck) observe(p []byte) {
	c.n += int64(len(p))
	if len(c.head) < filetype.HeadLen {
		c.head = append(c.head, p[:min(len(p), filetype.HeadLen-len(c.head))]...)
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
	if c.headDone || c.kind == nil {
		return nil
	}
	switch c.kind.Check(c.head, eof) {
	case filetype.Undecided:
		return nil // wait for more bytes
	case filetype.Match:
		c.headDone = true
		return nil
	}
	c.headDone = true
	looks := ""
	if d := filetype.Describe(c.head); d != "" {
		looks = " (" + d + ")"
	}
	return []Finding{c.violation("content type %s, but the body starts with [% X]%s, not %s's [%s]",
		c.mt, c.head, looks, c.kind.Name, strings.Join(c.kind.Signatures(), "] or ["))}
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
