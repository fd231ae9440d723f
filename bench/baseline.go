package bench

import (
	"fmt"
	"io"
	"net/http"
	"os"
)

// RawSave is the streaming baseline the client's SaveImage is measured
// against: a GET of the delivery URL the client is redirected to, copied to
// a new file at path with io.Copy. With sync the file is also synced before
// it is closed, as SaveImage does.
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
	n, err := io.Copy(f, resp.Body)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}
