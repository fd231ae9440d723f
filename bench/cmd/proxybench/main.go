//go:build linux

// Command proxybench prints the proxy figures alone: the validating proxy
// (`getty contract proxy`) side by side with Prism 5's validation proxy
// (`prism proxy --errors`) and a plain reverse proxy, all in front of
// `getty fake-server` on loopback, as package bench/proxyfig measures and
// judges them. `make bench` prints the same figures (less the reference
// ones) as section 6 of its one table (bench/cmd/benchreport); this command
// is `make bench-prism`, for a run of the proxy figures alone, with the
// reference figures (pages per second of each target, ratios to the fake
// alone). From the module root, after bench/prism.sh has installed
// @stoplight/prism-cli 5 under bench/prism:
//
//	go run ./bench/cmd/proxybench [-prism bench/prism/node_modules/.bin/prism] [-rounds 3]
//
// The plain reverse proxy runs in a process of its own: this command
// starts itself again (os.Executable) with -plain-proxy URL, which serves
// proxyfig.ServePlainProxy instead of measuring.
//
// Without Prism (no executable at -prism) the Prism figures are reported
// missing. With -strict the exit status is 1 when a target is missed or a
// figure with a goal is missing; 2 when something could not be measured.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/gettykit/getty/bench/proxyfig"
)

func main() { os.Exit(proxybench()) }

func proxybench() int {
	d := proxyfig.DefaultOptions()
	var (
		prism    = flag.String("prism", d.Prism, "Prism 5 executable (bench/prism.sh installs it)")
		spec     = flag.String("spec", d.Spec, "the spec both proxies validate against")
		n        = flag.Int("n", d.Requests, "sequential requests per target per round (one client)")
		clients  = flag.Int("clients", d.Clients, "concurrent clients of the throughput figure")
		duration = flag.Duration("duration", d.Duration, "time per target per round of the throughput figure")
		rounds   = flag.Int("rounds", d.Rounds, "interleaved rounds (best and median reported)")
		size     = flag.Int64("size", d.Size, "bytes of the image streamed through our proxy for peak memory")
		small    = flag.Int64("small", d.Small, "bytes of the smaller image it is compared with")
		strict   = flag.Bool("strict", false, "exit with status 1 when a target is missed")
		plain    = flag.String(proxyfig.PlainProxyFlag, "", "serve the plain reverse proxy to `URL` on a loopback port instead of measuring (run by proxybench itself)")
	)
	flag.Parse()
	if *plain != "" {
		if err := proxyfig.ServePlainProxy(*plain); err != nil {
			fmt.Fprintln(os.Stderr, "proxybench:", err)
			return 2
		}
		return 0
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "proxybench:", err)
		return 2
	}
	res, err := proxyfig.Run(context.Background(), proxyfig.Options{
		PlainProxy: []string{self, "-" + proxyfig.PlainProxyFlag},
		Prism:      *prism,
		Spec:       *spec,
		Requests:   *n,
		Clients:    *clients,
		Duration:   *duration,
		Rounds:     *rounds,
		Size:       *size,
		Small:      *small,
		Log:        func(format string, args ...any) { fmt.Fprintf(os.Stderr, "proxybench: "+format+"\n", args...) },
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "proxybench:", err)
		return 2
	}

	prismVersion := res.PrismVersion
	if prismVersion == "" {
		prismVersion = "not installed"
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Proxy figures: GET /v3/downloads?page_size=100 (%d bytes), rounds: %d; Prism %s\n\n", res.PageBytes, len(res.Rounds), prismVersion)
	fmt.Fprintln(tw, "Figure\tBest\tMedian\tGoal\tResult")
	fmt.Fprintln(tw, "------\t----\t------\t----\t------")
	met, missed := 0, 0
	for _, f := range proxyfig.Figures(res) {
		name := f.Name
		if f.Reference {
			name += " (reference)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, f.Best, f.Median, f.Goal, f.Result)
		switch {
		case f.Missed():
			missed++
		case f.Result == "pass":
			met++
		}
	}
	tw.Flush()
	fmt.Printf("\n%d targets met, %d missed\n", met, missed)
	if *strict && missed > 0 {
		return 1
	}
	return 0
}
