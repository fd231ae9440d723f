package schemagen

import (
	"flag"
	"fmt"
	"os"
)

// DefaultSeed is the seed property tests run with unless told otherwise, so
// that `go test` checks the same cases on every run and machine.
const DefaultSeed = 20261123

// SetRapidDefaults makes rapid's property checks reproducible by default. It
// sets -rapid.seed to DefaultSeed and -rapid.nofailfile (a failure is
// reproduced by running the test again with the same seed, and leaves no
// testdata/rapid directory behind) unless the flag was given on the command
// line or its RAPID_* variable is set. Call it from TestMain after
// flag.Parse. The number of checks keeps rapid's default, 100 per property
// (20 with -short). For a longer search with random seeds, set rapid's
// variables, which every package accepts (a -rapid.* flag fails the
// packages that do not link rapid):
//
//	RAPID_CHECKS=10000 RAPID_SEED=0 go test -run Property ./...
//
// or give the flags to the packages with property tests:
//
//	go test -run Property . ./contract ./internal/schemagen -rapid.checks=10000 -rapid.seed=0
//
// A failure prints the seed that reproduces it (-rapid.seed=N).
func SetRapidDefaults() {
	given := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { given[f.Name] = true })
	set := func(name, env, value string) {
		if given[name] {
			return
		}
		if _, ok := os.LookupEnv(env); ok {
			return
		}
		if flag.Lookup(name) == nil {
			panic(fmt.Sprintf("schemagen: flag -%s is not registered: is pgregory.net/rapid linked in?", name))
		}
		if err := flag.Set(name, value); err != nil {
			panic(fmt.Sprintf("schemagen: setting -%s: %v", name, err))
		}
	}
	set("rapid.seed", "RAPID_SEED", fmt.Sprint(DefaultSeed))
	set("rapid.nofailfile", "RAPID_NOFAILFILE", "true")
}
