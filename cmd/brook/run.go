package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"brook/baseline"
	"brook/dashboard"
	"brook/engine"
	"brook/ingest"
	"brook/metrics"
	"brook/sink"
	"brook/stream"
)

const runSummary = `Runs a query incrementally over micro-batches of NDJSON files, keeping per-group
state across batches, and prints each batch's result as Spark's console sink
does: the batch number, the rows it read, the time it took, then the table.
Without --follow it exits once every file present has been read.

Output modes (--mode): complete prints the whole result after every batch
(default for GROUP BY, aggregates and LIMIT); update prints only the rows the
batch changed; append prints each batch's own rows (the only mode, and the
default, for plain SELECT ... WHERE queries).

Event-time windows: GROUP BY TUMBLE(time, 10), HOP(time, 10, 60) (slide, then
size), SESSION(time, 30) or Spark's window(time, size[, slide]); in SELECT the
same call is the window start, TUMBLE_END(...) etc. the end. --lateness turns
on the watermark (max event time - lateness): append mode then emits each
window once, final, when the watermark passes its end, rows for closed windows
are dropped as late (counted; --late-rows writes them), and closed windows are
evicted so memory stays bounded. When the input ends, every window closes.

--checkpoint DIR commits after every micro-batch, once its output is written
and synced to disk, the source position, what the batch changed in the query
state (the groups and windows it touched or closed, the new distinct values)
and the length of every output file (file sinks, --dead-letter, --late-rows):
a checksummed record appended to a log in DIR and fsync'd, the log compacted
into a base holding the whole state as it grows; then Kafka offsets are
committed. Restarted with the same DIR, a run resumes after the last
committed batch and cuts each output file back to its committed length
before appending: after a crash at any point, every batch's rows, rejected
lines and late rows appear exactly once in the files (a Kafka sink commits
each batch's transaction before the checkpoint and skips, on resume, a batch
the topic already holds). The console sink cannot be exactly-once: the
batches after the last checkpoint are printed again. A checkpoint of another
query, or of the same query over other --source bindings, is refused; a
damaged one is reported as such. --checkpoint-interval N (batches) or a
duration (10s) commits less often: cheaper, but a crash then replays the
batches since the last commit (the default, 1, commits every batch; an
acknowledged source such as Kafka commits every batch regardless).
SIGINT and SIGTERM stop a run cleanly after the current batch, also while it
waits for input (exit 0, "stopped by SIGTERM"); a run still inferring its
schema exits 2, "interrupted". A second signal ends it at once.

A followed directory: names starting with "." or "_" are ignored, so a file
written under such a name and renamed into place is never seen half-written
(the recommended way). Any other file is read once it ends with a newline
and its size and modification time have not changed for --settle (1s); a
file whose last line lacks its newline is waited for, however long. A writer
that pauses longer than --settle after a newline has its file read early: a
file that changes after it was read is then reported, naming it (the run
stops under --on-error fail, counts it under skip), never ignored.

Sources (--source NAME=URI): a directory, glob or file; - or stdin: (NDJSON
on standard input, drained at end of file); tcp://host:port (connect and read
lines, drained when the peer closes; --follow reconnects);
tcp-listen://host:port (accept producers; drained when the last one leaves;
--follow keeps accepting); kafka://broker1,broker2/topic?group=G&start=
earliest|latest&max=N (a consumer group whose offsets are committed only
after a batch's results were written to every sink; under --checkpoint a
restart reads each partition from the offset the checkpoint recorded, with
the schema it recorded, and a Kafka sink gets every batch exactly once; a
real cluster takes tls=true&sasl=plain&user=NAME, the password in
$BROOK_KAFKA_PASSWORD, as the README's Kafka section says, on sources and
sinks alike). A streaming source
batches what arrived in each --trigger interval, at most --max-records lines;
--exit-idle ends the run once nothing arrived for that long. Without
--schema, a stream's schema is inferred from the first records it delivers.

The console table shows at most --num-rows rows of each batch, or of the
final result (default 20, as Spark's console sink; the first rows in the
result's order, the query's ORDER BY if it has one), then "only showing top
20 of 10,495 rows"; --num-rows 0 shows all, --truncate N cuts longer cell
values to N characters. Only that table is capped: --format csv and json,
and every --sink file or topic, get every row.

Sinks (--sink URI, repeatable; default console): console; file:///path/
out.jsonl or .csv (every emitted row appended with its batch number, in a
column named batch, or _batch when the result has a batch column: in
complete mode the latest batch is the whole result, in update mode the last
row of a key is current, in append mode each row appears once);
file:///path/out.parquet (the same, written by DuckDB when the run ends);
kafka://brokers/topic (one JSON record per emitted row, keyed by the group
key). With --emit final each sink receives only the final result. The console
sink is never exactly-once (see --checkpoint).`

const runExamples = `  brook run queries/webservers.sql
  brook run --source flows=../shared/datasets/lanl --emit final queries/top_talkers.sql
  brook run --mode update --files-per-batch 5 queries/protocol_mix.sql
  brook run --follow --source flows=/data/incoming -e 'SELECT count(*) FROM flows'
  brook run --format json -e "SELECT srcdevice FROM flows WHERE dstport = '22'"
  brook run --mode append --lateness 5s --late-rows /tmp/late.jsonl queries/bytes_per_10s.sql
  cat ../shared/datasets/lanl/*.json | brook run --source flows=- --emit final queries/webservers.sql
  brook run --source flows=tcp://127.0.0.1:9999 --trigger 500ms --mode update queries/protocol_mix.sql
  brook run --source 'flows=kafka://localhost:9092/network-traffic?group=brook' --trigger 1s \
      --mode update --sink kafka://localhost:9092/processed-data --sink file:///tmp/out.csv queries/top_talkers.sql
`

func cmdRun(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	f := newQueryFlags("run", runSummary, runExamples, stderr)
	f.addStreamFlags(ctx, stdin, "keep what a streaming source consumed in this directory, one NDJSON file per micro-batch (for a later baseline)")
	sinks := f.fs.StringArray("sink", nil, "where results go: console, file:///path/out.jsonl|.csv|.parquet or kafka://brokers/topic (repeatable; default console)")
	numRows := f.fs.Int("num-rows", 20, "with --format table on the console: print at most this many rows of each batch's table (the first, in the result's order), then \"only showing top N of M rows\" (0: all); CSV, JSON and --sink files and topics always get every row")
	truncate := f.fs.Int("truncate", 0, "with --format table on the console: cut cell values longer than this many characters, ending them with … (0: no truncation)")
	emit := f.fs.String("emit", "batches", "what to print: batches (each micro-batch's output) or final (the result once the source is drained)")
	f.fs.StringVar(&f.mode, "mode", "", "output mode: complete, update or append (default: complete for aggregations, append for plain queries)")
	follow := f.fs.Bool("follow", false, "keep watching the source for new files until interrupted")
	f.fs.DurationVar(&f.settle, "settle", time.Second, "with --follow: read a file once it ends with a newline and its size and modification time have not changed for this long")
	maxBatches := f.fs.Int64("max-batches", 0, "stop after this run has processed this many micro-batches (0: no limit); batches restored from --checkpoint do not count")
	cpuProfile := f.fs.String("cpuprofile", "", "write a CPU profile of the run to this file (inspect with go tool pprof)")
	memProfile := f.fs.String("memprofile", "", "write a memory profile (every allocation of the run, and the heap at its end) to this file (go tool pprof -sample_index=alloc_space)")
	traceOut := f.fs.String("trace", "", "write an execution trace of the run (goroutines, cores, GC) to this file (inspect with go tool trace)")
	checkpoint := &f.checkpoint
	f.fs.StringVar(checkpoint, "checkpoint", "", "commit the source position and all query state to this directory after every micro-batch, and resume from it on restart (exactly-once results)")
	ckInterval := f.fs.String("checkpoint-interval", "1", "with --checkpoint, commit every N micro-batches, or at most once per duration (e.g. 5s); a crash replays the batches since the last commit")
	httpAddr := f.fs.String("http", "", "serve a live dashboard (result table, chart of windows, progress) and /metrics on this address, e.g. 127.0.0.1:8080 (loopback unless a host is named); it stays up after the input ends until interrupted")
	l, err := f.load(args)
	if err != nil {
		return err
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	if *traceOut != "" {
		stop, err := startTrace(*traceOut)
		if err != nil {
			return err
		}
		defer stop()
	}
	if *memProfile != "" {
		stop, err := startMemProfile(*memProfile)
		if err != nil {
			return err
		}
		defer func() {
			if err := stop(); err != nil {
				fmt.Fprintf(stderr, "brook: memory profile: %v\n", err)
			}
		}()
	}
	if *numRows < 0 || *truncate < 0 {
		return fmt.Errorf("--num-rows and --truncate want 0 (no cap) or more")
	}
	if *emit != "batches" && *emit != "final" {
		return fmt.Errorf("--emit wants batches or final, got %q", *emit)
	}
	if f.explain {
		return l.explain(stdout, func(files []string) string { return baseline.Render(l.plan, files) })
	}
	final := *emit == "final"
	q, err := engine.New(l.plan, l.engineOptions(final, *httpAddr != ""))
	if err != nil {
		return err
	}
	var identity, sources string
	var cp *stream.Checkpoint
	target := sink.Target{Schema: l.plan.OutputSchema(), Keys: l.plan.KeyColumns, Format: l.format, Stdout: stdout, Final: final,
		NumRows: *numRows, Truncate: *truncate, StableRows: q.StableRows()}
	if *checkpoint != "" {
		target.Checkpoint = *checkpoint // a Kafka sink publishes in transactions
		identity, sources = stream.Identity(q, l.engineOptions(final, *httpAddr != "")), stream.SourceIdentity(l.catalog, l.plan.Table)
		if cp, err = stream.LoadCheckpointFor(*checkpoint, identity, sources); err != nil {
			return err
		}
		if cp != nil { // file sinks keep the committed batches' output
			target.Resume, target.ResumeBatch = true, cp.Batches
		}
	}
	sopts, closeFiles, err := l.streamOptions(cp) // a resumed run cuts its side outputs back and appends
	if err != nil {
		return err
	}
	defer closeFiles()
	sopts.MaxBatches = *maxBatches
	if *checkpoint != "" {
		sopts.CheckpointDir, sopts.Identity, sopts.Sources = *checkpoint, identity, sources
		if sopts.CheckpointInterval, sopts.CheckpointPeriod, err = parseInterval(*ckInterval); err != nil {
			return err
		}
	}
	if col := sink.BatchColumn(target.Schema); col != "batch" && !final && addsBatchColumn(*sinks, l.format) {
		fmt.Fprintf(stderr, "brook: the result has a column named batch; the batch number goes in column %s\n", col)
	}
	outs, err := openSinks(*sinks, target, cp)
	if err != nil {
		return err
	}
	for _, o := range outs { // a Kafka sink holding the batch replayed first: read its records again
		if r, ok := o.(interface{ ReplayBound() map[string]int64 }); ok && sopts.Replay == nil {
			sopts.Replay = r.ReplayBound()
		}
	}
	for i, o := range outs {
		if p, ok := o.(stream.Participant); ok && *checkpoint != "" {
			sopts.Outputs = append(sopts.Outputs, stream.Output{Name: sinkOutputName((*sinks)[i]), Participant: p})
		}
	}
	defer func() { // on an early return; emptied once closed normally
		for _, o := range outs {
			if o != nil {
				o.Close()
			}
		}
	}()
	src, err := l.open(*follow)
	if err != nil {
		return err
	}
	defer src.Close()
	sopts.DeferAck = final // acknowledge once the final result is written
	var dash *dashboard.Server
	if *httpAddr != "" {
		dash = dashboard.New(l.plan, q.Mode(), nil)
		url, err := dash.Start(*httpAddr)
		if err != nil {
			return err
		}
		defer dash.Close()
		fmt.Fprintf(stderr, "brook: dashboard at %s (Prometheus metrics at %smetrics)\n", url, url)
	}
	// A status line while catching up, on a terminal stderr, when the
	// tables do not go to the same terminal.
	prog := metrics.NewProgress(stderr)
	showProgress := prog.Active() && (final || !metrics.IsTerminal(stdout))
	var progRows, progFiles int64
	defer prog.Clear()
	sum, err := stream.Run(ctx, q, src, sopts, func(b stream.Batch) error {
		if dash != nil {
			dash.Observe(b)
		}
		if showProgress {
			progRows += int64(b.RowsIn)
			progFiles += int64(len(b.Files))
			prog.Set("brook: batch %d, %d files, %d rows in, %s/batch, %d groups", b.ID, progFiles, progRows, sink.FormatDuration(b.Elapsed), b.Groups)
		}
		if final {
			return nil
		}
		info := sink.BatchInfo{ID: b.ID, Files: len(b.Files), RowsIn: b.RowsIn, Rejected: len(b.Rejects), Elapsed: b.Elapsed,
			Closing: b.Closing, Late: b.Late, Watermark: b.Watermark, Position: b.Position}
		for _, o := range outs {
			if err := o.Batch(info, b.Rows); err != nil {
				return err
			}
		}
		return nil
	})
	prog.Clear()
	if err != nil {
		return err
	}
	if final {
		rows, err := q.Final()
		if err != nil {
			return err
		}
		for _, o := range outs {
			if err := o.Result(rows); err != nil {
				return err
			}
		}
	}
	for i, o := range outs { // flush every sink before acknowledging
		outs[i] = nil
		if err := o.Close(); err != nil {
			return err
		}
	}
	if err := sum.Ack(ctx); err != nil {
		return err
	}
	for i, name := range sum.Skipped {
		fmt.Fprintf(stderr, "brook: skipped %s: %s\n", name, sum.SkippedWhy[i])
	}
	if l.format == sink.Table {
		late, noTime := q.Late()
		extra := ""
		if l.plan.Window != nil {
			extra = fmt.Sprintf(", %d late, %d without event time", late, noTime)
		}
		if sum.Blank > 0 {
			extra += ", " + plural(sum.Blank, "blank line")
		}
		if len(sum.Skipped) > 0 {
			extra += ", " + plural(int64(len(sum.Skipped)), "unreadable file") + " skipped"
		}
		if sum.Rejected > 0 && l.deadLetter != "" {
			extra += " (rejected lines quarantined in " + l.deadLetter + ")"
		}
		files := ""
		if !l.stream() {
			files = ", " + plural(int64(len(sum.Files)), "file")
		}
		fmt.Fprintf(stderr, "brook: %s%s, %d rows in, %d rejected%s, %s\n", batchCount(int64(sum.Batches)), files, sum.RowsIn, sum.Rejected, extra, sink.FormatDuration(sum.Elapsed))
	}
	if dash != nil && ctx.Err() == nil {
		fmt.Fprintln(stderr, "brook: input read; the dashboard stays up until interrupted (Ctrl-C)")
		<-ctx.Done()
	}
	return nil
}

// sinkOutputName names a --sink in the checkpoint's outputs: a file sink
// by its absolute path (however the URI spells it), a Kafka sink by its
// URI without connection parameters (see ingest.KafkaIdentity), any other
// by its URI.
func sinkOutputName(uri string) string {
	path, isFile := strings.CutPrefix(uri, "file://")
	if !isFile && strings.Contains(uri, "://") {
		return "sink " + ingest.KafkaIdentity(uri)
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return "sink file://" + path
}

// addsBatchColumn reports whether any of the --sink URIs (console when
// there are none) writes CSV or JSON rows with a batch number column: a
// file sink, or the console in the csv or json format.
func addsBatchColumn(uris []string, format sink.Format) bool {
	if len(uris) == 0 {
		uris = []string{"console"}
	}
	for _, u := range uris {
		switch lower := strings.ToLower(u); {
		case lower == "console" || lower == "console:" || lower == "-":
			if format != sink.Table {
				return true
			}
		case !strings.HasPrefix(lower, "kafka://"):
			return true
		}
	}
	return false
}

// openSinks opens the --sink URIs (console when there are none); resumed
// from cp, each file sink is cut back to the length cp recorded for it.
func openSinks(uris []string, t sink.Target, cp *stream.Checkpoint) ([]sink.Sink, error) {
	if len(uris) == 0 {
		uris = []string{"console"}
	}
	var outs []sink.Sink
	for _, u := range uris {
		if cp != nil {
			t.Committed, t.HasCommitted = cp.Outputs[sinkOutputName(u)]
		}
		o, err := sink.Open(u, t)
		if err != nil {
			for _, o := range outs {
				o.Close()
			}
			return nil, err
		}
		outs = append(outs, o)
	}
	return outs, nil
}

// parseInterval reads --checkpoint-interval: a number of batches or a
// duration.
func parseInterval(v string) (int64, time.Duration, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 1 {
		return n, 0, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return 0, d, nil
	}
	return 0, 0, fmt.Errorf("--checkpoint-interval %q: want a number of batches (1 or more) or a duration such as 10s", v)
}

// batchCount is "1 batch" or "N batches".
func batchCount(n int64) string {
	if n == 1 {
		return "1 batch"
	}
	return fmt.Sprintf("%d batches", n)
}
