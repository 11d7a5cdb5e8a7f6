package engine

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode/utf8"

	"brook/sql"
	"brook/value"
)

// scalarFunc computes a function of already evaluated arguments. Unless the
// function is listed in nullAware, a NULL argument makes the result NULL
// before the function is called.
type scalarFunc func(args []value.Value) value.Value

// nullAware functions see NULL arguments themselves.
var nullAware = map[string]bool{"coalesce": true, "concat": true, "greatest": true, "least": true, "nullif": true}

// scalarFuncs implements every function of sql.ScalarFuncs; each follows
// DuckDB's documented behaviour.
var scalarFuncs = map[string]scalarFunc{
	"lower":   func(a []value.Value) value.Value { return value.StringValue(strings.ToLower(a[0].S)) },
	"upper":   func(a []value.Value) value.Value { return value.StringValue(strings.ToUpper(a[0].S)) },
	"length":  func(a []value.Value) value.Value { return value.IntValue(int64(utf8.RuneCountInString(a[0].S))) },
	"trim":    func(a []value.Value) value.Value { return value.StringValue(strings.Trim(a[0].S, " ")) },
	"ltrim":   func(a []value.Value) value.Value { return value.StringValue(strings.TrimLeft(a[0].S, " ")) },
	"rtrim":   func(a []value.Value) value.Value { return value.StringValue(strings.TrimRight(a[0].S, " ")) },
	"reverse": func(a []value.Value) value.Value { return value.StringValue(reverseRunes(a[0].S)) },
	"substr":  substr,
	"left": func(a []value.Value) value.Value {
		r := []rune(a[0].S)
		n := a[1].I
		if n < 0 {
			n = max(int64(len(r))+n, 0)
		}
		return value.StringValue(string(r[:min(n, int64(len(r)))]))
	},
	"right": func(a []value.Value) value.Value {
		r := []rune(a[0].S)
		n := a[1].I
		if n < 0 {
			n = max(int64(len(r))+n, 0)
		}
		n = min(n, int64(len(r)))
		return value.StringValue(string(r[int64(len(r))-n:]))
	},
	"replace": func(a []value.Value) value.Value {
		if a[1].S == "" {
			return a[0]
		}
		return value.StringValue(strings.ReplaceAll(a[0].S, a[1].S, a[2].S))
	},
	"strpos": func(a []value.Value) value.Value {
		i := strings.Index(a[0].S, a[1].S)
		if i < 0 {
			return value.IntValue(0)
		}
		return value.IntValue(int64(utf8.RuneCountInString(a[0].S[:i])) + 1)
	},
	"starts_with": func(a []value.Value) value.Value { return value.BoolValue(strings.HasPrefix(a[0].S, a[1].S)) },
	"ends_with":   func(a []value.Value) value.Value { return value.BoolValue(strings.HasSuffix(a[0].S, a[1].S)) },
	"contains":    func(a []value.Value) value.Value { return value.BoolValue(strings.Contains(a[0].S, a[1].S)) },
	"concat": func(a []value.Value) value.Value {
		var b strings.Builder
		for _, v := range a {
			if !v.IsNull() {
				b.WriteString(toText(v))
			}
		}
		return value.StringValue(b.String())
	},
	"abs": numeric(func(i int64) int64 {
		if i < 0 {
			return -i
		}
		return i
	}, math.Abs),
	"sign": func(a []value.Value) value.Value {
		f, _ := a[0].AsFloat()
		switch {
		case f > 0:
			return value.IntValue(1)
		case f < 0:
			return value.IntValue(-1)
		}
		return value.IntValue(0)
	},
	"floor": numeric(func(i int64) int64 { return i }, math.Floor),
	"ceil":  numeric(func(i int64) int64 { return i }, math.Ceil),
	"round": func(a []value.Value) value.Value {
		if a[0].Kind == value.Int {
			if len(a) == 2 && a[1].I < 0 {
				p := math.Pow(10, float64(-a[1].I))
				return value.IntValue(int64(math.Round(float64(a[0].I)/p) * p))
			}
			return a[0]
		}
		if len(a) == 1 || a[1].I == 0 {
			return value.FloatValue(math.Round(a[0].F))
		}
		p := math.Pow(10, float64(a[1].I))
		if math.IsInf(a[0].F*p, 0) {
			return a[0]
		}
		return value.FloatValue(math.Round(a[0].F*p) / p)
	},
	"sqrt":  floatFunc(math.Sqrt),
	"ln":    floatFunc(math.Log),
	"log10": floatFunc(math.Log10),
	"log2":  floatFunc(math.Log2),
	"exp":   floatFunc(math.Exp),
	"pow": func(a []value.Value) value.Value {
		x, _ := a[0].AsFloat()
		y, _ := a[1].AsFloat()
		return value.FloatValue(math.Pow(x, y))
	},
	"coalesce": func(a []value.Value) value.Value {
		for _, v := range a {
			if !v.IsNull() {
				return v
			}
		}
		return value.NullValue
	},
	"greatest": extreme(1),
	"least":    extreme(-1),
	"nullif": func(a []value.Value) value.Value {
		if c, ok := value.Compare(a[0], a[1]); ok && c == 0 {
			return value.NullValue
		}
		return a[0]
	},
}

func numeric(i func(int64) int64, f func(float64) float64) scalarFunc {
	return func(a []value.Value) value.Value {
		if a[0].Kind == value.Int {
			return value.IntValue(i(a[0].I))
		}
		return value.FloatValue(f(a[0].F))
	}
}

// floatFunc wraps a math function; DuckDB returns NULL where the result is
// not a real number (sqrt(-1), ln(0)).
func floatFunc(f func(float64) float64) scalarFunc {
	return func(a []value.Value) value.Value {
		x, _ := a[0].AsFloat()
		r := f(x)
		if math.IsNaN(r) || (math.IsInf(r, 0) && !math.IsInf(x, 0)) {
			return value.NullValue
		}
		return value.FloatValue(r)
	}
}

// extreme implements greatest (dir 1) and least (dir -1), skipping NULLs.
func extreme(dir int) scalarFunc {
	return func(a []value.Value) value.Value {
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

// substr is DuckDB's substring(s, start[, length]): 1-based, a negative
// start counts from the end, and characters before the start of the
// string still use up length.
func substr(a []value.Value) value.Value {
	r := []rune(a[0].S)
	n := int64(len(r))
	start := a[1].I
	length := n + 1
	if len(a) == 3 {
		length = a[2].I
	}
	if start < 0 {
		start = n + start + 1
	}
	from, to := start-1, start-1+length
	if length < 0 {
		from, to = start-1+length, start-1
	}
	from, to = max(from, 0), min(to, n)
	if from >= to {
		return value.StringValue("")
	}
	return value.StringValue(string(r[from:to]))
}

func reverseRunes(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

func (c *compiler) call(x *sql.Call) (evalFn, error) {
	args, err := c.compileAll(x.Args)
	if err != nil {
		return nil, err
	}
	if x.Name == "regexp_matches" {
		return c.regexp(x, args)
	}
	impl, ok := scalarFuncs[x.Name]
	if !ok {
		return nil, fmt.Errorf("engine: function %s is not implemented", x.Name)
	}
	buf := make([]value.Value, len(args))
	aware := nullAware[x.Name]
	return func(row []value.Value) value.Value {
		for i, f := range args {
			buf[i] = f(row)
			if !aware && buf[i].IsNull() {
				return value.NullValue
			}
		}
		return impl(buf)
	}, nil
}

// regexp evaluates regexp_matches(s, pattern) with RE2 syntax, which DuckDB
// uses too; a constant pattern is compiled once, when the query starts.
func (c *compiler) regexp(x *sql.Call, args []evalFn) (evalFn, error) {
	s := args[0]
	if lit, ok := x.Args[1].(*sql.Literal); ok && lit.Val.Kind == value.String {
		re, err := regexp.Compile(lit.Val.S)
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
		re, err := regexp.Compile(p.S)
		if err != nil {
			return st.fail("regexp_matches: bad pattern %s: %v", sql.QuoteString(p.S), err)
		}
		return value.BoolValue(re.MatchString(v.S))
	}, nil
}
