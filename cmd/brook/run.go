package main

import (
	"context"
	"fmt"
	"io"

	"brook/baseline"
	"brook/engine"
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

A followed directory never has a file half-read: names starting with "." or
"_" are ignored (write then rename), and a file is read once its size and
modification time have been still for one second.`

const runExamples = `  brook run queries/webservers.sql
  brook run --source flows=../shared/datasets/lanl --emit final queries/top_talkers.sql
  brook run --mode update --files-per-batch 5 queries/protocol_mix.sql
  brook run --follow --source flows=/data/incoming -e 'SELECT count(*) FROM flows'
  brook run --format json -e "SELECT srcdevice FROM flows WHERE dstport = '22'"
  brook run --mode append --lateness 5s --late-rows /tmp/late.jsonl queries/bytes_per_10s.sql
`

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newQueryFlags("run", runSummary, runExamples, stderr)
	emit := f.fs.String("emit", "batches", "what to print: batches (each micro-batch's output) or final (the result once the source is drained)")
	f.fs.StringVar(&f.mode, "mode", "", "output mode: complete, update or append (default: complete for aggregations, append for plain queries)")
	follow := f.fs.Bool("follow", false, "keep watching the source for new files until interrupted")
	maxBatches := f.fs.Int64("max-batches", 0, "stop after this many micro-batches (0: no limit)")
	cpuProfile := f.fs.String("cpuprofile", "", "write a CPU profile of the run to this file (inspect with go tool pprof)")
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
	if *emit != "batches" && *emit != "final" {
		return fmt.Errorf("--emit wants batches or final, got %q", *emit)
	}
	if f.explain {
		return l.explain(stdout, func(files []string) string { return baseline.Render(l.plan, files) })
	}
	final := *emit == "final"
	q, err := engine.New(l.plan, l.engineOptions(final))
	if err != nil {
		return err
	}
	sopts, closeLate, err := l.streamOptions()
	if err != nil {
		return err
	}
	defer closeLate()
	sopts.MaxBatches = *maxBatches
	src, err := l.open(*follow)
	if err != nil {
		return err
	}
	defer src.Close()
	out := sink.NewWriter(stdout, l.format, l.plan.OutputSchema())
	sum, err := stream.Run(ctx, q, src, sopts, func(b stream.Batch) error {
		if final {
			return nil
		}
		return out.Batch(sink.BatchInfo{ID: b.ID, Files: len(b.Files), RowsIn: b.RowsIn, Rejected: len(b.Rejects), Elapsed: b.Elapsed,
			Closing: b.Closing, Late: b.Late, Watermark: b.Watermark}, b.Rows)
	})
	if err != nil {
		return err
	}
	if final {
		rows, err := q.Final()
		if err != nil {
			return err
		}
		if err := out.Result(rows); err != nil {
			return err
		}
	}
	if l.format == sink.Table {
		late, noTime := q.Late()
		extra := ""
		if l.plan.Window != nil {
			extra = fmt.Sprintf(", %d late, %d without event time", late, noTime)
		}
		fmt.Fprintf(stderr, "brook: %d batches, %d files, %d rows in, %d rejected%s, %s\n", sum.Batches, len(sum.Files), sum.RowsIn, sum.Rejected, extra, sink.FormatDuration(sum.Elapsed))
	}
	return nil
}
