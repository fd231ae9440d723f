package proxyfig

import (
	"testing"
	"time"
)

const ms = time.Millisecond

// round builds a round from the added p99 of ours, the throughput of ours
// and Prism (pages per second); the other figures are fixed. With prism
// false Prism was not measured.
func round(oursAddedP99 time.Duration, oursRate, prismRate float64, prism bool) Round {
	r := Round{
		P50:  map[string]time.Duration{Fake: 1 * ms, Plain: 1300 * time.Microsecond, Ours: 1800 * time.Microsecond},
		P99:  map[string]time.Duration{Fake: 2 * ms, Plain: 3 * ms, Ours: 2*ms + oursAddedP99},
		Rate: map[string]float64{Fake: 4000, Plain: 3000, Ours: oursRate},
	}
	if prism {
		r.P50[Prism], r.P99[Prism], r.Rate[Prism] = 10*ms, 20*ms, prismRate
	}
	return r
}

func result(rss [2]int64, rounds ...Round) Result {
	o := DefaultOptions()
	return Result{Options: o, PageBytes: 47794, Rounds: rounds, RSSLarge: rss[0], RSSSmall: rss[1]}
}

func byName(t *testing.T, fs []Figure) map[string]Figure {
	t.Helper()
	m := map[string]Figure{}
	for _, f := range fs {
		if _, dup := m[f.Name]; dup {
			t.Fatalf("figure %q twice", f.Name)
		}
		m[f.Name] = f
	}
	return m
}

const (
	p99Ours   = "1 client: added p99, ours − fake"
	p50Prism  = "1 client: added p50, Prism − fake"
	ratioOurs = "8 clients: throughput ours / Prism"
	rssName   = "peak RSS of our proxy, 1 GiB / 64 MiB image"
)

func TestFigures(t *testing.T) {
	flat := [2]int64{19 << 20, 18 << 20}
	for _, tc := range []struct {
		name   string
		res    Result
		want   map[string]Figure // the fields compared: Best, Median, Measured, Ratio, Goal, Result
		missed int
	}{
		{
			name: "all met",
			res:  result(flat, round(800*time.Microsecond, 600, 100, true), round(900*time.Microsecond, 500, 90, true), round(950*time.Microsecond, 550, 120, true)),
			want: map[string]Figure{
				p99Ours:   {Best: "0.800 ms", Median: "0.900 ms", Measured: "0.900 ms median, best 0.800", Goal: "≤ 1.00 ms (median)", Result: "pass"},
				p50Prism:  {Best: "9.000 ms", Median: "9.000 ms", Measured: "9.000 ms median, best 9.000", Goal: "reported", Result: "-"},
				ratioOurs: {Best: "6.00", Median: "5.56", Measured: "600 / 100 pages/s, median 5.56", Ratio: "6.00", Goal: "≥ 5.00 (best)", Result: "pass"},
				rssName:   {Best: "19 MiB / 18 MiB = 1.06", Median: "-", Measured: "19 MiB / 18 MiB", Ratio: "1.06", Goal: "≤ 1.10", Result: "pass"},
			},
		},
		{
			// The p99 verdict is the median's: a best round under 1 ms
			// does not meet it. Throughput is judged on the best round:
			// one round at 5.5× meets it though the median is 4.5.
			name: "p99 on the median, throughput on the best",
			res:  result(flat, round(500*time.Microsecond, 400, 100, true), round(1500*time.Microsecond, 550, 100, true), round(2*ms, 450, 100, true)),
			want: map[string]Figure{
				p99Ours:   {Best: "0.500 ms", Median: "1.500 ms", Measured: "1.500 ms median, best 0.500", Goal: "≤ 1.00 ms (median)", Result: "FAIL"},
				ratioOurs: {Best: "5.50", Median: "4.50", Measured: "550 / 100 pages/s, median 4.50", Ratio: "5.50", Goal: "≥ 5.00 (best)", Result: "pass"},
			},
			missed: 1,
		},
		{
			name: "throughput missed, memory not flat, median of two rounds",
			res:  result([2]int64{40 << 20, 18 << 20}, round(900*time.Microsecond, 400, 100, true), round(1000*time.Microsecond, 480, 100, true)),
			want: map[string]Figure{
				p99Ours:   {Best: "0.900 ms", Median: "0.950 ms", Measured: "0.950 ms median, best 0.900", Goal: "≤ 1.00 ms (median)", Result: "pass"},
				ratioOurs: {Best: "4.80", Median: "4.40", Measured: "480 / 100 pages/s, median 4.40", Ratio: "4.80", Goal: "≥ 5.00 (best)", Result: "FAIL"},
				rssName:   {Best: "40 MiB / 18 MiB = 2.22", Median: "-", Measured: "40 MiB / 18 MiB", Ratio: "2.22", Goal: "≤ 1.10", Result: "FAIL"},
			},
			missed: 2,
		},
		{
			name: "one round: no median in the measured column",
			res:  result(flat, round(700*time.Microsecond, 600, 100, true)),
			want: map[string]Figure{
				p99Ours:   {Best: "0.700 ms", Median: "0.700 ms", Measured: "0.700 ms", Goal: "≤ 1.00 ms (median)", Result: "pass"},
				ratioOurs: {Best: "6.00", Median: "6.00", Measured: "600 / 100 pages/s", Ratio: "6.00", Goal: "≥ 5.00 (best)", Result: "pass"},
			},
		},
		{
			// Without Prism its figures are missing: the one with a goal
			// is missed, the reported ones are not.
			name: "no Prism",
			res:  result(flat, round(800*time.Microsecond, 600, 0, false), round(800*time.Microsecond, 600, 0, false)),
			want: map[string]Figure{
				p99Ours:   {Best: "0.800 ms", Median: "0.800 ms", Measured: "0.800 ms median, best 0.800", Goal: "≤ 1.00 ms (median)", Result: "pass"},
				p50Prism:  {Best: "missing", Median: "-", Measured: "missing", Goal: "reported", Result: "-"},
				ratioOurs: {Best: "missing", Median: "-", Measured: "missing", Goal: "≥ 5.00 (best)", Result: "FAIL"},
			},
			missed: 1,
		},
		{
			// Nothing measured (not Linux): every goal missed.
			name: "nothing measured",
			res:  Result{Options: DefaultOptions()},
			want: map[string]Figure{
				p99Ours:   {Best: "missing", Median: "-", Measured: "missing", Goal: "≤ 1.00 ms (median)", Result: "FAIL"},
				ratioOurs: {Best: "missing", Median: "-", Measured: "missing", Goal: "≥ 5.00 (best)", Result: "FAIL"},
				rssName:   {Best: "missing", Median: "-", Measured: "missing", Goal: "≤ 1.10", Result: "FAIL"},
			},
			missed: 3,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := Figures(tc.res)
			got := byName(t, fs)
			for name, w := range tc.want {
				g, ok := got[name]
				if !ok {
					t.Errorf("no figure %q", name)
					continue
				}
				g.Name, g.Reference = "", false
				if g != w {
					t.Errorf("%s:\n got %+v\nwant %+v", name, g, w)
				}
			}
			missed := 0
			for _, f := range fs {
				if f.Missed() {
					missed++
				}
				if f.Reference && f.Result != "-" {
					t.Errorf("reference figure %q has a verdict %q", f.Name, f.Result)
				}
			}
			if missed != tc.missed {
				t.Errorf("%d missed, want %d", missed, tc.missed)
			}
		})
	}
}

// The figures benchreport shows (all but the reference ones) are the same
// whether or not Prism and the rounds are there: a missing row is still a
// row.
func TestFiguresSameRowsWhateverWasMeasured(t *testing.T) {
	names := func(res Result) []string {
		var ns []string
		for _, f := range Figures(res) {
			if !f.Reference {
				ns = append(ns, f.Name)
			}
		}
		return ns
	}
	full := names(result([2]int64{1, 1}, round(ms, 1, 1, true)))
	for _, res := range []Result{
		result([2]int64{1, 1}, round(ms, 1, 1, false)),
		{Options: DefaultOptions()},
	} {
		if got := names(res); len(got) != len(full) {
			t.Errorf("rows %q, want %q", got, full)
		} else {
			for i := range got {
				if got[i] != full[i] {
					t.Errorf("rows %q, want %q", got, full)
					break
				}
			}
		}
	}
	if len(full) != 9 {
		t.Errorf("%d rows, want 9 (6 latency, 2 throughput, 1 memory): %q", len(full), full)
	}
}
