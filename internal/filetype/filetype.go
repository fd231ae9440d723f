// Package filetype recognizes the files the Getty API delivers by their
// leading bytes (magic numbers) and says what other bytes look like (an HTML
// error page, JSON, empty). The client's downloads and the contract
// package's binary checks both use it, so they agree on what a JPEG or an
// EPS file is.
//
// Only the first [HeadLen] bytes are ever needed: a body is judged as it
// streams, never buffered.
package filetype

import (
	"bytes"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// HeadLen is the number of leading bytes that is always enough for
// [Kind.Check] to decide and for [Describe] to name what it sees.
const HeadLen = 16

// Kind is a file type with known signatures.
type Kind struct {
	// Name is the type's short name, such as "JPEG" or "EPS".
	Name string
	sigs []signature
}

// signature is a pattern the file starts with; a zero mask byte matches any
// byte (the size field of a RIFF header).
type signature struct {
	pattern []byte
	mask    []byte // nil: every byte must match
}

func exact(b ...byte) signature { return signature{pattern: b} }
func exactS(s string) signature { return signature{pattern: []byte(s)} }
func at4(s string) signature    { return masked(strings.Repeat("\x00", 4)+s, 4) }
func masked(s string, skip int) signature {
	mask := bytes.Repeat([]byte{0xFF}, len(s))
	for i := range skip {
		mask[i] = 0
	}
	return signature{pattern: []byte(s), mask: mask}
}

var (
	jpeg = &Kind{Name: "JPEG", sigs: []signature{exact(0xFF, 0xD8, 0xFF)}}
	png  = &Kind{Name: "PNG", sigs: []signature{exact(0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)}}
	gif  = &Kind{Name: "GIF", sigs: []signature{exactS("GIF87a"), exactS("GIF89a")}}
	tiff = &Kind{Name: "TIFF", sigs: []signature{exact('I', 'I', '*', 0), exact('M', 'M', 0, '*')}}
	webp = &Kind{Name: "WebP", sigs: []signature{
		{pattern: []byte("RIFF\x00\x00\x00\x00WEBP"), mask: []byte{0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF}},
	}}
	bmp = &Kind{Name: "BMP", sigs: []signature{exactS("BM")}}
	// An EPS file is PostScript text ("%!PS-Adobe-3.0 EPSF-3.0"), or the
	// DOS EPS binary header that wraps it with a TIFF or WMF preview.
	eps = &Kind{Name: "EPS", sigs: []signature{exactS("%!PS"), exact(0xC5, 0xD0, 0xD3, 0xC6)}}
	// ISO base media files (MP4, HEIF, AVIF) start with a box whose type,
	// after a 4-byte size, is "ftyp".
	isoBMFF = &Kind{Name: "ISO media (ftyp)", sigs: []signature{at4("ftyp")}}
)

// kinds maps each media type with known signatures to its kind.
var kinds = map[string]*Kind{
	"image/jpeg":             jpeg,
	"image/jpg":              jpeg,
	"image/pjpeg":            jpeg,
	"image/png":              png,
	"image/gif":              gif,
	"image/tiff":             tiff,
	"image/webp":             webp,
	"image/bmp":              bmp,
	"image/x-ms-bmp":         bmp,
	"application/postscript": eps,
	"application/eps":        eps,
	"application/x-eps":      eps,
	"image/eps":              eps,
	"image/x-eps":            eps,
	"image/heic":             isoBMFF,
	"image/heif":             isoBMFF,
	"image/avif":             isoBMFF,
	"video/mp4":              isoBMFF,
}

// described lists the kinds Describe recognizes, most specific first.
var described = []*Kind{jpeg, png, gif, tiff, webp, eps}

// MediaType returns the media type of a Content-Type header value, lower
// case and without parameters; "" when there is none.
func MediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt, _, _ = strings.Cut(contentType, ";")
	}
	return strings.ToLower(strings.TrimSpace(mt))
}

// MediaTypes returns the media types with known signatures, sorted.
func MediaTypes() []string {
	return slices.Sorted(maps.Keys(kinds))
}

// ForMediaType returns the kind a body of media type mt (as [MediaType]
// returns it) must be, or nil when no signature is known for it.
func ForMediaType(mt string) *Kind { return kinds[mt] }

// Result is the verdict of [Kind.Check].
type Result int

// Verdicts.
const (
	// Undecided: more bytes are needed.
	Undecided Result = iota
	// Match: the bytes start with one of the kind's signatures.
	Match
	// Mismatch: they do not.
	Mismatch
)

func (r Result) String() string {
	switch r {
	case Match:
		return "match"
	case Mismatch:
		return "mismatch"
	}
	return "undecided"
}

// Check judges head, the first bytes of a body declared to be of kind k.
// complete says that head is the whole body (the body has ended). A match is
// reported as soon as a signature is seen; a mismatch only once HeadLen bytes
// are there (or the body has ended), so that [Describe] has enough to say
// what the body is instead. Check never needs more than HeadLen bytes.
func (k *Kind) Check(head []byte, complete bool) Result {
	possible := false
	for _, s := range k.sigs {
		switch s.match(head) {
		case Match:
			return Match
		case Undecided:
			possible = true
		}
	}
	if (possible || len(head) < HeadLen) && !complete {
		return Undecided
	}
	return Mismatch
}

// Prefix reports whether head agrees with one of the kind's signatures as
// far as it goes: it may be the start of such a file. A head that does not
// is a mismatch however many bytes follow.
func (k *Kind) Prefix(head []byte) bool {
	for _, s := range k.sigs {
		if s.match(head) != Mismatch {
			return true
		}
	}
	return false
}

// match reports Match when head starts with s, Undecided when head is
// shorter than s but agrees with it so far, else Mismatch.
func (s signature) match(head []byte) Result {
	for i := range s.pattern {
		if i >= len(head) {
			return Undecided
		}
		m := byte(0xFF)
		if s.mask != nil {
			m = s.mask[i]
		}
		if head[i]&m != s.pattern[i]&m {
			return Mismatch
		}
	}
	return Match
}

// Signatures renders the kind's signatures in hex, "??" for any byte, for
// messages: ["FF D8 FF"].
func (k *Kind) Signatures() []string {
	out := make([]string, len(k.sigs))
	for i, s := range k.sigs {
		parts := make([]string, len(s.pattern))
		for j, b := range s.pattern {
			if s.mask != nil && s.mask[j] == 0 {
				parts[j] = "??"
			} else {
				parts[j] = fmt.Sprintf("%02X", b)
			}
		}
		out[i] = strings.Join(parts, " ")
	}
	return out
}

// Describe says what head, the first bytes of a body, look like: "empty",
// a file type ("JPEG", "PNG", "GIF", "TIFF", "WebP", "EPS", "PDF"), or a
// document an error page comes as ("HTML", "XML", "JSON", "text"); "" when
// it cannot tell. HeadLen bytes are enough.
func Describe(head []byte) string {
	if len(head) == 0 {
		return "empty"
	}
	for _, k := range described {
		for _, s := range k.sigs {
			if s.match(head) == Match {
				return k.Name
			}
		}
	}
	unmarked := bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF")) // a UTF-8 byte order mark
	text := bytes.TrimLeft(unmarked, " \t\r\n")
	if len(text) > 0 && (text[0] == '{' || text[0] == '[') && isText(text) {
		return "JSON"
	}
	if len(text) == 0 {
		return "text" // white space only
	}
	mt, _, _ := strings.Cut(http.DetectContentType(unmarked), ";")
	switch mt {
	case "text/html":
		return "HTML"
	case "text/xml":
		return "XML"
	case "application/pdf":
		return "PDF"
	case "text/plain":
		if isText(unmarked) {
			return "text"
		}
	}
	return ""
}

// isText reports whether b is UTF-8 without control characters other than
// white space. A multi-byte character cut off at the end is fine: b is only
// the start of a body.
func isText(b []byte) bool {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			return len(b) < utf8.UTFMax && !utf8.FullRune(b)
		}
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7F {
			return false
		}
		b = b[size:]
	}
	return true
}

// Hex renders b as upper-case hex bytes separated by spaces ("3C 68 74").
func Hex(b []byte) string { return fmt.Sprintf("% X", b) }
