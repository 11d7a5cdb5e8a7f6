package engine

import (
	"encoding/binary"
	"math"
	"math/big"
	"math/bits"

	"brook/decode"
	"brook/sql"
	"brook/value"
)

func init() {
	// SUM: BIGINT sums are exact (HUGEINT beyond BIGINT's range), DOUBLE
	// sums are DuckDB's.
	defineAggregate(&sql.AggSpec{Name: "sum", Arg: sql.NumericArg, Result: func(t value.Type) value.Type {
		if t == value.Null {
			return value.Float
		}
		return t
	}, Distinct: sql.DistinctCounts}, func(call *sql.AggCall, _ *evalState) Aggregate {
		var a Aggregate = &sumFloat{}
		if call.Typ == value.Int {
			a = &sumInt{}
		}
		if call.Distinct {
			return newDistinctOf(a)
		}
		return a
	})
}

// sumFloat is SUM over DOUBLE; NULL when a group has no non-NULL value.
type sumFloat struct {
	sum  []float64
	seen []bool
}

func (a *sumFloat) Grow(groups int) { a.sum, a.seen = grow(a.sum, groups), grow(a.seen, groups) }
func (a *sumFloat) Add(g int32, v value.Value) {
	if f, ok := v.AsFloat(); ok && v.Kind != value.Null {
		a.sum[g] += f
		a.seen[g] = true
	}
}
func (a *sumFloat) foldCol(tile []pair, b *decode.Batch, slot int) {
	for _, p := range tile {
		v := &b.Values[int(p.row)*b.Width+slot]
		if v.Kind == value.Float {
			a.sum[p.id] += v.F
			a.seen[p.id] = true
		} else {
			a.Add(p.id, *v)
		}
	}
}

func (a *sumFloat) Result(g int32) value.Value {
	if !a.seen[g] {
		return value.NullValue
	}
	return value.FloatValue(a.sum[g])
}

// sumInt is SUM over BIGINT. Like DuckDB, which sums BIGINTs into a 128-bit
// HUGEINT, it never overflows: a sum outside BIGINT's range is returned as
// an exact value.Huge, as the baseline reads DuckDB's HUGEINT (see
// hugeint.go for the arithmetic on it).
type sumInt struct {
	sum  []int128
	seen []bool
}

func (a *sumInt) Grow(groups int) { a.sum, a.seen = grow(a.sum, groups), grow(a.seen, groups) }
func (a *sumInt) Add(g int32, v value.Value) {
	if v.Kind == value.Int {
		a.sum[g].add(v.I)
		a.seen[g] = true
	}
}
func (a *sumInt) foldCol(tile []pair, b *decode.Batch, slot int) {
	for _, p := range tile {
		if v := &b.Values[int(p.row)*b.Width+slot]; v.Kind == value.Int {
			a.sum[p.id].add(v.I)
			a.seen[p.id] = true
		}
	}
}

func (a *sumInt) Result(g int32) value.Value {
	if !a.seen[g] {
		return value.NullValue
	}
	return value.HugeValue(a.sum[g].hi, a.sum[g].lo)
}

// int128 is a two's complement 128-bit integer.
type int128 struct {
	hi int64
	lo uint64
}

func (x *int128) add(v int64) {
	var carry uint64
	x.lo, carry = bits.Add64(x.lo, uint64(v), 0)
	x.hi += v>>63 + int64(carry)
}

func (x int128) int64() (int64, bool) { return int64(x.lo), x.hi == int64(x.lo)>>63 }

// float64 returns the nearest DOUBLE.
func (x int128) float64() float64 {
	if i, ok := x.int64(); ok {
		return float64(i)
	}
	b := new(big.Int).SetInt64(x.hi)
	b.Lsh(b, 64)
	b.Add(b, new(big.Int).SetUint64(x.lo))
	f, _ := new(big.Float).SetInt(b).Float64()
	return f
}

func (a *sumFloat) Reset(g int32) { a.sum[g], a.seen[g] = 0, false }
func (a *sumFloat) MergeFrom(src Aggregate, dst, s int32) {
	if b := src.(*sumFloat); b.seen[s] {
		a.sum[dst] += b.sum[s]
		a.seen[dst] = true
	}
}

func (a *sumInt) Reset(g int32) { a.sum[g], a.seen[g] = int128{}, false }
func (a *sumInt) MergeFrom(src Aggregate, dst, s int32) {
	if b := src.(*sumInt); b.seen[s] {
		a.sum[dst].addWide(b.sum[s])
		a.seen[dst] = true
	}
}

// addWide adds another 128-bit value.
func (x *int128) addWide(y int128) {
	var carry uint64
	x.lo, carry = bits.Add64(x.lo, y.lo, 0)
	x.hi += y.hi + int64(carry)
}

var (
	_ Aggregate = (*sumFloat)(nil)
	_ Aggregate = (*sumInt)(nil)
)

// appendState writes the sum's IEEE bits (the sign of -0.0 and a NaN's
// payload kept) and whether a value was seen.
func (a *sumFloat) appendState(dst []byte, g int32) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(a.sum[g]))
	return appendBool(dst, a.seen[g])
}
func (a *sumFloat) readState(src []byte, g int32) ([]byte, error) {
	bits, src, err := readUint64(src)
	if err != nil {
		return nil, err
	}
	a.sum[g] = math.Float64frombits(bits)
	a.seen[g], src, err = readBool(src)
	return src, err
}

// appendState writes both halves of the 128-bit sum and whether a value
// was seen.
func (a *sumInt) appendState(dst []byte, g int32) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, uint64(a.sum[g].hi))
	dst = binary.LittleEndian.AppendUint64(dst, a.sum[g].lo)
	return appendBool(dst, a.seen[g])
}
func (a *sumInt) readState(src []byte, g int32) ([]byte, error) {
	hi, src, err := readUint64(src)
	if err != nil {
		return nil, err
	}
	lo, src, err := readUint64(src)
	if err != nil {
		return nil, err
	}
	a.sum[g] = int128{hi: int64(hi), lo: lo}
	a.seen[g], src, err = readBool(src)
	return src, err
}
