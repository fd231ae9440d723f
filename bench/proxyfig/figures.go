// Package proxyfig measures the validating proxy (`getty contract proxy`)
// side by side with Prism 5's validation proxy (`prism proxy --errors`) and
// a plain reverse proxy, and turns the rounds it measured into figures with
// verdicts. Both commands that print proxy figures use it: benchreport
// (`make bench`), whose one table has them as its section 6, and proxybench
// (`make bench-prism`), which prints them alone.
//
// Run (Linux only: the peak memory is read from ru_maxrss, in KiB there)
// starts, from the module root, `getty fake-server --quota 0` on loopback
// and, in front of it, each in its own process: `getty contract proxy`, the
// plain reverse proxy (ServePlainProxy, in a process the caller names in
// Options.PlainProxy) and Prism, when it is installed (bench/prism.sh,
// `make prism`). All of them answer GET /v3/downloads?page_size=100 (a page
// of 100 items, about 48 KB) with the fake's demo credentials. Each round
// measures:
//
//   - latency with one client: Options.Requests sequential requests to each
//     target, on one keep-alive connection each, taking the targets in turn
//     request by request, in another order each turn, so that load from
//     the rest of the machine, and what each process does after answering,
//     falls on all of them alike;
//   - throughput: Options.Clients concurrent clients for Options.Duration
//     against each target in turn, in pages per second.
//
// Then it streams an Options.Small and an Options.Size image through our
// proxy, each in front of an in-process fake, and reads the proxy's peak
// resident memory from its rusage.
//
// Figures turns a Result into figures, with the same rules whichever
// command prints them:
//
//   - added latency is a proxy's p50 (p99) minus the fake's p50 (p99) in the
//     same round; the best and the median over rounds are reported, and the
//     verdict of the one goal, our proxy's added p99 ≤ 1 ms, is the median's
//     (a difference of two quantiles can be pushed below its true value by
//     load as well as above);
//   - throughput ratios are taken within a round; the goal, ours ≥ 5×
//     Prism's, is judged on the best round, since interference only slows
//     a run down;
//   - the peak memory streaming the large image over the small one is at
//     most 1.10 (flat in the image's size).
//
// A figure whose target was not measured (Prism not installed, or no
// rounds at all) is "missing"; if it has a goal, it counts as missed.
package proxyfig

import (
	"fmt"
	"slices"
	"time"
)

// The targets of a round, as the keys of Round's maps.
const (
	Fake  = "fake"  // getty fake-server alone
	Plain = "plain" // a plain reverse proxy in front of it (ServePlainProxy)
	Ours  = "ours"  // getty contract proxy in front of it
	Prism = "prism" // prism proxy --errors in front of it
)

// The goals.
const (
	// GoalAddedP99 is the most our proxy may add to the fake's p99 with
	// one client (median over rounds).
	GoalAddedP99 = time.Millisecond
	// GoalThroughput is the least ratio of our proxy's pages per second to
	// Prism's (best round).
	GoalThroughput = 5.0
	// GoalRSS is the most ratio of our proxy's peak memory streaming the
	// large image to that streaming the small one.
	GoalRSS = 1.10
)

// Options are what Run measures and how long; zero fields take the values
// of DefaultOptions.
type Options struct {
	// Getty is the getty command to run (fake-server, contract proxy); when
	// empty, Run builds ./cmd/getty into a temporary directory.
	Getty string
	// PlainProxy is the command line of a process serving the plain reverse
	// proxy: Run appends the upstream's URL and waits for a line
	// "... listening on URL". The process must call ServePlainProxy with
	// that URL: proxybench and benchreport run themselves for it,
	// os.Executable() with -plain-proxy (PlainProxyFlag). Required.
	PlainProxy []string
	// Prism is Prism's executable; when there is none, the Prism figures
	// are missing.
	Prism string
	// Spec is the spec both proxies validate against (Prism reads it).
	Spec string
	// Requests is the number of sequential requests to each target per
	// round, with one client. The p99 of 2,000 is their 20th-longest; that
	// of 400 would rest on 4, and move by a millisecond from one round to
	// the next on a 2-core machine.
	Requests int
	// Clients is the number of concurrent clients of the throughput figure.
	Clients int
	// Duration is the time per target per round of the throughput figure.
	Duration time.Duration
	// Rounds is the number of rounds, at least 1.
	Rounds int
	// Size and Small are the sizes of the images streamed through our proxy
	// for its peak memory.
	Size, Small int64
	// Log, if set, receives progress lines.
	Log func(format string, args ...any)
}

// DefaultOptions are the options of `make bench` and `make bench-prism`
// (PlainProxy and Getty left to the caller).
func DefaultOptions() Options {
	return Options{
		Prism:    "bench/prism/node_modules/.bin/prism",
		Spec:     "spec/openapi.yaml",
		Requests: 2000,
		Clients:  8,
		Duration: 3 * time.Second,
		Rounds:   3,
		Size:     1 << 30,
		Small:    64 << 20,
	}
}

// PlainProxyFlag is the flag with which proxybench and benchreport serve
// the plain reverse proxy (ServePlainProxy) instead of measuring.
const PlainProxyFlag = "plain-proxy"

// Round is what one round measured, by target (Fake, Plain, Ours, Prism);
// a target that was not measured has no entry.
type Round struct {
	P50, P99 map[string]time.Duration // one client
	Rate     map[string]float64       // pages per second, Options.Clients clients
}

// Result is what Run measured.
type Result struct {
	Options      Options // as run
	PageBytes    int64   // the length of the page each request reads
	PrismVersion string  // empty when Prism was not measured
	Rounds       []Round
	// RSSLarge and RSSSmall are our proxy's peak resident memory, in bytes,
	// streaming Options.Size and Options.Small bytes; 0 when not measured.
	RSSLarge, RSSSmall int64
}

// Figure is one figure of a Result, formatted for either command's table.
type Figure struct {
	Name string // e.g. "1 client: added p99, ours − fake"
	// Best and Median are the figure's best and median over rounds (the
	// best is "missing" when a target was not measured; the median "-"
	// for a figure taken once).
	Best, Median string
	// Measured and Ratio are the figure as a row of benchreport's table:
	// what the verdict is on (with the other of best and median), and the
	// ratio judged, if it is one ("" if not).
	Measured, Ratio string
	Goal            string // e.g. "≤ 1.00 ms (median)", or "reported"
	Result          string // "pass", "FAIL" (missed, or missing), or "-" with no goal
	// Reference marks a figure given for scale (pages per second of each
	// target, ratios to the fake alone), printed by proxybench only.
	Reference bool
}

// Missed reports whether f has a goal that was missed or not measured.
func (f Figure) Missed() bool { return f.Result == "FAIL" }

const missing = "missing"

// Figures returns the figures of res, in the order of the tables: added
// latency, throughput ratios, peak memory, reference figures interleaved
// where they belong.
func Figures(res Result) []Figure {
	rs := res.Rounds
	has := func(t string) bool {
		for _, r := range rs {
			if _, ok := r.P50[t]; !ok {
				return false
			}
			if _, ok := r.Rate[t]; !ok {
				return false
			}
		}
		return len(rs) > 0
	}
	var fs []Figure

	lat := func(q, label, t string, pick func(Round) map[string]time.Duration, goal time.Duration) {
		f := Figure{Name: fmt.Sprintf("1 client: added %s, %s − fake", q, label), Goal: "reported", Result: "-"}
		if goal > 0 {
			f.Goal = fmt.Sprintf("≤ %.2f ms (median)", msOf(goal))
		}
		if !has(t) || !has(Fake) {
			fs = append(fs, f.missing())
			return
		}
		var vs []float64
		for _, r := range rs {
			vs = append(vs, msOf(pick(r)[t]-pick(r)[Fake]))
		}
		best, med := slices.Min(vs), median(vs)
		f.Best, f.Median = fmt.Sprintf("%.3f ms", best), fmt.Sprintf("%.3f ms", med)
		f.Measured = f.Median
		if len(rs) > 1 {
			f.Measured = fmt.Sprintf("%s median, best %.3f", f.Median, best)
		}
		if goal > 0 {
			f.Result = verdict(med <= msOf(goal))
		}
		fs = append(fs, f)
	}
	p50 := func(r Round) map[string]time.Duration { return r.P50 }
	p99 := func(r Round) map[string]time.Duration { return r.P99 }
	lat("p50", "plain reverse proxy", Plain, p50, 0)
	lat("p99", "plain reverse proxy", Plain, p99, 0)
	lat("p50", "ours", Ours, p50, 0)
	lat("p99", "ours", Ours, p99, GoalAddedP99)
	lat("p50", "Prism", Prism, p50, 0)
	lat("p99", "Prism", Prism, p99, 0)
	if has(Fake) {
		var vs []float64
		for _, r := range rs {
			vs = append(vs, msOf(r.P50[Fake]))
		}
		fs = append(fs, Figure{Name: "1 client: fake alone p50", Best: fmt.Sprintf("%.3f ms", slices.Min(vs)), Median: fmt.Sprintf("%.3f ms", median(vs)),
			Goal: "reported", Result: "-", Reference: true})
	}

	clients := res.Options.Clients
	ratio := func(a, b, label string, goal float64, ref bool) {
		f := Figure{Name: fmt.Sprintf("%d clients: throughput %s", clients, label), Goal: "reported", Result: "-", Reference: ref}
		if goal > 0 {
			f.Goal = fmt.Sprintf("≥ %.2f (best)", goal)
		}
		if !has(a) || !has(b) {
			fs = append(fs, f.missing())
			return
		}
		var vs []float64
		for _, r := range rs {
			vs = append(vs, r.Rate[a]/r.Rate[b])
		}
		bi := argmax(vs)
		best, med := vs[bi], median(vs)
		f.Best, f.Median = fmt.Sprintf("%.2f", best), fmt.Sprintf("%.2f", med)
		f.Ratio = f.Best
		f.Measured = fmt.Sprintf("%.0f / %.0f pages/s", rs[bi].Rate[a], rs[bi].Rate[b])
		if len(rs) > 1 {
			f.Measured += ", median " + f.Median
		}
		if goal > 0 {
			f.Result = verdict(best >= goal)
		}
		fs = append(fs, f)
	}
	ratio(Ours, Prism, "ours / Prism", GoalThroughput, false)
	ratio(Ours, Plain, "ours / plain reverse proxy", 0, false)
	ratio(Ours, Fake, "ours / fake alone", 0, true)
	ratio(Prism, Fake, "Prism / fake alone", 0, true)
	for _, t := range []string{Fake, Plain, Ours, Prism} {
		if !has(t) {
			continue
		}
		var vs []float64
		for _, r := range rs {
			vs = append(vs, r.Rate[t])
		}
		fs = append(fs, Figure{Name: fmt.Sprintf("%d clients: %s pages/s", clients, t), Best: fmt.Sprintf("%.0f", slices.Max(vs)), Median: fmt.Sprintf("%.0f", median(vs)),
			Goal: "reported", Result: "-", Reference: true})
	}

	f := Figure{Name: fmt.Sprintf("peak RSS of our proxy, %s / %s image", mib(res.Options.Size), mib(res.Options.Small)),
		Median: "-", Goal: fmt.Sprintf("≤ %.2f", GoalRSS)}
	if res.RSSLarge <= 0 || res.RSSSmall <= 0 {
		f = f.missing()
	} else {
		rr := float64(res.RSSLarge) / float64(res.RSSSmall)
		f.Measured = mib(res.RSSLarge) + " / " + mib(res.RSSSmall)
		f.Ratio = fmt.Sprintf("%.2f", rr)
		f.Best = f.Measured + " = " + f.Ratio
		f.Result = verdict(rr <= GoalRSS)
	}
	fs = append(fs, f)
	return fs
}

// missing returns f for a target not measured: a figure with a goal is
// missed.
func (f Figure) missing() Figure {
	f.Best, f.Median, f.Measured, f.Ratio = missing, "-", missing, ""
	f.Result = "-"
	if f.Goal != "reported" {
		f.Result = "FAIL"
	}
	return f
}

func verdict(ok bool) string {
	if ok {
		return "pass"
	}
	return "FAIL"
}

func msOf(d time.Duration) float64 { return float64(d) / 1e6 }

func argmax(vs []float64) int {
	i := 0
	for j, v := range vs {
		if v > vs[i] {
			i = j
		}
	}
	return i
}

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

// withDefaults returns o with its zero fields (but Getty, PlainProxy and
// Log) set from DefaultOptions.
func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.Prism == "" {
		o.Prism = d.Prism
	}
	if o.Spec == "" {
		o.Spec = d.Spec
	}
	if o.Requests <= 0 {
		o.Requests = d.Requests
	}
	if o.Clients <= 0 {
		o.Clients = d.Clients
	}
	if o.Duration <= 0 {
		o.Duration = d.Duration
	}
	if o.Rounds <= 0 {
		o.Rounds = d.Rounds
	}
	if o.Size <= 0 {
		o.Size = d.Size
	}
	if o.Small <= 0 {
		o.Small = d.Small
	}
	return o
}
