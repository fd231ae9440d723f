package getty

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var allSentinels = []error{ErrQuotaExhausted, ErrNotFound, ErrUnauthorized, ErrForbidden, ErrRateLimited, ErrDailyLimit}

func TestAPIErrorShapes(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		header      map[string]string
		body        string
		wantCode    string
		wantMessage string
		wantDetail  string
		want        []error // sentinels that must match; all others must not
	}{
		{
			name: "quota exhausted", status: 403, contentType: "application/json; charset=utf-8",
			body:     `{"ErrorCode":"OverageLimitReached","ErrorMessage":"Download limit reached"}`,
			wantCode: "OverageLimitReached", wantMessage: "Download limit reached",
			want: []error{ErrQuotaExhausted, ErrForbidden},
		},
		{
			name: "no access to product type", status: 403, contentType: "application/json",
			body:     `{"ErrorCode":"NoAccessToProductType","ErrorMessage":"no access"}`,
			wantCode: "NoAccessToProductType", wantMessage: "no access",
			want: []error{ErrForbidden},
		},
		{
			name: "throttled 403 by header", status: 403, contentType: "application/json",
			header: map[string]string{"X-Error-Detail": "Account Over Queries Per Second Limit"},
			body:   `{"message":"Forbidden"}`, wantMessage: "Forbidden",
			wantDetail: "Account Over Queries Per Second Limit",
			want:       []error{ErrRateLimited},
		},
		{
			name: "throttled 403 by message", status: 403, contentType: "application/json",
			body: `{"message":"Account Over Rate Limit"}`, wantMessage: "Account Over Rate Limit",
			want: []error{ErrRateLimited, ErrDailyLimit},
		},
		{
			name: "429 gateway", status: 429, contentType: "application/json",
			header: map[string]string{"X-Error-Detail": "Account Over Rate Limit"},
			body:   `{"message":"Too Many Requests"}`, wantMessage: "Too Many Requests", wantDetail: "Account Over Rate Limit",
			want: []error{ErrRateLimited, ErrDailyLimit},
		},
		{
			name: "429 without detail", status: 429, contentType: "application/json",
			body: `{"message":"Too Many Requests"}`, wantMessage: "Too Many Requests",
			want: []error{ErrRateLimited},
		},
		{
			name: "401 gateway shape", status: 401, contentType: "application/json",
			body: `{"message":"Unauthorized"}`, wantMessage: "Unauthorized",
			want: []error{ErrUnauthorized},
		},
		{
			name: "401 application shape", status: 401, contentType: "application/json",
			body:     `{"ErrorCode":"AuthorizationTokenRequired","ErrorMessage":"token required"}`,
			wantCode: "AuthorizationTokenRequired", wantMessage: "token required",
			want: []error{ErrUnauthorized},
		},
		{
			name: "404 image not found", status: 404, contentType: "application/json",
			body:     `{"ErrorCode":"ImageNotFound","ErrorMessage":"Image not found: 123"}`,
			wantCode: "ImageNotFound", wantMessage: "Image not found: 123",
			want: []error{ErrNotFound},
		},
		{
			name: "404 older shape", status: 404, contentType: "application/json",
			body:     `{"code":"ImageNotFound","message":"Image not found: 123"}`,
			wantCode: "ImageNotFound", wantMessage: "Image not found: 123",
			want: []error{ErrNotFound},
		},
		{
			name: "403 older shape, quota", status: 403, contentType: "application/json; charset=utf-8",
			body:     `{"code":"OverageLimitReached","message":"Download limit reached"}`,
			wantCode: "OverageLimitReached", wantMessage: "Download limit reached",
			want: []error{ErrQuotaExhausted, ErrForbidden},
		},
		{
			name: "400 invalid request", status: 400, contentType: "application/json",
			body:     `{"ErrorCode":"InvalidRequest","ErrorMessage":"Field: page_size, Message: too big"}`,
			wantCode: "InvalidRequest", wantMessage: "Field: page_size, Message: too big",
		},
		{
			name: "html 502", status: 502, contentType: "text/html",
			body: "<html><body><h1>502 Bad Gateway</h1></body></html>",
		},
		{
			name: "json content type, broken body", status: 500, contentType: "application/json",
			body: `{"ErrorCode": `,
		},
		{
			name: "empty body", status: 404,
			want: []error{ErrNotFound},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.HandleFunc("GET /api/v3/downloads", func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				if tt.contentType != "" {
					w.Header().Set("Content-Type", tt.contentType)
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			_, base := newAPI(t, mux)
			c := newClient(t, base, WithToken(validToken()), WithRetry(NoRetry))
			_, err := c.ListDownloads(t.Context(), &ListOptions{Page: 2})
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v (%T) is not an *APIError", err, err)
			}
			if apiErr.StatusCode != tt.status || string(apiErr.Code) != tt.wantCode || apiErr.Message != tt.wantMessage || apiErr.Detail != tt.wantDetail {
				t.Errorf("got status %d code %q message %q detail %q; want %d %q %q %q",
					apiErr.StatusCode, apiErr.Code, apiErr.Message, apiErr.Detail, tt.status, tt.wantCode, tt.wantMessage, tt.wantDetail)
			}
			if apiErr.Body != tt.body {
				t.Errorf("Body = %q, want %q", apiErr.Body, tt.body)
			}
			if apiErr.Method != "GET" || !strings.HasSuffix(apiErr.RequestURL, "/api/v3/downloads?page=2") {
				t.Errorf("Method %q RequestURL %q", apiErr.Method, apiErr.RequestURL)
			}
			for _, s := range allSentinels {
				want := false
				for _, w := range tt.want {
					want = want || w == s
				}
				if got := errors.Is(err, s); got != want {
					t.Errorf("errors.Is(err, %v) = %v, want %v", s, got, want)
				}
			}
			msg := err.Error()
			if !strings.Contains(msg, http.StatusText(tt.status)) {
				t.Errorf("Error() = %q lacks the status text", msg)
			}
			if tt.wantCode != "" && !strings.Contains(msg, tt.wantCode) {
				t.Errorf("Error() = %q lacks the code", msg)
			}
			if strings.HasPrefix(tt.contentType, "text/html") && !strings.Contains(msg, "502 Bad Gateway") {
				t.Errorf("Error() = %q lacks the body snippet", msg)
			}
		})
	}
}

// countingReader serves n bytes of 'x' and counts how many were read.
type countingReader struct {
	left int
	read *atomic.Int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	n := min(len(p), r.left)
	for i := range n {
		p[i] = 'x'
	}
	r.left -= n
	r.read.Add(int64(n))
	return n, nil
}

func TestAPIErrorBodyIsCapped(t *testing.T) {
	cr := &countingReader{left: 10 << 20, read: new(atomic.Int64)}
	e := newAPIError(&http.Response{StatusCode: 500, Header: http.Header{}, Body: io.NopCloser(cr)})
	if got := cr.read.Load(); got > maxErrorBody {
		t.Errorf("read %d bytes of an error body, cap is %d", got, maxErrorBody)
	}
	if len(e.Body) != 1024 {
		t.Errorf("Body snippet has %d bytes, want 1024", len(e.Body))
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://api.example/v3/downloads?page=2&page_size=10", "https://api.example/v3/downloads?page=2&page_size=10"},
		{"https://delivery.example/x.jpg?s=abcdef&sig=secret&token=t0k", "https://delivery.example/x.jpg?s=REDACTED&sig=REDACTED&token=REDACTED"},
		{"https://user:pass@host.example/p?access_token=zzz#frag", "https://host.example/p?access_token=REDACTED"},
		{"https://api.example/v3/downloads/images/1?auto_download=true&file_type=jpg", "https://api.example/v3/downloads/images/1?auto_download=true&file_type=jpg"},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := redactURL(u); got != tt.want {
			t.Errorf("redactURL(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestAPIErrorRetryAfter(t *testing.T) {
	h := http.Header{}
	h.Set("Retry-After", "7")
	e := newAPIError(&http.Response{StatusCode: 429, Header: h, Body: io.NopCloser(strings.NewReader(""))})
	if e.RetryAfter != 7*time.Second || !e.Temporary() || e.HTTPStatusCode() != 429 {
		t.Errorf("RetryAfter %v Temporary %v status %d", e.RetryAfter, e.Temporary(), e.HTTPStatusCode())
	}
}

func TestAPIErrorMessageHasNoControlCharacters(t *testing.T) {
	for _, body := range []string{
		`{"ErrorCode":"Bad\u001b[2J","ErrorMessage":"line\nforged: \u001b]0;title\u0007"}`,
		`{"message":"gateway\r\u009b31m"}`,
		"<html>\x1b[31mred\x1b[0m</html>",
	} {
		h := http.Header{}
		h.Set("X-Error-Detail", "detail\x1b[1m")
		e := newAPIError(&http.Response{StatusCode: 500, Header: h, Body: io.NopCloser(strings.NewReader(body))})
		msg := e.Error()
		if strings.ContainsAny(msg, "\x1b\x07\r\n\u009b") {
			t.Errorf("Error() = %q carries control characters", msg)
		}
	}
}

// nginx502 is the page nginx serves when its upstream fails.
const nginx502 = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n"

func TestErrorMessageSummarizesMarkup(t *testing.T) {
	long := "<!DOCTYPE html><html><head>" + strings.Repeat("<meta name=\"x\" content=\"y\">", 200) +
		"<title>Service &amp; Gateway\n  Unavailable</title></head><body>" + strings.Repeat("<p>filler</p>", 100) + "</body></html>"
	tests := []struct {
		name        string
		contentType string
		body        string
		want        string // in the message
	}{
		{"nginx 502", "text/html", nginx502, `an HTML page titled "502 Bad Gateway" (` + fmt.Sprint(len(nginx502)) + " bytes)"},
		{"heading only", "text/html; charset=utf-8", "<html><body><h1 class=x>Bad <b>Gateway</b></h1></body></html>", `an HTML page titled "Bad Gateway"`},
		{"no title", "text/html", "<html><body><p>Oops</p></body></html>", "an HTML page of 37 bytes"},
		{"title beyond the kept 1 KiB", "text/html", long, `an HTML page titled "Service & Gateway Unavailable"`},
		{"HTML sent as text/plain", "text/plain", "<!doctype html><html><title>Gateway Timeout</title></html>", `an HTML page titled "Gateway Timeout"`},
		{"XML error", "application/xml", "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>", "AccessDenied: Request has expired"},
		{"XML without a code", "application/xml", "<Status><Value>down</Value></Status>", "an XML document of 36 bytes"},
		{"plain text is quoted", "text/plain", "upstream connect error or disconnect/reset before headers", "upstream connect error or disconnect/reset before headers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.HandleFunc("GET /api/v3/downloads", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.WriteHeader(http.StatusBadGateway)
				_, _ = io.WriteString(w, tt.body)
			})
			_, base := newAPI(t, mux)
			c := newClient(t, base, WithRetry(NoRetry))
			_, err := c.ListDownloads(t.Context(), nil)
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("Error() = %q, want it to contain %q", msg, tt.want)
			}
			if strings.ContainsAny(msg, "<>") || strings.Contains(msg, "nginx") {
				t.Errorf("Error() = %q quotes markup", msg)
			}
			if apiErr.Body != truncateUTF8(tt.body, 1024) {
				t.Errorf("Body = %q, want the body as sent", apiErr.Body)
			}
		})
	}
}

func TestErrorMessageSummarizesMarkupOfAConstructedError(t *testing.T) {
	e := &APIError{StatusCode: 502, Body: nginx502}
	if msg := e.Error(); !strings.Contains(msg, `titled "502 Bad Gateway"`) || strings.Contains(msg, "<") {
		t.Errorf("Error() = %q", msg)
	}
}
