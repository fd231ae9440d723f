package proxyfig

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
)

// ServePlainProxy serves the hop without validation, the plain reverse
// proxy of the figures: the same net/http reverse proxy as the contract
// proxy's (a transport keeping 64 idle connections per host, flushing every
// write), no judging, forwarding to upstream. It listens on a loopback port,
// prints "plain proxy listening on URL" to standard output, and serves until
// the process ends. It is what the process named in Options.PlainProxy runs.
func ServePlainProxy(upstream string) error {
	u, err := url.Parse(upstream)
	if err != nil {
		return err
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.DisableCompression = true
	base.MaxIdleConnsPerHost = 64
	rp := &httputil.ReverseProxy{
		Rewrite:       func(pr *httputil.ProxyRequest) { pr.SetURL(u) },
		Transport:     base,
		FlushInterval: -1,
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("plain proxy listening on http://%s\n", ln.Addr())
	return http.Serve(ln, rp)
}
