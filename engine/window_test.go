package engine

import (
	"fmt"
	"runtime"
	"testing"

	"brook/decode"
	"brook/gen"
	"brook/sql"
	"brook/value"
)

// TestWindowStateStaysBounded streams 360,000 generated rows (about 1,900
// seconds of event time, 190 tumbling windows of 10 s per device) through a
// windowed group-by in append mode with a watermark. Closed windows are
// emitted once and evicted: the state held stays the same size from the
// start of the stream to its end, instead of growing with it.
func TestWindowStateStaysBounded(t *testing.T) {
	for _, query := range []string{
		"SELECT TUMBLE(time, 10) AS w, srcdevice, count(*) AS n, sum(dstbytes) AS b FROM flows GROUP BY TUMBLE(time, 10), srcdevice",
		"SELECT HOP(time, 5, 20) AS w, dstdevice, count(DISTINCT srcport) AS n FROM flows GROUP BY HOP(time, 5, 20), dstdevice",
		"SELECT SESSION(time, 3) AS s, dstdevice, count(*) AS n FROM flows GROUP BY SESSION(time, 3), dstdevice",
	} {
		t.Run(query[:40], func(t *testing.T) {
			p := plan(t, query)
			q, err := New(p, Options{Mode: Append, Watermark: true, Lateness: 2})
			if err != nil {
				t.Fatal(err)
			}
			feed := newGenFeed(p, gen.Options{Seed: 3, Devices: 500, RowsPerSecond: 192})
			const batches, rows = 120, 3000
			var state [batches]int
			emitted := 0
			windowsSeen := map[string]bool{}
			for i := 0; i < batches; i++ {
				out, err := q.Process(feed.next(rows))
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range out {
					key := r[0].Format() + "|" + r[1].Format()
					if windowsSeen[key] {
						t.Fatalf("window %s emitted twice in append mode", key)
					}
					windowsSeen[key] = true
				}
				emitted += len(out)
				gt := q.groups
				state[i] = gt.len() + len(gt.index) + gt.win.ends.Len() + len(gt.win.sessions) + len(gt.win.keyWins) + int(gt.win.keyIdx.n)
			}
			rest, err := q.Close()
			if err != nil {
				t.Fatal(err)
			}
			emitted += len(rest)
			if late, _ := q.Late(); late != 0 {
				t.Errorf("%d late rows in an in-order stream", late)
			}
			early, lateMax := 0, 0
			for i := 10; i < 30; i++ {
				early = max(early, state[i])
			}
			for i := batches - 20; i < batches; i++ {
				lateMax = max(lateMax, state[i])
			}
			if lateMax > early*3/2+100 {
				t.Errorf("state grew with the stream: %d entries early, %d late", early, lateMax)
			}
			if emitted < 10*early/4 {
				t.Errorf("only %d rows emitted; windows are not closing", emitted)
			}
			if q.Groups() != 0 {
				t.Errorf("%d groups left after the input ended", q.Groups())
			}
			t.Logf("state early %d, late %d; %d windows emitted", early, lateMax, emitted)
		})
	}
}

// TestWindowIndexForgetsKeys: with a new group key every second, each gone
// with its window, the index of windows by key forgets the keys too (it is
// built anew when most of its keys have no window left), and every window
// is still emitted once with its rows.
func TestWindowIndexForgetsKeys(t *testing.T) {
	p := plan(t, "SELECT TUMBLE(time, 10) AS w, CAST(time AS BIGINT) AS sec, count(*) AS n FROM flows GROUP BY TUMBLE(time, 10), CAST(time AS BIGINT)")
	q, err := New(p, Options{Mode: Append, Watermark: true, Lateness: 2})
	if err != nil {
		t.Fatal(err)
	}
	feed := newGenFeed(p, gen.Options{Seed: 3, Devices: 50, RowsPerSecond: 20})
	const batches, rows = 200, 300 // 3,000 seconds: 3,000 keys
	emitted, counted, most := 0, int64(0), 0
	for range batches {
		out, err := q.Process(feed.next(rows))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out {
			counted += r[2].I
		}
		emitted += len(out)
		most = max(most, len(q.groups.win.keyWins))
	}
	rest, err := q.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rest {
		counted += r[2].I
	}
	if emitted += len(rest); emitted != 3000 || counted != batches*rows {
		t.Errorf("%d windows emitted with %d rows, want 3000 with %d", emitted, counted, batches*rows)
	}
	if most > 2100 { // the live keys (a window's worth) and at most 1024 or as many gone
		t.Errorf("the index held up to %d keys of 3000", most)
	}
}

// TestWindowKeyAfterRebuild: a row with the key of the row before it finds
// that key's windows without a lookup, also when the index was built anew
// in between (the keys then have new places), and a hopping row with one
// key lookup lands in each of its windows.
func TestWindowKeyAfterRebuild(t *testing.T) {
	p := plan(t, "SELECT HOP(time, 5, 10) AS w, srcdevice, count(*) AS n FROM flows GROUP BY HOP(time, 5, 10), srcdevice")
	q, err := New(p, Options{Mode: Update, Watermark: true, Lateness: 0})
	if err != nil {
		t.Fatal(err)
	}
	row := func(tm float64, dev string) string {
		return fmt.Sprintf(`{"time": %g, "srcdevice": %q}`, tm, dev)
	}
	// Batch one: 2,000 keys and "x", all open. Batch two ends with "x" (the
	// key remembered) and closes every window but x's new ones: the index
	// is built anew once most keys have none, and "x" gets a new place.
	// Batch three starts with "x" again.
	var first []string
	for i := range 2000 {
		first = append(first, row(1, fmt.Sprintf("d%d", i)))
	}
	first = append(first, row(3, "x"))
	if _, err := q.Process(decodeLines(t, p, first...)); err != nil {
		t.Fatal(err)
	}
	if n := len(q.groups.win.keyWins); n != 2001 {
		t.Fatalf("%d keys indexed after batch one, want 2001", n)
	}
	runSteps(t, q, p, []step{{[]string{row(22, "x")}, "20.0 | x | 1\n15.0 | x | 1\n"}})
	if n := len(q.groups.win.keyWins); n >= 2001 {
		t.Fatalf("%d keys indexed after the windows of 2,000 closed: the index was not built anew", n)
	}
	steps := []step{
		{[]string{row(23, "x")}, "20.0 | x | 2\n15.0 | x | 2\n"},
		{[]string{row(24, "x"), row(24, "y"), row(26, "x")}, "20.0 | x | 4\n15.0 | x | 3\n20.0 | y | 1\n15.0 | y | 1\n25.0 | x | 1\n"},
	}
	runSteps(t, q, p, steps)
}

// BenchmarkWindowMemory reports the live heap after a long windowed stream,
// for comparison with a short one (see TestWindowStateStaysBounded).
func BenchmarkWindowMemory(b *testing.B) {
	for _, batches := range []int{20, 200} {
		b.Run(fmt.Sprintf("batches=%d", batches), func(b *testing.B) {
			p := plan(b, "SELECT TUMBLE(time, 10) AS w, srcdevice, count(*) AS n FROM flows GROUP BY TUMBLE(time, 10), srcdevice")
			for n := 0; n < b.N; n++ {
				q, _ := New(p, Options{Mode: Append, Watermark: true})
				feed := newGenFeed(p, gen.Options{Seed: 3, Devices: 500, RowsPerSecond: 192})
				for i := 0; i < batches; i++ {
					q.Process(feed.next(5000))
				}
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				b.ReportMetric(float64(ms.HeapInuse)/1e6, "MB-heap")
			}
		})
	}
}

// genFeed decodes generated rows into batches of a plan's columns.
type genFeed struct {
	g     *gen.Generator
	dec   *decode.Decoder
	b     decode.Batch
	data  []byte
	width int
}

func newGenFeed(p *sql.Plan, o gen.Options) *genFeed {
	return &genFeed{g: gen.New(o), dec: decode.NewDecoder(p.ColumnSchema()), width: len(p.Columns)}
}

// next returns the next rows generated rows, decoded; valid until the
// next call.
func (f *genFeed) next(rows int) *decode.Batch {
	f.data = f.data[:0]
	for range rows {
		f.data = f.g.AppendRow(f.data)
	}
	f.b.Reset(f.width)
	f.dec.Decode([]decode.Chunk{{Name: "gen", FirstLine: 1, Data: f.data}}, &f.b)
	return &f.b
}

// TestWindowKeyReusedBuffer: a batch decoded into the buffer of the batch
// before (as the stream reuses its read buffers) may put another key where
// the last row's key was; the first row of the batch is not taken for a
// row of the last one's key.
func TestWindowKeyReusedBuffer(t *testing.T) {
	p := plan(t, "SELECT TUMBLE(time, 10) AS w, srcdevice, count(*) AS n FROM flows GROUP BY TUMBLE(time, 10), srcdevice ORDER BY srcdevice")
	q, err := New(p, Options{Mode: Complete})
	if err != nil {
		t.Fatal(err)
	}
	buf := []byte(`{"time": 1, "srcdevice": "aaaa"}`)
	var rows [][]value.Value
	for _, line := range []string{`{"time": 1, "srcdevice": "aaaa"}`, `{"time": 1, "srcdevice": "bbbb"}`} {
		copy(buf, line)
		var b decode.Batch
		b.Reset(len(p.Columns))
		if rejects, _ := decode.NewDecoder(p.ColumnSchema()).Decode([]decode.Chunk{{Name: "t", FirstLine: 1, Data: buf}}, &b); len(rejects) > 0 {
			t.Fatal(rejects[0])
		}
		if rows, err = q.Process(&b); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := render(rows), "0.0 | aaaa | 1\n0.0 | bbbb | 1\n"; got != want {
		t.Errorf("got\n%swant\n%s", got, want)
	}
}
