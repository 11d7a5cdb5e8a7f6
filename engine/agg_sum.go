package engine

import "brook/value"

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
func (a *sumFloat) Result(g int32) value.Value {
	if !a.seen[g] {
		return value.NullValue
	}
	return value.FloatValue(a.sum[g])
}

// sumInt is SUM over BIGINT.
type sumInt struct {
	sum  []int64
	seen []bool
}

func (a *sumInt) Grow(groups int) { a.sum, a.seen = grow(a.sum, groups), grow(a.seen, groups) }
func (a *sumInt) Add(g int32, v value.Value) {
	if v.Kind == value.Int {
		a.sum[g] += v.I
		a.seen[g] = true
	}
}
func (a *sumInt) Result(g int32) value.Value {
	if !a.seen[g] {
		return value.NullValue
	}
	return value.IntValue(a.sum[g])
}

var (
	_ Aggregate = (*sumFloat)(nil)
	_ Aggregate = (*sumInt)(nil)
)
