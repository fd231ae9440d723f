package main

import (
	"strings"
	"testing"
	"time"

	"github.com/gettykit/getty/bench/proxyfig"
)

// The proxy rows are section 6 of the one table and count in its met and
// missed: without Prism, its throughput row is missing and missed.
func TestProxyRows(t *testing.T) {
	ms := time.Millisecond
	r := proxyfig.Round{
		P50:  map[string]time.Duration{proxyfig.Fake: ms, proxyfig.Plain: 2 * ms, proxyfig.Ours: 2 * ms},
		P99:  map[string]time.Duration{proxyfig.Fake: 2 * ms, proxyfig.Plain: 3 * ms, proxyfig.Ours: 5 * ms},
		Rate: map[string]float64{proxyfig.Fake: 4000, proxyfig.Plain: 3000, proxyfig.Ours: 2000},
	}
	var rep report
	rep.add(row{target: "5. earlier", measured: "x", goal: "y", result: "pass"})
	rep.proxyRows(proxyfig.Result{Options: proxyfig.DefaultOptions(), PageBytes: 47794, Rounds: []proxyfig.Round{r}, RSSLarge: 19 << 20, RSSSmall: 19 << 20})

	if len(rep.rows) != 1+9 {
		t.Fatalf("%d rows, want 10", len(rep.rows))
	}
	results := map[string]string{}
	for _, rw := range rep.rows[1:] {
		if !strings.HasPrefix(rw.target, "6. proxy, ") {
			t.Errorf("row %q not in section 6", rw.target)
		}
		results[rw.target] = rw.result + " " + rw.measured
	}
	for target, want := range map[string]string{
		"6. proxy, 1 client: added p99, ours − fake":            "FAIL 3.000 ms",
		"6. proxy, 1 client: added p50, Prism − fake":           "- missing",
		"6. proxy, 8 clients: throughput ours / Prism":          "FAIL missing",
		"6. proxy, peak RSS of our proxy, 1 GiB / 64 MiB image": "pass 19 MiB / 19 MiB",
	} {
		if got := results[target]; got != want {
			t.Errorf("%s: %q, want %q", target, got, want)
		}
	}
	if rep.met != 2 || rep.missed != 2 {
		t.Errorf("%d met, %d missed; want 2 and 2", rep.met, rep.missed)
	}
	var out strings.Builder
	rep.print(&out)
	for _, want := range []string{"47794 bytes", "Prism not measured (install it with bench/prism.sh, make prism)", "2 targets met, 2 missed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}
