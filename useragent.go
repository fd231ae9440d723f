package getty

import (
	"runtime/debug"
	"strings"
	"sync"
)

// modulePath is this module's path, looked up in the build information.
const modulePath = "github.com/gettykit/getty"

// moduleVersion is the version of this module the program was built with
// ("v1.2.3", or a pseudo-version), or "" when the build information does
// not say (a build of this module's own tree reports "(devel)").
var moduleVersion = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	return versionIn(bi)
})

// versionIn returns this module's version in bi, following a replace
// directive that names a version.
func versionIn(bi *debug.BuildInfo) string {
	m := &bi.Main
	if m.Path != modulePath {
		m = nil
		for _, d := range bi.Deps {
			if d.Path == modulePath {
				m = d
				break
			}
		}
	}
	if m == nil {
		return ""
	}
	v := m.Version
	if m.Replace != nil && m.Replace.Version != "" {
		v = m.Replace.Version
	}
	if v == "(devel)" || strings.ContainsAny(v, " \t/") {
		return ""
	}
	return v
}

// libraryUserAgent is this library's product token: DefaultUserAgent and,
// when the build information has it, the module version
// ("gettykit-getty-go/v1.2.3").
func libraryUserAgent(version string) string {
	if version == "" {
		return DefaultUserAgent
	}
	return DefaultUserAgent + "/" + version
}

// userAgent is the User-Agent for an application's product token app
// (WithUserAgent), which comes first, as RFC 9110 orders them from the
// most significant: "myapp/1.0 gettykit-getty-go/v1.2.3".
func userAgent(app, version string) string {
	if app == "" {
		return libraryUserAgent(version)
	}
	return app + " " + libraryUserAgent(version)
}
