package engine

import (
	"fmt"
	"strings"

	"brook/ingest"
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
	// KeepFinal makes a plain (append) query keep a copy of every row it
	// emits, so that Final can return the whole result.
	KeepFinal bool
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

	groups *groupTable // aggregated queries only
	having evalFn

	pending []sortRow       // plain queries: rows of the current micro-batch
	top     []sortRow       // plain queries with LIMIT: the best rows so far
	final   [][]value.Value // plain append queries with KeepFinal

	rowsIn int64
}

// New prepares a query for plan. It refuses, with ErrMode, a mode the plan
// cannot be emitted in.
func New(plan *sql.Plan, opts Options) (*Query, error) {
	q := &Query{plan: plan}
	limited := plan.Limit >= 0 || plan.Offset > 0
	switch {
	case opts.Mode == Auto && (plan.Aggregated || limited):
		q.mode = Complete
	case opts.Mode == Auto:
		q.mode = Append
	case plan.Aggregated && opts.Mode == Append:
		return nil, fmt.Errorf("%w: an aggregate over the whole stream is never final, so it cannot be appended; use --mode complete or update", ErrMode)
	case !plan.Aggregated && limited && opts.Mode != Complete:
		return nil, fmt.Errorf("%w: a plain query with LIMIT keeps the best rows so far and emits them whole; use --mode complete", ErrMode)
	case !plan.Aggregated && !limited && opts.Mode != Append:
		return nil, fmt.Errorf("%w: a query without GROUP BY or aggregates streams its rows as they come; use --mode append (or add LIMIT)", ErrMode)
	default:
		q.mode = opts.Mode
	}
	c := &compiler{st: &q.st}
	var err error
	if plan.Where != nil {
		if q.where, err = c.compileFilter(plan.Where); err != nil {
			return nil, err
		}
	}
	if plan.Aggregated {
		if q.groups, err = newGroupTable(plan, c); err != nil {
			return nil, err
		}
		c.groupWidth = len(plan.GroupBy)
		if plan.Having != nil {
			if q.having, err = c.compileFilter(plan.Having); err != nil {
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
	}
	q.final = nil
	if opts.KeepFinal && q.mode == Append {
		q.final = [][]value.Value{}
	}
	return q, nil
}

// Mode returns the resolved output mode.
func (q *Query) Mode() Mode { return q.mode }

// Plan returns the plan the query runs.
func (q *Query) Plan() *sql.Plan { return q.plan }

// RowsIn returns the number of decoded rows the query has processed.
func (q *Query) RowsIn() int64 { return q.rowsIn }

// Groups returns the number of groups held (0 for plain queries).
func (q *Query) Groups() int {
	if q.groups == nil {
		return 0
	}
	return q.groups.len()
}

// Process folds one batch into the query's state and returns the rows to
// emit for it: Add followed by Emit.
func (q *Query) Process(b *ingest.Batch) ([][]value.Value, error) {
	if err := q.Add(b); err != nil {
		return nil, err
	}
	return q.Emit()
}

// Add folds the rows of b into the query's state. A micro-batch may arrive
// as several batches (decoded in parallel); Emit ends it. b must stay
// unchanged until Emit returns.
func (q *Query) Add(b *ingest.Batch) error {
	q.rowsIn += int64(b.Rows)
	for i := 0; i < b.Rows; i++ {
		row := b.Row(i)
		if q.where != nil && !q.where(row).True() {
			if q.st.err != nil {
				return q.st.err
			}
			continue
		}
		if q.groups != nil {
			q.groups.add(row)
		} else {
			q.pending = append(q.pending, q.project(row))
		}
		if q.st.err != nil {
			return q.st.err
		}
	}
	return nil
}

// Emit ends the current micro-batch and returns the rows to emit for it
// under the query's output mode. The rows may point into the batches given
// to Add: they are valid until those batches are released.
func (q *Query) Emit() ([][]value.Value, error) {
	defer func() {
		q.pending = q.pending[:0]
		if q.groups != nil {
			q.groups.beginBatch()
		}
	}()
	switch {
	case q.groups != nil && q.mode == Update:
		return q.finish(q.groupRows(q.groups.dirty))
	case q.groups != nil:
		return q.finish(q.groupRows(nil))
	case q.mode == Complete: // plain query with LIMIT
		for _, r := range q.pending {
			q.top = append(q.top, r.clone())
		}
		q.top = q.sortCut(q.top)
		return rowsOf(q.top), q.st.err
	}
	q.sortRows(q.pending)
	rows := rowsOf(q.pending)
	if q.final != nil {
		for _, r := range rows {
			q.final = append(q.final, cloneRow(r))
		}
	}
	return rows, q.st.err
}

// Final returns the whole current result: every group for an aggregation,
// the best rows for LIMIT, and for an append query every row emitted so far
// (only with Options.KeepFinal). Rows are copies the caller may keep.
func (q *Query) Final() ([][]value.Value, error) {
	switch {
	case q.groups != nil:
		rows, err := q.finish(q.groupRows(nil))
		for i := range rows {
			rows[i] = cloneRow(rows[i])
		}
		return rows, err
	case q.mode == Complete:
		return rowsOf(q.top), nil
	case q.final == nil:
		return nil, fmt.Errorf("engine: Final on an append query needs Options.KeepFinal")
	}
	return q.final, nil
}

// sortRow is an output row with its ORDER BY key values.
type sortRow struct {
	out  []value.Value
	keys []value.Value
}

func (r sortRow) clone() sortRow { return sortRow{out: cloneRow(r.out), keys: cloneRow(r.keys)} }

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
	r := sortRow{out: make([]value.Value, len(q.outputs))}
	for i, f := range q.outputs {
		r.out[i] = f(row)
	}
	if len(q.orders) > 0 {
		r.keys = make([]value.Value, len(q.orders))
		for i, f := range q.orders {
			r.keys[i] = f(row)
		}
	}
	return r
}

// groupRows projects the given groups (all groups when ids is nil) through
// HAVING and the SELECT list.
func (q *Query) groupRows(ids []int32) []sortRow {
	g := q.groups
	n := len(ids)
	if ids == nil {
		n = g.len()
	}
	out := make([]sortRow, 0, n)
	row := make([]value.Value, len(q.plan.GroupBy)+len(q.plan.Aggs))
	for k := 0; k < n; k++ {
		id := int32(k)
		if ids != nil {
			id = ids[k]
		}
		g.fill(id, row)
		if q.having != nil && !q.having(row).True() {
			continue
		}
		out = append(out, q.project(row))
	}
	return out
}

func (q *Query) finish(rows []sortRow) ([][]value.Value, error) {
	return rowsOf(q.sortCut(rows)), q.st.err
}
