package main

import (
	"fmt"

	"github.com/gettykit/getty/bench/proxyfig"
)

// proxyRows adds the proxy figures of res as section 6, less the figures
// given for scale only (proxybench prints those), and a note on what was
// measured. A figure with a goal that is missing (Prism not installed, or
// nothing measured) is a FAIL row, counted as missed.
func (r *report) proxyRows(res proxyfig.Result) {
	for _, f := range proxyfig.Figures(res) {
		if f.Reference {
			continue
		}
		r.add(row{target: "6. proxy, " + f.Name, measured: f.Measured, ratio: f.Ratio, goal: f.Goal, result: f.Result})
	}
	prism := res.PrismVersion
	if prism == "" {
		prism = "not measured (install it with bench/prism.sh, make prism)"
	}
	o := res.Options
	r.notes = append(r.notes, fmt.Sprintf("6. proxy: GET /v3/downloads?page_size=100 (%d bytes); rounds: %d, each %d requests (1 client) and %s (%d clients) per target; Prism %s",
		res.PageBytes, len(res.Rounds), o.Requests, o.Duration, o.Clients, prism))
}
