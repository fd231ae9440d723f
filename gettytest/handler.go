package gettytest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gettykit/getty/contract"
	"github.com/gettykit/getty/gen"
)

type tokenInfo struct{ user bool }

type handler struct {
	cfg *config

	mu       sync.Mutex
	history  []gen.HistoricalDownload // newest first
	catalog  map[string]bool
	quotas   map[gen.ProductType]int
	tokens   map[string]tokenInfo
	refresh  map[string]bool
	counts   map[string]int
	faults   []faultEntry
	seq      int // tokens issued
	images   map[string][]byte
	imagesMu sync.Mutex
	slots    chan []byte // a slot, with its buffer, per body read or handled
}

func newHandler(c *config) *handler {
	h := &handler{
		cfg:     c,
		catalog: map[string]bool{ImageID: true},
		quotas:  map[gen.ProductType]int{},
		tokens:  map[string]tokenInfo{},
		refresh: map[string]bool{},
		counts:  map[string]int{},
		faults:  append([]faultEntry(nil), c.faults...),
		images:  map[string][]byte{},
		slots:   make(chan []byte, c.maxConcurrent),
	}
	for range c.maxConcurrent {
		h.slots <- nil
	}
	for p, n := range c.quotas {
		h.quotas[p] = n
	}
	if c.historySet {
		h.history = append(h.history, c.history...)
		slices.SortStableFunc(h.history, func(a, b gen.HistoricalDownload) int { return b.DateDownloaded.Compare(a.DateDownloaded) })
	} else {
		h.history = seedHistory(h.now(), c.downloads)
	}
	for _, d := range h.history {
		if d.ID != "" {
			h.catalog[d.ID] = true
		}
	}
	for _, id := range c.images {
		h.catalog[id] = true
	}
	return h
}

// now reads the server's clock, in UTC and to the second as Getty's dates
// are.
func (h *handler) now() time.Time { return h.cfg.now().UTC().Truncate(time.Second) }

// apiPath is the path of an API request without one trailing slash, which
// names the same operation: Getty's PHP SDK lists with GET /v3/downloads/.
func apiPath(r *http.Request) string {
	if p := r.URL.Path; len(p) > 1 {
		return strings.TrimSuffix(p, "/")
	}
	return r.URL.Path
}

// imageID returns the id of a POST /v3/downloads/images/{id} path.
func imageID(p string) (string, bool) {
	id, ok := strings.CutPrefix(p, "/v3/downloads/images/")
	return id, ok && id != "" && !strings.Contains(id, "/")
}

// operation names the operation a request is for.
func operation(r *http.Request) string {
	p := r.URL.Path
	_, isImage := imageID(apiPath(r))
	switch {
	case apiPath(r) == "/v3/downloads" && r.Method == http.MethodGet:
		return OpListDownloads
	case isImage && r.Method == http.MethodPost:
		return OpDownloadImage
	case p == "/oauth2/token" && r.Method == http.MethodPost:
		return OpToken
	case strings.HasPrefix(p, "/delivery/") && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		return OpDelivery
	}
	return OpOther
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := operation(r)
	h.mu.Lock()
	h.counts[op]++
	f := h.takeFaults(op)
	h.mu.Unlock()

	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if hasBody(r) {
		release, ok := h.readBody(w, r)
		if !ok {
			return
		}
		defer release()
	}
	if f.Truncate {
		w = &truncatingWriter{ResponseWriter: w}
	}
	if f.Status != 0 {
		writeFault(w, f)
		return
	}
	switch op {
	case OpToken:
		h.token(w, r)
	case OpDelivery:
		h.deliver(w, r)
	case OpListDownloads, OpDownloadImage:
		if !h.authorize(w, r, op) || !h.validate(w, r) {
			return
		}
		if op == OpListDownloads {
			h.list(w, r)
		} else {
			h.download(w, r)
		}
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only values built by this package are written
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func apiError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"ErrorCode": code, "ErrorMessage": msg})
}

// authorize checks credentials as Getty's gateway and API do: the API key
// first (gateway shape), then the bearer token (application shape).
func (h *handler) authorize(w http.ResponseWriter, r *http.Request, op string) bool {
	if r.Header.Get("Api-Key") != APIKey {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Unauthorized"})
		return false
	}
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if !strings.EqualFold(scheme, "bearer") || tok == "" {
		apiError(w, http.StatusUnauthorized, "AuthorizationTokenRequired", "An authorization token is required for this request.")
		return false
	}
	h.mu.Lock()
	info, ok := h.tokens[tok]
	h.mu.Unlock()
	if !ok {
		apiError(w, http.StatusUnauthorized, "AuthorizationTokenRequired", "The authorization token is invalid or has expired.")
		return false
	}
	if op == OpDownloadImage && h.cfg.userToken && !info.user {
		apiError(w, http.StatusForbidden, "UserTokenRequired", "Security token must contain a user.")
		return false
	}
	return true
}

// validate answers 400 to a request that violates the spec. Drift, such as
// the legacy start_date, is accepted as the API accepts it.
func (h *handler) validate(w http.ResponseWriter, r *http.Request) bool {
	var msgs []string
	code := "InvalidRequest"
	for _, f := range h.cfg.validator.ValidateRequest(r) {
		if f.Kind != contract.Violation {
			continue
		}
		switch f.Pointer {
		case "page_size":
			code = "InvalidPageSize"
		case "page":
			code = "InvalidPage"
		}
		msgs = append(msgs, f.Message)
	}
	if len(msgs) == 0 {
		return true
	}
	if len(msgs) > 1 {
		code = "InvalidRequest"
	}
	apiError(w, http.StatusBadRequest, code, strings.Join(msgs, "; "))
	return false
}

func (h *handler) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, pageSize := 1, 30
	if s := q.Get("page"); s != "" {
		page, _ = strconv.Atoi(s)
	}
	if s := q.Get("page_size"); s != "" {
		pageSize, _ = strconv.Atoi(s)
	}
	useTime, _ := strconv.ParseBool(q.Get("use_time"))
	company, _ := strconv.ParseBool(q.Get("company_downloads"))
	fromS, toS := q.Get("date_from"), q.Get("date_to")
	if fromS == "" && toS == "" {
		fromS, toS = q.Get("start_date"), q.Get("end_date") // legacy names
	}
	var from, to time.Time
	if toS != "" {
		t, err := parseDate(toS)
		if err != nil {
			apiError(w, http.StatusBadRequest, "InvalidParameterValue", "Field: date_to, Message: "+err.Error())
			return
		}
		to = t
	}
	if fromS != "" {
		t, err := parseDate(fromS)
		if err != nil {
			apiError(w, http.StatusBadRequest, "InvalidParameterValue", "Field: date_from, Message: "+err.Error())
			return
		}
		from = t
	}
	from, to = window(from, to, h.now())
	if !useTime {
		// Without use_time the time part is ignored: whole days.
		from = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
		to = time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1).Add(-time.Nanosecond)
	}
	product := q.Get("product_type")

	// Only the requested page is copied: copying every match made each
	// page cost as much as the whole history, which dominated listings of
	// large histories.
	start := (page - 1) * pageSize
	matched := 0
	var entries []gen.HistoricalDownload
	h.mu.Lock()
	for i := range h.history {
		d := &h.history[i]
		if d.DateDownloaded.Before(from) || d.DateDownloaded.After(to) {
			continue
		}
		if product != "" && string(d.ProductType) != string(product) {
			continue
		}
		if !company && d.User.Username != Username {
			continue
		}
		if matched >= start && matched < start+pageSize {
			entries = append(entries, *d)
		}
		matched++
	}
	h.mu.Unlock()

	items := make([]any, 0, len(entries))
	for _, d := range entries {
		items = append(items, h.withExtra(d))
	}
	writeJSON(w, http.StatusOK, map[string]any{"result_count": matched, "downloads": items})
}

// window fills in the dates a listing left out (zero) as Getty documents
// them: date_to is the current date or 30 days after date_from, whichever
// is earlier (so date_from alone is a window of 30 days, not "until now");
// date_from is 30 days before date_to.
func window(from, to, now time.Time) (time.Time, time.Time) {
	if to.IsZero() {
		to = now
		if !from.IsZero() {
			if end := from.AddDate(0, 0, 30); end.Before(to) {
				to = end
			}
		}
	}
	if from.IsZero() {
		from = to.AddDate(0, 0, -30)
	}
	return from, to
}

func (h *handler) withExtra(d gen.HistoricalDownload) any {
	if len(h.cfg.extra) == 0 {
		return d
	}
	b, _ := json.Marshal(d)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for k, v := range h.cfg.extra {
		m[k] = v
	}
	return m
}

// parseDate reads the forms DateOrDateTime allows: a date, or a date and
// time with optional seconds, fraction and zone (UTC when absent).
func parseDate(s string) (time.Time, error) {
	s = strings.NewReplacer("t", "T", " ", "T", "z", "Z").Replace(s)
	for _, layout := range []string{
		"2006-01-02",
		time.RFC3339Nano,
		"2006-01-02T15:04:05.999999999",
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04",
		"2006-01-02T15:04:05.999999999Z0700",
		"2006-01-02T15:04Z0700",
		"2006-01-02T15:04:05.999999999Z07",
		"2006-01-02T15:04Z07",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a valid date", s)
}

func (h *handler) download(w http.ResponseWriter, r *http.Request) {
	id, _ := imageID(apiPath(r))
	q := r.URL.Query()
	auto := true
	if s := q.Get("auto_download"); s != "" {
		auto, _ = strconv.ParseBool(s)
	}
	fileType := gen.Jpg
	if q.Get("file_type") == string(gen.Eps) {
		fileType = gen.Eps
	}
	product := h.cfg.defaultProduct
	if s := q.Get("product_type"); s != "" {
		product = gen.ProductType(s)
	}
	var details gen.PremiumAccessDownloadData
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if len(bytes.TrimSpace(b)) > 0 {
			// Validated already: null and {} decode to no details.
			_ = json.Unmarshal(b, &details)
		}
	}

	h.mu.Lock()
	if !h.catalog[id] {
		h.mu.Unlock()
		apiError(w, http.StatusNotFound, "ImageNotFound", fmt.Sprintf("Image %s not found", id))
		return
	}
	if left, limited := h.quotas[product]; limited {
		if left <= 0 {
			h.mu.Unlock()
			apiError(w, http.StatusForbidden, "OverageLimitReached",
				fmt.Sprintf("You have reached the download limit of your %s product for this period.", product))
			return
		}
		h.quotas[product] = left - 1
	}
	h.history = slices.Insert(h.history, 0, newDownload(id, h.now(), string(product), Username, deref(details.DownloadNotes), deref(details.ProjectCode)))
	h.mu.Unlock()

	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	uri := scheme + "://" + r.Host + deliveryPath(id, fileType)
	if !auto {
		writeJSON(w, http.StatusOK, gen.DownloadURI{URI: uri})
		return
	}
	w.Header().Set("Location", uri)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(h.cfg.redirect)
}

// signature stands for the signed query string of real delivery URLs, so
// that tests can see it scrubbed from recordings.
func signature(file string) string {
	sum := sha256.Sum256([]byte(ClientSecret + "/" + file))
	return hex.EncodeToString(sum[:12])
}

func deliveryPath(id string, ft gen.FileType) string {
	if ft == "" {
		ft = gen.Jpg
	}
	file := id + "." + string(ft)
	return "/delivery/" + file + "?sig=" + signature(file)
}

func (h *handler) deliver(w http.ResponseWriter, r *http.Request) {
	file := strings.TrimPrefix(r.URL.Path, "/delivery/")
	id, ext, _ := strings.Cut(file, ".")
	if r.URL.Query().Get("sig") != signature(file) || (ext != "jpg" && ext != "eps") {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, "invalid or expired signature\n")
		return
	}
	var content io.ReadSeeker
	if ext == "eps" {
		w.Header().Set("Content-Type", "application/postscript")
		content = bytes.NewReader(epsFor(id))
	} else {
		w.Header().Set("Content-Type", "image/jpeg")
		content = h.jpegContent(id)
	}
	w.Header().Set("Content-Disposition", "attachment; filename=GettyImages-"+file)
	w.Header().Set("Cache-Control", "private, max-age=86400")
	// The ETag names the file, never the signature: a recording whose
	// URLs are scrubbed must not give the signature away in a header.
	etag := sha256.Sum256([]byte("etag/" + file))
	w.Header().Set("ETag", `"`+hex.EncodeToString(etag[:8])+`"`)
	http.ServeContent(w, r, "", h.now(), content)
}

// takeFaults combines the faults matching op and uses one of each up.
// h.mu must be held.
func (h *handler) takeFaults(op string) Fault {
	var out Fault
	kept := h.faults[:0]
	for _, e := range h.faults {
		if e.match != "" && e.match != op {
			kept = append(kept, e)
			continue
		}
		out.Latency += e.f.Latency
		out.Truncate = out.Truncate || e.f.Truncate
		if out.Status == 0 && e.f.Status != 0 {
			out.Status, out.Body, out.Header = e.f.Status, e.f.Body, e.f.Header
		}
		if e.left > 0 {
			e.left--
			if e.left == 0 {
				continue
			}
		}
		kept = append(kept, e)
	}
	h.faults = kept
	return out
}

func (h *handler) requests(op string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if op == "" {
		n := 0
		for _, c := range h.counts {
			n += c
		}
		return n
	}
	return h.counts[op]
}

func (h *handler) historyCopy() []gen.HistoricalDownload {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]gen.HistoricalDownload(nil), h.history...)
}

func (h *handler) setQuota(p gen.ProductType, n int) {
	h.mu.Lock()
	h.quotas[p] = n
	h.mu.Unlock()
}

func (h *handler) quota(p gen.ProductType) (int, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n, ok := h.quotas[p]
	return n, ok
}

// deref is the value p points to, or the zero value.
func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
