package stream

import (
	"fmt"
	"strings"
	"testing"

	"brook/engine"
	"brook/ingest"
)

// BenchmarkCheckpointWrite measures one commit after a batch that touched
// 100, 1,000 or 10,000 of 100,000 groups: the change record (encoding and
// the write; the fsync runs in the background and is waited for), against
// a full record of all groups, which is what every commit wrote before
// change records. It reports the bytes written per commit.
func BenchmarkCheckpointWrite(b *testing.B) {
	const groups = 100_000
	q, err := engine.New(planFor(b, ckQuery, ckSchema), engine.Options{})
	if err != nil {
		b.Fatal(err)
	}
	dec := ingest.NewDecoder(q.Plan().ColumnSchema())
	batch := func(from, n, v int) {
		var sb strings.Builder
		for i := range n {
			fmt.Fprintf(&sb, `{"v":%d,"k":"device%d","f":1.5}`+"\n", v, (from+i)%groups)
		}
		var bt ingest.Batch
		bt.Reset(len(q.Plan().Columns))
		dec.Decode([]ingest.Chunk{{Name: "b", FirstLine: 1, Data: []byte(sb.String())}}, &bt)
		if _, err := q.Process(&bt); err != nil {
			b.Fatal(err)
		}
	}
	batch(0, groups, 0)
	for _, c := range []struct {
		touched int
		full    bool
	}{{100, false}, {1000, false}, {10000, false}, {1000, true}} {
		touched, full := c.touched, c.full
		name := fmt.Sprintf("changes/touched=%d", touched)
		if full {
			name = fmt.Sprintf("full/touched=%d", touched)
		}
		b.Run(name, func(b *testing.B) {
			st, _, err := OpenStore(b.TempDir(), "bench", q)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			if err := st.Begin(q, &Checkpoint{Identity: "bench"}); err != nil {
				b.Fatal(err)
			}
			var bytes int64
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				batch(i*touched, touched, i) // a new distinct v for each group
				st.needBase = full
				before := st.logSize
				b.StartTimer()
				if err := st.Commit(q, &Checkpoint{Identity: "bench", Batches: int64(i + 1)}); err != nil {
					b.Fatal(err)
				}
				if err := st.Wait(); err != nil {
					b.Fatal(err)
				}
				if full {
					bytes += st.baseSize
				} else {
					bytes += st.logSize - before
				}
			}
			b.ReportMetric(float64(bytes)/float64(b.N), "bytes/commit")
		})
	}
}
