#!/bin/sh
# Installs Prism 5 (@stoplight/prism-cli 5.x) under bench/prism for the proxy
# figures (bench/proxyfig: section 6 of `make bench`'s table, and `make
# bench-prism`); not part of make test. make bench runs it when Prism is
# missing or this lockfile is newer than the installed tree.
# bench/prism/package-lock.json pins the versions measured in BENCHMARKS.md;
# bench/prism/node_modules is ignored by git.
set -eu
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
	echo "bench/prism.sh: npm not found: install Node.js 18 or later to benchmark against Prism" >&2
	echo "(go run ./bench/cmd/benchreport runs without it: the Prism rows are then missing, and missed)" >&2
	exit 1
fi
npm ci --prefix bench/prism --no-audit --no-fund
bench/prism/node_modules/.bin/prism --version
