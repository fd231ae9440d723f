package main

import (
	"io"
	"strings"

	"github.com/spf13/cobra"
)

const completionLong = `Prints the completion script for SHELL: commands, flags, and the values of
flags such as --product-type and --file-type.

  bash        source <(getty completion bash)      # needs bash-completion
  zsh         getty completion zsh > "${fpath[1]}/_getty"
  fish        getty completion fish > ~/.config/fish/completions/getty.fish
  powershell  getty completion powershell | Out-String | Invoke-Expression`

// completionShells are the shells completion writes scripts for.
var completionShells = map[string]func(root *cobra.Command, w io.Writer, desc bool) error{
	"bash": func(root *cobra.Command, w io.Writer, desc bool) error { return root.GenBashCompletionV2(w, desc) },
	"zsh": func(root *cobra.Command, w io.Writer, desc bool) error {
		if desc {
			return root.GenZshCompletion(w)
		}
		return root.GenZshCompletionNoDesc(w)
	},
	"fish": func(root *cobra.Command, w io.Writer, desc bool) error { return root.GenFishCompletion(w, desc) },
	"powershell": func(root *cobra.Command, w io.Writer, desc bool) error {
		if desc {
			return root.GenPowerShellCompletionWithDesc(w)
		}
		return root.GenPowerShellCompletion(w)
	},
}

// newCompletionCmd replaces cobra's default completion command, whose
// parent form accepts an unknown shell with exit status 0.
func (a *app) newCompletionCmd() *cobra.Command {
	var noDesc bool
	shells := []string{"bash", "zsh", "fish", "powershell"}
	cmd := &cobra.Command{
		Use:       "completion SHELL",
		Short:     "The completion script for bash, zsh, fish or powershell",
		Long:      completionLong,
		ValidArgs: shells,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("completion needs one shell: %s", strings.Join(shells, ", "))
			}
			if _, ok := completionShells[args[0]]; !ok {
				return usageErrorf("completion: %q is not one of %s", args[0], strings.Join(shells, ", "))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&noDesc, "no-descriptions", false, "complete without a description of each value")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return completionShells[args[0]](cmd.Root(), a.stdout, !noDesc)
	}
	return cmd
}
