package contract_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gettykit/getty/contract"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// reportSource is a recording name with a comma and a colon, which GitHub
// properties must escape.
const reportSource = "testdata/session, take:1.yaml"

// reportInput is what the format tests report: a recording with a clean
// exchange, one with a violation (its message on two lines, with a
// percent sign and markup) and drift, and one whose violation the allow
// list expects; live traffic with a body not checked and an exchange
// without a response; a recording that could not be checked; and a stale
// allow entry.
func reportInput(t *testing.T) (*contract.AllowList, []contract.Exchange) {
	t.Helper()
	allow, err := contract.ParseAllowList([]byte(`
- file: "session, take:1.yaml"
  interaction: 2
  pointer: page_size
  reason: page_size=101 on purpose, to record the 400
- file: "session, take:1.yaml"
  pointer: /gone
  reason: fixed since
`), filepath.Join("testdata", "allow.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	label := func(x contract.Exchange) contract.Exchange {
		for i := range x.Findings {
			f := &x.Findings[i]
			f.Source, f.Index, f.Line = x.Source, x.Index, x.Line
			f.Method, f.Path = x.Method, x.Path
			if !f.InRequest {
				f.Status = x.Status
			}
		}
		return x
	}
	xs := []contract.Exchange{
		label(contract.Exchange{Source: reportSource, Index: 0, Line: 3, Method: "POST", Path: "/oauth2/token", Status: 200}),
		label(contract.Exchange{Source: reportSource, Index: 1, Line: 31, Method: "GET", Path: "/v3/downloads", Status: 200,
			Findings: []contract.Finding{
				{Kind: contract.Violation, Operation: "listDownloads", Pointer: "/result_count", Message: "value must be an integer,\ngot \"1\" (100% <wrong> & more)"},
				{Kind: contract.Violation, Operation: "listDownloads", Pointer: "/downloads/0/id", Message: "property \"id\" is missing"},
				{Kind: contract.Drift, Operation: "listDownloads", Pointer: "/downloads/0/new_field", Message: "field not in the spec"},
			}}),
		label(contract.Exchange{Source: reportSource, Index: 2, Line: 60, Method: "GET", Path: "/v3/downloads", Status: 400,
			Findings: []contract.Finding{
				{Kind: contract.Violation, Operation: "listDownloads", InRequest: true, Pointer: "page_size", Message: "number must be at most 100"},
			}}),
		label(contract.Exchange{Index: 0, Method: "GET", Path: "/delivery/1.jpg", Status: 200, Duration: 1500 * time.Microsecond,
			Findings: []contract.Finding{
				{Kind: contract.NotChecked, Message: "response body not stored in the recording: its bytes are not checked"},
			}}),
		{Index: -1, Method: "GET", Path: "/v3/downloads", Err: errors.New("dial tcp 127.0.0.1:1: connect: connection refused")},
	}
	return allow, xs
}

func runReporter(t *testing.T, f contract.Format, quiet bool) (string, contract.Summary) {
	t.Helper()
	allow, xs := reportInput(t)
	var b bytes.Buffer
	r := contract.NewReporter(&b, f)
	r.Allow, r.Quiet, r.Name = allow, quiet, "contract proxy"
	for _, x := range xs {
		if err := r.Exchange(x); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Unchecked("testdata/broken.har", errors.New("contract: malformed HAR: testdata/broken.har:2: invalid character '<'")); err != nil {
		t.Fatal(err)
	}
	sum, err := r.Close()
	if err != nil {
		t.Fatal(err)
	}
	return b.String(), sum
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestReporterSummary(t *testing.T) {
	_, sum := runReporter(t, contract.FormatJSON, false)
	want := contract.Summary{Exchanges: 4, Failed: 1, Violations: 2, Allowed: 1, Drift: 1, NotChecked: 1,
		Sources: 1, ViolatingSources: 1, Unchecked: 1}
	stale := sum.Stale
	sum.Stale = nil
	if !reflect.DeepEqual(sum, want) {
		t.Errorf("summary = %+v\nwant      %+v", sum, want)
	}
	if len(stale) != 1 || stale[0].Pointer != "/gone" {
		t.Errorf("stale = %v", stale)
	}
	if s := (contract.Summary{Exchanges: 3, Violations: 1, Drift: 2, Allowed: 1, Stale: stale}).String(); s != "3 exchange(s): 1 violation(s), 2 drift finding(s), 1 allowed, 1 stale allow entr(ies)" {
		t.Errorf("String() = %q", s)
	}
}

func TestReporterText(t *testing.T) {
	out, _ := runReporter(t, contract.FormatText, false)
	golden(t, "report.txt", out)
	quiet, _ := runReporter(t, contract.FormatText, true)
	golden(t, "report-quiet.txt", quiet)
}

// JSON lines: one finding per line, each decoding into the documented
// fields and nothing else.
func TestReporterJSON(t *testing.T) {
	out, _ := runReporter(t, contract.FormatJSON, false)
	golden(t, "report.jsonl", out)

	type line struct {
		Kind        string `json:"kind"`
		File        string `json:"file"`
		Interaction *int   `json:"interaction"`
		Line        int    `json:"line"`
		Operation   string `json:"operation"`
		Method      string `json:"method"`
		Path        string `json:"path"`
		Status      int    `json:"status"`
		InRequest   bool   `json:"in_request"`
		Pointer     string `json:"pointer"`
		Message     string `json:"message"`
		Reason      string `json:"reason"`
		AllowLine   int    `json:"allow_line"`
	}
	var got []line
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		var l line
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("%v: %s", err, sc.Text())
		}
		if l.Kind == "" || l.Message == "" {
			t.Errorf("line without kind or message: %s", sc.Text())
		}
		got = append(got, l)
	}
	var kinds []string
	for _, l := range got {
		kinds = append(kinds, l.Kind)
	}
	if want := "violation violation drift allowed not-checked error error stale"; strings.Join(kinds, " ") != want {
		t.Fatalf("kinds = %v, want %s", kinds, want)
	}
	v := got[0]
	if v.File != reportSource || v.Interaction == nil || *v.Interaction != 1 || v.Line != 31 || v.Pointer != "/result_count" ||
		v.Status != 200 || v.Operation != "listDownloads" || !strings.Contains(v.Message, "\ngot \"1\" (100% <wrong> & more)") {
		t.Errorf("violation = %+v", v)
	}
	if a := got[3]; a.Reason != "page_size=101 on purpose, to record the 400" || a.AllowLine != 2 || !a.InRequest || a.Status != 0 {
		t.Errorf("allowed = %+v", a)
	}
	if nc := got[4]; nc.File != "" || nc.Interaction == nil || *nc.Interaction != 0 {
		t.Errorf("live finding = %+v", nc)
	}
	if e := got[5]; e.Interaction != nil || !strings.Contains(e.Message, "connection refused") {
		t.Errorf("no response = %+v", e)
	}
	if s := got[7]; s.File != filepath.Join("testdata", "allow.yaml") || s.Line != 6 || s.Reason != "fixed since" {
		t.Errorf("stale = %+v", s)
	}
}

type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Cases    []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			File      string `xml:"file,attr"`
			Line      int    `xml:"line,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// JUnit XML parses back: one test case per exchange, a failure carrying
// the pointer and message of a violation.
func TestReporterJUnit(t *testing.T) {
	out, _ := runReporter(t, contract.FormatJUnit, false)
	golden(t, "report.xml", out)

	var doc junitDoc
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if doc.Tests != 7 || doc.Failures != 2 || doc.Errors != 2 || len(doc.Suites) != 4 {
		t.Fatalf("testsuites: %d tests, %d failures, %d errors, %d suites", doc.Tests, doc.Failures, doc.Errors, len(doc.Suites))
	}
	rec, live, broken, allow := doc.Suites[0], doc.Suites[1], doc.Suites[2], doc.Suites[3]
	if rec.Name != reportSource || len(rec.Cases) != 3 || rec.Tests != 3 || rec.Failures != 1 {
		t.Fatalf("recording suite: %+v", rec)
	}
	c := rec.Cases[1]
	if c.Name != "interaction 1: GET /v3/downloads -> 200" || c.File != reportSource || c.Line != 31 || c.Failure == nil {
		t.Fatalf("test case = %+v", c)
	}
	if want := "/result_count: value must be an integer,\ngot \"1\" (100% <wrong> & more) (and 1 more)"; c.Failure.Message != want {
		t.Errorf("failure message = %q, want %q", c.Failure.Message, want)
	}
	if !strings.Contains(c.Failure.Text, "at /downloads/0/id: property \"id\" is missing") || !strings.Contains(c.SystemOut, "drift: ") {
		t.Errorf("failure text %q, system-out %q", c.Failure.Text, c.SystemOut)
	}
	if a := rec.Cases[2]; a.Failure != nil || !strings.Contains(a.SystemOut, "allowed: ") {
		t.Errorf("allowed violation: %+v", a)
	}
	if live.Name != "contract proxy" || len(live.Cases) != 2 || live.Cases[0].Time != "0.001500" || live.Cases[1].Error == nil || live.Errors != 1 {
		t.Errorf("live suite: %+v", live)
	}
	if broken.Name != "testdata/broken.har" || broken.Errors != 1 || broken.Cases[0].Error == nil {
		t.Errorf("unchecked recording: %+v", broken)
	}
	if allow.Name != filepath.Join("testdata", "allow.yaml") || allow.Failures != 1 || allow.Cases[0].Line != 6 {
		t.Errorf("stale entries: %+v", allow)
	}

	// No exchange at all is still a document.
	var b bytes.Buffer
	if _, err := contract.NewReporter(&b, contract.FormatJUnit).Close(); err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil || doc.Tests != 0 {
		t.Errorf("empty report: %v\n%s", err, b.String())
	}
}

// githubCommand matches a workflow command: ::name props::message.
var githubCommand = regexp.MustCompile(`^::(error|warning|notice)(?: ([^:]*))?::(.*)$`)

// unescapeGitHub undoes the runner's escaping, as the runner does.
func unescapeGitHub(s string, property bool) string {
	pairs := []string{"%0D", "\r", "%0A", "\n"}
	if property {
		pairs = append(pairs, "%3A", ":", "%2C", ",")
	}
	return strings.NewReplacer(append(pairs, "%25", "%")...).Replace(s)
}

// GitHub annotations carry the recording and, for a cassette, the
// interaction's line; newlines, percent signs, and commas and colons in
// properties are escaped so that the runner reads them back intact.
func TestReporterGitHub(t *testing.T) {
	out, _ := runReporter(t, contract.FormatGitHub, false)
	golden(t, "report.github", out)
	quiet, _ := runReporter(t, contract.FormatGitHub, true)
	golden(t, "report-quiet.github", quiet)

	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 8 {
		t.Fatalf("%d lines:\n%s", len(lines), out)
	}
	type annotation struct {
		cmd   string
		props map[string]string
		msg   string
	}
	var got []annotation
	for _, l := range lines {
		m := githubCommand.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("not a workflow command: %q", l)
		}
		a := annotation{cmd: m[1], props: map[string]string{}, msg: unescapeGitHub(m[3], false)}
		if m[2] != "" {
			for _, p := range strings.Split(m[2], ",") {
				k, v, ok := strings.Cut(p, "=")
				if !ok {
					t.Fatalf("property %q in %q", p, l)
				}
				a.props[k] = unescapeGitHub(v, true)
			}
		}
		got = append(got, a)
	}
	v := got[0]
	if v.cmd != "error" || v.props["file"] != reportSource || v.props["line"] != "31" || v.props["title"] != "contract violation" {
		t.Errorf("violation annotation: %+v", v)
	}
	if want := "interaction 1: listDownloads GET /v3/downloads -> 200 at /result_count: value must be an integer,\ngot \"1\" (100% <wrong> & more)"; v.msg != want {
		t.Errorf("message = %q\nwant      %q", v.msg, want)
	}
	if d := got[2]; d.cmd != "warning" || d.props["line"] != "31" {
		t.Errorf("drift annotation: %+v", d)
	}
	if a := got[3]; a.cmd != "notice" || !strings.Contains(a.msg, "(allowed: page_size=101 on purpose, to record the 400)") {
		t.Errorf("allowed annotation: %+v", a)
	}
	if nc := got[4]; nc.cmd != "notice" || nc.props["file"] != "" || nc.props["line"] != "" {
		t.Errorf("live annotation: %+v", nc)
	}
	if s := got[7]; s.cmd != "error" || s.props["file"] != filepath.Join("testdata", "allow.yaml") || s.props["line"] != "6" {
		t.Errorf("stale annotation: %+v", s)
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range []contract.Format{contract.FormatText, contract.FormatJSON, contract.FormatJUnit, contract.FormatGitHub} {
		got, err := contract.ParseFormat(f.String())
		if err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %v, %v", f, got, err)
		}
	}
	if _, err := contract.ParseFormat("xml"); err == nil || !strings.Contains(err.Error(), "text, json, junit, github") {
		t.Errorf("ParseFormat(xml): %v", err)
	}
}
