//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package archive

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// lockHint: an exclusive-create lock outlives a killed holder.
const lockHint = "; if no sync is running (one was killed), delete the lock file"

// lock takes the directory's lock where flock(2) is not available: the
// lock file is created exclusively and removed on unlock. A sync that is
// killed leaves it behind; the refusal says to delete it.
func lock(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
	if errors.Is(err, os.ErrExist) {
		holder := ""
		if g, err := os.Open(path); err == nil {
			holder = readHolder(g)
			g.Close()
		}
		return nil, &LockedError{Path: path, Holder: holder}
	}
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	_, _ = f.WriteString(holderInfo() + "\n")
	return func() {
		_ = f.Close()
		_ = os.Remove(path)
	}, nil
}

// syncDir does nothing where directories cannot be opened for syncing
// (Windows makes a rename durable by itself).
func syncDir(dir string) error { return nil }
