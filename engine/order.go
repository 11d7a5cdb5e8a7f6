package engine

import (
	"slices"

	"brook/value"
)

// compare orders two rows by the plan's total order (sql.Plan.TotalOrder):
// the ORDER BY keys, NULLs last in either direction unless the key says
// NULLS FIRST, then every output column ascending, NULLs last.
func (q *Query) compare(a, b sortRow) int {
	if c := q.compareKeys(a, b); c != 0 {
		return c
	}
	for i := range a.out {
		if c := value.Order(a.out[i], b.out[i]); c != 0 {
			return c
		}
	}
	return 0
}

// compareKeys orders two rows by their ORDER BY keys alone.
func (q *Query) compareKeys(a, b sortRow) int {
	for i, desc := range q.desc {
		x, y := a.keys[i], b.keys[i]
		c := value.Order(x, y) // NULLs last
		switch {
		case x.IsNull() || y.IsNull():
			if q.nullsFirst[i] {
				c = -c
			}
		case desc:
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func (q *Query) sortRows(rows []sortRow) {
	if len(q.desc) > 0 {
		slices.SortStableFunc(rows, q.compare)
	}
}

// sortCut sorts rows when the query orders or limits them, then applies
// OFFSET and LIMIT.
func (q *Query) sortCut(rows []sortRow) []sortRow {
	p := q.plan
	if !p.Sorted() {
		return rows
	}
	slices.SortFunc(rows, q.compare)
	return q.cut(rows)
}

// cut applies OFFSET and LIMIT to sorted rows.
func (q *Query) cut(rows []sortRow) []sortRow {
	p := q.plan
	off := min(int64(len(rows)), p.Offset)
	rows = rows[off:]
	if p.Limit >= 0 && int64(len(rows)) > p.Limit {
		rows = rows[:p.Limit]
	}
	return rows
}
