package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gettykit/getty/contract"
	"github.com/gettykit/getty/spec"
)

// violationsError reports recordings that break the contract.
type violationsError struct{ violations, files int }

func (e *violationsError) Error() string {
	return fmt.Sprintf("%d contract violation(s) in %d file(s)", e.violations, e.files)
}

func (a *app) checkCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("getty contract check", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	quiet := fs.Bool("quiet", false, "print violations only, not drift")
	fs.Usage = func() {
		fmt.Fprintln(a.stderr, "Usage: getty contract check [flags] PATH...\n\nValidates recorded traffic against the API spec: go-vcr cassettes (.yaml, .yml)\nand HAR files (.har). Prints each violation with file, interaction and JSON\npointer, and drift (fields or parameters the spec does not know) unless --quiet.\nExits 5 if any recording violates the spec.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return &usageError{msg: "contract check needs at least one file"}
	}
	doc, err := spec.Load(ctx)
	if err != nil {
		return err
	}
	v, err := contract.NewValidator(doc)
	if err != nil {
		return err
	}
	var violations, bad int
	for _, path := range fs.Args() {
		var report *contract.Report
		switch strings.ToLower(filepath.Ext(path)) {
		case ".har":
			report, err = contract.CheckHAR(v, path)
		case ".yaml", ".yml":
			report, err = contract.CheckCassette(v, path)
		default:
			return &usageError{msg: fmt.Sprintf("%s: not a cassette (.yaml, .yml) or HAR file (.har)", path)}
		}
		if err != nil {
			return err
		}
		vs, drift := report.Violations(), report.Drift()
		for _, f := range vs {
			fmt.Fprintln(a.stdout, f.String())
		}
		if !*quiet {
			for _, f := range drift {
				fmt.Fprintln(a.stdout, f.String())
			}
		}
		fmt.Fprintf(a.stdout, "%s: %d violation(s), %d drift finding(s)\n", path, len(vs), len(drift))
		if len(vs) > 0 {
			violations += len(vs)
			bad++
		}
	}
	if violations > 0 {
		return &violationsError{violations: violations, files: bad}
	}
	return nil
}
