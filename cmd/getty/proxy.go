package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/gettykit/getty/contract"
	"github.com/gettykit/getty/spec"
)

const proxyLong = `Runs a reverse proxy in front of the API (or any server that speaks it, such as
getty fake-server) that checks every exchange against the API spec, for any
client in any language: point the client at the proxy's URL instead of the
API. Requests go upstream as sent and responses come back as received, bodies
streamed; the proxy never follows a redirect (a 303 and its Location reach the
client untouched; the file it names is checked only if the client fetches it
through the proxy too). The one change to a request: encodings the proxy
cannot decode to validate (br, zstd) are dropped from Accept-Encoding.

It prints its URL, then each violation, drift finding and what could not be
checked as the exchange ends. --record FILE keeps every exchange, scrubbed of
credentials, tokens and URL signatures, as a HAR file (.har) or a go-vcr
cassette (.yaml, .yml) that getty contract check reads back to the same
findings. --allow takes the list contract check takes (see its help); its
entries name the --record file, which --allow therefore needs.

Without a command, the proxy runs until interrupted (SIGINT, SIGTERM); it then
writes the recording, prints a summary and exits. With "-- COMMAND ARGS...",
it runs the command with GETTY_BASE_URL and GETTY_CONTRACT_PROXY set to its
URL (GETTY_TOKEN_URL is left alone: the token endpoint is another host), and
stops when the command exits. With --format json or junit, standard output
holds the report alone: the URL, the summary and the command's own output go
to standard error.

Exit status:
  0  no violation but allowed ones
  5  an exchange violated the spec
  1  the recording could not be written, or an --allow entry is stale
  N  with -- COMMAND, the command's exit status when it fails (whatever the
     contract's verdict, which is printed all the same)
  2  bad usage`

func (a *app) newProxyCmd() *cobra.Command {
	var o proxyOptions
	o.maxBody = byteSize(contract.DefaultMaxBodySize)
	cmd := &cobra.Command{
		Use:   "proxy --upstream URL [flags] [-- COMMAND ARGS...]",
		Short: "Check live traffic: a validating reverse proxy in front of the API",
		Long:  proxyLong,
		Example: `  getty contract proxy --upstream https://api.gettyimages.com --record session.har
  getty contract proxy --upstream "$GETTY_BASE_URL" --format github -- npm test`,
		Args: func(cmd *cobra.Command, args []string) error {
			dash := cmd.ArgsLenAtDash()
			switch {
			case dash < 0 && len(args) > 0:
				return usageErrorf("contract proxy takes no arguments, got %q: put a command to run after --", args)
			case dash > 0:
				return usageErrorf("contract proxy: %q before --: put the command after --", args[:dash])
			case dash == 0 && len(args) == 0:
				return usageErrorf("contract proxy: no command after --")
			}
			return nil
		},
		ValidArgsFunction: cobra.NoFileCompletions,
		Annotations:       map[string]string{annotLongRunning: ""},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.upstream, "upstream", "", "`URL` of the API to forward to (required)")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:0", "`ADDR` to listen on (port 0 picks a free port)")
	fs.StringVar(&o.record, "record", "", "write the exchanges, scrubbed, to `FILE`: HAR (.har) or a cassette (.yaml, .yml)")
	fs.StringVar(&o.format, "format", "text", "report `FORMAT`: text, json (JSON lines), junit (XML) or github (Actions annotations)")
	fs.StringVar(&o.allow, "allow", "", "`FILE` of expected violations (YAML, as contract check takes it)")
	fs.Var(&o.maxBody, "max-body", "largest body validated or recorded, as `SIZE` in bytes or with a KiB, MiB or GiB suffix")
	mustRegister(cmd.RegisterFlagCompletionFunc("format", completeValues(formats...)))
	mustRegister(cmd.RegisterFlagCompletionFunc("record", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"har", "yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
	}))
	mustRegister(cmd.RegisterFlagCompletionFunc("allow", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
	}))
	for _, name := range []string{"upstream", "listen", "max-body"} {
		mustRegister(cmd.RegisterFlagCompletionFunc(name, cobra.NoFileCompletions))
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if dash := cmd.ArgsLenAtDash(); dash >= 0 {
			o.command = args[dash:]
		}
		return a.proxy(cmd.Context(), o)
	}
	return cmd
}

// lockWriter returns w as is when it is a file (the command then writes
// to it directly, a terminal stays a terminal), or w behind mu.
func lockWriter(mu *sync.Mutex, w io.Writer) io.Writer {
	if _, ok := w.(*os.File); ok {
		return w
	}
	return &lockedWriter{mu: mu, w: w}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// newLogger logs what the proxy cannot report as a finding.
func newLogger(w io.Writer) *log.Logger { return log.New(w, "getty: ", 0) }

type proxyOptions struct {
	upstream, listen, record, format, allow string
	maxBody                                 byteSize
	command                                 []string
}

// commandError is the failure of the command the proxy ran: the run exits
// with its status.
type commandError struct {
	name string
	code int
	err  error
}

func (e *commandError) Error() string { return fmt.Sprintf("%s: %v", e.name, e.err) }
func (e *commandError) Unwrap() error { return e.err }

// isVerdict reports whether err is the contract's verdict on traffic, which
// a proxy stopped by an interrupt still returns: it stands (exit 5 or 1),
// where other errors of an interrupted run exit 130.
func isVerdict(err error) bool {
	var v *violationsError
	var ic *incompleteCheckError
	return errors.As(err, &v) || errors.As(err, &ic)
}

// proxy runs the contract proxy until ctx ends or, with a command, until
// the command exits.
func (a *app) proxy(ctx context.Context, o proxyOptions) error {
	if o.upstream == "" {
		return usageErrorf("contract proxy needs --upstream URL (the API, or getty fake-server's URL)")
	}
	up, err := url.Parse(o.upstream)
	if err != nil || (up.Scheme != "http" && up.Scheme != "https") || up.Host == "" || up.RawQuery != "" || up.Fragment != "" {
		return usageErrorf("--upstream %q: want an absolute http or https URL without a query", o.upstream)
	}
	format, err := contract.ParseFormat(o.format)
	if err != nil {
		return usageErrorf("--format %q: want one of text, json, junit, github", o.format)
	}
	if o.record != "" && recordingKind(o.record) == "" {
		return usageErrorf("--record %s: not a HAR file (.har) or a cassette (.yaml, .yml)", o.record)
	}
	if o.allow != "" && o.record == "" {
		return usageErrorf("--allow needs --record FILE: allow-list entries name the recording")
	}
	var allow *contract.AllowList
	if o.allow != "" {
		if allow, err = contract.LoadAllowList(o.allow); err != nil {
			return err
		}
	}
	doc, err := spec.Load(ctx)
	if err != nil {
		return err
	}
	v, err := contract.NewValidator(doc, contract.WithMaxBodySize(int64(o.maxBody)), contract.WithBasePath(up.Path))
	if err != nil {
		return err
	}
	p, err := contract.NewProxy(up, v)
	if err != nil {
		return usageErrorf("--upstream: %v", err)
	}
	defer p.CloseIdleConnections()

	// Exchanges end on the server's goroutines and a command writes from
	// its own process (or through a goroutine of os/exec).
	var mu sync.Mutex
	stdout, stderr := lockWriter(&mu, a.stdout), lockWriter(&mu, a.stderr)
	// Machine-readable reports keep standard output to themselves.
	human := stdout
	if format == contract.FormatJSON || format == contract.FormatJUnit {
		human = stderr
	}
	rep := contract.NewReporter(stdout, format)
	rep.Allow, rep.Name = allow, "contract proxy "+up.Redacted()
	p.ErrorLog = newLogger(stderr)
	p.OnExchange = func(x contract.Exchange) {
		if a.global.verbose {
			fmt.Fprintf(stderr, "--> %s (%s)\n", x, x.Duration.Round(time.Millisecond))
		}
		rep.Exchange(x)
	}

	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", o.listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	var rec *contract.Recorder
	if o.record != "" {
		if rec, err = contract.NewRecorder(o.record); err != nil {
			ln.Close()
			return err
		}
		defer rec.Abort() // after Close, nothing
		p.Recorder = rec
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: time.Minute, ErrorLog: p.ErrorLog}
	proxyURL := "http://" + ln.Addr().String()
	fmt.Fprintf(human, "contract proxy listening on %s, forwarding to %s\n", proxyURL, up.Redacted())
	if a.ready != nil {
		a.ready(proxyURL)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	var runErr error
	if len(o.command) > 0 {
		runErr = runCommand(ctx, o.command, proxyURL, human, stderr)
	} else {
		fmt.Fprintln(human, "Point your client at it; press Ctrl-C to stop.")
		select {
		case runErr = <-errc:
		case <-ctx.Done():
		}
	}

	// Let the exchanges under way end and be judged (they are reported and
	// recorded), then write the recording.
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close()
	}
	if err := p.Wait(shutdown); err != nil {
		p.ErrorLog.Print(err)
	}
	var recErr error
	if rec != nil {
		if recErr = rec.Close(); recErr == nil {
			fmt.Fprintf(human, "recorded %d exchange(s) to %s\n", rec.Len(), rec.Path())
		}
	}
	sum, repErr := rep.Close()
	fmt.Fprintf(human, "contract proxy: %s\n", sum)
	switch {
	case runErr != nil:
		return runErr
	case recErr != nil:
		return recErr
	case repErr != nil:
		return fmt.Errorf("writing the report: %w", repErr)
	case len(sum.Stale) > 0:
		return &incompleteCheckError{stale: len(sum.Stale), violations: sum.Violations}
	case sum.Violations > 0:
		return &violationsError{violations: sum.Violations}
	}
	return nil
}

// runCommand runs the command with the proxy's URL in its environment. An
// interrupt is passed on to it as SIGINT.
func runCommand(ctx context.Context, argv []string, proxyURL string, stdout, stderr io.Writer) error {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "GETTY_BASE_URL="+proxyURL, "GETTY_CONTRACT_PROXY="+proxyURL)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &exit):
		code := exit.ExitCode()
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
		if code <= 0 {
			code = exitFailure
		}
		return &commandError{name: argv[0], code: code, err: err}
	}
	return &commandError{name: argv[0], code: exitFailure, err: err}
}
