package baseline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"brook/sql"
	"brook/value"
)

// fuzzCatalog binds every table to columns of every type, named as the
// bundled queries and some hostile queries expect.
var fuzzCatalog = anyCatalog{
	{Name: "time", Type: value.Float}, {Name: "ts", Type: value.Timestamp},
	{Name: "srcdevice", Type: value.String}, {Name: "dstdevice", Type: value.String},
	{Name: "dstport", Type: value.String}, {Name: "srcbytes", Type: value.Float},
	{Name: "dstbytes", Type: value.Float}, {Name: "duration", Type: value.Float}, {Name: "protocol", Type: value.Float},
	{Name: "srcport", Type: value.String}, {Name: "srcpackets", Type: value.Float}, {Name: "dstpackets", Type: value.Float},
	{Name: "n", Type: value.Int}, {Name: "ok", Type: value.Bool},
	{Name: `x'); SELECT * FROM read_csv('/etc/passwd') --`, Type: value.String},
	{Name: `"; DROP TABLE x; --`, Type: value.Float},
}

// rendererFuncs are the DuckDB functions the renderer itself writes, besides
// the query's own (sql.ScalarFuncs and the aggregates) and operators.
var rendererFuncs = map[string]bool{
	"read_json": true, "list_value": true, "struct_pack": true, "range": true, "lag": true,
	"count_star": true, "substring": true, "epoch_us": true, "make_timestamp": true,
	"count": true, "sum": true, "avg": true, "min": true, "max": true,
}

// FuzzRender: no query text makes the front end or the renderer panic,
// and every query the front end accepts renders to DuckDB SQL that DuckDB
// parses as exactly one statement, reading input through exactly one
// read_json and calling only functions a query may call.
//
// Run: go test -run '^$' -fuzz FuzzRender -fuzztime 30s ./baseline
func FuzzRender(f *testing.F) {
	queries, _ := filepath.Glob("../queries/*.sql")
	for _, q := range queries {
		if data, err := os.ReadFile(q); err == nil {
			f.Add(string(data))
		}
	}
	for _, seed := range []string{
		"SELECT dstdevice, COUNT(*) AS hits FROM flows WHERE dstport IN (443, 8000) GROUP BY dstdevice ORDER BY hits DESC LIMIT 20",
		`SELECT "x'); SELECT * FROM read_csv('/etc/passwd') --" AS "a""; DROP TABLE t; --" FROM flows WHERE srcdevice = 'x''); DROP TABLE t; --'`,
		`SELECT """; DROP TABLE x; --" + 1 FROM "/etc/passwd"`,
		"SELECT TUMBLE(ts, INTERVAL 10 SECOND) AS w, count(*) FROM flows GROUP BY TUMBLE(ts, INTERVAL 10 SECOND)",
		"SELECT srcdevice, SESSION(time, 30) AS s, SESSION_END(time, 30) AS e, sum(n) FROM flows GROUP BY srcdevice, SESSION(time, 30)",
		"SELECT CASE WHEN ok THEN lower(srcdevice) ELSE concat(dstport, '\\', 'x') END, round(srcbytes, 2), substr(dstport, 1, 2) FROM flows WHERE dstport LIKE '%4_' AND n BETWEEN 1 AND 2 OR ts > '2024-01-01'",
		"SELECT count(DISTINCT srcdevice), avg(srcbytes) FROM flows HAVING count(*) > 1 ORDER BY 1 LIMIT 5 OFFSET 2",
		"SELECT TRY_CAST(dstport AS DOUBLE) * 2, CAST(n AS VARCHAR) || '''' FROM flows WHERE dstport NOT IN ('1', 2) AND srcdevice IS NOT NULL",
	} {
		f.Add(seed)
	}
	db, err := Open(1)
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	files := []string{"/data/flows-1.json", "/data/it's [odd] *.json"}
	f.Fuzz(func(t *testing.T, query string) {
		p, err := sql.Build(query, fuzzCatalog)
		if err != nil {
			return
		}
		_ = p.String()
		text := Render(p, files)
		_ = Render(p, nil)
		if !utf8.ValidString(text) || strings.IndexByte(text, 0) >= 0 {
			return // DB.Run refuses it (TestNULByte, TestInvalidUTF8)
		}
		n, funcs := statements(t, db, text)
		if n != 1 {
			t.Fatalf("%d statements rendered from %q:\n%s", n, query, text)
		}
		reads := 0
		for _, fn := range funcs {
			if fn == "read_json" {
				reads++
			}
			if _, ok := sql.ScalarFuncs[fn]; !ok && !rendererFuncs[fn] && !operator(fn) {
				t.Fatalf("the SQL rendered from %q calls %s:\n%s", query, fn, text)
			}
		}
		if reads != 1 {
			t.Fatalf("read_json %d times in the SQL rendered from %q:\n%s", reads, query, text)
		}
	})
}

// operator reports whether a DuckDB function name is an operator (+, ||,
// ~~ for LIKE, ...), not a named function.
func operator(name string) bool {
	for _, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' {
			return false
		}
	}
	return name != ""
}
