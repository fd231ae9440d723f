package contract

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// Exchange is one request and its response, as judged: read from a
// recording by [CheckRecording], or seen live by a [Proxy]. The report
// formats ([Reporter]) write one test case per exchange.
type Exchange struct {
	// Source names the recording (a cassette or HAR file) and Index the
	// exchange's position in it, from 0; Line is its line in a cassette.
	// For a Proxy, Source is the file it records to ("" when it records
	// nothing) and Index counts the exchanges that got a response in the
	// order they ended, which is their order in the recording; an exchange
	// without a response has Index -1.
	Source string
	Index  int
	Line   int
	Method string
	// Path is the request's URL path. The query is left out: a delivery
	// URL's query is its signature.
	Path string
	// Status is the response's status code; 0 when no response came (see
	// Err).
	Status int
	// Duration is how long a live exchange took, from the request to the
	// end of the response's body; 0 for a recording.
	Duration time.Duration
	// Findings are the exchange's findings, labelled with Source, Index and
	// Line as the exchange is.
	Findings []Finding
	// Err says why a live exchange got no response (the upstream could
	// not be reached, say); it is nil otherwise. It is not a finding: the
	// spec says nothing about a server that does not answer.
	Err error
}

// String names the exchange: "METHOD /path -> status", after the recording
// and the index when it has them.
func (x Exchange) String() string {
	var b strings.Builder
	if x.Source != "" {
		fmt.Fprintf(&b, "%s: ", x.Source)
	}
	if x.Index >= 0 {
		fmt.Fprintf(&b, "interaction %d: ", x.Index)
	}
	fmt.Fprintf(&b, "%s %s", x.Method, x.Path)
	if x.Status != 0 {
		fmt.Fprintf(&b, " -> %d", x.Status)
	}
	return b.String()
}

// CheckRecording validates every exchange of a recording, a go-vcr (v4)
// cassette (.yaml, .yml) or a HAR file (.har), and returns them in the
// order recorded, each with its findings, as [CheckCassette] and
// [CheckHAR] judge them. HAR entries without a response are left out. The
// error is theirs, or one for a file whose extension is neither.
func CheckRecording(v *Validator, path string) ([]Exchange, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".har":
		return checkHAR(v, path)
	case ".yaml", ".yml":
		return checkCassette(v, path)
	}
	return nil, fmt.Errorf("contract: %s: not a cassette (.yaml, .yml) or HAR file (.har)", path)
}
