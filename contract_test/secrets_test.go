package contract_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

// fixtureDirs are the directories of committed fixtures, relative to this
// package. Missing ones are skipped.
var fixtureDirs = []string{
	"testdata",
	filepath.Join("..", "cmd", "getty", "testdata"),
	filepath.Join("..", "contract", "testdata"),
	filepath.Join("..", "gettytest", "testdata"),
}

// leak is a secret-looking value found in a fixture.
type leak struct {
	file  string
	line  int
	rule  string
	value string
}

func (l leak) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", l.file, l.line, l.rule, mask(l.value))
}

// mask shows the start of a value only, so that the test output does not
// repeat a leaked secret.
func mask(v string) string {
	if len(v) <= 6 {
		return strings.Repeat("*", len(v))
	}
	return v[:4] + strings.Repeat("*", min(len(v)-4, 12))
}

// A secret rule matches a credential whose value must be REDACTED.
var secretRules = []struct {
	name string
	re   *regexp.Regexp
}{
	// Authorization: Bearer <token>, any case.
	{"bearer token", regexp.MustCompile(`(?i)\bbearer[ \t]+([^\s"'\\,;]+)`)},
	// Api-Key header: "Api-Key: x", YAML "Api-Key:\n  - x", JSON "api_key": "x".
	{"API key", regexp.MustCompile(`(?i)\bapi[-_]?key["'\\]*[ \t]*[:=][ \t]*(?:\r?\n[ \t]*-[ \t]*)?[\["'\\ \t]*([^\s"'\\,\]\[&}]+)`)},
	// Token request and response fields, form-encoded, JSON or YAML.
	{"credential field", regexp.MustCompile(`(?i)\b(?:client_secret|client_id|password|access_token|refresh_token|id_token)["'\\]*[ \t]*[:=][ \t]*(?:\r?\n[ \t]*-[ \t]*)?[\["'\\ \t]*([^\s"'\\,\]\[&}]+)`)},
	// Signed delivery URLs.
	{"URL signature", regexp.MustCompile(`(?i)[?&](?:amp;)?sig=([^&\s"'\\]+)`)},
}

// tokenCandidate is a run of characters that keys, tokens and signatures are
// made of.
var tokenCandidate = regexp.MustCompile(`[A-Za-z0-9+/_=-]{32,}`)

// binaryBlock finds YAML scalars tagged !!binary (image bodies in cassettes):
// their base64 is high-entropy by nature and is not scanned.
var binaryBlock = regexp.MustCompile(`!!binary[ \t]*[|>]?[-+]?`)

// findSecrets returns the secret-looking values in data, the content of the
// file name: credentials other than REDACTED (see secretRules) and
// high-entropy strings of 32 characters or more.
func findSecrets(name string, data []byte) []leak {
	text := blankBinaryScalars(string(data))
	var out []leak
	lineAt := func(off int) int { return 1 + strings.Count(text[:off], "\n") }
	for _, r := range secretRules {
		for _, m := range r.re.FindAllStringSubmatchIndex(text, -1) {
			v := text[m[2]:m[3]]
			if isRedacted(v) {
				continue
			}
			out = append(out, leak{name, lineAt(m[2]), r.name, v})
		}
	}
	for _, m := range tokenCandidate.FindAllStringIndex(text, -1) {
		v := text[m[0]:m[1]]
		if highEntropy(v) {
			out = append(out, leak{name, lineAt(m[0]), "high-entropy string", v})
		}
	}
	return out
}

func isRedacted(v string) bool {
	v = strings.Trim(v, `[]"'`)
	return v == "" || v == redacted
}

// blankBinaryScalars replaces the content of !!binary scalars with spaces,
// keeping line numbers.
func blankBinaryScalars(s string) string {
	b := []byte(s)
	for _, m := range binaryBlock.FindAllStringIndex(s, -1) {
		lineStart := strings.LastIndexByte(s[:m[0]], '\n') + 1
		indent := len(s[lineStart:]) - len(strings.TrimLeft(s[lineStart:], " "))
		// The rest of the tag's line (an inline value)...
		i := m[1]
		for i < len(s) && s[i] != '\n' {
			b[i] = ' '
			i++
		}
		// ...and the lines indented more than the key (a block value).
		for i < len(s) {
			next := strings.IndexByte(s[i+1:], '\n')
			end := len(s)
			if next >= 0 {
				end = i + 1 + next
			}
			line := s[i+1 : end]
			if strings.TrimSpace(line) != "" && len(line)-len(strings.TrimLeft(line, " ")) <= indent {
				break
			}
			for j := i + 1; j < end; j++ {
				b[j] = ' '
			}
			i = end
		}
	}
	return string(b)
}

// highEntropy reports whether v looks random: letters and digits mixed with
// the Shannon entropy of a key or a token (hex digests have less, being
// drawn from 16 symbols only).
func highEntropy(v string) bool {
	hasDigit := strings.ContainsAny(v, "0123456789")
	hasLetter := strings.IndexFunc(v, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }) >= 0
	if !hasDigit || !hasLetter || pathLike(v) {
		return false
	}
	h := entropy(v)
	if strings.Trim(strings.ToLower(v), "0123456789abcdef") == "" {
		return h >= 3.0
	}
	return h >= 4.0
}

// pathLike reports whether v is a URL path (segments in lower case, such as
// "/v3/downloads/images/1167612765"), not base64, which mixes cases.
func pathLike(v string) bool {
	return strings.Contains(v, "/") && strings.IndexFunc(v, func(r rune) bool { return r >= 'A' && r <= 'Z' || r == '+' || r == '=' }) < 0
}

func entropy(s string) float64 {
	counts := map[rune]int{}
	for _, r := range s {
		counts[r]++
	}
	var h float64
	n := float64(len(s))
	for _, c := range counts {
		p := float64(c) / n
		h -= p * math.Log2(p)
	}
	return h
}

// TestNoSecretsInFixtures fails if a committed fixture holds a credential
// other than REDACTED or a high-entropy string.
func TestNoSecretsInFixtures(t *testing.T) {
	scanned := 0
	for _, dir := range fixtureDirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) && path == dir {
					return filepath.SkipDir
				}
				return err
			}
			if d.IsDir() {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if bytes.IndexByte(data, 0) >= 0 {
				t.Logf("%s: binary file, not scanned", path)
				return nil
			}
			scanned++
			for _, l := range findSecrets(path, data) {
				t.Errorf("%s (scrub it: see contract.ScrubInteraction)", l)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if scanned == 0 {
		t.Fatal("no fixture scanned")
	}
}

// TestFindSecrets checks that the detector finds what it must, so that
// TestNoSecretsInFixtures can fail.
func TestFindSecrets(t *testing.T) {
	bad := []struct{ name, sample, rule string }{
		{"bearer header", "Authorization:\n    - Bearer eyJhbGciOiJIUzI1NiJ9\n", "bearer token"},
		{"lower-case bearer", `"authorization": "bearer abc123"`, "bearer token"},
		{"API key in YAML headers", "Api-Key:\n            - k3y-value\n", "API key"},
		{"API key inline", "Api-Key: k3y-value\n", "API key"},
		{"API key in JSON", `{"api_key": "k3y-value"}`, "API key"},
		{"client secret in a form body", "body: client_id=REDACTED&client_secret=hunter2&grant_type=client_credentials\n", "credential field"},
		{"client id in a form body", "body: client_id=my-api-key&grant_type=client_credentials\n", "credential field"},
		{"password in a form body", "body: grant_type=password&password=hunter2&username=alice\n", "credential field"},
		{"access token in JSON in YAML", `body: '{"access_token":"gettytest-app-token-1","expires_in":1800}'` + "\n", "credential field"},
		{"refresh token, escaped JSON", `body: "{\"refresh_token\":\"r-123\"}"` + "\n", "credential field"},
		{"password in YAML", "password:\n  - hunter2\n", "credential field"},
		{"signed Location", "Location:\n  - http://api.getty.test/delivery/1.jpg?sig=a1b2c3\n", "URL signature"},
		{"signed uri", `{"uri":"https://delivery.example/x.jpg?e=1&sig=a1b2c3"}`, "URL signature"},
		{"base64 key", "note: dGhpcyBpcyBhIHNlY3JldCBrZXkgdGhhdCBsZWFrZWQ=\n", "high-entropy string"},
		{"hex secret", "etag: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n", "high-entropy string"},
		{"random token", "x: Zk3q9Xv2LmP8rT4wYb6NcJ1hGd5sFa7e\n", "high-entropy string"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			got := findSecrets("sample.yaml", []byte(tt.sample))
			for _, l := range got {
				if l.rule == tt.rule {
					if l.file != "sample.yaml" || l.line < 1 {
						t.Errorf("leak %+v", l)
					}
					if strings.Contains(l.String(), "hunter2") || strings.Contains(l.String(), "k3y-value") {
						t.Errorf("String repeats the secret: %s", l)
					}
					return
				}
			}
			t.Errorf("%q: found %v, want a %s", tt.sample, got, tt.rule)
		})
	}

	good := []struct{ name, sample string }{
		{"scrubbed headers", "Authorization:\n    - Bearer REDACTED\nApi-Key:\n    - REDACTED\n"},
		{"bracketed", "Authorization: Bearer [REDACTED]\nApi-Key: [REDACTED]\n"},
		{"scrubbed form", "body: client_id=REDACTED&client_secret=REDACTED&grant_type=password&password=REDACTED&username=REDACTED\n"},
		{"scrubbed token response", `body: '{"access_token":"REDACTED","expires_in":1800,"token_type":"Bearer"}'` + "\n"},
		{"scrubbed signature", "Location:\n  - http://api.getty.test/delivery/1167612765.jpg?sig=REDACTED\n"},
		{"API data", `{"id":"1167612765","thumb_uri":"https://media.gettyimages.com/id/1000007919/photo/thumbnail.jpg","date_downloaded":"2026-03-01T11:43:00Z"}`},
		{"words", "content-type: application/x-www-form-urlencoded; charset=utf-8 Premium_Access_Agreement_Royalty_Free\n"},
		{"binary body", "body: !!binary |\n    /9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAYEBQYFBAYHBwYHCQgHCgwUDQwLCwwZEhMPFB0aHx4dGhwcICQuJyAiLCMcHCg3KSwwMTQ0NB8nOT04MjwuMzQy\n    /9sAQwEJCQkMCwwYDQ0YMiEcITIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjL/wAARCAAwAEADASIA\nheaders: {}\n"},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) {
			if got := findSecrets("sample.yaml", []byte(tt.sample)); len(got) > 0 {
				t.Errorf("false positives: %v", got)
			}
		})
	}

	// After a binary block, scanning resumes.
	s := "body: !!binary |\n    /9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAYEBQYFBAYHBwYHCQgHCgwUDQwLCwwZEhMP\nAuthorization:\n    - Bearer leaked-token\n"
	if got := findSecrets("sample.yaml", []byte(s)); len(got) != 1 || got[0].line != 4 {
		t.Errorf("after a binary block: %v", got)
	}
}

// mustYAML marshals v as the recorder does.
func mustYAML(t *testing.T, v any) []byte {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
