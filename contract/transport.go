package contract

import (
	"fmt"
	"net/http"
)

// Transport is an http.RoundTripper that validates every request it sends
// and every response it gets against the spec, collecting findings in its
// [Report]. It composes with other RoundTrippers and hands responses to its
// caller intact:
//
//   - API calls (requests that route to an operation of the spec) have
//     their request and JSON response validated. The response body is read
//     into memory up to the validator's size limit; a bigger body is a
//     violation and is passed on unvalidated, still whole.
//   - Other responses with an image or PostScript content type, such as
//     the file behind a download URI, stream through unbuffered: their
//     leading bytes are checked against the content type and their length
//     against Content-Length when the caller reaches the end of the body.
//   - Anything else (the token endpoint, say) passes through unchecked.
//
// A Transport is safe for concurrent use.
type Transport struct {
	base   http.RoundTripper
	v      *Validator
	report *Report
}

// NewTransport returns a Transport that sends requests with base
// (http.DefaultTransport when nil) and judges them with v. A nil v means a
// Validator for the embedded spec; NewTransport panics if that cannot be
// built, which only a broken build of this module can cause.
func NewTransport(base http.RoundTripper, v *Validator) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	if v == nil {
		var err error
		if v, err = NewValidator(nil); err != nil {
			panic(fmt.Sprintf("contract: loading the embedded spec: %v", err))
		}
	}
	return &Transport{base: base, v: v, report: new(Report)}
}

// Report returns the report the Transport adds its findings to.
func (t *Transport) Report() *Report { return t.report }

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	route, params, f := t.v.route(req)
	if f != nil {
		t.report.Add(*f)
	}
	// A RoundTripper must not modify the caller's request: validation
	// reads a body from a clone, and the clone is what is sent.
	out := req.Clone(req.Context())
	if route != nil {
		data, over, err := requestBody(out, t.v.maxBody)
		t.report.Add(t.v.validateRequest(out, route, params, data, over, err)...)
	}
	resp, err := t.base.RoundTrip(out)
	if err != nil {
		return resp, err
	}
	switch {
	case route != nil:
		data, over, rerr := readBodySized(&resp.Body, resp.ContentLength, t.v.maxBody)
		t.report.Add(t.v.validateResponse(out, resp, route, params, data, over, rerr, false)...)
	case isBinary(resp.Header.Get("Content-Type")) && resp.Body == http.NoBody:
		// An empty body (Content-Length: 0) is judged at once: the caller
		// may never read it.
		t.report.Add(newBinaryCheck(out, resp).finish(nil)...)
	case isBinary(resp.Header.Get("Content-Type")) && resp.Body != nil:
		resp.Body = &checkedBody{rc: resp.Body, report: t.report, c: newBinaryCheck(out, resp)}
	}
	return resp, nil
}
