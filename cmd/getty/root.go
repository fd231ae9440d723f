package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Annotations of commands.
const (
	// annotLongRunning marks a command that may rightly run for hours: a
	// server that runs until it is interrupted (fake-server, contract
	// proxy) or a long job (downloads sync). --timeout applies to it only
	// when given explicitly.
	annotLongRunning = "getty/long-running"
	// annotIDs marks a command whose arguments are image ids: an unknown
	// short flag such as -5 is explained as not being an id.
	annotIDs = "getty/ids"
)

const rootLong = `getty lists and downloads images with the Getty Images download API, checks
recorded traffic against the API's contract, and runs a fake Getty server for
trying it all without credentials.

Flags go before or after the arguments; "--" ends them. Global flags work with
every command. A run stops after --timeout (default 30m) and gives up on a
response that sends nothing for --stall-timeout (default 1m); neither leaves a
partial file, and nor does an interrupt (Ctrl-C).

Environment: GETTY_API_KEY, GETTY_API_SECRET, GETTY_USERNAME, GETTY_PASSWORD,
GETTY_TOKEN, GETTY_REFRESH_TOKEN, GETTY_BASE_URL, GETTY_TOKEN_URL. A flag wins
over its variable.

Exit status: 0 success, 1 failure, 2 bad usage, 3 missing or rejected
credentials, 4 download quota exhausted, 5 contract violations found, 130
interrupted.`

// newRootCmd builds the command tree of one run. Every command is
// registered here, and only here.
//
// To add a command:
//
//  1. Write cmd/getty/NAME.go with a constructor
//     func (a *app) newNAMECmd() *cobra.Command. Declare its flags there,
//     once, on cmd.Flags() (the help is generated from them; register a
//     completion function for a flag with a fixed set of values). Do the
//     work in RunE (never Run, nor a PersistentPreRun of its own) with
//     cmd.Context(), which carries --timeout and is cancelled by SIGINT and
//     SIGTERM; write to a.stdout and a.stderr. Arguments after "--" are in
//     args from cmd.ArgsLenAtDash() on. A command that runs until it is
//     interrupted (a server) returns nil when cmd.Context() ends, so that
//     it exits 0, not 130; it, and any command that may rightly run for
//     hours, sets Annotations[annotLongRunning] so that --timeout applies
//     only when given.
//  2. Add it to the AddCommand calls below, under its parent: a
//     subcommand of downloads or contract goes into that group's list.
//  3. Return a usageError (usageErrorf) for a mistake on the command line
//     (exit 2, naming the flag or argument); any other error is printed
//     once, prefixed "getty: ", with the exit status statusFor gives it.
//     Errors from flag parsing and Args validators are usage errors
//     already. Get a client with a.newClient.
//  4. Add the command to the tests: flags after arguments, and its golden
//     help (go test ./cmd/getty -run TestHelpGolden -update; the root's
//     and its group's golden help change too).
func (a *app) newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "getty",
		Short: "Getty Images downloads from the command line",
		Long:  rootLong,
		// Errors and usage are printed by app.exitStatus, once.
		SilenceErrors: true,
		SilenceUsage:  true,
		// Without a command, the usage goes to stderr and the run fails
		// (exit 2); an unknown command is refused by cobra.
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprint(cmd.ErrOrStderr(), cmd.UsageString())
			return errUsageShown
		},
		// newCompletionCmd instead.
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.SetUsageTemplate(usageTemplate)
	root.SetFlagErrorFunc(flagError)
	a.global.register(root.PersistentFlags())

	root.AddCommand(
		a.newGroupCmd("downloads", "The download history", a.newListCmd(), a.newSyncCmd()),
		a.newDownloadCmd(),
		a.newGroupCmd("contract", "Check recorded or live traffic against the API's contract", a.newCheckCmd(), a.newProxyCmd()),
		a.newFakeServerCmd(),
		a.newDemoCmd(),
		a.newCompletionCmd(),
	)
	a.wrapRunE(root)
	return root
}

// newGroupCmd is a command that only holds subcommands, such as downloads.
// Without one, or with an unknown one, it fails with a usage error.
func (a *app) newGroupCmd(name, short string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:   name,
		Short: short,
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var names []string
			for _, sub := range cmd.Commands() {
				if sub.IsAvailableCommand() {
					names = append(names, sub.Name())
				}
			}
			if len(args) == 0 {
				return usageErrorf("%s needs a command: %s", subPath(cmd), strings.Join(names, ", "))
			}
			return usageErrorf("unknown command %q for %q (commands: %s)", args[0], cmd.CommandPath(), strings.Join(names, ", "))
		},
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	c.AddCommand(subs...)
	return c
}

// wrapRunE wraps the RunE of c and its subcommands: it marks the run as
// started (later errors are the command's own, not usage errors), checks
// the global flags and applies --timeout.
func (a *app) wrapRunE(c *cobra.Command) {
	for _, sub := range c.Commands() {
		a.wrapRunE(sub)
	}
	run := c.RunE
	if run == nil {
		return
	}
	c.RunE = func(cmd *cobra.Command, args []string) error {
		a.started = true
		if err := a.global.check(); err != nil {
			return err
		}
		ctx := cmd.Context()
		// A long-running command: --timeout applies to it only when given.
		_, server := cmd.Annotations[annotLongRunning]
		if a.global.timeout > 0 && (!server || a.root.PersistentFlags().Changed("timeout")) {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeoutCause(ctx, a.global.timeout, errRunTimeout)
			defer cancel()
			cmd.SetContext(ctx)
		}
		err := run(cmd, args)
		if err != nil && errors.Is(context.Cause(ctx), errRunTimeout) {
			err = &runTimeoutError{limit: a.global.timeout, err: err}
		}
		return err
	}
}

// flagError words a flag the parser refused as a usage error. A long flag
// written with one dash, as the tool took them before, is pointed to its
// two-dash spelling; an argument such as -5 given for an image id is said
// not to be one.
func flagError(cmd *cobra.Command, err error) error {
	var notExist *pflag.NotExistError
	if errors.As(err, &notExist) {
		short, _, _ := strings.Cut(notExist.GetSpecifiedShortnames(), "=")
		if len(short) > 1 && cmd.Flags().Lookup(short) != nil {
			return usageErrorf("%v: a long flag takes two dashes, --%s", err, short)
		}
		if _, ids := cmd.Annotations[annotIDs]; ids && short != "" {
			return usageErrorf(`%v (an image id never starts with "-")`, err)
		}
	}
	return &usageError{msg: err.Error()}
}

// noArgs refuses arguments, naming the command.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("%s takes no arguments, got %q", subPath(cmd), args)
	}
	return nil
}

// subPath is cmd's path without the root ("downloads list"): messages
// already start with "getty: ".
func subPath(cmd *cobra.Command) string {
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}

// usageTemplate is cobra's default, except for the first line of a command
// that holds others ("getty downloads <command>" rather than both a
// runnable and a [command] line).
const usageTemplate = `Usage:{{if .HasAvailableSubCommands}}
  {{.CommandPath}} <command> [flags]{{else}}
  {{.UseLine}}{{end}}{{if gt (len .Aliases) 0}}

Aliases:
  {{.NameAndAliases}}{{end}}{{if .HasExample}}

Examples:
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}

Available Commands:{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

Flags:
{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableInheritedFlags}}

Global Flags:
{{.InheritedFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableSubCommands}}

Use "{{.CommandPath}} <command> --help" for more information about a command.{{end}}
`

// completeValues completes a flag from a fixed list of values.
func completeValues(values ...string) cobra.CompletionFunc {
	return cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp)
}

// mustRegister panics on a completion registered for a flag that does not
// exist: a programming error the tests catch.
func mustRegister(err error) {
	if err != nil {
		panic(fmt.Sprintf("getty: %v", err))
	}
}
