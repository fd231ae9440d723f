package contract

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// Kind says how serious a [Finding] is.
type Kind int

const (
	// Violation is traffic the spec forbids.
	Violation Kind = iota + 1
	// Drift is traffic the spec does not describe but does not forbid
	// either, such as a field the API added or a deprecated parameter.
	Drift
	// NotChecked is part of a recorded exchange that could not be judged:
	// a body the recording did not store, or one bigger than the
	// validator's size limit. The rest of the exchange (status, headers,
	// the request) is still judged. It is neither a violation nor drift:
	// it says what a clean report does not cover.
	NotChecked
)

// String returns "violation", "drift" or "not checked".
func (k Kind) String() string {
	switch k {
	case Violation:
		return "violation"
	case Drift:
		return "drift"
	case NotChecked:
		return "not checked"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Finding is one problem found in a request or a response.
type Finding struct {
	Kind Kind
	// Operation is the operationId the request was routed to; empty for
	// traffic outside the API, such as image delivery.
	Operation string
	Method    string
	// Path is the request's URL path.
	Path string
	// Status is the response's status code; 0 for a finding about the
	// request.
	Status int
	// InRequest reports whether the finding is about the request rather
	// than the response. Tests that send invalid requests on purpose (to
	// exercise error paths) can tell these apart.
	InRequest bool
	// Pointer locates the problem: a JSON pointer into the body such as
	// "/downloads/3/date_downloaded", the name of a parameter or header,
	// or "security" when no security requirement of the operation is met.
	Pointer string
	Message string
	// Source and Index name the recording a finding came from (a cassette
	// or HAR file, and the interaction's index in it, from 0); Line is the
	// interaction's line in a cassette. They are empty for live traffic.
	Source string
	Index  int
	Line   int
}

// String formats a finding on one line.
func (f Finding) String() string {
	var b strings.Builder
	if f.Source != "" {
		fmt.Fprintf(&b, "%s: interaction %d", f.Source, f.Index)
		if f.Line > 0 {
			fmt.Fprintf(&b, " (line %d)", f.Line)
		}
		b.WriteString(": ")
	}
	b.WriteString(f.Kind.String())
	b.WriteString(": ")
	if f.Operation != "" {
		b.WriteString(f.Operation)
		b.WriteString(" ")
	}
	fmt.Fprintf(&b, "%s %s", f.Method, f.Path)
	if f.Status != 0 {
		fmt.Fprintf(&b, " -> %d", f.Status)
	} else if f.InRequest {
		b.WriteString(" (request)")
	}
	if f.Pointer != "" {
		fmt.Fprintf(&b, " at %s", f.Pointer)
	}
	b.WriteString(": ")
	b.WriteString(f.Message)
	return b.String()
}

// Report collects findings. It is safe for concurrent use; the zero value is
// an empty report.
type Report struct {
	mu       sync.Mutex
	findings []Finding
}

// Add appends findings to the report.
func (r *Report) Add(fs ...Finding) {
	if len(fs) == 0 {
		return
	}
	r.mu.Lock()
	r.findings = append(r.findings, fs...)
	r.mu.Unlock()
}

// Findings returns a copy of all findings in the order they were added.
func (r *Report) Findings() []Finding {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Finding(nil), r.findings...)
}

// Violations returns the findings of kind [Violation].
func (r *Report) Violations() []Finding { return r.kind(Violation) }

// Drift returns the findings of kind [Drift].
func (r *Report) Drift() []Finding { return r.kind(Drift) }

// NotChecked returns the findings of kind [NotChecked].
func (r *Report) NotChecked() []Finding { return r.kind(NotChecked) }

func (r *Report) kind(k Kind) []Finding {
	var out []Finding
	for _, f := range r.Findings() {
		if f.Kind == k {
			out = append(out, f)
		}
	}
	return out
}

// Reset removes all findings.
func (r *Report) Reset() {
	r.mu.Lock()
	r.findings = nil
	r.mu.Unlock()
}

// String formats the report: a summary line, then the violations, then the
// drift, then what was not checked (if anything), one finding per line.
func (r *Report) String() string {
	var b strings.Builder
	_, _ = r.WriteTo(&b)
	return b.String()
}

// WriteTo writes the report as String formats it.
func (r *Report) WriteTo(w io.Writer) (int64, error) {
	v, d, nc := r.Violations(), r.Drift(), r.NotChecked()
	var b strings.Builder
	fmt.Fprintf(&b, "%d violation(s), %d drift finding(s)", len(v), len(d))
	if len(nc) > 0 {
		fmt.Fprintf(&b, ", %d not checked", len(nc))
	}
	b.WriteString("\n")
	for _, fs := range [][]Finding{v, d, nc} {
		for _, f := range fs {
			b.WriteString("  ")
			b.WriteString(f.String())
			b.WriteString("\n")
		}
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// TB is the part of testing.TB that Check uses. *testing.T, *testing.B
// and *testing.F satisfy it, and so does any logger of a program that
// checks traffic outside a test. Taking it rather than testing.TB keeps
// the testing package out of binaries that import contract.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Logf(format string, args ...any)
}

// Check fails t with a readable list of the report's violations, if there
// are any, and logs its drift and what was not checked with t.Logf without
// failing.
func (r *Report) Check(t TB) {
	t.Helper()
	for _, f := range append(r.Drift(), r.NotChecked()...) {
		t.Logf("%s", f.String())
	}
	if v := r.Violations(); len(v) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "contract: %d violation(s) of the spec:\n", len(v))
		for _, f := range v {
			b.WriteString("  ")
			b.WriteString(f.String())
			b.WriteString("\n")
		}
		t.Errorf("%s", b.String())
	}
}

// AssertNoViolations is r.Check(t): it fails t if r holds violations and
// logs drift.
func AssertNoViolations(t TB, r *Report) {
	t.Helper()
	r.Check(t)
}
