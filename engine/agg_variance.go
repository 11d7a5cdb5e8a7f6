package engine

import (
	"encoding/binary"
	"math"

	"brook/sql"
	"brook/value"
)

func init() {
	for _, f := range []struct {
		name, alias, duckErr string
		sample, sqrt         bool
	}{
		{"var_samp", "variance", "VARSAMP", true, false},
		{"var_pop", "", "VARPOP", false, false},
		{"stddev_samp", "stddev", "STDDEV_SAMP", true, true},
		{"stddev_pop", "", "STDDEV_POP", false, true},
	} {
		spec := &sql.AggSpec{Name: f.name, Arg: sql.NumericArg, Result: sql.Always(value.Float)}
		if f.alias != "" {
			spec.Aliases = []string{f.alias}
		}
		defineAggregate(spec, func(_ *sql.AggCall, st *evalState) Aggregate {
			return &variance{sample: f.sample, sqrt: f.sqrt, errName: f.duckErr, st: st}
		})
	}
}

// variance is VAR_SAMP, VAR_POP, STDDEV_SAMP or STDDEV_POP, computed as
// DuckDB computes them: Welford's streaming update of the count, the mean
// and the sum of squared differences from it (every value as a DOUBLE),
// and the pairwise formula to merge two groups' states. The sample forms
// are NULL below two values, the population forms below one; a result
// that is not finite is an error ("VARSAMP is out of range!").
type variance struct {
	sample, sqrt bool
	errName      string
	st           *evalState
	n            []int64
	mean, m2     []float64
}

func (a *variance) Grow(groups int) {
	a.n, a.mean, a.m2 = grow(a.n, groups), grow(a.mean, groups), grow(a.m2, groups)
}

func (a *variance) Add(g int32, v value.Value) {
	x, ok := v.AsFloat()
	if !ok || v.Kind == value.String || v.Kind == value.Null {
		return
	}
	a.n[g]++
	d := (x - a.mean[g]) / float64(a.n[g])
	mean := a.mean[g] + d
	a.m2[g] += (x - mean) * (x - a.mean[g])
	a.mean[g] = mean
}

func (a *variance) Result(g int32) value.Value {
	n := a.n[g]
	var r float64
	switch {
	case n == 0 || (a.sample && n == 1):
		return value.NullValue
	case a.sample:
		r = a.m2[g] / float64(n-1)
	case n > 1:
		r = a.m2[g] / float64(n)
	}
	if a.sqrt {
		r = math.Sqrt(r)
	}
	if math.IsInf(r, 0) || math.IsNaN(r) {
		return a.st.fail("%s is out of range!", a.errName)
	}
	return value.FloatValue(r)
}

func (a *variance) Reset(g int32) { a.n[g], a.mean[g], a.m2[g] = 0, 0, 0 }

// MergeFrom folds group s of src into dst as DuckDB combines two states.
func (a *variance) MergeFrom(src Aggregate, dst, s int32) {
	b := src.(*variance)
	switch {
	case b.n[s] == 0:
	case a.n[dst] == 0:
		a.n[dst], a.mean[dst], a.m2[dst] = b.n[s], b.mean[s], b.m2[s]
	default:
		sn, tn := float64(b.n[s]), float64(a.n[dst])
		n := a.n[dst] + b.n[s]
		mean := (sn*b.mean[s] + tn*a.mean[dst]) / float64(n)
		delta := b.mean[s] - a.mean[dst]
		a.m2[dst] = b.m2[s] + a.m2[dst] + delta*delta*sn*tn/float64(n)
		a.mean[dst], a.n[dst] = mean, n
	}
}

func (a *variance) appendState(dst []byte, g int32) []byte {
	return appendFloat(appendFloat(binary.AppendVarint(dst, a.n[g]), a.mean[g]), a.m2[g])
}
func (a *variance) readState(src []byte, g int32) ([]byte, error) {
	var err error
	if a.n[g], src, err = readVarint(src); err != nil {
		return nil, err
	}
	if a.mean[g], src, err = readFloat(src); err != nil {
		return nil, err
	}
	a.m2[g], src, err = readFloat(src)
	return src, err
}

func (a *variance) state(g int32) []value.Value {
	return []value.Value{value.IntValue(a.n[g]), value.FloatValue(a.mean[g]), value.FloatValue(a.m2[g])}
}
func (a *variance) setState(g int32, s []value.Value) error {
	if len(s) != 3 {
		return badState(a, s)
	}
	a.n[g], a.mean[g], a.m2[g] = s[0].I, s[1].F, s[2].F
	return nil
}

var (
	_ Aggregate = (*variance)(nil)
	_ codec     = (*variance)(nil)
	_ stateful  = (*variance)(nil)
)
