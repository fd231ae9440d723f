// Command getty lists and downloads images with the Getty Images download
// API, checks recorded traffic against the API's contract, and runs a fake
// Getty server for trying it all without credentials.
//
// Usage:
//
//	getty [global flags] <command> [flags] [arguments]
//
// Commands:
//
//	downloads list     the download history, as a table or JSON
//	download ID...     save images into a directory, with progress
//	contract check     validate cassettes and HAR files against the spec
//	fake-server        run the fake Getty server on a loopback port
//	demo               a tour of all of the above against an in-process fake server
//
// Credentials come from flags or the environment: GETTY_API_KEY,
// GETTY_API_SECRET, GETTY_USERNAME, GETTY_PASSWORD, GETTY_TOKEN,
// GETTY_REFRESH_TOKEN; GETTY_BASE_URL and GETTY_TOKEN_URL point the tool at
// another server. Credentials are never printed.
//
// Exit status: 0 success; 1 failure (API, network or file error); 2 bad
// usage; 3 missing or rejected credentials; 4 download quota exhausted; 5
// contract violations found.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitCredentials = 3
	exitQuota       = 4
	exitViolations  = 5
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
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

// app is one invocation of the tool; tests run it in-process.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	isTerminal     func(io.Writer) bool
	// ready, if set, receives the fake server's URL once it listens.
	ready func(url string)

	global globalFlags
}

const usage = `Usage: getty [global flags] <command> [flags] [arguments]

Commands:
  downloads list     the download history, as a table or JSON
  download ID...     save images into a directory, with progress
  contract check     validate cassettes and HAR files against the API spec
  fake-server        run the fake Getty server on a loopback port
  demo               a tour against an in-process fake server (no network, no credentials)

Run 'getty <command> --help' for a command's flags.

A run stops after --timeout (default 30m) and gives up on a response that
sends nothing for --stall-timeout (default 1m); neither leaves a partial file.

Environment: GETTY_API_KEY, GETTY_API_SECRET, GETTY_USERNAME, GETTY_PASSWORD,
GETTY_TOKEN, GETTY_REFRESH_TOKEN, GETTY_BASE_URL, GETTY_TOKEN_URL.

Exit status: 0 success, 1 failure, 2 bad usage, 3 missing or rejected
credentials, 4 download quota exhausted, 5 contract violations found.

Global flags:
`

// usageError is a command-line mistake: the command's usage is printed and
// the exit status is exitUsage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func (a *app) run(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("getty", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	a.global.register(fs)
	fs.Usage = func() {
		fmt.Fprint(a.stderr, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fs.Usage()
		return exitUsage
	}
	if a.global.timeout < 0 || a.global.stall < 0 {
		fmt.Fprintln(a.stderr, "getty: --timeout and --stall-timeout must not be negative")
		return exitUsage
	}
	// A server runs until it is interrupted: --timeout applies to it only
	// when given.
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "timeout" })
	if a.global.timeout > 0 && (rest[0] != "fake-server" || explicit) {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, a.global.timeout, errRunTimeout)
		defer cancel()
	}
	err := a.command(ctx, fs, rest)
	if err != nil && errors.Is(context.Cause(ctx), errRunTimeout) {
		err = &runTimeoutError{limit: a.global.timeout, err: err}
	}
	return a.exitStatus(err)
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

// command runs the command named by rest[0].
func (a *app) command(ctx context.Context, fs *flag.FlagSet, rest []string) error {
	var err error
	switch cmd, cmdArgs := rest[0], rest[1:]; cmd {
	case "downloads":
		if len(cmdArgs) == 0 || cmdArgs[0] != "list" {
			return &usageError{msg: "usage: getty downloads list [flags]"}
		}
		err = a.listCmd(ctx, cmdArgs[1:])
	case "download":
		err = a.downloadCmd(ctx, cmdArgs)
	case "contract":
		if len(cmdArgs) == 0 || cmdArgs[0] != "check" {
			return &usageError{msg: "usage: getty contract check PATH..."}
		}
		err = a.checkCmd(ctx, cmdArgs[1:])
	case "fake-server":
		err = a.fakeServerCmd(ctx, cmdArgs)
	case "demo":
		err = a.demoCmd(ctx, cmdArgs)
	case "help":
		fs.Usage()
		return nil
	default:
		fmt.Fprintf(a.stderr, "getty: unknown command %q\n", cmd)
		fs.Usage()
		return errFlagParse
	}
	return err
}

// exitStatus prints err (if any) and maps it to the documented exit status.
func (a *app) exitStatus(err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) || errors.Is(err, errFlagParse) {
		if ue != nil {
			fmt.Fprintln(a.stderr, "getty:", ue.msg)
		}
		return exitUsage
	}
	fmt.Fprintln(a.stderr, "getty:", cliMessage(err))
	return statusFor(err)
}

// cliMessage words a library error for the command line: without the
// library's own "getty: " prefixes, and naming the flag that lifts a refusal
// to overwrite.
func cliMessage(err error) string {
	msg := strings.ReplaceAll(strings.TrimPrefix(err.Error(), "getty: "), ": getty: ", ": ")
	msg = strings.ReplaceAll(msg, "\ngetty: ", "\n")
	if errors.Is(err, fs.ErrExist) {
		msg = strings.ReplaceAll(msg, "set SaveOptions.Overwrite", "use --overwrite")
	}
	return msg
}

// errFlagParse marks a flag error the flag package has already reported.
var errFlagParse = errors.New("bad flags")

// parseFlags parses a command's flags; on --help or a bad flag the flag
// package has already printed the usage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errFlagParse
	}
	return nil
}
