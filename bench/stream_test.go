package bench

import (
	"bytes"
	"crypto/sha256"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/gettytest"
)

func fileSum(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return h.Sum(nil)
}

// Both sides of the streaming benchmark write the same bytes.
func TestStreamingSidesAgree(t *testing.T) {
	const size = 4 << 20
	fake := gettytest.NewServer(gettytest.WithImageSize(size))
	defer fake.Close()
	dir := t.TempDir()
	saved, err := fakeClient(t, fake.URL).SaveImage(t.Context(), gettytest.ImageID, filepath.Join(dir, "client.jpg"), nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := RawSave(&http.Client{Transport: newTransport()}, deliveryURL(fake), filepath.Join(dir, "raw.jpg"), false)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Size != size || n != size || !bytes.Equal(fileSum(t, saved.Path), fileSum(t, filepath.Join(dir, "raw.jpg"))) {
		t.Fatalf("client saved %d bytes, raw %d, or different bytes", saved.Size, n)
	}
}

// BenchmarkSaveImage streams a large image from the fake server over
// loopback to a file: through the client's SaveImage (client), which syncs
// the file and renames it into place; through SaveImageTo into an open file
// (client-stream), the streaming path alone; and with a raw GET of the same
// delivery URL copied through a buffer of the client's size (RawSave),
// without and with a sync (baseline, baseline-sync). Each file is removed
// after its iteration, outside the timing. The same two streams into
// io.Discard (client-discard, baseline-discard) measure the client's
// streaming path without the disk, whose speed varies most on a shared
// machine.
func BenchmarkSaveImage(b *testing.B) {
	size := imageSize()
	fake := gettytest.NewServer(gettytest.WithImageSize(size))
	b.Cleanup(fake.Close)
	dir := b.TempDir()
	path := filepath.Join(dir, "image.jpg")
	c := fakeClient(b, fake.URL, getty.WithTransport(newTransport()))
	hc := &http.Client{Transport: newTransport()}
	url := deliveryURL(fake)
	remove := func(b *testing.B) {
		b.StopTimer()
		if err := os.Remove(path); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	check := func(b *testing.B, n int64, err error) {
		if err != nil || n != size {
			b.Fatalf("%d bytes: %v", n, err)
		}
	}
	b.Run("client", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			saved, err := c.SaveImage(b.Context(), gettytest.ImageID, path, nil)
			if err != nil {
				b.Fatal(err)
			}
			check(b, saved.Size, nil)
			remove(b)
		}
		b.ReportMetric(float64(size>>20), "MiB-image")
	})
	b.Run("client-stream", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			f, err := os.Create(path)
			if err != nil {
				b.Fatal(err)
			}
			saved, err := c.SaveImageTo(b.Context(), gettytest.ImageID, f, nil)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				b.Fatal(err)
			}
			check(b, saved.Size, nil)
			remove(b)
		}
	})
	b.Run("client-discard", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			saved, err := c.SaveImageTo(b.Context(), gettytest.ImageID, io.Discard, nil)
			if err != nil {
				b.Fatal(err)
			}
			check(b, saved.Size, nil)
		}
	})
	b.Run("baseline-discard", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			check(b, fetch(b, hc.Transport, url, io.Discard), nil)
		}
	})
	for _, sync := range []bool{false, true} {
		name := "baseline"
		if sync {
			name = "baseline-sync"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				n, err := RawSave(hc, url, path, sync)
				check(b, n, err)
				remove(b)
			}
		})
	}
}
