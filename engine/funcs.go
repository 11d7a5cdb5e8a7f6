package engine

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"brook/libm"
	"brook/sql"
	"brook/value"
)

// scalarFunc computes a function of already evaluated arguments; a runtime
// error (where DuckDB raises one) is reported through st.fail. Unless the
// function is listed in nullAware, a NULL argument makes the result NULL
// before the function is called.
type scalarFunc func(st *evalState, args []value.Value) value.Value

// nullAware functions see NULL arguments themselves.
var nullAware = map[string]bool{"coalesce": true, "concat": true, "greatest": true, "least": true, "nullif": true}

// scalarFuncs implements every function of sql.ScalarFuncs; each follows
// what DuckDB 2.0 does, runtime errors included.
var scalarFuncs = map[string]scalarFunc{
	"lower": func(_ *evalState, a []value.Value) value.Value { return value.StringValue(strings.ToLower(a[0].S)) },
	"upper": func(_ *evalState, a []value.Value) value.Value { return value.StringValue(upper(a[0].S)) },
	"length": func(_ *evalState, a []value.Value) value.Value {
		return value.IntValue(int64(utf8.RuneCountInString(a[0].S)))
	},
	"trim": func(_ *evalState, a []value.Value) value.Value { return value.StringValue(strings.Trim(a[0].S, " ")) },
	"ltrim": func(_ *evalState, a []value.Value) value.Value {
		return value.StringValue(strings.TrimLeft(a[0].S, " "))
	},
	"rtrim": func(_ *evalState, a []value.Value) value.Value {
		return value.StringValue(strings.TrimRight(a[0].S, " "))
	},
	"reverse": func(_ *evalState, a []value.Value) value.Value { return value.StringValue(reverseGraphemes(a[0].S)) },
	"substr": func(st *evalState, a []value.Value) value.Value {
		length := int64(math.MaxUint32) // DuckDB's length when none is given
		if len(a) == 3 {
			length = a[2].I
		}
		return substr(st, a[0].S, a[1].I, length)
	},
	"left": func(st *evalState, a []value.Value) value.Value {
		n := a[1].I
		if n < 0 {
			n = max(0, int64(utf8.RuneCountInString(a[0].S))+n)
		}
		return substr(st, a[0].S, 1, n)
	},
	"right": func(st *evalState, a []value.Value) value.Value {
		chars := int64(utf8.RuneCountInString(a[0].S))
		n := a[1].I
		var length int64
		switch {
		case n >= 0:
			length = min(chars, n)
		case n != math.MinInt64:
			length = chars - min(chars, -n)
		}
		return substr(st, a[0].S, chars-length+1, length)
	},
	"replace": func(_ *evalState, a []value.Value) value.Value {
		if a[1].S == "" {
			return a[0]
		}
		return value.StringValue(strings.ReplaceAll(a[0].S, a[1].S, a[2].S))
	},
	"strpos": func(_ *evalState, a []value.Value) value.Value {
		i := strings.Index(a[0].S, a[1].S)
		if i < 0 {
			return value.IntValue(0)
		}
		return value.IntValue(int64(utf8.RuneCountInString(a[0].S[:i])) + 1)
	},
	"starts_with": func(_ *evalState, a []value.Value) value.Value {
		return value.BoolValue(strings.HasPrefix(a[0].S, a[1].S))
	},
	"ends_with": func(_ *evalState, a []value.Value) value.Value {
		return value.BoolValue(strings.HasSuffix(a[0].S, a[1].S))
	},
	"contains": func(_ *evalState, a []value.Value) value.Value {
		return value.BoolValue(strings.Contains(a[0].S, a[1].S))
	},
	"concat": func(_ *evalState, a []value.Value) value.Value {
		var b strings.Builder
		for _, v := range a {
			if !v.IsNull() {
				b.WriteString(toText(v))
			}
		}
		return value.StringValue(b.String())
	},
	"abs": func(st *evalState, a []value.Value) value.Value {
		if a[0].Kind == value.Int {
			switch i := a[0].I; {
			case i == math.MinInt64:
				return st.fail("abs(%d): BIGINT overflow", i)
			case i < 0:
				return value.IntValue(-i)
			}
			return a[0]
		}
		return value.FloatValue(math.Abs(a[0].F))
	},
	"sign": func(_ *evalState, a []value.Value) value.Value {
		f, _ := a[0].AsFloat()
		switch {
		case f > 0:
			return value.IntValue(1)
		case f < 0:
			return value.IntValue(-1)
		}
		return value.IntValue(0)
	},
	// floor and ceil return DOUBLE for BIGINT arguments too, as in DuckDB;
	// round of a BIGINT is a BIGINT (roundInt).
	"floor": floatFunc(math.Floor),
	"ceil":  floatFunc(math.Ceil),
	"round": round,
	// sqrt and the logarithms follow IEEE 754, as DuckDB 2.0's do: the
	// square root or logarithm of a negative number is nan, the logarithm
	// of zero -inf.
	"sqrt": floatFunc(math.Sqrt),
	// The logarithms, exp and pow are the C library's, as DuckDB's are:
	// Go's differ in the last bit for some arguments.
	"ln":    floatFunc(libm.Log),
	"log10": floatFunc(libm.Log10),
	"log2":  floatFunc(libm.Log2),
	"exp":   floatFunc(libm.Exp),
	"pow": func(_ *evalState, a []value.Value) value.Value {
		x, _ := a[0].AsFloat()
		y, _ := a[1].AsFloat()
		return value.FloatValue(libm.Pow(x, y))
	},
	// epoch_ms turns epoch milliseconds into a TIMESTAMP.
	"epoch_ms": func(st *evalState, a []value.Value) value.Value {
		if a[0].I > math.MaxInt64/1000 || a[0].I < math.MinInt64/1000 {
			return st.fail("epoch_ms(%d) is out of the TIMESTAMP range", a[0].I)
		}
		return value.TimestampValue(a[0].I * 1000)
	},
	"coalesce": func(_ *evalState, a []value.Value) value.Value {
		for _, v := range a {
			if !v.IsNull() {
				return v
			}
		}
		return value.NullValue
	},
	"greatest": extreme(1),
	"least":    extreme(-1),
	"nullif": func(_ *evalState, a []value.Value) value.Value {
		if c, ok := value.Compare(a[0], a[1]); ok && c == 0 {
			return value.NullValue
		}
		return a[0]
	},
}

// floatFunc applies an IEEE 754 math function to a number as a DOUBLE:
// exp(1000) is inf, as in DuckDB.
func floatFunc(f func(float64) float64) scalarFunc {
	return func(_ *evalState, a []value.Value) value.Value {
		x, _ := a[0].AsFloat()
		return value.FloatValue(f(x))
	}
}

// pow10 returns 10**n correctly rounded, as C's pow(10, n) does.
func pow10(n int) float64 {
	if n >= 0 && n <= 22 {
		return [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
			1e17, 1e18, 1e19, 1e20, 1e21, 1e22}[n]
	}
	f, _ := strconv.ParseFloat("1e"+strconv.Itoa(n), 64) // ±Inf or 0 out of range, as pow gives
	return f
}

// round is DuckDB's round(x[, digits]): halves away from zero, at digits
// after the point (before it when negative). digits must fit an INTEGER.
// On a DOUBLE, where scaling overflows, DuckDB returns x itself for
// digits >= 0 and 0 for digits < 0. An integer is rounded as an integer
// (roundInt).
func round(st *evalState, a []value.Value) value.Value {
	if a[0].Kind == value.Int || a[0].Kind == value.Huge {
		return roundInt(st, a)
	}
	x, _ := a[0].AsFloat()
	if len(a) == 1 {
		r := math.Round(x)
		if math.IsInf(r, 0) || math.IsNaN(r) {
			return value.FloatValue(x)
		}
		return value.FloatValue(r)
	}
	d := a[1].I
	if d < math.MinInt32 || d > math.MaxInt32 {
		return st.fail("round(): %d digits is out of range for INTEGER", d)
	}
	if d < 0 {
		m := pow10(int(-d))
		r := math.Round(x/m) * m
		if math.IsInf(r, 0) || math.IsNaN(r) {
			return value.FloatValue(0)
		}
		return value.FloatValue(r)
	}
	m := pow10(int(d))
	r := math.Round(x*m) / m
	if math.IsInf(r, 0) || math.IsNaN(r) {
		return value.FloatValue(x)
	}
	return value.FloatValue(r)
}

// roundInt is DuckDB 2.0's round of a BIGINT or HUGEINT x: x itself for
// digits >= 0; else the nearest multiple of 10^-digits, halves away from
// zero, computed in 128 bits, and an error where that multiple (or |x|)
// leaves x's type.
func roundInt(st *evalState, a []value.Value) value.Value {
	x := a[0]
	if len(a) == 2 && (a[1].I < math.MinInt32 || a[1].I > math.MaxInt32) {
		return st.fail("round(): %d digits is out of range for INTEGER", a[1].I)
	}
	if len(a) == 1 || a[1].I >= 0 {
		return x
	}
	lo, hi := hugeMin, hugeMax
	if x.Kind == value.Int {
		lo, hi = big.NewInt(math.MinInt64), big.NewInt(math.MaxInt64)
	}
	v := x.BigInt()
	n := -a[1].I
	if n > 38 { // 10^n beyond HUGEINT: nothing rounds away from 0
		return value.IntValue(0)
	}
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(n), nil)
	abs := new(big.Int).Abs(v)
	abs.Add(abs, new(big.Int).Rsh(p, 1))
	abs.Quo(abs, p)
	abs.Mul(abs, p)
	if v.Sign() < 0 {
		abs.Neg(abs)
	}
	if abs.Cmp(lo) < 0 || abs.Cmp(hi) > 0 {
		return st.fail("round(%s, %d): overflow", x.Format(), a[1].I)
	}
	return value.BigIntValue(abs)
}

// upper is strings.ToUpper with DuckDB's (utf8proc's) one difference in
// the simple case mapping: ß becomes ẞ.
func upper(s string) string {
	u := strings.ToUpper(s)
	if strings.ContainsRune(u, 'ß') {
		u = strings.ReplaceAll(u, "ß", "ẞ")
	}
	return u
}

// extreme implements greatest (dir 1) and least (dir -1), skipping NULLs.
func extreme(dir int) scalarFunc {
	return func(_ *evalState, a []value.Value) value.Value {
		best := value.NullValue
		for _, v := range a {
			if v.IsNull() {
				continue
			}
			if best.IsNull() {
				best = v
				continue
			}
			if c, ok := value.Compare(v, best); ok && c*dir > 0 {
				best = v
			}
		}
		return best
	}
}

// substr is DuckDB's substring(s, offset, length) over characters (code
// points), as its general (Unicode) implementation computes it: offset is
// 1-based, 0 stands one character before the first, a negative offset
// counts from the end, characters before the start of the string still use
// up length, and a negative length takes the characters before offset.
// offset and length must lie in [-2^32, 2^32-1], else DuckDB raises an
// error.
//
// DuckDB 2.0 follows this rule for strings its statistics prove ASCII too
// (DuckDB 1.1.3 clamped the offset into such a string: substring('abc',
// j, 2) was 'ab' there for j = -5; it is the empty string in both now).
func substr(st *evalState, s string, offset, length int64) value.Value {
	const lo, hi = -(1 << 32), 1<<32 - 1
	switch {
	case offset < lo:
		return st.fail("substring: offset %d is outside of the supported range (< %d)", offset, int64(lo))
	case offset > hi:
		return st.fail("substring: offset %d is outside of the supported range (> %d)", offset, int64(hi))
	case length < lo:
		return st.fail("substring: length %d is outside of the supported range (< %d)", length, int64(lo))
	case length > hi:
		return st.fail("substring: length %d is outside of the supported range (> %d)", length, int64(hi))
	}
	if length == 0 {
		return value.StringValue("")
	}
	n := int64(utf8.RuneCountInString(s))
	o := offset - 1
	var from, to int64
	if offset < 0 {
		// start and end count characters from the back (1-based)
		start, end := -o, -o-length
		if length < 0 {
			start, end = -o-length, -o
		}
		if start <= n {
			from = n - start + 1
		}
		switch {
		case end <= 0:
			to = n
		case end > n:
			return value.StringValue("")
		default:
			to = n - end + 1
		}
	} else {
		start, end := max(0, o), o+length
		if length < 0 {
			start, end = max(0, o+length), o
		}
		if start >= n || end <= start {
			return value.StringValue("")
		}
		from, to = start, min(end, n)
	}
	if from >= to {
		return value.StringValue("")
	}
	if n == int64(len(s)) { // ASCII
		return value.StringValue(s[from:to])
	}
	r := []rune(s)
	return value.StringValue(string(r[from:to]))
}

func (c *compiler) call(x *sql.Call) (evalFn, error) {
	args, err := c.compileAll(x.Args)
	if err != nil {
		return nil, err
	}
	if x.Name == "regexp_matches" {
		return c.regexp(x, args)
	}
	if x.Name == "coalesce" {
		// lazy, as in DuckDB: an argument is evaluated only when every one
		// before it is NULL
		return func(row []value.Value) value.Value {
			for _, f := range args {
				if v := f(row); !v.IsNull() {
					return v
				}
			}
			return value.NullValue
		}, nil
	}
	if x.Name == "abs" && hugeint(x) {
		f := args[0]
		return func(row []value.Value) value.Value { return hugeAbs(f(row)) }, nil
	}
	impl, ok := scalarFuncs[x.Name]
	if !ok {
		return nil, fmt.Errorf("engine: function %s is not implemented", x.Name)
	}
	buf := make([]value.Value, len(args))
	aware := nullAware[x.Name]
	st := c.st
	return func(row []value.Value) value.Value {
		for i, f := range args {
			buf[i] = f(row)
			if !aware && buf[i].IsNull() {
				return value.NullValue
			}
		}
		return impl(st, buf)
	}, nil
}

// compileRE2 compiles a pattern as DuckDB's RE2 reads it. Go's regexp
// syntax is RE2's, except that Go also accepts (?<name>...), which RE2
// refuses. (RE2's \C, any byte, is the one RE2 syntax Go refuses.)
func compileRE2(pattern string) (*regexp.Regexp, error) {
	inClass := false
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; {
		case c == '\\':
			i++
		case inClass:
			inClass = c != ']'
		case c == '[':
			inClass = true
			if strings.HasPrefix(pattern[i+1:], "^") {
				i++
			}
			if strings.HasPrefix(pattern[i+1:], "]") {
				i++ // a leading ] is a literal
			}
		case c == '(':
			if strings.HasPrefix(pattern[i:], "(?<") {
				return nil, fmt.Errorf("invalid perl operator: (?<")
			}
		}
	}
	return regexp.Compile(pattern)
}

// regexp evaluates regexp_matches(s, pattern) with RE2 syntax, which DuckDB
// uses too; a constant pattern is compiled once, when the query starts.
func (c *compiler) regexp(x *sql.Call, args []evalFn) (evalFn, error) {
	s := args[0]
	if lit, ok := x.Args[1].(*sql.Literal); ok && lit.Val.Kind == value.String {
		re, err := compileRE2(lit.Val.S)
		if err != nil {
			return nil, fmt.Errorf("regexp_matches: bad pattern %s: %w", sql.QuoteString(lit.Val.S), err)
		}
		return func(row []value.Value) value.Value {
			v := s(row)
			if v.IsNull() {
				return v
			}
			return value.BoolValue(re.MatchString(v.S))
		}, nil
	}
	st := c.st
	return func(row []value.Value) value.Value {
		v, p := s(row), args[1](row)
		if v.IsNull() || p.IsNull() {
			return value.NullValue
		}
		re, err := compileRE2(p.S)
		if err != nil {
			return st.fail("regexp_matches: bad pattern %s: %v", sql.QuoteString(p.S), err)
		}
		return value.BoolValue(re.MatchString(v.S))
	}, nil
}
