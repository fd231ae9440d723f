#!/bin/sh
# Installs Prism 5 (@stoplight/prism-cli 5.x) under bench/prism for the proxy
# benchmark (bench/cmd/proxybench, `make bench-prism`); not part of make test.
# bench/prism/package-lock.json pins the versions measured in BENCHMARKS.md;
# bench/prism/node_modules is ignored by git.
set -eu
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
	echo "bench/prism.sh: npm not found: install Node.js 18 or later to benchmark against Prism" >&2
	exit 1
fi
npm ci --prefix bench/prism --no-audit --no-fund
bench/prism/node_modules/.bin/prism --version
