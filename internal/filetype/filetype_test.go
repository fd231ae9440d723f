package filetype

import (
	"slices"
	"testing"

	"github.com/gettykit/getty/internal/filetype/filetypetest"
)

func TestMediaType(t *testing.T) {
	for in, want := range map[string]string{
		"image/jpeg":                     "image/jpeg",
		"Image/JPEG; charset=binary":     "image/jpeg",
		" application/postscript ":       "application/postscript",
		"image/jpeg;;bad":                "image/jpeg",
		"":                               "",
		"text/html; charset=utf-8":       "text/html",
		"application/octet-stream; x=\"": "application/octet-stream",
	} {
		if got := MediaType(in); got != want {
			t.Errorf("MediaType(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheck(t *testing.T) {
	html := []byte("<!DOCTYPE html><html><body>Access denied</body></html>")
	jpegHead := []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F', 0}
	tests := []struct {
		name     string
		mt       string
		head     []byte
		complete bool
		want     Result
	}{
		{"jpeg", "image/jpeg", jpegHead, false, Match},
		{"jpeg alias", "image/jpg", jpegHead, true, Match},
		{"jpeg magic alone is enough", "image/jpeg", jpegHead[:3], false, Match},
		{"html as jpeg", "image/jpeg", html, false, Mismatch},
		{"html as jpeg, short body", "image/jpeg", []byte("<html>"), true, Mismatch},
		{"html as jpeg, first bytes only: wait to describe", "image/jpeg", []byte("<ht"), false, Undecided},
		{"truncated jpeg header, more to come", "image/jpeg", jpegHead[:2], false, Undecided},
		{"truncated jpeg header, body ended", "image/jpeg", jpegHead[:2], true, Mismatch},
		{"empty jpeg", "image/jpeg", nil, true, Mismatch},
		{"nothing yet", "image/jpeg", nil, false, Undecided},
		{"png", "image/png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), false, Match},
		{"png sent as jpeg", "image/jpeg", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), false, Mismatch},
		{"gif87a", "image/gif", []byte("GIF87a"), true, Match},
		{"gif89a", "image/gif", []byte("GIF89a\x01\x00"), true, Match},
		{"tiff little-endian", "image/tiff", []byte("II*\x00\x08\x00\x00\x00"), true, Match},
		{"tiff big-endian", "image/tiff", []byte("MM\x00*\x00\x00\x00\x08"), true, Match},
		{"tiff with a wrong byte order mark", "image/tiff", []byte("IM*\x00\x08\x00\x00\x00"), true, Mismatch},
		{"webp", "image/webp", []byte("RIFF\x24\x10\x00\x00WEBPVP8 "), false, Match},
		{"a RIFF that is not webp (wav)", "image/webp", []byte("RIFF\x24\x10\x00\x00WAVEfmt "), false, Mismatch},
		{"eps postscript", "application/postscript", []byte("%!PS-Adobe-3.0 EPSF-3.0\n"), false, Match},
		{"eps dos binary header", "image/x-eps", []byte{0xC5, 0xD0, 0xD3, 0xC6, 0x1E, 0, 0, 0}, true, Match},
		{"eps dos header, cut", "application/eps", []byte{0xC5, 0xD0}, true, Mismatch},
		{"jpeg sent as eps", "application/postscript", jpegHead, true, Mismatch},
		{"jpeg sent as eps, more to come: wait to describe", "application/postscript", jpegHead, false, Undecided},
		{"mp4", "video/mp4", []byte("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00"), false, Match},
		{"bmp", "image/bmp", []byte("BM6\x00\x0c\x00"), true, Match},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := ForMediaType(tt.mt)
			if k == nil {
				t.Fatalf("no kind for %s", tt.mt)
			}
			if got := k.Check(tt.head, tt.complete); got != tt.want {
				t.Errorf("Check(% X, complete=%v) = %v, want %v", tt.head, tt.complete, got, tt.want)
			}
		})
	}
	if k := ForMediaType("image/svg+xml"); k != nil {
		t.Errorf("image/svg+xml has signatures %v", k.Signatures())
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		head string
		want string
	}{
		{"", "empty"},
		{"<!DOCTYPE html><html>", "HTML"},
		{"\n  <html lang=en>", "HTML"},
		{"\xEF\xBB\xBF<!doctype html>", "HTML"},
		{"<HEAD><TITLE>502", "HTML"},
		{`{"message":"Forbidden"}`, "JSON"},
		{` [{"id":1}]`, "JSON"},
		{`<?xml version="1.0"?><Error>`, "XML"},
		{"Access Denied", "text"},
		{"   \n", "text"},
		{"\xFF\xD8\xFF\xE0", "JPEG"},
		{"\x89PNG\r\n\x1a\n", "PNG"},
		{"GIF89a", "GIF"},
		{"II*\x00", "TIFF"},
		{"RIFF\x00\x00\x00\x00WEBP", "WebP"},
		{"%!PS-Adobe-3.0 EPSF-3.0", "EPS"},
		{"\xC5\xD0\xD3\xC6", "EPS"},
		{"%PDF-1.7\n", "PDF"},
		{"\xFF\xD8", ""},
		{"caf\xC3", "text"},
		{"\xC3caf", ""},
		{"\x00\x01\x02\x03", ""},
	}
	for _, tt := range tests {
		if got := Describe([]byte(tt.head)); got != tt.want {
			t.Errorf("Describe(%q) = %q, want %q", tt.head, got, tt.want)
		}
	}
}

func TestSignatures(t *testing.T) {
	if got := ForMediaType("image/webp").Signatures(); !slices.Equal(got, []string{"52 49 46 46 ?? ?? ?? ?? 57 45 42 50"}) {
		t.Errorf("webp: %q", got)
	}
	if got := ForMediaType("application/postscript").Signatures(); !slices.Equal(got, []string{"25 21 50 53", "C5 D0 D3 C6"}) {
		t.Errorf("eps: %q", got)
	}
}

// No signature is longer than HeadLen, so Check always decides with HeadLen
// bytes.
func TestHeadLenIsEnough(t *testing.T) {
	for mt, k := range kinds {
		for _, s := range k.sigs {
			if len(s.pattern) > HeadLen {
				t.Errorf("%s: a signature of %d bytes", mt, len(s.pattern))
			}
		}
		if got := k.Check(make([]byte, HeadLen), false); got == Undecided {
			t.Errorf("%s: undecided after %d bytes", mt, HeadLen)
		}
	}
}

// The shared cases, judged here the way both users judge them: every good
// body matches its declared kind, every bad one is a mismatch described as
// the case says.
func TestSharedCases(t *testing.T) {
	for _, tc := range filetypetest.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			k := ForMediaType(MediaType(tc.ContentType))
			if k == nil {
				t.Fatalf("no kind for %s", tc.ContentType)
			}
			head := tc.Body[:min(len(tc.Body), HeadLen)]
			got := k.Check(head, len(tc.Body) <= HeadLen)
			if want := map[bool]Result{false: Match, true: Mismatch}[tc.Bad]; got != want {
				t.Errorf("Check = %v, want %v", got, want)
			}
			if tc.Bad {
				if d := Describe(head); d != tc.Got {
					t.Errorf("Describe = %q, want %q", d, tc.Got)
				}
			}
		})
	}
}
