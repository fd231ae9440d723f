package getty

import (
	"bytes"
	"cmp"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gettykit/getty/gen"
)

// Sentinel errors, matched by *APIError through errors.Is:
//
//	if errors.Is(err, getty.ErrQuotaExhausted) { ... }
//
// Use errors.As with *APIError for the details.
var (
	// ErrQuotaExhausted: the product's periodic download limit is reached
	// (403 OverageLimitReached). It also matches ErrForbidden.
	ErrQuotaExhausted = errors.New("getty: download quota exhausted")
	// ErrNotFound: 404, such as ImageNotFound.
	ErrNotFound = errors.New("getty: not found")
	// ErrUnauthorized: 401, a missing, invalid or expired API key or token.
	ErrUnauthorized = errors.New("getty: unauthorized")
	// ErrForbidden: 403 other than throttling, such as NoAccessToProductType
	// or OverageLimitReached.
	ErrForbidden = errors.New("getty: forbidden")
	// ErrRateLimited: the account is throttled (429, or 403 with an
	// X-Error-Detail such as "Account Over Queries Per Second Limit"). It
	// also matches the per-day limit, ErrDailyLimit.
	ErrRateLimited = errors.New("getty: rate limited")
	// ErrDailyLimit: the account's per-day request limit is reached
	// (X-Error-Detail "Account Over Rate Limit"). Unlike the per-second
	// limit it does not clear in seconds, so no request waits or is retried
	// on it. It also matches ErrRateLimited.
	ErrDailyLimit = errors.New("getty: per-day request limit reached; it does not clear in seconds")
	// ErrUserTokenRequired: the request needs a token that carries a user
	// (an API key alone, or a client-credentials token, is not enough):
	// ErrorCode UserTokenRequired, "Security token must contain a user.".
	// Give a password or refresh-token grant, or a user's token.
	ErrUserTokenRequired = errors.New("getty: a user token is required")
)

// Code is one of Getty's documented application error codes, the
// ErrorCode (or, in the older shape, code) of an error answer. A Code is an
// error value that an *APIError carrying it matches, case-insensitively,
// whatever its status:
//
//	if errors.Is(err, getty.ImageNotFound) { ... }
//
// and APIError.Code can be compared with the constants:
//
//	var apiErr *getty.APIError
//	if errors.As(err, &apiErr) && apiErr.Code == getty.OverageLimitReached { ... }
//
// Codes the API adds later are kept in APIError.Code as they come.
type Code string

// Getty's documented error codes.
const (
	// 400: a parameter, page or page size the API does not take, or a
	// request it cannot read.
	InvalidParameterValue Code = "InvalidParameterValue"
	InvalidPage           Code = "InvalidPage"
	InvalidPageSize       Code = "InvalidPageSize"
	MalformedRequest      Code = "MalformedRequest"
	InvalidRequest        Code = "InvalidRequest"
	// 400: the download request names no image.
	ImageIDMustBeSpecified Code = "ImageIdMustBeSpecified"
	// 403: the account has no access to the product type asked for, or
	// to the request.
	NoAccessToProductType Code = "NoAccessToProductType"
	Forbidden             Code = "Forbidden"
	// 403: the product's periodic download limit is reached (also
	// ErrQuotaExhausted).
	OverageLimitReached Code = "OverageLimitReached"
	// The request needs a token that carries a user, "Security token
	// must contain a user." (also ErrUserTokenRequired).
	UserTokenRequired Code = "UserTokenRequired"
	// The request needs an access token, not an API key alone.
	AuthorizationTokenRequired Code = "AuthorizationTokenRequired"
	// 404: no such image (also ErrNotFound), or no file of the height
	// asked for.
	ImageNotFound            Code = "ImageNotFound"
	FileDownloadSizeNotFound Code = "FileDownloadSizeNotFound"
	// 500: a failure on Getty's side.
	SystemError Code = "SystemError"
)

// Error makes a Code a target for errors.Is. It is the code itself, so
// that a Code prints the same through fmt, which prefers Error to String.
func (c Code) Error() string { return string(c) }

// Errors from following the download redirects.
var (
	// ErrInsecureRedirect: a redirect from https to http, refused.
	ErrInsecureRedirect = errors.New("getty: refusing redirect from https to http")
	// ErrTooManyRedirects: more than maxRedirects hops, such as a loop.
	ErrTooManyRedirects = errors.New("getty: too many redirects")
)

// APIError is an HTTP error answer from the API or the delivery host. Getty's
// error shapes are all parsed: application errors
// {"ErrorCode","ErrorMessage"}, gateway errors {"message"} and the older
// {"code","message"}; any other body is kept in Body, and Error() quotes
// the start of a text body but only summarizes an HTML page (a proxy's 502)
// by its title or size.
type APIError struct {
	// StatusCode is the HTTP status code.
	StatusCode int
	// Code is Getty's ErrorCode (or code, in the older shape), such as
	// "OverageLimitReached"; empty for gateway errors and non-JSON bodies.
	Code Code
	// Message is ErrorMessage, or the message of a gateway error or of the
	// older shape.
	Message string
	// Detail is the X-Error-Detail header, which explains gateway
	// throttling ("Account Over Rate Limit").
	Detail string
	// RetryAfter is the parsed Retry-After header, zero if none.
	RetryAfter time.Duration
	// Method is the request method.
	Method string
	// RequestURL is the request URL with secrets removed: no user
	// information, and the values of query parameters other than the API's
	// documented ones (signatures, tokens) replaced by "REDACTED".
	RequestURL string
	// Body is the start of the response body (at most 1 KiB), as sent:
	// Error() never quotes markup, it summarizes an HTML page.
	Body string

	summary string // what Error() says of a body with no error message
}

// Error describes the failure on one line.
func (e *APIError) Error() string { return "getty: " + e.message() }

func (e *APIError) message() string {
	var b strings.Builder
	if e.Method != "" {
		b.WriteString(e.Method + " ")
	}
	if e.RequestURL != "" {
		b.WriteString(e.RequestURL + ": ")
	}
	fmt.Fprintf(&b, "%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	// Code, Message, Detail and Body come from the server: their control
	// characters are replaced so that an error printed to a terminal cannot
	// carry escape sequences or forge extra lines.
	if e.Code != "" {
		b.WriteString(": " + printable(string(e.Code)))
	}
	if e.Message != "" {
		b.WriteString(": " + printable(e.Message))
	}
	if e.Detail != "" && e.Detail != e.Message {
		b.WriteString(" (" + printable(e.Detail) + ")")
	}
	if e.Code == "" && e.Message == "" {
		s := e.summary
		if s == "" {
			s = summarizeBody(e.Body, "", len(e.Body))
		}
		if s != "" {
			b.WriteString(": " + s)
		}
	}
	if e.throttle() == throttledPerDay {
		b.WriteString("; the per-day request limit is reached: it does not clear in seconds, so retrying now will not help")
	}
	return b.String()
}

// summarizeBody describes an error body that carries no error message for
// a one-line error, never quoting markup: the start of a text body; for an
// HTML page (a proxy's 502), its title or first heading, or else its size;
// for an XML error (a storage service behind the delivery host), its Code
// and Message, or else its size. n is the body's length, of which body may
// be the start.
func summarizeBody(body, contentType string, n int) string {
	trimmed := strings.TrimSpace(strings.TrimPrefix(body, "\ufeff"))
	if trimmed == "" {
		return ""
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	lower := strings.ToLower(trimmed)
	isHTML := mt == "text/html" || mt == "application/xhtml+xml" ||
		strings.HasPrefix(lower, "<!doctype html") || strings.Contains(lower, "<html")
	isXML := mt == "text/xml" || mt == "application/xml" || strings.HasSuffix(mt, "+xml")
	if !isHTML && !isXML && !strings.HasPrefix(trimmed, "<") {
		return printable(snippet(trimmed, 120))
	}
	size := fmt.Sprintf("%d bytes", n)
	if n >= maxErrorBody {
		size = fmt.Sprintf("at least %d bytes", n)
	}
	if isHTML {
		for _, tag := range []string{"title", "h1"} {
			if t := elementText(trimmed, tag); t != "" {
				return fmt.Sprintf("an HTML page titled %q (%s)", printable(snippet(t, 80)), size)
			}
		}
		return "an HTML page of " + size
	}
	var xe struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	if xml.Unmarshal([]byte(trimmed), &xe) == nil {
		code := strings.Join(strings.Fields(xe.Code), " ")
		msg := strings.Join(strings.Fields(xe.Message), " ")
		switch {
		case code != "" && msg != "":
			return printable(snippet(code+": "+msg, 120))
		case code != "" || msg != "":
			return printable(snippet(code+msg, 120))
		}
	}
	return "an XML document of " + size
}

// elementText returns the text of the first <tag> element of an HTML
// document, its entities decoded and any markup inside it dropped.
func elementText(doc, tag string) string {
	lower := strings.ToLower(doc)
	start := -1
	for i := 0; ; {
		j := strings.Index(lower[i:], "<"+tag)
		if j < 0 {
			return ""
		}
		i += j + 1 + len(tag)
		if i == len(lower) || strings.ContainsRune(" \t\r\n/>", rune(lower[i])) {
			start = i
			break
		}
	}
	gt := strings.IndexByte(lower[start:], '>')
	if gt < 0 {
		return ""
	}
	start += gt + 1
	end := strings.Index(lower[start:], "</"+tag)
	if end < 0 {
		return ""
	}
	inner := doc[start : start+end]
	var b strings.Builder
	depth := 0
	for _, r := range inner {
		switch {
		case r == '<':
			depth++
		case r == '>' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(html.UnescapeString(b.String())), " ")
}

// printable replaces control characters (C0, DEL, C1) with '?'.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
}

// Is reports whether the error matches one of the package's sentinels.
// ErrDailyLimit matches ErrRateLimited too, so that code written before it
// existed still sees the per-day limit as rate limiting.
//
// A Code target matches an error carrying that code, and ErrUserTokenRequired
// one carrying UserTokenRequired.
func (e *APIError) Is(target error) bool {
	if c, ok := target.(Code); ok {
		return e.Code != "" && strings.EqualFold(string(e.Code), string(c))
	}
	switch target {
	case ErrUserTokenRequired:
		return strings.EqualFold(string(e.Code), string(UserTokenRequired))
	case ErrQuotaExhausted:
		return e.StatusCode == http.StatusForbidden && strings.EqualFold(string(e.Code), string(OverageLimitReached))
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden && !e.throttled()
	case ErrRateLimited:
		return e.throttled()
	case ErrDailyLimit:
		return e.throttle() == throttledPerDay
	}
	return false
}

// Temporary reports whether retrying soon may succeed: throttling other
// than the per-day limit, and server errors.
func (e *APIError) Temporary() bool {
	return e.throttle() == throttledPerSecond || e.StatusCode >= 500 || e.StatusCode == http.StatusRequestTimeout
}

// HTTPStatusCode returns the status code.
func (e *APIError) HTTPStatusCode() int { return e.StatusCode }

func (e *APIError) throttled() bool { return e.throttle() != notThrottled }

// throttle classifies e. A 403 that carries an application error code
// (OverageLimitReached, NoAccessToProductType, ...) was answered by the API
// itself, not by the gateway that throttles: its code says what it is.
func (e *APIError) throttle() throttle {
	if e.StatusCode == http.StatusForbidden && e.Code != "" {
		return notThrottled
	}
	return throttleKind(e.StatusCode, e.Detail, e.Message)
}

// throttle is how the gateway limits the account.
type throttle int

const (
	notThrottled throttle = iota
	// throttledPerSecond: the per-second limit ("Account Over Queries Per
	// Second Limit"), or a 429 without a per-day explanation: it clears
	// in a moment, and the request was refused before any quota was spent.
	throttledPerSecond
	// throttledPerDay: the per-day limit ("Account Over Rate Limit"); it
	// does not clear in seconds.
	throttledPerDay
)

// throttleKind classifies a 429, or Getty's gateway answering 403 with a
// rate-limit explanation in X-Error-Detail (or its message). The gateway's
// explanations name the account's or the developer's limits: "Over Queries
// Per Second Limit" and "Over Qps" per second, "Over Rate Limit" and "Over
// Rate" per day.
func throttleKind(status int, detail, message string) throttle {
	if status != http.StatusTooManyRequests && status != http.StatusForbidden {
		return notThrottled
	}
	texts := []string{strings.ToLower(detail), strings.ToLower(message)}
	for _, s := range texts {
		if strings.Contains(s, "over rate") || strings.Contains(s, "per day") || strings.Contains(s, "daily") {
			return throttledPerDay
		}
	}
	if status == http.StatusTooManyRequests {
		return throttledPerSecond
	}
	for _, s := range texts {
		if strings.Contains(s, "queries per second") || strings.Contains(s, "over qps") ||
			strings.Contains(s, "rate limit") || strings.Contains(s, "throttl") {
			return throttledPerSecond
		}
	}
	return notThrottled
}

// maxErrorBody caps how much of an error body is read.
const maxErrorBody = 64 << 10

// newAPIError reads (at most maxErrorBody of) the body of a non-success
// response, closes it and returns the error.
func newAPIError(resp *http.Response) *APIError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
	e := &APIError{
		StatusCode: resp.StatusCode,
		Detail:     strings.TrimSpace(resp.Header.Get("X-Error-Detail")),
	}
	if resp.Request != nil {
		e.Method = resp.Request.Method
		e.RequestURL = redactURL(resp.Request.URL)
	}
	if d, ok := retryAfter(resp.Header, time.Now()); ok {
		e.RetryAfter = d
	}
	var ge gen.Error
	if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '{' && json.Unmarshal(trimmed, &ge) == nil {
		e.Code = Code(cmp.Or(ge.ErrorCode, ge.Code))
		e.Message = cmp.Or(ge.ErrorMessage, ge.Message)
	}
	e.Body = truncateUTF8(string(body), 1024)
	if e.Code == "" && e.Message == "" {
		e.summary = summarizeBody(string(body), resp.Header.Get("Content-Type"), len(body))
	}
	return e
}

// knownParams are the API's documented query parameters: their values are
// not secret and help when reading an error.
var knownParams = map[string]bool{
	"page": true, "page_size": true, "date_from": true, "date_to": true, "start_date": true,
	"end_date": true, "use_time": true, "product_type": true, "company_downloads": true,
	"auto_download": true, "file_type": true, "height": true, "product_id": true,
	"use_team_credits": true,
}

// redactURL renders u without user information or fragment, and with the
// values of undocumented query parameters (a delivery URL's signature,
// an access token) replaced.
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	c.Fragment, c.RawFragment = "", ""
	if c.RawQuery != "" {
		q, err := url.ParseQuery(c.RawQuery)
		if err != nil {
			c.RawQuery = "REDACTED"
		} else {
			for k, vs := range q {
				if !knownParams[k] {
					for i := range vs {
						vs[i] = "REDACTED"
					}
				}
			}
			c.RawQuery = q.Encode()
		}
	}
	return c.String()
}

// stripQuery renders u without query, fragment or user information.
func stripQuery(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery, c.ForceQuery = "", false
	c.Fragment, c.RawFragment = "", ""
	return c.String()
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// snippet collapses white space and shortens s for an error message.
func snippet(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = truncateUTF8(s, n) + "..."
	}
	return s
}

// How errors are worded: every error an exported method returns says
// "getty: " once, at its start, and never again inside, so that a program
// can print it as it is. The package's error types and sentinels say it
// themselves, since they are returned as they are; the errors that wrap
// them to add context (wrapf) repeat neither the prefix nor what the
// wrapped error says, through its message method.

// messager is an error of the package: message is its text without the
// "getty: " prefix.
type messager interface {
	error
	message() string
}

// text is what err says without the package's prefix: the message of an
// error of the package, or else err's own text.
func text(err error) string {
	if m, ok := err.(messager); ok {
		return m.message()
	}
	return err.Error()
}

// wrappedError is err with context, "getty: " said once.
type wrappedError struct {
	context string
	err     error
}

// wrapf returns err with the context format describes, for an exported
// method to return: "getty: context: what err says".
func wrapf(err error, format string, args ...any) error {
	return &wrappedError{context: fmt.Sprintf(format, args...), err: err}
}

func (e *wrappedError) message() string { return e.context + ": " + text(e.err) }
func (e *wrappedError) Error() string   { return "getty: " + e.message() }
func (e *wrappedError) Unwrap() error   { return e.err }

// renewalError is a 401 whose token could not be renewed: the answer and
// why the renewal failed, both matched by errors.Is and errors.As.
type renewalError struct {
	api *APIError
	err error
}

func (e *renewalError) message() string {
	return e.api.message() + " (renewing the rejected token: " + text(e.err) + ")"
}
func (e *renewalError) Error() string   { return "getty: " + e.message() }
func (e *renewalError) Unwrap() []error { return []error{e.api, e.err} }
