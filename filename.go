package getty

import (
	"mime"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxFilename caps a file name's length in bytes (most file systems allow
// 255).
const maxFilename = 200

// filenameFor picks the name of a downloaded file: the Content-Disposition
// filename (RFC 6266, filename* included, parsed by mime.ParseMediaType),
// sanitized, or else "<id>.<ext>" from the content type.
func filenameFor(contentDisposition, id, contentType string) string {
	if contentDisposition != "" {
		if _, params, err := mime.ParseMediaType(contentDisposition); err == nil {
			if name := sanitizeFilename(params["filename"]); name != "" {
				return name
			}
		}
	}
	name := sanitizeFilename(id)
	if name == "" {
		name = "image"
	}
	return name + extensionFor(contentType)
}

// sanitizeFilename makes a server-supplied name safe to create in a chosen
// directory: only its last path element is kept (either slash), control and
// invisible formatting characters are dropped, characters Windows forbids
// are replaced, leading and trailing dots and spaces are trimmed (no hidden
// files, no "." or ".."), reserved Windows device names are prefixed and the
// length is capped with the extension kept. It returns "" when nothing
// usable is left.
func sanitizeFilename(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for i, r := range name {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(name[i:], "\uFFFD"):
			b.WriteByte('_') // invalid UTF-8
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			// dropped: control characters and bidi overrides that disguise
			// an extension
		case strings.ContainsRune(`<>:"|?*`, r):
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	name = strings.Trim(b.String(), ". ")
	if name == "" {
		return ""
	}
	stem, _, _ := strings.Cut(name, ".")
	if reservedName(stem) {
		name = "_" + name
	}
	if len(name) > maxFilename {
		ext := filepath.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		name = truncateUTF8(name[:len(name)-len(ext)], maxFilename-len(ext)) + ext
	}
	return name
}

func reservedName(stem string) bool {
	switch s := strings.ToUpper(strings.TrimSpace(stem)); s {
	case "CON", "PRN", "AUX", "NUL":
		return true
	default:
		return len(s) == 4 && (strings.HasPrefix(s, "COM") || strings.HasPrefix(s, "LPT")) && s[3] >= '1' && s[3] <= '9'
	}
}

// extensionFor returns the file extension for a content type, "" if
// unknown. The common image types are listed here because the system MIME
// tables differ from machine to machine (image/jpeg → .jfif, .jpe...).
func extensionFor(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	switch mt {
	case "image/jpeg", "image/jpg", "image/pjpeg":
		return ".jpg"
	case "image/png":
		return ".png"
	case "image/gif":
		return ".gif"
	case "image/tiff":
		return ".tif"
	case "image/webp":
		return ".webp"
	case "application/postscript", "application/eps", "application/x-eps", "image/eps", "image/x-eps":
		return ".eps"
	case "video/mp4":
		return ".mp4"
	}
	if exts, _ := mime.ExtensionsByType(mt); len(exts) > 0 {
		return exts[0]
	}
	return ""
}
