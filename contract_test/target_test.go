package contract_test

import (
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/gettytest"
)

// fakeServerExports is what `getty fake-server` tells the user to export.
var fakeServerExports = map[string]string{
	envBaseURL:  "http://127.0.0.1:4711",
	envTokenURL: "http://127.0.0.1:4711/oauth2/token",
	envAPIKey:   gettytest.APIKey,
	envSecret:   gettytest.ClientSecret,
}

// realCredentials stand for a user's own credentials.
var realCredentials = map[string]string{envAPIKey: "a-real-key", envSecret: "a-real-secret"}

func with(base map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// TestChooseTarget: the record and live modes run against the in-process
// fake or the real API only, never switch to the real API on their own,
// and refuse the variables `getty fake-server` prints for the real API.
func TestChooseTarget(t *testing.T) {
	tests := []struct {
		name    string
		mode    mode
		env     map[string]string
		want    target
		wantErr []string // each in the message; the error is expected when set
	}{
		{name: "replay ignores the rest", mode: modeReplay, env: with(fakeServerExports, envTarget, "live")},
		{name: "record, nothing set: the fake", mode: modeRecord, want: targetFake},
		{name: "record, the fake named", mode: modeRecord, env: with(nil, envTarget, "fake"), want: targetFake},
		{name: "record, the fake named, with the fake server's exports (not used)", mode: modeRecord,
			env: with(fakeServerExports, envTarget, "FAKE "), want: targetFake},
		{name: "record, the fake named, with real credentials", mode: modeRecord,
			env: with(realCredentials, envTarget, "fake"), want: targetFake},
		{name: "record, the fake server's exports, no target: asks", mode: modeRecord, env: fakeServerExports,
			wantErr: []string{"the variables `getty fake-server` prints are set", "GETTY_CONTRACT_TARGET=fake", "GETTY_CONTRACT_TARGET=live", "does not guess"}},
		{name: "record, real credentials, no target: asks, never goes live on its own", mode: modeRecord, env: realCredentials,
			wantErr: []string{"credentials are set", "GETTY_CONTRACT_TARGET=fake", "GETTY_CONTRACT_TARGET=live"}},
		{name: "record live with real credentials", mode: modeRecord, env: with(realCredentials, envTarget, "live"), want: targetLive},
		{name: "record live, the real API's URLs spelt out", mode: modeRecord,
			env:  with(realCredentials, envTarget, "live", envBaseURL, getty.DefaultBaseURL+"/", envTokenURL, getty.DefaultTokenURL),
			want: targetLive},
		{name: "record live with the fake server's exports", mode: modeRecord, env: with(fakeServerExports, envTarget, "live"),
			wantErr: []string{"GETTY_BASE_URL=http://127.0.0.1:4711", "never another server", "unset GETTY_BASE_URL", "GETTY_CONTRACT_TARGET=fake"}},
		{name: "record live, another server's token URL", mode: modeRecord,
			env:     with(realCredentials, envTarget, "live", envTokenURL, "https://auth.example.com/oauth2/token"),
			wantErr: []string{"GETTY_TOKEN_URL=https://auth.example.com/oauth2/token", "never another server"}},
		{name: "record live with the fake's credentials alone", mode: modeRecord,
			env:     with(nil, envTarget, "live", envAPIKey, gettytest.APIKey, envSecret, gettytest.ClientSecret),
			wantErr: []string{"public demo credentials", "GETTY_CONTRACT_TARGET=fake"}},
		{name: "record live without credentials", mode: modeRecord, env: with(nil, envTarget, "live"),
			wantErr: []string{"needs GETTY_API_KEY and GETTY_API_SECRET"}},
		{name: "record, an unknown target", mode: modeRecord, env: with(nil, envTarget, "staging"),
			wantErr: []string{`GETTY_CONTRACT_TARGET="staging"`, "want fake", "or live"}},
		{name: "live with real credentials", mode: modeLive, env: realCredentials, want: targetLive},
		{name: "live without credentials: the scenarios skip", mode: modeLive, want: targetLive},
		{name: "live with the fake server's exports", mode: modeLive, env: fakeServerExports,
			wantErr: []string{"GETTY_CONTRACT_MODE=live with GETTY_BASE_URL=http://127.0.0.1:4711", "never another server"}},
		{name: "live, the fake named", mode: modeLive, env: with(realCredentials, envTarget, "fake"),
			wantErr: []string{"runs against the real API", "GETTY_CONTRACT_MODE=record"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := chooseTarget(tt.mode, func(k string) string { return tt.env[k] })
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("target %q, want an error", got)
				}
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q\ndoes not say %q", err, want)
					}
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("target %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestRecordRefusesFakeServerExports runs the suite as make record would
// in a shell holding what `getty fake-server` prints: it stops at once with
// the message, and no cassette is touched.
func TestRecordRefusesFakeServerExports(t *testing.T) {
	if os.Getenv(envMode) != "" {
		t.Skipf("%s is set: this test runs the suite in record mode itself", envMode)
	}
	before := cassetteDigests(t)
	for _, tt := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no target", fakeServerExports, "does not say which server to record"},
		{"the live target", with(fakeServerExports, envTarget, "live"), "never another server"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestScenarios$", "-test.count=1")
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "GETTY_") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			cmd.Env = append(cmd.Env, envMode+"=record")
			for k, v := range tt.env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite recorded:\n%s", out)
			}
			if !strings.Contains(string(out), tt.want) || strings.Count(string(out), "--- FAIL") != 1 {
				t.Errorf("want one failure saying %q:\n%s", tt.want, out)
			}
		})
	}
	after := cassetteDigests(t)
	for name, sum := range before {
		if after[name] != sum {
			t.Errorf("%s changed", name)
		}
	}
}

func cassetteDigests(t *testing.T) map[string][32]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no cassettes (%v)", err)
	}
	out := map[string][32]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = sha256.Sum256(b)
	}
	return out
}
