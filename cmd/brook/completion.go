package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/pflag"
)

// completionUsage is brook completion's help.
const completionUsage = `Usage: brook completion bash|zsh|fish

Prints a script that completes brook's commands and each command's flags
in the shell named, and file names for their other arguments.

Examples:
  source <(brook completion bash)                     # this bash session
  brook completion bash > /etc/bash_completion.d/brook
  brook completion zsh > "${fpath[1]}/_brook"          # then restart zsh
  brook completion fish > ~/.config/fish/completions/brook.fish
`

// completedCommands are the commands completed, in the order of "brook help".
var completedCommands = []struct{ name, about string }{
	{"run", "run a query incrementally, batch by batch"},
	{"baseline", "run the same query once in DuckDB"},
	{"diff", "run both and compare the results"},
	{"gen", "write synthetic LANL-like flow files"},
	{"produce", "replay flows into a directory, TCP or Kafka"},
	{"bench", "time the stream against DuckDB"},
	{"repl", "interactive SQL"},
	{"dev-broker", "a development Kafka broker in memory"},
	{"completion", "print a shell completion script"},
	{"help", "show help"},
	{"version", "show the version"},
}

// errFlagsCollected stops a command once its flags are defined (see
// commandFlags).
var errFlagsCollected = errors.New("flags collected")

// collectFlags, when set, is given each command's flag set by parseFlags,
// which then returns errFlagsCollected instead of parsing.
var collectFlags func(fs *pflag.FlagSet)

// commandFlags returns the flags of a command, as the command itself
// defines them: it is run until it parses its arguments.
func commandFlags(cmd string) []*pflag.Flag {
	var flags []*pflag.Flag
	collectFlags = func(fs *pflag.FlagSet) {
		fs.VisitAll(func(f *pflag.Flag) {
			if !f.Hidden && f.Deprecated == "" {
				flags = append(flags, f)
			}
		})
	}
	defer func() { collectFlags = nil }()
	runMainIn(strings.NewReader(""), []string{cmd}, io.Discard, io.Discard)
	return flags
}

func cmdCompletion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprint(stdout, completionUsage)
		return nil
	}
	if len(args) != 1 {
		fmt.Fprint(stderr, completionUsage)
		return errors.New("completion takes one shell: bash, zsh or fish")
	}
	var script string
	switch args[0] {
	case "bash":
		script = bashCompletion()
	case "zsh":
		// zsh runs the bash function through bashcompinit.
		script = "#compdef brook\nautoload -U +X bashcompinit && bashcompinit\n" + bashCompletion()
	case "fish":
		script = fishCompletion()
	default:
		return fmt.Errorf("completion: unknown shell %q: bash, zsh or fish", args[0])
	}
	_, err := io.WriteString(stdout, script)
	return err
}

// flagWords lists a command's flags as typed: --name and -n.
func flagWords(cmd string) []string {
	var words []string
	for _, f := range commandFlags(cmd) {
		words = append(words, "--"+f.Name)
		if f.Shorthand != "" {
			words = append(words, "-"+f.Shorthand)
		}
	}
	words = append(words, "--help")
	sort.Strings(words)
	return words
}

func bashCompletion() string {
	var b strings.Builder
	names := make([]string, len(completedCommands))
	for i, c := range completedCommands {
		names[i] = c.name
	}
	b.WriteString("# bash completion for brook (brook completion bash)\n_brook() {\n")
	b.WriteString("  local cur=\"${COMP_WORDS[COMP_CWORD]}\" opts=\"\"\n")
	fmt.Fprintf(&b, "  if [ \"$COMP_CWORD\" -eq 1 ]; then\n    COMPREPLY=($(compgen -W %q -- \"$cur\"))\n    return\n  fi\n", strings.Join(names, " "))
	b.WriteString("  case \"${COMP_WORDS[1]}\" in\n")
	for _, c := range completedCommands {
		switch c.name {
		case "help":
			fmt.Fprintf(&b, "    help) COMPREPLY=($(compgen -W %q -- \"$cur\")); return ;;\n", strings.Join(names, " "))
			continue
		case "completion":
			b.WriteString("    completion) COMPREPLY=($(compgen -W \"bash zsh fish\" -- \"$cur\")); return ;;\n")
			continue
		case "version":
			continue
		}
		fmt.Fprintf(&b, "    %s) opts=%q ;;\n", c.name, strings.Join(flagWords(c.name), " "))
	}
	b.WriteString("  esac\n")
	b.WriteString("  if [[ \"$cur\" == -* ]]; then\n    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n  else\n    COMPREPLY=($(compgen -f -- \"$cur\"))\n  fi\n}\n")
	b.WriteString("complete -o default -F _brook brook\n")
	return b.String()
}

func fishCompletion() string {
	var b strings.Builder
	b.WriteString("# fish completion for brook (brook completion fish)\ncomplete -c brook -f\n")
	for _, c := range completedCommands {
		fmt.Fprintf(&b, "complete -c brook -n __fish_use_subcommand -a %s -d %s\n", c.name, fishQuote(c.about))
	}
	for _, c := range completedCommands {
		switch c.name {
		case "help", "completion", "version":
			continue
		}
		// Arguments that are not flags are files (queries, data).
		fmt.Fprintf(&b, "complete -c brook -n '__fish_seen_subcommand_from %s' -F\n", c.name)
		for _, f := range commandFlags(c.name) {
			line := fmt.Sprintf("complete -c brook -n '__fish_seen_subcommand_from %s' -l %s", c.name, f.Name)
			if f.Shorthand != "" {
				line += " -s " + f.Shorthand
			}
			if f.Value.Type() != "bool" {
				line += " -r"
			}
			fmt.Fprintf(&b, "%s -d %s\n", line, fishQuote(firstSentence(f.Usage)))
		}
	}
	b.WriteString("complete -c brook -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'\n")
	return b.String()
}

// firstSentence shortens a flag's usage to its first clause, for a menu.
func firstSentence(s string) string {
	for _, sep := range []string{"; ", ": ", ". ", " ("} {
		if i := strings.Index(s, sep); i > 0 {
			s = s[:i]
		}
	}
	return s
}

func fishQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }
