package engine

import (
	"fmt"
	"strings"
	"testing"

	"brook/decode"
)

// partBatch decodes lines from several source parts, each given as part
// number and lines, into one batch with its runs.
func partBatch(t *testing.T, q *Query, parts ...any) *decode.Batch {
	t.Helper()
	var chunks []decode.Chunk
	for i := 0; i < len(parts); i += 2 {
		lines := parts[i+1].([]string)
		chunks = append(chunks, decode.Chunk{Name: fmt.Sprint("part ", parts[i]), FirstLine: 1, Part: int32(parts[i].(int)), Data: []byte(strings.Join(lines, "\n") + "\n")})
	}
	var b decode.Batch
	b.Reset(len(q.Plan().Columns))
	dec := decode.NewDecoder(q.Plan().ColumnSchema())
	dec.MarkParts()
	if rejects, _ := dec.Decode(chunks, &b); len(rejects) > 0 {
		t.Fatal(rejects[0])
	}
	return &b
}

func flow(time, port int) string {
	return fmt.Sprintf(`{"time": %d, "srcdevice": "a", "dstport": %d, "srcbytes": 1}`, time, port)
}

// TestWatermarkPerPart checks the watermark of a source read as several
// parts: the least latest time of the holding parts, less the lateness;
// a holding part with no row yet keeps it where it is; parts that do not
// hold it (idle, or read to their end) do not count, and with none holding
// it follows the latest time of all. A part's latest time counts rows the
// WHERE leaves out, so that a part whose rows all miss the filter does not
// hold the watermark back for ever.
func TestWatermarkPerPart(t *testing.T) {
	for _, pre := range []bool{false, true} {
		t.Run(fmt.Sprint("preaggregated=", pre), func(t *testing.T) {
			q, err := New(plan(t, "SELECT TUMBLE(time, 10) AS w, count(*) AS n FROM flows WHERE dstport = 80 GROUP BY TUMBLE(time, 10)"),
				Options{Mode: Append, Watermark: true, Lateness: 5})
			if err != nil {
				t.Fatal(err)
			}
			add := func(b *decode.Batch) {
				if p := q.NewPartial(); pre && p != nil {
					if err := p.Add(b); err != nil {
						t.Fatal(err)
					}
					q.Merge(p)
					return
				}
				if err := q.Add(b); err != nil {
					t.Fatal(err)
				}
			}
			steps := []struct {
				batch   []any
				holding []int32
				want    string // the watermark after the batch
			}{
				// Part 1 holds but has delivered nothing: no watermark yet.
				{[]any{0, []string{flow(100, 80), flow(130, 80)}}, []int32{0, 1}, "NULL"},
				// Part 1's rows all miss the WHERE: its time counts.
				{[]any{1, []string{flow(50, 443), flow(60, 443)}}, []int32{0, 1}, "55.0"},
				{[]any{0, []string{flow(200, 80)}, 1, []string{flow(70, 80)}}, []int32{0, 1}, "65.0"},
				{[]any{1, []string{flow(250, 443)}}, []int32{0, 1}, "195.0"},
				// Restarted here: part 1's latest time (250) comes back
				// from the checkpoint, part 0 alone delivers.
				{[]any{0, []string{flow(230, 80)}}, []int32{0, 1}, "225.0"},
				// Part 1 idle: part 0 alone holds it.
				{[]any{0, []string{flow(240, 80)}}, []int32{0}, "235.0"},
				// Part 1 back, behind: the watermark never goes back, and
				// its row is late.
				{[]any{1, []string{flow(90, 80)}}, []int32{0, 1}, "235.0"},
				// Nothing holds: the latest time of all.
				{[]any{0, []string{flow(300, 80)}}, nil, "295.0"},
			}
			for i, s := range steps {
				if i == 4 { // a restart: the parts' latest times are in the checkpoint
					q.StartLog()
					rec, err := q.AppendRecord(nil, true)
					if err != nil {
						t.Fatal(err)
					}
					r, err := NewReplay(q)
					if err != nil {
						t.Fatal(err)
					}
					if err := r.Apply(rec); err != nil {
						t.Fatal(err)
					}
					if q, err = New(q.Plan(), Options{Mode: Append, Watermark: true, Lateness: 5}); err != nil {
						t.Fatal(err)
					}
					if err := q.Restore(r.Snapshot()); err != nil {
						t.Fatal(err)
					}
				}
				add(partBatch(t, q, s.batch...))
				q.SetParts(s.holding)
				if _, err := q.Emit(); err != nil {
					t.Fatal(err)
				}
				if got := q.Watermark().Format(); got != s.want {
					t.Fatalf("step %d: watermark %s, want %s", i, got, s.want)
				}
			}
			if late, _ := q.Late(); late != 1 {
				t.Errorf("%d late rows, want 1 (part 1's row at 90)", late)
			}
		})
	}
}
