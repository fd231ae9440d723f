package archive

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gettykit/getty"
)

// ManifestName is the name of the manifest in an archive directory: one
// JSON object per line (JSON Lines), one line per image completely on disk.
const ManifestName = "getty-manifest.jsonl"

// maxLine bounds a manifest line: an entry is well under 2 KiB; a longer
// "line" is damage, not an entry.
const maxLine = 1 << 20

// Entry is one line of the manifest: an image saved completely in the
// archive directory, with the history record it was downloaded for.
//
// The history record's fields (date_downloaded, product_type,
// agreement_name, license_model, user, download_details...) are written
// at the top level of the line, beside the archive's own (file, size,
// sha256, saved_at), so that a line reads as one flat object:
//
//	{"id":"1000000000","file":"GettyImages-1000000000.jpg","size":1510,"sha256":"…","saved_at":"…","agreement_name":"Premium Access Agreement","date_downloaded":"…","product_type":"premiumaccess",…}
type Entry struct {
	// ID is the image id.
	ID string `json:"id"`
	// File is the file's name in the archive directory (a name, never a
	// path).
	File string `json:"file"`
	// Size is the file's size in bytes.
	Size int64 `json:"size"`
	// SHA256 is the hex SHA-256 of the file, computed while it was
	// written.
	SHA256 string `json:"sha256"`
	// ContentType is the Content-Type the file was delivered with.
	ContentType string `json:"content_type,omitempty"`
	// SavedAt is when the file was saved.
	SavedAt time.Time `json:"saved_at"`
	// Download is the history record, flattened into the line. Its ID is
	// the same as Entry.ID (encoding/json writes Entry.ID only).
	getty.Download
}

// check rejects a line that decodes but cannot be an entry this package
// wrote: above all a file that is not a plain name in the directory, which
// a damaged or edited manifest could otherwise use to make a sync replace
// a file elsewhere.
func (e *Entry) check() error {
	switch {
	case e.ID == "":
		return errors.New("no id")
	case !plainName(e.File):
		return fmt.Errorf("file %q is not a plain file name", e.File)
	case e.File == ManifestName:
		return errors.New("file names the manifest itself")
	case e.Size < 0:
		return fmt.Errorf("negative size %d", e.Size)
	}
	if b, err := hex.DecodeString(e.SHA256); err != nil || len(b) != 32 {
		return fmt.Errorf("sha256 %q is not 64 hex digits", e.SHA256)
	}
	return nil
}

// plainName reports whether name is a single, visible path element.
func plainName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.HasPrefix(name, ".") &&
		!strings.ContainsAny(name, `/\`+"\x00") && filepath.Base(name) == name
}

// CorruptManifestError reports a manifest line that is not an entry, with
// valid lines after it: the damage is not a torn last line, which a sync
// repairs by itself, so the manifest is left for a person to look at.
type CorruptManifestError struct {
	// Path is the manifest.
	Path string
	// Line is the 1-based number of the first bad line.
	Line int
	// Err says what is wrong with it.
	Err error
}

func (e *CorruptManifestError) Error() string {
	return fmt.Sprintf("archive: %s line %d is not a manifest entry (%v), and valid entries follow it: "+
		"the manifest was changed by something other than a sync; fix or delete that line and sync again "+
		"(an image whose line is deleted is downloaded again)", e.Path, e.Line, e.Err)
}

func (e *CorruptManifestError) Unwrap() error { return e.Err }

// ReadManifest reads the manifest of an archive directory without changing
// it: one entry per image, in the order the images were first saved. An
// image saved again (its file was missing or damaged) has a later line,
// which supersedes the earlier; a sync rewrites the manifest without the
// superseded lines when it ends. A torn last line, left by a sync killed
// while writing it, is ignored; the next sync truncates it. A missing
// manifest is an empty archive.
func ReadManifest(dir string) ([]Entry, error) {
	f, err := os.Open(filepath.Join(dir, ManifestName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	defer f.Close()
	entries, _, _, err := parseManifest(f, f.Name())
	if err != nil {
		return nil, err
	}
	entries, _ = latest(entries)
	return entries, nil
}

// latest keeps the last entry of each id, at the place of its first, and
// reports whether any was superseded.
func latest(entries []Entry) ([]Entry, bool) {
	at := make(map[string]int, len(entries))
	out := entries[:0:0]
	for _, e := range entries {
		if i, ok := at[e.ID]; ok {
			out[i] = e
			continue
		}
		at[e.ID] = len(out)
		out = append(out, e)
	}
	return out, len(out) != len(entries)
}

// parseManifest reads the lines of r. good is the length of the valid
// prefix: everything after it is a torn tail (an invalid last line, or
// several invalid lines with no valid one after them). newline reports
// that the valid prefix lacks its final newline (a last line cut exactly
// before it).
func parseManifest(r io.Reader, name string) (entries []Entry, good int64, newline bool, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		off     int64
		lineNo  int
		badLine int
		badErr  error
	)
	for {
		line, n, rerr := readLine(br)
		if n == 0 && rerr != nil {
			if errors.Is(rerr, io.EOF) {
				return entries, good, newline, nil
			}
			return nil, 0, false, fmt.Errorf("archive: reading %s: %w", name, rerr)
		}
		lineNo++
		off += n
		complete := bytes.HasSuffix(line, []byte("\n"))
		text := bytes.TrimSpace(line)
		if len(text) == 0 && complete {
			if badLine == 0 {
				good = off
			}
			continue
		}
		var e Entry
		perr := json.Unmarshal(text, &e)
		if perr == nil && n > maxLine {
			perr = errors.New("line too long")
		}
		if perr == nil {
			perr = e.check()
		}
		if perr != nil {
			if badLine == 0 {
				badLine, badErr = lineNo, perr
			}
			continue
		}
		if badLine != 0 {
			// A valid entry after a bad line: not a torn tail.
			return nil, 0, false, &CorruptManifestError{Path: name, Line: badLine, Err: badErr}
		}
		e.Download.ID = e.ID
		entries = append(entries, e)
		good, newline = off, !complete
	}
}

// readLine reads one line with its newline and returns its length n; at
// most about maxLine bytes of it are kept (a longer line is invalid
// whatever its content).
func readLine(br *bufio.Reader) (line []byte, n int64, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		n += int64(len(chunk))
		if len(line) <= maxLine {
			line = append(line, chunk...)
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return line, n, err
		}
	}
}

// manifest is an open manifest, appended to by a sync that holds the
// directory's lock.
type manifest struct {
	mu   sync.Mutex
	f    *os.File
	size int64 // the end of the last complete line
}

// openManifest opens (creating it if needed) the manifest of dir for
// appending, reads its entries and repairs a torn tail: the file is
// truncated after its last valid line (and a valid last line cut just
// before its newline gets it), then synced, so that new lines never follow
// garbage.
func openManifest(dir string) (*manifest, []Entry, error) {
	path := filepath.Join(dir, ManifestName)
	_, statErr := os.Lstat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, nil, fmt.Errorf("archive: %w", err)
	}
	if errors.Is(statErr, os.ErrNotExist) {
		if err := syncDir(dir); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("archive: %w", err)
		}
	}
	entries, good, newline, err := parseManifest(f, path)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("archive: %w", err)
	}
	m := &manifest{f: f, size: good}
	if st.Size() != good || newline {
		if err := f.Truncate(good); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("archive: repairing the torn last line of %s: %w", path, err)
		}
		if newline {
			if _, err := f.WriteAt([]byte("\n"), good); err != nil {
				f.Close()
				return nil, nil, fmt.Errorf("archive: repairing the last line of %s: %w", path, err)
			}
			m.size++
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("archive: %w", err)
		}
	}
	return m, entries, nil
}

// append writes entries, one line each, in one write, and syncs the file.
// A failed write is undone (the file truncated back), so that a later line
// never follows a torn one.
func (m *manifest) append(entries ...Entry) error {
	var b []byte
	for _, e := range entries {
		e.Download.ID = e.ID
		line, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("archive: %w", err)
		}
		b = append(append(b, line...), '\n')
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.f.WriteAt(b, m.size); err != nil {
		_ = m.f.Truncate(m.size)
		return fmt.Errorf("archive: writing the manifest: %w", err)
	}
	if err := m.f.Sync(); err != nil {
		_ = m.f.Truncate(m.size)
		return fmt.Errorf("archive: syncing the manifest: %w", err)
	}
	m.size += int64(len(b))
	return nil
}

// committer records saved images in the manifest, many per sync of the
// disk: each waiting image's rename is made durable (one sync of the
// directory for all of them), then their lines are appended (one write and
// one sync of the manifest). An image's record call returns only once its
// line is on disk. Syncing the directory costs milliseconds on common file
// systems; shared by the workers waiting at the time, it no longer
// serializes them.
type committer struct {
	dir  string
	m    *manifest
	reqs chan commitReq
	done chan struct{}
}

type commitReq struct {
	e   Entry
	err chan error
}

func newCommitter(dir string, m *manifest) *committer {
	c := &committer{dir: dir, m: m, reqs: make(chan commitReq), done: make(chan struct{})}
	go c.loop()
	return c
}

// record makes e's file durable under its name and appends its line; the
// file must be in place already.
func (c *committer) record(e Entry) error {
	r := commitReq{e: e, err: make(chan error, 1)}
	c.reqs <- r
	return <-r.err
}

// close stops the committer once no record call is pending.
func (c *committer) close() {
	close(c.reqs)
	<-c.done
}

func (c *committer) loop() {
	defer close(c.done)
	for r := range c.reqs {
		batch := []commitReq{r}
	more:
		for {
			select {
			case r, ok := <-c.reqs:
				if !ok {
					break more
				}
				batch = append(batch, r)
			default:
				break more
			}
		}
		err := syncDir(c.dir)
		if err == nil {
			entries := make([]Entry, len(batch))
			for i, r := range batch {
				entries[i] = r.e
			}
			err = c.m.append(entries...)
		}
		for _, r := range batch {
			r.err <- err
		}
	}
}

// rewrite replaces the manifest with entries, atomically: they are written
// to a temporary file, synced, and renamed over the manifest. A sync
// killed meanwhile leaves the old manifest or the new one, never a mix.
func (m *manifest) rewrite(dir string, entries []Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	tmp, err := createTemp(dir)
	if err != nil {
		return fmt.Errorf("archive: rewriting the manifest: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails once renamed
	bw := bufio.NewWriter(tmp)
	var size int64
	for _, e := range entries {
		e.Download.ID = e.ID
		b, err := json.Marshal(e)
		if err != nil {
			tmp.Close()
			return fmt.Errorf("archive: %w", err)
		}
		b = append(b, '\n')
		size += int64(len(b))
		_, _ = bw.Write(b)
	}
	err = bw.Flush()
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, ManifestName))
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("archive: rewriting the manifest: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, ManifestName), os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	m.f.Close()
	m.f, m.size = f, size
	return nil
}

func (m *manifest) close() error { return m.f.Close() }
