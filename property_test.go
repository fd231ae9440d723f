package getty_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"golang.org/x/oauth2"
	"pgregory.net/rapid"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/internal/schemagen"
	"github.com/gettykit/getty/spec"
)

// The property tests of this file generate API answers from the spec's
// schemas and check what the client makes of them; property_request_test.go
// generates options and checks the requests the client sends.

// TestMain gives the property tests a fixed seed unless -rapid.seed is
// given (see schemagen.SetRapidDefaults).
func TestMain(m *testing.M) {
	flag.Parse()
	schemagen.SetRapidDefaults()
	os.Exit(m.Run())
}

const propBasePath = "/api"

var loadSpec = sync.OnceValues(func() (*openapi3.T, error) { return spec.Load(context.Background()) })

func mustSpec(t testing.TB) *openapi3.T {
	t.Helper()
	doc, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// operation returns the operation with the given operationId, its path and
// its method.
func operation(t testing.TB, doc *openapi3.T, id string) (op *openapi3.Operation, path, method string) {
	t.Helper()
	for _, p := range doc.Paths.InMatchingOrder() {
		for m, o := range doc.Paths.Value(p).Operations() {
			if o.OperationID == id {
				return o, p, m
			}
		}
	}
	t.Fatalf("the spec has no operation %s", id)
	return nil, "", ""
}

// jsonSchema returns the application/json schema of op's response status.
func jsonSchema(t testing.TB, op *openapi3.Operation, status string) *openapi3.SchemaRef {
	t.Helper()
	r := op.Responses.Value(status)
	if r == nil || r.Value.Content.Get("application/json") == nil {
		t.Fatalf("%s documents no JSON %s response", op.OperationID, status)
	}
	return r.Value.Content.Get("application/json").Schema
}

// errorStatuses returns op's documented error statuses, as the spec keys
// them ("400", "5XX").
func errorStatuses(op *openapi3.Operation) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(op.Responses.Map())) {
		if k[0] == '4' || k[0] == '5' {
			out = append(out, k)
		}
	}
	return out
}

// answer is what the scripted server sends.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// recorded is a request the scripted server got.
type recorded struct {
	method, path, query string
	header              http.Header
	body                []byte
	id                  string // the image id, as the server decodes it
}

// scriptedAPI answers every API request with the current answer and
// records the requests.
type scriptedAPI struct {
	mu   sync.Mutex
	ans  map[string]answer // by method
	reqs []recorded
}

func (s *scriptedAPI) script(method string, a answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ans == nil {
		s.ans = map[string]answer{}
	}
	s.ans[method] = a
}

// take returns the requests recorded since the last call.
func (s *scriptedAPI) take() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.reqs
	s.reqs = nil
	return r
}

func (s *scriptedAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := recorded{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, header: r.Header.Clone(), body: body}
	if rest, ok := strings.CutPrefix(r.URL.EscapedPath(), propBasePath+"/v3/downloads/images/"); ok {
		rec.id, _ = url.PathUnescape(rest)
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, rec)
	a, ok := s.ans[r.Method]
	s.mu.Unlock()
	if !ok {
		a = answer{status: http.StatusTeapot}
	}
	maps.Copy(w.Header(), a.header)
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// noWait makes one attempt and never closes the throttling gate for long.
var noWait = getty.RetryPolicy{MaxAttempts: 1, MinBackoff: time.Microsecond, MaxBackoff: time.Microsecond}

// newScripted starts a scripted API and a client for it; opts come last.
func newScripted(t *testing.T, opts ...getty.Option) (*scriptedAPI, *getty.Client) {
	t.Helper()
	api := &scriptedAPI{}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	tok := &oauth2.Token{AccessToken: "test-token", TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
	c, err := getty.New(append([]getty.Option{
		getty.WithAPIKey("test-key"),
		getty.WithBaseURL(srv.URL + propBasePath),
		getty.WithTokenSource(oauth2.StaticTokenSource(tok)),
		getty.WithRetry(noWait),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return api, c
}

func jsonAnswer(t *rapid.T, status int, body []byte) answer {
	// Both are seen in Getty's answers.
	ct := rapid.SampledFrom([]string{"application/json", "application/json; charset=utf-8"}).Draw(t, "content type")
	return answer{status: status, header: http.Header{"Content-Type": {ct}}, body: body}
}

// leapSecond matches a date-time with second 60. RFC 3339 allows leap
// seconds and so does the spec's format (kin-openapi's date-time), but Go's
// time package cannot hold one: see TestBugLeapSecondFailsTheWholePage.
var leapSecond = regexp.MustCompile(`T\d\d:\d\d:60`)

// withoutLeapSeconds is the date-time format less leap seconds, for the
// properties that would otherwise only find that known bug again.
func withoutLeapSeconds() map[string]schemagen.Format {
	f := schemagen.DefaultFormats()["date-time"]
	f.Valid = f.Valid.Filter(func(s string) bool { return !leapSecond.MatchString(s) })
	return map[string]schemagen.Format{"date-time": f}
}

// canonical returns the JSON value v of schema ref as a typed client can
// hold it: without undeclared fields, and without nulls and zero values
// ("", 0, false, {}), which the generated models hold alike (as plain
// values, not pointers); numbers as json.Number, date-times as the instant
// in UTC.
func canonical(ref *openapi3.SchemaRef, v any) any {
	s := ref.Value
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			if p := s.Properties[k]; p != nil && e != nil {
				if c := canonical(p, e); !isZeroJSON(c) {
					out[k] = c
				}
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = canonical(s.Items, e)
		}
		return out
	case string:
		if s.Format == "date-time" {
			if tm, err := time.Parse(time.RFC3339Nano, v); err == nil {
				return tm.UTC().Format(time.RFC3339Nano)
			}
		}
	}
	return v
}

// isZeroJSON reports whether a canonical JSON value is its type's zero
// value.
func isZeroJSON(v any) bool {
	switch v := v.(type) {
	case string:
		return v == ""
	case bool:
		return !v
	case json.Number:
		f, err := v.Float64()
		return err == nil && f == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

// decodeJSON decodes b with numbers as json.Number.
func decodeJSON(t *rapid.T, b []byte) any {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	return v
}

// TestPropertyListDownloadsDecodesEveryValidPage: every listing the spec
// allows (nulls, absent optional fields, empty and 100-entry pages, fields
// the spec does not know, any date-time but a leap second) is decoded
// without error, and the page holds exactly what the body said.
func TestPropertyListDownloadsDecodesEveryValidPage(t *testing.T) {
	doc := mustSpec(t)
	op, _, _ := operation(t, doc, "listDownloads")
	schema := jsonSchema(t, op, "200")
	pages := schemagen.MustNew(schema, schemagen.Options{Unknown: true, Formats: withoutLeapSeconds()}).Valid()
	api, c := newScripted(t)
	rapid.Check(t, func(t *rapid.T) {
		s := pages.Draw(t, "page")
		api.script(http.MethodGet, jsonAnswer(t, http.StatusOK, s.JSON()))
		pg, err := c.ListDownloads(context.Background(), nil)
		if err != nil {
			t.Fatalf("valid page rejected: %v\n%s", err, s)
		}
		want := canonical(schema, decodeJSON(t, s.JSON())).(map[string]any)
		wantCount, _ := want["result_count"].(json.Number) // absent: zero
		if got := fmt.Sprint(pg.ResultCount); got != cmp.Or(wantCount.String(), "0") {
			t.Fatalf("ResultCount %s, the body says %s", got, want["result_count"])
		}
		wantDownloads, _ := want["downloads"].([]any)
		if wantDownloads == nil {
			wantDownloads = []any{}
		}
		b, err := json.Marshal(pg.Downloads)
		if err != nil {
			t.Fatal(err)
		}
		got := canonical(schema.Value.Properties["downloads"], decodeJSON(t, b))
		if !reflect.DeepEqual(got, wantDownloads) {
			t.Fatalf("the page holds\n%v\nthe body says\n%v", got, wantDownloads)
		}
	})
}

// TestPropertyListDownloadsSurvivesBrokenPages: a listing that breaks the
// spec in one place never makes ListDownloads panic, and a value of the
// wrong JSON type anywhere is an error, not a silently emptied field.
func TestPropertyListDownloadsSurvivesBrokenPages(t *testing.T) {
	doc := mustSpec(t)
	op, _, _ := operation(t, doc, "listDownloads")
	pages := schemagen.MustNew(jsonSchema(t, op, "200"), schemagen.Options{Unknown: true}).Invalid()
	api, c := newScripted(t)
	rapid.Check(t, func(t *rapid.T) {
		s := pages.Draw(t, "page")
		api.script(http.MethodGet, jsonAnswer(t, http.StatusOK, s.JSON()))
		_, err := c.ListDownloads(context.Background(), nil)
		if s.Mutation == schemagen.WrongType && err == nil {
			t.Fatalf("no error for %s", s)
		}
	})
}

// TestPropertyDownloadURLReadsEveryValidAnswer: for every 200 {"uri"} body
// the spec allows, and every 302 or 303 with a Location, DownloadURL
// returns that URI, resolved as RFC 3986 says (against the request URL),
// with its query (the signature of a delivery URL) untouched.
func TestPropertyDownloadURLReadsEveryValidAnswer(t *testing.T) {
	doc := mustSpec(t)
	op, _, _ := operation(t, doc, "downloadImage")
	type success struct {
		status   string
		body     *rapid.Generator[schemagen.Sample]
		location *rapid.Generator[schemagen.Sample]
	}
	var successes []success
	for _, k := range slices.Sorted(maps.Keys(op.Responses.Map())) {
		r := op.Responses.Value(k).Value
		switch {
		case k[0] == '2':
			successes = append(successes, success{status: k, body: schemagen.MustNew(jsonSchema(t, op, k), schemagen.Options{Unknown: true}).Valid()})
		case k[0] == '3':
			h := r.Headers["Location"]
			if h == nil || !h.Value.Required {
				t.Fatalf("%s documents no required Location", k)
			}
			successes = append(successes, success{status: k, location: schemagen.MustNew(h.Value.Schema, schemagen.Options{}).Valid()})
		}
	}
	api, c := newScripted(t)
	rapid.Check(t, func(t *rapid.T) {
		sc := rapid.SampledFrom(successes).Draw(t, "success")
		var status int
		_, _ = fmt.Sscan(sc.status, &status)
		var uri string
		if sc.body != nil {
			s := sc.body.Draw(t, "body")
			uri = s.Value.(map[string]any)["uri"].(string)
			api.script(http.MethodPost, jsonAnswer(t, status, s.JSON()))
		} else {
			uri = sc.location.Draw(t, "location").Value.(string)
			api.script(http.MethodPost, answer{status: status, header: http.Header{"Location": {uri}}})
		}
		got, err := c.DownloadURL(context.Background(), "1167612765", nil)
		if err != nil {
			t.Fatalf("%d with %q: %v", status, uri, err)
		}
		reqs := api.take()
		if len(reqs) != 1 {
			t.Fatalf("%d requests, want 1", len(reqs))
		}
		sent, _ := url.Parse("http://" + "host" + reqs[0].path)
		want, err := sent.Parse(uri)
		if err != nil {
			t.Fatal(err)
		}
		g, err := url.Parse(got)
		if err != nil {
			t.Fatal(err)
		}
		if g.Scheme != want.Scheme || g.Host != want.Host || g.EscapedPath() != want.EscapedPath() || g.RawQuery != want.RawQuery {
			t.Fatalf("DownloadURL = %q, the server said %q", got, uri)
		}
	})
}

// TestPropertyDownloadURLSurvivesBrokenAnswers: a 200 body that breaks the
// spec in one place never makes DownloadURL panic, and DownloadURL returns
// either an error or an absolute http(s) URL other than the API's own,
// never an empty or relative one; a uri of the wrong JSON type is an error,
// and so is a body without an absolute uri.
func TestPropertyDownloadURLSurvivesBrokenAnswers(t *testing.T) {
	doc := mustSpec(t)
	op, _, _ := operation(t, doc, "downloadImage")
	bodies := schemagen.MustNew(jsonSchema(t, op, "200"), schemagen.Options{Unknown: true}).Invalid()
	api, c := newScripted(t)
	rapid.Check(t, func(t *rapid.T) {
		s := bodies.Draw(t, "body")
		api.script(http.MethodPost, jsonAnswer(t, http.StatusOK, s.JSON()))
		got, err := c.DownloadURL(context.Background(), "1167612765", nil)
		reqs := api.take()
		if err != nil {
			return
		}
		if noAbsoluteURI(s) {
			t.Fatalf("no error for a body without an absolute uri: %s", s)
		}
		u, perr := url.Parse(got)
		if perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			t.Fatalf("DownloadURL = %q for %s", got, s)
		}
		if s.Mutation == schemagen.WrongType {
			t.Fatalf("no error for %s", s)
		}
		if u.Path == reqs[0].path && u.RawQuery == reqs[0].query {
			t.Fatalf("DownloadURL returned the API's own URL %q for %s", got, s)
		}
	})
}

// noAbsoluteURI reports whether a DownloadURI body gives no absolute uri:
// null, or an object without a uri or with a null, empty or relative one.
func noAbsoluteURI(s schemagen.Sample) bool {
	if s.Value == nil {
		return true
	}
	obj, ok := s.Value.(map[string]any)
	if !ok {
		return false
	}
	switch uri := obj["uri"].(type) {
	case nil:
		return true
	case string:
		return schemagen.CheckURI(uri) != nil
	}
	return false
}

// errorShapes are the error bodies Getty sends, as the Error schema's
// description documents them. Each name must be a property of the schema.
var errorShapes = [][]string{{"ErrorCode", "ErrorMessage"}, {"message"}, {"code", "message"}}

// knownCodes are error codes Getty documents; the sentinels depend on some.
var knownCodes = []string{
	"OverageLimitReached", "overagelimitreached", "ImageNotFound", "InvalidParameterValue", "InvalidPageSize",
	"NoAccessToProductType", "UserTokenRequired", "AuthorizationTokenRequired", "FileDownloadSizeNotFound",
}

// errorAnswers generates the documented error answers of op: any error
// status it documents, the headers documented for it, and a body of each
// documented media type: the three error shapes (sometimes with a code
// Getty documents), other mixes of the Error schema's fields, unknown
// fields, an HTML page from a proxy.
func errorAnswers(t *testing.T, op *openapi3.Operation) *rapid.Generator[answer] {
	t.Helper()
	type media struct {
		ct  string
		gen *rapid.Generator[schemagen.Sample]
	}
	type documented struct {
		status  string
		media   []media
		headers map[string]*rapid.Generator[schemagen.Sample]
	}
	var all []documented
	for _, k := range errorStatuses(op) {
		r := op.Responses.Value(k).Value
		d := documented{status: k, headers: map[string]*rapid.Generator[schemagen.Sample]{}}
		for _, ct := range slices.Sorted(maps.Keys(r.Content)) {
			ref := r.Content[ct].Schema
			g := schemagen.MustNew(ref, schemagen.Options{Unknown: true})
			gens := []*rapid.Generator[schemagen.Sample]{g.Valid()}
			if _, isError := ref.Value.Properties["ErrorCode"]; isError {
				for _, shape := range errorShapes {
					sg, err := g.ValidWith(shape...)
					if err != nil {
						t.Fatalf("error shape %v: %v", shape, err)
					}
					gens = append(gens, sg, sg)
				}
			}
			d.media = append(d.media, media{ct, rapid.OneOf(gens...)})
		}
		for name, h := range r.Headers {
			d.headers[name] = schemagen.MustNew(h.Value.Schema, schemagen.Options{Printable: true}).Valid()
		}
		all = append(all, d)
	}
	return rapid.Custom(func(t *rapid.T) answer {
		d := rapid.SampledFrom(all).Draw(t, "status")
		a := answer{header: http.Header{}}
		if strings.HasSuffix(d.status, "XX") {
			first := int(d.status[0]-'0') * 100
			a.status = rapid.IntRange(first, first+99).Draw(t, "status code")
		} else {
			_, _ = fmt.Sscan(d.status, &a.status)
		}
		for _, name := range slices.Sorted(maps.Keys(d.headers)) {
			if rapid.Bool().Draw(t, "header?") {
				a.header.Set(name, d.headers[name].Draw(t, name).Value.(string))
			}
		}
		m := rapid.SampledFrom(d.media).Draw(t, "media type")
		s := m.gen.Draw(t, "body")
		a.header.Set("Content-Type", m.ct)
		if str, isText := s.Value.(string); isText {
			a.body = []byte(str)
			return a
		}
		quota := false
		if obj, ok := s.Value.(map[string]any); ok {
			for _, k := range []string{"ErrorCode", "code"} {
				if _, has := obj[k]; has && rapid.Bool().Draw(t, "known code?") {
					obj[k] = rapid.SampledFrom(knownCodes).Draw(t, "code")
					quota = quota || strings.EqualFold(obj[k].(string), "OverageLimitReached")
				}
			}
		}
		// A throttling 403, as the gateway sends it, sometimes beside an
		// application error code, which then wins (see
		// TestQuotaErrorWithThrottleDetailIsForbidden).
		if a.status == http.StatusForbidden && rapid.Bool().Draw(t, "throttled?") {
			a.header.Set("X-Error-Detail", rapid.SampledFrom([]string{"Account Over Queries Per Second Limit", "Account Over Rate Limit"}).Draw(t, "detail"))
		}
		a.body = s.JSON()
		return a
	})
}

// checkAPIError checks err, the client's answer to a, against what the
// APIError documentation promises.
func checkAPIError(t *rapid.T, err error, a answer) {
	var e *getty.APIError
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *APIError", err, err)
	}
	if e.StatusCode != a.status {
		t.Fatalf("StatusCode %d, the server sent %d", e.StatusCode, a.status)
	}
	var body map[string]any
	_ = json.Unmarshal(a.body, &body)
	str := func(k string) string { s, _ := body[k].(string); return s }
	// Code: ErrorCode, else code (the older shape); Message: ErrorMessage,
	// else message (gateway errors and the older shape). An empty value
	// says nothing, so the other one is taken.
	wantCode := cmp.Or(str("ErrorCode"), str("code"))
	wantMessage := cmp.Or(str("ErrorMessage"), str("message"))
	if string(e.Code) != wantCode || e.Message != wantMessage {
		t.Fatalf("Code %q, Message %q; want %q, %q from %s", e.Code, e.Message, wantCode, wantMessage, a.body)
	}
	if want := strings.TrimSpace(a.header.Get("X-Error-Detail")); e.Detail != want {
		t.Fatalf("Detail %q, want %q", e.Detail, want)
	}
	if len(e.Body) > 1024 || !strings.HasPrefix(string(a.body), e.Body) || (len(a.body) <= 1024 && e.Body != string(a.body)) {
		t.Fatalf("Body %q is not the start of %q", e.Body, a.body)
	}
	for _, c := range []struct {
		sentinel error
		want     bool
	}{
		{getty.ErrNotFound, a.status == http.StatusNotFound},
		{getty.ErrUnauthorized, a.status == http.StatusUnauthorized},
		{getty.ErrQuotaExhausted, a.status == http.StatusForbidden && strings.EqualFold(wantCode, "OverageLimitReached")},
	} {
		if errors.Is(err, c.sentinel) != c.want {
			t.Fatalf("errors.Is(err, %v) = %v for %d %s", c.sentinel, !c.want, a.status, a.body)
		}
	}
	if a.status == http.StatusTooManyRequests && !errors.Is(err, getty.ErrRateLimited) {
		t.Fatalf("a 429 is not ErrRateLimited")
	}
	if a.status == http.StatusForbidden && wantCode != "" && errors.Is(err, getty.ErrRateLimited) {
		t.Fatalf("a 403 with the application's code %q is taken for throttling", wantCode)
	}
	if detail := a.header.Get("X-Error-Detail"); a.status == http.StatusForbidden && wantCode == "" &&
		strings.HasPrefix(detail, "Account Over ") && !errors.Is(err, getty.ErrRateLimited) {
		t.Fatalf("the gateway's throttling 403 (%q) is not ErrRateLimited", a.header.Get("X-Error-Detail"))
	}
	if errors.Is(err, getty.ErrQuotaExhausted) && !errors.Is(err, getty.ErrForbidden) {
		t.Fatalf("ErrQuotaExhausted without ErrForbidden")
	}
}

// TestPropertyErrorAnswersBecomeAPIErrors: every documented error answer of
// both operations (any documented status and header, the three error
// shapes, unknown fields, a proxy's HTML page) comes back as an *APIError
// with the status, code, message and detail it carried, and the sentinels
// errors.Is matches follow from them.
func TestPropertyErrorAnswersBecomeAPIErrors(t *testing.T) {
	doc := mustSpec(t)
	list, _, _ := operation(t, doc, "listDownloads")
	download, _, _ := operation(t, doc, "downloadImage")
	listErrors, downloadErrors := errorAnswers(t, list), errorAnswers(t, download)
	api, c := newScripted(t)
	rapid.Check(t, func(t *rapid.T) {
		var err error
		var a answer
		if rapid.Bool().Draw(t, "listing?") {
			a = listErrors.Draw(t, "answer")
			api.script(http.MethodGet, a)
			_, err = c.ListDownloads(context.Background(), nil)
		} else {
			a = downloadErrors.Draw(t, "answer")
			api.script(http.MethodPost, a)
			_, err = c.DownloadURL(context.Background(), "1167612765", nil)
		}
		checkAPIError(t, err, a)
	})
}

// TestPropertyBrokenErrorAnswersBecomeAPIErrors: an error answer whose body
// breaks the Error schema (a field of the wrong type, null) still comes back
// as an *APIError with its status, without a panic.
func TestPropertyBrokenErrorAnswersBecomeAPIErrors(t *testing.T) {
	doc := mustSpec(t)
	list, _, _ := operation(t, doc, "listDownloads")
	bodies := schemagen.MustNew(jsonSchema(t, list, "400"), schemagen.Options{Unknown: true}).Invalid()
	statuses := errorStatuses(list)
	api, c := newScripted(t)
	rapid.Check(t, func(t *rapid.T) {
		status := rapid.SampledFrom(statuses).Draw(t, "status")
		var code int
		if strings.HasSuffix(status, "XX") {
			code = rapid.IntRange(500, 599).Draw(t, "code")
		} else {
			_, _ = fmt.Sscan(status, &code)
		}
		s := bodies.Draw(t, "body")
		api.script(http.MethodGet, jsonAnswer(t, code, s.JSON()))
		_, err := c.ListDownloads(context.Background(), nil)
		var e *getty.APIError
		if !errors.As(err, &e) || e.StatusCode != code {
			t.Fatalf("error %v for %d %s", err, code, s)
		}
	})
}

// TestBugLeapSecondFailsTheWholePage: the spec's date-time (RFC 3339, and
// kin-openapi's validator) allows a leap second, but Go's time package
// rejects second 60, so one such date_downloaded makes ListDownloads fail
// for the whole page.
func TestBugLeapSecondFailsTheWholePage(t *testing.T) {
	t.Skip("known bug: gen.HistoricalDownload.DateDownloaded is a time.Time, which cannot parse the leap second " +
		"the spec's date-time allows (\"2016-12-31T23:59:60Z\"); ListDownloads then fails for the whole page")
	api, c := newScripted(t)
	api.script(http.MethodGet, answer{status: http.StatusOK, header: http.Header{"Content-Type": {"application/json"}},
		body: []byte(`{"result_count":1,"downloads":[{"date_downloaded":"2016-12-31T23:59:60Z","id":"1"}]}`)})
	if _, err := c.ListDownloads(context.Background(), nil); err != nil {
		t.Fatalf("a page the spec allows: %v", err)
	}
}

// TestDownloadURLRejectsARelativeURI: the spec's uri is an absolute URI; a
// 200 answer without one is an error, not resolved against the request URL
// (no uri, an empty or null one, or "#" would give back the API's own POST
// URL as the download URL; "?x" or "files/x.jpg" a URL on the API host).
func TestDownloadURLRejectsARelativeURI(t *testing.T) {
	api, c := newScripted(t)
	for _, body := range []string{`{}`, `{"uri":""}`, `{"uri":null}`, `null`, `{"uri":"#"}`, `{"uri":"?sig=x"}`, `{"uri":"files/x.jpg"}`} {
		api.script(http.MethodPost, answer{status: http.StatusOK, header: http.Header{"Content-Type": {"application/json"}}, body: []byte(body)})
		if got, err := c.DownloadURL(context.Background(), "1167612765", nil); err == nil {
			t.Errorf("%s: DownloadURL = %q, want an error", body, got)
		}
	}
}

// TestQuotaErrorWithThrottleDetailIsForbidden: ErrQuotaExhausted is
// documented to match ErrForbidden too; a 403 OverageLimitReached that also
// carries a throttling X-Error-Detail was answered by the API itself (it has
// an error code), so it is a quota error and a forbidden one, not
// throttling.
func TestQuotaErrorWithThrottleDetailIsForbidden(t *testing.T) {
	api, c := newScripted(t)
	api.script(http.MethodPost, answer{status: http.StatusForbidden, header: http.Header{
		"Content-Type":   {"application/json"},
		"X-Error-Detail": {"Account Over Queries Per Second Limit"},
	}, body: []byte(`{"ErrorCode":"OverageLimitReached","ErrorMessage":"quota"}`)})
	_, err := c.DownloadURL(context.Background(), "1167612765", nil)
	if errors.Is(err, getty.ErrQuotaExhausted) && !errors.Is(err, getty.ErrForbidden) {
		t.Errorf("%v matches ErrQuotaExhausted but not ErrForbidden", err)
	}
}
