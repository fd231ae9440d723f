// Package bench holds the benchmarks of the client against baselines
// measured in the same run: call overhead against hand-written net/http and
// encoding/json, streaming a large image against a plain copy through the
// client's buffer size (CopyBufferSize), the cost of
// the contract transport, and concurrent listing against one page at a
// time. Its tests check what the benchmarks rely on: identical listing
// results in the same order, the concurrency bound, slowing down when the
// server throttles.
//
// Run the benchmarks with
//
//	go test -run '^$' -bench . -benchmem ./bench/...
//
// or `make bench`, which adds process-level figures (peak memory of the
// command-line tool, 1 GiB streaming) and the validating proxy's figures
// against Prism 5 (package bench/proxyfig), and prints one table of ratios
// against their targets; see BENCHMARKS.md. With -short the sizes shrink so that a
// one-iteration run (-benchtime 1x) is a quick smoke test.
package bench
