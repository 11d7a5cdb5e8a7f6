package difftest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"brook/baseline"
	"brook/diff"
	"brook/engine"
	"brook/ingest"
	"brook/sql"
	"brook/stream"
	"brook/value"
)

// Catalog binds table t to Schema; it implements sql.Catalog.
type Catalog struct{}

// Schema returns Schema for t.
func (Catalog) Schema(table string) (value.Schema, error) {
	if strings.EqualFold(table, "t") {
		return Schema, nil
	}
	return nil, sql.ErrUnknownTable
}

// Tables lists t.
func (Catalog) Tables() []string { return []string{"t"} }

// Case is one query over one dataset, written to Dir as Files.
type Case struct {
	Seed  uint64 // drives the batch cuts, checkpoint and lateness of the checks
	Query string
	Data  *Dataset
	Dir   string   // where the files are
	Files []string // their paths, in order
	// Rerun is the go test command line that runs the case again (empty:
	// the seed's, in TestDifferential).
	Rerun string
}

// Outcome classifies a checked case.
type Outcome int

// Outcomes of Check.
const (
	Agreed     Outcome = iota // both sides gave the same answer in every check
	BothFailed                // the baseline and every stream run failed
	Refused                   // the planner refused the query (not run)
	Disagreed                 // a finding
)

// Finding is a disagreement: between the stream and DuckDB, or between two
// ways of running the stream that must give the same answer.
type Finding struct {
	Case   *Case
	Check  string // which run disagreed: "stream.Run, 1 file per batch", ...
	Kind   string // differential, order, update, append, checkpoint
	Detail string
	Stream [][]value.Value
	Base   [][]value.Value
	SErr   error
	BErr   error
	Flags  string // extra brook diff flags that reproduce the run (mode, lateness)
	Plan   *sql.Plan
}

// Runner checks cases against one DuckDB database.
type Runner struct {
	DB *baseline.DB
}

// run is one way of running the stream and its result.
type run struct {
	name  string
	kind  string
	flags string
	rows  [][]value.Value
	err   error
	order bool // compare in order too (the plan sorts)
	late  int64
	// mayFail marks a run that evaluates the result after every batch:
	// an intermediate state may fail (a cast of a partial sum) where
	// DuckDB, which evaluates only the final state, does not. Its rows
	// are compared when it succeeds.
	mayFail bool
}

// Check builds the case's query, runs it on DuckDB and in several ways on
// the stream, and compares. It returns the first disagreement found.
func (r *Runner) Check(ctx context.Context, c *Case) (Outcome, *Finding) {
	plan, err := sql.Build(c.Query, Catalog{})
	if err != nil {
		return Refused, nil
	}
	base, berr := r.DB.Run(ctx, plan, c.Files)
	var brows [][]value.Value
	if berr == nil {
		brows = base.Rows
	}
	rng := rand.New(rand.NewPCG(c.Seed, 0x636865636b73)) // "checks"
	lines := c.lines()
	var runs []run
	add := func(ru run) { runs = append(runs, ru) }

	// As brook diff runs it: a directory source, one file per micro-batch.
	add(r.streamRun(ctx, plan, c, 1))
	if len(c.Files) > 1 {
		add(r.streamRun(ctx, plan, c, len(c.Files)))
	}
	// The engine over random cuts of the lines (micro-batches of any
	// size, empty ones too), and the same cuts with a restart from a
	// checkpoint after batch k.
	cuts := randomCuts(rng, len(lines))
	batches := chunks(lines, cuts)
	opts := engine.Options{KeepFinal: true, FinalOnly: true}
	add(engineRun(plan, opts, batches, -1, fmt.Sprintf("engine, micro-batches cut at lines %v", cuts), "differential"))
	// The same cuts with every batch's result evaluated (brook run --emit
	// batches), which Final then draws on.
	perBatch := engineRun(plan, engine.Options{KeepFinal: true}, batches, -1, fmt.Sprintf("engine, micro-batches cut at lines %v, every batch's result evaluated", cuts), "differential")
	perBatch.mayFail = true
	add(perBatch)
	if len(batches) > 1 {
		k := rng.IntN(len(batches) - 1)
		add(engineRun(plan, opts, batches, k, fmt.Sprintf("engine, micro-batches cut at lines %v, restored from a checkpoint after batch %d", cuts, k), "checkpoint"))
	}
	single := chunks(lines, everyLine(len(lines)))
	add(engineRun(plan, opts, single, -1, "engine, one record per micro-batch", "differential"))
	add(engineRun(plan, opts, single, everyBatch, "engine, one record per micro-batch, restored from a checkpoint after every batch", "checkpoint"))

	// Output modes: the last state of update mode is the complete result;
	// append mode's windows under a watermark are the final result when
	// nothing is late.
	limited := plan.Limit >= 0 || plan.Offset > 0
	// Sessions are left out: when two sessions merge, or one starts
	// earlier, a row emitted before is replaced under another key, and
	// update mode has no way to retract it (nor has Spark's).
	sessions := plan.Window != nil && plan.Window.Kind == sql.Session
	if plan.Aggregated && plan.KeyColumns != nil && plan.Having == nil && !limited && !sessions {
		uopts := engine.Options{Mode: engine.Update, KeepFinal: true}
		flags := "--mode update"
		if plan.Window != nil && rng.IntN(2) == 0 {
			uopts.Watermark, uopts.Lateness = true, pickLateness(rng)
			flags += fmt.Sprintf(" --lateness %gs", uopts.Lateness)
		}
		ru := engineRun(plan, uopts, batches, -1, "engine, update mode ("+flags+"), emitted rows applied as upserts by key", "update")
		ru.mayFail = true
		if ru.err == nil {
			ru.rows = upsert(plan.KeyColumns, ru.rows)
		}
		ru.flags = flags
		// Upserts need a key that tells the result's rows apart: window
		// ends beyond 2^53 can round to one value for two windows.
		if ru.late == 0 && (berr != nil || uniqueKeys(plan.KeyColumns, brows)) {
			add(ru)
		}
	}
	if plan.Window != nil && !limited {
		lat := pickLateness(rng)
		aopts := engine.Options{Mode: engine.Append, KeepFinal: true, Watermark: true, Lateness: lat}
		flags := fmt.Sprintf("--mode append --lateness %gs", lat)
		ru := engineRun(plan, aopts, batches, -1, "engine, append mode ("+flags+"), every window emitted", "append")
		ru.flags = flags
		if ru.late == 0 {
			add(ru)
		}
		if len(batches) > 1 {
			k := rng.IntN(len(batches) - 1)
			ru := engineRun(plan, aopts, batches, k, fmt.Sprintf("engine, append mode (%s), every window emitted, restored from a checkpoint after batch %d", flags, k), "checkpoint")
			ru.flags = flags
			if ru.late == 0 {
				add(ru)
			}
		}
	}

	allFailed := berr != nil
	for _, ru := range runs {
		if ru.err == nil {
			allFailed = false
		}
		f := &Finding{Case: c, Check: ru.name, Kind: ru.kind, Stream: ru.rows, Base: brows, SErr: ru.err, BErr: berr, Flags: ru.flags, Plan: plan}
		switch {
		case ru.err != nil && berr != nil:
			continue // both fail: agreement, as in the parity tests
		case ru.err != nil && ru.mayFail:
			continue
		case ru.err != nil:
			f.Detail = "the stream fails, DuckDB does not: " + ru.err.Error()
			return Disagreed, f
		case berr != nil:
			f.Detail = "DuckDB fails, the stream does not: " + berr.Error()
			return Disagreed, f
		}
		if d := compare(plan, ru.rows, brows, ru.order, int64(len(lines)), base.RowsRead); d != "" {
			if strings.HasPrefix(d, "order:") && f.Kind == "differential" {
				f.Kind = "order"
			}
			f.Detail = d
			return Disagreed, f
		}
	}
	if allFailed {
		return BothFailed, nil
	}
	return Agreed, nil
}

// pickLateness returns a lateness: mostly one under which nothing in the
// datasets is late, sometimes one that closes windows midway.
func pickLateness(rng *rand.Rand) float64 {
	return []float64{1e12, 1e12, 30, 3, 0.5}[rng.IntN(5)]
}

// compare reports how the stream's rows differ from the baseline's: key by
// key (or as multisets) as brook diff compares, and, when the plan sorts,
// position by position.
func compare(plan *sql.Plan, stream, base [][]value.Value, inOrder bool, streamRead, baseRead int64) string {
	names := plan.OutputSchema().Names()
	rep := diff.Compare(names, plan.KeyColumns, stream, base, diff.DefaultTolerance)
	rep.Stream.RowsRead, rep.Baseline.RowsRead = streamRead, baseRead
	if !rep.Equal {
		return rep.Text(10)
	}
	if inOrder && plan.Sorted() {
		for i := range base {
			for c := range base[i] {
				if !diff.Same(stream[i][c], base[i][c], diff.DefaultTolerance) {
					return fmt.Sprintf("order: the same rows in another order: row %d is %s in the stream, %s in DuckDB",
						i+1, FormatRow(stream[i]), FormatRow(base[i]))
				}
			}
		}
	}
	return ""
}

// FormatRow renders a row with its values' types.
func FormatRow(row []value.Value) string {
	parts := make([]string, len(row))
	for i, v := range row {
		switch v.Kind {
		case value.Null:
			parts[i] = "NULL"
		case value.String:
			parts[i] = fmt.Sprintf("%q", v.S)
		case value.Float:
			parts[i] = fmt.Sprintf("%s::DOUBLE", value.AppendFloat(nil, v.F))
			if v.F == 0 && 1/v.F < 0 {
				parts[i] = "-0.0::DOUBLE"
			}
		default:
			parts[i] = v.Format() + "::" + v.Kind.String()
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// streamRun runs the query as brook run does: stream.Run over a directory
// source, filesPerBatch files per micro-batch.
func (r *Runner) streamRun(ctx context.Context, plan *sql.Plan, c *Case, filesPerBatch int) run {
	ru := run{name: fmt.Sprintf("stream.Run, %d files per micro-batch", filesPerBatch), kind: "differential", order: true,
		flags: fmt.Sprintf("--files-per-batch %d", filesPerBatch)}
	q, err := engine.New(plan, engine.Options{KeepFinal: true, FinalOnly: true})
	if err != nil {
		ru.err = err
		return ru
	}
	src, err := ingest.OpenDir(ingest.DirOptions{Path: c.Dir, FilesPerBatch: filesPerBatch})
	if err != nil {
		ru.err = err
		return ru
	}
	defer src.Close()
	if _, err := stream.Run(ctx, q, src, stream.Options{}, func(stream.Batch) error { return nil }); err != nil {
		ru.err = err
		return ru
	}
	ru.rows, ru.err = q.Final()
	return ru
}

// line is one input record and where it comes from.
type line struct {
	file string
	n    int // 1-based line number
	text string
}

func (c *Case) lines() []line {
	var out []line
	for i, f := range c.Data.Files {
		for n, l := range f {
			out = append(out, line{c.Files[i], n + 1, l})
		}
	}
	return out
}

// randomCuts returns increasing cut positions in [0, n]: batch b holds
// lines [cuts[b-1], cuts[b]). Repeated positions make empty batches.
func randomCuts(rng *rand.Rand, n int) []int {
	var cuts []int
	for k := rng.IntN(5); k > 0; k-- {
		cuts = append(cuts, rng.IntN(n+1))
	}
	slices.Sort(cuts)
	return cuts
}

func everyLine(n int) []int {
	cuts := make([]int, 0, n)
	for i := 1; i < n; i++ {
		cuts = append(cuts, i)
	}
	return cuts
}

// chunks cuts lines into micro-batches at cuts, each batch a list of
// chunks (one per file it touches, with the right line numbers).
func chunks(lines []line, cuts []int) [][]ingest.Chunk {
	var batches [][]ingest.Chunk
	bounds := append(append([]int{0}, cuts...), len(lines))
	for b := 1; b < len(bounds); b++ {
		var batch []ingest.Chunk
		for _, l := range lines[bounds[b-1]:bounds[b]] {
			if n := len(batch); n > 0 && batch[n-1].Name == l.file {
				batch[n-1].Data = append(batch[n-1].Data, l.text+"\n"...)
				continue
			}
			batch = append(batch, ingest.Chunk{Name: l.file, FirstLine: l.n, Data: []byte(l.text + "\n")})
		}
		batches = append(batches, batch)
	}
	return batches
}

// engineRun runs the plan on an engine.Query directly, one micro-batch per
// element of batches, restarting from the checkpoint records (as the
// checkpoint store writes them) after batch restartAfter (-1: never;
// everyBatch: after each). In append and
// update mode the result is every row emitted; otherwise the final result.
func engineRun(plan *sql.Plan, opts engine.Options, batches [][]ingest.Chunk, restartAfter int, name, kind string) run {
	ru := run{name: name, kind: kind, order: opts.Mode == engine.Auto}
	q, err := engine.New(plan, opts)
	if err != nil {
		ru.err = err
		return ru
	}
	cols := plan.ColumnSchema()
	dec := ingest.NewDecoder(cols)
	var emitted [][]value.Value
	// The checkpoint records, as stream.Store writes them: a full record
	// of the state at the start, then one change record per batch.
	var records [][]byte
	if restartAfter != -1 {
		if records, err = startRecords(q); err != nil {
			ru.err = err
			return ru
		}
	}
	for i, chs := range batches {
		var b ingest.Batch
		b.Reset(len(cols))
		rejects, _ := dec.Decode(chs, &b)
		if len(rejects) > 0 {
			ru.err = fmt.Errorf("decoder rejected %d lines, first: %v", len(rejects), rejects[0].Error())
			return ru
		}
		rows, err := q.Process(&b)
		if err != nil {
			ru.err = err
			return ru
		}
		for _, row := range rows {
			emitted = append(emitted, cloneRow(row))
		}
		if records != nil {
			rec, err := q.AppendRecord(nil, false)
			if err != nil {
				ru.err = fmt.Errorf("checkpoint record: %w", err)
				return ru
			}
			records = append(records, rec)
		}
		if i == restartAfter || (restartAfter == everyBatch && i < len(batches)-1) {
			if q, err = restart(records, plan, opts); err != nil {
				ru.err = err
				return ru
			}
			if records, err = startRecords(q); err != nil {
				ru.err = err
				return ru
			}
		}
	}
	rows, err := q.Close()
	if err != nil {
		ru.err = err
		return ru
	}
	for _, row := range rows {
		emitted = append(emitted, cloneRow(row))
	}
	ru.late, _ = q.Late()
	switch opts.Mode {
	case engine.Update, engine.Append:
		ru.rows = emitted
	default:
		ru.rows, ru.err = q.Final()
	}
	return ru
}

// everyBatch, as engineRun's restartAfter, restarts after every batch.
const everyBatch = -2

// startRecords returns the full checkpoint record of q's state and makes
// q track its changes for the change records after it.
func startRecords(q *engine.Query) ([][]byte, error) {
	rec, err := q.AppendRecord(nil, true)
	if err != nil {
		return nil, fmt.Errorf("checkpoint record: %w", err)
	}
	q.StartLog()
	return [][]byte{rec}, nil
}

// restart rebuilds the state the checkpoint records describe (a full
// record and the change records after it, in the binary form the
// checkpoint store writes) into a new query, as a restarted run does.
func restart(records [][]byte, plan *sql.Plan, opts engine.Options) (*engine.Query, error) {
	q, err := engine.New(plan, opts)
	if err != nil {
		return nil, err
	}
	r, err := engine.NewReplay(q)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	for i, rec := range records {
		if err := r.Apply(rec); err != nil {
			return nil, fmt.Errorf("replay record %d: %w", i, err)
		}
	}
	if err := q.Restore(r.Snapshot()); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	return q, nil
}

func cloneRow(r []value.Value) []value.Value {
	c := make([]value.Value, len(r))
	for i, v := range r {
		c[i] = v.Clone()
	}
	return c
}

// uniqueKeys reports whether no two rows share their key columns' values.
func uniqueKeys(keyCols []int, rows [][]value.Value) bool {
	seen := make(map[string]bool, len(rows))
	for _, row := range rows {
		var k []byte
		for _, c := range keyCols {
			k = value.AppendKey(k, row[c])
		}
		if seen[string(k)] {
			return false
		}
		seen[string(k)] = true
	}
	return true
}

// upsert applies rows in order as upserts by key: the last row of each key
// wins, in the order keys first appeared.
func upsert(keyCols []int, rows [][]value.Value) [][]value.Value {
	at := map[string]int{}
	var out [][]value.Value
	for _, row := range rows {
		var key []byte
		for _, k := range keyCols {
			key = value.AppendKey(key, row[k])
		}
		if i, ok := at[string(key)]; ok {
			out[i] = row
			continue
		}
		at[string(key)] = len(out)
		out = append(out, row)
	}
	return out
}

// errorText is err's message, or "".
func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

var _ = errors.New
