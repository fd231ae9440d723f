# Makefile for the Getty Images download API client.
GO ?= go
PKGS := ./...

.PHONY: all demo test generate check-generated lint vet contract bench bench-strict bench-prism prism record spec-diff

all: test

## demo: a tour of the client against the embedded fake Getty server (no network, no credentials)
demo:
	$(GO) run ./cmd/getty demo

## generate: rebuild spec/openapi.yaml and gen/ from the sources listed in spec/sources.yaml
generate:
	$(GO) generate .

GENERATED := spec/openapi.yaml gen

## check-generated: regenerate into the tree; fail if the generated files were stale (they
## differed from what the pipeline produces), or are current but not committed
check-generated:
	@set -e; before=$$(mktemp -d); trap 'rm -rf "$$before"' EXIT; \
	for p in $(GENERATED); do \
		if [ -e "$$p" ]; then mkdir -p "$$before/$$(dirname "$$p")"; cp -R "$$p" "$$before/$$p"; fi; \
	done; \
	echo "$(GO) generate ."; $(GO) generate .; \
	stale=$$(for p in $(GENERATED); do diff -rq "$$before/$$p" "$$p" 2>&1 || true; done); \
	if [ -n "$$stale" ]; then \
		echo "$$stale" | sed -e "s|^Files $$before/\(.*\) and .* differ$$|  changed: \1|" \
			-e "s|^Only in $$before/\(.*\): |  not produced: \1/|" -e "s|^Only in \(.*\): |  missing: \1/|" >&2; \
		echo "generated files differ from what the pipeline produces (stale): they are regenerated now, as 'make generate' does; review and commit them" >&2; \
		exit 1; \
	fi; \
	uncommitted=$$(git status --porcelain -- $(GENERATED)); \
	if [ -n "$$uncommitted" ]; then \
		echo "$$uncommitted" >&2; \
		echo "generated files are current (what the pipeline produces) but not committed: commit $(GENERATED:gen=gen/) with the change that produced them" >&2; \
		exit 1; \
	fi

## vet: go vet and gofmt (generated code excluded from gofmt's report)
vet:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.gen\.go$$')); \
		if [ -n "$$out" ]; then echo "gofmt would change: $$out" >&2; exit 1; fi

## lint: vet plus staticcheck
lint: vet
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(PKGS)

## test: vet, race-enabled tests (including replayed contract checks), a one-iteration smoke
## run of the benchmarks, generated code current
test: vet
	$(GO) test -race -count=1 $(PKGS)
	$(GO) test -short -run '^$$' -bench . -benchtime 1x ./bench/...
	$(MAKE) check-generated

## check-oldest-go: build and test the library with the oldest Go release go.mod allows
## (fetched from the module proxy as a toolchain, about 80 MB the first time)
OLDEST_GO := go$(shell sed -n 's/^go //p' go.mod)
check-oldest-go:
	GOTOOLCHAIN=$(OLDEST_GO) $(GO) version
	GOTOOLCHAIN=$(OLDEST_GO) $(GO) build ./...
	GOTOOLCHAIN=$(OLDEST_GO) $(GO) test -short -count=1 . ./spec ./archive ./gettytest ./contract

# npm writes node_modules/.package-lock.json at the end of an install: bench, bench-strict and
# bench-prism install Prism only when that is missing or older than the lockfile.
PRISM_INSTALLED := bench/prism/node_modules/.package-lock.json
$(PRISM_INSTALLED): bench/prism/package-lock.json
	./bench/prism.sh

## bench: benchmarks against baselines, peak memory of the command, the validating proxy against
## Prism 5 and a plain reverse proxy, warm go generate; prints one table of ratios against the
## targets (see BENCHMARKS.md). Installs Prism first when it is missing or its lockfile changed
bench: $(PRISM_INSTALLED)
	$(GO) run ./bench/cmd/benchreport

## bench-strict: the same run and table, exiting non-zero when a target is missed, a missing
## figure with a goal included (benchreport -strict). Not in make test
bench-strict: $(PRISM_INSTALLED)
	$(GO) run ./bench/cmd/benchreport -strict

## prism: install Prism 5 (@stoplight/prism-cli, the pinned bench/prism/package-lock.json) under
## bench/prism with npm (bench/prism.sh), for the proxy figures of bench, bench-strict, bench-prism
prism:
	./bench/prism.sh

## bench-prism: the proxy figures alone (section 6 of make bench's table, plus pages per second
## and ratios to the fake for scale): getty contract proxy, a plain reverse proxy and Prism 5 in
## front of getty fake-server on loopback (go run ./bench/cmd/proxybench)
bench-prism: $(PRISM_INSTALLED)
	$(GO) run ./bench/cmd/proxybench

## contract: only the contract suite, replayed from the committed cassettes (offline);
## GETTY_CONTRACT_MODE=live make contract runs it against the real API (see README)
contract:
	$(GO) test -race -count=1 ./contract/... ./contract_test/...

## record: re-record the cassettes of contract_test/testdata against the server that
## GETTY_CONTRACT_TARGET names: fake (the default: the in-process fake server, its clock fixed) or
## live (the real API, with GETTY_API_KEY and GETTY_API_SECRET). Credentials in the environment
## never choose it; the suite refuses GETTY_BASE_URL naming any other server (see harness_test.go)
GETTY_CONTRACT_TARGET ?= fake
record:
	@echo "make record: against $(if $(filter live,$(GETTY_CONTRACT_TARGET)),the real API,the in-process fake server) (GETTY_CONTRACT_TARGET=$(GETTY_CONTRACT_TARGET))"
	GETTY_CONTRACT_MODE=record GETTY_CONTRACT_TARGET=$(GETTY_CONTRACT_TARGET) $(GO) test -count=1 ./contract_test/...

OASDIFF := $(GO) tool oasdiff
SPEC_BASE ?= HEAD
SPEC_HEAD ?= spec/openapi.yaml

## spec-diff: changes between the committed spec and the working tree's (or SPEC_BASE/SPEC_HEAD,
## e.g. SPEC_BASE=v1.0.0 SPEC_HEAD=HEAD:spec/openapi.yaml); fails on breaking changes not
## acknowledged in spec/acknowledged-breaking-changes.txt. spec/severity-levels.txt raises
## every loss or widening of a type to breaking: it changes the generated Go types
spec-diff:
	$(OASDIFF) changelog $(SPEC_BASE):spec/openapi.yaml $(SPEC_HEAD) \
		--severity-levels spec/severity-levels.txt
	$(OASDIFF) breaking $(SPEC_BASE):spec/openapi.yaml $(SPEC_HEAD) --fail-on ERR \
		--severity-levels spec/severity-levels.txt \
		--err-ignore spec/acknowledged-breaking-changes.txt
