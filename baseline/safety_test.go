package baseline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"brook/sql"
	"brook/value"
)

// hostile are names and strings written to break out of quoting.
var hostile = []string{
	`"; DROP TABLE x; --`,
	`x'); SELECT * FROM read_csv('/etc/passwd') --`,
	`read_csv('/etc/passwd')`,
	`'`, `''`, `"`, `""`, `\`, `\'`, `\"`,
	"new\nline", "carriage\r\nreturn", "tab\tbed",
	`back\slash\`, `semi;colon`, `/* open comment`, `-- dash comment`,
	`$$dollar$$`, `{'struct': 1}`, `*`, `[a]`, `?`, `~`, `%_`,
	"unicodé ☃", "x\u2028y",
}

// anyCatalog binds every table name to one schema.
type anyCatalog value.Schema

func (c anyCatalog) Schema(string) (value.Schema, error) { return value.Schema(c), nil }
func (c anyCatalog) Tables() []string                    { return []string{"t"} }

// ident and str quote for brook's SQL, as a user would.
func ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
func str(s string) string   { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func openDB(t *testing.T) *DB {
	t.Helper()
	db, err := Open(1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// statements parses text with DuckDB's own parser and returns how many
// statements it holds and every function and table function it calls.
func statements(t *testing.T, db *DB, text string) (int, []string) {
	t.Helper()
	var js string
	if err := db.db.QueryRow("SELECT CAST(json_serialize_sql(" + Str(text) + ") AS VARCHAR)").Scan(&js); err != nil {
		t.Fatal(err)
	}
	var tree struct {
		Error      bool   `json:"error"`
		Message    string `json:"error_message"`
		Statements []any  `json:"statements"`
	}
	if err := json.Unmarshal([]byte(js), &tree); err != nil {
		t.Fatal(err)
	}
	if tree.Error {
		t.Fatalf("DuckDB cannot parse the rendered SQL: %s\n%s", tree.Message, text)
	}
	var funcs []string
	var walk func(any)
	walk = func(n any) {
		switch x := n.(type) {
		case map[string]any:
			if name, ok := x["function_name"].(string); ok {
				funcs = append(funcs, name)
			}
			for _, v := range x {
				walk(v)
			}
		case []any:
			for _, v := range x {
				walk(v)
			}
		}
	}
	walk(tree.Statements)
	sort.Strings(funcs)
	return len(tree.Statements), funcs
}

// checkOneRead checks that text is one statement whose only table function
// is a single read_json, calling nothing outside allowed.
func checkOneRead(t *testing.T, db *DB, text string, allowed ...string) {
	t.Helper()
	n, funcs := statements(t, db, text)
	if n != 1 {
		t.Fatalf("%d statements in\n%s", n, text)
	}
	ok := map[string]bool{"read_json": true, "list_value": true, "struct_pack": true}
	for _, a := range allowed {
		ok[a] = true
	}
	reads := 0
	for _, f := range funcs {
		if !ok[f] {
			t.Errorf("the rendered SQL calls %s (all: %v):\n%s", f, funcs, text)
		}
		if f == "read_json" {
			reads++
		}
	}
	if reads != 1 {
		t.Errorf("read_json %d times in\n%s", reads, text)
	}
}

func writeLines(t *testing.T, path string, records ...map[string]any) {
	t.Helper()
	var b strings.Builder
	for _, r := range records {
		line, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestHostileColumnNames: a column may be named anything, including SQL
// that reads /etc/passwd; it is a column, quoted, in the rendered SQL:
// DuckDB reads that field of the bound file and nothing else.
func TestHostileColumnNames(t *testing.T) {
	db := openDB(t)
	file := filepath.Join(t.TempDir(), "data.json")
	var records []map[string]any
	for i := 0; i < 2; i++ {
		r := map[string]any{"v": float64(i + 1)}
		for k, h := range hostile {
			r[h] = fmt.Sprintf("value %d", k)
		}
		records = append(records, r)
	}
	writeLines(t, file, records...)
	schema := value.Schema{{Name: "v", Type: value.Float}}
	for _, h := range hostile {
		schema = append(schema, value.Column{Name: h, Type: value.String})
	}
	for k, h := range hostile {
		q := fmt.Sprintf("SELECT %s AS %s, count(*) AS n, sum(v) AS s FROM t GROUP BY %s", ident(h), ident(h), ident(h))
		p, err := sql.Build(q, anyCatalog(schema))
		if err != nil {
			t.Errorf("%q: %v", h, err)
			continue
		}
		res, err := db.Run(context.Background(), p, []string{file})
		if err != nil {
			t.Errorf("%q: %v\n%s", h, err, Render(p, []string{file}))
			continue
		}
		want := fmt.Sprintf("[[value %d 2 3.0]]", k)
		if got := formatRows(res.Rows); got != want || res.RowsRead != 2 || res.Schema[0].Name != h {
			t.Errorf("%q: rows %s (read %d, first column %q), want %s from 2 rows\n%s", h, got, res.RowsRead, res.Schema[0].Name, want, res.SQL)
		}
		checkOneRead(t, db, res.SQL, "count_star", "sum")
	}
}

// TestHostileStrings: string literals are quoted: each matches the row
// holding it, and nothing runs.
func TestHostileStrings(t *testing.T) {
	db := openDB(t)
	file := filepath.Join(t.TempDir(), "data.json")
	var records []map[string]any
	for _, h := range hostile {
		records = append(records, map[string]any{"s": h})
	}
	writeLines(t, file, records...)
	schema := value.Schema{{Name: "s", Type: value.String}}
	for _, h := range hostile {
		for _, q := range []string{
			"SELECT count(*) AS n FROM t WHERE s = " + str(h),
			"SELECT count(*) AS n FROM t WHERE s IN ('nothing', " + str(h) + ")",
			"SELECT count(*) AS n FROM t WHERE s || 'x' = " + str(h+"x"),
			"SELECT count(*) AS n FROM t WHERE CASE WHEN s = " + str(h) + " THEN TRUE ELSE FALSE END",
		} {
			p, err := sql.Build(q, anyCatalog(schema))
			if err != nil {
				t.Errorf("%s: %v", q, err)
				continue
			}
			res, err := db.Run(context.Background(), p, []string{file})
			if err != nil {
				t.Errorf("%s: %v\n%s", q, err, Render(p, []string{file}))
				continue
			}
			if got := formatRows(res.Rows); got != "[[1]]" {
				t.Errorf("%s: %s, want [[1]]\n%s", q, got, res.SQL)
			}
			checkOneRead(t, db, res.SQL, "count_star", "||")
		}
		// A hostile string as an output value and an output name.
		q := "SELECT " + str(h) + " AS " + ident(h) + " FROM t LIMIT 1"
		p, err := sql.Build(q, anyCatalog(schema))
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		res, err := db.Run(context.Background(), p, []string{file})
		if err != nil || len(res.Rows) != 1 || res.Rows[0][0].S != h {
			t.Errorf("%s: %v, %v", q, res, err)
			continue
		}
		checkOneRead(t, db, res.SQL)
	}
}

// TestHostileFileNames: file names holding quotes, SQL, or DuckDB's glob
// characters are read as exactly those files: never the other files a
// pattern would match.
func TestHostileFileNames(t *testing.T) {
	db := openDB(t)
	dir := t.TempDir()
	names := []string{
		`x'); SELECT * FROM read_csv('etc.json') --.json`,
		`a*.json`, `[ab].json`, `?.json`, `a?.json`, `[[].json`, `**.json`,
		`semi;colon.json`, "new\nline.json", `back\slash.json`, `quote"d.json`, `{a,b}.json`, `~.json`,
	}
	decoys := []string{"a.json", "b.json", "ab.json", "aa.json", "etc.json", "[.json"}
	var files []string
	for _, n := range names {
		files = append(files, filepath.Join(dir, n))
		writeLines(t, files[len(files)-1], map[string]any{"f": n})
	}
	for _, n := range decoys {
		writeLines(t, filepath.Join(dir, n), map[string]any{"f": "decoy " + n})
	}
	p, err := sql.Build("SELECT f, count(*) AS n FROM t GROUP BY f ORDER BY f", anyCatalog{{Name: "f", Type: value.String}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.Run(context.Background(), p, files)
	if err != nil {
		t.Fatalf("%v\n%s", err, Render(p, files))
	}
	var got []string
	for _, r := range res.Rows {
		got = append(got, r[0].S+" x"+r[1].Format())
	}
	var want []string
	for _, n := range names {
		want = append(want, n+" x1")
	}
	sort.Strings(want)
	if strings.Join(got, "|") != strings.Join(want, "|") || res.RowsRead != int64(len(names)) {
		t.Errorf("read %d rows:\n%q\nwant\n%q", res.RowsRead, got, want)
	}
	checkOneRead(t, db, res.SQL, "count_star")

	// A backslash before a glob character cannot be escaped for DuckDB:
	// it then finds no file, and says so, rather than reading others.
	odd := filepath.Join(dir, `c\*.json`)
	writeLines(t, odd, map[string]any{"f": "odd"})
	writeLines(t, filepath.Join(dir, `c\x.json`), map[string]any{"f": "decoy"})
	if res, err := db.Run(context.Background(), p, []string{odd}); err == nil && (len(res.Rows) != 1 || res.Rows[0][0].S != "odd") {
		t.Errorf("%s read %v", odd, res.Rows)
	}
}

func TestFilePattern(t *testing.T) {
	for in, want := range map[string]string{
		"testdata/flows/f.json": "testdata/flows/f.json",
		"a*b?[c].json":          "a[*]b[?][[]c].json",
		"~/x.json":              "./~/x.json",
		"dir/~x.json":           "dir/~x.json",
		"/abs/it's.json":        "/abs/it's.json", // quoted by Str
	} {
		if got := FilePattern(in); got != want {
			t.Errorf("FilePattern(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestHostileQueries: query text that would make DuckDB read or write
// something else is refused by the front end, or renders harmlessly: a
// table name never reaches DuckDB (the bound files do).
func TestHostileQueries(t *testing.T) {
	schema := anyCatalog{{Name: "s", Type: value.String}}
	for _, q := range []string{
		"SELECT read_csv('/etc/passwd') FROM t",
		"SELECT * FROM read_csv('/etc/passwd')",
		"SELECT s FROM t, read_csv('/etc/passwd')",
		"SELECT s FROM t; DROP TABLE t",
		"SELECT s FROM t; SELECT * FROM read_csv('/etc/passwd')",
		"COPY (SELECT 1) TO '/tmp/x.csv'",
		"ATTACH '/tmp/x.db' AS x",
		"INSTALL httpfs",
		"PRAGMA version",
		"SET enable_external_access = true",
		"SELECT s FROM t WHERE s IN (SELECT * FROM read_csv('/etc/passwd'))",
		"SELECT getenv('HOME') FROM t",
		"SELECT s FROM t UNION SELECT * FROM read_text('/etc/passwd')",
		"WITH x AS (SELECT * FROM read_blob('/etc/passwd')) SELECT s FROM t",
	} {
		if p, err := sql.Build(q, schema); err == nil {
			t.Errorf("%s: accepted, rendering\n%s", q, Render(p, []string{"f.json"}))
		}
	}

	db := openDB(t)
	file := filepath.Join(t.TempDir(), "data.json")
	writeLines(t, file, map[string]any{"s": "bound"})
	for _, table := range []string{`"/etc/passwd"`, `"x; DROP TABLE y; --"`, `"read_csv('/etc/passwd')"`, `"'/etc/passwd'"`} {
		p, err := sql.Build("SELECT s, count(*) AS n FROM "+table+" GROUP BY s", schema)
		if err != nil {
			t.Errorf("FROM %s: %v", table, err)
			continue
		}
		res, err := db.Run(context.Background(), p, []string{file})
		if err != nil {
			t.Errorf("FROM %s: %v", table, err)
			continue
		}
		if strings.Contains(res.SQL, "passwd") || strings.Contains(res.SQL, "DROP") || formatRows(res.Rows) != "[[bound 1]]" {
			t.Errorf("FROM %s: %s\n%s", table, formatRows(res.Rows), res.SQL)
		}
		checkOneRead(t, db, res.SQL, "count_star")
	}
}

// TestNULByte: DuckDB takes SQL as a C string, which a NUL would cut short;
// a query holding one is refused.
func TestNULByte(t *testing.T) {
	db := openDB(t)
	file := filepath.Join(t.TempDir(), "data.json")
	writeLines(t, file, map[string]any{"s": "a\x00b"})
	p, err := sql.Build("SELECT count(*) AS n FROM t WHERE s = 'a\x00b'", anyCatalog{{Name: "s", Type: value.String}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Run(context.Background(), p, []string{file}); err == nil || !strings.Contains(err.Error(), "NUL byte") {
		t.Errorf("error %v, want one about the NUL byte", err)
	}
}

// TestInvalidUTF8: DuckDB refuses SQL text that is not UTF-8; the baseline
// says why.
func TestInvalidUTF8(t *testing.T) {
	db := openDB(t)
	p, err := sql.Build("SELECT count(*) AS \"n\xff\" FROM t", anyCatalog{{Name: "s", Type: value.String}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Run(context.Background(), p, []string{"x.json"}); err == nil || !strings.Contains(err.Error(), "not valid UTF-8") {
		t.Errorf("error %v, want one about invalid UTF-8", err)
	}
}

func formatRows(rows [][]value.Value) string {
	var parts []string
	for _, r := range rows {
		var cells []string
		for _, v := range r {
			cells = append(cells, v.Format())
		}
		parts = append(parts, "["+strings.Join(cells, " ")+"]")
	}
	return "[" + strings.Join(parts, " ") + "]"
}
