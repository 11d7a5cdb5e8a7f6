package engine

import (
	"cmp"
	"encoding/binary"
	"math"
	"slices"

	"brook/sql"
	"brook/value"
)

func init() {
	// MEDIAN(x) is QUANTILE_CONT(x, 0.5): DuckDB's definitions.
	defineAggregate(&sql.AggSpec{Name: "median", Arg: sql.NumericArg, Result: sql.Always(value.Float), Distinct: sql.DistinctRefused},
		func(_ *sql.AggCall, st *evalState) Aggregate { return &quantile{q: 0.5, cont: true, st: st} })
	defineAggregate(&sql.AggSpec{Name: "quantile_cont", Arg: sql.NumericArg, Result: sql.Always(value.Float), Fraction: true},
		func(call *sql.AggCall, st *evalState) Aggregate {
			return &quantile{q: call.Fraction, cont: true, st: st}
		})
	defineAggregate(&sql.AggSpec{Name: "quantile_disc", Aliases: []string{"quantile"}, Arg: sql.NumericArg, Fraction: true,
		Result: func(t value.Type) value.Type {
			if t == value.Null {
				return value.Float
			}
			return t
		}},
		func(call *sql.AggCall, st *evalState) Aggregate {
			return &quantile{q: call.Fraction, ints: call.Typ == value.Int, st: st}
		})
}

// MaxQuantileValues bounds the values the exact quantiles of one query keep
// (MEDIAN, QUANTILE_CONT, QUANTILE_DISC: every value of every group, until
// its window closes): past it the run stops with an error that says so.
// 2^25 values are 256 MiB.
var MaxQuantileValues int64 = 1 << 25

// quantile is an exact quantile of a group's values, as DuckDB computes it
// over the sorted non-NULL values v[0..n): QUANTILE_CONT interpolates at
// RN = (n - 1) * q between lo = v[floor(RN)] and hi = v[ceil(RN)] as
// lo * (1 - d) + hi * d with d = RN - floor(RN), in DOUBLE (so that the
// median of -1e308 and 1e308 is 0, not infinity); QUANTILE_DISC is v[i] with
// i = max(1, n - floor(n - n * q)) - 1. NaN sorts after every number. Its
// state is every value (BIGINTs exactly, for QUANTILE_DISC), so its memory
// grows with the rows of a group: see MaxQuantileValues.
type quantile struct {
	q    float64
	cont bool
	ints bool // QUANTILE_DISC of BIGINTs: the values kept exactly
	st   *evalState
	fs   [][]float64
	is   [][]int64
	kept int64
}

func (a *quantile) Grow(groups int) {
	if a.ints {
		a.is = grow(a.is, groups)
	} else {
		a.fs = grow(a.fs, groups)
	}
}

func (a *quantile) Add(g int32, v value.Value) {
	switch {
	case v.Kind == value.Null:
		return
	case a.ints:
		a.is[g] = append(a.is[g], v.I)
	case v.Kind == value.Float:
		a.fs[g] = append(a.fs[g], v.F)
	default: // BIGINT (and HUGEINT) values are interpolated as DOUBLEs
		f, _ := v.AsFloat()
		a.fs[g] = append(a.fs[g], f)
	}
	a.count(1)
}

// count notes n more values kept, failing the query past the bound.
func (a *quantile) count(n int64) {
	if a.kept += n; a.kept > MaxQuantileValues && a.kept-n <= MaxQuantileValues {
		a.st.fail("median and quantiles keep every value of their groups, and this query's hold more than %d: "+
			"bound them with event-time windows and --lateness, or use avg, min and max", MaxQuantileValues)
	}
}

// cmpNaNLast orders DOUBLEs as DuckDB sorts them: NaN after every number.
func cmpNaNLast(x, y float64) int {
	switch xn, yn := math.IsNaN(x), math.IsNaN(y); {
	case xn && yn:
		return 0
	case xn:
		return 1
	case yn:
		return -1
	}
	return cmp.Compare(x, y)
}

func (a *quantile) Result(g int32) value.Value {
	if a.ints {
		v := a.is[g]
		if len(v) == 0 {
			return value.NullValue
		}
		slices.Sort(v) // the state is a multiset: sorting it in place keeps it
		return value.IntValue(v[a.discIndex(len(v))])
	}
	v := a.fs[g]
	if len(v) == 0 {
		return value.NullValue
	}
	slices.SortFunc(v, cmpNaNLast)
	if !a.cont {
		return value.FloatValue(v[a.discIndex(len(v))])
	}
	rn := float64(len(v)-1) * a.q
	lo, hi := math.Floor(rn), math.Ceil(rn)
	if lo == hi {
		return value.FloatValue(v[int(lo)])
	}
	d := rn - lo
	return value.FloatValue(v[int(lo)]*(1-d) + v[int(hi)]*d)
}

// discIndex is QUANTILE_DISC's place among n sorted values.
func (a *quantile) discIndex(n int) int {
	floored := int(math.Floor(float64(n) - float64(n)*a.q))
	return max(1, n-floored) - 1
}

func (a *quantile) Reset(g int32) {
	if a.ints {
		a.kept -= int64(len(a.is[g]))
		a.is[g] = nil
	} else {
		a.kept -= int64(len(a.fs[g]))
		a.fs[g] = nil
	}
}

func (a *quantile) MergeFrom(src Aggregate, dst, s int32) {
	b := src.(*quantile)
	if a.ints {
		a.is[dst] = append(a.is[dst], b.is[s]...)
		a.count(int64(len(b.is[s])))
	} else {
		a.fs[dst] = append(a.fs[dst], b.fs[s]...)
		a.count(int64(len(b.fs[s])))
	}
}

func (a *quantile) appendState(dst []byte, g int32) []byte {
	if a.ints {
		dst = binary.AppendUvarint(dst, uint64(len(a.is[g])))
		for _, x := range a.is[g] {
			dst = binary.AppendVarint(dst, x)
		}
		return dst
	}
	dst = binary.AppendUvarint(dst, uint64(len(a.fs[g])))
	for _, x := range a.fs[g] {
		dst = appendFloat(dst, x)
	}
	return dst
}

func (a *quantile) readState(src []byte, g int32) ([]byte, error) {
	n, src, err := readUvarint(src)
	if err != nil {
		return nil, err
	}
	if n > uint64(len(src)) { // every value takes a byte at least
		return nil, errShort
	}
	a.Reset(g)
	for range n {
		if a.ints {
			var x int64
			if x, src, err = readVarint(src); err != nil {
				return nil, err
			}
			a.is[g] = append(a.is[g], x)
		} else {
			var x float64
			if x, src, err = readFloat(src); err != nil {
				return nil, err
			}
			a.fs[g] = append(a.fs[g], x)
		}
	}
	a.count(int64(n))
	return src, nil
}

func (a *quantile) state(g int32) []value.Value {
	var s []value.Value
	if a.ints {
		for _, x := range a.is[g] {
			s = append(s, value.IntValue(x))
		}
		return s
	}
	for _, x := range a.fs[g] {
		s = append(s, value.FloatValue(x))
	}
	return s
}

func (a *quantile) setState(g int32, s []value.Value) error {
	a.Reset(g)
	for _, v := range s {
		a.Add(g, v)
	}
	return nil
}

var (
	_ Aggregate = (*quantile)(nil)
	_ codec     = (*quantile)(nil)
	_ stateful  = (*quantile)(nil)
)
