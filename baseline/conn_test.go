package baseline

import (
	"context"
	"strings"
	"testing"

	"brook/value"
)

// queryText runs one statement on c and returns its column types and
// rows as text, one line per row, cells separated by "|".
func queryText(t *testing.T, c *Conn, q string) (types []string, lines []string) {
	t.Helper()
	err := c.Query(context.Background(), q, func(cols []Column) error {
		for _, col := range cols {
			types = append(types, col.Name+" "+col.Type)
		}
		return nil
	}, func(row []value.Value) error {
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = v.Format()
		}
		lines = append(lines, strings.Join(cells, "|"))
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return types, lines
}

// TestConnDialect: a connection takes DuckDB's whole dialect, keeps its
// state between statements, and writes values of types brook does not
// have as DuckDB writes them.
func TestConnDialect(t *testing.T) {
	db, err := Open(1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.Exec(ctx, "CREATE TEMP TABLE t AS SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (3, NULL)) v(x, s)"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ q, types, rows string }{
		{"SELECT 42", "42 INTEGER", "42"},
		{"SELECT median(x) AS m, sum(x) AS s FROM t", "m DOUBLE;s HUGEINT", "2.0|6"},
		{"SELECT t.s, u.x FROM t JOIN t AS u ON t.x = u.x - 1 ORDER BY 1", "s VARCHAR;x INTEGER", "a|2;b|3"},
		{"SELECT 1.50::DECIMAL(5,2) AS d, -0.05::DECIMAL(4,2) AS e", "d DECIMAL(5,2);e DECIMAL(4,2)", "1.50|-0.05"},
		{"SELECT DATE '2024-02-29' AS d, INTERVAL 1 DAY + INTERVAL 90 MINUTE AS i", "d DATE;i INTERVAL", "2024-02-29|1 day 01:30:00"},
		{"SELECT [1, 2] AS l, {'b': 1, 'a': 'x'} AS s", "l INTEGER[];s STRUCT(\"b\" INTEGER, \"a\" VARCHAR)", "[1, 2]|{'b': 1, 'a': x}"},
		{"SELECT TIMESTAMP '2024-01-02 03:04:05.5' AS ts", "ts TIMESTAMP", "2024-01-02 03:04:05.5"},
	} {
		types, rows := queryText(t, c, tc.q)
		if got := strings.Join(types, ";"); got != tc.types {
			t.Errorf("%s: types %s, want %s", tc.q, got, tc.types)
		}
		if got := strings.Join(rows, ";"); got != tc.rows {
			t.Errorf("%s: rows %s, want %s", tc.q, got, tc.rows)
		}
	}
	types, rows := queryText(t, c, "DESCRIBE t")
	if len(types) == 0 || len(rows) != 2 || !strings.HasPrefix(rows[0], "x|INTEGER") {
		t.Errorf("DESCRIBE t: %v %v", types, rows)
	}
	_, rows = queryText(t, c, "SHOW TABLES")
	if strings.Join(rows, ";") != "t" {
		t.Errorf("SHOW TABLES: %v", rows)
	}
	err = c.Query(ctx, "SELECT nope FROM t", func([]Column) error { return nil }, func([]value.Value) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("a bad column: %v", err)
	}
}
