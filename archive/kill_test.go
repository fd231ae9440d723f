//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package archive_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gettykit/getty/archive"
	"github.com/gettykit/getty/gettytest"
)

// The child process of TestResumeAfterSIGKILL syncs into the directory
// and from the server these variables name.
const (
	childDirEnv = "GETTY_ARCHIVE_TEST_CHILD_DIR"
	childURLEnv = "GETTY_ARCHIVE_TEST_CHILD_URL"
)

// A sync killed with SIGKILL about half way (a child process: this test
// binary, re-executed) leaves no partial file under a final name and a
// manifest that records only complete images; while it runs, a sync here
// is refused with its pid. A rerun then makes download requests only for
// the images the manifest does not have, and leaves no stray file.
func TestResumeAfterSIGKILL(t *testing.T) {
	if dir := os.Getenv(childDirEnv); dir != "" {
		// The child: sync until killed.
		c := newClient(t, os.Getenv(childURLEnv))
		_, err := archive.Sync(t.Context(), c, dir, all(4))
		t.Fatalf("the child sync ended before it was killed: %v", err)
	}

	srv := newFake(t, gettytest.WithDownloads(1000), gettytest.WithLatency(gettytest.OpDelivery, 2*time.Millisecond))
	dir := tempDir(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestResumeAfterSIGKILL$", "-test.count=1")
	cmd.Env = append(os.Environ(), childDirEnv+"="+dir, childURLEnv+"="+srv.URL)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	waitLines := func(n int) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for manifestLines(dir) < n {
			select {
			case err := <-exited:
				t.Fatalf("the child exited (%v) with %d images recorded, before it could be killed:\n%s", err, manifestLines(dir), &out)
			default:
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("the child recorded only %d images in a minute:\n%s", manifestLines(dir), &out)
			}
			time.Sleep(200 * time.Microsecond)
		}
	}

	waitLines(400)
	res, err := archive.Sync(t.Context(), newClient(t, srv.URL), dir, all(4))
	var le *archive.LockedError
	if !errors.As(err, &le) || !strings.Contains(le.Holder, fmt.Sprintf("pid %d ", cmd.Process.Pid)) || res.Listed != 0 {
		t.Errorf("a sync while the child runs: %v (%+v), want a refusal naming pid %d", err, res, cmd.Process.Pid)
	}

	waitLines(500)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = <-exited
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the child ended with %v, not killed by SIGKILL:\n%s", err, &out)
	}

	recorded, err := archive.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := len(recorded)
	childRequests := downloads(srv)
	partial, _ := filepath.Glob(filepath.Join(dir, ".getty-sync-*"))
	t.Logf("killed with %d images recorded, after %d download requests; %d temporary files left", n, childRequests, len(partial))
	// Every recorded image is complete on disk; the images in flight are
	// only under temporary names.
	for _, e := range recorded {
		st, err := os.Stat(filepath.Join(dir, e.File))
		if err != nil || st.Size() != e.Size {
			t.Errorf("recorded image %s is not complete on disk: %v", e.File, err)
		}
	}
	finals, _ := filepath.Glob(filepath.Join(dir, "GettyImages-*"))
	if len(finals) > n+4 {
		t.Errorf("%d files under final names, %d recorded: more than the 4 workers could have had in flight", len(finals), n)
	}

	res, err = archive.Sync(t.Context(), newClient(t, srv.URL), dir, all(4))
	if err != nil {
		t.Fatal(err)
	}
	rerun := downloads(srv) - childRequests
	if rerun != 1000-n || res.DownloadRequests != 1000-n || res.Saved != 1000-n || res.Skipped != n {
		t.Errorf("rerun: %+v, server got %d download requests; want %d, one per image not recorded", res, rerun, 1000-n)
	}
	checkArchive(t, dir, 1000)
}
