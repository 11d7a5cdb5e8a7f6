package engine

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"

	"brook/decode"
	"brook/sql"
	"brook/value"
)

// Mode is the output mode of a running query.
type Mode uint8

// Output modes; see the package doc.
const (
	Auto     Mode = iota // complete for aggregations and LIMIT, append otherwise
	Complete             // the whole result after every batch
	Update               // the rows a batch changed
	Append               // each batch's own new rows
)

// String returns the mode's flag spelling.
func (m Mode) String() string {
	return [...]string{"auto", "complete", "update", "append"}[m]
}

// ParseMode reads a --mode value.
func ParseMode(s string) (Mode, error) {
	for m := Auto; m <= Append; m++ {
		if strings.EqualFold(s, m.String()) {
			return m, nil
		}
	}
	return Auto, fmt.Errorf("unknown output mode %q (want complete, update or append)", s)
}

// ErrMode is returned by New when the output mode cannot work for the plan.
var ErrMode = fmt.Errorf("output mode not possible for this query")

// Options configure a running query.
type Options struct {
	Mode Mode
	// KeepFinal makes the query keep what Final needs beyond its live
	// state: every row a plain append query emits, and the final rows of
	// windows evicted behind the watermark.
	KeepFinal bool
	// Watermark turns on event-time watermarking for windowed queries in
	// append and update mode: watermark = max event time - Lateness
	// (seconds), advanced after every micro-batch; windows ending at or
	// before it close, and rows that arrive for closed windows are late.
	// Without it windows close only when the input ends.
	Watermark bool
	Lateness  float64
	// LogLate keeps a copy of every late row and a count per window (see
	// Query.LateLog).
	LogLate bool
	// FinalOnly is for callers that read only Final (brook run --emit
	// final, brook diff): Emit then returns, and evaluates, none of the
	// rows that may still change (the complete result, update mode's
	// changed groups). The result is the final state's, as DuckDB's is:
	// an expression that fails only on some intermediate state (a cast of
	// a partial sum, a division by a count that later changes) does not
	// stop the run, and no batch pays for a result nobody reads. Windows
	// the watermark closes are final and still emitted.
	FinalOnly bool
}

// Query is one running query. It is not safe for concurrent use.
type Query struct {
	plan *sql.Plan
	mode Mode
	st   evalState

	where   evalFn
	outputs []evalFn // over slots (plain) or over group rows (aggregated)
	orders  []evalFn
	desc    []bool
	// nullsFirst marks the ORDER BY keys that sort NULLs first.
	nullsFirst []bool

	groups *groupTable // aggregated queries only
	having evalFn
	// candidates is groupRows' scratch of the groups a limited result is
	// drawn from, allIDs its scratch of every live group.
	candidates, allIDs []int32
	// best keeps a plain query's best OFFSET+LIMIT rows in complete mode
	// (their own copies), and bestScratch is the row projected to be
	// offered to it.
	best        *topK
	bestScratch sortRow
	// bestSure says no output expression can fail: a row that loses on
	// the ORDER BY keys alone is then not projected (else it is, so that
	// an error is raised as the baseline raises it).
	bestSure bool
	// touchedRows is groupRows' scratch of the rows a batch changed in a
	// sorted result kept in order (see mergeOrder); presorted tells finish
	// that the rows it gets are in order already.
	touchedRows []sortRow
	presorted   bool
	// havingAggs says HAVING reads aggregate results only: a group's row
	// is then filled whole only when it passes.
	havingAggs bool
	// havingReads lists the aggregates HAVING reads, when havingAggs.
	havingReads []int

	// outRows and emitted are the last emission's rows, kept for the
	// next: a complete-mode result of many groups is not allocated anew
	// (and its fresh memory faulted in) after every batch.
	outRows []sortRow
	emitted [][]value.Value

	pending []sortRow       // plain queries: rows of the current micro-batch
	final   [][]value.Value // plain append queries with KeepFinal
	// finalKeys are final's ORDER BY key values, row by row, when the
	// query orders its rows: Final sorts the whole stream's rows by them.
	finalKeys [][]value.Value
	closed    []sortRow // windowed queries with KeepFinal: rows of evicted windows
	keep      bool
	finalOnly bool // see Options.FinalOnly

	rowsIn int64

	// Pre-aggregation by the decoders (see Partial): whether it still pays,
	// and what the merges so far folded.
	noPreAgg         atomic.Bool
	paRows, paGroups int64
	mergeTo          []int32 // Merge: the group each partial group goes to
}

// New prepares a query for plan. It refuses, with ErrMode, a mode the plan
// cannot be emitted in.
func New(plan *sql.Plan, opts Options) (*Query, error) {
	q := &Query{plan: plan}
	limited := plan.Limit >= 0 || plan.Offset > 0
	switch {
	case opts.Mode == Auto && plan.Window != nil && opts.Watermark:
		q.mode = Append // windows close: emit each once, final
	case opts.Mode == Auto && (plan.Aggregated || limited):
		q.mode = Complete
	case opts.Mode == Auto:
		q.mode = Append
	case plan.Aggregated && plan.Window == nil && opts.Mode == Append:
		return nil, fmt.Errorf("%w: an aggregate over the whole stream is never final, so it cannot be appended; use --mode complete or update, or group by a window (TUMBLE, HOP, SESSION)", ErrMode)
	case !plan.Aggregated && limited && opts.Mode != Complete:
		return nil, fmt.Errorf("%w: a plain query with LIMIT keeps the best rows so far and emits them whole; use --mode complete", ErrMode)
	case !plan.Aggregated && !limited && opts.Mode != Append:
		return nil, fmt.Errorf("%w: a query without GROUP BY or aggregates streams its rows as they come; use --mode append (or add LIMIT)", ErrMode)
	default:
		q.mode = opts.Mode
	}
	c := &compiler{st: &q.st}
	var err error
	if q.where, err = q.compileWhere(c); err != nil {
		return nil, err
	}
	if plan.Aggregated {
		lateness := -1.0
		if opts.Watermark && q.mode != Complete { // complete mode keeps every window
			lateness = max(opts.Lateness, 0)
		}
		if q.groups, err = newGroupTable(plan, c, lateness); err != nil {
			return nil, err
		}
		if q.groups.win != nil && opts.LogLate {
			q.groups.win.lateLog = &LateLog{Windows: map[string]*LateWindow{}}
		}
		if q.groups.win != nil && q.mode == Complete {
			q.groups.win.keepsAll = true
		}
		c.groupWidth = len(plan.GroupBy)
		c.windowAt = len(plan.GroupBy) + len(plan.Aggs)
		if plan.Having != nil {
			q.havingAggs = true
			sql.Walk(plan.Having, func(e sql.Expr) {
				switch e := e.(type) {
				case *sql.GroupRef, *sql.WindowRef, *sql.ColumnRef:
					q.havingAggs = false
				case *sql.AggRef:
					if !slices.Contains(q.havingReads, e.Index) {
						q.havingReads = append(q.havingReads, e.Index)
					}
				}
			})
			if q.having, err = c.compileFilter(plan.Having, havingFilter); err != nil {
				return nil, err
			}
		}
	}
	outs := make([]sql.Expr, len(plan.Output))
	for i, o := range plan.Output {
		outs[i] = o.Expr
	}
	if q.outputs, err = c.compileAll(outs); err != nil {
		return nil, err
	}
	for _, k := range plan.OrderBy {
		f, err := c.compile(k.Expr)
		if err != nil {
			return nil, err
		}
		q.orders = append(q.orders, f)
		q.desc = append(q.desc, k.Desc)
		q.nullsFirst = append(q.nullsFirst, k.NullsFirst)
	}
	q.final, q.keep, q.finalOnly = nil, opts.KeepFinal, opts.FinalOnly
	if opts.KeepFinal && q.mode == Append && !plan.Aggregated {
		q.final = [][]value.Value{}
	}
	if q.mode == Complete && q.groups == nil {
		k := math.MaxInt // OFFSET without LIMIT: every row is kept
		if plan.Limit >= 0 {
			k = int(min(plan.Offset+plan.Limit, math.MaxInt32))
		}
		q.best = &topK{q: q, k: k}
		q.bestSure = !slices.ContainsFunc(outs, func(e sql.Expr) bool { return !infallible(e) })
	}
	return q, nil
}

// whereExpr returns the condition rows must meet to reach the query's
// state: the plan's WHERE, or FALSE when the plan can emit no row whatever
// its input (LIMIT 0, or a WHERE or HAVING that folds to a constant other
// than TRUE; see keepsNothing). Then, as in DuckDB, nothing else is
// evaluated: no row can fail.
func (q *Query) whereExpr() sql.Expr {
	if keepsNothing(q.plan) {
		return &sql.Literal{Val: value.BoolValue(false)}
	}
	return q.plan.Where
}

// compileWhere compiles the filter rows pass to reach the query's state:
// WHERE (see whereExpr), then the HAVING conditions on group keys
// (Plan.KeyFilter), evaluated only on the rows WHERE keeps, as DuckDB's
// filter pushed below the aggregation sees them. Nil when there is none.
func (q *Query) compileWhere(c *compiler) (evalFn, error) {
	var where, keys evalFn
	var err error
	if e := q.whereExpr(); e != nil {
		if where, err = c.compileFilter(e, whereFilter); err != nil {
			return nil, err
		}
	}
	if e := q.plan.KeyFilter; e != nil && !keepsNothing(q.plan) {
		if keys, err = c.compileFilter(e, whereFilter); err != nil {
			return nil, err
		}
	}
	switch {
	case keys == nil:
		return where, nil
	case where == nil:
		return keys, nil
	}
	st := c.st
	return func(row []value.Value) value.Value {
		before := st.err
		if v := where(row); !v.True() || st.err != before {
			return v
		}
		return keys(row)
	}, nil
}

// Mode returns the resolved output mode.
func (q *Query) Mode() Mode { return q.mode }

// Plan returns the plan the query runs.
func (q *Query) Plan() *sql.Plan { return q.plan }

// RowsIn returns the number of decoded rows the query has processed.
func (q *Query) RowsIn() int64 { return q.rowsIn }

// StableRows reports whether the rows Emit returns are stable: a row
// emitted again unchanged by a later batch is the same slice (the same
// first element), and no row, once emitted, ever changes. True for an
// aggregating query in complete mode, whose rows are its groups' cached
// rows (see groupRows and reproject): a writer may keep a row's rendered
// text by its identity and reuse it for the groups a batch did not touch.
func (q *Query) StableRows() bool { return q.groups != nil && q.mode == Complete }

// Detached reports whether the query's state and the rows Emit returns are
// its own copies, never pointing into the batches given to Add, so that a
// batch's memory may be reused once Emit has returned. True for every
// query: aggregating queries keep copies of what they keep, a plain query
// with a LIMIT keeps copies of its best rows, and the rows a plain query
// emits get their strings copied into memory of their own.
func (q *Query) Detached() bool { return true }

// PushdownFilter returns, for a query with a WHERE, a function that
// compiles the WHERE anew (each call its own state, for one goroutine)
// into a test a decoder can apply to decoded rows (decode.Decoder.
// SetFilter): false when the row certainly does not match. A row whose
// evaluation fails is kept, so that the engine, which evaluates WHERE
// again on the rows it gets, reports the error. It returns nil without a
// WHERE.
func (q *Query) PushdownFilter() func() func(row []value.Value) bool {
	where := q.whereExpr()
	if where == nil && q.plan.KeyFilter == nil {
		return nil
	}
	return func() func(row []value.Value) bool {
		if in, ok := where.(*sql.In); ok && q.plan.KeyFilter == nil {
			if keep := inNumbersFilter(in); keep != nil {
				return keep
			}
		}
		st := &evalState{}
		f, err := q.compileWhere(&compiler{st: st})
		if err != nil { // compiled once already by New: cannot happen
			return func([]value.Value) bool { return true }
		}
		return func(row []value.Value) bool {
			if f(row).True() {
				return true
			}
			if st.err != nil { // let the engine meet the error again
				st.err = nil
				return true
			}
			return false
		}
	}
}

// HashedColumns returns the decoded columns (slots) whose strings the
// engine hashes for every input row: those read by group keys and
// aggregate arguments, when the query has no WHERE (a filter may keep most
// rows from ever reaching them). A decoder that prepares their keys while
// the line is in its cache (decode.Decoder.HashStrings) saves the engine
// hashing them, and reading strings scattered over the input.
func (q *Query) HashedColumns() []int {
	p := q.plan
	if !p.Aggregated || p.Where != nil || p.KeyFilter != nil {
		return nil
	}
	seen := map[int]bool{}
	var slots []int
	note := func(e sql.Expr) {
		sql.Walk(e, func(x sql.Expr) {
			if c, ok := x.(*sql.ColumnRef); ok && !seen[c.Slot] {
				seen[c.Slot] = true
				slots = append(slots, c.Slot)
			}
		})
	}
	for _, e := range p.GroupBy {
		note(e)
	}
	for _, a := range p.Aggs {
		if a.Arg != nil {
			note(a.Arg)
		}
	}
	return slots
}

// Groups returns the number of groups held (0 for plain queries).
func (q *Query) Groups() int {
	if q.groups == nil {
		return 0
	}
	return q.groups.len()
}

// Process folds one batch into the query's state and returns the rows to
// emit for it: Add followed by Emit.
func (q *Query) Process(b *decode.Batch) ([][]value.Value, error) {
	if err := q.Add(b); err != nil {
		return nil, err
	}
	return q.Emit()
}

// Add folds the rows of b into the query's state. A micro-batch may arrive
// as several batches (decoded in parallel); Emit ends it. b must stay
// unchanged until Emit returns.
func (q *Query) Add(b *decode.Batch) error {
	q.rowsIn += int64(b.Rows + b.Filtered) // rows a decoder filtered out were read too
	if g := q.groups; g != nil && q.where == nil && g.keySlot >= 0 {
		g.addByColumn(b, 0, b.Rows)
		g.flush(b)
		return q.st.error()
	}
	if q.groups != nil {
		q.groups.beginRows()
	}
	var err error
	if g := q.groups; g != nil && g.win != nil {
		err = g.win.byPart(b, func(from, to int) error { return q.addRows(b, from, to) })
	} else {
		err = q.addRows(b, 0, b.Rows)
	}
	if err != nil {
		return err
	}
	if q.groups != nil {
		q.groups.flush(b)
	}
	return q.st.error()
}

// addRows is Add for rows [from, to) of b, before the groups' flush.
func (q *Query) addRows(b *decode.Batch, from, to int) error {
	for i := from; i < to; i++ {
		row := b.Row(i)
		if q.where != nil && !q.where(row).True() {
			if q.st.err != nil {
				return q.st.err
			}
			continue
		}
		if q.groups != nil {
			q.groups.add(row, int32(i))
		} else {
			if q.best != nil {
				q.offerBest(row)
			} else {
				q.pending = append(q.pending, q.project(row))
			}
		}
		if q.st.err != nil {
			return q.st.err
		}
	}
	return nil
}

// Emit ends the current micro-batch and returns the rows to emit for it
// under the query's output mode. The rows may point into the batches given
// to Add: they are valid until those batches are released. The slice
// holding them (not the rows) is reused by the next Emit, Close, Flush or
// Final: a caller that keeps it longer keeps a copy.
//
// For a windowed query Emit then advances the watermark: in append mode it
// emits the windows the watermark closed, each exactly once with its final
// value; in append and update mode closed windows are evicted, so memory is
// bounded by the open windows, not by the length of the stream.
func (q *Query) Emit() ([][]value.Value, error) {
	defer func() {
		q.pending = q.pending[:0]
		if q.groups != nil {
			q.groups.beginBatch()
		}
	}()
	if g := q.groups; g != nil && g.win != nil && q.mode != Complete {
		var rows []sortRow
		if q.mode == Update && !q.finalOnly {
			rows = q.groupRows(g.dirty)
		}
		g.win.advance()
		q.closeWindows(g.win.watermark, &rows)
		return q.finish(rows)
	}
	switch {
	case q.finalOnly && (q.groups != nil || q.mode == Complete):
		if g := q.groups; g != nil {
			// What the last result kept for the next (the groups passing
			// HAVING, the best rows, the order) misses this batch's
			// changes: a later Final starts from the groups' rows.
			g.passValid, g.topValid, g.orderValid = false, false, false
		}
		return nil, q.st.err
	case q.groups != nil && q.mode == Update:
		return q.finish(q.groupRows(q.groups.dirty))
	case q.groups != nil:
		return q.finish(q.groupRows(nil))
	case q.mode == Complete: // plain query with LIMIT
		return rowsOf(q.bestRows()), q.st.err
	}
	q.sortRows(q.pending)
	detachStrings(q.pending)
	rows := rowsOf(q.pending)
	if q.final != nil { // each row is its own memory (see project), detached
		q.final = append(q.final, rows...)
		if len(q.orders) > 0 {
			for _, r := range q.pending {
				q.finalKeys = append(q.finalKeys, cloneRow(r.keys))
			}
		}
	}
	return rows, q.st.err
}

// offerBest considers one row of a plain query with LIMIT (complete mode)
// for its best OFFSET+LIMIT rows so far. The row is projected into a
// scratch row (its ORDER BY keys first), and copied, strings too, only
// when it is kept.
func (q *Query) offerBest(row []value.Value) {
	t := q.best
	if t.k == 0 {
		return
	}
	if q.bestScratch.out == nil {
		q.bestScratch = sortRow{out: make([]value.Value, len(q.outputs)), keys: make([]value.Value, len(q.orders))}
	}
	r := q.bestScratch
	for i, f := range q.orders { // the ORDER BY keys first: most rows lose on them
		r.keys[i] = f(row)
	}
	full := len(t.rows) == t.k
	if full && q.bestSure && q.compareKeys(r, t.rows[0]) > 0 {
		return // its outputs, which cannot fail, are not needed
	}
	for i, f := range q.outputs {
		r.out[i] = f(row)
	}
	if full && q.compare(r, t.rows[0]) >= 0 {
		return // no better than the worst row kept
	}
	t.offer(r.clone())
}

// infallible reports whether evaluating e can never fail: a column, a
// literal, or DOUBLE arithmetic on such (IEEE 754: no overflow error).
func infallible(e sql.Expr) bool {
	switch e := e.(type) {
	case *sql.ColumnRef, *sql.Literal:
		return true
	case *sql.Binary:
		switch e.Op {
		case "+", "-", "*", "/", "%":
			return e.Typ == value.Float && infallible(e.L) && infallible(e.R)
		}
	}
	return false
}

// bestRows returns a plain query's best rows so far in order, OFFSET and
// LIMIT applied; the rows kept stay as they are.
func (q *Query) bestRows() []sortRow {
	return q.sortCut(slices.Clone(q.best.rows))
}

// detachStrings copies the strings of rows' output values, which point
// into the batch the rows came from, into one block of memory of their
// own: the batch's memory may then be reused once the rows are emitted,
// while a reader keeps them as long as it likes.
func detachStrings(rows []sortRow) {
	n := 0
	for _, r := range rows {
		for i := range r.out {
			if v := &r.out[i]; v.Kind == value.String {
				n += len(v.S)
			}
		}
	}
	if n == 0 {
		return
	}
	block := make([]byte, 0, n)
	for _, r := range rows {
		for i := range r.out {
			if v := &r.out[i]; v.Kind == value.String && v.S != "" {
				at := len(block)
				block = append(block, v.S...)
				v.S = value.UnsafeString(block[at:])
			}
		}
	}
}

// closeWindows evicts the windows ending at or before limit; in append mode
// their rows are added to emitted.
func (q *Query) closeWindows(limit float64, emitted *[]sortRow) {
	g := q.groups
	row := make([]value.Value, g.width())
	g.win.closeUpTo(g, limit, func(id int32) {
		g.fill(id, row)
		if q.having != nil && !q.having(row).True() {
			return
		}
		r := q.project(row).clone()
		if q.mode == Append {
			*emitted = append(*emitted, r)
		}
		if q.keep {
			q.closed = append(q.closed, r)
		}
	})
}

// Close ends the input: every window closes, as when a bounded source is
// drained. In append mode it returns the rows of the windows still open;
// otherwise nothing new.
func (q *Query) Close() ([][]value.Value, error) {
	g := q.groups
	if g == nil || g.win == nil || q.mode == Complete {
		return nil, q.st.err
	}
	var rows []sortRow
	q.closeWindows(math.Inf(1), &rows)
	return q.finish(rows)
}

// Flush closes every open window now, as an idle source does after its
// idle timeout, and returns the rows to emit (append mode). The watermark
// moves to the latest end of the windows closed, so rows arriving later
// for them are late instead of opening them again.
func (q *Query) Flush() ([][]value.Value, error) {
	g := q.groups
	if g == nil || g.win == nil || q.mode == Complete || g.win.lateness < 0 {
		return nil, q.st.err
	}
	var rows []sortRow
	q.closeWindows(math.Inf(1), &rows)
	g.win.watermark = math.Max(g.win.watermark, g.win.maxClosedEnd)
	return q.finish(rows)
}

// Late returns how many rows were dropped as late, and how many had no
// event time (NULL) and so belong to no window.
func (q *Query) Late() (late, noTime int64) {
	if q.groups == nil || q.groups.win == nil {
		return 0, 0
	}
	return q.groups.win.late, q.groups.win.noTime
}

// SetParts says the input is read as several parts, each in its own
// event-time order (see ingest.RawBatch.Parted), and which of them hold
// the watermark back once the current batch is added: Emit then moves the
// watermark to the least latest event time of those parts, less the
// lateness, instead of the latest time of all. Call it before Emit.
func (q *Query) SetParts(holding []int32) {
	if g := q.groups; g != nil && g.win != nil {
		g.win.parted = true
		g.win.holding = append(g.win.holding[:0], holding...)
	}
}

// WatermarkByPart reports whether the query keeps a watermark (event-time
// windows with a lateness), so that a parted source's batches need every
// row's event time: a decoder must not filter rows out early.
func (q *Query) WatermarkByPart() bool {
	return q.groups != nil && q.groups.win != nil && q.groups.win.lateness >= 0 && q.mode != Complete
}

// Watermark returns the current watermark as a window bound value (NULL
// when there is none yet).
func (q *Query) Watermark() value.Value {
	if q.groups == nil || q.groups.win == nil || math.IsInf(q.groups.win.watermark, -1) {
		return value.NullValue
	}
	return q.groups.win.bound(q.groups.win.watermark)
}

// LateLog returns the late rows recorded since the last call (with
// Options.LogLate) and the per-window counts so far; the rows are handed
// over and forgotten.
func (q *Query) LateLog() ([]LateRow, map[string]*LateWindow) {
	if q.groups == nil || q.groups.win == nil || q.groups.win.lateLog == nil {
		return nil, nil
	}
	log := q.groups.win.lateLog
	rows := log.Rows
	log.Rows = nil
	return rows, log.Windows
}

// Final returns the whole current result: every group for an aggregation,
// the best rows for LIMIT, and for an append query every row emitted so far
// (only with Options.KeepFinal). Rows are copies the caller may keep.
func (q *Query) Final() ([][]value.Value, error) {
	switch {
	case q.groups != nil:
		all := q.groupRows(nil)
		if len(q.closed) > 0 {
			all, q.presorted = append(all, q.closed...), false
		}
		// The rows are the groups' cached rows (and the closed windows'),
		// which are never written again once emitted (see reproject):
		// only the slice holding them is the caller's own.
		emitted, err := q.finish(all)
		return slices.Clone(emitted), err
	case q.mode == Complete:
		return rowsOf(q.bestRows()), nil
	case q.final == nil:
		return nil, fmt.Errorf("engine: Final on an append query needs Options.KeepFinal")
	case len(q.orders) > 0:
		// Each batch's rows were emitted in order; the whole result is
		// ordered across batches, as the baseline orders it.
		rows := make([]sortRow, len(q.final))
		for i := range rows {
			rows[i] = sortRow{out: q.final[i], keys: q.finalKeys[i]}
		}
		return rowsOf(q.sortCut(rows)), nil
	}
	return q.final, nil
}

// sortRow is an output row with its ORDER BY key values.
type sortRow struct {
	out  []value.Value
	keys []value.Value
	id   int32 // the group of a group's row
	// shared marks a group's cached row that was emitted: it is never
	// written again (see reproject).
	shared bool
}

func (r sortRow) clone() sortRow {
	return sortRow{out: cloneRow(r.out), keys: cloneRow(r.keys), id: r.id}
}

func cloneRow(r []value.Value) []value.Value {
	c := make([]value.Value, len(r))
	for i, v := range r {
		c[i] = v.Clone()
	}
	return c
}

func rowsOf(rs []sortRow) [][]value.Value {
	rows := make([][]value.Value, len(rs))
	for i, r := range rs {
		rows[i] = r.out
	}
	return rows
}

// project evaluates the outputs and ORDER BY keys over row.
func (q *Query) project(row []value.Value) sortRow {
	n := len(q.outputs)
	vals := make([]value.Value, n+len(q.orders)) // one allocation for both
	r := sortRow{out: vals[:n:n]}
	if len(q.orders) > 0 {
		r.keys = vals[n:]
	}
	q.projectInto(row, r)
	return r
}

// reproject projects group id's row anew for the group's row cache: into
// the memory of its cached row when that row was never emitted (a group
// outside a LIMIT's best, say), so that no reader sees it change; into new
// memory otherwise.
func (q *Query) reproject(g *groupTable, id int32, row []value.Value) sortRow {
	r := g.rowCache[id]
	if r.out == nil || r.shared {
		r = q.project(row)
	} else {
		q.projectInto(row, r)
	}
	r.id = id
	return r
}

// projectInto is project into r's own slices.
func (q *Query) projectInto(row []value.Value, r sortRow) {
	for i, f := range q.outputs {
		r.out[i] = f(row)
	}
	for i, f := range q.orders {
		r.keys[i] = f(row)
	}
}

// groupRows projects the given groups (all groups when ids is nil) through
// HAVING and the SELECT list. When the query orders and limits its rows,
// only the best OFFSET+LIMIT of them are kept (see topK): the rest could
// never be emitted. For the whole table (complete mode) the rows of groups
// no batch touched since the last emission are reused, not projected
// again; a changed group whose row was ever emitted gets a new row, so
// rows emitted earlier never change under their reader (see reproject).
// passes fills row with group id's values and reports whether they pass
// HAVING; when HAVING reads aggregates only, a group that fails it has only
// those filled.
func (q *Query) passes(g *groupTable, id int32, row []value.Value) bool {
	if q.having == nil {
		g.fill(id, row)
		return true
	}
	if q.havingAggs {
		n := len(g.keyFns)
		for _, i := range q.havingReads {
			row[n+i] = g.aggs[i].Result(id)
		}
		if !q.having(row).True() {
			return false
		}
	}
	g.fill(id, row)
	return q.havingAggs || q.having(row).True()
}

func (q *Query) groupRows(ids []int32) []sortRow {
	g := q.groups
	whole := ids == nil
	// A sorted complete-mode result is the same whatever order its groups
	// come in (the sort is total): after the groups this batch touched are
	// projected again, it is drawn from the groups that pass HAVING, not
	// from all of them.
	//
	// With a LIMIT, the best rows are drawn from the last batch's best and
	// the touched groups alone, unless a touched group of the last best got
	// worse (or fails HAVING now): an untouched group may then take its
	// place, and all are looked at again.
	passList := whole && q.mode == Complete && q.plan.Sorted()
	limited := passList && q.plan.Limit >= 0
	fromPassing := passList && g.passValid
	if fromPassing {
		row := make([]value.Value, g.width())
		worse := false
		for _, id := range g.dirty {
			if !g.live[id] {
				continue
			}
			var r sortRow
			pass := q.passes(g, id, row)
			if pass {
				r = q.reproject(g, id, row) // the last best rows were emitted: never in place
			}
			if g.inTop[id] && (!pass || q.compare(r, g.rowCache[id]) > 0) {
				worse = true
			}
			g.rowCache[id], g.rowPass[id], g.rowAt[id] = r, pass, g.epoch+1
			g.setPassing(id, pass)
		}
		ids = g.passing
		if limited && g.topValid && !worse {
			ids = append(q.candidates[:0], g.top...)
			for _, id := range g.dirty {
				if g.live[id] && g.rowPass[id] && !g.inTop[id] {
					ids = append(ids, id)
				}
			}
			q.candidates = ids
		}
		if !limited && g.orderValid {
			return q.mergeOrder(g)
		}
	} else if whole {
		ids = g.appendIDs(q.allIDs[:0])
		q.allIDs = ids
	}
	keep := -1
	if p := q.plan; p.Sorted() && p.Limit >= 0 {
		keep = int(min(p.Offset+p.Limit, int64(len(ids))))
	}
	var top *topK
	var scratch sortRow // reused for rows that miss the cut (not cached ones)
	newScratch := func() sortRow {
		return sortRow{out: make([]value.Value, len(q.outputs)), keys: make([]value.Value, len(q.orders))}
	}
	if keep >= 0 && (len(ids) > 2*keep || limited) {
		top = &topK{q: q, k: keep, rows: make([]sortRow, 0, keep)}
		scratch = newScratch()
	}
	var out []sortRow
	if top == nil {
		out = slices.Grow(q.outRows[:0], len(ids))
	}
	row := make([]value.Value, g.width())
	for _, id := range ids {
		if !g.live[id] {
			continue
		}
		var r sortRow
		pass := true
		if fromPassing || (whole && g.rowFresh(id)) {
			r, pass = g.rowCache[id], g.rowPass[id]
		} else {
			pass = q.passes(g, id, row)
			switch {
			case !pass:
			case whole:
				r = q.reproject(g, id, row)
			case top == nil:
				r = q.project(row)
			default:
				q.projectInto(row, scratch)
				r = scratch
			}
			if whole {
				r.id = id
				g.rowCache[id], g.rowPass[id], g.rowAt[id] = r, pass, g.epoch+1
			}
		}
		if !pass {
			continue
		}
		if top != nil {
			if top.offer(r) && !whole {
				scratch = newScratch() // the heap holds it now
			}
			continue
		}
		out = append(out, r)
	}
	if passList && !fromPassing { // every group's row is cached now: list those passing
		for _, id := range ids {
			if g.live[id] {
				g.setPassing(id, g.rowPass[id])
			}
		}
		g.passValid = true
	}
	if limited { // the best rows' groups, for the next batch
		for _, id := range g.top {
			g.inTop[id] = false
		}
		g.top = g.top[:0]
		for _, r := range top.rows {
			g.top = append(g.top, r.id)
			g.inTop[r.id] = true
		}
		g.topValid = true
	}
	rows := out
	if top != nil {
		rows = top.rows
	} else {
		q.outRows = out
	}
	if passList && !limited { // the whole result, sorted: its order is kept for the next batch
		slices.SortFunc(rows, q.compare)
		q.keepOrder(g, rows)
	}
	if whole { // the cached rows emitted are never written again
		for _, r := range rows {
			g.rowCache[r.id].shared = true
		}
	}
	return rows
}

// mergeOrder returns the sorted whole result of a batch from the last
// one's order: the groups it did not touch keep their rows and their
// order, and the rows of those it touched are sorted apart and merged in.
// A batch costs what it changed, not a sort of the whole result.
func (q *Query) mergeOrder(g *groupTable) []sortRow {
	touched := q.touchedRows[:0]
	for _, id := range g.dirty {
		if g.live[id] && g.rowPass[id] {
			touched = append(touched, g.rowCache[id])
		}
	}
	slices.SortFunc(touched, q.compare)
	out := q.outRows[:0]
	t := 0
	for _, id := range g.order {
		if !g.live[id] || !g.rowPass[id] || g.dirtyMark[id] == g.epoch {
			continue // gone, failing HAVING now, or among the touched
		}
		r := g.rowCache[id]
		for t < len(touched) && q.compare(touched[t], r) < 0 {
			out = append(out, touched[t])
			t++
		}
		out = append(out, r)
	}
	out = append(out, touched[t:]...)
	clear(touched) // the scratch keeps no rows alive
	q.touchedRows = touched
	if len(out) != len(g.passing) { // not the groups passing: sort them all
		out = out[:0]
		for _, id := range g.passing {
			out = append(out, g.rowCache[id])
		}
		slices.SortFunc(out, q.compare)
	}
	q.outRows = out
	q.keepOrder(g, out)
	for _, r := range out {
		g.rowCache[r.id].shared = true
	}
	return out
}

// keepOrder records the groups of a sorted whole result in order, for
// mergeOrder, and tells finish that the rows are sorted.
func (q *Query) keepOrder(g *groupTable, rows []sortRow) {
	g.order = g.order[:0]
	for _, r := range rows {
		g.order = append(g.order, r.id)
	}
	g.orderValid, q.presorted = true, true
}

// topK keeps the k best rows offered, by the query's total order, in a
// heap with the worst kept row on top.
type topK struct {
	q    *Query
	k    int
	rows []sortRow
}

// offer considers r and reports whether it was kept; a kept row must not
// change afterwards.
func (t *topK) offer(r sortRow) bool {
	if t.k == 0 {
		return false
	}
	if len(t.rows) < t.k {
		t.rows = append(t.rows, r)
		for i := len(t.rows) - 1; i > 0; { // sift up
			parent := (i - 1) / 2
			if t.q.compare(t.rows[i], t.rows[parent]) <= 0 {
				break
			}
			t.rows[i], t.rows[parent] = t.rows[parent], t.rows[i]
			i = parent
		}
		return true
	}
	if t.q.compare(r, t.rows[0]) >= 0 {
		return false // no better than the worst kept row
	}
	t.rows[0] = r
	for i := 0; ; { // sift down
		worst, l, rt := i, 2*i+1, 2*i+2
		if l < len(t.rows) && t.q.compare(t.rows[l], t.rows[worst]) > 0 {
			worst = l
		}
		if rt < len(t.rows) && t.q.compare(t.rows[rt], t.rows[worst]) > 0 {
			worst = rt
		}
		if worst == i {
			return true
		}
		t.rows[i], t.rows[worst] = t.rows[worst], t.rows[i]
		i = worst
	}
}

func (q *Query) finish(rows []sortRow) ([][]value.Value, error) {
	if q.presorted {
		q.presorted = false
		rows = q.cut(rows)
	} else {
		rows = q.sortCut(rows)
	}
	out := slices.Grow(q.emitted[:0], len(rows))
	for _, r := range rows {
		out = append(out, r.out)
	}
	clear(out[len(out):cap(out)]) // the rows of earlier batches are not kept alive
	q.emitted = out
	return out, q.st.err
}
