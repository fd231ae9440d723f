package archive_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gettykit/getty/archive"
	"github.com/gettykit/getty/gettytest"
)

// Benchmarks of a sync against the fake server over loopback, into a
// directory on the machine's disk (b.TempDir, so $TMPDIR), every request
// delayed by benchLatency, each image benchImageSize bytes. The fake runs
// in a child process (this test binary, re-executed), so that the memory
// measured is the sync's alone. With -short they run 40 images as a smoke
// test.
//
//	go test -run '^$' -bench . -benchtime 1x -benchmem ./archive
const (
	benchLatency   = 20 * time.Millisecond
	benchImageSize = 1 << 20
)

func benchImages(b *testing.B, n int) int {
	if testing.Short() {
		return min(n, 40)
	}
	return n
}

// BenchmarkSync is a first sync of a history of 1,000 images (and 250, to
// show that memory does not grow with the number of images), one or eight
// at a time.
func BenchmarkSync(b *testing.B) {
	for _, bc := range []struct{ images, parallel int }{
		{1000, 1}, {1000, 8}, {250, 8},
	} {
		n := benchImages(b, bc.images)
		b.Run(fmt.Sprintf("images=%d/parallel=%d", n, bc.parallel), func(b *testing.B) {
			b.SetBytes(int64(n) * benchImageSize)
			var peak peakMemory
			var last *archive.Result
			for b.Loop() {
				b.StopTimer()
				url, stop := benchServer(b, n)
				dir := b.TempDir()
				c := newClient(b, url)
				peak.start()
				b.StartTimer()
				res, err := archive.Sync(b.Context(), c, dir, all(bc.parallel))
				b.StopTimer()
				peak.stop()
				if err != nil || res.Saved != n {
					b.Fatalf("%+v, %v", res, err)
				}
				last = res
				stop()
				os.RemoveAll(dir)
				b.StartTimer()
			}
			b.ReportMetric(float64(n)/last.Elapsed.Seconds(), "images/s")
			b.ReportMetric(float64(last.ListTime.Milliseconds()), "list-ms")
			peak.report(b)
		})
	}
}

// BenchmarkResync is a second sync of an archive of 1,000 images: it
// lists the history (which the first sync's downloads have doubled), finds
// every image archived and requests nothing. list-ms is the part spent
// listing; the rest is comparing with the manifest and the files.
func BenchmarkResync(b *testing.B) {
	n := benchImages(b, 1000)
	url, stop := benchServer(b, n)
	defer stop()
	dir := b.TempDir()
	c := newClient(b, url)
	if res, err := archive.Sync(b.Context(), c, dir, all(8)); err != nil || res.Saved != n {
		b.Fatalf("first sync: %+v, %v", res, err)
	}
	var list, total time.Duration
	for b.Loop() {
		res, err := archive.Sync(b.Context(), c, dir, all(8))
		if err != nil || res.Skipped != n || res.DownloadRequests != 0 {
			b.Fatalf("%+v, %v", res, err)
		}
		list += res.ListTime
		total += res.Elapsed
	}
	b.ReportMetric(float64(list.Microseconds())/1000/float64(b.N), "list-ms")
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "sync-ms")
	b.ReportMetric(100*list.Seconds()/total.Seconds(), "list-%")
}

// benchServerEnv makes the test binary serve a fake for the benchmarks
// (TestBenchServer): the value is the number of images of its history.
const benchServerEnv = "GETTY_ARCHIVE_BENCH_SERVER"

// benchServer starts a fake with a history of n images, every request
// delayed by benchLatency, in a child process, and returns its URL and a
// function that stops it.
func benchServer(b *testing.B, n int) (url string, stop func()) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchServer$")
	cmd.Env = append(os.Environ(), benchServerEnv+"="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		b.Fatalf("the fake server did not start: %v", err)
	}
	return strings.TrimSpace(line), func() {
		in.Close()
		cmd.Wait()
	}
}

// TestBenchServer is the benchmarks' fake server, run in a child process:
// it prints its URL and serves until its standard input is closed.
func TestBenchServer(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv(benchServerEnv))
	if err != nil {
		t.Skip("the benchmarks' fake server (run by BenchmarkSync)")
	}
	srv := gettytest.NewServer(gettytest.WithDownloads(n), gettytest.WithImageSize(benchImageSize),
		gettytest.WithLatency("", benchLatency))
	defer srv.Close()
	fmt.Println(srv.URL)
	io.Copy(io.Discard, os.Stdin)
}

// peakMemory samples the heap while a sync runs, and reads the process's
// peak resident set size (reset before the run where Linux allows it).
type peakMemory struct {
	heap, rss uint64
	done      chan struct{}
	wg        sync.WaitGroup
}

func (p *peakMemory) start() {
	runtime.GC()
	// Writing 5 to clear_refs resets VmHWM, the peak RSS (Linux).
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	p.done = make(chan struct{})
	p.wg.Go(func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			p.heap = max(p.heap, s[0].Value.Uint64())
			select {
			case <-p.done:
				return
			case <-t.C:
			}
		}
	})
}

func (p *peakMemory) stop() {
	close(p.done)
	p.wg.Wait()
	p.rss = max(p.rss, vmHWM())
}

func (p *peakMemory) report(b *testing.B) {
	b.ReportMetric(float64(p.heap)/(1<<20), "peak-heap-MiB")
	if p.rss > 0 {
		b.ReportMetric(float64(p.rss)/(1<<20), "peak-rss-MiB")
	}
}

// vmHWM is the process's peak resident set size, 0 where unknown.
func vmHWM() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmHWM:")); ok {
			kb, _ := strconv.ParseUint(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte("kB")))), 10, 64)
			return kb << 10
		}
	}
	return 0
}
