package getty

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// SaveOptions are the options of SaveImage and SaveImageTo.
type SaveOptions struct {
	DownloadOptions
	// Overwrite allows SaveImage to replace an existing file.
	Overwrite bool
	// Progress, if set, is called after each chunk written with the bytes
	// written so far and the total (-1 if unknown). It runs on the
	// downloading goroutine: keep it quick.
	Progress func(written, total int64)
}

// SavedImage describes a saved image.
type SavedImage struct {
	// Path is the file written; empty for SaveImageTo.
	Path string
	// Filename is the sanitized name from the server (see Image.Filename).
	Filename string
	// Size is the number of bytes written.
	Size int64
	// ContentType is the Content-Type of the file.
	ContentType string
	// URL is the URL the file came from, without its query string.
	URL string
}

// SaveImage downloads image id (see OpenImage) into dst: into a directory
// under the server's file name when dst is an existing directory or ends
// with a slash ("photos/"), or else to the file path dst. Directories
// that do not exist yet are created with their parents, as wget -P does,
// with mode 0755 less the umask; this happens before the download is
// requested, so a directory that cannot be created (a file stands in its
// path) costs no quota. A path without a trailing slash that does not
// exist names a file: filepath.Join drops the slash, so add it back
// (dir + string(filepath.Separator)) to save into a directory that may be
// missing. Directories created stay when the download then fails.
//
// The file is written under a temporary name in the same directory, synced,
// and moved into place only when it is complete and its size matches
// Content-Length; on any failure the temporary file is removed and nothing
// is left behind. An existing file is not replaced unless opts.Overwrite is
// set; when dst names a file, that is checked before the download is
// requested, so no quota is spent on a download that could not be saved.
// When dst is a directory the name comes with the answer to the download
// request, so an existing file is found only after the download was
// charged: the *ExistsError then says so (Charged). A body that is not the
// file its Content-Type declares (an HTML error page answered as
// image/jpeg) fails with a *ContentMismatchError before anything is
// written. Memory use does not depend on the image size. opts may be nil.
func (c *Client) SaveImage(ctx context.Context, id, dst string, opts *SaveOptions) (saved *SavedImage, err error) {
	var o SaveOptions
	if opts != nil {
		o = *opts
	}
	if err := validateID(id); err != nil {
		return nil, err
	}
	dir, name, err := splitDst(dst)
	if err != nil {
		return nil, err
	}
	if err := makeDir(dir); err != nil {
		return nil, err
	}
	if name != "" && !o.Overwrite {
		if err := checkAbsent(filepath.Join(dir, name), false); err != nil {
			return nil, err
		}
	}
	// Creating the temporary file first proves the directory is writable
	// before any quota is spent.
	tmp, err := createTemp(dir)
	if err != nil {
		return nil, fmt.Errorf("getty: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()

	img, err := c.OpenImage(ctx, id, &o.DownloadOptions)
	if err != nil {
		return nil, err
	}
	defer img.Body.Close()
	if name == "" {
		name = img.Filename
	}
	final := filepath.Join(dir, name)
	if !o.Overwrite {
		if err := checkAbsent(final, true); err != nil {
			return nil, err
		}
	}

	var w io.Writer = tmp
	if c.wrapFile != nil {
		w = c.wrapFile(w)
	}
	n, err := copyImage(w, img, o.Progress)
	if err != nil {
		return nil, err
	}
	if err := c.sync(tmp); err != nil {
		return nil, fmt.Errorf("getty: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("getty: %w", err)
	}
	if err := commit(tmp.Name(), final, o.Overwrite); err != nil {
		return nil, err
	}
	committed = true
	c.syncDir(dir)
	return &SavedImage{Path: final, Filename: img.Filename, Size: n, ContentType: img.ContentType, URL: img.URL}, nil
}

// SaveImageTo downloads image id (see OpenImage) and streams it to w. A body
// that is not the file its Content-Type declares fails with a
// *ContentMismatchError before the first write to w. It returns an error if
// the body is cut short or its size does not match Content-Length; w may
// then hold part of the file. opts.Overwrite is ignored; opts may be nil.
func (c *Client) SaveImageTo(ctx context.Context, id string, w io.Writer, opts *SaveOptions) (*SavedImage, error) {
	var o SaveOptions
	if opts != nil {
		o = *opts
	}
	img, err := c.OpenImage(ctx, id, &o.DownloadOptions)
	if err != nil {
		return nil, err
	}
	defer img.Body.Close()
	n, err := copyImage(w, img, o.Progress)
	if err != nil {
		return nil, err
	}
	return &SavedImage{Filename: img.Filename, Size: n, ContentType: img.ContentType, URL: img.URL}, nil
}

// copyImage streams img to w through a fixed buffer and checks the length.
func copyImage(w io.Writer, img *Image, progress func(written, total int64)) (int64, error) {
	if progress != nil {
		w = &progressWriter{w: w, total: img.ContentLength, f: progress}
	}
	buf := make([]byte, 64<<10)
	n, err := io.CopyBuffer(struct{ io.Writer }{w}, struct{ io.Reader }{img.Body}, buf)
	var mismatch *ContentMismatchError
	if errors.As(err, &mismatch) {
		return n, err // nothing was written: its own message says it all
	}
	if err != nil {
		return n, wrapf(err, "saving the image after %d bytes", n)
	}
	if img.ContentLength >= 0 && n != img.ContentLength {
		return n, fmt.Errorf("getty: the image has %d bytes, Content-Length said %d: %w", n, img.ContentLength, io.ErrUnexpectedEOF)
	}
	return n, nil
}

type progressWriter struct {
	w     io.Writer
	n     int64
	total int64
	f     func(written, total int64)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.n += int64(n)
	if n > 0 {
		p.f(p.n, p.total)
	}
	return n, err
}

// splitDst returns the directory and, when dst names a file, its name. The
// directory may not exist yet (see makeDir).
func splitDst(dst string) (dir, name string, err error) {
	if dst == "" {
		return "", "", errors.New("getty: empty destination")
	}
	fi, err := os.Stat(dst)
	switch {
	case err == nil && fi.IsDir():
		return dst, "", nil
	case strings.HasSuffix(dst, string(filepath.Separator)) || strings.HasSuffix(dst, "/"):
		return dst, "", nil
	case err == nil && !fi.Mode().IsRegular():
		return "", "", fmt.Errorf("getty: destination %s is not a regular file", dst)
	}
	return filepath.Dir(dst), filepath.Base(dst), nil
}

// makeDir creates dir and its missing parents, as wget -P does: mode 0755,
// which the umask reduces. A file standing where a directory must be is
// named in the error, which matches syscall.ENOTDIR.
func makeDir(dir string) error {
	err := os.MkdirAll(dir, 0o755)
	if err == nil {
		return nil
	}
	// MkdirAll names the deepest path ("mkdir photos/: file exists" when
	// photos is a file): find the file itself.
	for p := filepath.Clean(dir); ; {
		if fi, serr := os.Stat(p); serr == nil {
			if !fi.IsDir() {
				return &notDirError{dir: dir, file: p}
			}
			break
		}
		parent := filepath.Dir(p)
		if parent == p {
			break
		}
		p = parent
	}
	return fmt.Errorf("getty: creating directory %s: %w", dir, err)
}

// notDirError reports a file where SaveImage needs a directory.
type notDirError struct{ dir, file string }

func (e *notDirError) Error() string {
	return fmt.Sprintf("getty: cannot create directory %s: %s is a file, not a directory", e.dir, e.file)
}

// Is matches syscall.ENOTDIR.
func (e *notDirError) Is(target error) bool { return target == syscall.ENOTDIR }

// ExistsError reports that SaveImage did not replace an existing file
// (SaveOptions.Overwrite not set). It unwraps to an *fs.PathError
// {Op: "save", Path, Err: fs.ErrExist}, as the os package reports an
// existing file: errors.Is(err, fs.ErrExist) and errors.As with
// *fs.PathError both hold.
type ExistsError struct {
	// Path is the existing file.
	Path string
	// Charged reports that the download had already been requested, and
	// so charged, when the file was found: SaveImage into a directory
	// learns the file's name from the answer to the download request.
	// Saving to a file path is checked before the request.
	Charged bool
}

// Error says whether the download was charged and how to avoid paying
// twice.
func (e *ExistsError) Error() string {
	if !e.Charged {
		return fmt.Sprintf("getty: %s already exists (set SaveOptions.Overwrite to replace it)", e.Path)
	}
	return fmt.Sprintf("getty: %s already exists and was not replaced, but the download was charged: "+
		"the file's name comes with the answer to the download request; to avoid paying twice, "+
		"set SaveOptions.Overwrite to replace it, remove the file first, or save to a file path, which is checked before the request", e.Path)
}

// Unwrap returns the *fs.PathError, which wraps fs.ErrExist.
func (e *ExistsError) Unwrap() error {
	return &fs.PathError{Op: "save", Path: e.Path, Err: fs.ErrExist}
}

// checkAbsent fails with an *ExistsError if path exists; charged says
// whether the download has been requested already.
func checkAbsent(path string, charged bool) error {
	if _, err := os.Lstat(path); err == nil {
		return &ExistsError{Path: path, Charged: charged}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("getty: %w", err)
	}
	return nil
}

// commit moves the complete temporary file to its final name. Without
// overwrite, a hard link claims the name atomically (it fails if the name
// exists, even if another process created it a moment ago); where links are
// unsupported, the name is claimed with O_EXCL and the placeholder replaced.
// It runs after the download request: a name taken meanwhile is a charged
// *ExistsError.
func commit(tmp, final string, overwrite bool) error {
	if overwrite {
		if err := os.Rename(tmp, final); err != nil {
			return fmt.Errorf("getty: %w", err)
		}
		return nil
	}
	err := os.Link(tmp, final)
	if err == nil {
		_ = os.Remove(tmp)
		return nil
	}
	if errors.Is(err, fs.ErrExist) {
		return &ExistsError{Path: final, Charged: true}
	}
	f, err := os.OpenFile(final, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return &ExistsError{Path: final, Charged: true}
	}
	if err != nil {
		return fmt.Errorf("getty: %w", err)
	}
	_ = f.Close()
	if err := os.Rename(tmp, final); err != nil {
		_ = os.Remove(final)
		return fmt.Errorf("getty: %w", err)
	}
	return nil
}

// sync flushes f to stable storage.
func (c *Client) sync(f *os.File) error {
	if c.syncFile != nil {
		return c.syncFile(f)
	}
	return f.Sync()
}

// syncDir makes the rename durable where the platform allows it.
func (c *Client) syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = c.sync(d)
		_ = d.Close()
	}
}

// createTemp creates a new hidden temporary file in dir. Unlike
// os.CreateTemp, which creates files readable by their owner only, it asks
// for 0666 so that the saved image gets the permissions the user's umask
// gives any new file.
func createTemp(dir string) (*os.File, error) {
	for range 100 {
		name := filepath.Join(dir, ".getty-"+strconv.FormatUint(rand.Uint64(), 36)+".part")
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("no free temporary file name in %s", dir)
}
