package baseline

import (
	gosql "database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"brook/diff"
	"brook/ingest"
	"brook/value"
)

// TestReadParity: brook's decoder and DuckDB's read_json (with the same
// explicit columns= type) accept and reject the same JSON values, and read
// the accepted ones as the same value.
func TestReadParity(t *testing.T) {
	db, err := gosql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cases := map[value.Type][]string{
		value.Int:       {`2.5`, `-0.5`, `3.5`, `"2.5"`, `"12"`, `" 12"`, `1e3`, `true`, `"abc"`, `9223372036854775807`, `null`},
		value.Float:     {`6.0`, `"1.5"`, `" 1.5 "`, `"1e3"`, `"inf"`, `"nan"`, `"abc"`, `true`, `""`, `{"a": 1}`, `1e400`, `-0.0`},
		value.Bool:      {`true`, `"true"`, `"t"`, `"1"`, `1`, `0`, `"False"`, `"yes"`},
		value.String:    {`6.0`, `1e3`, `true`, `{"a": 1}`, `[1, 2]`, `1.50`, `443`, `"Port05507"`, `"h\u00e9"`, `-7`},
		value.Timestamp: {`"2024-01-02T03:04:05Z"`, `"2024-01-02 03:04:05.123"`, `1700000000`, `"2024-01-02"`, `"nope"`},
	}
	dir := t.TempDir()
	n := 0
	for typ, jsons := range cases {
		for _, js := range jsons {
			n++
			line := `{"v": ` + js + "}\n"
			path := filepath.Join(dir, fmt.Sprintf("c%d.json", n))
			if err := os.WriteFile(path, []byte(line), 0o644); err != nil {
				t.Fatal(err)
			}
			var got any
			qerr := db.QueryRow(fmt.Sprintf("SELECT v FROM read_json(%s, format = 'newline_delimited', columns = {'v': %s})", Str(path), Str(typ.String()))).Scan(&got)
			cols := value.Schema{{Name: "v", Type: typ}}
			var b ingest.Batch
			b.Reset(1)
			rejects, _ := ingest.NewDecoder(cols).Decode([]ingest.Chunk{{Name: path, FirstLine: 1, Data: []byte(line)}}, &b)
			switch {
			case qerr != nil && len(rejects) == 0:
				t.Errorf("%s into %s: DuckDB rejects (%v), brook reads %v", js, typ, qerr, b.Row(0)[0].Format())
			case qerr == nil && len(rejects) > 0:
				t.Errorf("%s into %s: DuckDB reads %v, brook rejects (%s)", js, typ, got, rejects[0].Reason)
			case qerr == nil:
				want, err := convert(got, typ)
				if err != nil {
					t.Fatal(err)
				}
				if g := b.Row(0)[0]; !diff.Same(g, want, 0) || g.Kind != want.Kind {
					t.Errorf("%s into %s: brook reads %s (%s), DuckDB %s (%s)", js, typ, g.Format(), g.Kind, want.Format(), want.Kind)
				}
			}
		}
	}
}
