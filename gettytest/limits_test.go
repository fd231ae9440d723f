package gettytest_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gettykit/getty/gettytest"
)

// dial opens a raw connection to s and sends head, the request line and
// headers (without the blank line that ends them).
func dial(t *testing.T, s *gettytest.Server, head string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, strings.ReplaceAll(head, "\n", "\r\n")+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	return conn
}

// readResponse reads a response from conn within d, with its body.
func readResponse(conn net.Conn, d time.Duration) (*http.Response, string, error) {
	conn.SetReadDeadline(time.Now().Add(d))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

// requestHeads are requests of each kind the fake reads a body for: an API
// call that is validated, the token endpoint's form, and a path the fake
// does not know (whose body nobody reads).
func requestHeads(s *gettytest.Server) map[string]string {
	auth := "Api-Key: " + gettytest.APIKey + "\nAuthorization: Bearer " + s.IssueToken(true)
	return map[string]string{
		"download": "POST /v3/downloads/images/" + gettytest.ImageID + "?auto_download=false HTTP/1.1\nHost: fake\nContent-Type: application/json\n" + auth,
		"token":    "POST /oauth2/token HTTP/1.1\nHost: fake\nContent-Type: application/x-www-form-urlencoded",
		"unknown":  "POST /v3/elsewhere HTTP/1.1\nHost: fake\nContent-Type: application/json\n" + auth,
	}
}

// A body bigger than the limit is answered 413 without being read: at once
// when its Content-Length says so, and as soon as it goes over when it is
// chunked, having read little more than the limit.
func TestHugeBodyGets413WithoutBuffering(t *testing.T) {
	const limit = 64 << 10
	s := gettytest.NewServer(gettytest.WithMaxRequestBody(limit))
	defer s.Close()
	for name, head := range requestHeads(s) {
		t.Run(name+"/declared", func(t *testing.T) {
			// 50 MB declared and not one byte sent: a server that reads
			// the body before answering never answers.
			conn := dial(t, s, head+"\nContent-Length: 50000000")
			resp, body, err := readResponse(conn, 5*time.Second)
			if err != nil {
				t.Fatalf("no answer without the body: %v", err)
			}
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "bigger than 65536 bytes") {
				t.Errorf("%d %s", resp.StatusCode, body)
			}
			if !resp.Close {
				t.Error("the connection is kept open after a 413")
			}
		})
		t.Run(name+"/chunked", func(t *testing.T) {
			conn := dial(t, s, head+"\nTransfer-Encoding: chunked")
			var sent atomic.Int64
			go func() {
				chunk := []byte(fmt.Sprintf("%x\r\n%s\r\n", 32<<10, strings.Repeat("0", 32<<10)))
				for sent.Load() < 1<<30 {
					if _, err := conn.Write(chunk); err != nil {
						return
					}
					sent.Add(32 << 10)
				}
			}()
			resp, body, err := readResponse(conn, 10*time.Second)
			if err != nil {
				t.Fatalf("no answer: %v (%d bytes sent)", err, sent.Load())
			}
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "RequestTooLarge") {
				t.Errorf("%d %s", resp.StatusCode, body)
			}
			// What the server did not read stays in the sockets' buffers
			// (a few MiB on loopback) until it closes the connection.
			time.Sleep(100 * time.Millisecond)
			if n := sent.Load(); n > 32<<20 {
				t.Errorf("the client sent %d MiB before the server stopped it", n>>20)
			}
		})
	}
}

// A body that stalls after the headers is cut after the read timeout: the
// request is answered 408 and its connection closed. So is a connection
// that stalls in its headers.
func TestStalledBodyIsCut(t *testing.T) {
	const timeout = 300 * time.Millisecond
	s := gettytest.NewServer(gettytest.WithReadTimeout(timeout))
	defer s.Close()
	for name, head := range requestHeads(s) {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			conn := dial(t, s, head+"\nContent-Length: 100")
			io.WriteString(conn, `{"download`) // 10 of the 100 bytes, then nothing
			resp, body, err := readResponse(conn, 5*time.Second)
			if err != nil {
				t.Fatalf("no answer to a stalled body: %v", err)
			}
			if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(body, "did not arrive within 300ms") {
				t.Errorf("%d %s", resp.StatusCode, body)
			}
			if elapsed := time.Since(start); elapsed < timeout {
				t.Errorf("answered after %v, before the timeout", elapsed)
			}
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			if n, err := conn.Read(make([]byte, 1)); err != io.EOF {
				t.Errorf("connection still open after the 408: read %d, %v", n, err)
			}
		})
	}
	t.Run("headers", func(t *testing.T) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		io.WriteString(conn, "POST /oauth2/token HTTP/1.1\r\nHost: fa")
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadAll(conn); err != nil {
			t.Errorf("connection stalled in its headers not closed: %v", err)
		}
	})
}

// With two slots, a third request with a body waits, its body sent whole,
// until one of the first two is done.
func TestConcurrentBodiesAreBounded(t *testing.T) {
	s := gettytest.NewServer(gettytest.WithMaxConcurrentBodies(2))
	defer s.Close()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {gettytest.APIKey}, "client_secret": {gettytest.ClientSecret}}.Encode()
	head := fmt.Sprintf("POST /oauth2/token HTTP/1.1\nHost: fake\nContent-Type: application/x-www-form-urlencoded\nContent-Length: %d", len(form))
	half := len(form) / 2

	a, b := dial(t, s, head), dial(t, s, head)
	io.WriteString(a, form[:half])
	io.WriteString(b, form[:half])
	deadline := time.Now().Add(5 * time.Second)
	for s.Requests(gettytest.OpToken) < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // both take their slot

	c := dial(t, s, head)
	io.WriteString(c, form)
	if resp, _, err := readResponse(c, 300*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a third body was handled while two held the slots: %v %v", resp, err)
	}
	io.WriteString(a, form[half:])
	if resp, body, err := readResponse(a, 5*time.Second); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("first request: %v %v %s", resp, err, body)
	}
	if resp, body, err := readResponse(c, 5*time.Second); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the waiting request, once a slot is free: %v %v %s", resp, err, body)
	}
	io.WriteString(b, form[half:])
	if resp, body, err := readResponse(b, 5*time.Second); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("second request: %v %v %s", resp, err, body)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// pause is a body part that holds its request up for a while.
type pause time.Duration

func (p pause) Read([]byte) (int, error) {
	time.Sleep(time.Duration(p))
	return 0, io.EOF
}

// The fake's heap stays bounded while 200 clients each send a 50 MB body at
// once, chunked (so that the body must be read to be found too big) or
// with its length declared, and while 200 clients send bodies of the
// largest size accepted, slowly, so that they would all be held at once
// without the bound on concurrent bodies. Before the limits, the fake
// buffered up to 8 MiB of every body and its heap reached 1.4-1.6 GiB.
func TestMemoryBoundUnderHugeBodies(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 200 large bodies")
	}
	const (
		clients = 200
		bound   = 64 << 20 // see DefaultMaxRequestBody
	)
	tests := []struct {
		name    string
		size    int64
		chunked bool
		slow    bool
		answers []string // the answers expected, besides transport errors
	}{
		{"50 MB chunked", 50_000_000, true, false, []string{"413 Request Entity Too Large"}},
		{"50 MB declared", 50_000_000, false, false, []string{"413 Request Entity Too Large"}},
		{"largest accepted, slowly", gettytest.DefaultMaxRequestBody, false, true, []string{"400 Bad Request"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := gettytest.NewServer()
			defer s.Close()
			tok := s.IssueToken(true)
			tr := &http.Transport{MaxIdleConnsPerHost: clients, DisableKeepAlives: true}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}

			runtime.GC()
			var base runtime.MemStats
			runtime.ReadMemStats(&base)
			var peak atomic.Uint64
			stop := make(chan struct{})
			sampled := make(chan struct{})
			go func() {
				defer close(sampled)
				var m runtime.MemStats
				for {
					runtime.ReadMemStats(&m)
					if m.HeapInuse > peak.Load() {
						peak.Store(m.HeapInuse)
					}
					select {
					case <-stop:
						return
					case <-time.After(2 * time.Millisecond):
					}
				}
			}()

			var wg sync.WaitGroup
			var mu sync.Mutex
			outcomes := map[string]int{}
			for range clients {
				wg.Go(func() {
					// Zero bytes: an invalid JSON body, whatever its size.
					var body io.Reader = io.LimitReader(zeros{}, tt.size)
					if tt.slow {
						body = io.MultiReader(io.LimitReader(zeros{}, tt.size-1), pause(200*time.Millisecond), strings.NewReader("0"))
					}
					req, _ := http.NewRequest("POST", s.URL+"/v3/downloads/images/"+gettytest.ImageID, body)
					req.ContentLength = tt.size
					if tt.chunked {
						req.ContentLength = -1
					}
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Api-Key", gettytest.APIKey)
					req.Header.Set("Authorization", "Bearer "+tok)
					outcome := "transport error" // the fake closed the connection while the body was sent
					if resp, err := client.Do(req); err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						outcome = resp.Status
					}
					mu.Lock()
					outcomes[outcome]++
					mu.Unlock()
				})
			}
			wg.Wait()
			close(stop)
			<-sampled
			grew := int64(peak.Load()) - int64(base.HeapInuse)
			t.Logf("%d clients, %s bodies: heap in use peaked %.1f MiB over the %.1f MiB before; answers %v",
				clients, tt.name, float64(grew)/(1<<20), float64(base.HeapInuse)/(1<<20), outcomes)
			if grew > bound {
				t.Errorf("the heap grew by %d MiB, more than %d MiB", grew>>20, bound>>20)
			}
			for outcome := range outcomes {
				if outcome != "transport error" && !slices.Contains(tt.answers, outcome) {
					t.Errorf("answered %s, want %v: %v", outcome, tt.answers, outcomes)
				}
			}
		})
	}
}
