package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"brook/baseline"
	"brook/metrics"
	"brook/sink"
)

const baselineSummary = `Runs the query once, statically, in an in-process DuckDB over every file the
source holds now: the same plan, rendered as DuckDB SQL with read_json and an
explicit columns= schema. --explain prints that SQL.`

const baselineExamples = `  brook baseline queries/webservers.sql
  brook baseline --explain queries/webservers.sql
  brook baseline --source flows=../shared/datasets/lanl --format csv queries/protocol_mix.sql
`

func cmdBaseline(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newQueryFlags("baseline", baselineSummary, baselineExamples, stderr)
	threads := f.fs.Int("threads", 0, "DuckDB threads (0: all cores)")
	l, err := f.load(args)
	if err != nil {
		return err
	}
	if f.explain {
		return l.explain(stdout, func(files []string) string { return baseline.Render(l.plan, files) })
	}
	files, err := l.files(stderr)
	if err != nil {
		return err
	}
	db, err := baseline.Open(*threads)
	if err != nil {
		return err
	}
	defer db.Close()
	stop := metrics.NewProgress(stderr).Busy(fmt.Sprintf("DuckDB over %d files", len(files)), 400*time.Millisecond)
	res, err := db.Run(ctx, l.plan, files)
	stop()
	if err != nil {
		return err
	}
	if err := sink.NewWriter(stdout, l.format, res.Schema).Result(res.Rows); err != nil {
		return err
	}
	if l.format == sink.Table {
		fmt.Fprintf(stderr, "brook: DuckDB read %d rows from %d files in %s\n", res.RowsRead, len(files), sink.FormatDuration(res.Elapsed))
	}
	return nil
}
