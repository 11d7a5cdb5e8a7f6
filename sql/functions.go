package sql

import (
	"fmt"
	"sort"
	"strings"

	"brook/value"
)

// FuncSig describes a scalar function: how many arguments it takes and the
// type it returns for given argument types (or why those types do not fit).
type FuncSig struct {
	MinArgs, MaxArgs int // MaxArgs -1: any number
	Result           func(args []value.Type) (value.Type, error)
}

func fixed(t value.Type, want ...value.Type) func([]value.Type) (value.Type, error) {
	return func(args []value.Type) (value.Type, error) {
		for i, a := range args {
			w := want[min(i, len(want)-1)]
			if a == value.Null || a == w || (w == value.Float && a == value.Int) {
				continue
			}
			return 0, fmt.Errorf("argument %d is %s, want %s", i+1, a, w)
		}
		return t, nil
	}
}

// roundType is the type of round(x[, digits]): a BIGINT for a BIGINT x
// (DuckDB 2.0 rounds integers as integers), a DOUBLE otherwise.
func roundType(args []value.Type) (value.Type, error) {
	if _, err := fixed(value.Float, value.Float, value.Int)(args); err != nil {
		return 0, err
	}
	if args[0] == value.Int {
		return value.Int, nil
	}
	return value.Float, nil
}

// sameNumeric returns the type of its first (numeric) argument, as abs
// does.
func sameNumeric(args []value.Type) (value.Type, error) {
	for i, a := range args {
		if a != value.Null && !a.Numeric() {
			return 0, fmt.Errorf("argument %d is %s, want a number", i+1, a)
		}
	}
	if args[0] == value.Null {
		return value.Float, nil
	}
	return args[0], nil
}

// unified returns the common type of all arguments, as coalesce, greatest
// and least need.
func unified(args []value.Type) (value.Type, error) {
	t := value.Null
	for _, a := range args {
		u, ok := Unify(t, a)
		if !ok {
			return 0, fmt.Errorf("arguments mix %s and %s", t, a)
		}
		t = u
	}
	return t, nil
}

// Unify returns the type two branches of an expression share: equal types,
// NULL with anything, BIGINT with DOUBLE (as DOUBLE).
func Unify(a, b value.Type) (value.Type, bool) {
	switch {
	case a == b:
		return a, true
	case a == value.Null:
		return b, true
	case b == value.Null:
		return a, true
	case a.Numeric() && b.Numeric():
		return value.Float, true
	}
	return 0, false
}

// ScalarFuncs lists the scalar functions brook evaluates, by canonical name.
// The engine and the baseline each implement exactly this set (a test keeps
// them in step).
var ScalarFuncs = map[string]FuncSig{
	"lower":          {1, 1, fixed(value.String, value.String)},
	"upper":          {1, 1, fixed(value.String, value.String)},
	"length":         {1, 1, fixed(value.Int, value.String)},
	"trim":           {1, 1, fixed(value.String, value.String)},
	"ltrim":          {1, 1, fixed(value.String, value.String)},
	"rtrim":          {1, 1, fixed(value.String, value.String)},
	"reverse":        {1, 1, fixed(value.String, value.String)},
	"substr":         {2, 3, fixed(value.String, value.String, value.Int)},
	"left":           {2, 2, fixed(value.String, value.String, value.Int)},
	"right":          {2, 2, fixed(value.String, value.String, value.Int)},
	"replace":        {3, 3, fixed(value.String, value.String)},
	"strpos":         {2, 2, fixed(value.Int, value.String)},
	"starts_with":    {2, 2, fixed(value.Bool, value.String)},
	"ends_with":      {2, 2, fixed(value.Bool, value.String)},
	"contains":       {2, 2, fixed(value.Bool, value.String)},
	"regexp_matches": {2, 2, fixed(value.Bool, value.String)},
	"concat":         {1, -1, func([]value.Type) (value.Type, error) { return value.String, nil }},
	"abs":            {1, 1, sameNumeric},
	"sign":           {1, 1, func(a []value.Type) (value.Type, error) { _, err := sameNumeric(a); return value.Int, err }},
	"floor":          {1, 1, fixed(value.Float, value.Float)}, // DOUBLE for BIGINT too, as in DuckDB
	"ceil":           {1, 1, fixed(value.Float, value.Float)},
	"round":          {1, 2, roundType}, // digits must fit an INTEGER
	"sqrt":           {1, 1, fixed(value.Float, value.Float)},
	"ln":             {1, 1, fixed(value.Float, value.Float)},
	"log10":          {1, 1, fixed(value.Float, value.Float)},
	"log2":           {1, 1, fixed(value.Float, value.Float)},
	"exp":            {1, 1, fixed(value.Float, value.Float)},
	"pow":            {2, 2, fixed(value.Float, value.Float)},
	"epoch_ms":       {1, 1, fixed(value.Timestamp, value.Int)},
	"coalesce":       {1, -1, unified},
	"greatest":       {1, -1, unified},
	"least":          {1, -1, unified},
	"nullif":         {2, 2, func(a []value.Type) (value.Type, error) { _, err := unified(a); return a[0], err }},
}

// funcAliases maps other accepted spellings to canonical names.
var funcAliases = map[string]string{
	"char_length": "length", "len": "length", "substring": "substr", fnSubstr: "substr",
	"ceiling": "ceil", "power": "pow", "instr": "strpos", "position": "strpos",
	"suffix": "ends_with", "prefix": "starts_with", "ifnull": "coalesce",
}

// refusedFuncs are known functions brook declines, with the reason.
var refusedFuncs = map[string]string{
	"random":                "it gives different answers on the stream and the baseline",
	"now":                   "it depends on when the query runs; use the records' own time field",
	"current_date":          "it depends on when the query runs; use the records' own time field",
	"percentile":            "DuckDB has no percentile(); write quantile_cont(x, 0.9) or quantile_disc(x, 0.9)",
	"mode":                  "it needs every value of a group kept forever",
	"string_agg":            "its result grows without bound and its order is not defined",
	"group_concat":          "its result grows without bound and its order is not defined",
	"list":                  "its result grows without bound and its order is not defined",
	"array_agg":             "its result grows without bound and its order is not defined",
	"row_number":            "it numbers rows across the whole input, which a stream never has",
	"rank":                  "it ranks rows across the whole input, which a stream never has",
	"approx_count_distinct": "it is not implemented yet; use count(DISTINCT x)",
}

// knownFunctionNames lists every name a query may call, for suggestions.
func knownFunctionNames() []string {
	var names []string
	for n := range ScalarFuncs {
		names = append(names, n)
	}
	names = append(names, aggNames()...)
	sort.Strings(names)
	return names
}

// canonicalFunc maps a function name as written to its canonical name.
func canonicalFunc(name string) string {
	n := strings.ToLower(name)
	if c, ok := funcAliases[n]; ok {
		return c
	}
	return n
}
