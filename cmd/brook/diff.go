package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"time"

	"brook/baseline"
	"brook/diff"
	"brook/engine"
	"brook/ingest"
	"brook/metrics"
	"brook/sink"
	"brook/sql"
	"brook/stream"
	"brook/value"
)

const diffSummary = `Runs the query as a stream (micro-batch by micro-batch, as brook run does) and
as a static DuckDB baseline over exactly the files the stream read, then
compares the final results key by key: rows missing in the stream, extra rows
in the stream, and values that differ. Rows match on the selected GROUP BY
keys, or whole, as a multiset, when the result has no key; a query with
ORDER BY (or LIMIT) is compared in order as well. A stream that read no
input rows compared nothing: the report says so and the exit status is 1.
When the two sides agree on at most --show rows, the report lists them. Doubles are equal
within a relative tolerance (--tolerance, default 1e-9): summing in another
order may change the last bits, nothing more is forgiven.

Any source can be diffed: what a streaming source (stdin, TCP, Kafka)
consumed is spooled batch by batch as NDJSON files (--spool DIR, default a
temporary directory removed afterwards) and the baseline reads exactly those.
A Kafka source is read up to where each partition ended when the diff
started (stop=end, added to the URI unless it has a stop parameter or
--exit-idle is given), so the diff compares everything the topic held then,
however long the consumer group takes to join; with --exit-idle instead it
reads until nothing arrived for that long.

Like with like: with --on-error skip or quarantine, the baseline reads the
records the stream accepted: files in which the stream rejected lines are
copied without them, and the report gives both sides' rejects by reason. A
file removed or rewritten after the stream read it stops the diff with an
error saying so.

Exit status: 0 equal, 1 different, 2 error.`

const diffExamples = `  brook diff queries/webservers.sql
  brook diff --source flows=../shared/datasets/lanl queries/webservers.sql
  brook diff --format json --files-per-batch 10 queries/top_talkers.sql
  cat flows/*.json | brook diff --source flows=- queries/webservers.sql
  brook diff --source 'flows=kafka://localhost:9092/flows?group=check' queries/webservers.sql
`

func cmdDiff(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	f := newQueryFlags("diff", diffSummary, diffExamples, stderr)
	f.addStreamFlags(ctx, stdin, "keep what a streaming source consumed here, one NDJSON file per micro-batch (default: a temporary directory, removed)")
	f.fs.Lookup("format").Usage = "report format: table (text for people) or json"
	tolerance := f.fs.Float64("tolerance", diff.DefaultTolerance, "relative tolerance for comparing doubles")
	show := f.fs.Int("show", 20, "list at most this many rows of each kind of difference, and an agreed result of at most this many rows (0: all)")
	strict := f.fs.Bool("strict", false, "count differences caused by late rows (dropped by the stream's watermark) as failures")
	f.fs.StringVar(&f.mode, "mode", "", "output mode the stream runs in: complete, update or append (default: append for windowed queries with --lateness, else complete)")
	// A Kafka source is read up to its end (stop=end) unless --exit-idle
	// says otherwise: everything the topic holds, no guess from a quiet
	// spell.
	f.stopAtEnd = true
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
	q, err := engine.New(l.plan, l.engineOptions(true, false))
	if err != nil {
		return exitError, err
	}
	sopts, closeFiles, err := l.streamOptions(nil)
	if err != nil {
		return exitError, err
	}
	defer closeFiles()
	// Like with like: files with rejected lines (or a byte order mark) are
	// copied without them, and the baseline reads the copies.
	cleanDir, err := os.MkdirTemp("", "brook-clean-")
	if err != nil {
		return exitError, err
	}
	defer os.RemoveAll(cleanDir)
	sopts.CleanDir = cleanDir
	if l.stream() {

		if l.spool == "" {
			dir, err := os.MkdirTemp("", "brook-spool-")
			if err != nil {
				return exitError, err
			}
			defer os.RemoveAll(dir)
			l.spool = dir
		}
	}
	src, err := l.open(false)
	if err != nil {
		return exitError, err
	}
	defer src.Close()
	prog := metrics.NewProgress(stderr)
	sum, err := stream.Run(ctx, q, src, sopts, func(b stream.Batch) error {
		if prog.Active() {
			prog.Set("stream: batch %d, %d rows", b.ID, b.RowsIn)
		}
		return nil
	})
	prog.Clear()
	if err != nil {
		return exitError, err
	}
	streamRows, err := q.Final()
	if err != nil {
		return exitError, err
	}
	if testHookBeforeBaseline != nil {
		testHookBeforeBaseline(sum.Files)
	}
	if err := checkUnchanged(src, sum); err != nil {
		return exitError, err
	}
	db, err := baseline.Open(0)
	if err != nil {
		return exitError, err
	}
	defer db.Close()
	stop := prog.Busy(fmt.Sprintf("baseline: DuckDB over %d files", len(sum.Files)), 400*time.Millisecond)
	base, err := db.Run(ctx, l.plan, sum.BaselineFiles())
	stop()
	if err != nil {
		return exitError, err
	}
	rep := diff.Compare(l.plan.OutputSchema().Names(), l.plan.KeyColumns, streamRows, base.Rows, *tolerance)
	if l.plan.Sorted() {
		rep.CheckOrder(streamRows, base.Rows)
	}
	rep.Show = *show
	rep.Stream.RowsRead, rep.Stream.Rejected, rep.Stream.Blank, rep.Stream.Reasons = sum.RowsIn, sum.Rejected, sum.Blank, sum.Reasons
	rep.Baseline.RowsRead = base.RowsRead
	rep.RequireInput()
	likeWithLike(rep, sum)
	late, noTime := q.Late()
	if noTime > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d rows have no event time (NULL) and belong to no window, on both sides", noTime))
	}
	if late > 0 {
		_, windows := q.LateLog()
		rep.Explain(lateExplainer(l.plan, windows), fmt.Sprintf("the stream dropped %d late rows behind its watermark (lateness %gs), in %d windows; the baseline counted them", late, l.lateness, len(windows)), *strict)
		rep.Notes = append(rep.Notes, describeLateWindows(windows, 10)...)
	}
	return writeReport(stdout, rep, l.format, *show)
}

// plural returns "1 line" or "n lines".
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// testHookBeforeBaseline, when set (by tests), runs between the stream and
// the baseline with the files the stream read.
var testHookBeforeBaseline func(files []string)

// checkUnchanged refuses to run the baseline over files that were removed
// or rewritten after the stream read them: DuckDB would read other records
// and every difference would be bogus. Cleaned copies are the stream's own
// bytes and need no check.
func checkUnchanged(src ingest.Source, sum *stream.Summary) error {
	c, ok := src.(interface{ Changed(files []string) []string })
	if !ok {
		return nil
	}
	var originals []string
	for _, f := range sum.Files {
		if _, cleaned := sum.Cleaned[f]; !cleaned {
			originals = append(originals, f)
		}
	}
	changed := c.Changed(originals)
	if len(changed) == 0 {
		return nil
	}
	return fmt.Errorf("the input changed after the stream read it, so the baseline cannot read the same records and no comparison is made:\n  %s\n"+
		"run the diff again once the files stay put (write new files under a temporary name, starting with . or _, then rename them into place)",
		strings.Join(changed, "\n  "))
}

// likeWithLike fills in what the baseline left out of its input (the
// lines the stream rejected, and the files it could not read) and checks
// that both sides read the same number of records.
func likeWithLike(rep *diff.Report, sum *stream.Summary) {
	if sum.Rejected > 0 {
		rep.Baseline.Rejected = sum.LeftOut + int64(len(sum.Skipped))
		rep.Baseline.Reasons = sum.Reasons
		var how []string
		if sum.LeftOut > 0 {
			how = append(how, fmt.Sprintf("the %s the stream rejected, left out of the copies of %s it read instead", plural(sum.LeftOut, "line"), plural(int64(len(sum.Cleaned)), "file")))
		}
		if len(sum.Skipped) > 0 {
			how = append(how, fmt.Sprintf("the %s the stream skipped, not read", plural(int64(len(sum.Skipped)), "unreadable file")))
		}
		rep.Baseline.RejectedHow = strings.Join(how, "; ") + " (like with like)"
	}
	if sum.Repaired > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the stream accepted %s with invalid UTF-8 in fields the query does not read; DuckDB refuses such lines whole, so the baseline read them with those bytes replaced by U+FFFD", plural(sum.Repaired, "line")))
	}
	if rep.Stream.RowsRead != rep.Baseline.RowsRead {
		rep.Notes = append(rep.Notes, fmt.Sprintf("WARNING: the inputs differ: the stream read %d records and DuckDB %d from the same files; differences may come from the input, not the engine", rep.Stream.RowsRead, rep.Baseline.RowsRead))
	}
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

// lateExplainer says whether a result row lies in a window that late rows
// missed: the same group key and an overlapping window interval.
func lateExplainer(p *sql.Plan, windows map[string]*engine.LateWindow) func(row []value.Value) bool {
	type interval struct{ start, end float64 }
	byKey := map[string][]interval{}
	for _, w := range windows {
		var key []byte
		for _, k := range w.Keys {
			key = value.AppendKey(key, k)
		}
		byKey[string(key)] = append(byKey[string(key)], interval{units(w.Start), units(w.End)})
	}
	// A bound the result does not show is taken size from the other: exact
	// for tumbling and hopping windows; for cumulating ones (whose windows
	// are at most size long) the widest window it could be.
	size := 0.0
	if p.Window.Kind != sql.Session {
		size = p.Window.Units(p.Window.Size)
	}
	return func(row []value.Value) bool {
		var key []byte
		for _, g := range groupKeyColumns(p) {
			if g < 0 {
				return false
			}
			key = value.AppendKey(key, row[g])
		}
		start, end := math.Inf(-1), math.Inf(1)
		if c := p.WindowStartColumn; c >= 0 {
			start = units(row[c])
			if size > 0 {
				end = start + size
			}
		}
		if c := p.WindowEndColumn; c >= 0 {
			end = units(row[c])
			if size > 0 && p.WindowStartColumn < 0 {
				start = end - size
			}
		}
		for _, iv := range byKey[string(key)] {
			if iv.start < end && start < iv.end {
				return true
			}
		}
		return false
	}
}

// groupKeyColumns returns, per GROUP BY key, the output column holding it
// (-1 when it is not selected).
func groupKeyColumns(p *sql.Plan) []int {
	cols := make([]int, len(p.GroupBy))
	for i := range cols {
		cols[i] = -1
		for j, o := range p.Output {
			if g, ok := o.Expr.(*sql.GroupRef); ok && g.Index == i {
				cols[i] = j
				break
			}
		}
	}
	return cols
}

func units(v value.Value) float64 {
	if v.Kind == value.Float {
		return v.F
	}
	return float64(v.I)
}

// describeLateWindows lists up to limit windows late rows missed.
func describeLateWindows(windows map[string]*engine.LateWindow, limit int) []string {
	var lines []string
	for _, w := range windows {
		keys := make([]string, len(w.Keys))
		for i, k := range w.Keys {
			keys[i] = k.Format()
		}
		lines = append(lines, fmt.Sprintf("late rows missed window [%s, %s) %s: %d rows", w.Start.Format(), w.End.Format(), strings.Join(keys, ", "), w.Rows))
	}
	sort.Strings(lines)
	if len(lines) > limit {
		lines = append(lines[:limit], fmt.Sprintf("... and %d more windows", len(lines)-limit))
	}
	return lines
}
