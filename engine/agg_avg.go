package engine

import "brook/value"

// avg is AVG: a DOUBLE, NULL when a group has no non-NULL value.
type avg struct {
	sum []float64
	n   []int64
}

func (a *avg) Grow(groups int) { a.sum, a.n = grow(a.sum, groups), grow(a.n, groups) }
func (a *avg) Add(g int32, v value.Value) {
	if f, ok := v.AsFloat(); ok && v.Kind != value.Null {
		a.sum[g] += f
		a.n[g]++
	}
}
func (a *avg) Result(g int32) value.Value {
	if a.n[g] == 0 {
		return value.NullValue
	}
	return value.FloatValue(a.sum[g] / float64(a.n[g]))
}

var _ Aggregate = (*avg)(nil)
