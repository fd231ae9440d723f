package getty_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"pgregory.net/rapid"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/contract"
	"github.com/gettykit/getty/internal/schemagen"
)

// The property tests of this file generate option values, send them
// through the client to a server that records the requests, and judge
// those requests with the contract transport.

// enumParam returns generators of the values of op's query parameter name
// that its schema's enum allows and of values outside the enum.
func enumParam(t *testing.T, op *openapi3.Operation, name string) (known []string, unknown *rapid.Generator[string]) {
	t.Helper()
	p := op.Parameters.GetByInAndName(openapi3.ParameterInQuery, name)
	if p == nil || len(p.Schema.Value.Enum) == 0 {
		t.Fatalf("%s has no enum parameter %s", op.OperationID, name)
	}
	for _, e := range p.Schema.Value.Enum {
		known = append(known, e.(string))
	}
	g := schemagen.MustNew(p.Schema, schemagen.Options{Mutations: []schemagen.Mutation{schemagen.UnknownEnum}})
	return known, rapid.Map(g.Invalid(), func(s schemagen.Sample) string { return s.Value.(string) })
}

// enumOption draws an option value: unset, one of the enum's values, or
// now and then one outside it.
func enumOption(t *rapid.T, known []string, unknown *rapid.Generator[string], label string) string {
	switch rapid.IntRange(0, 5).Draw(t, label+" state") {
	case 0, 1:
		return ""
	case 2:
		return unknown.Draw(t, label)
	}
	return rapid.SampledFrom(known).Draw(t, label)
}

// checkEnumCoverage fails t if a full run (at least rapid's default 100
// checks) never drew one of an enum's values.
func checkEnumCoverage(t *testing.T, name string, values []string, seen map[string]bool) {
	if t.Failed() {
		return
	}
	if n, _ := strconv.Atoi(flag.Lookup("rapid.checks").Value.String()); n < 100 || testing.Short() {
		return
	}
	for _, v := range values {
		if !seen[v] {
			t.Errorf("%s %q was never drawn", name, v)
		}
	}
}

// dateGen generates instants in zones from UTC-14 to UTC+14, dates only
// (midnight) or with a time and nanoseconds. Years stay in 2..9998, so that
// the dates the client derives (30 days earlier, in UTC) stay in the
// 4-digit years the spec's pattern allows (see
// TestListRejectsDatesOutsideFourDigitYears for what happens beyond), and away
// from year 1, where a date east of UTC is not time.Time's zero value but
// its start of day in UTC is: the client then takes it for unset.
var dateGen = rapid.Custom(func(t *rapid.T) time.Time {
	year := rapid.OneOf(rapid.IntRange(1990, 2040), rapid.IntRange(2, 9998), rapid.SampledFrom([]int{2, 9998})).Draw(t, "year")
	offset := rapid.OneOf(rapid.Just(0), rapid.IntRange(-14*60, 14*60)).Draw(t, "offset minutes")
	loc := time.UTC
	if offset != 0 {
		loc = time.FixedZone("", offset*60)
	}
	d := time.Date(year, time.Month(rapid.IntRange(1, 12).Draw(t, "month")), rapid.IntRange(1, 28).Draw(t, "day"), 0, 0, 0, 0, loc)
	if rapid.Bool().Draw(t, "with time?") {
		d = d.Add(time.Duration(rapid.Int64Range(0, int64(24*time.Hour-1)).Draw(t, "time of day")))
	}
	return d
})

// acceptLanguage generates header values: unset, realistic, or anything.
var acceptLanguage = rapid.OneOf(
	rapid.Just(""),
	rapid.StringMatching(`^[a-z]{2}(-[A-Z]{2})?(, ?[a-z]{2};q=0\.[0-9])?$`),
	rapid.String(),
)

// unsendable reports whether net/http refuses to send s as a header value
// (control characters other than tab).
func unsendable(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return (r < 0x20 && r != '\t') || r == 0x7f })
}

// newRecorded starts a scripted API and a client whose transport is a
// contract Transport, and returns them with the transport's report.
func newRecorded(t *testing.T) (*scriptedAPI, *getty.Client, *contract.Report) {
	t.Helper()
	v, err := contract.NewValidator(nil, contract.WithBasePath(propBasePath))
	if err != nil {
		t.Fatal(err)
	}
	tr := contract.NewTransport(nil, v)
	api, c := newScripted(t, getty.WithTransport(tr))
	return api, c, tr.Report()
}

// checkRequests checks that the transport judged the requests and found
// violations exactly at the parameters in want, and no drift.
func checkRequests(t *rapid.T, r *contract.Report, want map[string]bool) {
	got := map[string]bool{}
	for _, f := range r.Findings() {
		if !f.InRequest {
			continue
		}
		if f.Kind != contract.Violation || !want[f.Pointer] {
			t.Fatalf("unexpected finding %s", f)
		}
		got[f.Pointer] = true
	}
	for p := range want {
		if !got[p] {
			t.Fatalf("no violation at %s", p)
		}
	}
}

// query parses a recorded query, failing on a parameter sent twice.
func query(t *rapid.T, raw string) map[string]string {
	q, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatalf("query %q: %v", raw, err)
	}
	out := map[string]string{}
	for k, vs := range q {
		if len(vs) != 1 {
			t.Fatalf("%s sent %d times in %q", k, len(vs), raw)
		}
		out[k] = vs[0]
	}
	return out
}

// wantDate checks a date parameter against the option it came from: as
// YYYY-MM-DD in its own location, or with useTime an RFC 3339 timestamp in
// UTC, to the second.
func wantDate(t *rapid.T, name, got string, opt time.Time, useTime bool) {
	if !useTime {
		if want := opt.Format(time.DateOnly); got != want {
			t.Fatalf("%s=%q, want %q for %v", name, got, want, opt)
		}
		return
	}
	tm, err := time.Parse(time.RFC3339, got)
	if err != nil || !strings.HasSuffix(got, "Z") || !tm.Equal(opt.Truncate(time.Second)) {
		t.Fatalf("%s=%q, want %v in UTC (%v)", name, got, opt, err)
	}
}

// checkWindow checks the dates ListDownloads sent for o, called between
// before and after, against ListOptions' documentation: both dates are sent
// when one is set; DateFrom alone lists until now with use_time (from the
// start, in UTC, of its date unless UseTime); DateTo alone the 30 days
// before it; and the window sent is never inverted.
func checkWindow(t *rapid.T, q map[string]string, o getty.ListOptions, before, after time.Time) {
	from, to := q["date_from"], q["date_to"]
	switch {
	case !o.DateFrom.IsZero() && !o.DateTo.IsZero():
		wantDate(t, "date_from", from, o.DateFrom, o.UseTime)
		wantDate(t, "date_to", to, o.DateTo, o.UseTime)
	case o.DateTo.IsZero():
		start := o.DateFrom
		if !o.UseTime {
			y, m, d := o.DateFrom.Date()
			start = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		}
		wantDate(t, "date_from", from, start, true)
		end, err := time.Parse(time.RFC3339, to)
		if err != nil || !strings.HasSuffix(to, "Z") {
			t.Fatalf("date_to=%q is not a timestamp in UTC: %v", to, err)
		}
		if (end.Before(before.Truncate(time.Second)) || end.After(after)) && !end.Equal(start.Truncate(time.Second)) {
			t.Fatalf("date_to=%q for DateFrom alone: want now (%v..%v), or date_from if that is later", to, before, after)
		}
	default:
		wantDate(t, "date_to", to, o.DateTo, o.UseTime)
		start := o.DateTo.AddDate(0, 0, -30)
		if o.UseTime {
			start = o.DateTo.UTC().AddDate(0, 0, -30)
		}
		wantDate(t, "date_from", from, start, o.UseTime)
	}
	if inverted(from, to) {
		t.Fatalf("window sent inverted: date_from=%s date_to=%s for DateFrom %v, DateTo %v", from, to, o.DateFrom, o.DateTo)
	}
}

// invertedAsSent reports whether o's window, both dates set, is inverted as
// ListOptions sends it: as instants with UseTime, otherwise as each date in
// its own zone (two nearby instants in distant zones can be either).
func invertedAsSent(o getty.ListOptions) bool {
	if o.DateFrom.IsZero() || o.DateTo.IsZero() {
		return false
	}
	if o.UseTime {
		return o.DateFrom.After(o.DateTo)
	}
	return o.DateFrom.Format(time.DateOnly) > o.DateTo.Format(time.DateOnly)
}

// inverted reports whether the window from..to, both dates or both
// timestamps, ends before it starts.
func inverted(from, to string) bool {
	f, ferr := time.Parse(time.RFC3339, from)
	t, terr := time.Parse(time.RFC3339, to)
	if ferr == nil && terr == nil {
		return f.After(t)
	}
	return from > to
}

var listJSON = answer{status: http.StatusOK, header: http.Header{"Content-Type": {"application/json"}}, body: []byte(`{"result_count":0,"downloads":[]}`)}

// TestPropertyListOptionsRequests: for any ListOptions (each field set or
// unset; page and page size at, inside and past their bounds; every product
// type of the spec's enum and some outside it; dates and date-times in any
// zone; any Accept-Language), ListDownloads and Downloads never panic and
// either
//
//   - return an error without sending anything, when an option is invalid
//     as ListOptions documents it (negative Page or Prefetch, PageSize
//     outside 0..100, DateFrom after DateTo) or cannot be sent (a control
//     character in AcceptLanguage), or
//   - send requests that carry exactly the options set, that the contract
//     transport judges valid, but for a violation at product_type when it
//     is outside the enum (sent as given, as documented).
func TestPropertyListOptionsRequests(t *testing.T) {
	doc := mustSpec(t)
	op, _, _ := operation(t, doc, "listDownloads")
	known, unknown := enumParam(t, op, "product_type")
	api, c, report := newRecorded(t)
	api.script(http.MethodGet, listJSON)
	ctx := context.Background()
	seen := map[string]bool{}
	defer checkEnumCoverage(t, "product_type", known, seen)
	rapid.Check(t, func(t *rapid.T) {
		o := getty.ListOptions{
			Page:             rapid.OneOf(rapid.Just(0), rapid.IntRange(-3, 3), rapid.IntRange(1, 1<<20), rapid.SampledFrom([]int{math.MaxInt32, -1, math.MinInt})).Draw(t, "page"),
			PageSize:         rapid.OneOf(rapid.Just(0), rapid.IntRange(-3, 103), rapid.SampledFrom([]int{1, getty.MaxPageSize, getty.MaxPageSize + 1, math.MaxInt, math.MinInt})).Draw(t, "page size"),
			Prefetch:         rapid.OneOf(rapid.Just(0), rapid.IntRange(-2, 4)).Draw(t, "prefetch"),
			ProductType:      getty.ProductType(enumOption(t, known, unknown, "product type")),
			CompanyDownloads: rapid.Bool().Draw(t, "company"),
			UseTime:          rapid.Bool().Draw(t, "use time"),
			AcceptLanguage:   acceptLanguage.Draw(t, "accept language"),
		}
		if rapid.Bool().Draw(t, "from?") {
			o.DateFrom = dateGen.Draw(t, "from")
		}
		if rapid.Bool().Draw(t, "to?") {
			o.DateTo = dateGen.Draw(t, "to")
			if !o.DateFrom.IsZero() && rapid.Bool().Draw(t, "close to from?") {
				// Windows of a few hours, across zones, where the dates
				// sent and the instants can disagree.
				o.DateTo = o.DateFrom.Add(time.Duration(rapid.Int64Range(-6, 48).Draw(t, "hours")) * time.Hour).In(o.DateTo.Location())
			}
		}
		seen[string(o.ProductType)] = true
		invalid := o.Page < 0 || o.PageSize < 0 || o.PageSize > getty.MaxPageSize || o.Prefetch < 0 || invertedAsSent(o)
		wantViolations := map[string]bool{}
		if o.ProductType != "" && !slices.Contains(known, string(o.ProductType)) {
			wantViolations["product_type"] = true
		}
		orig := o

		report.Reset()
		before := time.Now()
		_, err := c.ListDownloads(ctx, &o)
		after := time.Now()
		reqs := api.take()
		if o != orig {
			t.Fatalf("ListDownloads changed the caller's options")
		}
		switch {
		case invalid || unsendable(o.AcceptLanguage):
			if err == nil || len(reqs) > 0 {
				t.Fatalf("invalid options: error %v, %d requests sent", err, len(reqs))
			}
		case err != nil:
			t.Fatalf("ListDownloads: %v", err)
		default:
			if len(reqs) != 1 || reqs[0].path != propBasePath+"/v3/downloads" {
				t.Fatalf("requests %+v, want one GET %s/v3/downloads", reqs, propBasePath)
			}
			q := query(t, reqs[0].query)
			want := map[string]string{}
			if o.Page > 0 {
				want["page"] = strconv.Itoa(o.Page)
			}
			if o.PageSize > 0 {
				want["page_size"] = strconv.Itoa(o.PageSize)
			}
			if o.ProductType != "" {
				want["product_type"] = string(o.ProductType)
			}
			if o.CompanyDownloads {
				want["company_downloads"] = "true"
			}
			if o.UseTime || (!o.DateFrom.IsZero() && o.DateTo.IsZero()) {
				want["use_time"] = "true"
			}
			if !o.DateFrom.IsZero() || !o.DateTo.IsZero() {
				checkWindow(t, q, o, before, after)
				want["date_from"], want["date_to"] = q["date_from"], q["date_to"]
			}
			if !reflect.DeepEqual(q, want) {
				t.Fatalf("query %v, want %v for %+v", q, want, o)
			}
			if got := reqs[0].header.Get("Accept-Language"); got != strings.Trim(o.AcceptLanguage, " \t") {
				t.Fatalf("Accept-Language %q, set %q", got, o.AcceptLanguage)
			}
			checkRequests(t, report, wantViolations)
		}

		// Downloads pins the window and pages from Page with 100 by default.
		report.Reset()
		var iterErr error
		for _, err := range c.Downloads(ctx, &o) {
			iterErr = err
		}
		reqs = api.take()
		switch {
		case invalid || unsendable(o.AcceptLanguage):
			if iterErr == nil || len(reqs) > 0 {
				t.Fatalf("invalid options: Downloads error %v, %d requests sent", iterErr, len(reqs))
			}
		case iterErr != nil:
			t.Fatalf("Downloads: %v", iterErr)
		default:
			if len(reqs) != 1 {
				t.Fatalf("%d requests for an empty history", len(reqs))
			}
			q := query(t, reqs[0].query)
			wantSize := o.PageSize
			if wantSize == 0 {
				wantSize = getty.MaxPageSize
			}
			if q["page"] != strconv.Itoa(max(o.Page, 1)) || q["page_size"] != strconv.Itoa(wantSize) || q["date_to"] == "" || q["date_from"] == "" {
				t.Fatalf("Downloads sent %v for %+v: want page, page_size and a pinned window", q, o)
			}
			checkRequests(t, report, wantViolations)
		}
	})
}

// safeID is an image id the client must send: Getty's ids are digits, and
// letters, digits, _ and - need no escaping.
var safeID = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// TestPropertyDownloadOptionsRequests: for any image id and DownloadOptions
// (each field set or unset; every file and product type of the spec's
// enums and some outside them; any height, notes and project code;
// ProductID inside and outside int32), DownloadURL and OpenImage never
// panic and either
//
//   - return an error without sending anything, for a ProductID outside
//     0..MaxInt32, an AcceptLanguage that cannot be sent, or an id the
//     client refuses (it must accept ids of letters, digits, _ and -), or
//   - send one POST for that very id that carries exactly the options set
//     (auto_download always, false for DownloadURL and true for OpenImage;
//     a JSON body with the notes and project code set, no body without
//     them), that the contract transport judges valid but for violations
//     at file_type and product_type when they are outside their enums.
func TestPropertyDownloadOptionsRequests(t *testing.T) {
	doc := mustSpec(t)
	op, _, _ := operation(t, doc, "downloadImage")
	knownProducts, unknownProduct := enumParam(t, op, "product_type")
	knownFiles, unknownFile := enumParam(t, op, "file_type")
	api, c, report := newRecorded(t)
	const delivery = "https://delivery.gettyimages.com/xyz/file.jpg?k=1&s=sig"
	idGen := rapid.OneOf(
		rapid.StringMatching(`^[0-9]{1,12}$`),
		rapid.StringMatching(`^[A-Za-z0-9_-]{1,20}$`),
		rapid.String(),
		rapid.SampledFrom([]string{"", ".", "..", "a/b", "a%2Fb", "a b", "é", "a?b", "a#b", "\x00", "..."}),
	)
	optional := func(g *rapid.Generator[string]) *rapid.Generator[string] { return rapid.OneOf(rapid.Just(""), g) }
	seenProducts, seenFiles := map[string]bool{}, map[string]bool{}
	defer checkEnumCoverage(t, "product_type", knownProducts, seenProducts)
	defer checkEnumCoverage(t, "file_type", knownFiles, seenFiles)
	rapid.Check(t, func(t *rapid.T) {
		id := idGen.Draw(t, "id")
		o := getty.DownloadOptions{
			FileType:       getty.FileType(enumOption(t, knownFiles, unknownFile, "file type")),
			Height:         optional(rapid.OneOf(rapid.StringMatching(`^[1-9][0-9]{1,4}$`), rapid.String())).Draw(t, "height"),
			ProductID:      rapid.OneOf(rapid.Just(0), rapid.IntRange(1, 1<<20), rapid.SampledFrom([]int{math.MaxInt32, math.MaxInt32 + 1, -1, math.MinInt, math.MaxInt})).Draw(t, "product id"),
			ProductType:    getty.ProductType(enumOption(t, knownProducts, unknownProduct, "product type")),
			UseTeamCredits: rapid.Bool().Draw(t, "team credits"),
			ProjectCode:    optional(rapid.String()).Draw(t, "project code"),
			Notes:          optional(rapid.String()).Draw(t, "notes"),
			AcceptLanguage: acceptLanguage.Draw(t, "accept language"),
		}
		seenProducts[string(o.ProductType)], seenFiles[string(o.FileType)] = true, true
		invalid := o.ProductID < 0 || o.ProductID > math.MaxInt32 || unsendable(o.AcceptLanguage)
		wantViolations := map[string]bool{}
		if o.FileType != "" && !slices.Contains(knownFiles, string(o.FileType)) {
			wantViolations["file_type"] = true
		}
		if o.ProductType != "" && !slices.Contains(knownProducts, string(o.ProductType)) {
			wantViolations["product_type"] = true
		}
		orig := o

		for _, auto := range []bool{false, true} {
			report.Reset()
			var err error
			if auto {
				api.script(http.MethodPost, answer{status: http.StatusNotFound, header: http.Header{"Content-Type": {"application/json"}},
					body: []byte(`{"ErrorCode":"ImageNotFound","ErrorMessage":"not found"}`)})
				_, err = c.OpenImage(context.Background(), id, &o)
			} else {
				api.script(http.MethodPost, answer{status: http.StatusOK, header: http.Header{"Content-Type": {"application/json"}},
					body: []byte(`{"uri":"` + delivery + `"}`)})
				var got string
				got, err = c.DownloadURL(context.Background(), id, &o)
				if err == nil && got != delivery {
					t.Fatalf("DownloadURL = %q, want %q", got, delivery)
				}
			}
			reqs := api.take()
			if o != orig {
				t.Fatalf("the caller's options changed")
			}
			if invalid || len(reqs) == 0 {
				if err == nil || len(reqs) > 0 {
					t.Fatalf("error %v, %d requests sent, for %+v", err, len(reqs), o)
				}
				if !invalid && safeID.MatchString(id) {
					t.Fatalf("id %q refused: %v", id, err)
				}
				continue
			}
			if auto {
				if !errors.Is(err, getty.ErrNotFound) {
					t.Fatalf("OpenImage: %v, want the 404", err)
				}
			} else if err != nil {
				t.Fatalf("DownloadURL: %v", err)
			}
			r := reqs[0]
			if len(reqs) != 1 || r.method != http.MethodPost || r.id != id ||
				r.path != propBasePath+"/v3/downloads/images/"+id {
				t.Fatalf("sent %d requests, the first %s %s (id %q), for id %q", len(reqs), r.method, r.path, r.id, id)
			}
			want := map[string]string{"auto_download": strconv.FormatBool(auto)}
			for name, v := range map[string]string{"file_type": string(o.FileType), "height": o.Height, "product_type": string(o.ProductType)} {
				if v != "" {
					want[name] = v
				}
			}
			if o.ProductID != 0 {
				want["product_id"] = strconv.Itoa(o.ProductID)
			}
			if o.UseTeamCredits {
				want["use_team_credits"] = "true"
			}
			if q := query(t, r.query); !reflect.DeepEqual(q, want) {
				t.Fatalf("query %v, want %v", q, want)
			}
			if got := r.header.Get("Accept-Language"); got != strings.Trim(o.AcceptLanguage, " \t") {
				t.Fatalf("Accept-Language %q, set %q", got, o.AcceptLanguage)
			}
			wantBody := map[string]string{}
			if o.Notes != "" {
				wantBody["download_notes"] = o.Notes
			}
			if o.ProjectCode != "" {
				wantBody["project_code"] = o.ProjectCode
			}
			if len(wantBody) == 0 {
				if len(r.body) > 0 || r.header.Get("Content-Type") != "" {
					t.Fatalf("body %q (%s) without notes or project code", r.body, r.header.Get("Content-Type"))
				}
			} else {
				var got map[string]string
				if err := json.Unmarshal(r.body, &got); err != nil || !reflect.DeepEqual(got, wantBody) ||
					r.header.Get("Content-Type") != "application/json" {
					t.Fatalf("body %s (%s), want %v as JSON", r.body, r.header.Get("Content-Type"), wantBody)
				}
			}
			checkRequests(t, report, wantViolations)
		}
	})
}

// TestListRejectsPageBeyondInt32: the spec's page is an int32 of at least
// 1, and ListOptions.Page an int: a page beyond int32 is refused, not
// wrapped (2147483648 would be sent as page=-2147483648, 4294967297 as
// page=1, silently the wrong page).
func TestListRejectsPageBeyondInt32(t *testing.T) {
	api, c, report := newRecorded(t)
	api.script(http.MethodGet, listJSON)
	for _, page := range []int{math.MaxInt32 + 1, 1<<32 + 1} {
		report.Reset()
		_, err := c.ListDownloads(context.Background(), &getty.ListOptions{Page: page})
		reqs := api.take()
		if err == nil && (len(reqs) != 1 || sentPage(reqs[0]) != strconv.Itoa(page)) {
			t.Errorf("Page %d: no error, and sent %+v", page, reqs)
		}
		if v := report.Violations(); len(v) > 0 {
			t.Errorf("Page %d: %v", page, v)
		}
	}
}

func sentPage(r recorded) string {
	q, _ := url.ParseQuery(r.query)
	return q.Get("page")
}

// TestListRejectsDatesOutsideFourDigitYears: the spec's dates are YYYY-MM-DD
// (or with a time); ListOptions dates outside the years 0000-9999 as they
// are sent (in their own zone, or in UTC with UseTime, or 30 days before
// DateTo in Downloads) are sent as "10000-01-01" or "-0001-12-31..." instead
// of being rejected.
func TestListRejectsDatesOutsideFourDigitYears(t *testing.T) {
	api, c, report := newRecorded(t)
	api.script(http.MethodGet, listJSON)
	for _, o := range []getty.ListOptions{
		{DateFrom: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{DateFrom: time.Date(0, 1, 1, 0, 0, 0, 0, time.FixedZone("", 3600)), UseTime: true},
	} {
		report.Reset()
		_, err := c.ListDownloads(context.Background(), &o)
		if v := report.Violations(); err == nil && len(v) > 0 {
			t.Errorf("%v: sent an invalid request: %v", o.DateFrom, v)
		}
	}
}

// TestListWindowCheckedAsSent: without UseTime the dates are sent each in
// its own zone, so the window is checked as sent, not as instants: DateFrom
// 2026-01-02 00:30 +14:00 (01-01 10:30 UTC) and DateTo 2026-01-01 20:00 UTC
// would be sent as date_from=2026-01-02, date_to=2026-01-01, and are
// refused.
func TestListWindowCheckedAsSent(t *testing.T) {
	api, c, _ := newRecorded(t)
	api.script(http.MethodGet, listJSON)
	o := getty.ListOptions{
		DateFrom: time.Date(2026, 1, 2, 0, 30, 0, 0, time.FixedZone("", 14*3600)),
		DateTo:   time.Date(2026, 1, 1, 20, 0, 0, 0, time.UTC),
	}
	_, err := c.ListDownloads(context.Background(), &o)
	reqs := api.take()
	if err == nil && len(reqs) == 1 {
		q, _ := url.ParseQuery(reqs[0].query)
		if inverted(q.Get("date_from"), q.Get("date_to")) {
			t.Errorf("sent date_from=%s date_to=%s", q.Get("date_from"), q.Get("date_to"))
		}
	}
}
