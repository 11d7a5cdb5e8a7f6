package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"brook/baseline"
	"brook/engine"
	"brook/ingest"
	"brook/sink"
	"brook/sql"
	"brook/stream"
	"brook/value"
)

// defaultSources are bound when neither a flag nor the query file binds the
// table: the committed synthetic data set.
var defaultSources = map[string]string{"flows": "testdata/flows"}

// queryFlags are the flags every query command shares.
type queryFlags struct {
	fs            *pflag.FlagSet
	stopAtEnd     bool // brook diff: bounded Kafka reads unless --exit-idle
	expr          string
	sources       []string
	schema        string
	explain       bool
	format        string
	filesPerBatch int
	onError       string
	deadLetter    string
	maxLineBytes  int
	maxGroups     int
	mode          string
	lateness      string
	idleTimeout   time.Duration
	lateRows      string

	// Streaming sources (addStreamFlags).
	trigger    time.Duration
	exitIdle   time.Duration
	maxRecords int
	spool      string
	stdin      io.Reader       // what --source NAME=- reads
	stderr     io.Writer       // where a waiting source says what it waits on
	settle     time.Duration   // run --settle
	checkpoint string          // run --checkpoint: a restarted run plans with the schema it recorded
	ctx        context.Context // ends sampling a streaming source's schema
}

// addStreamFlags adds the flags of streaming sources (stdin, TCP, Kafka).
func (f *queryFlags) addStreamFlags(ctx context.Context, stdin io.Reader, spoolUsage string) {
	f.ctx, f.stdin = ctx, stdin
	f.fs.DurationVar(&f.trigger, "trigger", 0, "processing-time interval between micro-batches of a streaming source, e.g. 500ms: a batch is what arrived in the interval (0: whatever has arrived, as soon as anything has)")
	f.fs.DurationVar(&f.exitIdle, "exit-idle", 0, "end the run once nothing has arrived for this long (for unbounded sources: Kafka, tcp-listen, --follow)")
	f.fs.IntVar(&f.maxRecords, "max-records", ingest.DefaultMaxRecords, "at most this many records (lines) per micro-batch of a streaming source")
	f.fs.StringVar(&f.spool, "spool", "", spoolUsage)
}

func newQueryFlags(name, summary, examples string, stderr io.Writer) *queryFlags {
	f := &queryFlags{fs: pflag.NewFlagSet(name, pflag.ContinueOnError), stderr: stderr}
	fs := f.fs
	fs.SetOutput(stderr)
	fs.SortFlags = false
	fs.StringVarP(&f.expr, "expr", "e", "", "the query text, instead of a QUERY.sql file")
	fs.StringArrayVar(&f.sources, "source", nil, "bind a table to a source: NAME=PATH (a directory, glob or file), NAME=- (stdin), NAME=tcp://host:port, NAME=tcp-listen://host:port or NAME=kafka://brokers/topic?group=G&start=earliest|latest&max=N (repeatable; default flows=testdata/flows)")
	fs.StringVar(&f.schema, "schema", "", "declare the source schema, e.g. 'time DOUBLE, dstport VARCHAR' (default: inferred by sampling)")
	fs.BoolVar(&f.explain, "explain", false, "print the schema, the plan and the DuckDB SQL, then exit")
	fs.StringVar(&f.format, "format", "table", "output format: table, csv or json (one object per line)")
	fs.IntVar(&f.filesPerBatch, "files-per-batch", 1, "files per micro-batch (like Spark's maxFilesPerTrigger)")
	fs.StringVar(&f.onError, "on-error", "fail", "undecodable input lines and unreadable files (corrupt .gz): fail (stop, naming file:line), skip (count and go on) or quarantine (count, write to --dead-letter and go on)")
	fs.StringVar(&f.deadLetter, "dead-letter", "", "with --on-error quarantine: write each rejected line here as NDJSON, with its file, line and reason")
	fs.IntVar(&f.maxLineBytes, "max-line-bytes", ingest.DefaultMaxLineBytes, "reject input lines longer than this many bytes (a stream holds no more of a longer line)")
	fs.IntVar(&f.maxGroups, "max-groups", 0, "stop with an error when the query's state holds more than this many groups (group keys, windows) after a batch (0: no limit)")
	fs.StringVar(&f.lateness, "lateness", "", "allowed lateness of events for windowed queries, e.g. 10s or 0 (turns on the watermark: max event time - lateness)")
	fs.DurationVar(&f.idleTimeout, "idle-timeout", 0, "close all open windows when no input arrived for this long (processing time); a Kafka partition read up to its end stops holding the watermark back after this long without records (default 30s for partitions)")
	fs.StringVar(&f.lateRows, "late-rows", "", "write rows dropped as late to this NDJSON file")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: brook %s [flags] (QUERY.sql | -e 'SQL')\n\n%s\n\nFlags:\n%s\nExamples:\n%s", name, summary, fs.FlagUsages(), examples)
	}
	return f
}

// loaded is a query ready to run: its text, plan and bound sources.
type loaded struct {
	text    string
	plan    *sql.Plan
	catalog *stream.Catalog
	mode    engine.Mode
	format  sink.Format
	batch   int
	onError stream.OnError

	deadLetter   string
	maxLineBytes int
	maxGroups    int

	watermark   bool
	lateness    float64 // seconds
	idleTimeout time.Duration
	lateRows    string

	sourceOpts ingest.Options // for ingest.Open
	spool      string         // spool directory for streaming sources ("": none)
}

// engineOptions are the engine options the flags and header ask for;
// final is for a caller that reads only the final result (see
// engine.Options.FinalOnly), perBatch is for one that reads every batch's rows
// too (a dashboard under --emit final).
func (l *loaded) engineOptions(final, perBatch bool) engine.Options {
	return engine.Options{Mode: l.mode, KeepFinal: final, FinalOnly: final && !perBatch,
		Watermark: l.watermark, Lateness: l.lateness, LogLate: true}
}

// streamOptions opens the late-rows and dead-letter files if asked (the
// returned function closes them). Both take part in the commit protocol
// (see stream.Participant): resumed from cp, each is cut back to the length
// cp recorded for it and appended to; otherwise it is created anew.
func (l *loaded) streamOptions(cp *stream.Checkpoint) (stream.Options, func() error, error) {
	opts := stream.Options{OnError: l.onError, IdleTimeout: l.idleTimeout, MaxLineBytes: l.maxLineBytes, MaxGroups: l.maxGroups}
	var closers []func() error
	closeAll := func() error {
		var first error
		for _, c := range closers {
			if err := c(); err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	open := func(flag, path string) (*sink.AppendFile, error) {
		var committed int64
		resume := false
		if cp != nil {
			committed, resume = cp.Outputs[flag]
		}
		f, err := sink.OpenAppendFile(path, committed, resume)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("--%s: %w", flag, err)
		}
		closers = append(closers, f.Close)
		opts.Outputs = append(opts.Outputs, stream.Output{Name: flag, Participant: f})
		return f, nil
	}
	if l.lateRows != "" {
		f, err := open("late-rows", l.lateRows)
		if err != nil {
			return opts, nil, err
		}
		opts.LateRows = f
	}
	if l.deadLetter != "" {
		f, err := open("dead-letter", l.deadLetter)
		if err != nil {
			return opts, nil, err
		}
		opts.DeadLetter = f
	}
	return opts, closeAll, nil
}

// parseLateness reads "10s", "1m", "500ms" or a plain number of seconds.
func parseLateness(s string) (float64, error) {
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return d.Seconds(), nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 {
		return f, nil
	}
	return 0, fmt.Errorf("lateness wants a duration such as 10s, 1m or 0, got %q", s)
}

// load parses the flags and the query, applies the query file's header
// directives where no flag overrides them, binds sources and plans.
func (f *queryFlags) load(args []string) (*loaded, error) {
	if err := parseFlags(f.fs, args); err != nil {
		return nil, err
	}
	rest := f.fs.Args()
	var text, baseDir string
	switch {
	case f.expr != "" && len(rest) > 0:
		return nil, fmt.Errorf("give either a query file or -e, not both")
	case f.expr != "":
		text, baseDir = f.expr, "."
	case len(rest) == 1:
		data, err := os.ReadFile(rest[0])
		if err != nil {
			return nil, err
		}
		text, baseDir = string(data), filepath.Dir(rest[0])
	case len(rest) == 0:
		return nil, fmt.Errorf("no query: give a QUERY.sql file or -e 'SELECT ...' (see --help)")
	default:
		return nil, fmt.Errorf("one query at a time, got %d arguments: %s", len(rest), strings.Join(rest, " "))
	}
	dirs, err := sql.ParseHeader(text)
	if err != nil {
		return nil, err
	}
	l := &loaded{text: text, catalog: stream.NewCatalog(), batch: f.filesPerBatch}
	var schemaText string
	var headerSources []string
	modeText := f.mode
	latenessText := f.lateness
	l.idleTimeout, l.lateRows = f.idleTimeout, f.lateRows
	for _, d := range dirs {
		switch d.Key {
		case "source":
			headerSources = append(headerSources, d.Value)
		case "schema":
			schemaText = d.Value
		case "mode":
			if !f.fs.Changed("mode") && f.fs.Lookup("mode") != nil {
				modeText = d.Value
			}
		case "lateness":
			if !f.fs.Changed("lateness") {
				latenessText = d.Value
			}
		case "idle-timeout":
			if !f.fs.Changed("idle-timeout") {
				if l.idleTimeout, err = time.ParseDuration(d.Value); err != nil {
					return nil, fmt.Errorf("header: idle-timeout: %w", err)
				}
			}
		case "files-per-batch":
			if !f.fs.Changed("files-per-batch") {
				n, err := strconv.Atoi(d.Value)
				if err != nil || n < 1 {
					return nil, fmt.Errorf("header: files-per-batch wants a positive integer, got %q", d.Value)
				}
				l.batch = n
			}
		}
	}
	if f.fs.Changed("schema") {
		schemaText = f.schema
	}
	var declared value.Schema
	if schemaText != "" {
		if declared, err = value.ParseSchema(schemaText); err != nil {
			return nil, err
		}
	}
	for name, path := range defaultSources {
		l.catalog.BindDefault(name, path, declared)
	}
	bind := func(spec, relTo string) error {
		name, path, ok := strings.Cut(spec, "=")
		if !ok || name == "" || path == "" {
			return fmt.Errorf("--source wants NAME=PATH, got %q", spec)
		}
		if relTo != "" && !filepath.IsAbs(path) && ingest.Scheme(path) == "" {
			path = filepath.Join(relTo, path)
		}
		l.catalog.Bind(name, path, declared)
		return nil
	}
	for _, s := range headerSources {
		if err := bind(s, baseDir); err != nil {
			return nil, err
		}
	}
	for _, s := range f.sources {
		if err := bind(s, ""); err != nil {
			return nil, err
		}
	}
	if latenessText != "" {
		if l.lateness, err = parseLateness(latenessText); err != nil {
			return nil, err
		}
		l.watermark = true
	}
	if l.batch < 1 {
		return nil, fmt.Errorf("--files-per-batch must be at least 1")
	}
	if l.format, err = sink.ParseFormat(f.format); err != nil {
		return nil, err
	}
	if l.onError, err = stream.ParseOnError(f.onError); err != nil {
		return nil, err
	}
	switch {
	case l.onError == stream.Quarantine && f.deadLetter == "":
		return nil, fmt.Errorf("--on-error quarantine needs --dead-letter FILE to write the rejected lines to")
	case l.onError != stream.Quarantine && f.deadLetter != "":
		return nil, fmt.Errorf("--dead-letter is written with --on-error quarantine, not %s", l.onError)
	case f.maxLineBytes < 1:
		return nil, fmt.Errorf("--max-line-bytes must be at least 1")
	case f.maxGroups < 0:
		return nil, fmt.Errorf("--max-groups must be 0 (no limit) or more")
	}
	l.deadLetter, l.maxLineBytes, l.maxGroups = f.deadLetter, f.maxLineBytes, f.maxGroups
	if modeText != "" {
		if l.mode, err = engine.ParseMode(modeText); err != nil {
			return nil, err
		}
	}
	if f.maxRecords < 1 && f.fs.Lookup("max-records") != nil {
		return nil, fmt.Errorf("--max-records must be at least 1")
	}
	if f.fs.Lookup("settle") != nil && f.settle <= 0 {
		return nil, fmt.Errorf("--settle wants a positive duration")
	}
	if f.trigger < 0 || f.exitIdle < 0 {
		return nil, fmt.Errorf("--trigger and --exit-idle want a positive duration")
	}
	follow := false
	if fl := f.fs.Lookup("follow"); fl != nil {
		follow = fl.Value.String() == "true"
	}
	l.sourceOpts = ingest.Options{FilesPerBatch: l.batch, Follow: follow, Trigger: f.trigger, MaxRecords: f.maxRecords, ExitIdle: f.exitIdle, StopAtEnd: f.stopAtEnd && f.exitIdle == 0, Stdin: f.stdin, MaxLineBytes: f.maxLineBytes, Settle: f.settle,
		PartIdle: l.idleTimeout,
		Waiting:  func(what string) { fmt.Fprintf(f.stderr, "brook: %s\n", what) },
		Warn:     func(msg string) { fmt.Fprintf(f.stderr, "brook: warning: %s\n", msg) }}
	l.spool = f.spool
	ctx := f.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	l.catalog.SetSourceOptions(ctx, l.sourceOpts)
	l.catalog.SkipUnreadable(l.onError != stream.Fail)
	if f.checkpoint != "" {
		if err := restoreSchema(l.catalog, f.checkpoint); err != nil {
			return nil, err
		}
	}
	if l.plan, err = sql.Build(text, l.catalog); err != nil {
		var se *sql.Error
		if errors.As(err, &se) {
			return nil, fmt.Errorf("query:\n%w", err)
		}
		return nil, err
	}
	return l, nil
}

// restoreSchema binds each source without a declared schema whose binding
// is the one the checkpoint in dir was written over to the schema the
// checkpoint recorded, so that a resumed run plans with the schema its
// state was built with (the checkpoint's Identity depends on it) and
// samples nothing: a Kafka topic would otherwise be read again to infer a
// schema, waiting for records that may not come. A checkpoint that cannot
// be read binds nothing: the run checks it once planned, and reports what
// is wrong. One an older brook wrote, without a schema, is
// refused over Kafka: it holds no offsets to resume from either.
func restoreSchema(c *stream.Catalog, dir string) error {
	cp, err := stream.PeekCheckpoint(dir)
	if err != nil || cp == nil {
		return nil
	}
	schema, err := value.ParseSchema(cp.Schema)
	if err != nil || schema.String() != cp.Schema {
		schema = nil // a name the text form cannot carry: inferred again
	}
	for _, name := range c.Tables() {
		if stream.SourceIdentity(c, name) != cp.Sources {
			continue
		}
		b, _ := c.Binding(name)
		if cp.Schema == "" && ingest.Scheme(b.Path) == "kafka" && b.Declared == nil {
			return fmt.Errorf("%w: %s was written by an older brook, which recorded neither the schema nor the offsets of %s; start with an empty --checkpoint directory",
				stream.ErrCheckpointMismatch, dir, b.Path)
		}
		c.Restore(name, schema)
	}
	return nil
}

// open opens the plan's source; a streaming source is spooled when a spool
// directory is set, so that its batches name files the baseline can read.
func (l *loaded) open(follow bool) (ingest.Source, error) {
	opts := l.sourceOpts
	opts.Follow = follow
	src, err := l.catalog.OpenSource(l.plan.Table, opts)
	if err != nil {
		return nil, err
	}
	if b, _ := l.catalog.Binding(l.plan.Table); b.Stream() && l.spool != "" {
		sp, err := stream.Spool(src, l.spool)
		if err != nil {
			src.Close()
			return nil, err
		}
		return sp, nil
	}
	return src, nil
}

// stream reports whether the plan reads a streaming source.
func (l *loaded) stream() bool {
	b, _ := l.catalog.Binding(l.plan.Table)
	return b.Stream()
}

// files lists the files the plan's source holds now; names that are not
// regular files (a named pipe called x.json) are left out, each reported
// on stderr.
func (l *loaded) files(stderr io.Writer) ([]string, error) {
	if b, _ := l.catalog.Binding(l.plan.Table); b.Stream() {
		return nil, fmt.Errorf("source %s is a stream, not files: brook diff runs the baseline over what the stream consumed (spooled), and brook run --spool DIR keeps it", b.Path)
	}
	src, err := l.catalog.Open(l.plan.Table, ingest.DirOptions{FilesPerBatch: l.batch})
	if err != nil {
		return nil, err
	}
	files, skipped, err := src.ListSkipping()
	for _, fe := range skipped {
		fmt.Fprintf(stderr, "brook: skipped %s\n", fe)
	}
	return files, err
}

// explain prints what a query will do: the source and its schema, the plan
// and the baseline's DuckDB SQL.
func (l *loaded) explain(w io.Writer, renderSQL func(files []string) string) error {
	b, _ := l.catalog.Binding(l.plan.Table)
	var files []string
	if b.Stream() {
		fmt.Fprintf(w, "-- source %s: %s (a stream: the baseline reads the batches it consumed, spooled as NDJSON files)\n", b.Name, ingest.RedactKafkaURI(b.Path))
		files = []string{filepath.Join(cmp.Or(l.spool, "SPOOL"), "batch-000000.jsonl"), filepath.Join(cmp.Or(l.spool, "SPOOL"), "batch-000001.jsonl")}
	} else {
		var err error
		if files, err = l.files(io.Discard); err != nil {
			return err
		}
		fmt.Fprintf(w, "-- source %s: %s (%d files)\n", b.Name, b.Path, len(files))
	}
	fmt.Fprintf(w, "-- schema (%s):\n--   %s\n", b.SchemaSource(), l.plan.Schema)
	fmt.Fprintf(w, "-- plan:\n%s", l.plan)
	duck := "DuckDB"
	if v, err := baseline.LibraryVersion(); err == nil {
		duck += " " + v
	}
	fmt.Fprintf(w, "-- %s baseline SQL:\n%s;\n", duck, renderSQL(files))
	return nil
}
