package bench

import (
	"fmt"
	"io"
	"net/http"
	"os"
)

// CopyBufferSize is the buffer the streaming baseline copies through: the
// same 64 KiB the client's SaveImage and SaveImageTo copy an image through
// (copyImage in save.go), so that a comparison measures the client, not a
// buffer size. A plain io.Copy to a file does not reach a kernel fast path
// here (an HTTP body is not a file or a socket, so neither
// copy_file_range nor splice applies): it copies through 32 KiB.
const CopyBufferSize = 64 << 10

// RawSave is the streaming baseline the client's SaveImage is measured
// against: a GET of the delivery URL the client is redirected to, copied to
// a new file at path through a CopyBufferSize buffer, as the client copies.
// With sync the file is also synced before it is closed, as SaveImage does.
func RawSave(hc *http.Client, url, path string, sync bool) (int64, error) {
	resp, err := hc.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	// Wrapped as the client wraps them, so that neither side's ReadFrom or
	// WriteTo replaces the buffer.
	n, err := io.CopyBuffer(struct{ io.Writer }{f}, struct{ io.Reader }{resp.Body}, make([]byte, CopyBufferSize))
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}
