package archive

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// LockName is the lock file a sync holds in the archive directory while
// it runs. It stays in the directory between runs; holding it is what
// counts, not its existence.
const LockName = ".getty-sync.lock"

// LockedError reports that another sync holds the archive directory: two
// syncs appending to one manifest could interleave their lines, so the
// second one refuses to start, before making any request.
type LockedError struct {
	// Path is the lock file.
	Path string
	// Holder describes the sync holding it, as it wrote it into the lock
	// file ("pid 4242 on host1, since 2026-03-01T12:00:00Z"); empty when
	// it has not written it yet.
	Holder string
}

func (e *LockedError) Error() string {
	holder := e.Holder
	if holder == "" {
		holder = "a process that has not said who it is yet"
	}
	return fmt.Sprintf("archive: another sync is running in this directory (%s holds %s); "+
		"wait for it to finish, or stop it: two syncs at once would corrupt the manifest%s",
		holder, e.Path, lockHint)
}

// holderInfo is what a sync writes into the lock file it holds.
func holderInfo() string {
	host, _ := os.Hostname()
	if host == "" {
		host = "an unknown host"
	}
	return fmt.Sprintf("pid %d on %s, since %s", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
}

// readHolder reads the holder a lock file names, made safe to print.
func readHolder(f *os.File) string {
	b := make([]byte, 256)
	n, _ := f.ReadAt(b, 0)
	s := strings.TrimSpace(string(b[:n]))
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
