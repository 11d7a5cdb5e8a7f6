package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"brook/ingest"
	"brook/repl"
	"brook/stream"
	"brook/value"
)

const replSummary = `An interactive SQL shell over the bound sources. A SELECT ending in ';' (it
may span lines) is answered at once by the DuckDB baseline. \stream NAME AS
SELECT ...; starts a continuous query in the background, following its source
for new files; its live result is the table NAME, which later SELECTs read
(like Spark's memory sink), \diff NAME checks against DuckDB over the files
read so far, and \http ADDR NAME serves its dashboard. \help lists commands.

Line editing, tab completion of keywords, tables and columns, and history in
$BROOK_HISTORY or ~/.brook_history. Errors print with a caret and never end
the session; Ctrl-C cancels a running statement, \quit or Ctrl-D leaves.`

const replExamples = `  brook repl
  brook repl --source flows=../shared/datasets/lanl
  brook repl --source flows=/data/incoming --files-per-batch 10
`

func cmdRepl(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("repl", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	sources := fs.StringArray("source", nil, "bind a table to a directory, glob or file: NAME=PATH (repeatable; default flows=testdata/flows)")
	schema := fs.String("schema", "", "declare the sources' schema, e.g. 'time DOUBLE, dstport VARCHAR' (default: inferred by sampling)")
	filesPerBatch := fs.Int("files-per-batch", 1, "files per micro-batch of \\stream queries")
	onError := fs.String("on-error", "fail", "undecodable input lines in \\stream queries: fail or skip")
	threads := fs.Int("threads", 0, "DuckDB threads (0: all cores)")
	history := fs.String("history", "", "history file (default $BROOK_HISTORY or ~/.brook_history; - keeps none)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: brook repl [flags]\n\n%s\n\nFlags:\n%s\nExamples:\n%s", replSummary, fs.FlagUsages(), replExamples)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("repl takes no arguments, got %s (bind sources with --source NAME=PATH)", strings.Join(fs.Args(), " "))
	}
	var declared value.Schema
	if *schema != "" {
		var err error
		if declared, err = value.ParseSchema(*schema); err != nil {
			return err
		}
	}
	cat := stream.NewCatalog()
	for name, path := range defaultSources {
		cat.Bind(name, path, declared)
	}
	for _, spec := range *sources {
		name, path, ok := strings.Cut(spec, "=")
		if !ok || name == "" || path == "" {
			return fmt.Errorf("--source wants NAME=PATH, got %q", spec)
		}
		if ingest.IsStream(path) {
			return fmt.Errorf("--source %s: brook repl binds directories, globs and files (DuckDB answers its SELECTs over them); stream a socket, Kafka topic or standard input with brook run, or write it to a directory with brook run --spool DIR", spec)
		}
		cat.Bind(name, path, declared)
	}
	onErr, err := stream.ParseOnError(*onError)
	if err != nil {
		return err
	}
	if *filesPerBatch < 1 {
		return fmt.Errorf("--files-per-batch must be at least 1")
	}
	return repl.Run(ctx, repl.Config{Catalog: cat, FilesPerBatch: *filesPerBatch, OnError: onErr, Threads: *threads,
		HistoryFile: *history, Stdin: os.Stdin, Stdout: stdout, Stderr: stderr})
}
