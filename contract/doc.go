// Package contract checks HTTP traffic against the OpenAPI description of the
// Getty Images download API (package spec).
//
// A [Validator] judges single requests and responses with kin-openapi's
// openapi3filter. A [Transport] wraps an http.RoundTripper so that every call
// a client makes is judged on the way through, while the caller still gets
// the response intact; binary downloads stream through without being
// buffered. [CheckCassette] and [CheckHAR] judge recorded traffic, so old
// recordings are re-judged whenever the spec changes.
//
// A [Proxy] puts the same checks in front of any client, in any language:
// a reverse proxy that streams, never follows redirects, and can record
// what passes, scrubbed, with a [Recorder]. A [Reporter] writes what is
// found as text, JSON lines, JUnit XML or GitHub Actions annotations, and
// an [AllowList] names the violations a recording holds on purpose.
//
// Findings come in two kinds. A [Violation] is traffic the spec forbids: a
// parameter or body that does not match its schema, an undocumented status
// code, missing credentials, an image whose bytes do not match its content
// type or length. [Drift] is traffic the spec does not know but that is not
// wrong: a response field the API added, a deprecated or unknown query
// parameter. Drift is reported separately so that it can be logged, not
// failed on.
//
// Real traffic that the API accepts is not a violation: booleans written as
// True/False, a lower-case "bearer" scheme, a bare "?" with no query, a
// download POST with no body, an empty form body, {} or the JSON literal
// null, and the legacy start_date/end_date parameters (reported as drift).
package contract
