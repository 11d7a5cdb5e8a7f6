package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"brook/ingest"
	"brook/repl"
	"brook/stream"
	"brook/value"
)

const replSummary = `An interactive SQL shell over the bound sources. A statement ending in ';' (it
may span lines) is answered at once by DuckDB: a SELECT brook can stream as
its \stream would be, anything else (SELECT 42, joins, median, SHOW TABLES,
DESCRIBE, COPY ... TO 'out.csv', CREATE TABLE) in DuckDB's own dialect over
views of the sources and live tables. \stream NAME AS SELECT ...; starts a
continuous query in the background, following its source for new files; its
live result is the table NAME, which later statements read (like Spark's
memory sink), \diff NAME checks against DuckDB over the files read so far,
and \http ADDR NAME serves its dashboard. \help lists commands.

The DuckDB CLI's and psql's habits work: .tables, .schema, .mode csv|json|
line|..., .timer on, .maxrows N, .output FILE, \d [TABLE], \x, \timing on,
\o FILE. Tables show at most 40 rows (the first and the last 20, and "N rows
(40 shown)"; --max-rows or .maxrows change it); Ctrl-C stops a running
statement or its printing.

Sources are bound as in run: a directory, glob or file, or a stream
(tcp://, tcp-listen://, kafka://), which is read in the background as it
arrives, so that statements see what has come so far and \stream follows it.

Line editing, tab completion of keywords, tables and columns, and history in
$BROOK_HISTORY or ~/.brook_history. Errors print with a caret and never end
the session; \quit or Ctrl-D leaves. With its input piped (a script), the
REPL prints no banner, writes errors on stderr, runs every statement and
exits 2 if any failed.`

const replExamples = `  brook repl
  brook repl --source flows=../shared/datasets/lanl
  brook repl --source flows=/data/incoming --files-per-batch 10 --trigger 2s
  brook repl --source 'flows=kafka://localhost:9092/network-traffic?start=earliest'
  echo "COPY (SELECT * FROM flows WHERE protocol = 17) TO 'udp.csv';" | brook repl
`

func cmdRepl(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("repl", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	sources := fs.StringArray("source", nil, "bind a table to a directory, glob or file, or a stream (tcp://, tcp-listen://, kafka://): NAME=URI (repeatable; default flows=testdata/flows)")
	schema := fs.String("schema", "", "declare the sources' schema, e.g. 'time DOUBLE, dstport VARCHAR' (default: inferred by sampling)")
	filesPerBatch := fs.Int("files-per-batch", 1, "files per micro-batch of \\stream queries")
	onError := fs.String("on-error", "fail", "undecodable input lines in \\stream queries: fail or skip")
	threads := fs.Int("threads", 0, "DuckDB threads (0: all cores)")
	history := fs.String("history", "", "history file (default $BROOK_HISTORY or ~/.brook_history; - keeps none)")
	trigger := fs.Duration("trigger", 0, "start a micro-batch of \\stream queries at most once per interval, e.g. 2s (default: as fast as files come)")
	maxRows := fs.Int("max-rows", repl.DefaultMaxRows, "tables show at most this many rows, the first and the last ones (0: every row; .maxrows N in the session)")
	pager := fs.String("pager", "", "page results taller than the terminal through this command, e.g. 'less -S' (.pager in the session)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: brook repl [flags]\n\n%s\n\nFlags:\n%s\nExamples:\n%s", replSummary, fs.FlagUsages(), replExamples)
	}
	if err := parseFlags(fs, args); err != nil {
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
	var spools *replSpools
	var err error
	for name, path := range defaultSources {
		cat.BindDefault(name, path, declared)
	}
	for _, spec := range *sources {
		name, path, ok := strings.Cut(spec, "=")
		if !ok || name == "" || path == "" {
			return fmt.Errorf("--source wants NAME=PATH, got %q", spec)
		}
		if ingest.IsStream(path) {
			if ingest.Scheme(path) == "stdin" {
				return fmt.Errorf("--source %s: the REPL reads its statements from standard input, so a source cannot; pipe the data to brook run, or serve it on a socket with brook produce --to tcp-listen://HOST:PORT and bind tcp://HOST:PORT", spec)
			}
			if spools == nil {
				if spools, err = newSpools(ctx, stderr); err != nil {
					return err
				}
				defer spools.close()
			}
			dir, err := spools.start(name, path)
			if err != nil {
				return fmt.Errorf("--source %s: %w", spec, err)
			}
			path = dir
		}
		cat.Bind(name, path, declared)
	}
	if spools != nil {
		spools.wait(5 * time.Second)
	}
	onErr, err := stream.ParseOnError(*onError)
	if err != nil {
		return err
	}
	if *filesPerBatch < 1 {
		return fmt.Errorf("--files-per-batch must be at least 1")
	}
	if *trigger < 0 {
		return fmt.Errorf("--trigger must not be negative, got %s", *trigger)
	}
	if *maxRows < 0 {
		return fmt.Errorf("--max-rows must be 0 (every row) or more, got %d", *maxRows)
	}
	rows := *maxRows
	if rows == 0 {
		rows = -1 // no cap
	}
	cat.SkipUnreadable(onErr != stream.Fail)
	return repl.Run(ctx, repl.Config{Catalog: cat, FilesPerBatch: *filesPerBatch, OnError: onErr, Threads: *threads,
		HistoryFile: *history, Stdin: readCloser(stdin), Stdout: stdout, Stderr: stderr, Trigger: *trigger, MaxRows: rows, Pager: *pager})
}

// replSpools reads the REPL's streaming sources (TCP, Kafka) in the
// background, each into a directory of its own (see stream.Spool): a SELECT
// reads what has arrived so far, and \stream follows the directory for
// more, as for any directory source.
type replSpools struct {
	ctx    context.Context
	cancel context.CancelFunc
	root   string
	stderr io.Writer
	wg     sync.WaitGroup
	first  []chan struct{} // closed when a source delivered its first batch or ended
	names  []string
}

func newSpools(ctx context.Context, stderr io.Writer) (*replSpools, error) {
	root, err := os.MkdirTemp("", "brook-repl-")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	return &replSpools{ctx: ctx, cancel: cancel, root: root, stderr: stderr}, nil
}

// start opens the source uri and spools it into a new directory, which it
// returns for the table name to be bound to.
func (r *replSpools) start(name, uri string) (string, error) {
	dir := filepath.Join(r.root, fmt.Sprintf("%d-%s", len(r.names), name))
	src, err := ingest.Open(uri, ingest.Options{})
	if err != nil {
		return "", err
	}
	sp, err := stream.Spool(src, dir)
	if err != nil {
		src.Close()
		return "", err
	}
	first := make(chan struct{})
	r.first, r.names = append(r.first, first), append(r.names, name)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer src.Close()
		arrived := sync.OnceFunc(func() { close(first) })
		defer arrived()
		acker, _ := sp.(ingest.Acker)
		for {
			b, err := sp.Next(r.ctx)
			if err != nil {
				if !errors.Is(err, ingest.ErrEndOfInput) && r.ctx.Err() == nil {
					fmt.Fprintf(r.stderr, "brook: source %s (%s) stopped: %v\n", name, uri, err)
				}
				return
			}
			if acker != nil {
				if err := acker.Ack(r.ctx, b); err != nil && r.ctx.Err() == nil {
					fmt.Fprintf(r.stderr, "brook: source %s (%s): %v\n", name, uri, err)
				}
			}
			arrived()
		}
	}()
	return dir, nil
}

// wait gives the sources up to limit to deliver their first records, so
// that the first statements have a schema to infer and data to read.
func (r *replSpools) wait(limit time.Duration) {
	deadline := time.After(limit)
	for i, first := range r.first {
		select {
		case <-first:
		case <-deadline:
			fmt.Fprintf(r.stderr, "brook: nothing has arrived yet from source %s; its table is empty until records come\n", r.names[i])
			return
		case <-r.ctx.Done():
			return
		}
	}
}

// close stops the sources and removes what they spooled.
func (r *replSpools) close() {
	r.cancel()
	r.wg.Wait()
	os.RemoveAll(r.root)
}

// readCloser is stdin as the REPL takes it (an *os.File stays one, so
// that a terminal is recognised).
func readCloser(stdin io.Reader) io.ReadCloser {
	if rc, ok := stdin.(io.ReadCloser); ok {
		return rc
	}
	return io.NopCloser(stdin)
}
