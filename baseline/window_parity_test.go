package baseline_test

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"brook/diff"
	"brook/engine"
	"brook/ingest"
	"brook/sql"
	"brook/value"
)

// windowEdgeRows returns NDJSON records whose times sit on the bounds of
// windows whose sizes are not exact in binary (multiples of 0.1, 0.3 and
// 0.001), at integers beyond 2^53, and at -0.0; each with a BIGINT time it
// as well (exact beyond 2^53) and a group key k.
func windowEdgeRows() []string {
	var rows []string
	add := func(t float64, it int64, k string) {
		rows = append(rows, fmt.Sprintf(`{"t": %s, "it": %d, "k": %q}`, strconv.FormatFloat(t, 'g', -1, 64), it, k))
	}
	for i := 0; i < 60; i++ {
		add(float64(i)*0.1, int64(i), "a")
		add(float64(i)*0.3, int64(i)*3, "b")
		add(float64(i)*0.001, int64(i)+1<<53, "c")
	}
	for _, t := range []float64{0.6, 0.65, 0.7, 1.2, 2.4, 0.30000000000000004, 0.29999999999999993, math.Copysign(0, -1), 0} {
		add(t, 1<<53+1, "d")
	}
	for _, it := range []int64{1<<53 + 1, 1<<53 + 3, 1<<53 + 4, 1<<53 + 7, 1<<54 + 1, -(1<<53 + 1), 1<<62 + 1} {
		add(1, it, "e")
	}
	return rows
}

// TestWindowEdgeParity puts rows on window bounds that DOUBLE arithmetic
// rounds (0.6 with windows of 0.1 falls in [0.5, 0.6) by floor(t/size)*size)
// and at integer times beyond 2^53, and requires of every window kind both
// that the stream equals DuckDB and that no row with a time is lost: the
// counts of a tumbling window add up to the rows, and each row is in at
// least one hopping window.
func TestWindowEdgeParity(t *testing.T) {
	ds := &dataset{schema: value.Schema{
		{Name: "t", Type: value.Float}, {Name: "it", Type: value.Int}, {Name: "k", Type: value.String},
	}, rows: windowEdgeRows()}
	ds.write(t)
	db := openDB(t)
	for _, tc := range []struct {
		query string
		total bool // the counts add up to every row (tumbling windows)
	}{
		{"SELECT TUMBLE(t, 0.1) AS w, count(*) AS n FROM t GROUP BY TUMBLE(t, 0.1)", true},
		{"SELECT k, TUMBLE(t, 0.1) AS w, TUMBLE_END(t, 0.1) AS e, count(*) AS n FROM t GROUP BY k, TUMBLE(t, 0.1)", true},
		{"SELECT TUMBLE(t, 0.3) AS w, count(*) AS n FROM t GROUP BY TUMBLE(t, 0.3)", true},
		{"SELECT TUMBLE(t, 0.001) AS w, count(*) AS n FROM t GROUP BY TUMBLE(t, 0.001)", true},
		{"SELECT window(t, 0.1) AS w, count(*) AS n FROM t GROUP BY window(t, 0.1)", true},
		{"SELECT TUMBLE(it, 1) AS w, count(*) AS n FROM t GROUP BY TUMBLE(it, 1)", true},
		{"SELECT TUMBLE(it, 3) AS w, count(*) AS n FROM t GROUP BY TUMBLE(it, 3)", true},
		{"SELECT HOP(t, 0.1, 0.3) AS w, count(*) AS n FROM t GROUP BY HOP(t, 0.1, 0.3)", false},
		{"SELECT window(t, 0.3, 0.1) AS w, HOP_END(t, 0.1, 0.3) AS e, count(*) AS n FROM t GROUP BY window(t, 0.3, 0.1)", false},
		{"SELECT HOP(it, 1, 3) AS w, count(*) AS n FROM t GROUP BY HOP(it, 1, 3)", false},
		{"SELECT CUMULATE(t, 0.1, 0.3) AS w, CUMULATE_END(t, 0.1, 0.3) AS e, count(*) AS n FROM t GROUP BY CUMULATE(t, 0.1, 0.3)", false},
		{"SELECT k, CUMULATE_START(t, 0.001, 0.004) AS w, CUMULATE_END(t, 0.001, 0.004) AS e, count(*) AS n FROM t GROUP BY k, CUMULATE(t, 0.001, 0.004)", false},
		{"SELECT CUMULATE_END(it, 1, 3) AS e, count(*) AS n FROM t GROUP BY CUMULATE(it, 1, 3)", false},
		{"SELECT CUMULATE(t, 0.1, 0.1) AS w, count(*) AS n FROM t GROUP BY CUMULATE(t, 0.1, 0.1)", true}, // a tumbling window
		{"SELECT k, SESSION(t, 0.1) AS s, SESSION_END(t, 0.1) AS e, count(*) AS n FROM t GROUP BY k, SESSION(t, 0.1)", true},
		{"SELECT k, SESSION(it, 2) AS s, SESSION_END(it, 2) AS e, count(*) AS n FROM t GROUP BY k, SESSION(it, 2)", true},
		{"SELECT k, SESSION(it, 3) AS s, count(*) AS n FROM t GROUP BY k, SESSION(it, 3)", true},
	} {
		t.Run(tc.query, func(t *testing.T) {
			plan := ds.build(t, tc.query)
			res, err := db.Run(context.Background(), plan, []string{ds.path})
			if err != nil {
				t.Fatal(err)
			}
			cols := plan.OutputSchema().Names()
			n := len(cols) - 1
			for _, perBatch := range []int{len(ds.rows), 1, 7} {
				stream, err := runWindowBatches(ds, plan, perBatch)
				if err != nil {
					t.Fatal(err)
				}
				if r := diff.Compare(cols, plan.KeyColumns, stream, res.Rows, 1e-12); !r.Equal {
					t.Fatalf("%d rows per batch:\n%s\nSQL: %s", perBatch, r.Text(10), res.SQL)
				}
				if tc.total {
					sum := int64(0)
					for _, r := range stream {
						sum += r[n].I
					}
					if sum != int64(len(ds.rows)) {
						t.Errorf("%d rows per batch: windows count %d rows of %d", perBatch, sum, len(ds.rows))
					}
				}
			}
		})
	}
}

// runWindowBatches streams the dataset perBatch records at a time, in
// append mode with a watermark far behind (nothing is late) when the query
// is windowed, else in complete mode, and returns the final result.
func runWindowBatches(ds *dataset, plan *sql.Plan, perBatch int) ([][]value.Value, error) {
	q, err := engine.New(plan, engine.Options{KeepFinal: true, Mode: engine.Append, Watermark: true, Lateness: 1e300})
	if err != nil {
		return nil, err
	}
	cols := plan.ColumnSchema()
	dec := ingest.NewDecoder(cols)
	for at := 0; at < len(ds.rows); at += perBatch {
		data := []byte(strings.Join(ds.rows[at:min(at+perBatch, len(ds.rows))], "\n") + "\n")
		var batch ingest.Batch
		batch.Reset(len(cols))
		raw := &ingest.RawBatch{Chunks: []ingest.Chunk{{Name: ds.path, FirstLine: at + 1, Data: data}}}
		if rejects, _ := dec.Decode(raw.Chunks, &batch); len(rejects) > 0 {
			return nil, fmt.Errorf("decoder rejected %d lines, first: %v", len(rejects), rejects[0])
		}
		if _, err := q.Process(&batch); err != nil {
			return nil, err
		}
	}
	if _, err := q.Close(); err != nil {
		return nil, err
	}
	return q.Final()
}
