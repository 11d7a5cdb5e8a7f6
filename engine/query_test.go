package engine

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"brook/decode"
	"brook/gen"
	"brook/sql"
	"brook/value"
)

type catalog value.Schema

func (c catalog) Schema(string) (value.Schema, error) { return value.Schema(c), nil }
func (c catalog) Tables() []string                    { return []string{"flows"} }

// flows is the LANL schema, which the generator's records share.
var flows = catalog(gen.Schema)

func plan(t testing.TB, query string) *sql.Plan {
	t.Helper()
	p, err := sql.Build(query, flows)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// genChunks returns n chunks of rows generated LANL-like flows each.
func genChunks(n, rows int) []decode.Chunk { return genChunksRate(n, rows, 0) }

// genChunksRate is genChunks with rate rows per event-time second (the
// generator's default when 0).
func genChunksRate(n, rows, rate int) []decode.Chunk {
	g := gen.New(gen.Options{Seed: 7, Devices: 300, RowsPerSecond: rate})
	var chunks []decode.Chunk
	for i := 0; i < n; i++ {
		var data []byte
		for r := 0; r < rows; r++ {
			data = g.AppendRow(data)
		}
		chunks = append(chunks, decode.Chunk{Name: fmt.Sprintf("gen%d", i), FirstLine: 1, Data: data})
	}
	return chunks
}

// runBatches feeds chunks to a new query, perBatch chunks at a time, and
// returns the final result rendered as text.
func runBatches(t testing.TB, p *sql.Plan, chunks []decode.Chunk, perBatch int) string {
	return runBatchesKeyed(t, p, chunks, perBatch, false)
}

// runBatchesKeyed is runBatches, with the decoder preparing the keys of
// the strings the query hashes when keyed (as the stream's decoders do).
func runBatchesKeyed(t testing.TB, p *sql.Plan, chunks []decode.Chunk, perBatch int, keyed bool) string {
	t.Helper()
	q, err := New(p, Options{KeepFinal: true})
	if err != nil {
		t.Fatal(err)
	}
	dec := decode.NewDecoder(p.ColumnSchema())
	if keyed {
		dec.HashStrings(q.HashedColumns())
	}
	var b decode.Batch
	for i := 0; i < len(chunks); i += perBatch {
		b.Reset(len(p.Columns))
		if rejects, _ := dec.Decode(chunks[i:min(i+perBatch, len(chunks))], &b); len(rejects) > 0 {
			t.Fatal(rejects[0])
		}
		if _, err := q.Process(&b); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := q.Final()
	if err != nil {
		t.Fatal(err)
	}
	return render(rows)
}

func render(rows [][]value.Value) string {
	var b strings.Builder
	for _, r := range rows {
		for i, v := range r {
			if i > 0 {
				b.WriteString(" | ")
			}
			b.WriteString(v.Format())
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// TestIncrementalEqualsOneShot: the final result does not depend on how the
// input was cut into micro-batches. State kept across batches must give the
// answer a single pass over all rows gives.
func TestIncrementalEqualsOneShot(t *testing.T) {
	defer func(n int) { parallelPairs = n }(parallelPairs)
	parallelPairs = 64 // fold aggregates in parallel even in small batches
	chunks := genChunks(12, 250)
	queries := []string{
		"SELECT dstdevice, count(*) AS hits FROM flows WHERE dstport IN (443, 8000) GROUP BY dstdevice ORDER BY hits DESC LIMIT 20",
		"SELECT srcdevice, sum(srcbytes + dstbytes) AS bytes, min(srcport) AS lo, max(time) AS last, avg(duration) AS d FROM flows GROUP BY srcdevice ORDER BY bytes DESC LIMIT 50",
		"SELECT protocol, count(DISTINCT dstdevice) AS peers, count(dstport) AS n FROM flows GROUP BY protocol HAVING count(*) > 10 ORDER BY 1",
		"SELECT count(*) AS n, sum(dstbytes) AS b FROM flows WHERE dstport NOT LIKE 'Port%'",
		"SELECT srcdevice, dstbytes FROM flows WHERE dstbytes > 100000 ORDER BY dstbytes DESC LIMIT 7",
		"SELECT DISTINCT protocol, dstport FROM flows WHERE dstport NOT LIKE 'Port%' ORDER BY 1, 2",
	}
	for _, query := range queries {
		p := plan(t, query)
		oneShot := runBatches(t, p, chunks, len(chunks))
		if strings.Count(oneShot, "\n") < 1 {
			t.Errorf("%s: empty result", query)
		}
		for _, per := range []int{1, 5} {
			if got := runBatches(t, p, chunks, per); got != oneShot {
				t.Errorf("%s\n%d chunks per batch:\n%s\nall at once:\n%s", query, per, got, oneShot)
			}
		}
	}
}

func decodeLines(t testing.TB, p *sql.Plan, lines ...string) *decode.Batch {
	t.Helper()
	var b decode.Batch
	b.Reset(len(p.Columns))
	raw := []decode.Chunk{{Name: "t", FirstLine: 1, Data: []byte(strings.Join(lines, "\n"))}}
	if rejects, _ := decode.NewDecoder(p.ColumnSchema()).Decode(raw, &b); len(rejects) > 0 {
		t.Fatal(rejects[0])
	}
	return &b
}

// step is a batch of lines and the rows the query emits for it.
type step struct {
	lines []string
	want  string
}

// runSteps processes each step's lines as a batch and checks its rows.
func runSteps(t *testing.T, q *Query, p *sql.Plan, steps []step) {
	t.Helper()
	for i, s := range steps {
		rows, err := q.Process(decodeLines(t, p, s.lines...))
		if err != nil {
			t.Fatal(err)
		}
		if got := render(rows); got != s.want {
			t.Errorf("batch %d: got\n%swant\n%s", i, got, s.want)
		}
	}
}

func TestUpdateModeEmitsChangedGroups(t *testing.T) {
	p := plan(t, "SELECT srcdevice, count(*) AS n FROM flows GROUP BY srcdevice")
	q, err := New(p, Options{Mode: Update})
	if err != nil {
		t.Fatal(err)
	}
	steps := []step{
		{[]string{`{"srcdevice": "a"}`, `{"srcdevice": "b"}`, `{"srcdevice": "a"}`}, "a | 2\nb | 1\n"},
		{[]string{`{"srcdevice": "b"}`}, "b | 2\n"},
		{nil, ""},
		{[]string{`{"srcdevice": "c"}`, `{"srcdevice": null}`}, "c | 1\nNULL | 1\n"},
	}
	runSteps(t, q, p, steps)
}

func TestGlobalAggregateWithoutRows(t *testing.T) {
	p := plan(t, "SELECT count(*) AS n, sum(srcbytes) AS s, max(srcdevice) AS m FROM flows WHERE srcbytes > 5")
	q, err := New(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := q.Process(decodeLines(t, p, `{"srcbytes": 1.0, "srcdevice": "x"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := render(rows); got != "0 | NULL | NULL\n" {
		t.Errorf("got %q, want one row of 0 and NULLs, as SQL gives", got)
	}
}

func TestThreeValuedLogic(t *testing.T) {
	p := plan(t, "SELECT srcdevice FROM flows WHERE NOT (dstport IN (22, 80)) OR dstport IS NULL")
	q, err := New(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := q.Process(decodeLines(t, p,
		`{"srcdevice": "a", "dstport": "22"}`,      // in the list: NOT true
		`{"srcdevice": "b", "dstport": "443"}`,     // not in the list
		`{"srcdevice": "c", "dstport": "Port123"}`, // not a number: NULL, never matches
		`{"srcdevice": "d"}`,                       // NULL, caught by IS NULL
	))
	if err != nil {
		t.Fatal(err)
	}
	if got := render(rows); got != "b\nd\n" {
		t.Errorf("got %q, want b and d", got)
	}
}

func TestRuntimeCastError(t *testing.T) {
	p := plan(t, "SELECT CAST(dstport AS BIGINT) AS p FROM flows")
	q, _ := New(p, Options{})
	_, err := q.Process(decodeLines(t, p, `{"dstport": "80"}`, `{"dstport": "Port1"}`))
	if err == nil || !strings.Contains(err.Error(), "cannot convert 'Port1' to BIGINT") {
		t.Errorf("got %v, want a conversion error", err)
	}
	p = plan(t, "SELECT TRY_CAST(dstport AS BIGINT) AS p FROM flows")
	q, _ = New(p, Options{})
	rows, err := q.Process(decodeLines(t, p, `{"dstport": "80"}`, `{"dstport": "Port1"}`))
	if err != nil || render(rows) != "80\nNULL\n" {
		t.Errorf("TRY_CAST: %q, %v", render(rows), err)
	}
}

// BenchmarkBatchAfterHistory measures one 10,000-row batch after many
// earlier batches: the time per batch must not grow with the history (only
// with the number of groups, which stays bounded here).
func BenchmarkBatchAfterHistory(b *testing.B) {
	p := plan(b, "SELECT dstdevice, count(*) AS hits, sum(dstbytes) AS bytes FROM flows WHERE dstport IN (443, 8000) GROUP BY dstdevice ORDER BY hits DESC LIMIT 20")
	chunks := genChunks(1, 10000)
	dec := decode.NewDecoder(p.ColumnSchema())
	var batch decode.Batch
	batch.Reset(len(p.Columns))
	dec.Decode(chunks, &batch)
	for _, history := range []int{1, 100} {
		b.Run(fmt.Sprintf("history=%d", history), func(b *testing.B) {
			q, _ := New(p, Options{})
			for i := 0; i < history; i++ {
				q.Process(&batch)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(chunks[0].Data)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := q.Process(&batch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestTopKEqualsFullSort: a LIMIT over many groups keeps only the best rows
// while it projects them (topK); the result must be the first rows of the
// same query fully sorted, ties included (the total order breaks them by
// every output column).
func TestTopKEqualsFullSort(t *testing.T) {
	chunks := genChunks(6, 400)
	for _, c := range []struct{ limited, full string }{
		{"SELECT srcdevice, count(*) AS n FROM flows GROUP BY srcdevice ORDER BY n DESC LIMIT 7",
			"SELECT srcdevice, count(*) AS n FROM flows GROUP BY srcdevice ORDER BY n DESC"},
		{"SELECT srcdevice, count(*) AS n FROM flows GROUP BY srcdevice ORDER BY n LIMIT 5 OFFSET 3",
			"SELECT srcdevice, count(*) AS n FROM flows GROUP BY srcdevice ORDER BY n"},
		{"SELECT dstdevice, sum(dstbytes) AS b FROM flows GROUP BY dstdevice HAVING count(*) > 1 LIMIT 4",
			"SELECT dstdevice, sum(dstbytes) AS b FROM flows GROUP BY dstdevice HAVING count(*) > 1 ORDER BY 1, 2"},
		{"SELECT srcdevice, count(*) AS n FROM flows GROUP BY srcdevice ORDER BY n DESC LIMIT 0",
			"SELECT srcdevice, count(*) AS n FROM flows GROUP BY srcdevice ORDER BY n DESC LIMIT 0"},
	} {
		full := strings.SplitAfter(runBatches(t, plan(t, c.full), chunks, 2), "\n")
		p := plan(t, c.limited)
		want := ""
		if n := int(p.Offset + p.Limit); len(full) > 2*n {
			want = strings.Join(full[p.Offset:n], "")
		} else {
			t.Fatalf("%s: %d rows, too few to exercise the cut", c.full, len(full))
		}
		if got := runBatches(t, p, chunks, 2); got != want {
			t.Errorf("%s:\n%s\nwant:\n%s", c.limited, got, want)
		}
	}
}

// TestCompleteModeEachBatch: in complete mode every batch emits the whole
// result as of that batch, equal to a one-shot run over the input so far,
// although rows of groups the batch did not touch are reused rather than
// projected again, and sorted results are drawn from the groups passing
// HAVING and those the batch touched (with a LIMIT, from the last best
// rows and those). HAVING thresholds are crossed as counts grow, so rows
// come and go, and best rows get worse.
func TestCompleteModeEachBatch(t *testing.T) {
	chunks := genChunks(8, 150)
	for _, query := range []string{
		"SELECT srcdevice, count(*) AS n, max(dstbytes) AS b FROM flows GROUP BY srcdevice HAVING count(*) > 2",
		"SELECT srcdevice, count(*) AS n FROM flows GROUP BY srcdevice HAVING count(*) BETWEEN 2 AND 4 ORDER BY n DESC LIMIT 6",
		"SELECT protocol, count(DISTINCT dstport) AS ports FROM flows WHERE dstbytes > 500 GROUP BY protocol ORDER BY 1",
		// sorted results drawn from the groups passing HAVING and those
		// the batch touched; with a LIMIT, from the last best rows too
		"SELECT srcdevice, count(*) AS n FROM flows GROUP BY srcdevice HAVING count(*) % 2 = 0 ORDER BY n DESC, srcdevice LIMIT 7",
		"SELECT srcdevice, count(DISTINCT dstport) AS p, count(*) AS n FROM flows GROUP BY srcdevice HAVING count(*) % 3 <> 1 ORDER BY p, n DESC",
		"SELECT srcdevice, count(*) AS n FROM flows GROUP BY srcdevice HAVING count(*) % 2 = 1 AND srcdevice > 'C' ORDER BY n, srcdevice LIMIT 9",
		"SELECT TUMBLE(time, 1) AS w, srcdevice, sum(dstbytes) AS b FROM flows GROUP BY TUMBLE(time, 1), srcdevice HAVING sum(dstbytes) > 5000 ORDER BY w, b DESC",
		// the best rows get worse as rows arrive: MIN only falls
		"SELECT srcdevice, min(dstbytes) AS m, count(*) AS n FROM flows GROUP BY srcdevice ORDER BY m DESC, n LIMIT 5",
		"SELECT dstport, max(srcbytes) - min(srcbytes) AS spread FROM flows GROUP BY dstport ORDER BY spread LIMIT 4 OFFSET 2",
		// plain queries keep their best OFFSET+LIMIT rows, the OFFSET's too
		"SELECT srcdevice, dstbytes FROM flows ORDER BY dstbytes DESC, srcdevice LIMIT 5 OFFSET 3",
		"SELECT srcdevice, dstport, dstbytes FROM flows WHERE dstbytes > 100 ORDER BY dstbytes LIMIT 4",
		"SELECT srcdevice, time FROM flows ORDER BY srcdevice, time LIMIT 1000 OFFSET 150",
	} {
		p := plan(t, query)
		q, err := New(p, Options{Mode: Complete})
		if err != nil {
			t.Fatal(err)
		}
		dec := decode.NewDecoder(p.ColumnSchema())
		var prevRows [][]value.Value
		var prevText string
		for i := range chunks {
			var b decode.Batch
			b.Reset(len(p.Columns))
			if rejects, _ := dec.Decode(chunks[i:i+1], &b); len(rejects) > 0 {
				t.Fatal(rejects[0])
			}
			rows, err := q.Process(&b)
			if err != nil {
				t.Fatal(err)
			}
			got := render(rows)
			if want := runBatches(t, p, chunks[:i+1], i+1); got != want {
				t.Fatalf("%s\nbatch %d emitted:\n%s\na one-shot run over batches 0..%d gives:\n%s", query, i, got, i, want)
			}
			// The rows the batch before emitted must not have changed
			// under their reader (who keeps the slice holding them, which
			// the next Emit reuses, as a copy).
			if again := render(prevRows); again != prevText {
				t.Fatalf("%s\nbatch %d changed the rows batch %d emitted:\n%s\nwere:\n%s", query, i, i-1, again, prevText)
			}
			prevRows, prevText = slices.Clone(rows), got
		}
	}
}

// TestHashedColumns: the columns a decoder should copy are those of group
// keys and aggregate arguments, and none when a WHERE may drop most rows.
func TestHashedColumns(t *testing.T) {
	for query, want := range map[string]string{
		"SELECT srcdevice, count(DISTINCT dstdevice) AS n FROM flows GROUP BY srcdevice":                "srcdevice dstdevice",
		"SELECT lower(srcport) AS p, max(dstbytes) AS b FROM flows GROUP BY lower(srcport)":             "srcport dstbytes",
		"SELECT dstdevice, count(*) AS n FROM flows WHERE dstport IN (443, 8000) GROUP BY dstdevice":    "",
		"SELECT srcdevice, dstbytes FROM flows":                                                         "",
		"SELECT TUMBLE(\"time\", 10) AS w, sum(srcbytes) AS b FROM flows GROUP BY TUMBLE(\"time\", 10)": "srcbytes",
	} {
		p := plan(t, query)
		q, err := New(p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, slot := range q.HashedColumns() {
			names = append(names, p.ColumnSchema()[slot].Name)
		}
		if got := strings.Join(names, " "); got != want {
			t.Errorf("%s: %q, want %q", query, got, want)
		}
	}
}

// BenchmarkQueryLANL folds ten LANL files, decoded beforehand, through each
// benchmark query: the engine's share of a stream (skipped where
// ../../shared/datasets/lanl is absent).
func BenchmarkQueryLANL(b *testing.B) {
	for _, name := range []string{"webservers", "bytes_per_10s", "fanout", "all_fields", "top_talkers_sliding"} {
		text, err := os.ReadFile("../queries/" + name + ".sql")
		if err != nil {
			b.Fatal(err)
		}
		p := plan(b, string(text))
		var batches []*decode.Batch
		for i := 1; i <= 10; i++ {
			data, err := os.ReadFile(fmt.Sprintf("../../shared/datasets/lanl/time_%02d.json", i))
			if err != nil {
				b.Skipf("LANL data not found (%v): benchmark skipped", err)
			}
			var batch decode.Batch
			batch.Reset(len(p.Columns))
			dec := decode.NewDecoder(p.ColumnSchema())
			q, err := New(p, Options{Mode: Complete})
			if err != nil {
				b.Fatal(err)
			}
			dec.HashStrings(q.HashedColumns()) // as the stream's decoders do
			if rejects, _ := dec.Decode([]decode.Chunk{{Name: "lanl", FirstLine: 1, Data: data}}, &batch); len(rejects) > 0 {
				b.Fatal(rejects[0])
			}
			batches = append(batches, &batch)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				q, err := New(p, Options{Mode: Complete})
				if err != nil {
					b.Fatal(err)
				}
				for _, batch := range batches {
					if _, err := q.Process(batch); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// TestInNumbersFilter: the decoders' filter for col [NOT] IN (numbers)
// keeps exactly the rows the same WHERE written with = keeps, for strings that are
// numbers in every spelling, words, NULL, and non-string columns.
func TestInNumbersFilter(t *testing.T) {
	vals := []value.Value{value.NullValue, value.StringValue(""), value.StringValue("443"), value.StringValue(" 443 "),
		value.StringValue("+443"), value.StringValue("443.0"), value.StringValue("4.43e2"), value.StringValue("Port443"),
		value.StringValue("8000"), value.StringValue("nan"), value.StringValue("inf"), value.StringValue("-8000"),
		value.StringValue("80"), value.StringValue("\t8000"), value.StringValue(".5")}
	for q, same := range map[string]string{ // the query, and its WHERE spelled without IN
		"SELECT dstport FROM flows WHERE dstport IN (443, 8000)":          "dstport = 443 OR dstport = 8000",
		"SELECT dstport FROM flows WHERE dstport NOT IN (443, 8000, 0.5)": "dstport <> 443 AND dstport <> 8000 AND dstport <> 0.5",
		"SELECT dstport FROM flows WHERE protocol IN (6, 17)":             "protocol = 6 OR protocol = 17",
	} {
		p := plan(t, q)
		in, ok := p.Where.(*sql.In)
		if !ok {
			t.Fatalf("%s: WHERE is %T, want an IN", q, p.Where)
		}
		keep := inNumbersFilter(in)
		if keep == nil {
			t.Fatalf("%s: no fast filter", q)
		}
		ps := plan(t, "SELECT dstport FROM flows WHERE "+same)
		if fmt.Sprint(ps.ColumnSchema()) != fmt.Sprint(p.ColumnSchema()) {
			t.Fatalf("%s: columns %v, but %v without IN", q, p.ColumnSchema(), ps.ColumnSchema())
		}
		general, err := (&compiler{st: &evalState{}}).compileFilter(ps.Where, whereFilter)
		if err != nil {
			t.Fatal(err)
		}
		slot := in.X.(*sql.ColumnRef).Slot
		for _, v := range append(vals, value.FloatValue(6), value.FloatValue(443), value.IntValue(17), value.IntValue(5)) {
			row := make([]value.Value, len(p.Columns))
			row[slot] = v
			if got, want := keep(row), general(row).True(); got != want {
				t.Errorf("%s with %v: fast filter keeps %v, WHERE %v", q, v, got, want)
			}
		}
	}
}

// TestColumnsArith: arithmetic on two columns read in place agrees with
// the general path, for DOUBLEs, NULLs and BIGINTs alike.
func TestColumnsArith(t *testing.T) {
	vals := []value.Value{value.FloatValue(1.5), value.FloatValue(-2), value.NullValue, value.IntValue(3), value.FloatValue(math.Inf(1))}
	for _, op := range []string{"+", "-", "*"} {
		p := plan(t, "SELECT srcbytes "+op+" dstbytes AS x FROM flows")
		x, ok := p.Output[0].Expr.(*sql.Binary)
		if !ok {
			t.Fatalf("%s: the select expression is %T", op, p.Output[0].Expr)
		}
		c := &compiler{st: &evalState{}}
		fast, err := c.compile(x)
		if err != nil {
			t.Fatal(err)
		}
		l, _ := c.compile(x.L)
		r, _ := c.compile(x.R)
		general, _ := c.arith(x.Op, x.Typ, l, r)
		for _, a := range vals {
			for _, b := range vals {
				row := make([]value.Value, len(p.Columns))
				row[x.L.(*sql.ColumnRef).Slot], row[x.R.(*sql.ColumnRef).Slot] = a, b
				if got, want := fast(row), general(row); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%v %s %v = %v, want %v", a, op, b, got, want)
				}
			}
		}
	}
}

// TestKeyedStrings: grouping and COUNT(DISTINCT) by the keys the decoders
// prepare give what they give from the strings themselves, with NULLs,
// short and long strings (kept whole in the tables) and numbers in a
// VARCHAR column.
func TestKeyedStrings(t *testing.T) {
	var data []byte
	for i := range 3000 {
		src := fmt.Sprintf(`"Comp%d"`, i%37)
		switch i % 11 {
		case 0:
			src = "null"
		case 1:
			src = fmt.Sprintf(`"a-rather-long-device-name-%d"`, i%5)
		}
		dst := fmt.Sprintf(`"Port%05d"`, i%101)
		switch i % 7 {
		case 0:
			dst = "null"
		case 1:
			dst = fmt.Sprintf(`"a-long-destination-port-name-%d"`, i%13)
		case 2:
			dst = fmt.Sprint(i % 17) // a number in a VARCHAR column
		}
		data = fmt.Appendf(data, `{"srcdevice": %s, "dstport": %s}`+"\n", src, dst)
	}
	cut := len(data)/2 + bytes.IndexByte(data[len(data)/2:], '\n') + 1 // two batches, cut at a line
	chunks := []decode.Chunk{{Name: "a", FirstLine: 1, Data: data[:cut]}, {Name: "b", FirstLine: 1, Data: data[cut:]}}
	p := plan(t, "SELECT srcdevice, count(DISTINCT dstport) AS ports, count(*) AS n FROM flows GROUP BY srcdevice ORDER BY srcdevice")
	plain, keyed := runBatchesKeyed(t, p, chunks, 1, false), runBatchesKeyed(t, p, chunks, 1, true)
	if plain != keyed {
		t.Errorf("with keys:\n%s\nwithout:\n%s", keyed, plain)
	}
	if strings.Count(plain, "\n") != 37+5+1 {
		t.Errorf("%d groups, want 43:\n%s", strings.Count(plain, "\n"), plain)
	}
}

// TestLimitedSessionsMerge: in complete mode with a LIMIT, a session among
// the best rows that an event merges into another leaves its place free,
// and the group that takes it was not touched.
func TestLimitedSessionsMerge(t *testing.T) {
	p := plan(t, "SELECT SESSION(time, 5) AS s, srcdevice, count(*) AS n FROM flows GROUP BY SESSION(time, 5), srcdevice ORDER BY n DESC, s LIMIT 2")
	q, err := New(p, Options{Mode: Complete})
	if err != nil {
		t.Fatal(err)
	}
	steps := []step{
		// a: sessions at 0 (1 event) and at 8 (2 events); b: one at 20
		{[]string{`{"time": 0.0, "srcdevice": "a"}`, `{"time": 8.0, "srcdevice": "a"}`, `{"time": 8.5, "srcdevice": "a"}`, `{"time": 20.0, "srcdevice": "b"}`},
			"8.0 | a | 2\n0.0 | a | 1\n"},
		// an event at 4 joins a's two sessions: b comes into the best two
		{[]string{`{"time": 4.0, "srcdevice": "a"}`}, "0.0 | a | 4\n20.0 | b | 1\n"},
	}
	runSteps(t, q, p, steps)
}

// TestKeyRuns: rows in runs of one key, and of one (key, value) pair, as
// bursts of flows come, are grouped and counted as rows in any order:
// runs of NULL keys, of long keys, of numbers in a VARCHAR column, and a
// value run that goes on across a change of key.
func TestKeyRuns(t *testing.T) {
	srcs := []string{`"Comp1"`, `"Comp2"`, "null", `"a-rather-long-device-name"`, `"a-rather-long-device-name-2"`, `"C"`, `""`}
	dsts := []string{`"80"`, `"443"`, "null", `"a-long-destination-port-name"`, "53", `"Port00053"`}
	type want struct {
		n    int
		dsts map[string]bool
	}
	ref := map[string]*want{}
	var data []byte
	src, dst := 0, 0
	for i := range 4000 {
		// Runs of one to five rows, the key and the value changing apart.
		if (i*7)%5 == 0 {
			src = (src + 1 + i%3) % len(srcs)
		}
		if (i*3)%4 == 0 {
			dst = (dst + 1 + i%2) % len(dsts)
		}
		data = fmt.Appendf(data, `{"srcdevice": %s, "dstport": %s}`+"\n", srcs[src], dsts[dst])
		k := strings.Trim(srcs[src], `"`)
		if ref[k] == nil {
			ref[k] = &want{dsts: map[string]bool{}}
		}
		ref[k].n++
		if dsts[dst] != "null" {
			ref[k].dsts[strings.Trim(dsts[dst], `"`)] = true
		}
	}
	p := plan(t, "SELECT srcdevice, count(DISTINCT dstport) AS ports, count(*) AS n FROM flows GROUP BY srcdevice ORDER BY srcdevice")
	cut := len(data)/3 + bytes.IndexByte(data[len(data)/3:], '\n') + 1
	chunks := []decode.Chunk{{Name: "a", FirstLine: 1, Data: data[:cut]}, {Name: "b", FirstLine: 1, Data: data[cut:]}}
	for _, keyed := range []bool{false, true} {
		got := runBatchesKeyed(t, p, chunks, 1, keyed)
		var exp strings.Builder
		keys := make([]string, 0, len(ref))
		for k := range ref {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b string) int { // NULL last, as ORDER BY puts it
			if (a == "null") != (b == "null") {
				return map[bool]int{true: 1, false: -1}[a == "null"]
			}
			return strings.Compare(a, b)
		})
		for _, k := range keys {
			name := k
			if k == "null" {
				name = "NULL"
			}
			fmt.Fprintf(&exp, "%s | %d | %d\n", name, len(ref[k].dsts), ref[k].n)
		}
		if got != exp.String() {
			t.Errorf("keyed %v: got\n%swant\n%s", keyed, got, exp.String())
		}
	}
}

// TestLiteralCase: a simple CASE of literals (taken once, a DOUBLE operand
// matched as a number) gives what the same CASE spelled with conditions
// gives, for numbers of either type, NaN, infinities, -0, strings and NULL.
func TestLiteralCase(t *testing.T) {
	for q, same := range map[string]string{
		"CASE protocol WHEN 6 THEN 'TCP' WHEN 17.0 THEN 'UDP' WHEN 0 THEN 'zero' ELSE 'other' END":                  "CASE WHEN protocol = 6 THEN 'TCP' WHEN protocol = 17.0 THEN 'UDP' WHEN protocol = 0 THEN 'zero' ELSE 'other' END",
		"CASE dstport WHEN 443 THEN 1 WHEN '80' THEN 2 END":                                                         "CASE WHEN dstport = 443 THEN 1 WHEN dstport = '80' THEN 2 END",
		"CASE CAST(protocol AS BIGINT) WHEN 6 THEN 'TCP' WHEN 9007199254740993 THEN 'big' WHEN 1.5 THEN 'half' END": "CASE WHEN CAST(protocol AS BIGINT) = 6 THEN 'TCP' WHEN CAST(protocol AS BIGINT) = 9007199254740993 THEN 'big' WHEN CAST(protocol AS BIGINT) = 1.5 THEN 'half' END",
	} {
		p := plan(t, "SELECT "+q+" AS c FROM flows")
		ps := plan(t, "SELECT "+same+" AS c FROM flows")
		if fmt.Sprint(ps.ColumnSchema()) != fmt.Sprint(p.ColumnSchema()) {
			t.Fatalf("%s: columns %v, but %v spelled with conditions", q, p.ColumnSchema(), ps.ColumnSchema())
		}
		x, ok := p.Output[0].Expr.(*sql.Case)
		if !ok {
			t.Fatalf("%s: the output is %T", q, p.Output[0].Expr)
		}
		c := &compiler{st: &evalState{}}
		fast, err := c.compile(x)
		if err != nil {
			t.Fatal(err)
		}
		general, err := c.compile(ps.Output[0].Expr)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []value.Value{value.NullValue, value.FloatValue(6), value.FloatValue(17), value.FloatValue(0),
			value.FloatValue(math.Copysign(0, -1)), value.FloatValue(math.NaN()), value.FloatValue(math.Inf(1)), value.FloatValue(1.5),
			value.IntValue(6), value.IntValue(9007199254740993), value.IntValue(9007199254740992), value.StringValue("443"),
			value.StringValue("80"), value.StringValue("443.0"), value.StringValue("x")} {
			row := make([]value.Value, len(p.Columns))
			for i := range row {
				row[i] = v
			}
			if got, want := fast(row), general(row); got.Format() != want.Format() || got.Kind != want.Kind {
				t.Errorf("%s with %v: %v, spelled with conditions %v", q, v, got, want)
			}
		}
	}
}

// TestBestRowsErrors: a plain query with LIMIT evaluates every row's
// outputs when one of them can fail, so that an error is raised on a row
// that would not have made the best rows, as the baseline raises it.
func TestBestRowsErrors(t *testing.T) {
	lines := []string{`{"srcdevice": "17", "dstbytes": 900}`, `{"srcdevice": "C99", "dstbytes": 5}`}
	p := plan(t, "SELECT CAST(srcdevice AS BIGINT) AS n, dstbytes FROM flows ORDER BY dstbytes DESC LIMIT 1")
	q, err := New(p, Options{Mode: Complete})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Process(decodeLines(t, p, lines...)); err == nil || !strings.Contains(err.Error(), "C99") {
		t.Errorf("got %v, want the cast error of the second row", err)
	}
	p = plan(t, "SELECT srcdevice, dstbytes * 2 AS b FROM flows ORDER BY dstbytes DESC LIMIT 1")
	if q, err = New(p, Options{Mode: Complete}); err != nil {
		t.Fatal(err)
	}
	rows, err := q.Process(decodeLines(t, p, lines...))
	if err != nil || render(rows) != "17 | 1800.0\n" {
		t.Errorf("got %q, %v", render(rows), err)
	}
}

// TestSubstrLiteralFromRow: substr of a string literal with an offset from
// the row follows DuckDB's general rule, as substr of a column does:
// characters before the beginning use up the length (DuckDB's ASCII
// substring, which clamps the offset instead, is the exception brook does
// not copy; see substr).
func TestSubstrLiteralFromRow(t *testing.T) {
	p := plan(t, "SELECT substr('abc', CAST(dstport AS BIGINT), 2) AS a, substr(srcdevice, CAST(dstport AS BIGINT), 2) AS b FROM flows")
	q, err := New(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := q.Process(decodeLines(t, p,
		`{"srcdevice": "abc", "dstport": "-5"}`,
		`{"srcdevice": "abc", "dstport": "-4"}`,
		`{"srcdevice": "abc", "dstport": "-3"}`,
		`{"srcdevice": "abc", "dstport": "0"}`,
	))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := render(rows), " | \na | a\nab | ab\na | a\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestDivisionByZero checks the remainder of integers by zero: an error,
// as in DuckDB 2.0 (error_on_division_by_zero is on by default), for a
// BIGINT, a sum (HUGEINT) and a sum beyond BIGINT; / and the DOUBLE % stay
// IEEE 754.
func TestDivisionByZero(t *testing.T) {
	schema := catalog{{Name: "v", Type: value.Int}, {Name: "w", Type: value.Int}}
	for _, query := range []string{
		"SELECT v % w AS r FROM t",
		"SELECT sum(v) % 0 AS r FROM t",
		"SELECT (sum(v) + 9223372036854775807) % 0 AS r FROM t",
		"SELECT (sum(v) + 9223372036854775807) % w AS r FROM t GROUP BY w",
	} {
		p, err := sql.Build(query, schema)
		if err != nil {
			t.Fatal(err)
		}
		q, _ := New(p, Options{})
		_, err = q.Process(decodeLines(t, p, `{"v": 7, "w": 0}`))
		if err == nil || !strings.Contains(err.Error(), "division by zero") {
			t.Errorf("%s: got %v, want a division by zero error", query, err)
		}
	}
	p, err := sql.Build("SELECT v / w AS d, CAST(v AS DOUBLE) % w AS m FROM t", schema)
	if err != nil {
		t.Fatal(err)
	}
	q, _ := New(p, Options{})
	rows, err := q.Process(decodeLines(t, p, `{"v": 7, "w": 0}`))
	if err != nil || render(rows) != "inf | -nan\n" {
		t.Errorf("/ and DOUBLE %% by zero: %q, %v", render(rows), err)
	}
}

// TestRoundInteger checks round of a BIGINT, a BIGINT in DuckDB 2.0: the
// values are DuckDB 2.0.0's answers, overflow included.
func TestRoundInteger(t *testing.T) {
	schema := catalog{{Name: "v", Type: value.Int}, {Name: "d", Type: value.Int}}
	p, err := sql.Build("SELECT round(v, d) AS r, round(v) AS r0 FROM t", schema)
	if err != nil {
		t.Fatal(err)
	}
	if typ := p.OutputSchema()[0].Type; typ != value.Int {
		t.Fatalf("round(BIGINT, d) is %s, want BIGINT", typ)
	}
	for _, c := range []struct{ v, d, want string }{
		{"17", "-1", "20 | 17"}, {"15", "-1", "20 | 15"}, {"-25", "-1", "-30 | -25"}, {"-5", "-1", "-10 | -5"},
		{"12", "-30", "0 | 12"}, {"5", "2", "5 | 5"}, {"9223372036854775807", "0", "9223372036854775807 | 9223372036854775807"},
		{"9223372036854775804", "-1", "9223372036854775800 | 9223372036854775804"},
		{"-9223372036854775804", "-1", "-9223372036854775800 | -9223372036854775804"},
		{"8999999999999999999", "-18", "9000000000000000000 | 8999999999999999999"},
		{"4999999999999999999", "-19", "0 | 4999999999999999999"},
		{"9223372036854775807", "-100", "0 | 9223372036854775807"},
		{"9223372036854775805", "-1", "overflow"}, {"-9223372036854775805", "-1", "overflow"},
		{"5000000000000000000", "-19", "overflow"}, {"-9223372036854775808", "-1", "overflow"},
		{"-9223372036854775808", "-2", "-9223372036854775800 | -9223372036854775808"},
		{"-9223372036854775808", "-20", "0 | -9223372036854775808"},
	} {
		q, _ := New(p, Options{})
		rows, err := q.Process(decodeLines(t, p, `{"v": `+c.v+`, "d": `+c.d+`}`))
		got := strings.TrimSuffix(render(rows), "\n")
		if err != nil {
			got = err.Error()
		}
		if err != nil && !strings.Contains(got, c.want) || err == nil && got != c.want {
			t.Errorf("round(%s, %s): got %q, want %q", c.v, c.d, got, c.want)
		}
	}
}
