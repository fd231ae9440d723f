package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gettykit/getty/contract"
	"github.com/gettykit/getty/spec"
)

// violationsError reports recordings that break the contract.
type violationsError struct{ violations, files int }

func (e *violationsError) Error() string { return violationsMessage(e.violations, e.files) }

// violationsMessage counts violations and, for recordings, the files that
// hold them (0 for live traffic).
func violationsMessage(violations, files int) string {
	if files == 0 {
		return fmt.Sprintf("%d contract violation(s)", violations)
	}
	return fmt.Sprintf("%d contract violation(s) in %d file(s)", violations, files)
}

// incompleteCheckError reports a contract check that could not judge
// everything it was given: recordings that could not be checked, or stale
// entries of the allow list. It outranks violations (exit status 1, not 5):
// a run that skipped a file, or whose allow list is out of date, proves
// less than a clean run or one that found violations, and must be fixed
// first.
type incompleteCheckError struct {
	unchecked, stale  int
	violations, files int
}

func (e *incompleteCheckError) Error() string {
	var parts []string
	if e.unchecked > 0 {
		parts = append(parts, fmt.Sprintf("%d file(s) could not be checked", e.unchecked))
	}
	if e.stale > 0 {
		parts = append(parts, fmt.Sprintf("%d stale allow-list entr%s", e.stale, map[bool]string{true: "y", false: "ies"}[e.stale == 1]))
	}
	if e.violations > 0 {
		parts = append(parts, violationsMessage(e.violations, e.files))
	}
	return strings.Join(parts, "; ")
}

const checkLong = `Validates recorded traffic against the API spec: go-vcr cassettes (.yaml, .yml)
and HAR files (.har). Every file is checked, even after one that cannot be.
For each file it prints the violations (file, interaction and JSON pointer),
then, unless --quiet, the violations --allow expects, drift (fields or
parameters the spec does not know) and what could not be checked, and a
summary line. A response body the recording did not store (a HAR entry with
no content text, whatever its size says) or one bigger than --max-body is
reported as "not checked", never as a violation; the rest of its interaction
is still checked.

--allow FILE names expected violations, as a YAML list of entries:

  - file: error-400-page-size.yaml  # relative to FILE; a glob is allowed
    interaction: 1                  # index from 0; leave out for any
    pointer: page_size              # the finding's pointer ("" for none)
    reason: page_size=101 is above the maximum, on purpose

An entry about a checked file that matches no violation is stale: it is
reported, and fails the run, so the list cannot outlive what it excuses.

--format json, junit or github writes the same findings as JSON lines (one
finding per line), a JUnit XML document (a test case per interaction) or
GitHub Actions annotations (file and, for a cassette, line) instead; the exit
status is the same.

Exit status:
  0  every file was checked and holds no violation but allowed ones
  5  a recording violates the spec, and every file was checked
  1  a file could not be checked (unreadable, malformed, or holding no
     interactions) or an --allow entry is stale; this outranks 5, since the
     run is incomplete or its allow list wrong (violations are still printed).
     A malformed --allow file stops the run before any file is checked.
  2  bad usage, such as a file that is not .yaml, .yml or .har`

func (a *app) newCheckCmd() *cobra.Command {
	var (
		quiet             bool
		allowPath, format string
		maxBody           = byteSize(contract.DefaultMaxBodySize)
	)
	cmd := &cobra.Command{
		Use:     "check [flags] PATH...",
		Short:   "Validate cassettes and HAR files against the API spec",
		Long:    checkLong,
		Example: `  getty contract check --allow expected.yaml recordings/*.yaml session.har`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("contract check needs at least one file")
			}
			for _, path := range args {
				if recordingKind(path) == "" {
					return usageErrorf("%s: not a cassette (.yaml, .yml) or HAR file (.har)", path)
				}
			}
			return nil
		},
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"yaml", "yml", "har"}, cobra.ShellCompDirectiveFilterFileExt
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&quiet, "quiet", false, "print violations and summaries only: not allowed violations, drift or what was not checked")
	fs.StringVar(&allowPath, "allow", "", "`FILE` of expected violations (YAML; see above)")
	fs.Var(&maxBody, "max-body", "largest body validated, as `SIZE` in bytes or with a KiB, MiB or GiB suffix; bigger ones are not checked")
	fs.StringVar(&format, "format", "text", "report `FORMAT`: text, json (JSON lines), junit (XML) or github (Actions annotations)")
	mustRegister(cmd.RegisterFlagCompletionFunc("format", completeValues(formats...)))
	mustRegister(cmd.RegisterFlagCompletionFunc("allow", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
	}))
	mustRegister(cmd.RegisterFlagCompletionFunc("max-body", cobra.NoFileCompletions))
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		f, err := contract.ParseFormat(format)
		if err != nil {
			return usageErrorf("--format %q: want one of text, json, junit, github", format)
		}
		return a.check(cmd.Context(), args, quiet, allowPath, int64(maxBody), f)
	}
	return cmd
}

// check validates the recordings at paths and reports each.
func (a *app) check(ctx context.Context, paths []string, quiet bool, allowPath string, maxBody int64, format contract.Format) error {
	var allow *contract.AllowList
	if allowPath != "" {
		var err error
		if allow, err = contract.LoadAllowList(allowPath); err != nil {
			return err
		}
	}
	doc, err := spec.Load(ctx)
	if err != nil {
		return err
	}
	v, err := contract.NewValidator(doc, contract.WithMaxBodySize(maxBody))
	if err != nil {
		return err
	}
	if format != contract.FormatText {
		return a.checkReport(ctx, paths, v, allow, quiet, format)
	}
	var violations, bad, unchecked int
	var checked []string
	var found []contract.Finding // every violation, allowed or not
	for _, path := range paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		var report *contract.Report
		if recordingKind(path) == "har" {
			report, err = contract.CheckHAR(v, path)
		} else {
			report, err = contract.CheckCassette(v, path)
		}
		if err != nil {
			unchecked++
			fmt.Fprintln(a.stdout, "error:", strings.TrimPrefix(err.Error(), "contract: "))
			continue
		}
		checked = append(checked, path)
		found = append(found, report.Violations()...)
		res := allow.Apply([]string{path}, report.Findings())
		drift, notChecked := report.Drift(), report.NotChecked()
		for _, f := range res.Violations {
			fmt.Fprintln(a.stdout, f.String())
		}
		if !quiet {
			for _, al := range res.Allowed {
				s := al.Finding.String()
				if i := strings.Index(s, "violation: "); i >= 0 {
					s = s[:i] + "allowed: " + s[i+len("violation: "):]
				}
				fmt.Fprintf(a.stdout, "%s (%s)\n", s, al.Entry.Reason)
			}
			for _, f := range append(drift, notChecked...) {
				fmt.Fprintln(a.stdout, f.String())
			}
		}
		fmt.Fprintf(a.stdout, "%s: %d violation(s), %d drift finding(s)", path, len(res.Violations), len(drift))
		if len(res.Allowed) > 0 {
			fmt.Fprintf(a.stdout, ", %d allowed", len(res.Allowed))
		}
		if len(notChecked) > 0 {
			fmt.Fprintf(a.stdout, ", %d not checked", len(notChecked))
		}
		fmt.Fprintln(a.stdout)
		if len(res.Violations) > 0 {
			violations += len(res.Violations)
			bad++
		}
	}
	// Stale entries are found over every checked file at once: an entry
	// with a glob may be about several. Entries about files not checked in
	// this run are left alone.
	stale := allow.Apply(checked, found).Stale
	for _, e := range stale {
		fmt.Fprintf(a.stdout, "%s:%d: stale allow entry, no violation matches it: %s\n", allow.Path, e.Line, e)
	}
	if unchecked > 0 || len(stale) > 0 {
		return &incompleteCheckError{unchecked: unchecked, stale: len(stale), violations: violations, files: bad}
	}
	if violations > 0 {
		return &violationsError{violations: violations, files: bad}
	}
	return nil
}

// checkReport is check in a format other than text: every exchange of
// every file goes to a contract.Reporter, and the verdict is the same.
func (a *app) checkReport(ctx context.Context, paths []string, v *contract.Validator, allow *contract.AllowList, quiet bool, format contract.Format) error {
	rep := contract.NewReporter(a.stdout, format)
	rep.Allow, rep.Quiet = allow, quiet
	for _, path := range paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		xs, err := contract.CheckRecording(v, path)
		if err != nil {
			rep.Unchecked(path, err)
			continue
		}
		for _, x := range xs {
			rep.Exchange(x)
		}
	}
	sum, err := rep.Close()
	switch {
	case err != nil:
		return fmt.Errorf("writing the report: %w", err)
	case sum.Unchecked > 0 || len(sum.Stale) > 0:
		return &incompleteCheckError{unchecked: sum.Unchecked, stale: len(sum.Stale), violations: sum.Violations, files: sum.ViolatingSources}
	case sum.Violations > 0:
		return &violationsError{violations: sum.Violations, files: sum.ViolatingSources}
	}
	return nil
}

// formats are the values of --format.
var formats = []string{"text", "json", "junit", "github"}

// recordingKind is "har" or "cassette" by the file's extension, or "".
func recordingKind(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".har":
		return "har"
	case ".yaml", ".yml":
		return "cassette"
	}
	return ""
}

// byteSize is a flag value in bytes, written as a number of bytes or with a
// KiB, MiB or GiB suffix.
type byteSize int64

var byteUnits = []struct {
	suffix string
	n      int64
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}}

func (b byteSize) String() string {
	for _, u := range byteUnits {
		if b > 0 && int64(b)%u.n == 0 {
			return fmt.Sprintf("%d%s", int64(b)/u.n, u.suffix)
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

// Type names the value in the help when its usage does not.
func (b *byteSize) Type() string { return "size" }

func (b *byteSize) Set(s string) error {
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range byteUnits {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.n
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return errors.New("want a positive number of bytes, optionally with a KiB, MiB or GiB suffix")
	}
	*b = byteSize(n * mult)
	return nil
}
