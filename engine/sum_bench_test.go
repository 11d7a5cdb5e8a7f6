package engine

import (
	"fmt"
	"testing"

	"brook/decode"
	"brook/sql"
	"brook/value"
)

// BenchmarkSumBigint folds 200,000 BIGINTs (10 batches, 1,000 groups) into
// SUM and AVG, projecting the result after every batch (complete mode): the
// 128-bit accumulators, and (plus1) the HUGEINT arithmetic on them.
func BenchmarkSumBigint(b *testing.B) {
	for name, query := range map[string]string{
		"sum_avg": "SELECT k, sum(v) AS s, avg(v) AS a FROM t GROUP BY k",
		"plus1":   "SELECT k, sum(v) AS s, sum(v) + 1 AS s1, avg(v) AS a FROM t GROUP BY k",
	} {
		b.Run(name, func(b *testing.B) { benchSum(b, query) })
	}
}

func benchSum(b *testing.B, query string) {
	schema := catalog{{Name: "k", Type: value.String}, {Name: "v", Type: value.Int}}
	p, err := sql.Build(query, schema)
	if err != nil {
		b.Fatal(err)
	}
	var batches []*decode.Batch
	x := uint64(1)
	for i := 0; i < 10; i++ {
		var data []byte
		for r := 0; r < 20_000; r++ {
			x = x*6364136223846793005 + 1442695040888963407
			data = fmt.Appendf(data, "{\"k\": \"dev%d\", \"v\": %d}\n", x>>54, int64(x)>>1)
		}
		var batch decode.Batch
		batch.Reset(len(p.Columns))
		if rejects, _ := decode.NewDecoder(p.ColumnSchema()).Decode([]decode.Chunk{{Name: "g", FirstLine: 1, Data: data}}, &batch); len(rejects) > 0 {
			b.Fatal(rejects[0])
		}
		batches = append(batches, &batch)
	}
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
}
