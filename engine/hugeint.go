package engine

import (
	"math"
	"math/big"
	"math/bits"

	"brook/sql"
	"brook/value"
)

// DuckDB sums BIGINTs into a HUGEINT (128 bits), and arithmetic on a
// HUGEINT is HUGEINT arithmetic: SUM(v) + 1 over the one value 2^63-1 is
// 2^63, not an overflow, and it fails only beyond 2^127. brook carries a
// HUGEINT as a BIGINT value while it fits one and as a value.Huge beyond
// (the column stays BIGINT; the baseline reads DuckDB's HUGEINTs the same
// way), so every such result is exact:
//
//   - SUM over BIGINT accumulates exactly in 128 bits (see sumInt), in
//     every group, partial and checkpoint, so no batch cutting changes it.
//   - + - * % and unary minus on BIGINTs of which one operand is a HUGEINT
//     (hugeint) are computed exactly in 128 bits, never a BIGINT overflow;
//     so does abs. They fail, as DuckDB does, when the result leaves
//     HUGEINT's range.
//   - a Huge value compares, sorts, groups and prints as the exact integer
//     (value.Compare, value.AppendKey, value.Format); CAST to DOUBLE gives
//     the nearest DOUBLE, CAST to BIGINT fails.
//
// So the stream never fails on a sum that only some prefix of the input
// takes beyond BIGINT's range, and its final answer does not depend on how
// the input was cut into batches.

// hugeint reports whether e is a HUGEINT in DuckDB: SUM over BIGINT, and
// the integer arithmetic, negation, abs and choice functions (CASE,
// coalesce, greatest, least, nullif) that take one.
func hugeint(e sql.Expr) bool {
	if e.Type() != value.Int {
		return false
	}
	switch x := e.(type) {
	case *sql.AggRef:
		return x.Call.Func == "sum"
	case *sql.Binary: // + - * %: the operators of a BIGINT result
		return hugeint(x.L) || hugeint(x.R)
	case *sql.Unary:
		return hugeint(x.X)
	case *sql.Case:
		for _, w := range x.Whens {
			if hugeint(w.Then) {
				return true
			}
		}
		return x.Else != nil && hugeint(x.Else)
	case *sql.Call:
		switch x.Name {
		case "abs", "coalesce", "greatest", "least", "nullif":
			for _, a := range x.Args {
				if hugeint(a) {
					return true
				}
			}
		}
	}
	return false
}

// wide returns v as a 128-bit integer.
func wide(v int64) int128 { return int128{hi: v >> 63, lo: uint64(v)} }

// neg returns -x.
func (x int128) neg() int128 {
	lo, borrow := bits.Sub64(0, x.lo, 0)
	return int128{hi: -x.hi - int64(borrow), lo: lo}
}

// mul64 returns x * y exactly.
func mul64(x, y int64) int128 {
	ux, uy := uint64(x), uint64(y)
	if x < 0 {
		ux = -ux
	}
	if y < 0 {
		uy = -uy
	}
	hi, lo := bits.Mul64(ux, uy) // at most 2^126: no sign bit
	p := int128{hi: int64(hi), lo: lo}
	if (x < 0) != (y < 0) {
		p = p.neg()
	}
	return p
}

// hugeValue returns x as brook carries a HUGEINT: a BIGINT when it fits,
// else a value.Huge.
func hugeValue(x int128) value.Value { return value.HugeValue(x.hi, x.lo) }

// hugeBig computes a op b exactly for BIGINT or HUGEINT operands one of
// which is beyond BIGINT (math/big: such values are rare), and fails
// beyond HUGEINT's range as DuckDB does; % by zero fails, as DuckDB's
// error_on_division_by_zero (on by default) has it.
func hugeBig(st *evalState, op string, a, b value.Value) value.Value {
	x, y := a.BigInt(), b.BigInt()
	r := new(big.Int)
	switch op {
	case "+":
		r.Add(x, y)
	case "-":
		r.Sub(x, y)
	case "*":
		r.Mul(x, y)
	case "%":
		if y.Sign() == 0 {
			return st.fail("division by zero in %s %% %s", a.Format(), b.Format())
		}
		r.Rem(x, y) // truncated: the sign of x, as C's and DuckDB's %
	default:
		return st.fail("engine: unknown operator %s", op)
	}
	if r.Cmp(hugeMin) < 0 || r.Cmp(hugeMax) > 0 {
		return st.fail("HUGEINT overflow in %s %s %s", a.Format(), op, b.Format())
	}
	return value.BigIntValue(r)
}

// hugeMin and hugeMax are HUGEINT's range.
var (
	hugeMin = new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 127))
	hugeMax = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 127), big.NewInt(1))
)

// hugeLimit is 2^127: HUGEINTs are below it, and at least -2^127.
const hugeLimit = 0x1p127

// hugeArith is arith for a BIGINT result one of whose operands is a
// HUGEINT (see hugeint).
func (c *compiler) hugeArith(op string, l, r evalFn) evalFn {
	st := c.st
	return func(row []value.Value) value.Value {
		a, b := l(row), r(row)
		if a.IsNull() || b.IsNull() {
			return value.NullValue
		}
		if (a.Kind == value.Huge || b.Kind == value.Huge) && a.Kind != value.Float && b.Kind != value.Float {
			return hugeBig(st, op, a, b)
		}
		if a.Kind != value.Int || b.Kind != value.Int { // a DOUBLE operand: DOUBLE arithmetic
			x, _ := a.AsFloat()
			y, _ := b.AsFloat()
			var f float64
			switch op {
			case "+":
				f = x + y
			case "-":
				f = x - y
			case "*":
				f = x * y
			case "%":
				if y == 0 {
					return value.NullValue
				}
				f = math.Mod(x, y)
			default:
				return st.fail("engine: unknown operator %s", op)
			}
			if !(f >= -hugeLimit && f < hugeLimit) {
				return st.fail("HUGEINT overflow in %s %s %s", a.Format(), op, b.Format())
			}
			return value.FloatValue(f)
		}
		x, y := a.I, b.I
		switch op {
		case "+":
			s := wide(x)
			s.add(y)
			return hugeValue(s)
		case "-":
			s := wide(x)
			s.addWide(wide(y).neg())
			return hugeValue(s)
		case "*":
			return hugeValue(mul64(x, y))
		case "%":
			switch y {
			case 0:
				return st.fail("division by zero in %d %% %d", x, y)
			case -1: // MinInt64 % -1 is 0 too: no overflow in 128 bits
				return value.IntValue(0)
			}
			return value.IntValue(x % y)
		}
		return st.fail("engine: unknown operator %s", op)
	}
}

// hugeNeg is unary minus, and hugeAbs abs, of a HUGEINT.
func hugeNeg(v value.Value) value.Value {
	switch v.Kind {
	case value.Int:
		return hugeValue(wide(v.I).neg())
	case value.Huge:
		hi, lo, _ := v.Wide()
		return hugeValue(int128{hi: hi, lo: lo}.neg())
	case value.Float:
		v.F = -v.F
	}
	return v
}

func hugeAbs(v value.Value) value.Value {
	hi, _, _ := v.Wide()
	switch {
	case v.Kind == value.Int && v.I < 0, v.Kind == value.Huge && hi < 0, v.Kind == value.Float && v.F < 0:
		return hugeNeg(v)
	}
	return v
}
