package ingest

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"brook/value"

	_ "github.com/duckdb/duckdb-go/v2" // the DuckDB the baseline runs, as the reference
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

// inferCorpus are columns of JSON values, one per record, over which
// TestDuckDBInferParity compares Infer with read_json_auto.
var inferCorpus = [][]string{
	// numbers
	{`1`}, {`-2`}, {`0`}, {`-0`}, {`300000000000`}, {`9223372036854775807`}, {`-9223372036854775808`},
	{`9223372036854775808`}, {`18446744073709551615`}, {`18446744073709551616`}, {`-9223372036854775809`},
	{`100000000000000000000000000000000000000000`}, {`1`, `18446744073709551616`}, {`18446744073709551616`, `1`},
	{`1`, `9223372036854775808`}, {`9223372036854775808`, `1`}, {`9223372036854775808`, `1.5`}, {`1.5`, `18446744073709551615`},
	{`18446744073709551615`, `18446744073709551616`}, {`9223372036854775808`, `true`}, {`9223372036854775808`, `"a"`},
	{`1.5`}, {`6.0`}, {`-0.0`}, {`0.0`}, {`1e3`}, {`1E-3`}, {`-2.5e+10`}, {`1e400`},
	{`1`, `1.5`}, {`1.5`, `1`}, {`1`, `1e3`}, {`null`, `1`}, {`1`, `null`}, {`null`, `2.5`},
	// booleans, nulls
	{`true`}, {`false`, `true`}, {`null`, `true`}, {`null`}, {`null`, `null`},
	// strings
	{`"a"`}, {`""`}, {`"443"`}, {`"-1"`}, {`"1.5"`}, {`"1e3"`}, {`"true"`}, {`"null"`}, {`"Port05507"`},
	{`"550e8400-e29b-41d4-a716-446655440000"`}, {`"caf\u00e9"`},
	// dates and timestamps
	{`"2024-01-02"`}, {`"2024-1-2"`}, {`" 2024-01-02"`}, {`"2024-02-29"`}, {`"2023-02-29"`}, {`"2024-13-01"`}, {`"0001-01-01"`},
	{`"9999-12-31"`}, {`"02024-01-02"`}, {`"24-01-02"`}, {`"01-02-2024"`}, {`"2024/01/02"`}, {`"20240102"`},
	{`"2024-01-02 03:04:05"`}, {`"2024-1-2 3:4:5"`}, {`"  2024-01-02 03:04:05"`}, {`"2024-01-02 03:04:05 "`},
	{`"2024-01-02 03:04"`}, {`"2024-01-02 03"`}, {`"2024-01-02 24:00:00"`}, {`"2024-01-02 23:59:60"`}, {`"9999-12-31 23:59:59"`},
	{`"2024-01-02 03:04:05.1"`}, {`"2024-01-02 03:04:05.123"`}, {`"2024-01-02 03:04:05.123456"`},
	{`"2024-01-02 03:04:05.1234567"`}, {`"2024-01-02 03:04:05."`},
	{`"2024-01-02T03:04:05"`}, {`"2024-01-02T03:04:05Z"`}, {`"2024-01-02T03:04:05Z "`}, {`"2024-01-02T03:04:05.123"`},
	{`"2024-01-02T03:04:05.123Z"`}, {`"2024-01-02T03:04:05z"`}, {`"2024-01-02 03:04:05Z"`},
	{`"2024-01-02 03:04:05+01:00"`}, {`"2024-01-02T03:04:05+01:00"`}, {`"2024-01-02 03:04:05+00"`}, {`"2024-01-02 03:04:05 UTC"`},
	{`"03:04:05"`}, {`"03:04:05.5"`}, {`"03:04"`}, {`"infinity"`}, {`"epoch"`},
	// the same format throughout, or not
	{`"2024-01-02"`, `"2024-01-03"`}, {`"2024-01-02"`, `null`, `"2024-12-31"`},
	{`"2024-01-02 03:04:05"`, `"2024-01-03 00:00:00"`}, {`"2024-01-02 03:04:05.5"`, `"2024-01-02 03:04:05.25"`},
	{`"2024-01-02T03:04:05Z"`, `"2025-06-07T08:09:10Z"`},
	{`"2024-01-02T03:04:05"`, `"2025-06-07T08:09:10"`}, {`"2024-01-02T03:04:05"`, `"2024-01-02 03:04:05"`},
	{`"2024-01-02 03:04:05"`, `"2024-01-02T03:04:05"`}, {`"2024-01-02T03:04:05"`, `"2024-01-02"`},
	{`"2024-01-02T03:04:05"`, `"2024-01-02T03:04:05Z"`}, {`"2024-1-2T3:4:5"`}, {`"2024-01-02T24:00:00"`},
	{`" 2024-01-02T03:04:05 "`}, {`"2024-01-02T03:04"`}, {`"2024-01-02T03:04:05+01"`},
	{`"2024-01-02"`, `"2024-01-02 03:04:05"`}, {`"2024-01-02 03:04:05"`, `"2024-01-02"`},
	{`"2024-01-02 03:04:05.5"`, `"2024-01-02 03:04:05"`}, {`"2024-01-02 03:04:05"`, `"2024-01-02 03:04:05.5"`},
	{`"2024-01-02T03:04:05Z"`, `"2024-01-02 03:04:05"`}, {`"2024-01-02 03:04:05"`, `"2024-01-02T03:04:05Z"`},
	{`"2024-01-02"`, `"x"`}, {`"x"`, `"2024-01-02"`}, {`"2024-01-02"`, `""`}, {`"03:04:05"`, `"2024-01-02"`},
	{`"2024-01-02"`, `"01-02-2024"`}, {`"2024-01-02"`, `"2024-01-02"`, `"2024-01-02 03:04:05"`},
	// nested values, and types that mix
	{`{"a": 1}`}, {`{}`}, {`[1, 2]`}, {`[]`}, {`[1, "a"]`}, {`{"a": 1}`, `{"b": "x"}`}, {`null`, `[]`},
	{`1`, `"a"`}, {`"a"`, `1`}, {`1.5`, `"a"`}, {`"2024-01-02"`, `1`}, {`true`, `1`}, {`1`, `true`}, {`true`, `1.5`},
	{`true`, `"x"`}, {`1`, `{"a": 1}`}, {`"x"`, `[1]`}, {`{"a": 1}`, `"x"`},
}

// duckToBrook maps the type read_json_auto gives a column to the type Infer
// must give it (see Infer): brook's five types as they are; DATE and
// TIMESTAMP as TIMESTAMP when every value is an ISO date or timestamp
// (year first), VARCHAR otherwise (another order of fields, special
// values); every other type (JSON, STRUCT, LIST, MAP, TIME, UUID) as
// VARCHAR.
func duckToBrook(duck string, vals []string) value.Type {
	switch duck {
	case "BIGINT":
		return value.Int
	case "DOUBLE":
		return value.Float
	case "BOOLEAN":
		return value.Bool
	case "DATE", "TIMESTAMP":
		for _, v := range vals {
			if v == "null" {
				continue
			}
			s := strings.TrimSpace(strings.Trim(v, `"`))
			if len(s) < 5 || s[4] != '-' || strings.Trim(s[:4], "0123456789") != "" {
				return value.String
			}
		}
		return value.Timestamp
	}
	return value.String
}

// TestDuckDBInferParity: for every column of the corpus, Infer gives the
// type DuckDB's read_json_auto (newline-delimited, sampling as Infer does)
// infers, mapped to brook's types by duckToBrook.
func TestDuckDBInferParity(t *testing.T) {
	db := openDuckDB(t)
	dir := t.TempDir()
	for i, vals := range inferCorpus {
		var text strings.Builder
		for _, v := range vals {
			text.WriteString(`{"k": ` + v + `, "o": 1}` + "\n")
		}
		file := filepath.Join(dir, fmt.Sprintf("col%03d.json", i))
		if err := os.WriteFile(file, []byte(text.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		var name, duck string
		var null, key, def, extra any
		q := fmt.Sprintf("DESCRIBE SELECT k FROM read_json_auto(%s, format = 'newline_delimited', sample_size = %d)", sqlStr(file), DefaultSampleRows)
		if err := db.QueryRow(q).Scan(&name, &duck, &null, &key, &def, &extra); err != nil {
			t.Fatalf("%v: %v", vals, err)
		}
		got, err := Infer([]string{file}, DefaultSampleRows)
		if err != nil || len(got) != 2 || got[0].Name != "k" {
			t.Fatalf("%v: Infer: %v, %v", vals, got, err)
		}
		if want := duckToBrook(duck, vals); got[0].Type != want {
			t.Errorf("%v: Infer gives %s; read_json_auto %s, which is %s in brook", vals, got[0].Type, duck, want)
		}
	}
}
