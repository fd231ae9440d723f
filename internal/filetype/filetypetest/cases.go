// Package filetypetest holds the bodies that the client's downloads and the
// contract package's binary checks must judge alike: their tests both run
// over Cases, so a signature that one of them stops checking fails a test.
package filetypetest

import "bytes"

// Case is a delivered body with its declared Content-Type.
type Case struct {
	Name        string
	ContentType string
	Body        []byte
	// Bad says that the body is not the declared file and must be refused.
	Bad bool
	// Got is what filetype.Describe says about a bad body ("HTML",
	// "empty"...), "" when it does not recognize it.
	Got string
}

// JPEG is the start of a JPEG/JFIF file followed by filler.
var JPEG = append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01},
	bytes.Repeat([]byte{0x42}, 4096)...)

// HTML is the kind of error page a CDN or proxy answers with "200 OK".
var HTML = []byte("<!DOCTYPE html>\n<html><head><title>Access denied</title></head><body><h1>Access denied</h1></body></html>\n")

func withFiller(head string) []byte {
	return append([]byte(head), bytes.Repeat([]byte{0x42}, 64)...)
}

// Cases are good and bad bodies for each declared type the API delivers.
var Cases = []Case{
	{Name: "jpeg", ContentType: "image/jpeg", Body: JPEG},
	{Name: "jpeg with parameters", ContentType: "Image/JPEG; charset=binary", Body: JPEG},
	{Name: "tiny jpeg, shorter than the checked head", ContentType: "image/jpeg", Body: JPEG[:6]},
	{Name: "png", ContentType: "image/png", Body: withFiller("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")},
	{Name: "gif", ContentType: "image/gif", Body: withFiller("GIF89a")},
	{Name: "tiff little-endian", ContentType: "image/tiff", Body: withFiller("II*\x00\x08\x00\x00\x00")},
	{Name: "tiff big-endian", ContentType: "image/tiff", Body: withFiller("MM\x00*\x00\x00\x00\x08")},
	{Name: "webp", ContentType: "image/webp", Body: withFiller("RIFF\x24\x10\x00\x00WEBPVP8 ")},
	{Name: "eps postscript", ContentType: "application/postscript", Body: withFiller("%!PS-Adobe-3.0 EPSF-3.0\n")},
	{Name: "eps dos binary header", ContentType: "image/x-eps", Body: withFiller("\xC5\xD0\xD3\xC6\x1E\x00\x00\x00")},
	{Name: "eps as application/eps", ContentType: "application/eps", Body: withFiller("%!PS-Adobe-3.1 EPSF-3.0\n")},

	{Name: "html served as jpeg", ContentType: "image/jpeg", Body: HTML, Bad: true, Got: "HTML"},
	{Name: "json served as jpeg", ContentType: "image/jpeg", Body: []byte(`{"message":"Forbidden","detail":"expired"}`), Bad: true, Got: "JSON"},
	{Name: "xml served as jpeg", ContentType: "image/jpeg", Body: []byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code></Error>`), Bad: true, Got: "XML"},
	{Name: "empty jpeg", ContentType: "image/jpeg", Body: nil, Bad: true, Got: "empty"},
	{Name: "truncated jpeg header", ContentType: "image/jpeg", Body: []byte{0xFF, 0xD8}, Bad: true},
	{Name: "png served as jpeg", ContentType: "image/jpeg", Body: withFiller("\x89PNG\r\n\x1a\n"), Bad: true, Got: "PNG"},
	{Name: "html served as eps", ContentType: "application/postscript", Body: HTML, Bad: true, Got: "HTML"},
	{Name: "jpeg served as eps", ContentType: "image/x-eps", Body: JPEG, Bad: true, Got: "JPEG"},
	{Name: "truncated dos eps header", ContentType: "application/postscript", Body: []byte{0xC5, 0xD0, 0xD3}, Bad: true},
	{Name: "html served as png", ContentType: "image/png", Body: HTML, Bad: true, Got: "HTML"},
	{Name: "a RIFF that is not webp", ContentType: "image/webp", Body: withFiller("RIFF\x24\x10\x00\x00WAVEfmt "), Bad: true},
	{Name: "garbage served as tiff", ContentType: "image/tiff", Body: withFiller("\x00\x01\x02\x03"), Bad: true},
}
