package sink

import (
	"bytes"
	gosql "database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"brook/value"
)

var schema = value.Schema{{Name: "dev", Type: value.String}, {Name: "hits", Type: value.Int}, {Name: "avg", Type: value.Float}}

var rows = [][]value.Value{
	{value.StringValue("web,1 \"x\"\nnext"), value.IntValue(3), value.FloatValue(2.5)},
	{value.NullValue, value.IntValue(-1), value.FloatValue(math.Inf(1))},
}

func TestCSVQuotesAndNulls(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b, CSV, schema)
	if err := w.Batch(BatchInfo{ID: 7}, rows); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"batch", "dev", "hits", "avg"}, {"7", "web,1 \"x\"\nnext", "3", "2.5"}, {"7", "", "-1", "inf"}}
	if len(recs) != 3 {
		t.Fatalf("records %q", recs)
	}
	for i := range want {
		if strings.Join(recs[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("record %d = %q, want %q", i, recs[i], want[i])
		}
	}
}

func TestJSONLines(t *testing.T) {
	var b bytes.Buffer
	if err := NewWriter(&b, JSON, schema).Result(rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %s", len(lines), b.String())
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first["dev"] != "web,1 \"x\"\nnext" || first["hits"] != 3.0 || first["avg"] != 2.5 {
		t.Errorf("first row %v", first)
	}
	if !strings.Contains(lines[1], `"dev":null`) || !strings.Contains(lines[1], `"avg":"inf"`) {
		t.Errorf("second row %s", lines[1])
	}
}

func TestTableAlignsAndEscapes(t *testing.T) {
	var b bytes.Buffer
	if err := NewWriter(&b, Table, schema).Result(rows); err != nil {
		t.Fatal(err)
	}
	want := `+---------------+----+---+
|dev            |hits|avg|
+---------------+----+---+
|web,1 "x"\nnext|   3|2.5|
|NULL           |  -1|inf|
+---------------+----+---+
(2 rows)

`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// TestTableWidthsAndReuse: columns are as wide as their widest cell in
// characters (not bytes), tabs and carriage returns are escaped too, and a
// writer rendering one result after another (complete mode) gives each
// whole, whatever the one before held.
func TestTableWidthsAndReuse(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b, Table, schema)
	first := [][]value.Value{
		{value.StringValue("Zürich\tnord\r"), value.IntValue(12345), value.FloatValue(0.5)},
		{value.StringValue("日本"), value.NullValue, value.FloatValue(-2)},
	}
	if err := w.Result(first); err != nil {
		t.Fatal(err)
	}
	want1 := `+--------------+-----+----+
|dev           |hits |avg |
+--------------+-----+----+
|Zürich\tnord\r|12345| 0.5|
|日本            | NULL|-2.0|
+--------------+-----+----+
(2 rows)

`
	if b.String() != want1 {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want1)
	}
	b.Reset()
	if err := w.Result(rows[1:]); err != nil {
		t.Fatal(err)
	}
	want2 := `+----+----+---+
|dev |hits|avg|
+----+----+---+
|NULL|  -1|inf|
+----+----+---+
(1 row)

`
	if b.String() != want2 {
		t.Errorf("second result: got\n%s\nwant\n%s", b.String(), want2)
	}
}

// TestFileSinkResume: resuming from a checkpoint cuts the file back to
// the length the checkpoint committed (PreCommit's position) and appends:
// the batches written after it, and a torn row, are dropped, so a replayed
// batch replaces them. In CSV, a row of batch 10 torn after its "1" would
// parse as a row of batch 1: it is dropped all the same.
func TestFileSinkResume(t *testing.T) {
	for _, ext := range []string{".jsonl", ".csv"} {
		path := t.TempDir() + "/out" + ext
		s, err := OpenFile(path, Target{Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		var committed int64
		for b := int64(0); b < 12; b++ {
			s.Batch(BatchInfo{ID: b}, [][]value.Value{{value.StringValue(fmt.Sprint("d", b)), value.IntValue(b), value.FloatValue(1)}})
			if b == 9 { // the checkpoint holds batches 0..9
				if committed, err = s.(*fileSink).PreCommit(); err != nil {
					t.Fatal(err)
				}
			}
		}
		s.Close()
		// The crash: batches 10 and 11 were written but not committed,
		// and a row of batch 12 is torn after its "1".
		os.WriteFile(path, append(must(os.ReadFile(path)), []byte("1")...), 0o644)
		s, err = OpenFile(path, Target{Schema: schema, Resume: true, ResumeBatch: 10, Committed: committed, HasCommitted: true})
		if err != nil {
			t.Fatal(err)
		}
		s.Batch(BatchInfo{ID: 10}, [][]value.Value{{value.StringValue("again"), value.IntValue(10), value.FloatValue(1)}})
		s.Close()
		got := string(must(os.ReadFile(path)))
		want := ""
		for b := 0; b < 10; b++ {
			want += fmt.Sprintf("d%d\n", b)
		}
		var devs string
		for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
			switch {
			case strings.HasPrefix(line, "batch,"):
				continue
			case ext == ".csv":
				f := strings.Split(line, ",")
				if len(f) != 4 {
					t.Fatalf("csv: torn row %q kept after resume:\n%s", line, got)
				}
				devs += f[1] + "\n"
			default:
				var rec struct{ Dev string }
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatalf("jsonl: %q: %v", line, err)
				}
				devs += rec.Dev + "\n"
			}
		}
		if devs != want+"again\n" {
			t.Errorf("%s after resume:\n%s", ext, got)
		}
		if ext == ".csv" && strings.Count(got, "batch,dev") != 1 {
			t.Errorf("csv header repeated:\n%s", got)
		}
		// A checkpoint that committed more than the file holds: the file
		// was changed outside brook.
		if _, err := OpenFile(path, Target{Schema: schema, Resume: true, ResumeBatch: 10, Committed: 1 << 20, HasCommitted: true}); err == nil || !strings.Contains(err.Error(), "changed outside brook") {
			t.Errorf("%s shorter than committed: %v", ext, err)
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestFileSinkResumeFinal: with --emit final a file holds only the final
// result, whose first column may look like a batch number; a resumed run
// writes the file anew instead of keeping those rows.
func TestFileSinkResumeFinal(t *testing.T) {
	ints := value.Schema{{Name: "port", Type: value.Int}, {Name: "n", Type: value.Int}}
	for _, ext := range []string{".jsonl", ".csv"} {
		path := t.TempDir() + "/out" + ext
		for run := 0; run < 2; run++ {
			s, err := OpenFile(path, Target{Schema: ints, Final: true, Resume: run > 0, ResumeBatch: 50})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Result([][]value.Value{{value.IntValue(1), value.IntValue(10)}, {value.IntValue(2), value.IntValue(20)}}); err != nil {
				t.Fatal(err)
			}
			s.Close()
		}
		got := string(must(os.ReadFile(path)))
		if strings.Count(got, "10") != 1 || strings.Count(got, "20") != 1 {
			t.Errorf("%s: the final result twice after a resume:\n%s", ext, got)
		}
	}
}

// TestTableLimits: a capped table shows its first rows, measured alone,
// then how many there were (thousands grouped); long cells are cut to
// the truncation width with an ellipsis, counted in characters; 0 caps
// nothing.
func TestTableLimits(t *testing.T) {
	var many [][]value.Value
	for i := range 10495 {
		many = append(many, []value.Value{value.StringValue(fmt.Sprint("d", i)), value.IntValue(int64(i)), value.FloatValue(1)})
	}
	many[0][0] = value.StringValue("Zürichnordstrasse")
	var b bytes.Buffer
	w := NewWriter(&b, Table, schema)
	w.SetTableLimits(2, 6)
	if err := w.Result(many); err != nil {
		t.Fatal(err)
	}
	want := `+------+----+---+
|dev   |hits|avg|
+------+----+---+
|Züric…|   0|1.0|
|d1    |   1|1.0|
+------+----+---+
only showing top 2 of 10,495 rows

`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	w.SetTableLimits(2, 0) // exactly as many rows as the cap: all, and their count
	if err := w.Result(many[1:3]); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(b.String(), "|d2 |   2|1.0|\n+---+----+---+\n(2 rows)\n\n") {
		t.Errorf("two rows under a cap of two:\n%s", b.String())
	}
	b.Reset()
	w.SetTableLimits(0, 0)
	if err := w.Result(many); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(b.String(), "(10495 rows)\n\n") || strings.Count(b.String(), "\n") != 10495+6 {
		t.Errorf("no cap: %d lines, ending %q", strings.Count(b.String(), "\n"), b.String()[b.Len()-40:])
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 10495: "10,495", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := groupDigits(n); got != want {
			t.Errorf("groupDigits(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestTableLimitsOnlyTheConsoleTable: CSV and JSON, on the console or in a
// file, get every row and whole values whatever the caps: a cap there
// would lose data without a word.
func TestTableLimitsOnlyTheConsoleTable(t *testing.T) {
	long := strings.Repeat("x", 50)
	var many [][]value.Value
	for i := range 30 {
		many = append(many, []value.Value{value.StringValue(long), value.IntValue(int64(i)), value.FloatValue(1)})
	}
	dir := t.TempDir()
	for _, uri := range []string{"console", "file://" + dir + "/out.csv", "file://" + dir + "/out.jsonl", dir + "/plain.csv"} {
		for _, f := range []Format{CSV, JSON} {
			var out bytes.Buffer
			s, err := Open(uri, Target{Schema: schema, Format: f, Stdout: &out, NumRows: 2, Truncate: 3})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Batch(BatchInfo{ID: 1}, many); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			got := out.String()
			if uri != "console" {
				got = string(must(os.ReadFile(strings.TrimPrefix(uri, "file://"))))
			}
			header := 0
			if strings.HasSuffix(uri, ".csv") || (uri == "console" && f == CSV) {
				header = 1
			}
			if n := strings.Count(got, "\n"); n != 30+header || strings.Count(got, long) != 30 || strings.Contains(got, "only showing") {
				t.Errorf("%s (format %d): %d lines, %d whole values, want every row:\n%s", uri, f, n, strings.Count(got, long), got)
			}
		}
	}
	// The console table is capped.
	var out bytes.Buffer
	s, _ := Open("console", Target{Schema: schema, Format: Table, Stdout: &out, NumRows: 2, Truncate: 3})
	s.Batch(BatchInfo{ID: 1}, many)
	if !strings.Contains(out.String(), "only showing top 2 of 30 rows") || strings.Contains(out.String(), long) {
		t.Errorf("console table not capped:\n%s", out.String())
	}
}

// TestBatchColumnCollision: a result column named batch (in any case) is
// kept as it is; the batch number goes in the first of _batch, __batch,
// ... that no column has, in CSV, JSON and Parquet alike.
func TestBatchColumnCollision(t *testing.T) {
	for _, c := range []struct {
		names []string
		want  string
	}{
		{[]string{"dev", "n"}, "batch"},
		{[]string{"batch", "n"}, "_batch"},
		{[]string{"n", "Batch"}, "_batch"},
		{[]string{"batch", "_BATCH"}, "__batch"},
		{[]string{"_batch"}, "batch"},
	} {
		var s value.Schema
		for _, n := range c.names {
			s = append(s, value.Column{Name: n, Type: value.Int})
		}
		if got := BatchColumn(s); got != c.want {
			t.Errorf("BatchColumn(%v) = %q, want %q", c.names, got, c.want)
		}
	}
	clash := value.Schema{{Name: "batch", Type: value.String}, {Name: "n", Type: value.Int}}
	row := [][]value.Value{{value.StringValue("b7"), value.IntValue(3)}}
	var b bytes.Buffer
	if err := NewWriter(&b, CSV, clash).Batch(BatchInfo{ID: 5}, row); err != nil {
		t.Fatal(err)
	}
	if b.String() != "_batch,batch,n\n5,b7,3\n" {
		t.Errorf("csv:\n%s", b.String())
	}
	b.Reset()
	if err := NewWriter(&b, JSON, clash).Batch(BatchInfo{ID: 5}, row); err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(b.Bytes(), &rec); err != nil || rec["_batch"] != 5.0 || rec["batch"] != "b7" || rec["n"] != 3.0 || len(rec) != 3 {
		t.Errorf("json %s: %v %v", b.String(), rec, err)
	}
	// A final result has no batch column, and keeps its own batch column.
	b.Reset()
	if err := NewWriter(&b, CSV, clash).Result(row); err != nil {
		t.Fatal(err)
	}
	if b.String() != "batch,n\nb7,3\n" {
		t.Errorf("final csv:\n%s", b.String())
	}
	// Parquet: DuckDB reads both columns back.
	path := t.TempDir() + "/out.parquet"
	s, err := OpenFile(path, Target{Schema: clash})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Batch(BatchInfo{ID: 5}, row); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := gosql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var id int64
	var batch string
	var n int64
	if err := db.QueryRow("SELECT _batch, batch, n FROM read_parquet("+quote(path)+")").Scan(&id, &batch, &n); err != nil || id != 5 || batch != "b7" || n != 3 {
		t.Errorf("parquet: %d %q %d, %v", id, batch, n, err)
	}
}
