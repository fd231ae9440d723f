// Package contract_test is the contract-test suite of the module: scenarios
// that drive the client (package getty) through the validating transport
// (package contract), recorded as go-vcr cassettes under testdata/.
//
// Every request goes through this chain:
//
//	getty.Client → contract.Transport (validates) → counter → go-vcr recorder → network
//
// and every scenario ends with the transport's report checked: a violation
// of the spec, in a request or a response, fails the test.
//
// # Modes
//
// The environment variable GETTY_CONTRACT_MODE selects the mode:
//
//   - replay (the default, or when the variable is empty): the scenarios are
//     replayed from the committed cassettes. No network, no credentials; this
//     is what CI runs.
//   - record: the scenarios run against a server and their traffic is saved,
//     scrubbed, as testdata/<scenario>.yaml, then replayed at once to prove
//     that the scrubbed cassette still matches. GETTY_CONTRACT_TARGET names
//     the server: fake, the fake server of package gettytest run in-process
//     with its clock fixed at gettytest.DefaultNow, or live, the real API,
//     with GETTY_API_KEY and GETTY_API_SECRET (GETTY_USERNAME and
//     GETTY_PASSWORD add a user token, GETTY_LIVE_IMAGE_ID names an image the
//     download scenarios may spend quota on). The target is never guessed
//     from the credentials: without GETTY_CONTRACT_TARGET the fake is used
//     only when no credentials are set, and otherwise the suite stops and
//     asks. Scenarios that need fault injection or a server state (a quota
//     at zero, throttling, a 503) are recorded against the fake only.
//   - live: the scenarios run against the live API (the same variables) and
//     nothing is recorded. Scenarios that need fault injection are skipped,
//     and so are those that spend download quota unless GETTY_LIVE_IMAGE_ID
//     is set.
//
// Against the real API the suite uses Getty's own URLs: it refuses to run
// when GETTY_BASE_URL or GETTY_TOKEN_URL name another server, or when the
// credentials are the fake's public ones, as they are in a shell with the
// variables `getty fake-server` prints.
//
// Independently of the mode, TestCommittedCassettes re-validates every
// committed cassette against the current spec, and TestNoSecretsInFixtures
// fails if a committed fixture holds something that looks like a secret.
package contract_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"
	"gopkg.in/dnaeon/go-vcr.v4/pkg/recorder"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/contract"
	"github.com/gettykit/getty/gettytest"
)

// Environment variables of the suite.
const (
	envMode     = "GETTY_CONTRACT_MODE"
	envTarget   = "GETTY_CONTRACT_TARGET"
	envAPIKey   = "GETTY_API_KEY"
	envSecret   = "GETTY_API_SECRET"
	envUsername = "GETTY_USERNAME"
	envPassword = "GETTY_PASSWORD"
	envImageID  = "GETTY_LIVE_IMAGE_ID"
	envBaseURL  = "GETTY_BASE_URL"  // not used: refused unless it is the real API's
	envTokenURL = "GETTY_TOKEN_URL" // likewise
)

type mode string

const (
	modeReplay mode = "replay"
	modeRecord mode = "record"
	modeLive   mode = "live"
)

// fakeBaseURL is the base URL the client is given when recording against
// the fake server. Connections go to the fake's listener whatever the host
// (see fakeTransport), so recordings do not depend on its random port.
const fakeBaseURL = "http://api.getty.test"

// currentMode returns the mode the environment asks for, after checking
// that its server can be chosen (see chooseTarget).
func currentMode(t *testing.T) mode {
	t.Helper()
	var m mode
	switch m = mode(strings.ToLower(strings.TrimSpace(os.Getenv(envMode)))); m {
	case "", modeReplay:
		m = modeReplay
	case modeRecord, modeLive:
	default:
		t.Fatalf("%s=%q: want replay, record or live", envMode, m)
	}
	if _, err := chooseTarget(m, os.Getenv); err != nil {
		t.Fatal(err)
	}
	return m
}

// target is the server the record and live modes run against.
type target string

const (
	targetFake target = "fake" // gettytest, in-process, clock fixed
	targetLive target = "live" // the real API
)

// chooseTarget returns the server mode m runs against ("" for replay), from
// the environment getenv reads. It never picks the real API unless asked
// (live mode, or GETTY_CONTRACT_TARGET=live), and never runs against any
// server but the real API or the in-process fake: the variables `getty
// fake-server` prints (a loopback GETTY_BASE_URL, its demo credentials)
// must not turn a recording into a live one with credentials the real API
// refuses, overwriting the cassettes with its 401s.
func chooseTarget(m mode, getenv func(string) string) (target, error) {
	apiKey, secret := getenv(envAPIKey), getenv(envSecret)
	tgt := target(strings.ToLower(strings.TrimSpace(getenv(envTarget))))
	switch {
	case m == modeReplay:
		return "", nil
	case tgt != "" && tgt != targetFake && tgt != targetLive:
		return "", fmt.Errorf("%s=%q: want fake (the in-process fake server) or live (the real API)", envTarget, tgt)
	case m == modeLive && tgt == targetFake:
		return "", fmt.Errorf("%s=live runs against the real API, but %s=fake: "+
			"record against the fake with %s=record, or unset %s", envMode, envTarget, envMode, envTarget)
	case m == modeLive:
		tgt = targetLive
	case tgt == "" && (apiKey != "" || secret != ""):
		set := "credentials are set"
		if fakeEnv(getenv) {
			set = "the variables `getty fake-server` prints are set"
		}
		return "", fmt.Errorf("%s=record: %s, but %s does not say which server to record, and the suite does not guess: "+
			"set %s=fake for the in-process fake server (fixed clock; the committed cassettes come from it), "+
			"or %s=live for the real API (%s) with your credentials",
			envMode, set, envTarget, envTarget, envTarget, getty.DefaultBaseURL)
	case tgt == "":
		tgt = targetFake
	}
	if tgt == targetFake {
		// GETTY_BASE_URL and the credentials are not used: the fake runs
		// in-process, with its own.
		return targetFake, nil
	}

	what := envMode + "=live"
	if m == modeRecord {
		what = envMode + "=record " + envTarget + "=live"
	}
	for _, v := range []struct{ name, value, real string }{
		{envBaseURL, getenv(envBaseURL), getty.DefaultBaseURL},
		{envTokenURL, getenv(envTokenURL), getty.DefaultTokenURL},
	} {
		if v.value != "" && strings.TrimRight(v.value, "/") != v.real {
			return "", fmt.Errorf("%s with %s=%s: the suite runs against the real API (%s) or its in-process fake, never another server; "+
				"unset %s, %s, %s and %s (what `getty fake-server` prints) to use the real API with your own credentials, "+
				"or record against the in-process fake with %s=record %s=fake",
				what, v.name, v.value, v.real, envBaseURL, envTokenURL, envAPIKey, envSecret, envMode, envTarget)
		}
	}
	if apiKey == gettytest.APIKey || secret == gettytest.ClientSecret {
		return "", fmt.Errorf("%s: %s and %s are the fake server's public demo credentials (what `getty fake-server` prints), "+
			"which the real API refuses; set your own, or record against the in-process fake with %s=record %s=fake",
			what, envAPIKey, envSecret, envMode, envTarget)
	}
	if m == modeRecord && (apiKey == "" || secret == "") {
		return "", fmt.Errorf("%s: recording against the real API needs %s and %s", what, envAPIKey, envSecret)
	}
	return targetLive, nil
}

// fakeEnv reports whether the environment holds what `getty fake-server`
// prints: its demo credentials or a loopback base URL.
func fakeEnv(getenv func(string) string) bool {
	if getenv(envAPIKey) == gettytest.APIKey || getenv(envSecret) == gettytest.ClientSecret {
		return true
	}
	u, err := url.Parse(getenv(envBaseURL))
	if err != nil || u.Host == "" {
		return false
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// liveCredentials are the credentials of the live API, from the environment.
type liveCredentials struct {
	apiKey, secret, username, password, imageID string
}

func credentialsFromEnv() (liveCredentials, bool) {
	c := liveCredentials{
		apiKey:   os.Getenv(envAPIKey),
		secret:   os.Getenv(envSecret),
		username: os.Getenv(envUsername),
		password: os.Getenv(envPassword),
		imageID:  os.Getenv(envImageID),
	}
	return c, c.apiKey != "" && c.secret != ""
}

var sharedValidator = sync.OnceValues(func() (*contract.Validator, error) {
	return contract.NewValidator(nil)
})

func validator(t testing.TB) *contract.Validator {
	t.Helper()
	v, err := sharedValidator()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// scenario is one contract case, recorded in its own cassette.
type scenario struct {
	name string
	// needsFake marks scenarios that inject faults or need a server state
	// (quota at zero, throttling): they are recorded against the fake
	// server only and skipped in live mode.
	needsFake bool
	// spendsQuota marks scenarios that request a download: against the live
	// API they run only when GETTY_LIVE_IMAGE_ID names an image to spend
	// quota on.
	spendsQuota bool
	// fakeOptions configure the fake server when recording against it.
	fakeOptions []gettytest.Option
	// invalidRequest marks scenarios that send a request violating the
	// spec on purpose: their report may hold request-side violations (and
	// must hold at least one), never response-side ones.
	invalidRequest bool
	run            func(t *testing.T, h *harness)
}

// harness is what a scenario runs with.
type harness struct {
	ctx  context.Context
	mode mode
	// fake reports whether the traffic comes from the fake server: when
	// recording against it, or replaying a cassette recorded from it. The
	// fake's data is known, so scenarios assert exact values then.
	fake bool
	// srv is the fake server when recording against it; nil otherwise.
	srv       *gettytest.Server
	transport *contract.Transport
	log       *exchangeLog
	baseURL   string
	tokenURL  string
	apiKey    string
	secret    string
	username  string
	password  string
	imageID   string
	retry     getty.RetryPolicy
}

// plainHTTP allows the fake's http:// host: the fake is served in-process,
// through a transport that never leaves the test.
func (h *harness) plainHTTP() []getty.Option {
	if h.baseURL == fakeBaseURL {
		return []getty.Option{getty.WithInsecurePlainHTTP()}
	}
	return nil
}

// client returns a client for the scenario, with the suite's credentials and
// transport; opts come last and win.
func (h *harness) client(t *testing.T, opts ...getty.Option) *getty.Client {
	t.Helper()
	base := []getty.Option{
		getty.WithAPIKey(h.apiKey),
		getty.WithClientSecret(h.secret),
		getty.WithBaseURL(h.baseURL),
		getty.WithTokenURL(h.tokenURL),
		getty.WithTransport(h.transport),
		getty.WithRetry(h.retry),
	}
	if h.username != "" {
		base = append(base, getty.WithPassword(h.username, h.password))
	}
	base = append(base, h.plainHTTP()...)
	c, err := getty.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// keyOnlyClient returns a client with an API key and no secret: its
// requests carry no bearer token.
func (h *harness) keyOnlyClient(t *testing.T) *getty.Client {
	t.Helper()
	c, err := getty.New(append([]getty.Option{
		getty.WithAPIKey(h.apiKey),
		getty.WithBaseURL(h.baseURL),
		getty.WithTransport(h.transport),
		getty.WithRetry(h.retry),
	}, h.plainHTTP()...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func cassetteName(name string) string { return filepath.Join("testdata", name) }

// runScenario runs sc in mode m. In record mode it records the cassette,
// then replays it to prove that the scrubbed recording still matches.
func runScenario(t *testing.T, sc scenario, m mode) {
	creds, haveCreds := credentialsFromEnv()
	tgt, err := chooseTarget(m, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{
		ctx:     t.Context(),
		mode:    m,
		log:     new(exchangeLog),
		imageID: gettytest.ImageID,
		retry:   getty.RetryPolicy{MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond},
	}
	name := cassetteName(sc.name)
	var rt http.RoundTripper
	var rec *recorder.Recorder
	var replayed map[int]bool
	var interactions int
	switch {
	case m == modeReplay:
		info := inspectCassette(t, name+".yaml")
		h.fake, h.baseURL, h.tokenURL = info.fake, info.baseURL, info.baseURL+"/oauth2/token"
		h.apiKey, h.secret = gettytest.APIKey, gettytest.ClientSecret
		if info.passwordGrant {
			h.username, h.password = gettytest.Username, gettytest.Password
		}
		if info.imageID != "" {
			h.imageID = info.imageID
		}
		interactions = info.interactions
		replayed = map[int]bool{}
		var mu sync.Mutex
		r, err := recorder.New(name,
			recorder.WithMode(recorder.ModeReplayOnly),
			recorder.WithMatcher(matchRequest),
			recorder.WithSkipRequestLatency(true),
			recorder.WithHook(func(i *cassette.Interaction) error {
				mu.Lock()
				replayed[i.ID] = true
				mu.Unlock()
				return nil
			}, recorder.BeforeResponseReplayHook),
		)
		if err != nil {
			t.Fatal(err)
		}
		rec, rt = r, r
	case tgt == targetLive:
		if !haveCreds { // live mode only: recording checked them
			t.Skipf("live mode needs %s and %s", envAPIKey, envSecret)
		}
		if sc.needsFake {
			t.Skip("needs fault injection or a server state: fake server only")
		}
		if sc.spendsQuota && creds.imageID == "" {
			t.Skipf("spends download quota: set %s to run it against the live API", envImageID)
		}
		h.baseURL, h.tokenURL = getty.DefaultBaseURL, getty.DefaultTokenURL
		h.apiKey, h.secret, h.username, h.password = creds.apiKey, creds.secret, creds.username, creds.password
		if creds.imageID != "" {
			h.imageID = creds.imageID
		}
		h.retry = getty.RetryPolicy{}
		rt = http.DefaultTransport
		if m == modeRecord {
			r, err := newRecorder(name, rt)
			if err != nil {
				t.Fatal(err)
			}
			rec, rt = r, r
		}
	default: // record against the in-process fake server
		// Its clock fixed, so that a re-recording is byte-for-byte the
		// same unless the client, the fake or the spec changed.
		h.srv = gettytest.NewServer(append([]gettytest.Option{gettytest.WithNow(gettytest.DefaultNow)}, sc.fakeOptions...)...)
		t.Cleanup(h.srv.Close)
		h.fake = true
		h.baseURL, h.tokenURL = fakeBaseURL, fakeBaseURL+"/oauth2/token"
		h.apiKey, h.secret = gettytest.APIKey, gettytest.ClientSecret
		r, err := newRecorder(name, fakeTransport(t, h.srv))
		if err != nil {
			t.Fatal(err)
		}
		rec, rt = r, r
	}
	h.transport = contract.NewTransport(&countingTransport{base: rt, log: h.log}, validator(t))

	sc.run(t, h)
	if sc.invalidRequest {
		checkRequestViolationsOnly(t, h.transport.Report())
	} else {
		h.transport.Report().Check(t)
	}

	switch m {
	case modeReplay:
		if !t.Failed() && len(replayed) != interactions {
			t.Errorf("%s.yaml holds %d interactions, the scenario replayed %d: re-record it (%s=record)", name, interactions, len(replayed), envMode)
		}
	case modeRecord:
		if err := rec.Stop(); err != nil {
			t.Fatal(err)
		}
		if t.Failed() {
			return
		}
		r, err := contract.CheckCassette(validator(t), name+".yaml")
		if err != nil {
			t.Fatal(err)
		}
		checkCassetteReport(t, sc.name, r)
		t.Run("replay", func(t *testing.T) { runScenario(t, sc, modeReplay) })
	}
}

// newRecorder returns a recorder that records into the cassette name,
// scrubbing secrets before saving.
func newRecorder(name string, real http.RoundTripper) (*recorder.Recorder, error) {
	return recorder.New(name,
		recorder.WithMode(recorder.ModeRecordOnly),
		recorder.WithRealTransport(real),
		recorder.WithMatcher(matchRequest),
		recorder.WithSkipRequestLatency(true),
		recorder.WithHook(contract.ScrubInteraction, recorder.BeforeSaveHook),
	)
}

// fakeTransport connects to srv whatever the request's host, so that the
// client can be given fakeBaseURL: the fake builds its delivery URLs from
// the Host header, so these do not hold its port either.
func fakeTransport(t *testing.T, srv *gettytest.Server) http.RoundTripper {
	addr := strings.TrimPrefix(srv.URL, "http://")
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// recordedCassette is what replaying needs to know about a cassette.
type recordedCassette struct {
	baseURL       string // scheme and host of the API requests
	fake          bool   // recorded against the fake server
	imageID       string // the image of the first download request
	passwordGrant bool   // the token was obtained with the password grant
	interactions  int
}

func inspectCassette(t *testing.T, path string) recordedCassette {
	t.Helper()
	c, err := cassette.Load(strings.TrimSuffix(path, ".yaml"))
	if err != nil {
		t.Fatalf("%v (record it with %s=record)", err, envMode)
	}
	info := recordedCassette{baseURL: fakeBaseURL, fake: true, interactions: len(c.Interactions)}
	seenAPI := false
	for _, i := range c.Interactions {
		u, err := url.Parse(i.Request.URL)
		if err != nil {
			t.Fatalf("%s: interaction %d: %v", path, i.ID, err)
		}
		if strings.HasPrefix(u.Path, "/v3/") && !seenAPI {
			seenAPI = true
			info.baseURL = u.Scheme + "://" + u.Host
			info.fake = info.baseURL == fakeBaseURL
		}
		if id, ok := strings.CutPrefix(u.Path, "/v3/downloads/images/"); ok && i.Request.Method == http.MethodPost && info.imageID == "" {
			info.imageID = id
		}
		if u.Path == "/oauth2/token" || strings.HasSuffix(u.Path, "/oauth2/token") {
			if q, err := url.ParseQuery(i.Request.Body); err == nil && q.Get("grant_type") == "password" {
				info.passwordGrant = true
			}
		}
	}
	return info
}

// checkRequestViolationsOnly checks the report of a scenario that sends an
// invalid request on purpose: it must hold a request-side violation, and no
// response-side one.
func checkRequestViolationsOnly(t *testing.T, r *contract.Report) {
	t.Helper()
	inRequest := 0
	for _, f := range r.Violations() {
		if f.InRequest {
			inRequest++
			t.Logf("expected: %s", f)
			continue
		}
		t.Errorf("%s", f)
	}
	if inRequest == 0 {
		t.Errorf("the scenario sends an invalid request on purpose, but no request violation was found:\n%s", r)
	}
	for _, f := range r.Drift() {
		t.Logf("%s", f)
	}
}

// exchangeLog keeps "METHOD /path -> status" for every exchange, in order.
type exchangeLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *exchangeLog) add(s string) {
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
}

func (l *exchangeLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// count returns how many exchanges had method and a path starting with
// prefix.
func (l *exchangeLog) count(method, prefix string) int {
	n := 0
	for _, s := range l.all() {
		m, rest, _ := strings.Cut(s, " ")
		if m == method && strings.HasPrefix(rest, prefix) {
			n++
		}
	}
	return n
}

// countingTransport logs every exchange that passes through it.
type countingTransport struct {
	base http.RoundTripper
	log  *exchangeLog
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	if err != nil {
		c.log.add(fmt.Sprintf("%s %s -> error", req.Method, req.URL.Path))
		return nil, err
	}
	c.log.add(fmt.Sprintf("%s %s -> %d", req.Method, req.URL.Path, resp.StatusCode))
	return resp, nil
}

// readAll reads and closes a body.
func readAll(t *testing.T, rc io.ReadCloser) []byte {
	t.Helper()
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
