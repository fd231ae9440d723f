// Command getty lists and downloads images with the Getty Images download
// API, checks recorded traffic against the API's contract, and runs a fake
// Getty server for trying it all without credentials.
//
// Usage:
//
//	getty <command> [flags] [arguments]
//
// Flags go before or after the arguments, "--" ends the flags, and global
// flags (credentials, --base-url, --timeout, --verbose...) are accepted by
// every command. Commands:
//
//	downloads list     the download history, as a table or JSON
//	downloads sync     mirror the history into a folder, downloading only what is missing
//	download ID...     save images into a directory, with progress
//	contract check     validate cassettes and HAR files against the spec
//	contract proxy     a validating reverse proxy for any client, recording what passes
//	fake-server        run the fake Getty server on a loopback port
//	demo               a tour of all of the above against an in-process fake server
//	completion SHELL   the completion script for bash, zsh, fish or powershell
//
// Credentials come from flags or the environment: GETTY_API_KEY,
// GETTY_API_SECRET, GETTY_USERNAME, GETTY_PASSWORD, GETTY_TOKEN,
// GETTY_REFRESH_TOKEN; GETTY_BASE_URL and GETTY_TOKEN_URL point the tool at
// another server. A flag wins over its variable. Credentials are never
// printed.
//
// Exit status: 0 success; 1 failure (API, network or file error); 2 bad
// usage; 3 missing or rejected credentials, or a user token required; 4
// download quota exhausted; 5 contract violations found; 130 interrupted
// (SIGINT or SIGTERM) before the command finished; for
// `contract proxy -- COMMAND`, the command's own status when it fails.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitCredentials = 3
	exitQuota       = 4
	exitViolations  = 5
	exitInterrupted = 130
)

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-signals
		// The first signal lets the command clean up (no partial file is
		// left); a second one ends the process at once, which may leave
		// a download's temporary file.
		signal.Stop(signals)
		cancel(&interruptError{sig: sig})
	}()
	a := &app{
		stdout: os.Stdout,
		stderr: os.Stderr,
		getenv: os.Getenv,
		isTerminal: func(w io.Writer) bool {
			f, ok := w.(*os.File)
			return ok && isTerminal(f)
		},
	}
	os.Exit(a.run(ctx, os.Args[1:]))
}

// app is one invocation of the tool; tests run it in-process. Its command
// tree (newRootCmd) is built afresh for each run.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	isTerminal     func(io.Writer) bool
	// ready, if set, receives the URL of a server command (fake-server,
	// contract proxy) once it listens.
	ready func(url string)

	global globalFlags
	root   *cobra.Command
	// started is set when a command's RunE begins: an error returned
	// before that (flags, arguments, unknown command) is a usage error.
	started bool
}

// usageError is a command-line mistake: the exit status is exitUsage and
// the message is followed by a pointer to the command's help.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usageErrorf is a usageError with a formatted message.
func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// errUsageShown is a usage error whose explanation, the command's usage,
// has already been printed.
var errUsageShown = errors.New("usage shown")

// interruptError is the cause of a run stopped by a signal.
type interruptError struct{ sig os.Signal }

func (e *interruptError) Error() string { return "interrupted (signal: " + e.sig.String() + ")" }

// run runs the command line args and returns the exit status. Cancelling
// ctx is an interrupt: the command stops, cleans up, and the status is
// exitInterrupted unless the command had finished (a server stopped by it
// has).
func (a *app) run(ctx context.Context, args []string) int {
	a.root = a.newRootCmd()
	if args == nil {
		args = []string{} // cobra reads os.Args for nil
	}
	a.root.SetArgs(args)
	a.root.SetOut(a.stdout)
	a.root.SetErr(a.stderr)
	cmd, err := a.root.ExecuteContextC(ctx)
	if cmd == nil {
		cmd = a.root
	}
	if err != nil && ctx.Err() != nil && a.started && !isVerdict(err) {
		if rest := withoutCancellation(err, context.Cause(ctx)); rest != nil {
			fmt.Fprintln(a.stderr, "getty:", cliMessage(rest))
		}
		msg := "interrupted"
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
			msg = cause.Error()
		}
		fmt.Fprintln(a.stderr, "getty:", msg)
		return exitInterrupted
	}
	return a.exitStatus(cmd, err)
}

// withoutCancellation drops from err the failures that only say the run
// was cancelled (context.Canceled, or the cancellation's cause), and
// returns what is left (nil if nothing is).
func withoutCancellation(err, cause error) error {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var rest []error
		for _, e := range joined.Unwrap() {
			if e = withoutCancellation(e, cause); e != nil {
				rest = append(rest, e)
			}
		}
		return errors.Join(rest...)
	}
	if errors.Is(err, context.Canceled) || cause != nil && errors.Is(err, cause) {
		return nil
	}
	return err
}

// errRunTimeout is the cause of a run stopped by --timeout.
var errRunTimeout = errors.New("the run took longer than --timeout")

// runTimeoutError reports a run stopped by --timeout, beside what it was
// doing then.
type runTimeoutError struct {
	limit time.Duration
	err   error
}

func (e *runTimeoutError) Error() string {
	return fmt.Sprintf("stopped after --timeout %s (raise it, or --timeout 0 for no limit): %v", e.limit, e.err)
}

func (e *runTimeoutError) Unwrap() error { return e.err }

// exitStatus prints err (if any) and maps it to the documented exit status.
// cmd is the command that ran or was being looked for.
func (a *app) exitStatus(cmd *cobra.Command, err error) int {
	if err == nil {
		return exitOK
	}
	var ue *usageError
	switch {
	case errors.Is(err, errUsageShown):
		return exitUsage
	case errors.As(err, &ue) || !a.started:
		// Everything cobra refuses before a command runs (an unknown
		// command or flag, a bad flag value, arguments) is bad usage.
		fmt.Fprintln(a.stderr, "getty:", err)
		fmt.Fprintf(a.stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return exitUsage
	}
	fmt.Fprintln(a.stderr, "getty:", cliMessage(err))
	return statusFor(err)
}

// cliMessage is err's text after the "getty: " the command prints: the
// library says "getty: " once, at the start of its errors, and nowhere
// inside them, so only that start is left out.
func cliMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "getty: ")
}
