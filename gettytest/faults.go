package gettytest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Fault describes how the server misbehaves for the requests it matches.
// Faults that match the same request combine: latencies add up, the first
// fault with a Status answers, and any Truncate cuts the body short.
type Fault struct {
	// Status, when not 0, answers the request with this status instead of
	// serving it (the request does not reach the API: no quota is used).
	Status int
	// Body is the answer's body; when empty a JSON body in the gateway's
	// shape, {"message": "<status text>"}, is sent.
	Body string
	// Header holds headers to send with the answer. A JSON Content-Type is
	// the default.
	Header http.Header
	// Latency delays the answer. A request whose context ends while it
	// waits gets no answer.
	Latency time.Duration
	// Truncate sends only half of the body while declaring its full
	// Content-Length, then closes the connection: the client reads an
	// unexpected EOF.
	Truncate bool
	// Times is how many matching requests the fault applies to; 0 means
	// every one until ClearFaults.
	Times int
}

type faultEntry struct {
	match string
	f     Fault
	left  int // 0: unlimited
}

func newFaultEntry(match string, f Fault) faultEntry {
	if f.Times < 0 {
		f.Times = 0
	}
	return faultEntry{match: match, f: f, left: f.Times}
}

// Inject adds a fault for the requests matching match: an operation name
// (OpListDownloads, OpDownloadImage, OpToken, OpDelivery, OpOther), or ""
// for every request. It is safe to call while the server runs.
func (s *Server) Inject(match string, f Fault) {
	s.h.mu.Lock()
	s.h.faults = append(s.h.faults, newFaultEntry(match, f))
	s.h.mu.Unlock()
}

// Fail answers every request matching match with status, body and header
// until ClearFaults. An empty body is sent as {"message": "<status text>"}.
func (s *Server) Fail(match string, status int, body string, header http.Header) {
	s.Inject(match, Fault{Status: status, Body: body, Header: header})
}

// FailOnce answers the next request matching match with status, then the
// server recovers: the "503 once, then success" a retrying client must
// survive.
func (s *Server) FailOnce(match string, status int) {
	s.Inject(match, Fault{Status: status, Times: 1})
}

// ThrottleDetail is the X-Error-Detail the server sends when throttling.
const ThrottleDetail = "Account Over Queries Per Second Limit"

// Throttle answers the next times requests matching match (every one when
// times is 0) as Getty's gateway does when throttling: status (403 or
// 429) with X-Error-Detail and a {"message"} body, and no Retry-After.
func (s *Server) Throttle(match string, status, times int) {
	body, _ := json.Marshal(map[string]string{"message": ThrottleDetail})
	s.Inject(match, Fault{
		Status: status,
		Body:   string(body),
		Header: http.Header{"X-Error-Detail": {ThrottleDetail}},
		Times:  times,
	})
}

// Truncate cuts the body of the next times responses matching match (every
// one when times is 0) in half, while Content-Length declares it whole.
func (s *Server) Truncate(match string, times int) {
	s.Inject(match, Fault{Truncate: true, Times: times})
}

// SetLatency delays every response matching match by d, until ClearFaults.
func (s *Server) SetLatency(match string, d time.Duration) {
	s.Inject(match, Fault{Latency: d})
}

// ClearFaults removes every fault: the server behaves again.
func (s *Server) ClearFaults() {
	s.h.mu.Lock()
	s.h.faults = nil
	s.h.mu.Unlock()
}

func writeFault(w http.ResponseWriter, f Fault) {
	body := f.Body
	if body == "" {
		b, _ := json.Marshal(map[string]string{"message": http.StatusText(f.Status)})
		body = string(b)
	}
	for k, vs := range f.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(f.Status)
	_, _ = w.Write([]byte(body))
}

// truncatingWriter passes on only the first half of the body its handler
// declared with Content-Length, and drops the rest. net/http closes the
// connection when a handler writes less than it declared.
type truncatingWriter struct {
	http.ResponseWriter
	limit   int64 // -1 until WriteHeader
	written int64
	started bool
}

func (t *truncatingWriter) WriteHeader(code int) {
	if !t.started {
		t.started = true
		t.limit = -1
		if n, err := strconv.ParseInt(t.Header().Get("Content-Length"), 10, 64); err == nil {
			t.limit = n / 2
		}
	}
	t.ResponseWriter.WriteHeader(code)
}

func (t *truncatingWriter) Write(p []byte) (int, error) {
	if !t.started {
		t.WriteHeader(http.StatusOK)
	}
	if t.limit < 0 {
		return t.ResponseWriter.Write(p)
	}
	n := int(max(0, min(int64(len(p)), t.limit-t.written)))
	if n > 0 {
		if _, err := t.ResponseWriter.Write(p[:n]); err != nil {
			return 0, err
		}
		t.written += int64(n)
	}
	return len(p), nil // the handler believes it wrote everything
}
