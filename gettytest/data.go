package gettytest

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"strconv"
	"time"

	"github.com/gettykit/getty/gen"
)

var seedProducts = []struct {
	typ       gen.ProductType
	id        int32
	agreement string
	license   string
}{
	{gen.Premiumaccess, 1001, "Premium Access Agreement", "RoyaltyFree"},
	{gen.Editorialsubscription, 1002, "Editorial Subscription Agreement", "RightsManaged"},
	{gen.Easyaccess, 1003, "Easy Access Agreement", "RoyaltyFree"},
	{gen.Imagepack, 1004, "Image Pack Agreement", "RoyaltyFree"},
}

// seedHistory lays out n downloads, newest first, one every two hours
// before now.
func seedHistory(now time.Time, n int) []gen.HistoricalDownload {
	out := make([]gen.HistoricalDownload, 0, n)
	for i := range n {
		p := seedProducts[i%len(seedProducts)]
		user := Username
		if i%5 == 4 {
			user = "colleague"
		}
		id := strconv.Itoa(1000000000 + i*7919)
		var notes, project string
		if i%3 == 0 {
			notes, project = fmt.Sprintf("seeded download %d", i), fmt.Sprintf("PRJ-%03d", i%17)
		}
		out = append(out, newDownload(id, now.Add(-time.Duration(i)*2*time.Hour-17*time.Minute), string(p.typ), user, notes, project))
	}
	return out
}

func newDownload(id string, at time.Time, product, user string, notes, project string) gen.HistoricalDownload {
	d := gen.HistoricalDownload{
		DateDownloaded: at.UTC(),
		ID:             id,
		AssetType:      "image",
		ProductType:    gen.ProductType(product),
		ThumbURI:       "https://media.gettyimages.com/id/" + id + "/photo/thumbnail.jpg",
		DownloadSource: "API",
		SizeName:       "3xl",
		DownloadDetails: gen.DownloadDetails{
			DownloadNotes: notes,
			ProjectCode:   project,
		},
		User:       gen.DownloadUser{Username: user, FirstName: "Demo", LastName: "User"},
		Dimensions: gen.DownloadDimensions{Width: imageW, Height: imageH, DPI: 72},
	}
	for _, p := range seedProducts {
		if string(p.typ) == product {
			d.ProductID, d.AgreementName, d.LicenseModel = p.id, p.agreement, p.license
		}
	}
	return d
}

const imageW, imageH = 64, 48

// jpegFor returns a small JPEG, made with image/jpeg, that is the same
// for the same id on every run.
func (h *handler) jpegFor(id string) []byte {
	h.imagesMu.Lock()
	defer h.imagesMu.Unlock()
	if b, ok := h.images[id]; ok {
		return b
	}
	f := fnv.New32a()
	f.Write([]byte(id))
	seed := f.Sum32()
	img := image.NewRGBA(image.Rect(0, 0, imageW, imageH))
	for y := range imageH {
		for x := range imageW {
			img.Set(x, y, color.RGBA{
				R: uint8(seed) + uint8(x*4),
				G: uint8(seed>>8) + uint8(y*5),
				B: uint8(seed>>16) + uint8((x+y)*2),
				A: 255,
			})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		panic(err) // encoding to memory does not fail
	}
	h.images[id] = b.Bytes()
	return b.Bytes()
}

// jpegContent is the delivered file: the JPEG, padded with zeros after its
// end to the configured size without holding the padding in memory.
func (h *handler) jpegContent(id string) io.ReadSeeker {
	img := h.jpegFor(id)
	size := max(int64(len(img)), h.cfg.imageSize)
	return io.NewSectionReader(paddedReaderAt(img), 0, size)
}

type paddedReaderAt []byte

func (p paddedReaderAt) ReadAt(b []byte, off int64) (int, error) {
	n := 0
	if off < int64(len(p)) {
		n = copy(b, p[off:])
	}
	clear(b[n:])
	return len(b), nil
}

// epsFor returns a minimal Encapsulated PostScript file.
func epsFor(id string) []byte {
	return []byte(fmt.Sprintf("%%!PS-Adobe-3.0 EPSF-3.0\n%%%%BoundingBox: 0 0 %d %d\n%%%%Title: GettyImages-%s\n"+
		"newpath 0 0 moveto %d %d lineto stroke\nshowpage\n%%%%EOF\n", imageW, imageH, id, imageW, imageH))
}
