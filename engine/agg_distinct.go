package engine

import (
	"encoding/binary"
	"fmt"
	"math"

	"brook/value"
)

// distinctOf is AGG(DISTINCT x) for an aggregate of numbers (SUM, AVG): it
// feeds the inner aggregate each group's distinct non-NULL values once, in
// the order they first arrived. Its state is those values per group (so
// its memory grows with the distinct values, as COUNT(DISTINCT)'s does) and
// the inner aggregate's, rebuilt from them on restore: fed again in the
// same order, a DOUBLE sum comes back bit for bit.
type distinctOf struct {
	inner Aggregate
	seen  map[distinctKey]struct{}
	vals  [][]value.Value // per group, its distinct values in arrival order
}

// distinctKey is a group and a number: values equal as DuckDB compares them
// (-0.0 and 0.0, every NaN) share one.
type distinctKey struct {
	g    int32
	kind value.Type
	bits uint64
}

func newDistinctOf(inner Aggregate) *distinctOf {
	return &distinctOf{inner: inner, seen: map[distinctKey]struct{}{}}
}

func keyOfNumber(g int32, v value.Value) distinctKey {
	if v.Kind != value.Float {
		return distinctKey{g: g, kind: v.Kind, bits: uint64(v.I)}
	}
	f := v.F
	if f == 0 {
		f = 0
	} else if math.IsNaN(f) {
		f = math.NaN()
	}
	return distinctKey{g: g, kind: value.Float, bits: math.Float64bits(f)}
}

func (a *distinctOf) Grow(groups int) {
	a.inner.Grow(groups)
	a.vals = grow(a.vals, groups)
}

func (a *distinctOf) Add(g int32, v value.Value) {
	if v.Kind == value.Null {
		return
	}
	k := keyOfNumber(g, v)
	if _, dup := a.seen[k]; dup {
		return
	}
	a.seen[k] = struct{}{}
	a.vals[g] = append(a.vals[g], v)
	a.inner.Add(g, v)
}

func (a *distinctOf) Result(g int32) value.Value { return a.inner.Result(g) }

func (a *distinctOf) Reset(g int32) {
	for _, v := range a.vals[g] {
		delete(a.seen, keyOfNumber(g, v))
	}
	a.vals[g] = nil
	a.inner.Reset(g)
}

// MergeFrom adds the values of group s of src that group dst has not seen.
func (a *distinctOf) MergeFrom(src Aggregate, dst, s int32) {
	for _, v := range src.(*distinctOf).vals[s] {
		a.Add(dst, v)
	}
}

func (a *distinctOf) appendState(dst []byte, g int32) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(a.vals[g])))
	for _, v := range a.vals[g] {
		dst = append(dst, byte(v.Kind))
		if v.Kind == value.Float {
			dst = appendFloat(dst, v.F)
		} else {
			dst = binary.AppendVarint(dst, v.I)
		}
	}
	return dst
}

func (a *distinctOf) readState(src []byte, g int32) ([]byte, error) {
	n, src, err := readUvarint(src)
	if err != nil {
		return nil, err
	}
	if n > uint64(len(src)) {
		return nil, errShort
	}
	a.Reset(g)
	for range n {
		if len(src) == 0 {
			return nil, errShort
		}
		kind := value.Type(src[0])
		src = src[1:]
		var v value.Value
		switch kind {
		case value.Float:
			var f float64
			if f, src, err = readFloat(src); err != nil {
				return nil, err
			}
			v = value.FloatValue(f)
		case value.Int:
			var i int64
			if i, src, err = readVarint(src); err != nil {
				return nil, err
			}
			v = value.IntValue(i)
		default:
			return nil, fmt.Errorf("engine: a DISTINCT aggregate's state holds a value of kind %d", kind)
		}
		a.Add(g, v)
	}
	return src, nil
}

func (a *distinctOf) state(g int32) []value.Value { return append([]value.Value(nil), a.vals[g]...) }

func (a *distinctOf) setState(g int32, s []value.Value) error {
	a.Reset(g)
	for _, v := range s {
		a.Add(g, v)
	}
	return nil
}

var (
	_ Aggregate = (*distinctOf)(nil)
	_ codec     = (*distinctOf)(nil)
	_ stateful  = (*distinctOf)(nil)
)
