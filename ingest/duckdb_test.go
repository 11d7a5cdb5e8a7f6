package ingest

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/marcboeker/go-duckdb" // the DuckDB the baseline runs, as the reference
)

// openDuckDB opens an in-memory DuckDB: the engine (and version) brook's
// baseline runs, to check the decoder and Infer against.
func openDuckDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// sqlStr quotes s as a DuckDB string literal.
func sqlStr(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// duckReads reports whether DuckDB's read_json, with the baseline's options
// and the given columns, reads file without an error; it returns the error.
func duckReads(db *sql.DB, file string, cols string) error {
	rows, err := db.Query(fmt.Sprintf("SELECT * FROM read_json(%s, format = 'newline_delimited', columns = %s)", sqlStr(file), cols))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

// TestDuckDBStrictParity: for every strict-JSON case, the decoder accepts
// the line exactly when DuckDB's read_json, given the same columns as the
// baseline gives it, reads it.
func TestDuckDBStrictParity(t *testing.T) {
	db := openDuckDB(t)
	var defs []string
	for _, c := range strictCols {
		defs = append(defs, sqlStr(c.Name)+": "+sqlStr(c.Type.String()))
	}
	cols := "{" + strings.Join(defs, ", ") + "}"
	dir := t.TempDir()
	for i, c := range strictCases {
		file := filepath.Join(dir, fmt.Sprintf("case%03d.json", i))
		if err := os.WriteFile(file, []byte(c.line+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		derr := duckReads(db, file, cols)
		_, rejects, _ := decodeText(t, strictCols, c.line+"\n")
		switch {
		case derr != nil && len(rejects) == 0:
			t.Errorf("%s: %q: DuckDB refuses it (%v), brook accepts it", c.name, c.line, firstLine(derr))
		case derr == nil && len(rejects) > 0:
			t.Errorf("%s: %q: DuckDB reads it, brook rejects it (%s)", c.name, c.line, rejects[0].Reason)
		}
	}
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
