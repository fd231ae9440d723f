package contract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/gettykit/getty/spec"
)

// DefaultMaxBodySize is the largest JSON body validated by default. Bigger
// bodies are a violation and pass through unvalidated.
const DefaultMaxBodySize = 8 << 20

// Option configures a [Validator].
type Option func(*Validator) error

// WithMaxBodySize sets the largest request or response body that is read
// into memory to be validated (default [DefaultMaxBodySize]).
func WithMaxBodySize(n int64) Option {
	return func(v *Validator) error {
		if n <= 0 {
			return fmt.Errorf("contract: WithMaxBodySize(%d): size must be positive", n)
		}
		v.maxBody = n
		return nil
	}
}

// WithBasePath routes requests whose path starts with prefix as if the
// prefix were not there, for servers that mount the API under a path (such
// as an httptest server with a mux under "/api/").
func WithBasePath(prefix string) Option {
	return func(v *Validator) error {
		prefix = strings.TrimRight(prefix, "/")
		if prefix != "" && !strings.HasPrefix(prefix, "/") {
			return fmt.Errorf("contract: WithBasePath(%q): the prefix must start with /", prefix)
		}
		v.basePath = prefix
		return nil
	}
}

// WithAuthenticationFunc replaces the check of the spec's security
// requirements. The default, [Authenticate], checks that the credentials
// each scheme needs are present (not that they are valid).
func WithAuthenticationFunc(f openapi3filter.AuthenticationFunc) Option {
	return func(v *Validator) error {
		if f == nil {
			return errors.New("contract: WithAuthenticationFunc(nil)")
		}
		v.auth = f
		return nil
	}
}

// Validator checks requests and responses against an OpenAPI 3 document.
// Requests are routed by path and method only, so traffic to any host (an
// httptest server, the fake server, a recording, the real API) is judged
// alike; a trailing slash on a path of the spec (GET /v3/downloads/, as
// Getty's PHP SDK sends it) routes to the same operation. A Validator is
// safe for concurrent use.
type Validator struct {
	doc      *openapi3.T
	router   routers.Router
	maxBody  int64
	basePath string
	auth     openapi3filter.AuthenticationFunc
	prefixes []string // first path segments of the spec's paths, e.g. "/v3/"
	shapes   sync.Map // *openapi3.Schema → *objectShape, for the drift walk
	// compiled holds the response body schemas compiled for the one-pass
	// path (compiled.go), nil for those it does not handle; read-only once
	// NewValidator returns.
	compiled map[*openapi3.Schema]*node
	// schemaOpts are the options VisitJSON gets for a response body.
	schemaOpts []openapi3.SchemaValidationOption
}

// NewValidator returns a Validator for doc, or for the embedded spec (see
// package spec) when doc is nil. doc is not modified.
func NewValidator(doc *openapi3.T, opts ...Option) (*Validator, error) {
	if doc == nil {
		var err error
		if doc, err = spec.Load(context.Background()); err != nil {
			return nil, err
		}
	}
	v := &Validator{maxBody: DefaultMaxBodySize, auth: Authenticate}
	for _, o := range opts {
		if err := o(v); err != nil {
			return nil, err
		}
	}
	// Route against a shallow copy without servers: gorillamux then matches
	// any scheme and host, and the caller's document is left alone.
	routing := *doc
	routing.Servers = nil
	router, err := gorillamux.NewRouter(&routing)
	if err != nil {
		return nil, fmt.Errorf("contract: building the router: %w", err)
	}
	v.doc, v.router = &routing, router
	v.schemaOpts = append(v.options().SchemaValidationOptions, openapi3.MultiErrors(), openapi3.VisitAsResponse())
	v.compiled = map[*openapi3.Schema]*node{}
	c := newCompiler(v)
	if doc.Paths != nil {
		for _, p := range doc.Paths.InMatchingOrder() {
			seg, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
			if pre := "/" + seg + "/"; !slices.Contains(v.prefixes, pre) {
				v.prefixes = append(v.prefixes, pre)
			}
			for _, op := range doc.Paths.Value(p).Operations() {
				if op.Responses == nil {
					continue
				}
				for _, resp := range op.Responses.Map() {
					if resp == nil || resp.Value == nil {
						continue
					}
					for ct, mt := range resp.Value.Content {
						if mt == nil || mt.Schema == nil || mt.Schema.Value == nil || !isJSON(ct) {
							continue
						}
						if _, done := v.compiled[mt.Schema.Value]; !done {
							v.compiled[mt.Schema.Value] = c.compileSchema(mt.Schema)
						}
					}
				}
			}
		}
	}
	return v, nil
}

// Authenticate is the default openapi3filter.AuthenticationFunc of a
// Validator. It checks that the credentials a security scheme needs are
// present: the named header, query parameter or cookie of an apiKey scheme,
// and an Authorization header with a non-empty token for http bearer,
// oauth2 and openIdConnect schemes (the scheme name compared without regard
// to case, as RFC 9110 says). It cannot know whether they are valid.
func Authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	s := in.SecurityScheme
	req := in.RequestValidationInput.Request
	switch s.Type {
	case "apiKey":
		var val string
		switch s.In {
		case "header":
			val = req.Header.Get(s.Name)
		case "query":
			val = req.URL.Query().Get(s.Name)
		case "cookie":
			if c, err := req.Cookie(s.Name); err == nil {
				val = c.Value
			}
		}
		if strings.TrimSpace(val) == "" {
			return in.NewError(fmt.Errorf("%s: %s %q is missing", in.SecuritySchemeName, s.In, s.Name))
		}
		return nil
	case "http":
		return authScheme(in, req, s.Scheme)
	case "oauth2", "openIdConnect":
		return authScheme(in, req, "bearer")
	}
	return in.NewError(fmt.Errorf("%s: unsupported security scheme type %q", in.SecuritySchemeName, s.Type))
}

func authScheme(in *openapi3filter.AuthenticationInput, req *http.Request, scheme string) error {
	h := req.Header.Get("Authorization")
	if h == "" {
		return in.NewError(fmt.Errorf("%s: header Authorization is missing", in.SecuritySchemeName))
	}
	got, cred, _ := strings.Cut(h, " ")
	if !strings.EqualFold(got, scheme) || strings.TrimSpace(cred) == "" {
		return in.NewError(fmt.Errorf("%s: header Authorization needs a %q scheme and credentials", in.SecuritySchemeName, scheme))
	}
	return nil
}

// route finds the operation for req, ignoring one trailing slash on the
// path. route is nil when req is not an API call: another host's path, such
// as image delivery, or a path that looks like the API's (its first segment
// is one of the spec's) but is not in the spec, or a method the path does
// not have; for the last two f holds the violation.
func (v *Validator) route(req *http.Request) (route *routers.Route, params map[string]string, f *Finding) {
	r := req
	if v.basePath != "" {
		if !strings.HasPrefix(req.URL.Path, v.basePath+"/") {
			return nil, nil, nil
		}
		r = req.Clone(req.Context())
		r.URL.Path = strings.TrimPrefix(req.URL.Path, v.basePath)
		if r.URL.RawPath != "" {
			r.URL.RawPath = strings.TrimPrefix(req.URL.RawPath, v.basePath)
		}
	}
	route, params, err := v.router.FindRoute(r)
	if err == nil {
		return route, params, nil
	}
	if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") && !errors.Is(err, routers.ErrMethodNotAllowed) {
		// A trailing slash names the same operation: Getty's PHP SDK lists
		// with GET /v3/downloads/, and the API answers it as the listing.
		trimmed := r.Clone(r.Context())
		trimmed.URL.Path = strings.TrimSuffix(p, "/")
		if trimmed.URL.RawPath != "" {
			trimmed.URL.RawPath = strings.TrimSuffix(trimmed.URL.RawPath, "/")
		}
		route, params, terr := v.router.FindRoute(trimmed)
		if terr == nil {
			return route, params, nil
		}
		if errors.Is(terr, routers.ErrMethodNotAllowed) {
			err = terr
		}
	}
	base := Finding{Kind: Violation, Method: req.Method, Path: req.URL.Path, InRequest: true}
	if errors.Is(err, routers.ErrMethodNotAllowed) {
		base.Message = fmt.Sprintf("method %s is not allowed on this path", req.Method)
		return nil, nil, &base
	}
	for _, p := range v.prefixes {
		if strings.HasPrefix(r.URL.Path, p) {
			base.Message = "no operation in the spec matches this path"
			return nil, nil, &base
		}
	}
	return nil, nil, nil
}

// readBody reads up to max+1 bytes of *body and puts back a body that
// yields the same bytes, so the caller's request or response is left
// intact. over reports whether the body is bigger than max.
func readBody(body *io.ReadCloser, max int64) (data []byte, over bool, err error) {
	return readBodySized(body, -1, max)
}

// readBodySized is readBody for a body expected to have size bytes (a
// Content-Length; -1 when unknown): a buffer of that size is allocated at
// once instead of growing from 512 bytes.
func readBodySized(body *io.ReadCloser, size, max int64) (data []byte, over bool, err error) {
	rc := *body
	if rc == nil || rc == http.NoBody {
		return nil, false, nil
	}
	if size >= 0 && size <= max {
		// bytes.Buffer.ReadFrom reads into the spare capacity while it has
		// bytes.MinRead of it: a body of the announced size, and the read
		// that finds its end, fit without a copy.
		buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
		_, err = buf.ReadFrom(io.LimitReader(rc, max+1))
		data = buf.Bytes()
	} else {
		data, err = io.ReadAll(io.LimitReader(rc, max+1))
	}
	over = int64(len(data)) > max
	switch {
	case err != nil:
		// Replay what was read, then the same error.
		*body = readCloser{io.MultiReader(bytes.NewReader(data), errReader{err}), rc}
	case over:
		*body = readCloser{io.MultiReader(bytes.NewReader(data), rc), rc}
	default:
		*body = readCloser{bytes.NewReader(data), rc}
	}
	return data, over, err
}

type readCloser struct {
	io.Reader
	io.Closer
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// requestBody returns req's body bytes without consuming the body: through
// GetBody when req has one, else by reading it and putting it back.
func requestBody(req *http.Request, max int64) (data []byte, over bool, err error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, false, nil
	}
	if req.GetBody != nil {
		if rc, gerr := req.GetBody(); gerr == nil {
			defer rc.Close()
			data, err = io.ReadAll(io.LimitReader(rc, max+1))
			return data, int64(len(data)) > max, err
		}
	}
	return readBody(&req.Body, max)
}

// ValidateRequest checks req against the spec. The body is read (up to the
// size limit) and put back, so req can still be sent. A request that is not
// an API call (such as an image download from the delivery host) has no
// findings.
func (v *Validator) ValidateRequest(req *http.Request) []Finding {
	route, params, f := v.route(req)
	if route == nil {
		if f != nil {
			return []Finding{*f}
		}
		return nil
	}
	data, over, err := requestBody(req, v.maxBody)
	return v.validateRequest(req, route, params, data, over, err)
}

// customStringFormats are the string formats a Validator checks its own
// way, ahead of kin-openapi's.
var customStringFormats = map[string]openapi3.StringFormatValidator{
	"uri": openapi3.NewCallbackValidator(validateURI),
}

func (v *Validator) options() *openapi3filter.Options {
	o := &openapi3filter.Options{
		MultiError:            true,
		IncludeResponseStatus: true,
		SkipSettingDefaults:   true,
		AuthenticationFunc:    v.auth,
	}
	for _, name := range slices.Sorted(maps.Keys(customStringFormats)) {
		o.SchemaValidationOptions = append(o.SchemaValidationOptions, openapi3.WithStringFormatValidator(name, customStringFormats[name]))
	}
	return o
}

func validateURI(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme == "" || u.Host == "" {
		return errors.New("not an absolute URI")
	}
	return nil
}

func (v *Validator) validateRequest(req *http.Request, route *routers.Route, params map[string]string, data []byte, over bool, readErr error) []Finding {
	base := Finding{
		Operation: route.Operation.OperationID,
		Method:    req.Method,
		Path:      req.URL.Path,
		InRequest: true,
	}
	var out []Finding
	if readErr != nil {
		f := base
		f.Kind, f.Message = Violation, "reading the request body: "+readErr.Error()
		return []Finding{f}
	}
	// openapi3filter may rewrite the request it is given (body, query), so
	// it gets a clone.
	vr := req.Clone(req.Context())
	vr.GetBody = nil
	if over {
		f := base
		f.Kind, f.Message = Violation, fmt.Sprintf("request body is bigger than %d bytes, not validated", v.maxBody)
		out = append(out, f)
		vr.Body, vr.ContentLength = http.NoBody, 0
	} else {
		vr.Body, vr.ContentLength = io.NopCloser(bytes.NewReader(data)), int64(len(data))
	}
	in := &openapi3filter.RequestValidationInput{
		Request:    vr,
		PathParams: params,
		Route:      route,
		Options:    v.options(),
	}
	if over {
		in.Options.ExcludeRequestBody = true
	}
	if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
		out = append(out, findings(err, base)...)
	}
	out = append(out, queryDrift(req, route, base)...)
	if !over && len(data) > 0 && route.Operation.RequestBody != nil && route.Operation.RequestBody.Value != nil {
		if mt := route.Operation.RequestBody.Value.Content.Get(req.Header.Get("Content-Type")); mt != nil && mt.Schema != nil {
			out = append(out, v.bodyDrift(data, mt.Schema, base)...)
		}
	}
	return out
}

// queryDrift reports query parameters the operation does not know, and
// deprecated ones.
func queryDrift(req *http.Request, route *routers.Route, base Finding) []Finding {
	var out []Finding
	q := req.URL.Query()
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		p := route.Operation.Parameters.GetByInAndName(openapi3.ParameterInQuery, name)
		if p == nil {
			p = route.PathItem.Parameters.GetByInAndName(openapi3.ParameterInQuery, name)
		}
		f := base
		f.Kind, f.Pointer = Drift, name
		switch {
		case p == nil:
			f.Message = fmt.Sprintf("query parameter %q is not in the spec", name)
		case p.Deprecated:
			f.Message = fmt.Sprintf("query parameter %q is deprecated", name)
		default:
			continue
		}
		out = append(out, f)
	}
	return out
}

// ValidateResponse checks resp, the answer to req, against the spec: the
// status must be documented, headers and JSON body must match their
// schemas, and fields the spec does not know are reported as drift. The
// body is read (up to the size limit) and put back, so the caller can still
// read it. Responses to requests outside the API with an image or
// PostScript content type get the binary checks: leading magic bytes and,
// if the whole body fits under the size limit, its length against
// Content-Length. A [Transport] checks binary bodies while streaming
// instead.
func (v *Validator) ValidateResponse(req *http.Request, resp *http.Response) []Finding {
	route, params, _ := v.route(req)
	data, over, err := readBodySized(&resp.Body, resp.ContentLength, v.maxBody)
	if route == nil {
		if !isBinary(resp.Header.Get("Content-Type")) {
			return nil
		}
		c := newBinaryCheck(req, resp)
		c.observe(data)
		if err != nil {
			return c.finish(err)
		}
		if over {
			return c.finishHead()
		}
		return c.finish(nil)
	}
	return v.validateResponse(req, resp, route, params, data, over, err, false)
}

// validateResponse judges a response whose body, data, has been read.
// noBody says that the body was not recorded (a HAR file may leave it out),
// so only the status and headers can be judged.
func (v *Validator) validateResponse(req *http.Request, resp *http.Response, route *routers.Route, params map[string]string, data []byte, over bool, readErr error, noBody bool) []Finding {
	base := Finding{
		Operation: route.Operation.OperationID,
		Method:    req.Method,
		Path:      req.URL.Path,
		Status:    resp.StatusCode,
	}
	responses := route.Operation.Responses
	ref := responses.Status(resp.StatusCode)
	if ref == nil {
		ref = responses.Default()
	}
	if ref == nil || ref.Value == nil {
		// openapi3filter lets 301, 304, 307 and 308 through unchecked; an
		// undocumented status is a violation whatever it is.
		f := base
		f.Kind, f.Message = Violation, fmt.Sprintf("status %d is not documented for %s", resp.StatusCode, base.Operation)
		return []Finding{f}
	}
	var out []Finding
	if readErr != nil {
		f := base
		f.Kind, f.Message = Violation, "reading the response body: "+readErr.Error()
		return []Finding{f}
	}
	opts := v.options()
	if over {
		f := base
		f.Kind, f.Message = Violation, fmt.Sprintf("response body is bigger than %d bytes, not validated", v.maxBody)
		out = append(out, f)
		opts.ExcludeResponseBody = true
	}
	if noBody {
		opts.ExcludeResponseBody = true
	}
	if mt := ref.Value.Content.Get(resp.Header.Get("Content-Type")); mt != nil && isFreeText(resp.Header.Get("Content-Type"), mt) {
		// openapi3filter has no decoder for text/html (a proxy's error
		// page), and any text is a string.
		opts.ExcludeResponseBody = true
	}
	vreq := req.Clone(req.Context())
	vreq.Body, vreq.GetBody = http.NoBody, nil
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    vreq,
			PathParams: params,
			Route:      route,
			Options:    opts,
		},
		Status:  resp.StatusCode,
		Header:  resp.Header,
		Options: opts,
	}
	// A JSON body is judged here, for both the schema and the drift checks:
	// openapi3filter then checks the status and the headers only. A body of
	// a compiled schema is first read in one pass (compiled.go); one that is
	// not valid there, or of another schema, is decoded once for both.
	ct := resp.Header.Get("Content-Type")
	mt := ref.Value.Content.Get(ct)
	jsonBody := !opts.ExcludeResponseBody && len(data) > 0 && mt != nil && mt.Schema != nil && mt.Schema.Value != nil && isJSON(ct)
	if jsonBody {
		opts.ExcludeResponseBody = true
	}
	in.SetBodyBytes(data)
	if err := openapi3filter.ValidateResponse(req.Context(), in); err != nil {
		out = append(out, findings(err, base)...)
	}
	if !jsonBody {
		return out
	}
	if n := v.compiled[mt.Schema.Value]; n != nil {
		// The one-pass path: a valid body needs nothing else. Any other
		// answer goes the general way, which words the findings.
		if verdict, drift := v.validateCompiled(n, data, nil); verdict == valid {
			return append(out, driftFindings(drift, base)...)
		}
	}
	value, err := openapi3filter.JSONBodyDecoder(bytes.NewReader(data), resp.Header, mt.Schema, nil)
	if err != nil {
		err = &openapi3filter.ResponseError{Input: in, Reason: "failed to decode response body", Err: err}
		return append(out, findings(err, base)...)
	}
	if err := mt.Schema.Value.VisitJSON(value, v.schemaOpts...); err != nil {
		err = &openapi3filter.ResponseError{Input: in, Reason: "response body doesn't match schema", Err: err}
		out = append(out, findings(err, base)...)
	}
	return append(out, v.valueDrift(value, mt.Schema, base)...)
}

// isJSON reports whether a Content-Type is JSON: application/json or a
// +json suffix, with any parameters.
func isJSON(ct string) bool {
	m := mediaType(ct)
	return m == "application/json" || strings.HasSuffix(m, "+json")
}

// findings turns an openapi3filter error into findings of kind Violation,
// one per schema error.
func findings(err error, base Finding) []Finding {
	base.Kind = Violation
	var out []Finding
	var walk func(err error, f Finding, prefix string)
	walk = func(err error, f Finding, prefix string) {
		switch e := err.(type) {
		case openapi3.MultiError:
			for _, e := range e {
				walk(e, f, prefix)
			}
			return
		case *openapi3filter.RequestError:
			switch {
			case e.Parameter != nil:
				f.Pointer = e.Parameter.Name
				prefix += fmt.Sprintf("%s parameter %q: ", e.Parameter.In, e.Parameter.Name)
			case e.RequestBody != nil:
				prefix += "request body: "
			}
			if e.Err != nil && isSchemaErr(e.Err) {
				if e.Reason != "" {
					prefix += e.Reason + ": "
				}
				walk(e.Err, f, prefix)
				return
			}
			reason := e.Reason
			if e.Err != nil {
				if reason == "" || reason == e.Err.Error() {
					reason = e.Err.Error()
				} else {
					reason += ": " + e.Err.Error()
				}
			}
			f.Message = prefix + reason
		case *openapi3filter.ResponseError:
			if rest, ok := strings.CutPrefix(e.Reason, "response header "); ok {
				if name, err := strconv.QuotedPrefix(rest); err == nil {
					f.Pointer, _ = strconv.Unquote(name)
				}
			}
			if e.Err != nil && isSchemaErr(e.Err) {
				walk(e.Err, f, prefix+e.Reason+": ")
				return
			}
			f.Message = prefix + e.Error()
		case *openapi3filter.SecurityRequirementsError:
			msgs := make([]string, 0, len(e.Errors))
			for _, err := range e.Errors {
				msg := err.Error()
				var re *openapi3filter.RequestError
				if errors.As(err, &re) && re.Err != nil {
					msg = re.Err.Error()
				}
				if !slices.Contains(msgs, msg) {
					msgs = append(msgs, msg)
				}
			}
			f.Pointer = "security"
			f.Message = prefix + "no security requirement is met: " + strings.Join(msgs, "; or ")
		case *openapi3.SchemaError:
			if ptr := e.JSONPointer(); len(ptr) > 0 && f.Pointer == "" {
				f.Pointer = jsonPointer(ptr)
			} else if len(ptr) > 0 {
				f.Pointer += jsonPointer(ptr)
			}
			msg := e.Reason
			if e.Origin != nil {
				msg = e.Origin.Error()
			}
			// The regular expression behind a format only adds noise.
			if i := strings.Index(msg, `: string doesn't match pattern`); i > 0 {
				msg = msg[:i]
			}
			if msg == "" {
				msg = fmt.Sprintf("does not match the schema's %q", e.SchemaField)
			}
			f.Message = prefix + msg
		default:
			f.Message = prefix + err.Error()
		}
		out = append(out, f)
	}
	walk(err, base, "")
	return out
}

// isFreeText reports whether a body of content type ct, described by mt, is
// text that a plain string schema accepts whatever it says.
func isFreeText(ct string, mt *openapi3.MediaType) bool {
	if !strings.HasPrefix(mediaType(ct), "text/") || mt.Schema == nil || mt.Schema.Value == nil {
		return false
	}
	s := mt.Schema.Value
	return s.Type.Is("string") && s.Pattern == "" && s.MinLength == 0 && s.MaxLength == nil && len(s.Enum) == 0
}

func isSchemaErr(err error) bool {
	switch err.(type) {
	case *openapi3.SchemaError, openapi3.MultiError:
		return true
	}
	return false
}

// pointerEscaper escapes a JSON pointer token (RFC 6901).
var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

func jsonPointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		if strings.ContainsAny(t, "~/") {
			t = pointerEscaper.Replace(t)
		}
		b.WriteString(t)
	}
	return b.String()
}
