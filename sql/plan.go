package sql

import (
	"fmt"
	"strings"

	"brook/value"
)

// Plan is a validated, immutable logical plan for one streaming query. Both
// the incremental engine and the DuckDB baseline read it, and nothing else:
// it is the single source of truth for what a query means. A Plan must not
// be modified after Build returns it.
//
// Evaluation order: rows of Table are decoded into Columns (slots), filtered
// by Where, then either projected by Output directly (a plain query, which
// streams as appended rows) or grouped by GroupBy with Aggs maintained per
// group, filtered by Having and projected by Output. OrderBy, Offset and
// Limit apply to what is emitted.
type Plan struct {
	Query  string       // the query text as the user wrote it
	Table  string       // the source the query reads, as named in FROM
	Schema value.Schema // the source's full schema
	// Columns are the schema indexes of the fields the query reads; a
	// ColumnRef's Slot indexes this list. Only these fields are decoded.
	Columns []int
	Where   Expr // over slots; nil keeps every row

	Aggregated bool       // GROUP BY, aggregates or DISTINCT are present
	GroupBy    []Expr     // over slots
	Aggs       []*AggCall // arguments over slots
	Having     Expr       // over GroupRef / AggRef; nil keeps every group
	// KeyFilter holds the conditions of HAVING that read group keys only,
	// over the input's columns: they filter rows after WHERE, before the
	// aggregates, as DuckDB pushes them below the aggregation (see
	// pushHavingKeys); Having still holds them.
	KeyFilter Expr
	// Window is the event-time window of GROUP BY, or nil. Groups are then
	// (window, GroupBy keys); WindowRef reads a group's window bounds.
	Window *Window
	// WindowStartColumn and WindowEndColumn are the output columns holding
	// the window's start and end, or -1 (meaningful only with Window).
	WindowStartColumn, WindowEndColumn int

	// Output is the SELECT list: over slots for a plain query, over GroupRef
	// and AggRef for an aggregated one.
	Output  []OutputColumn
	OrderBy []OrderKey // same domain as Output
	Limit   int64      // -1: no limit
	Offset  int64

	// KeyColumns are the output columns that identify a result row: the
	// group keys, when every one of them is selected. Nil means rows are
	// compared whole, as a multiset.
	KeyColumns []int
}

// OutputColumn is one column of the result.
type OutputColumn struct {
	Name string
	Expr Expr
}

// OrderKey is one ORDER BY key. NULLs sort last in both directions unless
// NullsFirst (NULLS FIRST) says otherwise, on the stream and in the
// baseline alike.
type OrderKey struct {
	Expr       Expr
	Desc       bool
	NullsFirst bool
}

// TotalOrder returns the sort keys both executors use: the query's ORDER BY
// followed by every output column ascending, so that ties, and therefore
// LIMIT, resolve the same way on the stream and in the baseline.
func (p *Plan) TotalOrder() []OrderKey {
	keys := append([]OrderKey(nil), p.OrderBy...)
	for _, o := range p.Output {
		keys = append(keys, OrderKey{Expr: o.Expr})
	}
	return keys
}

// Sorted reports whether the emitted result is ordered or cut by the query.
func (p *Plan) Sorted() bool { return len(p.OrderBy) > 0 || p.Limit >= 0 || p.Offset > 0 }

// ColumnSchema returns the schema of the decoded row: one column per slot.
func (p *Plan) ColumnSchema() value.Schema {
	s := make(value.Schema, len(p.Columns))
	for i, c := range p.Columns {
		s[i] = p.Schema[c]
	}
	return s
}

// OutputSchema returns the names and types of the result columns.
func (p *Plan) OutputSchema() value.Schema {
	s := make(value.Schema, len(p.Output))
	for i, o := range p.Output {
		s[i] = value.Column{Name: o.Name, Type: o.Expr.Type()}
	}
	return s
}

// String prints the plan as a tree, root first.
func (p *Plan) String() string {
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	if p.Limit >= 0 || p.Offset > 0 {
		if p.Limit >= 0 {
			add("Limit %d offset %d", p.Limit, p.Offset)
		} else {
			add("Offset %d", p.Offset)
		}
	}
	if len(p.OrderBy) > 0 {
		keys := make([]string, len(p.OrderBy))
		for i, k := range p.OrderBy {
			dir := "ASC"
			if k.Desc {
				dir = "DESC"
			}
			nulls := "NULLS LAST"
			if k.NullsFirst {
				nulls = "NULLS FIRST"
			}
			keys[i] = k.Expr.String() + " " + dir + " " + nulls
		}
		add("Sort %s (ties by output columns)", strings.Join(keys, ", "))
	}
	outs := make([]string, len(p.Output))
	for i, o := range p.Output {
		outs[i] = QuoteIdent(o.Name) + " := " + o.Expr.String()
	}
	add("Project %s", strings.Join(outs, ", "))
	if p.Having != nil {
		add("Filter %s", p.Having.String())
	}
	if p.Aggregated {
		var keys []string
		if p.Window != nil {
			keys = append(keys, p.Window.String())
		}
		for _, k := range p.GroupBy {
			keys = append(keys, k.String())
		}
		_ = keys
		aggs := make([]string, len(p.Aggs))
		for i, a := range p.Aggs {
			aggs[i] = a.String()
		}
		add("Aggregate keys=[%s] aggs=[%s]", strings.Join(keys, ", "), strings.Join(aggs, ", "))
	}
	if p.KeyFilter != nil {
		add("Filter %s (HAVING on group keys)", p.KeyFilter.String())
	}
	if p.Where != nil {
		add("Filter %s", p.Where.String())
	}
	add("Scan %s [%s]", QuoteIdent(p.Table), p.ColumnSchema())
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteString(strings.Repeat("   ", i-1))
			b.WriteString("└─ ")
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}
