package value

import (
	"math"
	"math/big"
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

// TestHuge: a HUGEINT beyond BIGINT is exact: it prints, compares, sorts
// and groups as the integer it is, and a result within BIGINT is a BIGINT.
func TestHuge(t *testing.T) {
	huge := func(s string) Value {
		b, ok := new(big.Int).SetString(s, 10)
		if !ok {
			t.Fatal(s)
		}
		return BigIntValue(b)
	}
	max := huge("170141183460469231731687303715884105727")
	min := huge("-170141183460469231731687303715884105728")
	p := huge("18446744073709551616")  // 2^64
	p1 := huge("18446744073709551617") // 2^64 + 1: the same DOUBLE as 2^64
	n := huge("-9223372036854775809")  // just below BIGINT
	for _, c := range []struct {
		v    Value
		text string
	}{{max, "170141183460469231731687303715884105727"}, {min, "-170141183460469231731687303715884105728"},
		{p, "18446744073709551616"}, {p1, "18446744073709551617"}, {n, "-9223372036854775809"}} {
		if c.v.Kind != Huge || c.v.Format() != c.text {
			t.Errorf("%s: kind %v, text %s", c.text, c.v.Kind, c.v.Format())
		}
	}
	if v := huge("-9223372036854775808"); v.Kind != Int || v.I != math.MinInt64 {
		t.Errorf("MinInt64 as %v %v", v.Kind, v.I)
	}
	ordered := []Value{min, n, IntValue(math.MinInt64), IntValue(0), IntValue(math.MaxInt64), p, p1, max}
	for i := range ordered {
		for j := range ordered {
			want := cmpInt(int64(i), int64(j))
			if got, ok := Compare(ordered[i], ordered[j]); !ok || got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", ordered[i].Format(), ordered[j].Format(), got, want)
			}
			if same := string(AppendKey(nil, ordered[i])) == string(AppendKey(nil, ordered[j])); same != (i == j) {
				t.Errorf("keys of %s and %s equal: %v", ordered[i].Format(), ordered[j].Format(), same)
			}
		}
	}
	if f, _ := p1.AsFloat(); f != 0x1p64 {
		t.Errorf("2^64+1 as DOUBLE = %v", f)
	}
	if c, _ := Compare(p1, FloatValue(0x1p64)); c != 0 { // compared as DOUBLE, as DuckDB casts
		t.Errorf("2^64+1 vs 2^64 as DOUBLE: %d", c)
	}
}
