package main

import (
	"brook/baseline"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/pflag"
)

// Exit statuses.
const (
	exitOK        = 0
	exitDifferent = 1 // diff: the stream and the baseline disagree
	exitError     = 2 // bad usage, bad query, bad input, I/O failure
)

const usage = `brook — continuous SQL over streams of JSON, checked against DuckDB

Usage:
  brook run      [flags] (QUERY.sql | -e 'SQL')   run a query incrementally, batch by batch
  brook baseline [flags] (QUERY.sql | -e 'SQL')   run the same query once in DuckDB
  brook diff     [flags] (QUERY.sql | -e 'SQL')   run both and compare the results
  brook gen      [flags]                          write synthetic LANL-like flow files
  brook produce  [flags]                          replay flows into a directory, TCP or Kafka, at a rate
  brook bench    [flags]                          time the stream against DuckDB (BENCHMARKS.md)
  brook repl     [flags]                          interactive SQL: DuckDB answers, \stream runs live queries
  brook dev-broker [flags]                        a development Kafka broker in memory, for trying brook
  brook completion bash|zsh|fish                  print a shell completion script
  brook help [COMMAND]                            show help
  brook version                                   show the version (also --version)

Examples:
  brook run queries/webservers.sql
  brook diff --source flows=../shared/datasets/lanl queries/webservers.sql
  brook run -e 'SELECT protocol, count(*) FROM flows GROUP BY protocol' --mode update

Exit status: 0 success (diff: equal), 1 diff found differences, 2 error.
Environment: GOGC and GOMEMLIMIT tune the garbage collector as for any Go
program (brook's default GOGC is 200); BROOK_HISTORY names the REPL history.
Run "brook help COMMAND" for a command's flags.
`

func main() {
	if os.Getenv("GOGC") == "" {
		// A stream's garbage is mostly its batches' buffers and the
		// tables it grows; its live state is what it keeps. Collecting
		// when the heap has tripled rather than doubled measured about 5%
		// less time on the COUNT(DISTINCT) benchmark and no change on the
		// others (BENCHMARKS.md). GOGC in the environment still decides.
		debug.SetGCPercent(defaultGCPercent)
	}
	os.Exit(runMain(os.Args[1:], os.Stdout, os.Stderr))
}

// defaultGCPercent is brook's garbage collection target (see main).
const defaultGCPercent = 200

// runMain is main without the process: tests call it directly.
func runMain(args []string, stdout, stderr io.Writer) int {
	return runMainIn(os.Stdin, args, stdout, stderr)
}

// runMainIn is runMain with stdin as standard input (for --source NAME=-).
func runMainIn(stdin io.Reader, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitError
	}
	cmd, rest := args[0], args[1:]
	if wantsHelp(rest) {
		// Help asked for is the command's output: it goes to standard
		// output, where a pager or grep reads it (errors stay on stderr).
		stderr = stdout
	}
	// The REPL takes Ctrl-C as "cancel the statement", any number of
	// times, and ends on SIGTERM; every other command ends on the first
	// signal, and a second one ends the process at once.
	ctx, stop := signalContext(cmd == "repl")
	defer stop()
	var err error
	code := exitOK
	switch cmd {
	case "run":
		err = cmdRun(ctx, rest, stdin, stdout, stderr)
	case "baseline":
		err = cmdBaseline(ctx, rest, stdout, stderr)
	case "diff":
		code, err = cmdDiff(ctx, rest, stdin, stdout, stderr)
	case "gen":
		err = cmdGen(ctx, rest, stdout, stderr)
	case "produce":
		err = cmdProduce(ctx, rest, stdin, stdout, stderr)
	case "bench":
		err = cmdBench(ctx, rest, stdout, stderr)
	case "repl":
		err = cmdRepl(ctx, rest, stdin, stdout, stderr)
	case "dev-broker":
		err = cmdDevBroker(ctx, rest, stdout, stderr)
	case "completion":
		err = cmdCompletion(ctx, rest, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, versionLine())
		return exitOK
	case "help", "-h", "--help":
		if len(rest) > 0 && rest[0] != "help" && rest[0] != "-h" && rest[0] != "--help" {
			return runMain([]string{rest[0], "--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "brook: unknown command %q\n\n%s", cmd, usage)
		return exitError
	}
	if errors.Is(err, pflag.ErrHelp) {
		return exitOK
	}
	var intr interrupted
	if errors.As(context.Cause(ctx), &intr) {
		switch {
		case err == nil:
			// The command stopped cleanly (run and produce: after the
			// batch or chunk in hand); its output is complete so far.
			fmt.Fprintf(stderr, "brook %s: stopped by %s\n", cmd, intr.name())
			return code
		case errors.Is(err, context.Canceled):
			fmt.Fprintf(stderr, "brook %s: %v before it finished\n", cmd, intr)
			return exitError
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "brook %s: %v\n", cmd, err)
		return exitError
	}
	return code
}

// interrupted is the cause of a command's context ending on SIGINT or
// SIGTERM (see signalContext).
type interrupted struct{ sig os.Signal }

func (e interrupted) Error() string { return "interrupted by " + e.name() }

// name is the signal's conventional name: SIGINT or SIGTERM.
func (e interrupted) name() string {
	switch e.sig {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return e.sig.String()
}

// signalContext returns a context that the first SIGINT or SIGTERM
// cancels, with an interrupted cause naming the signal, and a function to
// call when the command returns. The handler is then removed, so that a
// second signal ends the process at once (the default action), whatever
// the command is doing. For the REPL (repl), SIGINT is caught and left to
// it (it cancels the running statement) for as long as it runs, and only
// SIGTERM cancels the context.
func signalContext(repl bool) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-ch:
				if repl && sig == os.Interrupt {
					continue
				}
				if !repl {
					signal.Stop(ch)
				}
				cancel(interrupted{sig})
				if !repl {
					return
				}
			case <-done:
				return
			}
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

// wantsHelp reports whether a command's arguments ask for its help (-h or
// --help before any "--").
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "--help":
			return true
		}
	}
	return false
}

// versionLine says which brook this is: its module version or VCS
// revision (as the Go toolchain recorded them), the Go version, and the
// DuckDB the baseline links, as that DuckDB reports its own version (an
// in-memory database opened for the question) with the Go binding's module.
func versionLine() string {
	version, rev, dirty, duck := "(devel)", "", false, ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		for _, d := range bi.Deps {
			if strings.HasPrefix(d.Path, "github.com/duckdb/duckdb-go") {
				duck = d.Path + " " + d.Version
			}
		}
	}
	line := "brook " + version
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		line += " (" + rev
		if dirty {
			line += ", modified"
		}
		line += ")"
	}
	line += ", " + runtime.Version()
	if v, err := baseline.LibraryVersion(); err == nil {
		line += ", DuckDB " + v
	} else {
		line += ", DuckDB unknown (" + err.Error() + ")"
	}
	if duck != "" {
		line += " (" + duck + ")"
	}
	return line
}
