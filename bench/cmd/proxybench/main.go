//go:build linux

// Command proxybench measures the validating proxy (`getty contract proxy`)
// side by side with Prism 5's validation proxy (`prism proxy --errors`),
// both validating against spec/openapi.yaml in front of `getty fake-server`
// on loopback, each in its own process, on the same traffic. It is what
// `make bench-prism` runs, from the module root, after bench/prism.sh has
// installed @stoplight/prism-cli 5 under bench/prism:
//
//	go run ./bench/cmd/proxybench [-prism bench/prism/node_modules/.bin/prism]
//
// The traffic is GET /v3/downloads?page_size=100 (a page of 100 items,
// about 49 KB) with the fake's demo credentials. Each round measures the
// fake alone, our proxy and Prism:
//
//   - latency with one client: -n sequential requests to each, on one
//     keep-alive connection each, taking the three in turn request by
//     request (so that load from the rest of the machine falls on all three
//     alike); the added latency is a proxy's p50 (p99) minus the fake's p50
//     (p99) in the same round, and its verdict is the median over rounds
//     (a difference of quantiles is not only ever raised by load). A plain
//     httputil.ReverseProxy in its own process (this command with
//     -plain-proxy), measured alike, separates the hop from the validation;
//   - throughput with -clients concurrent clients for -duration: pages per
//     second; the ratio is ours / Prism's in the same round.
//
// The figures are the best and the median over -rounds rounds (throughput
// verdicts on the best, as interference only slows a run down). Then the
// peak resident memory of our proxy's process streaming a 1 GiB image
// (read from its rusage) is compared with the same for a 64 MiB image.
//
// Without Prism (no executable at -prism) the Prism rows are reported
// missing, and our proxy is compared with the fake alone. With -strict the
// exit status is 1 when a target is missed or a figure is missing.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/gettytest"
)

func main() { os.Exit(proxybench()) }

var (
	prismBin = flag.String("prism", "bench/prism/node_modules/.bin/prism", "Prism 5 executable (bench/prism.sh installs it)")
	spec     = flag.String("spec", "spec/openapi.yaml", "the spec both proxies validate against")
	n        = flag.Int("n", 400, "sequential requests per target per round (one client)")
	clients  = flag.Int("clients", 8, "concurrent clients of the throughput figure")
	duration = flag.Duration("duration", 3*time.Second, "time per target per round of the throughput figure")
	rounds   = flag.Int("rounds", 3, "interleaved rounds (best and median reported)")
	size     = flag.Int64("size", 1<<30, "bytes of the image streamed through our proxy for peak memory")
	small    = flag.Int64("small", 64<<20, "bytes of the smaller image it is compared with")
	strict   = flag.Bool("strict", false, "exit with status 1 when a target is missed")
	plain    = flag.String("plain-proxy", "", "serve a plain httputil.ReverseProxy to `URL` on a loopback port (run by proxybench itself)")
)

// plainProxy is the hop without validation: the same net/http reverse proxy
// as the contract proxy's (a transport keeping 64 idle connections per
// host, flushing every write), no judging, in its own process.
func plainProxy(upstream string) error {
	u, err := url.Parse(upstream)
	if err != nil {
		return err
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.DisableCompression = true
	base.MaxIdleConnsPerHost = 64
	rp := &httputil.ReverseProxy{
		Rewrite:       func(pr *httputil.ProxyRequest) { pr.SetURL(u) },
		Transport:     base,
		FlushInterval: -1,
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("plain proxy listening on http://%s\n", ln.Addr())
	return http.Serve(ln, rp)
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, "proxybench: "+format+"\n", args...) }

func proxybench() int {
	flag.Parse()
	if *plain != "" {
		if err := plainProxy(*plain); err != nil {
			fmt.Fprintln(os.Stderr, "proxybench:", err)
			return 2
		}
		return 0
	}
	if err := runAll(); err != nil {
		fmt.Fprintln(os.Stderr, "proxybench:", err)
		return 2
	}
	if *strict && missed > 0 {
		return 1
	}
	return 0
}

var missed int

// child is a process started by the benchmark, with the URL it printed.
type child struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{} // closed when the process has been waited for
}

// start runs name with args and waits for a line of its output that match
// picks a URL from.
func start(ctx context.Context, match func(string) string, name string, args ...string) (*child, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	found := make(chan string, 1)
	var out strings.Builder
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			mu.Lock()
			if out.Len() < 1<<16 {
				out.WriteString(sc.Text() + "\n")
			}
			mu.Unlock()
			if u := match(sc.Text()); u != "" && !sent {
				found <- u
				sent = true
			}
		}
		io.Copy(io.Discard, pr)
	}()
	done := make(chan struct{})
	go func() { cmd.Wait(); pw.Close(); close(done) }()
	select {
	case u := <-found:
		return &child{cmd: cmd, url: u, done: done}, nil
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		mu.Lock()
		defer mu.Unlock()
		return nil, fmt.Errorf("%s printed no URL in 60 s:\n%s", name, out.String())
	}
}

// stop interrupts the child and waits for it.
func (c *child) stop() {
	c.cmd.Process.Signal(os.Interrupt)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill()
		<-c.done
	}
}

func urlAfter(prefix string) func(string) string {
	return func(line string) string {
		if _, rest, ok := strings.Cut(line, prefix); ok {
			return strings.TrimRight(strings.Fields(rest)[0], ",")
		}
		return ""
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// token gets a bearer token from the fake's token endpoint.
func token(base string) (string, error) {
	resp, err := http.PostForm(base+"/oauth2/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {gettytest.APIKey}, "client_secret": {gettytest.ClientSecret},
	})
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var t struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&t); err != nil || t.AccessToken == "" {
		return "", fmt.Errorf("token: %s: %v", resp.Status, err)
	}
	return t.AccessToken, nil
}

type target struct {
	name string
	base string
}

// get sends one page request and reads the body; it returns the body's
// length.
func get(hc *http.Client, base, tok string) (int64, error) {
	req, err := http.NewRequest(http.MethodGet, base+"/v3/downloads?page_size=100", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Api-Key", gettytest.APIKey)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s: %s", base, resp.Status)
	}
	return n, err
}

func newClient(conns int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = conns
	tr.DisableCompression = true
	return &http.Client{Transport: tr}
}

// latencies sends n sequential requests to each target, one client per
// target, taking the targets in turn request by request, so that load from
// the rest of the machine falls on all of them alike; it returns each
// target's durations, sorted.
func latencies(ts []target, tok string, n int) ([][]time.Duration, error) {
	hcs := make([]*http.Client, len(ts))
	for i := range ts {
		hcs[i] = newClient(1)
		defer hcs[i].CloseIdleConnections()
	}
	for range 20 { // warm up: the connections, the proxies' caches, V8's JIT
		for i, t := range ts {
			if _, err := get(hcs[i], t.base, tok); err != nil {
				return nil, fmt.Errorf("%s: %w", t.name, err)
			}
		}
	}
	ds := make([][]time.Duration, len(ts))
	for range n {
		for i, t := range ts {
			start := time.Now()
			if _, err := get(hcs[i], t.base, tok); err != nil {
				return nil, fmt.Errorf("%s: %w", t.name, err)
			}
			ds[i] = append(ds[i], time.Since(start))
		}
	}
	for _, d := range ds {
		slices.Sort(d)
	}
	return ds, nil
}

func pct(ds []time.Duration, p float64) time.Duration {
	i := int(p*float64(len(ds))+0.5) - 1
	return ds[max(0, min(len(ds)-1, i))]
}

// throughput runs c clients for d and returns pages per second.
func throughput(t target, tok string, c int, d time.Duration) (float64, error) {
	hc := newClient(c)
	defer hc.CloseIdleConnections()
	for range c {
		if _, err := get(hc, t.base, tok); err != nil {
			return 0, err
		}
	}
	var count atomic.Int64
	var firstErr atomic.Value
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Go(func() {
			for time.Now().Before(stop) {
				if _, err := get(hc, t.base, tok); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				count.Add(1)
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	if err, _ := firstErr.Load().(error); err != nil {
		return 0, err
	}
	return float64(count.Load()) / el.Seconds(), nil
}

type roundResult struct {
	p50, p99 map[string]time.Duration
	rate     map[string]float64
}

func runAll() error {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "proxybench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "getty")
	logf("building the getty command")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/getty").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}

	fake, err := start(ctx, urlAfter("listening on "), bin, "fake-server", "--quota", "0")
	if err != nil {
		return fmt.Errorf("fake-server: %w", err)
	}
	defer fake.stop()
	ours, err := start(ctx, urlAfter("listening on "), bin, "contract", "proxy", "--upstream", fake.url)
	if err != nil {
		return fmt.Errorf("contract proxy: %w", err)
	}
	defer ours.stop()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	hop, err := start(ctx, urlAfter("listening on "), self, "-plain-proxy", fake.url)
	if err != nil {
		return fmt.Errorf("plain proxy: %w", err)
	}
	defer hop.stop()
	targets := []target{{"fake", fake.url}, {"plain", hop.url}, {"ours", ours.url}}

	prismVersion := ""
	if _, err := os.Stat(*prismBin); err != nil {
		logf("no Prism at %s (run bench/prism.sh): measuring our proxy against the fake alone", *prismBin)
	} else {
		if out, err := exec.Command(*prismBin, "--version").Output(); err == nil {
			prismVersion = strings.TrimSpace(string(out))
		}
		port, err := freePort()
		if err != nil {
			return err
		}
		// --errors: a violation of the spec in the request or the response
		// becomes an error answer, so Prism validates every exchange.
		prism, err := start(ctx, func(line string) string {
			if strings.Contains(line, "Prism is listening on") {
				return "http://127.0.0.1:" + strconv.Itoa(port)
			}
			return ""
		}, *prismBin, "proxy", *spec, fake.url, "--errors", "--host", "127.0.0.1", "--port", strconv.Itoa(port))
		if err != nil {
			return fmt.Errorf("prism: %w", err)
		}
		defer prism.stop()
		targets = append(targets, target{"prism", prism.url})
	}

	tok, err := token(fake.url)
	if err != nil {
		return err
	}
	var pageBytes int64
	for _, t := range targets {
		b, err := get(newClient(1), t.base, tok)
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		pageBytes = b
	}

	var rs []roundResult
	for i := range *rounds {
		r := roundResult{map[string]time.Duration{}, map[string]time.Duration{}, map[string]float64{}}
		ds, err := latencies(targets, tok, *n)
		if err != nil {
			return err
		}
		for i, t := range targets {
			r.p50[t.name], r.p99[t.name] = pct(ds[i], 0.50), pct(ds[i], 0.99)
		}
		for _, t := range targets {
			v, err := throughput(t, tok, *clients, *duration)
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			r.rate[t.name] = v
		}
		logf("round %d: p50 %v, p99 %v, pages/s %v", i+1, r.p50, r.p99, fmtRates(r.rate))
		rs = append(rs, r)
	}

	logf("peak memory of our proxy streaming %s and %s", mib(*small), mib(*size))
	rssSmall, err := proxyRSS(ctx, bin, *small)
	if err != nil {
		return err
	}
	rssLarge, err := proxyRSS(ctx, bin, *size)
	if err != nil {
		return err
	}

	// The table.
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Proxy figures: GET /v3/downloads?page_size=100 (%d bytes), %d rounds; Prism %s\n\n", pageBytes, len(rs), orNone(prismVersion))
	fmt.Fprintln(tw, "Figure\tBest\tMedian\tGoal\tResult")
	fmt.Fprintln(tw, "------\t----\t------\t----\t------")
	added := func(name string, p map[string]time.Duration, r roundResult) float64 {
		return float64(p[name]-p["fake"]) / 1e6
	}
	has := func(name string) bool { _, ok := rs[0].p50[name]; return ok }
	lat := func(label, name string, pick func(roundResult) map[string]time.Duration, goal float64) {
		if !has(name) {
			fmt.Fprintf(tw, "%s\tmissing\t-\t%s\tFAIL\n", label, goalStr(goal, "≤ %.2f ms"))
			if goal > 0 {
				missed++
			}
			return
		}
		var vs []float64
		for _, r := range rs {
			vs = append(vs, added(name, pick(r), r))
		}
		// A difference of two quantiles is not only slowed by load: it
		// can fall below its true value too. The verdict is the median's.
		best, med := minOf(vs), median(vs)
		res := "-"
		if goal > 0 {
			res = verdict(med <= goal)
			if med > goal {
				missed++
			}
		}
		fmt.Fprintf(tw, "%s\t%.3f ms\t%.3f ms\t%s\t%s\n", label, best, med, goalStr(goal, "≤ %.2f ms"), res)
	}
	p50 := func(r roundResult) map[string]time.Duration { return r.p50 }
	p99 := func(r roundResult) map[string]time.Duration { return r.p99 }
	lat("1 client: added p50, plain reverse proxy − fake", "plain", p50, 0)
	lat("1 client: added p99, plain reverse proxy − fake", "plain", p99, 0)
	lat("1 client: added p50, ours − fake", "ours", p50, 0)
	lat("1 client: added p99, ours − fake", "ours", p99, 1)
	lat("1 client: added p50, Prism − fake", "prism", p50, 0)
	lat("1 client: added p99, Prism − fake", "prism", p99, 0)
	var fakeP50 []float64
	for _, r := range rs {
		fakeP50 = append(fakeP50, float64(r.p50["fake"])/1e6)
	}
	fmt.Fprintf(tw, "1 client: fake alone p50 (reference)\t%.3f ms\t%.3f ms\t-\t-\n", minOf(fakeP50), median(fakeP50))
	ratio := func(label, a, b string, goal float64) {
		if !has(a) || !has(b) {
			fmt.Fprintf(tw, "%s\tmissing\t-\t%s\tFAIL\n", label, goalStr(goal, "≥ %.2f"))
			if goal > 0 {
				missed++
			}
			return
		}
		var vs []float64
		for _, r := range rs {
			vs = append(vs, r.rate[a]/r.rate[b])
		}
		best, med := maxOf(vs), median(vs)
		res := "-"
		if goal > 0 {
			res = verdict(best >= goal)
			if best < goal {
				missed++
			}
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%s\t%s\n", label, best, med, goalStr(goal, "≥ %.2f"), res)
	}
	ratio(fmt.Sprintf("%d clients: throughput ours / Prism", *clients), "ours", "prism", 5)
	ratio(fmt.Sprintf("%d clients: throughput ours / fake alone", *clients), "ours", "fake", 0)
	ratio(fmt.Sprintf("%d clients: throughput ours / plain reverse proxy", *clients), "ours", "plain", 0)
	ratio(fmt.Sprintf("%d clients: throughput Prism / fake alone", *clients), "prism", "fake", 0)
	for _, name := range []string{"fake", "plain", "ours", "prism"} {
		if !has(name) {
			continue
		}
		var vs []float64
		for _, r := range rs {
			vs = append(vs, r.rate[name])
		}
		fmt.Fprintf(tw, "%d clients: %s pages/s (reference)\t%.0f\t%.0f\t-\t-\n", *clients, name, maxOf(vs), median(vs))
	}
	rr := float64(rssLarge) / float64(rssSmall)
	fmt.Fprintf(tw, "peak RSS of our proxy, %s / %s image\t%s / %s = %.2f\t-\t≤ 1.10\t%s\n", mib(*size), mib(*small), mib(rssLarge), mib(rssSmall), rr, verdict(rr <= 1.10))
	if rr > 1.10 {
		missed++
	}
	tw.Flush()
	fmt.Printf("\n%d targets missed\n", missed)
	return nil
}

// proxyRSS starts `getty contract proxy` in front of an in-process fake
// serving a size-byte image, streams the image through it into io.Discard,
// stops it and returns its peak resident memory in bytes.
func proxyRSS(ctx context.Context, bin string, size int64) (int64, error) {
	fake := gettytest.NewServer(gettytest.WithImageSize(size))
	defer fake.Close()
	p, err := start(ctx, urlAfter("listening on "), bin, "contract", "proxy", "--upstream", fake.URL)
	if err != nil {
		return 0, err
	}
	resp, err := http.Get(p.url + fake.DownloadURI(gettytest.ImageID, getty.FileTypeJPG))
	if err != nil {
		p.stop()
		return 0, err
	}
	got, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	p.stop()
	if err != nil || got != size || resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("through the proxy: %s, %d of %d bytes: %v", resp.Status, got, size, err)
	}
	ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, errors.New("no rusage for the proxy's process")
	}
	return ru.Maxrss * 1024, nil // Linux: KiB
}

func fmtRates(m map[string]float64) string {
	var parts []string
	for _, k := range []string{"fake", "plain", "ours", "prism"} {
		if v, ok := m[k]; ok {
			parts = append(parts, fmt.Sprintf("%s %.0f", k, v))
		}
	}
	return strings.Join(parts, ", ")
}

func goalStr(goal float64, format string) string {
	if goal == 0 {
		return "reported"
	}
	return fmt.Sprintf(format, goal)
}

func verdict(ok bool) string {
	if ok {
		return "pass"
	}
	return "FAIL"
}

func orNone(s string) string {
	if s == "" {
		return "not installed"
	}
	return s
}

func minOf(vs []float64) float64 { return slices.Min(vs) }
func maxOf(vs []float64) float64 { return slices.Max(vs) }
func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func mib(n int64) string {
	if n >= 1<<30 && n%(1<<30) == 0 {
		return fmt.Sprintf("%d GiB", n>>30)
	}
	return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
}
