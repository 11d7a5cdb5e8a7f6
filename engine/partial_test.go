package engine

import (
	"testing"

	"brook/ingest"
)

// TestPartialEqualsAdd: a batch pre-aggregated in pieces by Partials and
// merged in order gives, batch after batch, exactly the rows Add gives, in
// complete and update mode, with the same input row counts.
func TestPartialEqualsAdd(t *testing.T) {
	chunks := genChunks(6, 300)
	queries := []string{
		"SELECT srcdevice, count(*) AS n, count(DISTINCT dstdevice) AS peers, min(dstport) AS lo, max(time) AS last, avg(duration) AS d FROM flows GROUP BY srcdevice",
		"SELECT dstdevice, count(*) AS hits FROM flows WHERE dstport IN (443, 8000, 22) GROUP BY dstdevice ORDER BY hits DESC LIMIT 5",
		"SELECT protocol, sum(srcbytes + dstbytes) AS b, count(dstport) AS n, count(DISTINCT srcport) AS sp FROM flows GROUP BY protocol HAVING count(*) > 10 ORDER BY 1",
		"SELECT count(*) AS n, sum(dstbytes) AS b, count(DISTINCT dstdevice) AS d FROM flows WHERE dstport NOT LIKE 'Port%'",
		"SELECT lower(srcdevice) AS s, CAST(protocol AS BIGINT) AS p, sum(CAST(srcbytes AS BIGINT)) AS b FROM flows GROUP BY 1, 2",
	}
	for _, mode := range []Mode{Complete, Update} {
		for _, query := range queries {
			p := plan(t, query)
			direct, err := New(p, Options{Mode: mode})
			if err != nil {
				t.Fatal(err)
			}
			merged, _ := New(p, Options{Mode: mode})
			parts := []*Partial{merged.NewPartial(), merged.NewPartial()}
			if parts[0] == nil {
				t.Fatalf("%s: not pre-aggregated", query)
			}
			dec := ingest.NewDecoder(p.ColumnSchema())
			for i := range chunks {
				var b ingest.Batch
				b.Reset(len(p.Columns))
				if rejects, _ := dec.Decode(&ingest.RawBatch{Chunks: chunks[i : i+1]}, &b); len(rejects) > 0 {
					t.Fatal(rejects[0])
				}
				want, err := direct.Process(&b)
				if err != nil {
					t.Fatal(err)
				}
				// The same rows in two pieces, one Partial each.
				half := b.Rows / 2
				for k, piece := range []ingest.Batch{
					{Width: b.Width, Rows: half, Values: b.Values[:half*b.Width]},
					{Width: b.Width, Rows: b.Rows - half, Values: b.Values[half*b.Width:]},
				} {
					if err := parts[k].Add(&piece); err != nil {
						t.Fatal(err)
					}
				}
				for _, part := range parts {
					merged.Merge(part)
				}
				got, err := merged.Emit()
				if err != nil {
					t.Fatal(err)
				}
				if render(got) != render(want) {
					t.Fatalf("%s (mode %v), batch %d:\nmerged partials:\n%s\nAdd:\n%s", query, mode, i, render(got), render(want))
				}
			}
			if merged.RowsIn() != direct.RowsIn() {
				t.Errorf("%s: rows in %d, want %d", query, merged.RowsIn(), direct.RowsIn())
			}
		}
	}
}

// TestPartialOnlyWithoutWindows: windowed and plain queries are not
// pre-aggregated.
func TestPartialOnlyWithoutWindows(t *testing.T) {
	for _, query := range []string{
		"SELECT TUMBLE(\"time\", 10) AS w, count(*) AS n FROM flows GROUP BY TUMBLE(\"time\", 10)",
		"SELECT srcdevice, dstbytes FROM flows WHERE dstbytes > 10",
	} {
		q, err := New(plan(t, query), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if q.NewPartial() != nil {
			t.Errorf("%s: pre-aggregated", query)
		}
	}
}

// TestPartialError: an evaluation error in a Partial is returned by Add.
func TestPartialError(t *testing.T) {
	p := plan(t, "SELECT count(*) AS n FROM flows WHERE CAST(srcport AS INTEGER) > 5")
	q, err := New(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := decode(t, p, `{"srcport": "80"}`, `{"srcport": "Port1"}`)
	if err := q.NewPartial().Add(b); err == nil {
		t.Error("no error for a cast that fails")
	}
}
