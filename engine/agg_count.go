package engine

import (
	"encoding/binary"

	"brook/decode"
	"brook/sql"
	"brook/value"
)

func init() {
	// COUNT(*), COUNT(x) and COUNT(DISTINCT x) (see agg_count_distinct.go).
	defineAggregate(&sql.AggSpec{Name: "count", Result: sql.Always(value.Int), Distinct: sql.DistinctCounts},
		func(call *sql.AggCall, _ *evalState) Aggregate {
			switch {
			case call.Arg == nil:
				return &countStar{}
			case call.Distinct:
				return &countDistinct{}
			}
			return &count{}
		})
}

// countStar is COUNT(*): every row counts.
type countStar struct{ n []int64 }

func (a *countStar) Grow(groups int)            { a.n = grow(a.n, groups) }
func (a *countStar) Add(g int32, _ value.Value) { a.n[g]++ }
func (a *countStar) Result(g int32) value.Value { return value.IntValue(a.n[g]) }
func (a *countStar) foldCol(tile []pair, _ *decode.Batch, _ int) {
	for _, p := range tile {
		a.n[p.id]++
	}
}

// count is COUNT(x): rows where x is not NULL.
type count struct{ n []int64 }

func (a *count) Grow(groups int) { a.n = grow(a.n, groups) }
func (a *count) Add(g int32, v value.Value) {
	if v.Kind != value.Null {
		a.n[g]++
	}
}
func (a *count) Result(g int32) value.Value { return value.IntValue(a.n[g]) }
func (a *count) foldCol(tile []pair, b *decode.Batch, slot int) {
	for _, p := range tile {
		if b.Values[int(p.row)*b.Width+slot].Kind != value.Null {
			a.n[p.id]++
		}
	}
}

func (a *countStar) Reset(g int32)                         { a.n[g] = 0 }
func (a *countStar) MergeFrom(src Aggregate, dst, s int32) { a.n[dst] += src.(*countStar).n[s] }
func (a *count) Reset(g int32)                             { a.n[g] = 0 }
func (a *count) MergeFrom(src Aggregate, dst, s int32)     { a.n[dst] += src.(*count).n[s] }

var (
	_ Aggregate = (*countStar)(nil)
	_ Aggregate = (*count)(nil)
)

func (a *countStar) appendState(dst []byte, g int32) []byte {
	return binary.AppendVarint(dst, a.n[g])
}
func (a *countStar) readState(src []byte, g int32) ([]byte, error) {
	var err error
	a.n[g], src, err = readVarint(src)
	return src, err
}
func (a *count) appendState(dst []byte, g int32) []byte { return binary.AppendVarint(dst, a.n[g]) }
func (a *count) readState(src []byte, g int32) ([]byte, error) {
	var err error
	a.n[g], src, err = readVarint(src)
	return src, err
}
