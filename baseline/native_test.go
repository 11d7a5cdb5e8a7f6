package baseline_test

import (
	dbsql "database/sql"
	"fmt"
	"slices"
	"testing"

	"brook/baseline"
	"brook/value"

	_ "github.com/duckdb/duckdb-go/v2"
)

// nativeCases are queries brook's planner rewrites into other SQL (IS
// [NOT] DISTINCT FROM, IS [NOT] TRUE/FALSE, FILTER, NULLS FIRST/LAST,
// GROUP BY ALL, aliases in HAVING): the baseline runs
// brook's rendering of them, so the parity tests alone could not tell a
// rewriting that changed their meaning. Here DuckDB runs them as written.
var nativeCases = []string{
	`SELECT id, i IS DISTINCT FROM j AS a, i IS NOT DISTINCT FROM j AS b, s IS DISTINCT FROM k AS c, f IS NOT DISTINCT FROM NULL AS d FROM t`,
	`SELECT id, b IS TRUE AS a, b IS NOT TRUE AS b2, b IS FALSE AS c, b IS NOT FALSE AS d, NOT b IS NOT FALSE AS e FROM t`,
	`SELECT id, i IS DISTINCT FROM j + 1 AND b AS a, (i > j) IS NOT FALSE OR s IS DISTINCT FROM 'a' AS c FROM t`,
	`SELECT k, count(*) FILTER (WHERE b) AS n, sum(i) FILTER (WHERE i > 0) AS si, count(DISTINCT s) FILTER (WHERE f > 0) AS ds FROM t GROUP BY k`,
	// NULLS FIRST/LAST, and DuckDB's default NULLS LAST, pick the rows a
	// LIMIT keeps (the keys end with id, so the cut is unambiguous)
	`SELECT id, i FROM t ORDER BY i NULLS FIRST, id LIMIT 4`,
	`SELECT id, i FROM t ORDER BY i DESC NULLS FIRST, id DESC LIMIT 4`,
	`SELECT id, f FROM t ORDER BY f DESC, id LIMIT 4`,
	`SELECT id, s FROM t ORDER BY s ASC NULLS LAST, id NULLS FIRST LIMIT 3 OFFSET 1`,
	`SELECT k, sum(i) AS si FROM t GROUP BY k ORDER BY si DESC NULLS FIRST, k NULLS FIRST LIMIT 2`,
	`SELECT k, count(*) AS n FROM t GROUP BY k ORDER BY k NULLS FIRST LIMIT 1`,
	// GROUP BY ALL groups by the items without aggregates that read a
	// column: a constant is no key, and no key left groups nothing
	`SELECT k, b, 'x' AS c, count(*) AS n, sum(i) + 1 AS si FROM t GROUP BY ALL`,
	`SELECT lower(s) AS ls, i % 3 AS m, max(f) AS mf FROM t GROUP BY ALL HAVING count(*) > 1`,
	`SELECT 1 + 1 AS c, count(*) AS n, avg(f) AS af FROM t GROUP BY ALL`,
	`SELECT 'x' AS c, 2 AS d FROM t GROUP BY ALL`,
	`SELECT i % 2 AS m FROM t GROUP BY ALL`,
	`SELECT count(*) AS n FROM t WHERE id < 0 GROUP BY ALL`,
	`SELECT 'x' AS c, count(*) AS n FROM t WHERE id < 0 GROUP BY ALL`,
	`SELECT id % 7 AS m, i, j, f, g, s, p, b, k FROM t GROUP BY ALL`,
	// HAVING reads SELECT aliases, outside aggregates, unless a column
	// has the name
	`SELECT k AS kk, count(*) AS n, sum(i) AS si FROM t GROUP BY k HAVING n > 2 AND (si IS NULL OR si / n > 0) AND kk IS NOT NULL`,
	`SELECT j AS i, count(*) AS n FROM t GROUP BY j, i HAVING i > 0 AND n >= 1`,
	`SELECT k, count(*) AS n FROM t GROUP BY ALL HAVING n > 1 ORDER BY n DESC NULLS FIRST, k NULLS FIRST LIMIT 2`,
}

// TestNativeParity runs each of nativeCases through the engine and, as
// written, through DuckDB, over the parity records, and compares the rows.
func TestNativeParity(t *testing.T) {
	ds := &dataset{schema: paritySchema, rows: parityRows}
	ds.write(t)
	db, err := dbsql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, query := range nativeCases {
		plan := ds.build(t, query)
		stream, err := ds.runStream(plan)
		if err != nil {
			t.Fatalf("%s: stream: %v", query, err)
		}
		// The query as written, over a view t of the same records.
		if _, err := db.Exec("CREATE OR REPLACE VIEW t AS SELECT * FROM " + baseline.Source(plan, []string{ds.path})); err != nil {
			t.Fatal(err)
		}
		rows, err := db.Query(query)
		if err != nil {
			t.Fatalf("%s: DuckDB: %v", query, err)
		}
		var native []string
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			native = append(native, fmtRow(vals))
		}
		rows.Close()
		var ours []string
		for _, r := range stream {
			vals := make([]any, len(r))
			for i, v := range r {
				vals[i] = goValue(v)
			}
			ours = append(ours, fmtRow(vals))
		}
		if !sameMultiset(native, ours) {
			t.Errorf("%s:\nDuckDB: %v\nbrook:  %v", query, native, ours)
		}
	}
}

// goValue is v as database/sql gives DuckDB's value.
func goValue(v value.Value) any {
	switch v.Kind {
	case value.Null:
		return nil
	case value.Bool:
		return v.I != 0
	case value.Int:
		return v.I
	case value.Float:
		return v.F
	}
	return v.Format()
}

// fmtRow prints a row's values for comparison (a *big.Int HUGEINT and an
// int64 of the same number print alike).
func fmtRow(vals []any) string {
	s := ""
	for i, v := range vals {
		if i > 0 {
			s += " | "
		}
		if p, ok := v.(fmt.Stringer); ok {
			s += p.String()
			continue
		}
		s += fmt.Sprint(v)
	}
	return s
}

// sameMultiset reports whether a and b hold the same strings, in any order.
func sameMultiset(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
