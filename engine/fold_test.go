package engine

import (
	"strings"
	"testing"

	"brook/sql"
	"brook/value"
)

// numbers is a table with BIGINT, DOUBLE and VARCHAR columns, for the
// tests of what DuckDB evaluates and what it skips.
var numbers = catalog{
	{Name: "i", Type: value.Int}, {Name: "it", Type: value.Int}, {Name: "m", Type: value.Int},
	{Name: "ts", Type: value.Float}, {Name: "f", Type: value.Float},
	{Name: "k", Type: value.String}, {Name: "s", Type: value.String},
}

// numbersRow has i + it beyond BIGINT, -m overflowing, CAST(f AS BIGINT)
// and CAST(k AS BIGINT) failing, and sign(ts) = 1.
const numbersRow = `{"i": 9223372036854775807, "it": 9007199254740999, "m": -9223372036854775808, "ts": 172800.02, "f": -1e308, "k": " a", "s": "z_"}`

// runOne runs query over numbersRow alone and returns its rows, or the
// error the query fails with.
func runOne(t *testing.T, query string) (string, error) {
	t.Helper()
	p, err := sql.Build(query, numbers)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	q, err := New(p, Options{KeepFinal: true})
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	if _, err := q.Process(decodeLines(t, p, numbersRow)); err != nil {
		return "", err
	}
	rows, err := q.Final()
	return render(rows), err
}

// skipCases are queries and what DuckDB 2.0.0 answers on numbersRow: rows,
// or "error: " and a part of the stream's message.
type skipCase struct{ query, want string }

func checkSkips(t *testing.T, cases []skipCase) {
	t.Helper()
	for _, c := range cases {
		got, err := runOne(t, c.query)
		if err != nil {
			got = "error: " + err.Error()
		}
		if want, ok := strings.CutPrefix(c.want, "error: "); ok {
			if !strings.HasPrefix(got, "error: ") || !strings.Contains(got, want) {
				t.Errorf("%s\n got %q\nwant an error with %q", c.query, got, want)
			}
			continue
		}
		if got != c.want {
			t.Errorf("%s\n got %q\nwant %q", c.query, got, c.want)
		}
	}
}

// TestFilterBetweenShortCircuits: in a WHERE, as in a SELECT list, DuckDB
// 2.0 evaluates every operand of x BETWEEN lo AND hi; in a WHEN it is
// x >= lo AND x <= hi in that order, the second evaluated only where the
// first holds.
func TestFilterBetweenShortCircuits(t *testing.T) {
	checkSkips(t, []skipCase{
		{`SELECT count(*) AS n FROM t WHERE TRY_CAST(s AS BIGINT) BETWEEN -1 AND (i + it)`, "error: BIGINT overflow"},
		{`SELECT count(*) AS n FROM t WHERE i BETWEEN (i + it) AND 3`, "error: BIGINT overflow"},
		{`SELECT count(*) AS n FROM t WHERE i BETWEEN 7 AND (i + it)`, "error: BIGINT overflow"},
		{`SELECT count(*) AS n FROM t WHERE 5 BETWEEN NULL AND -m`, "0\n"},
		{`SELECT count(*) AS n FROM t WHERE i BETWEEN CAST(k AS BIGINT) AND it`, "error: cannot convert ' a' to BIGINT"},
		{`SELECT count(*) AS n FROM t WHERE i BETWEEN it AND CAST(k AS BIGINT)`, "error: cannot convert ' a' to BIGINT"},
		{`SELECT count(*) AS n FROM t WHERE CASE WHEN TRY_CAST(s AS BIGINT) BETWEEN -1 AND (i + it) THEN 1 ELSE 0 END = 0`, "1\n"},
		{`SELECT CASE WHEN i BETWEEN (i + it) AND 3 THEN 1 ELSE 0 END AS c FROM t`, "error: BIGINT overflow"},
		{`SELECT CASE WHEN -i BETWEEN 3 AND (i + it) THEN 1 ELSE 0 END AS c FROM t`, "0\n"},
		{`SELECT TRY_CAST(s AS BIGINT) BETWEEN -1 AND (i + it) AS b FROM t`, "error: BIGINT overflow"},
	})
}

// TestFilterInShortCircuits: in a filter, x IN (a, b) is x = a OR x = b in
// the order written; an item is evaluated only while the chain is
// undecided. x NOT IN evaluates every item, and so does IN in a SELECT
// list (DuckDB 2.0).
func TestFilterInShortCircuits(t *testing.T) {
	checkSkips(t, []skipCase{
		{`SELECT count(*) AS n FROM t WHERE sign(ts) IN (CAST(k AS BIGINT), 1.0)`, "error: cannot convert ' a' to BIGINT"},
		{`SELECT count(*) AS n FROM t WHERE sign(ts) IN (1.0, CAST(k AS BIGINT))`, "1\n"},
		{`SELECT count(*) AS n FROM t WHERE sign(ts) NOT IN (CAST(k AS BIGINT), 1.0)`, "error: cannot convert ' a' to BIGINT"},
		{`SELECT count(*) AS n FROM t WHERE sign(ts) NOT IN (1.0, CAST(k AS BIGINT))`, "error: cannot convert ' a' to BIGINT"},
		{`SELECT count(*) AS n FROM t WHERE i IN (CAST(k AS BIGINT), i)`, "error: cannot convert ' a' to BIGINT"},
		{`SELECT count(*) AS n FROM t WHERE i IN (i, CAST(k AS BIGINT))`, "1\n"},
		{`SELECT count(*) AS n FROM t WHERE i IN ((i + it), abs(i))`, "error: BIGINT overflow"},
		{`SELECT count(*) AS n FROM t WHERE CASE WHEN sign(ts) IN (1.0, CAST(k AS BIGINT)) THEN TRUE END`, "1\n"},
		{`SELECT count(*) AS n FROM t WHERE CASE WHEN sign(ts) IN (CAST(k AS BIGINT), 1.0) THEN TRUE END`, "error: cannot convert ' a' to BIGINT"},
		{`SELECT count(*) AS n FROM t WHERE sign(ts) IN (CAST(k AS BIGINT), 2.0)`, "error: cannot convert ' a' to BIGINT"},
		{`SELECT sign(ts) IN (CAST(k AS BIGINT), 1.0) AS b FROM t`, "error: cannot convert ' a' to BIGINT"},
		// A NULL item makes NOT IN never TRUE, but x is still computed.
		{`SELECT count(*) AS n FROM t WHERE (i + it) NOT IN (NULL)`, "error: BIGINT overflow"},
		{`SELECT count(*) AS n FROM t WHERE CAST(k AS BIGINT) NOT IN (NULL, 2)`, "error: cannot convert ' a' to BIGINT"},
		{`SELECT count(*) AS n FROM t WHERE i NOT IN (NULL, 2)`, "0\n"},
		{`SELECT TRY_CAST(NULL AS DOUBLE) IN (i + it) AS b, CAST(NULL AS BIGINT) NOT IN (i + it, 2) AS c FROM t`, "NULL | NULL\n"},
		{`SELECT count(*) AS n FROM t WHERE CAST(NULL AS BIGINT) IN (i + it, 2)`, "0\n"},
		{`SELECT i IN (NULL, i + it) AS b FROM t`, "error: BIGINT overflow"},
		// HAVING evaluates as WHERE: in order, BETWEEN and NOT IN whole
		{`SELECT k, count(*) AS c FROM t GROUP BY k HAVING CAST(max(k) AS BIGINT) = 2 OR count(*) > 0`, "error: cannot convert ' a' to BIGINT"},
		{`SELECT k, count(*) AS c FROM t GROUP BY k HAVING count(*) > 0 OR CAST(max(k) AS BIGINT) = 2`, " a | 1\n"},
		{`SELECT k, count(*) AS c FROM t GROUP BY k HAVING count(*) BETWEEN 5 AND CAST(max(k) AS BIGINT)`, "error: cannot convert ' a' to BIGINT"},
		{`SELECT k, count(*) AS c FROM t GROUP BY k HAVING count(*) IN (1, CAST(max(k) AS BIGINT))`, " a | 1\n"},
		{`SELECT k, count(*) AS c FROM t GROUP BY k HAVING count(*) NOT IN (1, CAST(max(k) AS BIGINT))`, "error: cannot convert ' a' to BIGINT"},
	})
}

// TestNullOperandFolds: a comparison or arithmetic operator with an operand
// that is NULL at plan time is NULL, and its other operand is never
// evaluated.
func TestNullOperandFolds(t *testing.T) {
	checkSkips(t, []skipCase{
		{`SELECT NULL = -m AS b FROM t`, "NULL\n"},
		{`SELECT CAST(NULL AS BIGINT) + (-m) AS x FROM t`, "NULL\n"},
		{`SELECT (NULL + 1) * (-m) AS x FROM t`, "NULL\n"},
		{`SELECT count(*) AS n FROM t WHERE NOT (NULL = -m)`, "0\n"},
		{`SELECT count(*) AS n FROM t WHERE (NULL = -m) IS NULL`, "1\n"},
		// DuckDB 2.0's optimizer rewrites -m > 0 as m < 0, which cannot
		// overflow, and answers 1; brook keeps DuckDB's rule (-m fails, as
		// in SELECT -m) and DuckDB 1.1's answer.
		{`SELECT count(*) AS n FROM t WHERE NULL OR -m > 0`, "error: BIGINT overflow"},
		{`SELECT least(CAST(NULL AS BIGINT), -m) AS x FROM t`, "error: BIGINT overflow"},
		{`SELECT -m % CASE 1 WHEN 2 THEN i END AS x FROM t`, "error: BIGINT overflow"}, // folded after -m's operator was bound
		{`SELECT -m = CASE 1 WHEN 2 THEN i END AS x FROM t`, "NULL\n"},
	})
}

// TestUnreadAggregateNotEvaluated: an aggregate read only by an operator
// that folds to NULL is never computed, so its argument never fails.
func TestUnreadAggregateNotEvaluated(t *testing.T) {
	checkSkips(t, []skipCase{
		{`SELECT NULL / max(CAST(k AS BIGINT)) AS x FROM t`, "NULL\n"},
		{`SELECT k, NULL / max(CAST(k AS BIGINT)) AS x FROM t GROUP BY k`, " a | NULL\n"},
		{`SELECT k FROM t GROUP BY k ORDER BY NULL + max(CAST(k AS BIGINT))`, " a\n"},
		{`SELECT k, NULL / max(CAST(k AS BIGINT)) AS x, max(CAST(k AS BIGINT)) AS y FROM t GROUP BY k`, "error: cannot convert ' a' to BIGINT"},
		{`SELECT CASE NULL WHEN 42 THEN max(-m) END AS x FROM t`, "NULL\n"},
		{`SELECT CASE WHEN NULL = 1 THEN max(-m) ELSE 3 END AS x FROM t`, "3\n"},
	})
}

// TestKeepsNothing: LIMIT 0, or a WHERE or HAVING that folds to a constant
// other than TRUE, evaluates nothing, so no row fails.
func TestKeepsNothing(t *testing.T) {
	checkSkips(t, []skipCase{
		{`SELECT -m AS x FROM t LIMIT 0`, ""},
		{`SELECT max(CAST(f AS BIGINT)) AS x FROM t WHERE NULL = -m`, "NULL\n"},
		{`SELECT max(CAST(f AS BIGINT)) AS x FROM t WHERE NULL AND i > 0`, "NULL\n"},
		// DuckDB 1.1 answers no row; DuckDB 2.0 evaluates max's argument and
		// fails on CAST(f AS BIGINT). brook keeps DuckDB 1.1's answer.
		{`SELECT max(CAST(f AS BIGINT)) AS x FROM t GROUP BY i HAVING 'abc' <> CASE count(*) WHEN 42 THEN i ELSE 42 END`, ""},
		{`SELECT max(CAST(f AS BIGINT)) AS x FROM t GROUP BY i HAVING NULL <> max(-m)`, ""},
		{`SELECT max(CAST(f AS BIGINT)) AS x FROM t HAVING 1 = 2`, ""},
		{`SELECT max(CAST(f AS BIGINT)) AS x FROM t WHERE i BETWEEN -m AND NULL`, "NULL\n"},
		{`SELECT count(*) AS n FROM t HAVING count(*) BETWEEN sum(i) AND CASE NULL WHEN 42 THEN max(-m) END`, ""},
		{`SELECT max(CAST(f AS BIGINT)) AS x FROM t GROUP BY i HAVING count(*) > 0`, "error: cannot convert"},
	})
}
