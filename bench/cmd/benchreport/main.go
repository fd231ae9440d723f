// Command benchreport runs the benchmarks of package bench and measures
// process-level figures, then prints one table of ratios against their
// targets. It is what `make bench` runs, from the module root:
//
//	go run ./bench/cmd/benchreport
//
// It runs, in order:
//
//   - the Go benchmarks: go test -run '^$' -bench . -benchmem ./bench/...
//     (each -count times; the best time or throughput of the runs is used,
//     the median of other figures);
//   - the tests of package bench, which assert what timing cannot: identical
//     listing results in the same order, the concurrency bound, slowing down
//     when the server throttles;
//   - streaming a large image (1 GiB by default) from a fake server started
//     in this process, through the client and with a plain copy through a
//     buffer of the client's size (bench.RawSave), best of -runs each;
//   - the peak resident memory of the getty command downloading that image
//     and a 64 MiB one, read from the child process's rusage;
//   - the proxy figures (section 6; package bench/proxyfig, Linux only):
//     `getty contract proxy`, a plain reverse proxy and Prism 5 (`prism
//     proxy --errors`, installed under bench/prism by bench/prism.sh, `make
//     prism`) in front of `getty fake-server`: added p50 and p99 latency
//     with one client, throughput with 8 clients, and the proxy's peak
//     resident memory streaming the large image and the 64 MiB one, over
//     -proxy-rounds rounds; -proxy=false leaves them out. Without Prism its
//     rows are missing, and those with a goal count as missed;
//   - the time of a warm `go generate ./...`.
//
// The plain reverse proxy of section 6 runs in a process of its own:
// benchreport starts itself again (os.Executable) with -plain-proxy URL,
// which serves proxyfig.ServePlainProxy instead of measuring.
//
// Temporary files go to a temporary directory, removed at the end. The exit
// status is 0 unless a step fails to run, or -strict is given and a target
// is missed (a missing figure with a goal included).
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/bench"
	"github.com/gettykit/getty/bench/proxyfig"
	"github.com/gettykit/getty/gettytest"
)

func main() { os.Exit(benchreport()) }

// errExit ends a run that could not measure something.
type errExit struct{ err error }

// benchreport runs everything and returns the exit status; the deferred
// removal of the temporary directory runs first.
func benchreport() (status int) {
	var (
		count     = flag.Int("count", 3, "runs of each Go benchmark (the best time or throughput is used)")
		benchtime = flag.String("benchtime", "1s", "-benchtime of the Go benchmarks")
		size      = flag.Int64("size", 1<<30, "bytes of the image streamed, downloaded by the command and streamed through the proxy")
		small     = flag.Int64("small", 64<<20, "bytes of the smaller image downloaded by the command and streamed through the proxy")
		runs      = flag.Int("runs", 3, "runs of each side of the in-process streaming comparison (the best is used)")
		strict    = flag.Bool("strict", false, "exit with status 1 when a target is missed")
		proxy     = flag.Bool("proxy", true, "measure the proxy figures (section 6)")
		pd        = proxyfig.DefaultOptions()
		prism     = flag.String("prism", pd.Prism, "Prism 5 executable for the proxy figures (bench/prism.sh installs it)")
		pRounds   = flag.Int("proxy-rounds", pd.Rounds, "rounds of the proxy figures (latency verdict on the median, throughput on the best)")
		pDuration = flag.Duration("proxy-duration", pd.Duration, "time per target per round of the proxy throughput figure")
		plain     = flag.String(proxyfig.PlainProxyFlag, "", "serve the plain reverse proxy to `URL` instead of measuring (run by benchreport itself)")
	)
	flag.Parse()
	if *plain != "" {
		if err := proxyfig.ServePlainProxy(*plain); err != nil {
			fmt.Fprintln(os.Stderr, "benchreport:", err)
			return 2
		}
		return 0
	}
	log := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "benchreport: "+format+"\n", args...) }
	fail := func(err error) { panic(errExit{err}) }
	defer func() {
		r := recover()
		if e, ok := r.(errExit); ok {
			fmt.Fprintln(os.Stderr, "benchreport:", e.err)
			status = 2
		} else if r != nil {
			panic(r)
		}
	}()

	tmp, err := os.MkdirTemp("", "benchreport-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(tmp)
	ctx := context.Background()

	var rep report

	log("Go benchmarks (-count %d, -benchtime %s)", *count, *benchtime)
	out, err := run(ctx, os.Stderr, "go", "test", "-run", "^$", "-bench", ".", "-benchmem",
		"-count", strconv.Itoa(*count), "-benchtime", *benchtime, "./bench/...")
	if err != nil {
		fail(fmt.Errorf("go benchmarks: %w", err))
	}
	res := parseBench(out)
	rep.benchRows(res)

	log("tests of package bench")
	out, err = run(ctx, io.Discard, "go", "test", "-count", "1", "-v", "-run", "^Test", "./bench/...")
	tests := parseTests(out)
	if err != nil && len(tests) == 0 {
		fail(fmt.Errorf("tests: %w\n%s", err, out))
	}
	rep.testRows(tests)

	log("streaming %s in process, best of %d", mib(*size), *runs)
	st, err := streaming(ctx, tmp, *size, *runs)
	if err != nil {
		fail(fmt.Errorf("streaming: %w", err))
	}
	rep.streamRows(*size, st)

	log("peak memory of the getty command")
	bin := filepath.Join(tmp, "getty")
	if _, err := run(ctx, io.Discard, "go", "build", "-o", bin, "./cmd/getty"); err != nil {
		fail(fmt.Errorf("building the command: %w", err))
	}
	rssSmall, err := peakRSS(ctx, bin, tmp, *small)
	if err != nil {
		fail(fmt.Errorf("command, %s: %w", mib(*small), err))
	}
	rssLarge, err := peakRSS(ctx, bin, tmp, *size)
	if err != nil {
		fail(fmt.Errorf("command, %s: %w", mib(*size), err))
	}
	rep.rssRows(*size, *small, rssLarge, rssSmall)

	if *proxy {
		log("proxy figures: our proxy, a plain reverse proxy and Prism in front of getty fake-server (rounds: %d)", *pRounds)
		self, err := os.Executable()
		if err != nil {
			fail(fmt.Errorf("proxy figures: %w", err))
		}
		res, err := proxyfig.Run(ctx, proxyfig.Options{
			Getty:      bin,
			PlainProxy: []string{self, "-" + proxyfig.PlainProxyFlag},
			Prism:      *prism,
			Rounds:     *pRounds,
			Duration:   *pDuration,
			Size:       *size,
			Small:      *small,
			Log:        log,
		})
		switch {
		case errors.Is(err, errors.ErrUnsupported):
			log("%v: the proxy rows are missing", err)
		case err != nil:
			fail(fmt.Errorf("proxy figures: %w", err))
		}
		rep.proxyRows(res)
	} else {
		log("proxy figures left out (-proxy=false)")
	}

	log("warm go generate ./...")
	gen, err := generateTime(ctx)
	if err != nil {
		fail(fmt.Errorf("go generate: %w", err))
	}
	rep.add(row{target: "5. warm `go generate ./...`", measured: gen.Round(time.Millisecond).String(), goal: "reported", result: "-"})

	rep.print(os.Stdout)
	if *strict && rep.missed > 0 {
		return 1
	}
	return 0
}

// run runs a command, copying its standard output to echo as it comes, and
// returns that output (standard error included).
func run(ctx context.Context, echo io.Writer, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var buf bytes.Buffer
	cmd.Stdout = io.MultiWriter(&buf, echo)
	cmd.Stderr = io.MultiWriter(&buf, os.Stderr)
	err := cmd.Run()
	return buf.String(), err
}

// benchResult holds the samples of each figure of each benchmark, by name
// without the GOMAXPROCS suffix, then by unit.
type benchResult map[string]map[string][]float64

// parseBench reads `go test -bench` output: a name, the iteration count,
// then value-unit pairs.
func parseBench(out string) benchResult {
	res := benchResult{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := f[0]
		if i := strings.LastIndex(name, "-"); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		if res[name] == nil {
			res[name] = map[string][]float64{}
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			res[name][f[i+1]] = append(res[name][f[i+1]], v)
		}
	}
	return res
}

// get returns a figure over the runs, and whether there is one: the best
// time (ns/op) or throughput (MB/s), since interference from the rest of
// the machine only ever slows a run down, and the median of anything else
// (allocations, reported metrics).
func (r benchResult) get(name, unit string) (float64, bool) {
	vs := slices.Clone(r[name][unit])
	if len(vs) == 0 {
		return 0, false
	}
	slices.Sort(vs)
	switch unit {
	case "ns/op":
		return vs[0], true
	case "MB/s":
		return vs[len(vs)-1], true
	}
	if len(vs)%2 == 1 {
		return vs[len(vs)/2], true
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2, true
}

// parseTests reads `go test -v` output into pass (true) or fail by test.
func parseTests(out string) map[string]bool {
	res := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		for prefix, ok := range map[string]bool{"--- PASS: ": true, "--- FAIL: ": false} {
			if rest, found := strings.CutPrefix(line, prefix); found {
				res[strings.Fields(rest)[0]] = ok
			}
		}
	}
	return res
}

type streamResult struct {
	client, clientStream, raw, rawSync float64 // bytes per second
}

// streaming downloads a size-byte image from a fake server in this process
// through the client's SaveImage and SaveImageTo, and with a raw GET of the
// same delivery URL copied through a buffer of the client's size
// (bench.RawSave, without and with a sync), runs times each, interleaved,
// and keeps the best throughput of each. SaveImage, which syncs, is compared
// with the copy that syncs; SaveImageTo into a file, which does not, with
// the copy that does not.
func streaming(ctx context.Context, dir string, size int64, runs int) (streamResult, error) {
	fake := gettytest.NewServer(gettytest.WithImageSize(size))
	defer fake.Close()
	c, err := getty.New(fake.ClientOptions()...)
	if err != nil {
		return streamResult{}, err
	}
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	url := fake.URL + fake.DownloadURI(gettytest.ImageID, getty.FileTypeJPG)
	path := filepath.Join(dir, "image.jpg")

	sides := []struct {
		best *float64
		save func() (int64, error)
	}{
		{nil, func() (int64, error) {
			s, err := c.SaveImage(ctx, gettytest.ImageID, path, nil)
			if err != nil {
				return 0, err
			}
			return s.Size, nil
		}},
		{nil, func() (int64, error) {
			f, err := os.Create(path)
			if err != nil {
				return 0, err
			}
			s, err := c.SaveImageTo(ctx, gettytest.ImageID, f, nil)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return 0, err
			}
			return s.Size, nil
		}},
		{nil, func() (int64, error) { return bench.RawSave(hc, url, path, false) }},
		{nil, func() (int64, error) { return bench.RawSave(hc, url, path, true) }},
	}
	var r streamResult
	sides[0].best, sides[1].best, sides[2].best, sides[3].best = &r.client, &r.clientStream, &r.raw, &r.rawSync
	for range runs {
		for _, s := range sides {
			start := time.Now()
			n, err := s.save()
			d := time.Since(start)
			if err != nil {
				return r, err
			}
			if n != size {
				return r, fmt.Errorf("%d bytes saved, want %d", n, size)
			}
			if err := os.Remove(path); err != nil {
				return r, err
			}
			*s.best = max(*s.best, float64(size)/d.Seconds())
		}
	}
	return r, nil
}

// peakRSS runs `getty download` against a fake server in this process
// serving a size-byte image and returns the child's peak resident memory
// in bytes.
func peakRSS(ctx context.Context, bin, tmp string, size int64) (int64, error) {
	fake := gettytest.NewServer(gettytest.WithImageSize(size))
	defer fake.Close()
	dir, err := os.MkdirTemp(tmp, "download-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	cmd := exec.CommandContext(ctx, bin, "download", "--dir", dir, gettytest.ImageID)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GETTY_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"GETTY_BASE_URL="+fake.URL,
		"GETTY_TOKEN_URL="+fake.URL+"/oauth2/token",
		"GETTY_API_KEY="+gettytest.APIKey,
		"GETTY_API_SECRET="+gettytest.ClientSecret,
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%w\n%s", err, out.String())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	if len(entries) != 1 {
		return 0, fmt.Errorf("%d files saved, want 1\n%s", len(entries), out.String())
	}
	if fi, err := entries[0].Info(); err != nil || fi.Size() != size {
		return 0, fmt.Errorf("saved file: %v, %v bytes, want %d", err, fi.Size(), size)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, errors.New("no rusage for the child process on " + runtime.GOOS)
	}
	rss := ru.Maxrss
	if runtime.GOOS != "darwin" { // Linux and the BSDs count KiB; macOS bytes
		rss *= 1024
	}
	return rss, nil
}

// generateTime runs go generate once to warm the caches, then again, timed.
func generateTime(ctx context.Context) (time.Duration, error) {
	if _, err := run(ctx, io.Discard, "go", "generate", "./..."); err != nil {
		return 0, err
	}
	start := time.Now()
	if _, err := run(ctx, io.Discard, "go", "generate", "./..."); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func mib(n int64) string {
	if n >= 1<<30 && n%(1<<30) == 0 {
		return fmt.Sprintf("%d GiB", n>>30)
	}
	return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
}

type row struct {
	target   string
	measured string
	ratio    string
	goal     string
	result   string
}

type report struct {
	rows         []row
	met, missed  int
	missingBench []string
	notes        []string // printed under the table
}

func (r *report) add(rw row) {
	switch rw.result {
	case "pass":
		r.met++
	case "FAIL":
		r.missed++
	}
	r.rows = append(r.rows, rw)
}

func verdict(ok bool) string {
	if ok {
		return "pass"
	}
	return "FAIL"
}

// ratioRow adds a row for ratio = a/b against goal (at most when atMost).
func (r *report) ratioRow(target, measured string, ratio, goal float64, atMost bool) {
	ok := ratio >= goal
	op := "≥"
	if atMost {
		ok, op = ratio <= goal, "≤"
	}
	r.add(row{target: target, measured: measured, ratio: fmt.Sprintf("%.2f", ratio), goal: fmt.Sprintf("%s %.2f", op, goal), result: verdict(ok)})
}

func (r *report) need(res benchResult, name, unit string) (float64, bool) {
	v, ok := res.get(name, unit)
	if !ok {
		r.missingBench = append(r.missingBench, name+" "+unit)
	}
	return v, ok
}

func ms(ns float64) string { return fmt.Sprintf("%.3f ms", ns/1e6) }

func (r *report) benchRows(res benchResult) {
	const call = "BenchmarkCallOverhead/"
	if c, ok1 := r.need(res, call+"client", "ns/op"); ok1 {
		if b, ok2 := r.need(res, call+"baseline", "ns/op"); ok2 {
			r.ratioRow("1. list 100: time, client / net/http+json", ms(c)+" / "+ms(b), c/b, 1.15, true)
		}
	}
	if c, ok1 := r.need(res, call+"client", "allocs/op"); ok1 {
		if b, ok2 := r.need(res, call+"baseline", "allocs/op"); ok2 {
			r.ratioRow("1. list 100: allocs, client / net/http+json", fmt.Sprintf("%.0f / %.0f", c, b), c/b, 1.3, true)
		}
	}

	const save = "BenchmarkSaveImage/"
	size, _ := res.get(save+"client", "MiB-image")
	name := fmt.Sprintf("2. stream %.0f MiB (Go bench): ", size)
	if c, ok1 := r.need(res, save+"client", "MB/s"); ok1 {
		// SaveImage syncs the file before it renames it into place: it is
		// compared with a copy that syncs too, never with one that does not.
		if b, ok2 := r.need(res, save+"baseline-sync", "MB/s"); ok2 {
			r.ratioRow(name+"SaveImage / copy+fsync", fmt.Sprintf("%.0f / %.0f MB/s", c, b), c/b, 0.95, false)
		}
	}
	if c, ok1 := r.need(res, save+"client-stream", "MB/s"); ok1 {
		if b, ok2 := r.need(res, save+"baseline", "MB/s"); ok2 {
			r.ratioRow(name+"SaveImageTo(file) / copy", fmt.Sprintf("%.0f / %.0f MB/s", c, b), c/b, 0.95, false)
		}
	}
	if c, ok1 := r.need(res, save+"client-discard", "MB/s"); ok1 {
		if b, ok2 := r.need(res, save+"baseline-discard", "MB/s"); ok2 {
			r.ratioRow(name+"SaveImageTo(io.Discard) / copy to io.Discard", fmt.Sprintf("%.0f / %.0f MB/s", c, b), c/b, 0.95, false)
		}
	}

	const val = "BenchmarkValidation/"
	t, ok1 := r.need(res, val+"transport", "ns/op")
	raw, ok2 := r.need(res, val+"raw", "ns/op")
	dec, ok3 := r.need(res, val+"decode", "ns/op")
	if ok1 && ok2 && ok3 {
		r.ratioRow("3. validation added / JSON decode (100-item page)", ms(t-raw)+" / "+ms(dec), (t-raw)/dec, 1.5, true)
	}
	const pass = "BenchmarkPassThrough/"
	if c, ok1 := r.need(res, pass+"transport", "MB/s"); ok1 {
		if b, ok2 := r.need(res, pass+"raw", "MB/s"); ok2 {
			r.ratioRow("3. binary pass-through: transport / raw", fmt.Sprintf("%.0f / %.0f MB/s", c, b), c/b, 0.95, false)
		}
	}

	const list = "BenchmarkListAll/"
	seq, ok1 := r.need(res, list+"sequential", "ns/op")
	pre, ok2 := r.need(res, list+"prefetch=8", "ns/op")
	if ok1 && ok2 {
		r.ratioRow("4. list 10,000 (20 ms/page): sequential / prefetch 8", ms(seq)+" / "+ms(pre), seq/pre, 4, false)
	}
	if m, ok := r.need(res, list+"prefetch=8", "max-in-flight"); ok {
		r.add(row{target: "4. max listing requests in flight at the server, prefetch 8", measured: fmt.Sprintf("%.0f", m), goal: "≤ 8", result: verdict(m <= 8)})
	}
	if tp, ok := r.need(res, "BenchmarkListThrottled", "throttled/page"); ok {
		r.add(row{target: "4. throttled answers per page (server admits 2; a fixed window of 8 gets ~3)", measured: fmt.Sprintf("%.2f", tp), goal: "< 1", result: verdict(tp < 1)})
	}
}

func (r *report) testRows(tests map[string]bool) {
	for _, t := range []struct{ name, target string }{
		{"TestListingPrefetchSameResultsInOrder", "4. prefetch yields the sequential results, same order (test)"},
		{"TestListingPrefetchNeverExceedsBound", "4. never more requests in flight than the bound (test)"},
		{"TestListingPrefetchSlowsDownWhenThrottled", "4. slows down when the server throttles (test)"},
	} {
		ok, ran := tests[t.name]
		measured := "passed"
		switch {
		case !ran:
			measured = "did not run"
		case !ok:
			measured = "failed"
		}
		r.add(row{target: t.target, measured: measured, goal: "passes", result: verdict(ok && ran)})
	}
	var failed []string
	for name, ok := range tests {
		if !ok && !strings.Contains(name, "/") {
			failed = append(failed, name)
		}
	}
	slices.Sort(failed)
	res := "pass"
	if len(failed) > 0 {
		res = "FAIL"
	}
	r.add(row{target: "4. all tests of package bench", measured: fmt.Sprintf("%d failed %s", len(failed), strings.Join(failed, " ")), goal: "none fail", result: res})
}

func (r *report) streamRows(size int64, s streamResult) {
	mbs := func(v float64) string { return fmt.Sprintf("%.0f", v/1e6) }
	name := mib(size)
	r.ratioRow("2. stream "+name+": SaveImage / copy+fsync", mbs(s.client)+" / "+mbs(s.rawSync)+" MB/s", s.client/s.rawSync, 0.95, false)
	r.ratioRow("2. stream "+name+": SaveImageTo(file) / copy", mbs(s.clientStream)+" / "+mbs(s.raw)+" MB/s", s.clientStream/s.raw, 0.95, false)
}

func (r *report) rssRows(large, small, rssLarge, rssSmall int64) {
	r.add(row{target: "2. peak RSS, getty download " + mib(large), measured: mib(rssLarge), goal: "≤ 40 MiB", result: verdict(rssLarge <= 40<<20)})
	r.ratioRow("2. peak RSS, "+mib(large)+" / "+mib(small), mib(rssLarge)+" / "+mib(rssSmall), float64(rssLarge)/float64(rssSmall), 1.10, true)
}

func (r *report) print(w io.Writer) {
	for _, m := range r.missingBench {
		r.add(row{target: "missing benchmark figure", measured: m, goal: "present", result: "FAIL"})
	}
	// By target number; rows of the same target keep their order.
	slices.SortStableFunc(r.rows, func(a, b row) int { return strings.Compare(a.target[:1], b.target[:1]) })
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Target\tMeasured\tRatio\tGoal\tResult")
	fmt.Fprintln(tw, "------\t--------\t-----\t----\t------")
	for _, rw := range r.rows {
		ratio := rw.ratio
		if ratio == "" {
			ratio = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", rw.target, rw.measured, ratio, rw.goal, rw.result)
	}
	tw.Flush()
	if len(r.notes) > 0 {
		fmt.Fprintln(w)
	}
	for _, n := range r.notes {
		fmt.Fprintln(w, n)
	}
	fmt.Fprintf(w, "\n%d targets met, %d missed\n", r.met, r.missed)
}
