package gettytest_test

import (
	"path/filepath"
	"testing"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/gettytest"
)

// ClientOptions is all a client needs to list and download from the fake,
// with the client-credentials grant at the fake's token endpoint; options
// appended after them apply too.
func TestClientOptions(t *testing.T) {
	srv := gettytest.NewServer(gettytest.WithDownloads(7))
	defer srv.Close()
	c, err := getty.New(append(srv.ClientOptions(), getty.WithUserAgent("gettytest-check/1"))...)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, err := range c.Downloads(t.Context(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n == 0 {
		t.Error("no downloads listed")
	}
	if _, err := c.SaveImage(t.Context(), gettytest.ImageID, filepath.Join(t.TempDir(), "x.jpg"), nil); err != nil {
		t.Fatal(err)
	}
	if srv.Requests(gettytest.OpToken) == 0 {
		t.Error("no token requested from the fake's token endpoint")
	}
}
