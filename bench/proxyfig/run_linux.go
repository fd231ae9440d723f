//go:build linux

package proxyfig

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
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
	"time"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/gettytest"
)

// Run measures the figures, from the module root (it builds ./cmd/getty
// unless opts.Getty names a command, and Prism reads opts.Spec); see the
// package documentation. It returns an error if a process cannot be
// started or a request fails; Prism's absence is not one (its figures are
// missing, and Result.PrismVersion empty).
func Run(ctx context.Context, opts Options) (Result, error) {
	opts = opts.withDefaults()
	res := Result{Options: opts}
	logf := opts.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if len(opts.PlainProxy) == 0 {
		return res, errors.New("proxyfig: Options.PlainProxy is required")
	}
	bin := opts.Getty
	if bin == "" {
		tmp, err := os.MkdirTemp("", "proxyfig-")
		if err != nil {
			return res, err
		}
		defer os.RemoveAll(tmp)
		bin = filepath.Join(tmp, "getty")
		logf("building the getty command")
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/getty").CombinedOutput(); err != nil {
			return res, fmt.Errorf("go build: %v\n%s", err, out)
		}
	}

	fake, err := start(ctx, urlAfter("listening on "), bin, "fake-server", "--quota", "0")
	if err != nil {
		return res, fmt.Errorf("fake-server: %w", err)
	}
	defer fake.stop()
	ours, err := start(ctx, urlAfter("listening on "), bin, "contract", "proxy", "--upstream", fake.url)
	if err != nil {
		return res, fmt.Errorf("contract proxy: %w", err)
	}
	defer ours.stop()
	hop, err := start(ctx, urlAfter("listening on "), opts.PlainProxy[0], append(opts.PlainProxy[1:], fake.url)...)
	if err != nil {
		return res, fmt.Errorf("plain proxy: %w", err)
	}
	defer hop.stop()
	targets := []target{{Fake, fake.url}, {Plain, hop.url}, {Ours, ours.url}}

	if _, err := os.Stat(opts.Prism); err != nil {
		logf("no Prism at %s (install it with bench/prism.sh, make prism): its figures are missing", opts.Prism)
	} else {
		version := "(version unknown)"
		if out, err := exec.CommandContext(ctx, opts.Prism, "--version").Output(); err == nil {
			version = strings.TrimSpace(string(out))
		}
		port, err := freePort()
		if err != nil {
			return res, err
		}
		// --errors: a violation of the spec in the request or the response
		// becomes an error answer, so Prism validates every exchange.
		prism, err := start(ctx, func(line string) string {
			if strings.Contains(line, "Prism is listening on") {
				return "http://127.0.0.1:" + strconv.Itoa(port)
			}
			return ""
		}, opts.Prism, "proxy", opts.Spec, fake.url, "--errors", "--host", "127.0.0.1", "--port", strconv.Itoa(port))
		if err != nil {
			return res, fmt.Errorf("prism: %w", err)
		}
		defer prism.stop()
		res.PrismVersion = version
		targets = append(targets, target{Prism, prism.url})
	}

	tok, err := token(fake.url)
	if err != nil {
		return res, err
	}
	for _, t := range targets {
		b, err := get(newClient(1), t.base, tok)
		if err != nil {
			return res, fmt.Errorf("%s: %w", t.name, err)
		}
		res.PageBytes = b
	}

	for i := range opts.Rounds {
		r := Round{map[string]time.Duration{}, map[string]time.Duration{}, map[string]float64{}}
		ds, err := latencies(targets, tok, opts.Requests)
		if err != nil {
			return res, err
		}
		for i, t := range targets {
			r.P50[t.name], r.P99[t.name] = pct(ds[i], 0.50), pct(ds[i], 0.99)
		}
		for _, t := range targets {
			v, err := throughput(t, tok, opts.Clients, opts.Duration)
			if err != nil {
				return res, fmt.Errorf("%s: %w", t.name, err)
			}
			r.Rate[t.name] = v
		}
		logf("proxy round %d of %d: p50 %s; p99 %s; pages/s %s", i+1, opts.Rounds, fmtDurations(r.P50), fmtDurations(r.P99), fmtRates(r.Rate))
		res.Rounds = append(res.Rounds, r)
	}

	logf("peak memory of our proxy streaming %s and %s", mib(opts.Small), mib(opts.Size))
	if res.RSSSmall, err = proxyRSS(ctx, bin, opts.Small); err != nil {
		return res, err
	}
	if res.RSSLarge, err = proxyRSS(ctx, bin, opts.Size); err != nil {
		return res, err
	}
	return res, nil
}

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
	case <-done:
		select {
		case u := <-found: // the URL, then the exit
			return &child{cmd: cmd, url: u, done: done}, nil
		default:
		}
		mu.Lock()
		defer mu.Unlock()
		return nil, fmt.Errorf("%s exited before it printed a URL (%v):\n%s", name, cmd.ProcessState, out.String())
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
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
			if f := strings.Fields(rest); len(f) > 0 {
				return strings.TrimRight(f[0], ",")
			}
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
// target, taking the targets in turn request by request, in another order
// each turn, so that load from the rest of the machine falls on all of them
// alike; it returns each target's durations, sorted.
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
	// Each turn takes the targets in another order, the same in every run:
	// what a process does after answering (a proxy judging, Prism logging,
	// a collection) falls on whichever target comes next, and a fixed
	// order would put it on the same one every time.
	order := rand.New(rand.NewPCG(1, 2))
	for range n {
		for _, i := range order.Perm(len(ts)) {
			t := ts[i]
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

var order = []string{Fake, Plain, Ours, Prism}

func fmtDurations(m map[string]time.Duration) string {
	var parts []string
	for _, k := range order {
		if v, ok := m[k]; ok {
			parts = append(parts, fmt.Sprintf("%s %.3f ms", k, msOf(v)))
		}
	}
	return strings.Join(parts, ", ")
}

func fmtRates(m map[string]float64) string {
	var parts []string
	for _, k := range order {
		if v, ok := m[k]; ok {
			parts = append(parts, fmt.Sprintf("%s %.0f", k, v))
		}
	}
	return strings.Join(parts, ", ")
}
