package getty

import (
	"net/http"
	"runtime/debug"
	"testing"
)

func TestVersionFromBuildInfo(t *testing.T) {
	for _, tt := range []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"a dependency", debug.BuildInfo{Main: debug.Module{Path: "example.com/app", Version: "v0.3.0"},
			Deps: []*debug.Module{{Path: "golang.org/x/oauth2", Version: "v0.30.0"}, {Path: modulePath, Version: "v1.2.3"}}}, "v1.2.3"},
		{"a pseudo-version", debug.BuildInfo{Main: debug.Module{Path: "example.com/app"},
			Deps: []*debug.Module{{Path: modulePath, Version: "v0.0.0-20260301120000-0123456789ab"}}}, "v0.0.0-20260301120000-0123456789ab"},
		{"replaced by a version", debug.BuildInfo{Main: debug.Module{Path: "example.com/app"},
			Deps: []*debug.Module{{Path: modulePath, Version: "v1.2.3", Replace: &debug.Module{Path: "example.com/fork", Version: "v1.2.4"}}}}, "v1.2.4"},
		{"replaced by a directory", debug.BuildInfo{Main: debug.Module{Path: "example.com/app"},
			Deps: []*debug.Module{{Path: modulePath, Version: "v1.2.3", Replace: &debug.Module{Path: "../getty"}}}}, "v1.2.3"},
		{"the main module, released", debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "v1.2.3"}}, "v1.2.3"},
		{"the main module, a work tree", debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "(devel)"}}, ""},
		{"not in the build", debug.BuildInfo{Main: debug.Module{Path: "example.com/app"}}, ""},
	} {
		if got := versionIn(&tt.bi); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestUserAgentComposition(t *testing.T) {
	for _, tt := range []struct{ app, version, want string }{
		{"", "v1.2.3", "gettykit-getty-go/v1.2.3"},
		{"myapp/1.0", "v1.2.3", "myapp/1.0 gettykit-getty-go/v1.2.3"},
		{"", "", "gettykit-getty-go"},
		{"myapp/1.0", "", "myapp/1.0 gettykit-getty-go"},
	} {
		if got := userAgent(tt.app, tt.version); got != tt.want {
			t.Errorf("userAgent(%q, %q) = %q, want %q", tt.app, tt.version, got, tt.want)
		}
	}
}

// The header sent: the library's token, with the version of this build,
// and WithUserAgent's token before it rather than instead of it.
func TestUserAgentSent(t *testing.T) {
	lib := libraryUserAgent(moduleVersion())
	for _, tt := range []struct {
		opts []Option
		want string
	}{
		{nil, lib},
		{[]Option{WithUserAgent("myapp/1.0")}, "myapp/1.0 " + lib},
	} {
		var got string
		mux := http.NewServeMux()
		mux.HandleFunc("GET /api/v3/downloads", func(w http.ResponseWriter, r *http.Request) {
			got = r.Header.Get("User-Agent")
			writeJSON(w, 200, map[string]any{"result_count": 0, "downloads": []any{}})
		})
		_, base := newAPI(t, mux)
		c := newClient(t, base, append([]Option{WithToken(validToken())}, tt.opts...)...)
		if _, err := c.ListDownloads(t.Context(), nil); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("User-Agent %q, want %q", got, tt.want)
		}
	}
	t.Logf("this build's User-Agent: %q", lib)
}
