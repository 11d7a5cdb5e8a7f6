package sink_test

import (
	"bytes"
	"fmt"
	"testing"

	"brook/decode"
	"brook/engine"
	"brook/gen"
	"brook/sink"
	"brook/sql"
	"brook/value"
)

// TestStableRowsRenderedAsFresh streams generated flows (300 devices, 150
// rows a batch: most groups untouched by any one batch, some touched in
// one batch, left alone in the next and touched again) through queries in
// complete mode, and writes every batch's rows twice, as CSV and JSON: by
// a writer told the rows are stable (engine.Query.StableRows), which
// copies an unchanged row's text from the batch before, and by one that
// renders every cell. The outputs must be the same, byte for byte, in
// every batch: a row's text reused when its group changed, a row whose
// position moved (ORDER BY, LIMIT, HAVING dropping and taking back
// groups) or a window's row would show as a difference.
func TestStableRowsRenderedAsFresh(t *testing.T) {
	g := gen.New(gen.Options{Seed: 11, Devices: 300, RowsPerSecond: 50})
	var chunks []decode.Chunk
	for i := range 12 {
		var data []byte
		for range 150 {
			data = g.AppendRow(data)
		}
		chunks = append(chunks, decode.Chunk{Name: fmt.Sprintf("gen%d", i), FirstLine: 1, Data: data})
	}
	written := 0
	for _, query := range []string{
		"SELECT srcdevice, count(DISTINCT dstdevice) AS peers, count(DISTINCT dstport) AS ports, count(*) AS flows FROM flows GROUP BY srcdevice",
		"SELECT srcdevice, count(*) AS n, sum(dstbytes) AS b FROM flows GROUP BY srcdevice HAVING count(*) % 2 = 0",
		"SELECT srcdevice, count(*) AS n, max(dstbytes) AS b FROM flows GROUP BY srcdevice ORDER BY n DESC, srcdevice",
		"SELECT srcdevice, count(*) AS n FROM flows GROUP BY srcdevice HAVING count(*) % 3 <> 0 ORDER BY n DESC, srcdevice LIMIT 8",
		"SELECT TUMBLE(time, 2) AS w, protocol, count(*) AS n, min(dstport) AS p FROM flows GROUP BY TUMBLE(time, 2), protocol",
		"SELECT count(*) AS n, avg(dstbytes) AS b FROM flows",
	} {
		p, err := sql.Build(query, flowsCatalog{})
		if err != nil {
			t.Fatal(err)
		}
		q, err := engine.New(p, engine.Options{Mode: engine.Complete})
		if err != nil {
			t.Fatal(err)
		}
		if !q.StableRows() {
			t.Fatalf("%s: complete mode's rows are not stable", query)
		}
		dec := decode.NewDecoder(p.ColumnSchema())
		for _, f := range []sink.Format{sink.CSV, sink.JSON} {
			var stableOut, freshOut bytes.Buffer
			stable, fresh := sink.NewWriter(&stableOut, f, p.OutputSchema()), sink.NewWriter(&freshOut, f, p.OutputSchema())
			stable.SetStableRows(true)
			q, _ = engine.New(p, engine.Options{Mode: engine.Complete})
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
				stableOut.Reset()
				freshOut.Reset()
				if err := stable.Batch(sink.BatchInfo{ID: int64(i)}, rows); err != nil {
					t.Fatal(err)
				}
				if err := fresh.Batch(sink.BatchInfo{ID: int64(i)}, rows); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(stableOut.Bytes(), freshOut.Bytes()) {
					t.Fatalf("%s, batch %d: the writer of stable rows wrote\n%s\nrendered afresh:\n%s", query, i, stableOut.String(), freshOut.String())
				}
				written += len(rows)
			}
		}
	}
	if written == 0 {
		t.Fatal("no rows written")
	}
}

// TestStableRowsChanged writes hand-made batches through a writer told the
// rows are stable: a row kept at its place is copied, a row replaced by
// another at the same place (a changed group) is rendered, rows shifted by
// one removed before them are rendered, and the first element of a row is
// what identifies it.
func TestStableRowsChanged(t *testing.T) {
	schema := value.Schema{{Name: "k", Type: value.String}, {Name: "n", Type: value.Int}}
	row := func(k string, n int64) []value.Value { return []value.Value{value.StringValue(k), value.IntValue(n)} }
	a, b, c := row("a", 1), row("b,x", 2), row("c", 3)
	b2 := row("b,x", 5)
	batches := [][][]value.Value{
		{a, b, c},
		{a, b2, c}, // b changed: a new row at its place
		{b2, c},    // a gone: the others shift
		{b2, c, a}, // a back, at the end
		{},
		{b2, c, a},
	}
	for _, f := range []sink.Format{sink.CSV, sink.JSON} {
		var got, want bytes.Buffer
		stable, fresh := sink.NewWriter(&got, f, schema), sink.NewWriter(&want, f, schema)
		stable.SetStableRows(true)
		for i, rows := range batches {
			if err := stable.Batch(sink.BatchInfo{ID: int64(i)}, rows); err != nil {
				t.Fatal(err)
			}
			if err := fresh.Batch(sink.BatchInfo{ID: int64(i)}, rows); err != nil {
				t.Fatal(err)
			}
		}
		if got.String() != want.String() {
			t.Errorf("format %d: stable rows written as\n%s\nwant\n%s", f, got.String(), want.String())
		}
	}
}

// flowsCatalog binds the table flows to the generator's schema.
type flowsCatalog struct{}

func (flowsCatalog) Schema(string) (value.Schema, error) { return gen.Schema, nil }
func (flowsCatalog) Tables() []string                    { return []string{"flows"} }
