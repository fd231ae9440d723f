package contract

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// Format is how a [Reporter] writes what it is told.
type Format int

const (
	// FormatText writes one line per finding, as [Finding.String] does.
	FormatText Format = iota
	// FormatJSON writes JSON lines: one object per finding (see
	// [Reporter] for the fields).
	FormatJSON
	// FormatJUnit writes one JUnit XML document when the Reporter is
	// closed: a test suite per recording, a test case per exchange.
	FormatJUnit
	// FormatGitHub writes GitHub Actions workflow commands, which the
	// runner turns into annotations on the files and lines named.
	FormatGitHub
)

var formatNames = []string{FormatText: "text", FormatJSON: "json", FormatJUnit: "junit", FormatGitHub: "github"}

// String returns the format's name, as [ParseFormat] takes it.
func (f Format) String() string {
	if f >= 0 && int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ParseFormat returns the format named s: text, json, junit or github.
func ParseFormat(s string) (Format, error) {
	for i, n := range formatNames {
		if s == n {
			return Format(i), nil
		}
	}
	return 0, fmt.Errorf("contract: unknown report format %q (want %s)", s, strings.Join(formatNames, ", "))
}

// Reporter writes judged exchanges as they come, in one [Format], and what
// is left when it is closed. It is what `getty contract check` and the
// contract proxy print with. A Reporter is safe for concurrent use; set its
// fields before the first call.
//
// Violations that Allow allows are written as allowed, with the entry's
// reason, and do not count as violations. Allow entries match findings by
// their recording ([Finding.Source]), so traffic that is not recorded
// matches none.
//
// # JSON lines
//
// FormatJSON writes one JSON object per line, each with these fields,
// absent when empty (interaction is present whenever the exchange has an
// index, 0 included):
//
//	kind         "violation", "allowed" (a violation the allow list expects),
//	             "drift", "not-checked", "error" (a recording that could not
//	             be checked, or a live exchange that got no response) or
//	             "stale" (an allow-list entry that matched nothing)
//	file         the recording; for "stale", the allow list
//	interaction  the exchange's index in the recording, from 0
//	line         the interaction's line in a cassette; for "stale", the
//	             entry's line in the allow list
//	operation    the operationId the request was routed to
//	method, path the request's method and URL path
//	status       the response's status code (absent for a finding about
//	             the request)
//	in_request   true for a finding about the request
//	pointer      a JSON pointer into the body, a parameter or header name,
//	             or "security"
//	message      what is wrong (always present)
//	reason       "allowed" and "stale": the allow entry's reason
//	allow_line   "allowed": the entry's line in the allow list
//
// New fields may be added; the ones above keep their names and meanings.
//
// # JUnit XML
//
// FormatJUnit writes, on Close, a <testsuites> document with a <testsuite>
// per recording (Name for exchanges without one) and a <testcase> per
// exchange, named "interaction N: METHOD /path -> status". A violation
// makes a <failure> whose message is the first violation's pointer and
// message, with every violation in its text; drift, what was not checked
// and allowed violations go to <system-out>; an exchange without a
// response, or a recording that could not be checked, is an <error>. Stale
// allow-list entries are failing test cases of a suite named after the
// allow list.
//
// # GitHub Actions
//
// FormatGitHub writes a workflow command per finding: ::error for a
// violation, ::warning for drift, ::notice for what was not checked and for
// allowed violations, each with file= (the recording) and, for a cassette,
// line= (the interaction's), escaped as the runner reads them.
type Reporter struct {
	// Allow lists the expected violations; nil allows none.
	Allow *AllowList
	// Quiet leaves out, in the text and GitHub formats, everything but
	// violations that are not allowed, errors and stale entries.
	Quiet bool
	// Name names the JUnit test suite of exchanges without a recording;
	// "contract" when empty.
	Name string

	w      io.Writer
	format Format

	mu        sync.Mutex
	err       error // the first write error
	closed    bool
	sum       Summary
	sources   []string // recordings seen, in order
	violating map[string]bool
	found     []Finding      // every violation, allowed or not
	suites    []*junitSuite  // FormatJUnit: in order of first appearance
	suiteOf   map[string]int // source -> index in suites
}

// NewReporter returns a Reporter that writes to w in format f.
func NewReporter(w io.Writer, f Format) *Reporter {
	return &Reporter{w: w, format: f, violating: map[string]bool{}, suiteOf: map[string]int{}}
}

// Summary counts what a [Reporter] was told.
type Summary struct {
	// Exchanges is how many exchanges were judged; Failed how many live
	// ones got no response (they are not counted in Exchanges).
	Exchanges, Failed int
	// Violations counts the violations no allow entry allows; Allowed the
	// others.
	Violations, Allowed int
	Drift, NotChecked   int
	// Sources is how many recordings had exchanges judged;
	// ViolatingSources how many of these (or of the unrecorded traffic,
	// counted as one) hold a violation that is not allowed.
	Sources, ViolatingSources int
	// Unchecked counts the recordings that could not be checked.
	Unchecked int
	// Stale lists the allow entries about a recording seen that allowed
	// nothing.
	Stale []AllowEntry
}

// String sums up: "N exchange(s): V violation(s), D drift finding(s)",
// then what was allowed, not checked, without a response, unchecked or
// stale, when there is any.
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d exchange(s): %d violation(s), %d drift finding(s)", s.Exchanges, s.Violations, s.Drift)
	for _, p := range []struct {
		n    int
		what string
	}{
		{s.Allowed, "allowed"},
		{s.NotChecked, "not checked"},
		{s.Failed, "without a response"},
		{s.Unchecked, "recording(s) not checked"},
		{len(s.Stale), "stale allow entr(ies)"},
	} {
		if p.n > 0 {
			fmt.Fprintf(&b, ", %d %s", p.n, p.what)
		}
	}
	return b.String()
}

// record is one line of FormatJSON.
type record struct {
	Kind        string `json:"kind"`
	File        string `json:"file,omitempty"`
	Interaction *int   `json:"interaction,omitempty"`
	Line        int    `json:"line,omitempty"`
	Operation   string `json:"operation,omitempty"`
	Method      string `json:"method,omitempty"`
	Path        string `json:"path,omitempty"`
	Status      int    `json:"status,omitempty"`
	InRequest   bool   `json:"in_request,omitempty"`
	Pointer     string `json:"pointer,omitempty"`
	Message     string `json:"message"`
	Reason      string `json:"reason,omitempty"`
	AllowLine   int    `json:"allow_line,omitempty"`
}

// judged is a finding with the allow list's verdict.
type judged struct {
	Finding
	allowed *AllowEntry
}

func (j judged) kind() string {
	switch {
	case j.allowed != nil:
		return "allowed"
	case j.Kind == NotChecked:
		return "not-checked"
	}
	return j.Kind.String()
}

// Exchange writes what was found in x, as it comes.
func (r *Reporter) Exchange(x Exchange) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return fmt.Errorf("contract: Reporter used after Close")
	}
	if x.Err != nil {
		r.sum.Failed++
	} else {
		r.sum.Exchanges++
	}
	if x.Source != "" && !r.seen(x.Source) {
		r.sources = append(r.sources, x.Source)
	}
	js := make([]judged, 0, len(x.Findings))
	for _, f := range x.Findings {
		j := judged{Finding: f}
		switch f.Kind {
		case Violation:
			r.found = append(r.found, f)
			if e, ok := r.Allow.Match(f); ok {
				j.allowed = &e
				r.sum.Allowed++
			} else {
				r.sum.Violations++
				r.violating[x.Source] = true
			}
		case Drift:
			r.sum.Drift++
		case NotChecked:
			r.sum.NotChecked++
		}
		js = append(js, j)
	}
	switch r.format {
	case FormatText:
		for _, j := range js {
			if s, ok := r.textLine(j); ok {
				if j.Source == "" && j.Index >= 0 {
					s = fmt.Sprintf("interaction %d: %s", j.Index, s)
				}
				r.write(s + "\n")
			}
		}
		if x.Err != nil {
			r.write(fmt.Sprintf("error: %s: no response: %v\n", x, x.Err))
		}
	case FormatJSON:
		for _, j := range js {
			rec := findingRecord(j)
			if rec.Interaction == nil && x.Index >= 0 {
				rec.Interaction = &x.Index
			}
			r.writeJSON(rec)
		}
		if x.Err != nil {
			rec := record{Kind: "error", File: x.Source, Method: x.Method, Path: x.Path, Message: "no response: " + x.Err.Error()}
			r.writeJSON(rec)
		}
	case FormatGitHub:
		for _, j := range js {
			if r.Quiet && (j.Kind != Violation || j.allowed != nil) {
				continue
			}
			r.write(githubFinding(j))
		}
		if x.Err != nil {
			r.write(githubCommand("warning", x.Source, 0, "no response", fmt.Sprintf("%s: %v", x, x.Err)))
		}
	case FormatJUnit:
		r.suite(x.Source).add(x, js)
	}
	return r.err
}

func (r *Reporter) seen(source string) bool {
	for _, s := range r.sources {
		if s == source {
			return true
		}
	}
	return false
}

// Unchecked writes that the recording at path could not be checked, and
// why.
func (r *Reporter) Unchecked(path string, err error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sum.Unchecked++
	msg := strings.TrimPrefix(err.Error(), "contract: ")
	switch r.format {
	case FormatText:
		r.write("error: " + msg + "\n")
	case FormatJSON:
		r.writeJSON(record{Kind: "error", File: path, Message: msg})
	case FormatGitHub:
		r.write(githubCommand("error", path, 0, "recording not checked", msg))
	case FormatJUnit:
		s := r.suite(path)
		s.Errors++
		s.Tests++
		s.Cases = append(s.Cases, junitCase{Name: "check " + path, Classname: path, File: path,
			Error: &junitProblem{Message: msg, Type: "not checked"}})
	}
	return r.err
}

// Close finds the stale allow entries (those about a recording seen that
// allowed no violation), writes them and, for FormatJUnit, the document,
// and returns the summary and the first error met writing.
func (r *Reporter) Close() (Summary, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return r.sum, r.err
	}
	r.closed = true
	r.sum.Sources = len(r.sources)
	r.sum.ViolatingSources = len(r.violating)
	r.sum.Stale = r.Allow.Apply(r.sources, r.found).Stale
	for _, e := range r.sum.Stale {
		msg := "stale allow entry, no violation matches it: " + e.String()
		switch r.format {
		case FormatText:
			r.write(fmt.Sprintf("%s:%d: %s\n", r.Allow.Path, e.Line, msg))
		case FormatJSON:
			r.writeJSON(record{Kind: "stale", File: r.Allow.Path, Line: e.Line, Pointer: e.Pointer, Message: msg, Reason: e.Reason})
		case FormatGitHub:
			r.write(githubCommand("error", r.Allow.Path, e.Line, "stale allow entry", msg))
		case FormatJUnit:
			s := r.suite("\x00allow")
			s.Name = r.Allow.Path
			s.Tests++
			s.Failures++
			s.Cases = append(s.Cases, junitCase{Name: fmt.Sprintf("allow entry at line %d", e.Line), Classname: r.Allow.Path,
				File: r.Allow.Path, Line: e.Line, Failure: &junitProblem{Message: msg, Type: "stale allow entry"}})
		}
	}
	if r.format == FormatJUnit {
		r.writeJUnit()
	}
	return r.sum, r.err
}

func (r *Reporter) write(s string) {
	if r.err != nil {
		return
	}
	_, r.err = io.WriteString(r.w, s)
}

func (r *Reporter) writeJSON(rec record) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rec); err != nil {
		if r.err == nil {
			r.err = err
		}
		return
	}
	r.write(b.String())
}

// textLine is a finding as FormatText writes it, and whether to write it.
func (r *Reporter) textLine(j judged) (string, bool) {
	s := j.Finding.String()
	switch {
	case j.allowed != nil:
		if r.Quiet {
			return "", false
		}
		if i := strings.Index(s, "violation: "); i >= 0 {
			s = s[:i] + "allowed: " + s[i+len("violation: "):]
		}
		return fmt.Sprintf("%s (%s)", s, j.allowed.Reason), true
	case j.Kind != Violation && r.Quiet:
		return "", false
	}
	return s, true
}

func findingRecord(j judged) record {
	f := j.Finding
	rec := record{
		Kind: j.kind(), File: f.Source, Line: f.Line, Operation: f.Operation, Method: f.Method, Path: f.Path,
		Status: f.Status, InRequest: f.InRequest, Pointer: f.Pointer, Message: f.Message,
	}
	if f.Source != "" {
		rec.Interaction = &f.Index
	}
	if j.allowed != nil {
		rec.Reason, rec.AllowLine = j.allowed.Reason, j.allowed.Line
	}
	return rec
}

// describe is a finding without its recording and kind: "[operation]
// METHOD /path -> status at pointer: message".
func describe(f Finding) string {
	g := f
	g.Source = ""
	return strings.TrimPrefix(g.String(), g.Kind.String()+": ")
}

// githubFinding is the workflow command for a finding.
func githubFinding(j judged) string {
	cmd, title := "error", "contract violation"
	switch {
	case j.allowed != nil:
		cmd, title = "notice", "allowed contract violation"
	case j.Kind == Drift:
		cmd, title = "warning", "contract drift"
	case j.Kind == NotChecked:
		cmd, title = "notice", "not checked"
	}
	msg := fmt.Sprintf("interaction %d: %s", j.Index, describe(j.Finding))
	if j.allowed != nil {
		msg += " (allowed: " + j.allowed.Reason + ")"
	}
	return githubCommand(cmd, j.Source, j.Line, title, msg)
}

// githubCommand formats a workflow command, escaping its properties and
// message as the Actions runner unescapes them (the toolkit's escapeData
// and escapeProperty): "%", CR and LF everywhere, and ":" and "," in
// properties.
func githubCommand(cmd, file string, line int, title, msg string) string {
	var props []string
	if file != "" {
		props = append(props, "file="+githubProperty(file))
		if line > 0 {
			props = append(props, "line="+strconv.Itoa(line))
		}
	}
	if title != "" {
		props = append(props, "title="+githubProperty(title))
	}
	s := "::" + cmd
	if len(props) > 0 {
		s += " " + strings.Join(props, ",")
	}
	return s + "::" + githubData(msg) + "\n"
}

var (
	githubDataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	githubPropertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

func githubData(s string) string     { return githubDataEscaper.Replace(s) }
func githubProperty(s string) string { return githubPropertyEscaper.Replace(s) }

// The JUnit XML document, in the shape JUnit's Ant task and the Maven
// Surefire plugin write and CI systems read.
type junitSuites struct {
	XMLName  xml.Name      `xml:"testsuites"`
	Name     string        `xml:"name,attr"`
	Tests    int           `xml:"tests,attr"`
	Failures int           `xml:"failures,attr"`
	Errors   int           `xml:"errors,attr"`
	Suites   []*junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Time     string      `xml:"time,attr,omitempty"`
	Cases    []junitCase `xml:"testcase"`

	seconds float64
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Time      string        `xml:"time,attr,omitempty"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// suite returns the test suite of a recording ("" for live traffic not
// recorded), adding it at the end if it is new.
func (r *Reporter) suite(source string) *junitSuite {
	if i, ok := r.suiteOf[source]; ok {
		return r.suites[i]
	}
	name := source
	if name == "" {
		name = r.Name
		if name == "" {
			name = "contract"
		}
	}
	r.suiteOf[source] = len(r.suites)
	s := &junitSuite{Name: name}
	r.suites = append(r.suites, s)
	return s
}

func (s *junitSuite) add(x Exchange, js []judged) {
	c := junitCase{Name: x.String(), Classname: s.Name, File: x.Source, Line: x.Line}
	if x.Source != "" {
		c.Name = strings.TrimPrefix(c.Name, x.Source+": ")
	}
	if x.Duration > 0 {
		c.Time = strconv.FormatFloat(x.Duration.Seconds(), 'f', 6, 64)
		s.seconds += x.Duration.Seconds()
		s.Time = strconv.FormatFloat(s.seconds, 'f', 6, 64)
	}
	var fails, out []string
	var first *Finding
	for _, j := range js {
		line := j.kind() + ": " + describe(j.Finding)
		if j.allowed != nil {
			line += " (" + j.allowed.Reason + ")"
		}
		if j.Kind == Violation && j.allowed == nil {
			if first == nil {
				first = &j.Finding
			}
			fails = append(fails, line)
		} else {
			out = append(out, line)
		}
	}
	s.Tests++
	if first != nil {
		msg := first.Message
		if first.Pointer != "" {
			msg = first.Pointer + ": " + msg
		}
		if len(fails) > 1 {
			msg += fmt.Sprintf(" (and %d more)", len(fails)-1)
		}
		c.Failure = &junitProblem{Message: msg, Type: "contract violation", Text: strings.Join(fails, "\n")}
		s.Failures++
	}
	if x.Err != nil {
		c.Error = &junitProblem{Message: "no response: " + x.Err.Error(), Type: "no response"}
		s.Errors++
	}
	if len(out) > 0 {
		c.SystemOut = strings.Join(out, "\n")
	}
	s.Cases = append(s.Cases, c)
}

func (r *Reporter) writeJUnit() {
	doc := junitSuites{Name: "getty contract", Suites: r.suites}
	if doc.Suites == nil {
		doc.Suites = []*junitSuite{}
	}
	for _, s := range r.suites {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
	}
	b, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		if r.err == nil {
			r.err = err
		}
		return
	}
	r.write(xml.Header + string(b) + "\n")
}
