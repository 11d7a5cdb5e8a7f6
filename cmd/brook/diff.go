package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"brook/baseline"
	"brook/diff"
	"brook/engine"
	"brook/sink"
	"brook/stream"
)

const diffSummary = `Runs the query as a stream (micro-batch by micro-batch, as brook run does) and
as a static DuckDB baseline over exactly the files the stream read, then
compares the final results key by key: rows missing in the stream, extra rows
in the stream, and values that differ. Rows match on the selected GROUP BY
keys, or whole, as a multiset, when the result has no key. Doubles are equal
within a relative tolerance (--tolerance, default 1e-9): summing in another
order may change the last bits, nothing more is forgiven.

Exit status: 0 equal, 1 different, 2 error.`

const diffExamples = `  brook diff queries/webservers.sql
  brook diff --source flows=../shared/datasets/lanl queries/webservers.sql
  brook diff --format json --files-per-batch 10 queries/top_talkers.sql
`

func cmdDiff(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	f := newQueryFlags("diff", diffSummary, diffExamples, stderr)
	f.fs.Lookup("format").Usage = "report format: table (text for people) or json"
	tolerance := f.fs.Float64("tolerance", diff.DefaultTolerance, "relative tolerance for comparing doubles")
	show := f.fs.Int("show", 20, "list at most this many rows of each kind of difference (0: all)")
	l, err := f.load(args)
	if err != nil {
		return exitError, err
	}
	if f.format == "csv" {
		return exitError, fmt.Errorf("diff reports come as table (text) or json, not csv")
	}
	if f.explain {
		return exitOK, l.explain(stdout, func(files []string) string { return baseline.Render(l.plan, files) })
	}
	q, err := engine.New(l.plan, engine.Options{KeepFinal: true})
	if err != nil {
		return exitError, err
	}
	src, err := l.open(false)
	if err != nil {
		return exitError, err
	}
	defer src.Close()
	sum, err := stream.Run(ctx, q, src, stream.Options{OnError: l.onError}, func(stream.Batch) error { return nil })
	if err != nil {
		return exitError, err
	}
	streamRows, err := q.Final()
	if err != nil {
		return exitError, err
	}
	db, err := baseline.Open(0)
	if err != nil {
		return exitError, err
	}
	defer db.Close()
	base, err := db.Run(ctx, l.plan, sum.Files)
	if err != nil {
		return exitError, err
	}
	rep := diff.Compare(l.plan.OutputSchema().Names(), l.plan.KeyColumns, streamRows, base.Rows, *tolerance)
	rep.Stream.RowsRead, rep.Stream.Rejected = sum.RowsIn, sum.Rejected
	rep.Baseline.RowsRead = base.RowsRead
	if sum.Rejected > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the stream skipped %d undecodable lines (--on-error skip); DuckDB read its input under its own rules", sum.Rejected))
	}
	return writeReport(stdout, rep, l.format, *show)
}

// writeReport prints the report and returns the exit status it stands for.
func writeReport(w io.Writer, rep *diff.Report, format sink.Format, show int) (int, error) {
	if format == sink.JSON {
		if err := json.NewEncoder(w).Encode(rep); err != nil {
			return exitError, err
		}
	} else if _, err := io.WriteString(w, rep.Text(show)); err != nil {
		return exitError, err
	}
	if !rep.Equal {
		return exitDifferent, nil
	}
	return exitOK, nil
}
