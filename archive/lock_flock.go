//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package archive

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockHint: flock locks end with their process.
const lockHint = " (the lock is released when that process ends, even if it is killed)"

// lock takes the directory's lock: an exclusive flock(2) on the lock file,
// without waiting. The kernel releases it when the holder exits, however
// it exits, so a killed sync never leaves a stale lock.
func lock(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if errors.Is(err, syscall.EWOULDBLOCK) {
		holder := readHolder(f)
		f.Close()
		return nil, &LockedError{Path: path, Holder: holder}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("archive: locking %s: %w", path, err)
	}
	// Who holds it, for the refusal another sync prints. Not needed for
	// correctness: failing to write it is not an error.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(holderInfo()+"\n"), 0)
	}
	return func() {
		_ = f.Truncate(0)
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}

// syncDir makes renames and creations in dir durable. File systems that
// cannot sync a directory say EINVAL (or ENOTSUP); there is nothing more
// to do on them.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}
