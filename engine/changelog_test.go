package engine

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"testing"

	"brook/decode"
	"brook/value"
)

// canon is a canonical binary form of a snapshot (late windows sorted),
// bit-exact: two snapshots hold the same state when their forms are equal.
// Unless ordered, groups are compared in no order (a restored query numbers
// its groups anew).
func canon(s *Snapshot, ordered bool) []byte {
	c := *s
	c.LateWins = slices.Clone(s.LateWins)
	slices.SortFunc(c.LateWins, func(a, b LateWindow) int {
		return bytes.Compare(appendValues(appendValue(appendValue(nil, a.Start), a.End), a.Keys), appendValues(appendValue(appendValue(nil, b.Start), b.End), b.Keys))
	})
	if !ordered { // closed windows' rows: evicted in another order when ends tie
		idx := make([]int, len(c.Closed))
		for i := range idx {
			idx[i] = i
		}
		row := func(i int) []byte {
			b := appendValues(nil, c.Closed[i])
			if i < len(c.ClosedKey) {
				b = appendValues(b, c.ClosedKey[i])
			}
			return b
		}
		slices.SortFunc(idx, func(x, y int) int { return bytes.Compare(row(x), row(y)) })
		var cl, ck [][]value.Value
		for _, i := range idx {
			cl = append(cl, c.Closed[i])
			if i < len(c.ClosedKey) {
				ck = append(ck, c.ClosedKey[i])
			}
		}
		c.Closed, c.ClosedKey = cl, ck
	}
	out := appendGlobals(nil, &c)
	var groups [][]byte
	for _, g := range s.Groups {
		out := appendValues(nil, g.Keys)
		out = appendFloat(appendFloat(out, g.Start), g.Last)
		out = binary.AppendVarint(binary.AppendVarint(out, g.IStart), g.ILast)
		for _, a := range g.Aggs {
			vs := a
			if len(vs) > 1 && vs[0].Kind == value.String { // a set: in no order
				vs = slices.Clone(vs)
				slices.SortFunc(vs, func(x, y value.Value) int { return bytes.Compare([]byte(x.S), []byte(y.S)) })
			}
			out = appendValues(out, vs)
		}
		groups = append(groups, out)
	}
	if !ordered {
		slices.SortFunc(groups, bytes.Compare)
	}
	return append(out, bytes.Join(groups, []byte{0xff})...)
}

// TestRecordReplay: a full record after the first batch and a change
// record after each later one, replayed, give exactly the query's state
// (compared with its Snapshot) after every batch, also when the log is
// compacted into a new full record midway; a query restored from the
// replay then goes on to the same final result.
func TestRecordReplay(t *testing.T) {
	cases := []struct {
		query string
		opts  Options
	}{
		{"SELECT dstdevice, count(*) AS hits, count(DISTINCT srcport) AS ports, count(DISTINCT srcdevice) AS devs, avg(dstbytes) AS a, min(srcdevice) AS lo, max(dstbytes) AS hi FROM flows WHERE dstport IN (443, 8000) GROUP BY dstdevice ORDER BY hits DESC LIMIT 20", Options{}},
		{"SELECT protocol, count(DISTINCT dstport) AS p, count(srcport) AS c FROM flows GROUP BY protocol", Options{}},
		{"SELECT count(*) AS n, sum(CAST(dstbytes AS BIGINT)) AS b, sum(duration) AS d FROM flows", Options{}},
		{"SELECT srcdevice, dstbytes FROM flows ORDER BY dstbytes DESC LIMIT 5", Options{}},
		{"SELECT srcdevice, dstbytes FROM flows WHERE dstbytes > 100000", Options{}},
		{"SELECT TUMBLE(time, 1) AS w, protocol, sum(srcbytes) AS b, count(DISTINCT dstdevice) AS d FROM flows GROUP BY TUMBLE(time, 1), protocol", Options{Mode: Append, Watermark: true, Lateness: 0.5}},
		{"SELECT HOP(time, 0.5, 2) AS w, count(*) AS n FROM flows GROUP BY HOP(time, 0.5, 2)", Options{Mode: Update, Watermark: true}},
		{"SELECT SESSION(time, 0.2) AS s, dstdevice, count(*) AS n, count(DISTINCT srcport) AS p FROM flows GROUP BY SESSION(time, 0.2), dstdevice", Options{Mode: Append, Watermark: true}},
	}
	for _, c := range cases {
		for _, rate := range []int{0, 40} { // 40 rows a second: windows close
			chunks := genChunksRate(10, 300, rate)
			p := plan(t, c.query)
			c.opts.KeepFinal = true
			dec := decode.NewDecoder(p.ColumnSchema())
			process := func(q *Query, i int) {
				var b decode.Batch
				b.Reset(len(p.Columns))
				dec.Decode(chunks[i:i+1], &b)
				if _, err := q.Process(&b); err != nil {
					t.Fatal(err)
				}
			}
			for _, compactAt := range []int{-1, 4} {
				q, _ := New(p, c.opts)
				q.StartLog()
				r, err := NewReplay(q)
				if err != nil {
					t.Fatal(err)
				}
				var restored *Query
				for i := range chunks {
					process(q, i)
					full := i == 0 || i == compactAt
					rec, err := q.AppendRecord(nil, full)
					if err != nil {
						t.Fatal(err)
					}
					if full { // recovery starts from the newest full record
						if r, err = NewReplay(q); err != nil {
							t.Fatal(err)
						}
					}
					if err := r.Apply(rec); err != nil {
						t.Fatalf("%s: batch %d: %v", c.query, i, err)
					}
					want, err := q.Snapshot()
					if err != nil {
						t.Fatal(err)
					}
					got := r.Snapshot()
					if !bytes.Equal(canon(got, true), canon(want, true)) {
						t.Fatalf("%s (compacted at %d): after batch %d the replayed state differs:\n%d groups, want %d", c.query, compactAt, i, len(got.Groups), len(want.Groups))
					}
					if i == 5 {
						restored, _ = New(p, c.opts)
						if err := restored.Restore(got); err != nil {
							t.Fatal(err)
						}
						s2, _ := restored.Snapshot()
						if !bytes.Equal(canon(s2, false), canon(want, false)) {
							t.Fatalf("%s: the restored query's state differs", c.query)
						}
					}
				}
				for i := 6; i < len(chunks); i++ {
					process(restored, i)
				}
				a, _ := q.Snapshot()
				b, _ := restored.Snapshot()
				if !bytes.Equal(canon(a, false), canon(b, false)) {
					t.Errorf("%s: the query restored after batch 5 ends in another state (rate %d, groups %d vs %d, globals equal %v, final %d vs %d)", c.query, rate, len(a.Groups), len(b.Groups), bytes.Equal(appendGlobals(nil, &Snapshot{RowsIn: a.RowsIn, Watermark: a.Watermark, Late: a.Late}), appendGlobals(nil, &Snapshot{RowsIn: b.RowsIn, Watermark: b.Watermark, Late: b.Late})), len(a.Final), len(b.Final))
				}
			}
		}
	}
}

// TestRecordSmall: a change record holds the groups a batch touched, not
// all groups.
func TestRecordSmall(t *testing.T) {
	p := plan(t, "SELECT srcdevice, count(*) AS n, count(DISTINCT dstdevice) AS d FROM flows GROUP BY srcdevice")
	q, _ := New(p, Options{})
	q.StartLog()
	dec := decode.NewDecoder(p.ColumnSchema())
	feed := func(lines string) {
		var b decode.Batch
		b.Reset(len(p.Columns))
		dec.Decode([]decode.Chunk{{Name: "t", FirstLine: 1, Data: []byte(lines)}}, &b)
		if _, err := q.Process(&b); err != nil {
			t.Fatal(err)
		}
	}
	var many bytes.Buffer
	for i := range 2000 {
		many.WriteString(`{"srcdevice":"C` + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676)) + `","dstdevice":"D1"}` + "\n")
	}
	feed(many.String())
	full, _ := q.AppendRecord(nil, true)
	feed(`{"srcdevice":"Caaa","dstdevice":"D2"}` + "\n")
	delta, _ := q.AppendRecord(nil, false)
	if len(delta)*50 > len(full) {
		t.Errorf("a batch touching one group wrote %d bytes, the full state is %d", len(delta), len(full))
	}
	feed(`{"srcdevice":"Caaa","dstdevice":"D2"}` + "\n")
	again, _ := q.AppendRecord(nil, false)
	if len(again) >= len(delta) { // no new distinct value: none logged
		t.Errorf("a batch adding no distinct value wrote %d bytes, one adding one %d", len(again), len(delta))
	}
	// A record cut anywhere is refused as damaged, without a panic.
	for _, rec := range [][]byte{full, delta} {
		for n := 0; n < len(rec); n += 1 + n/8 {
			r, _ := NewReplay(q)
			if err := r.Apply(rec[:n]); err == nil || !strings.Contains(err.Error(), "damaged") {
				t.Fatalf("a record cut to %d of %d bytes: %v", n, len(rec), err)
			}
		}
	}
}

// TestCodecExact: every aggregate's state survives its codec bit for bit:
// -0.0 keeps its sign, a NaN its payload, an int128 both halves, strings
// every byte, a COUNT(DISTINCT) set every value.
func TestCodecExact(t *testing.T) {
	negZero := math.Copysign(0, -1)
	nan := math.Float64frombits(0xfff8_0000_dead_beef)
	sf := &sumFloat{}
	si := &sumInt{}
	av := &avg{}
	mx := &extremum{dir: 1}
	cs := &countStar{}
	cd := &countDistinct{}
	for _, a := range []Aggregate{sf, si, av, mx, cs, cd} {
		a.Grow(4)
	}
	sf.sum[0], sf.seen[0] = negZero, true
	sf.sum[1], sf.seen[1] = nan, true
	si.sum[0], si.seen[0] = int128{hi: math.MaxInt64, lo: math.MaxUint64}, true
	si.sum[1], si.seen[1] = int128{hi: math.MinInt64, lo: 1}, true
	av.sum[0], av.ints[0], av.n[0] = negZero, int128{hi: -1, lo: 5}, 7
	mx.best[0] = value.FloatValue(negZero)
	mx.best[1] = value.StringValue("")
	mx.best[2] = value.StringValue("héllo \x00 wörld 🦆")
	mx.best[3] = value.FloatValue(nan)
	cs.n[0], cs.n[1] = math.MaxInt64, -3
	for _, k := range []string{"", "a", "ü", "exactly fifteen", "a string longer than sixteen bytes 🦆", "\xff\xfe"} {
		cd.sets[0].add(k)
	}
	for _, a := range []Aggregate{sf, si, av, mx, cs, cd} {
		c := a.(codec)
		var enc []byte
		for g := range int32(4) {
			enc = c.appendState(enc, g)
		}
		b := fresh(a)
		b.Grow(4)
		src := enc
		var err error
		for g := range int32(4) {
			if src, err = b.(codec).readState(src, g); err != nil {
				t.Fatalf("%T: %v", a, err)
			}
		}
		if len(src) != 0 {
			t.Fatalf("%T: %d bytes left", a, len(src))
		}
		for g := range int32(4) {
			x := canon(&Snapshot{Groups: []GroupState{{Aggs: [][]value.Value{a.(stateful).state(g)}}}}, true)
			y := canon(&Snapshot{Groups: []GroupState{{Aggs: [][]value.Value{b.(stateful).state(g)}}}}, true)
			if !bytes.Equal(x, y) {
				t.Errorf("%T group %d: %v came back as %v", a, g, a.(stateful).state(g), b.(stateful).state(g))
			}
		}
	}
	if math.Signbit(sf.sum[0]) != true {
		t.Fatal("the test lost its -0.0")
	}
	b := &sumFloat{}
	b.Grow(1)
	if _, err := b.readState(sf.appendState(nil, 0), 0); err != nil || !math.Signbit(b.sum[0]) {
		t.Errorf("SUM's -0.0 came back as %v (%v)", b.sum[0], err)
	}
	// A damaged state is an error, not a panic.
	for _, a := range []Aggregate{sf, si, av, mx, cs, cd} {
		enc := a.(codec).appendState(nil, 0)
		for n := range len(enc) {
			b := fresh(a)
			b.Grow(1)
			if _, err := b.(codec).readState(enc[:n], 0); err == nil {
				t.Errorf("%T: a state cut to %d of %d bytes was read", a, n, len(enc))
			}
		}
	}
}

// fresh returns an empty aggregate of a's kind.
func fresh(a Aggregate) Aggregate {
	switch a := a.(type) {
	case *sumFloat:
		return &sumFloat{}
	case *sumInt:
		return &sumInt{}
	case *avg:
		return &avg{}
	case *extremum:
		return &extremum{dir: a.dir}
	case *distinctOf:
		return newDistinctOf(fresh(a.inner))
	case *countStar:
		return &countStar{}
	case *count:
		return &count{}
	}
	return &countDistinct{}
}
