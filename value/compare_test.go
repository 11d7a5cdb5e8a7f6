package value

import (
	"math"
	"testing"
)

// TestAppendKeyEqualValues: values Equal holds for have one key, -0.0 and
// 0.0, and every NaN whatever its sign and payload (DuckDB groups them
// all as one); values it does not hold for have different keys.
func TestAppendKeyEqualValues(t *testing.T) {
	nans := []float64{math.NaN(), math.Copysign(math.NaN(), -1), math.Float64frombits(0x7ff8000000000123), math.Float64frombits(0xfff0000000000001)}
	vals := []Value{FloatValue(0), FloatValue(math.Copysign(0, -1)), FloatValue(5e-324), FloatValue(-5e-324), FloatValue(math.Inf(1)), FloatValue(math.Inf(-1))}
	for _, n := range nans {
		vals = append(vals, FloatValue(n))
	}
	for _, a := range vals {
		for _, b := range vals {
			same := string(AppendKey(nil, a)) == string(AppendKey(nil, b))
			if eq := Equal(a, b); same != eq {
				t.Errorf("%v and %v: keys equal %v, Equal %v", a.F, b.F, same, eq)
			}
		}
	}
}
