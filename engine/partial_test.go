package engine

import (
	"fmt"
	"os"
	"testing"

	"brook/decode"
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
		"SELECT TUMBLE(\"time\", 10) AS w, TUMBLE_END(\"time\", 10) AS e, sum(srcbytes + dstbytes) AS b, count(*) AS n FROM flows GROUP BY TUMBLE(\"time\", 10)",
		"SELECT HOP(\"time\", 5, 15) AS w, srcdevice, count(DISTINCT dstport) AS p FROM flows WHERE protocol = 6 GROUP BY HOP(\"time\", 5, 15), srcdevice HAVING count(*) > 1",
	}
	type run struct {
		opts    Options
		queries []string
		chunks  []decode.Chunk
		order   []int // the chunks' order: out of order, some rows are late
	}
	inOrder := []int{0, 1, 2, 3, 4, 5}
	runs := []run{{Options{Mode: Complete}, queries, chunks, inOrder}, {Options{Mode: Update}, queries, chunks, inOrder}}
	slow := genChunksRate(6, 300, 20) // 15 s of event time per chunk
	for _, mode := range []Mode{Update, Append} {
		runs = append(runs, run{Options{Mode: mode, Watermark: true, Lateness: 3}, queries[5:6], slow, []int{2, 3, 0, 4, 1, 5}})
	}
	for _, r := range runs {
		mode := r.opts.Mode
		for _, query := range r.queries {
			p := plan(t, query)
			direct, err := New(p, r.opts)
			if err != nil {
				t.Fatal(err)
			}
			merged, _ := New(p, r.opts)
			parts := []*Partial{merged.NewPartial(), merged.NewPartial()}
			if parts[0] == nil {
				t.Fatalf("%s: not pre-aggregated", query)
			}
			dec := decode.NewDecoder(p.ColumnSchema())
			for _, i := range r.order {
				var b decode.Batch
				b.Reset(len(p.Columns))
				if rejects, _ := dec.Decode(r.chunks[i:i+1], &b); len(rejects) > 0 {
					t.Fatal(rejects[0])
				}
				want, err := direct.Process(&b)
				if err != nil {
					t.Fatal(err)
				}
				// The same rows in two pieces, one Partial each.
				half := b.Rows / 2
				for k, piece := range []decode.Batch{
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
			l1, n1 := merged.Late()
			l2, n2 := direct.Late()
			if r.opts.Watermark && l2 == 0 {
				t.Errorf("%s (mode %v): no row was late: the chunks' order must make some", query, mode)
			}
			if l1 != l2 || n1 != n2 {
				t.Errorf("%s: late %d and %d without time, want %d and %d", query, l1, n1, l2, n2)
			}
			if merged.RowsIn() != direct.RowsIn() {
				t.Errorf("%s: rows in %d, want %d", query, merged.RowsIn(), direct.RowsIn())
			}
		}
	}
}

// TestPartialEligible: plain queries, sessions, hopping windows under a
// watermark and windows whose late rows are logged are not
// pre-aggregated; other windows, and tumbling windows under a watermark,
// are.
func TestPartialEligible(t *testing.T) {
	const tumble = "SELECT TUMBLE(\"time\", 10) AS w, count(*) AS n FROM flows GROUP BY TUMBLE(\"time\", 10)"
	const hop = "SELECT HOP(\"time\", 5, 10) AS w, count(*) AS n FROM flows GROUP BY HOP(\"time\", 5, 10)"
	watermark := Options{Mode: Update, Watermark: true, Lateness: 5}
	logged := watermark
	logged.LogLate = true
	for _, c := range []struct {
		query string
		opts  Options
		want  bool
	}{
		{tumble, Options{}, true},
		{tumble, watermark, true},
		{tumble, logged, false},
		{hop, Options{}, true},
		{hop, watermark, false},
		{"SELECT SESSION(\"time\", 5) AS s, srcdevice, count(*) AS n FROM flows GROUP BY SESSION(\"time\", 5), srcdevice", Options{}, false},
		{"SELECT srcdevice, dstbytes FROM flows WHERE dstbytes > 10", Options{}, false},
		{"SELECT srcdevice, count(*) AS n FROM flows GROUP BY srcdevice", Options{}, true},
	} {
		q, err := New(plan(t, c.query), c.opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := q.NewPartial() != nil; got != c.want {
			t.Errorf("%s (%+v): pre-aggregated %v, want %v", c.query, c.opts, got, c.want)
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
	b := decodeLines(t, p, `{"srcport": "80"}`, `{"srcport": "Port1"}`)
	if err := q.NewPartial().Add(b); err == nil {
		t.Error("no error for a cast that fails")
	}
}

// TestPartialWindowsNoTime: rows without an event time belong to no window
// and are counted, pre-aggregated or not; the event time the watermark
// would start from is merged too.
func TestPartialWindowsNoTime(t *testing.T) {
	p := plan(t, "SELECT TUMBLE(\"time\", 10) AS w, count(*) AS n FROM flows GROUP BY TUMBLE(\"time\", 10)")
	q, err := New(p, Options{Mode: Update})
	if err != nil {
		t.Fatal(err)
	}
	part := q.NewPartial()
	b := decodeLines(t, p, `{"time": 3.0}`, `{"time": null}`, `{"time": 14.0}`, `{}`, `{"time": 12.5}`)
	if err := part.Add(b); err != nil {
		t.Fatal(err)
	}
	q.Merge(part)
	rows, err := q.Emit()
	if err != nil {
		t.Fatal(err)
	}
	if got := render(rows); got != "0.0 | 1\n10.0 | 2\n" {
		t.Errorf("windows:\n%s", got)
	}
	if late, noTime := q.Late(); late != 0 || noTime != 2 {
		t.Errorf("late %d, without time %d; want 0 and 2", late, noTime)
	}
	if q.RowsIn() != 5 || q.groups.win.maxTime != 14 {
		t.Errorf("rows in %d, max time %v; want 5 and 14", q.RowsIn(), q.groups.win.maxTime)
	}
}

// TestPreAggregationTurnsOff: once partials have merged enough rows, a query
// whose partial tables hold few rows per group stops being pre-aggregated;
// one whose groups gather many rows goes on.
func TestPreAggregationTurnsOff(t *testing.T) {
	chunks := genChunks(8, 4000)
	for query, want := range map[string]bool{
		"SELECT protocol, count(*) AS n FROM flows GROUP BY protocol":                      true,
		"SELECT \"time\", srcdevice, dstdevice, count(*) AS n FROM flows GROUP BY 1, 2, 3": false,
	} {
		p := plan(t, query)
		q, err := New(p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !q.PreAggregates() {
			t.Fatalf("%s: not pre-aggregated at the start", query)
		}
		dec := decode.NewDecoder(p.ColumnSchema())
		for i := range chunks {
			var b decode.Batch
			b.Reset(len(p.Columns))
			dec.Decode(chunks[i:i+1], &b)
			part := q.NewPartial()
			if err := part.Add(&b); err != nil {
				t.Fatal(err)
			}
			q.Merge(part)
		}
		if got := q.PreAggregates(); got != want {
			t.Errorf("%s: pre-aggregating after %d rows: %v, want %v", query, q.RowsIn(), got, want)
		}
	}
}

// BenchmarkPartialLANL is a decoder's share of the pre-aggregated path on
// the LANL data: lines decoded 256 at a time and folded into a partial
// while they are in cache, the partial merged once per file, as the
// stream's decoders and engine do. Queries that are not pre-aggregated
// report nothing.
func BenchmarkPartialLANL(b *testing.B) {
	var files [][]byte
	for i := 1; i <= 4; i++ {
		data, err := os.ReadFile(fmt.Sprintf("../../shared/datasets/lanl/time_%02d.json", i))
		if err != nil {
			b.Skipf("LANL data not found (%v): benchmark skipped", err)
		}
		files = append(files, data)
	}
	for _, name := range []string{"webservers", "bytes_per_10s", "all_fields"} {
		text, err := os.ReadFile("../queries/" + name + ".sql")
		if err != nil {
			b.Fatal(err)
		}
		p := plan(b, string(text))
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(files[0]) * len(files)))
			for b.Loop() {
				q, err := New(p, Options{Mode: Complete})
				if err != nil {
					b.Fatal(err)
				}
				part := q.NewPartial()
				dec := decode.NewDecoder(p.ColumnSchema())
				if f := q.PushdownFilter(); f != nil {
					dec.SetFilter(f())
				}
				var tile decode.Batch
				var stats decode.DecodeStats
				for _, data := range files {
					c := decode.Chunk{Name: "lanl", FirstLine: 1, Data: data}
					for len(c.Data) > 0 {
						tile.Reset(len(p.Columns))
						c, _ = dec.DecodeRows(c, &tile, nil, &stats, 256)
						if err := part.Add(&tile); err != nil {
							b.Fatal(err)
						}
					}
					q.Merge(part)
					if _, err := q.Emit(); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
