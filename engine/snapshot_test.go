package engine

import (
	"bytes"
	"encoding/gob"
	"sort"
	"strings"
	"testing"

	"brook/decode"
)

// TestSnapshotRestore: stopping after any batch, saving the state through
// gob, restoring it into a new query and going on gives the same final
// result as an uninterrupted run.
func TestSnapshotRestore(t *testing.T) {
	chunks := genChunks(8, 400)
	cases := []struct {
		query string
		opts  Options
	}{
		{"SELECT dstdevice, count(*) AS hits, count(DISTINCT srcport) AS ports, avg(dstbytes) AS a, min(srcdevice) AS lo FROM flows WHERE dstport IN (443, 8000) GROUP BY dstdevice ORDER BY hits DESC LIMIT 20", Options{}},
		{"SELECT count(*) AS n, sum(CAST(dstbytes AS BIGINT)) AS b FROM flows", Options{}},
		{"SELECT srcdevice, dstbytes FROM flows ORDER BY dstbytes DESC LIMIT 5", Options{}},
		{"SELECT srcdevice, dstbytes FROM flows ORDER BY dstbytes DESC, srcdevice LIMIT 3 OFFSET 4", Options{}},
		{"SELECT srcdevice, dstbytes FROM flows WHERE dstbytes > 100000", Options{}},
		{"SELECT TUMBLE(time, 1) AS w, protocol, sum(srcbytes) AS b FROM flows GROUP BY TUMBLE(time, 1), protocol", Options{Mode: Append, Watermark: true, Lateness: 0.5}},
		{"SELECT HOP(time, 0.5, 2) AS w, count(*) AS n FROM flows GROUP BY HOP(time, 0.5, 2)", Options{Mode: Update, Watermark: true}},
		{"SELECT CUMULATE(time, 0.5, 2) AS w, CUMULATE_END(time, 0.5, 2) AS e, count(*) AS n FROM flows GROUP BY CUMULATE(time, 0.5, 2)", Options{Mode: Append, Watermark: true, Lateness: 0.5}},
		{"SELECT CUMULATE(time, 0.5, 2) AS w, CUMULATE_END(time, 0.5, 2) AS e, protocol, count(*) AS n FROM flows GROUP BY CUMULATE(time, 0.5, 2), protocol", Options{Mode: Update, Watermark: true}},
		{"SELECT SESSION(time, 0.2) AS s, dstdevice, count(*) AS n FROM flows GROUP BY SESSION(time, 0.2), dstdevice", Options{Mode: Append, Watermark: true}},
		{"SELECT protocol, sum(DISTINCT srcbytes) AS s, avg(DISTINCT CAST(dstbytes AS BIGINT)) AS a, count(DISTINCT srcdevice) AS d FROM flows GROUP BY protocol", Options{}},
		{"SELECT protocol, median(srcbytes) AS m, quantile_disc(CAST(dstbytes AS BIGINT), 0.9) AS d, quantile_cont(duration, 0.25) AS c FROM flows GROUP BY protocol", Options{}},
	}
	for _, c := range cases {
		p := plan(t, c.query)
		c.opts.KeepFinal = true
		run := func(q *Query, from, to int) {
			dec := decode.NewDecoder(p.ColumnSchema())
			var b decode.Batch
			for i := from; i < to; i++ {
				b.Reset(len(p.Columns))
				dec.Decode(chunks[i:i+1], &b)
				if _, err := q.Process(&b); err != nil {
					t.Fatal(err)
				}
			}
		}
		final := func(q *Query) string {
			if _, err := q.Close(); err != nil {
				t.Fatal(err)
			}
			rows, err := q.Final()
			if err != nil {
				t.Fatal(err)
			}
			if !p.Sorted() { // without ORDER BY the row order is not part of the result
				lines := strings.Split(render(rows), "\n")
				sort.Strings(lines)
				return strings.Join(lines, "\n")
			}
			return render(rows)
		}
		whole, _ := New(p, c.opts)
		run(whole, 0, len(chunks))
		want := final(whole)
		for _, stop := range []int{1, 4, 7} {
			q1, _ := New(p, c.opts)
			run(q1, 0, stop)
			snap, err := q1.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := gob.NewEncoder(&buf).Encode(snap); err != nil {
				t.Fatal(err)
			}
			var back Snapshot
			if err := gob.NewDecoder(&buf).Decode(&back); err != nil {
				t.Fatal(err)
			}
			q2, _ := New(p, c.opts)
			if err := q2.Restore(&back); err != nil {
				t.Fatalf("%s: %v", c.query, err)
			}
			run(q2, stop, len(chunks))
			if got := final(q2); got != want {
				t.Errorf("%s\nrestored after batch %d:\n%s\nuninterrupted:\n%s", c.query, stop, got, want)
			}
		}
	}
}
