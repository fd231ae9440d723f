package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/gettytest"
)

func (a *app) newFakeServerCmd() *cobra.Command {
	var (
		addr             string
		downloads, quota int
	)
	cmd := &cobra.Command{
		Use:   "fake-server",
		Short: "Run the fake Getty server on a loopback port",
		Long: `Runs the fake Getty server until interrupted, and prints its URL and demo
credentials (they are public test values, not secrets). Interrupted, it stops
and exits 0. --timeout applies only when given.`,
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		Annotations:       map[string]string{annotLongRunning: ""},
	}
	fs := cmd.Flags()
	fs.StringVar(&addr, "addr", "127.0.0.1:0", "loopback address to listen on (port 0 picks a free port)")
	fs.IntVar(&downloads, "downloads", 250, "entries in the seeded download history")
	fs.IntVar(&quota, "quota", 10, "downloads allowed per product type (0: unlimited)")
	for _, name := range []string{"addr", "downloads", "quota"} {
		mustRegister(cmd.RegisterFlagCompletionFunc(name, cobra.NoFileCompletions))
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return a.fakeServer(cmd.Context(), addr, downloads, quota)
	}
	return cmd
}

// fakeServer serves the fake Getty server on addr until ctx ends.
func (a *app) fakeServer(ctx context.Context, addr string, downloads, quota int) error {
	if downloads < 0 || quota < 0 {
		return usageErrorf("--downloads and --quota must not be negative")
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usageErrorf("--addr %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usageErrorf("--addr %q is not a loopback address: the fake server accepts public demo credentials", addr)
	}
	opts := []gettytest.Option{gettytest.WithDownloads(downloads)}
	if quota > 0 {
		for _, p := range strings.Split(productTypes, ", ") {
			opts = append(opts, gettytest.WithQuota(getty.ProductType(p), quota))
		}
	}
	fake := gettytest.NewUnstartedServer(opts...)
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	// The handler bounds request bodies itself (size, concurrency, and a
	// read deadline per body through http.ResponseController). No
	// ReadTimeout here: it would also end the context of every request
	// that takes longer, such as one with injected latency.
	srv := &http.Server{
		Handler:           fake.Handler(),
		ReadHeaderTimeout: gettytest.DefaultReadTimeout,
		IdleTimeout:       time.Minute,
	}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(a.stdout, "fake Getty server listening on %s\n\n", url)
	fmt.Fprintf(a.stdout, "  export GETTY_BASE_URL=%s\n  export GETTY_TOKEN_URL=%s/oauth2/token\n", url, url)
	fmt.Fprintf(a.stdout, "  export GETTY_API_KEY=%s\n  export GETTY_API_SECRET=%s\n\n", gettytest.APIKey, gettytest.ClientSecret)
	fmt.Fprintf(a.stdout, "Images: %s and any id of the history. Press Ctrl-C to stop.\n", gettytest.ImageID)
	if a.ready != nil {
		a.ready(url)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(a.stdout, "fake Getty server stopped")
	return nil
}
