package engine

import (
	"encoding/binary"
	"math"

	"brook/sql"
	"brook/value"
)

func init() {
	defineAggregate(&sql.AggSpec{Name: "avg", Aliases: []string{"mean"}, Arg: sql.NumericArg, Result: sql.Always(value.Float), Distinct: sql.DistinctCounts},
		func(call *sql.AggCall, _ *evalState) Aggregate {
			if call.Distinct {
				return newDistinctOf(&avg{})
			}
			return &avg{}
		})
}

// avg is AVG: a DOUBLE, NULL when a group has no non-NULL value. BIGINTs
// are summed exactly (as DuckDB does, in 128 bits) and divided at the end,
// so that large values of opposite signs cancel exactly.
type avg struct {
	sum  []float64
	ints []int128
	n    []int64
}

func (a *avg) Grow(groups int) {
	a.sum, a.ints, a.n = grow(a.sum, groups), grow(a.ints, groups), grow(a.n, groups)
}
func (a *avg) Add(g int32, v value.Value) {
	switch v.Kind {
	case value.Int:
		a.ints[g].add(v.I)
		a.n[g]++
	case value.Float:
		a.sum[g] += v.F
		a.n[g]++
	}
}
func (a *avg) Result(g int32) value.Value {
	if a.n[g] == 0 {
		return value.NullValue
	}
	return value.FloatValue((a.sum[g] + a.ints[g].float64()) / float64(a.n[g]))
}

func (a *avg) Reset(g int32) { a.sum[g], a.ints[g], a.n[g] = 0, int128{}, 0 }
func (a *avg) MergeFrom(src Aggregate, dst, s int32) {
	b := src.(*avg)
	a.sum[dst] += b.sum[s]
	a.ints[dst].addWide(b.ints[s])
	a.n[dst] += b.n[s]
}

var _ Aggregate = (*avg)(nil)

// appendState writes the DOUBLE sum's bits, both halves of the BIGINT sum
// and the count.
func (a *avg) appendState(dst []byte, g int32) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(a.sum[g]))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(a.ints[g].hi))
	dst = binary.LittleEndian.AppendUint64(dst, a.ints[g].lo)
	return binary.AppendVarint(dst, a.n[g])
}
func (a *avg) readState(src []byte, g int32) ([]byte, error) {
	var w [3]uint64
	var err error
	for i := range w {
		if w[i], src, err = readUint64(src); err != nil {
			return nil, err
		}
	}
	a.sum[g], a.ints[g] = math.Float64frombits(w[0]), int128{hi: int64(w[1]), lo: w[2]}
	a.n[g], src, err = readVarint(src)
	return src, err
}
