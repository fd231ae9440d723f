package contract_test

import (
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gettykit/getty/contract"
)

// CheckRecording returns every exchange of a recording, clean ones too (a
// JUnit report has a test case for each), with the findings CheckCassette
// and CheckHAR give, labelled alike.
func TestCheckRecording(t *testing.T) {
	v := newValidator(t)
	const list = "https://api.gettyimages.com/v3/downloads?page=1"
	const bad = `{"result_count":"1","downloads":[]}`
	cas := writeCassette(t,
		interaction("GET", list, nil, 200, jsonHeaders(validList), validList),
		interaction("GET", list, nil, 200, jsonHeaders(bad), bad),
	)
	har := writeFile(t, "session.har", harWith(
		harEntry("GET", harList, "", 200, harJSON, `{"size":-1,"mimeType":"application/json","text":"{\"result_count\":0,\"downloads\":[]}"}`),
		harEntry("GET", harList, "", 0, "", `{"size":0}`), // no response: left out
		harEntry("GET", harList, "", 200, harJSON, `{"size":-1,"mimeType":"application/json","text":`+strconv.Quote(bad)+`}`),
	))
	for _, tt := range []struct {
		path    string
		indexes []int
		check   func(string) (*contract.Report, error)
	}{
		{cas, []int{0, 1}, func(p string) (*contract.Report, error) { return contract.CheckCassette(v, p) }},
		{har, []int{0, 2}, func(p string) (*contract.Report, error) { return contract.CheckHAR(v, p) }},
	} {
		xs, err := contract.CheckRecording(v, tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if len(xs) != len(tt.indexes) {
			t.Fatalf("%s: %d exchanges, want %d", tt.path, len(xs), len(tt.indexes))
		}
		var all []contract.Finding
		for i, x := range xs {
			if x.Source != tt.path || x.Index != tt.indexes[i] || x.Method != http.MethodGet || x.Path != "/v3/downloads" || x.Status != 200 {
				t.Errorf("exchange %d = %+v", i, x)
			}
			if (x.Line > 0) != (filepath.Ext(tt.path) == ".yaml") {
				t.Errorf("exchange %d: line %d", i, x.Line)
			}
			for _, f := range x.Findings {
				if f.Source != x.Source || f.Index != x.Index || f.Line != x.Line {
					t.Errorf("finding labelled %s/%d/%d, exchange %s/%d/%d", f.Source, f.Index, f.Line, x.Source, x.Index, x.Line)
				}
			}
			all = append(all, x.Findings...)
		}
		if len(xs[0].Findings) != 0 || len(xs[1].Findings) != 1 || xs[1].Findings[0].Pointer != "/result_count" {
			t.Errorf("%s: findings %v / %v", tt.path, xs[0].Findings, xs[1].Findings)
		}
		r, err := tt.check(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := r.Findings(), all; len(got) != len(want) || (len(got) > 0 && got[0] != want[0]) {
			t.Errorf("%s: CheckRecording found %v, the file's own check %v", tt.path, want, got)
		}
		if s := xs[1].String(); s != tt.path+": interaction "+strconv.Itoa(tt.indexes[1])+": GET /v3/downloads -> 200" {
			t.Errorf("String() = %q", s)
		}
	}
	if _, err := contract.CheckRecording(v, "session.json"); err == nil || !strings.Contains(err.Error(), "not a cassette") {
		t.Errorf("unknown extension: %v", err)
	}
}
