package difftest

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"brook/value"
)

// Query is a generated query in parts, so that a shrinker can drop parts.
type Query struct {
	Distinct bool
	Select   []Item
	Where    string
	GroupBy  []string // the window call, if any, first
	Having   string
	OrderBy  []string // "expr", "expr DESC", either with NULLS FIRST/LAST
	Limit    int      // -1: none
	Offset   int      // 0: none
	Windowed bool     // GroupBy[0] is a window call
	// GroupAll writes GROUP BY ALL for GroupBy: every key is selected, and
	// the other items hold aggregates or read the keys only.
	GroupAll bool
}

// Item is one SELECT item.
type Item struct {
	Expr, Alias string
}

// String renders the query.
func (q *Query) String() string {
	var b strings.Builder
	b.WriteString("SELECT ")
	if q.Distinct {
		b.WriteString("DISTINCT ")
	}
	for i, it := range q.Select {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(it.Expr)
		if it.Alias != "" {
			b.WriteString(" AS " + it.Alias)
		}
	}
	b.WriteString(" FROM t")
	if q.Where != "" {
		b.WriteString(" WHERE " + q.Where)
	}
	if q.GroupAll {
		b.WriteString(" GROUP BY ALL")
	} else if len(q.GroupBy) > 0 {
		b.WriteString(" GROUP BY " + strings.Join(q.GroupBy, ", "))
	}
	if q.Having != "" {
		b.WriteString(" HAVING " + q.Having)
	}
	if len(q.OrderBy) > 0 {
		b.WriteString(" ORDER BY " + strings.Join(q.OrderBy, ", "))
	}
	if q.Limit >= 0 {
		fmt.Fprintf(&b, " LIMIT %d", q.Limit)
		if q.Offset > 0 {
			fmt.Fprintf(&b, " OFFSET %d", q.Offset)
		}
	}
	return b.String()
}

// typed is an expression with its SQL type.
type typed struct {
	text string
	typ  value.Type
}

// queryGen generates one query.
type queryGen struct {
	r *rand.Rand
	// In an aggregated query's SELECT, HAVING and ORDER BY, leaves are
	// group keys and aggregates; elsewhere columns and literals.
	agg  bool
	keys []typed
}

func (g *queryGen) chance(p float64) bool { return g.r.Float64() < p }
func (g *queryGen) pick(list []string) string {
	return list[g.r.IntN(len(list))]
}

var numericTypes = []value.Type{value.Int, value.Float}

// columns of each type; the window time columns ts, it, at are read too.
var columnsOf = map[value.Type][]string{
	value.Int:       {"i", "j", "j", "id", "it"},
	value.Float:     {"f", "g", "g", "ts"},
	value.String:    {"s", "k", "k"},
	value.Bool:      {"b"},
	value.Timestamp: {"at"},
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

var intLits = []string{"0", "1", "2", "3", "-1", "7", "10", "100", "9007199254740993", "9007199254740992",
	"4611686018427387904", "9223372036854775807", "42"}
var floatLits = []string{"0.5", "-0.0", "0.0", "0.1", "0.6", "2.5", "1e308", "5e-324", "1.5e15", "-2.5", "0.3", "1.0"}
var stringLits = []string{"a", "", " 42 ", "%", "_", "é", "a_b", "1e3", "+7", "007", "abc", "A", "42", "50%", "ß", `\`}
var likePatterns = []string{"%", "_", "a%", "%a", "%\\_%", "\\%", "a\\_b", "_%", "%b%", "", "é", "e_", "%4%", "4_", "a%b", "\\\\", "%\\%"}
var regexps = []string{"^a", "b$", "[0-9]", "^[0-9]+$", "(?i)a", "\\s", "^.{2}$", "é"}

// lit returns a literal of type t.
func (g *queryGen) lit(t value.Type) string {
	switch t {
	case value.Int:
		return g.pick(intLits)
	case value.Float:
		return g.pick(floatLits)
	case value.String:
		return sqlString(g.pick(stringLits))
	case value.Bool:
		return g.pick([]string{"TRUE", "FALSE"})
	case value.Timestamp:
		return "CAST('2024-01-01 00:00:00.6' AS TIMESTAMP)"
	}
	return "NULL"
}

// leaf returns a column, group key, aggregate or literal of type t.
func (g *queryGen) leaf(t value.Type) string {
	if g.agg {
		var keys []string
		for _, k := range g.keys {
			if k.typ == t {
				keys = append(keys, k.text)
			}
		}
		switch {
		case len(keys) > 0 && g.chance(0.4):
			return g.pick(keys)
		case g.chance(0.8):
			if a := g.aggregate(t); a != "" {
				return a
			}
		}
		if g.chance(0.1) {
			return "NULL"
		}
		if t == value.Bool {
			// Not a constant: DuckDB folds HAVING x AND FALSE away, with
			// the errors its aggregates would raise.
			return g.aggregate(value.Int) + " > " + g.pick(intLits)
		}
		return g.lit(t)
	}
	if g.chance(0.75) {
		return g.pick(columnsOf[t])
	}
	if g.chance(0.05) {
		return "NULL"
	}
	return g.lit(t)
}

// aggregate returns an aggregate call of type t, or "", now and then
// with a FILTER (WHERE ...) clause.
func (g *queryGen) aggregate(t value.Type) string {
	a := g.plainAggregate(t)
	if a != "" && g.chance(0.1) {
		row := &queryGen{r: g.r}
		a += " FILTER (WHERE " + row.expr(value.Bool, 1) + ")"
	}
	return a
}

// plainAggregate returns an aggregate call of type t, or "".
func (g *queryGen) plainAggregate(t value.Type) string {
	row := &queryGen{r: g.r}
	switch t {
	case value.Int:
		switch g.r.IntN(6) {
		case 0:
			return "count(*)"
		case 1:
			return "count(" + row.expr(g.anyType(), 1) + ")"
		case 2:
			return "count(DISTINCT " + row.expr(g.anyType(), 1) + ")"
		case 3:
			if g.chance(0.2) {
				return "sum(DISTINCT " + row.sumArg(value.Int) + ")"
			}
			return "sum(" + row.sumArg(value.Int) + ")"
		case 4:
			if g.chance(0.3) {
				return g.pick([]string{"quantile_disc", "quantile"}) + "(" + row.expr(value.Int, 1) + ", " + g.pick(fractions) + ")"
			}
			fallthrough
		default:
			return g.pick([]string{"min", "max"}) + "(" + row.expr(value.Int, 1) + ")"
		}
	case value.Float:
		switch g.r.IntN(4) {
		case 0:
			return "sum(" + row.sumArg(value.Float) + ")"
		case 1:
			d := ""
			if g.chance(0.2) {
				d = "DISTINCT "
			}
			return g.pick([]string{"avg", "mean"}) + "(" + d + row.sumArg(g.pick2(numericTypes)) + ")"
		case 2:
			// Tame arguments, as for sums: the variance of values near
			// 2^53 that differ by a few units depends on the order the
			// values come in far beyond any tolerance.
			return g.pick([]string{"var_samp", "var_pop", "stddev_samp", "stddev_pop", "variance", "stddev"}) + "(" +
				g.pick([]string{"j", "g", "id", "length(s)", "g * j", "j - 3", "CASE WHEN b THEN g ELSE j END"}) + ")"
		default:
			if g.chance(0.3) {
				arg := row.expr(g.pick2(numericTypes), 1)
				if g.chance(0.5) {
					return "median(" + arg + ")"
				}
				return g.pick([]string{"quantile_cont", "quantile_disc"}) + "(" + arg + ", " + g.pick(fractions) + ")"
			}
			return g.pick([]string{"min", "max"}) + "(" + row.expr(value.Float, 1) + ")"
		}
	case value.Bool:
		return g.pick([]string{"min", "max", "bool_and", "bool_or"}) + "(" + row.expr(t, 1) + ")"
	case value.String, value.Timestamp:
		return g.pick([]string{"min", "max"}) + "(" + row.expr(t, 1) + ")"
	}
	return ""
}

func (g *queryGen) pick2(ts []value.Type) value.Type { return ts[g.r.IntN(len(ts))] }

// sumArg is an argument for sum or avg. DOUBLE sums use the tame column g
// (multiples of 1/8), whose sums are exact in any order: summing nasty
// doubles in another order legitimately changes the result beyond any
// tolerance (1e308 + 1e308 - 1e308), which is not what this tester hunts.
func (g *queryGen) sumArg(t value.Type) string {
	if t == value.Int {
		switch g.r.IntN(5) {
		case 0:
			return "i"
		case 1:
			return "j"
		case 2:
			return "j * " + g.pick([]string{"2", "-3", "100"})
		case 3:
			return "CASE WHEN " + g.expr(value.Bool, 1) + " THEN i ELSE j END"
		default:
			return g.pick([]string{"i", "j", "it", "id", "length(s)"})
		}
	}
	switch g.r.IntN(4) {
	case 0:
		return "g"
	case 1:
		return "g * " + g.pick([]string{"2", "-0.5", "j", "8"})
	case 2:
		return "g + j"
	default:
		return "CASE WHEN " + g.expr(value.Bool, 1) + " THEN g ELSE -g END"
	}
}

func (g *queryGen) anyType() value.Type {
	return []value.Type{value.Int, value.Float, value.String, value.Bool, value.String}[g.r.IntN(5)]
}

// expr returns an expression of type t, at most depth operators deep.
func (g *queryGen) expr(t value.Type, depth int) string {
	if depth <= 0 || g.chance(0.3) {
		return g.leaf(t)
	}
	d := depth - 1
	switch t {
	case value.Int:
		return g.intExpr(d)
	case value.Float:
		return g.floatExpr(d)
	case value.String:
		return g.stringExpr(d)
	case value.Bool:
		return g.boolExpr(d)
	}
	return g.leaf(t)
}

func (g *queryGen) num(d int) string { return g.expr(g.pick2(numericTypes), d) }

func (g *queryGen) intExpr(d int) string {
	switch g.r.IntN(14) {
	case 0, 1:
		return "(" + g.expr(value.Int, d) + " " + g.pick([]string{"+", "-", "*", "%"}) + " " + g.expr(value.Int, d) + ")"
	case 2:
		return "length(" + g.expr(value.String, d) + ")"
	case 3:
		return "strpos(" + g.expr(value.String, d) + ", " + g.expr(value.String, d) + ")"
	case 4:
		return "sign(" + g.num(d) + ")"
	case 5:
		return "abs(" + g.expr(value.Int, d) + ")"
	case 6:
		return "TRY_CAST(" + g.expr(g.pick2([]value.Type{value.String, value.Float}), d) + " AS BIGINT)"
	case 7:
		return "CAST(" + g.expr(g.pick2([]value.Type{value.Float, value.Bool, value.Int}), d) + " AS BIGINT)"
	case 8:
		return g.caseExpr(value.Int, d)
	case 9:
		return g.pick([]string{"coalesce", "greatest", "least"}) + "(" + g.expr(value.Int, d) + ", " + g.expr(value.Int, d) + ")"
	case 10:
		return "nullif(" + g.expr(value.Int, d) + ", " + g.expr(value.Int, d) + ")"
	case 11:
		return "-" + g.expr(value.Int, d)
	case 12:
		return "CAST(" + g.expr(value.String, d) + " AS BIGINT)"
	}
	return g.leaf(value.Int)
}

func (g *queryGen) floatExpr(d int) string {
	switch g.r.IntN(16) {
	case 0, 1:
		l, r := g.num(d), g.num(d)
		if !strings.Contains(l+r, ".") && g.chance(0.5) {
			l = "CAST(" + l + " AS DOUBLE)"
		}
		return "(" + l + " " + g.pick([]string{"+", "-", "*", "/", "%"}) + " " + r + ")"
	case 2:
		return "(" + g.num(d) + " / " + g.num(d) + ")"
	case 3:
		return g.pick([]string{"floor", "ceil", "ceiling", "round"}) + "(" + g.num(d) + ")"
	case 4:
		return "round(" + g.num(d) + ", " + g.pick([]string{"0", "1", "2", "-1", "j"}) + ")"
	case 5:
		return "sqrt(abs(" + g.num(d) + "))"
	case 6:
		return g.pick([]string{"ln", "log10", "log2"}) + "(abs(" + g.num(d) + ") + 1)"
	case 7:
		return "exp(" + g.pick([]string{"g", "j", "0.5", "-g"}) + ")"
	case 8:
		return g.pick([]string{"pow", "power"}) + "(" + g.num(d) + ", " + g.pick([]string{"2", "0.5", "0", "3"}) + ")"
	case 9:
		return "TRY_CAST(" + g.expr(value.String, d) + " AS DOUBLE)"
	case 10:
		return "CAST(" + g.expr(g.pick2([]value.Type{value.Int, value.Bool}), d) + " AS DOUBLE)"
	case 11:
		return g.caseExpr(value.Float, d)
	case 12:
		return g.pick([]string{"coalesce", "greatest", "least"}) + "(" + g.expr(value.Float, d) + ", " + g.num(d) + ")"
	case 13:
		return "abs(" + g.expr(value.Float, d) + ")"
	case 14:
		return "-" + g.expr(value.Float, d)
	}
	return g.leaf(value.Float)
}

func (g *queryGen) stringExpr(d int) string {
	s := func() string { return g.expr(value.String, d) }
	small := func() string { return g.pick([]string{"0", "1", "2", "3", "-1", "-2", "j", "10"}) }
	switch g.r.IntN(14) {
	case 0:
		return g.pick([]string{"lower", "upper", "trim", "ltrim", "rtrim", "reverse"}) + "(" + s() + ")"
	case 1:
		return "substr(" + s() + ", " + small() + ")"
	case 2:
		return g.pick([]string{"substr", "substring"}) + "(" + s() + ", " + small() + ", " + small() + ")"
	case 3:
		return g.pick([]string{"left", "right"}) + "(" + s() + ", " + small() + ")"
	case 4:
		return "replace(" + s() + ", " + sqlString(g.pick([]string{"a", "", "%", " "})) + ", " + sqlString(g.pick([]string{"X", "", "é"})) + ")"
	case 5:
		return "concat(" + s() + ", " + g.expr(g.anyType(), d) + ")"
	case 6:
		return "(" + s() + " || " + g.expr(g.anyType(), d) + ")"
	case 7:
		return "CAST(" + g.expr(g.pick2([]value.Type{value.Int, value.Float, value.Bool}), d) + " AS VARCHAR)"
	case 8:
		return g.caseExpr(value.String, d)
	case 9:
		return "coalesce(" + s() + ", " + s() + ")"
	case 10:
		return "nullif(" + s() + ", " + s() + ")"
	case 11:
		return g.pick([]string{"greatest", "least"}) + "(" + s() + ", " + s() + ")"
	case 12:
		if !g.agg {
			return "CAST(at AS VARCHAR)"
		}
	}
	return g.leaf(value.String)
}

// comparable returns two expressions that may be compared: numbers,
// strings, a string with a number (either side), booleans, a timestamp with
// a string.
func (g *queryGen) comparable(d int) (string, string) {
	switch g.r.IntN(7) {
	case 0, 1:
		return g.num(d), g.num(d)
	case 2:
		return g.expr(value.String, d), g.expr(value.String, d)
	case 3:
		return g.expr(value.String, d), g.num(d)
	case 4:
		return g.num(d), g.expr(value.String, d)
	case 5:
		if !g.agg {
			return "at", sqlString(g.pick([]string{"2024-01-01 00:00:00.6", "2024-01-01", "2024-01-01 00:00:01"}))
		}
		return g.expr(value.Bool, d), g.expr(value.Bool, d)
	}
	return g.expr(value.Bool, d), g.lit(value.Bool)
}

func (g *queryGen) boolExpr(d int) string {
	switch g.r.IntN(16) {
	case 0, 1, 2:
		l, r := g.comparable(d)
		return l + " " + g.pick([]string{"=", "<>", "!=", "<", "<=", ">", ">="}) + " " + r
	case 3:
		return "(" + g.expr(value.Bool, d) + " " + g.pick([]string{"AND", "OR"}) + " " + g.expr(value.Bool, d) + ")"
	case 4:
		return "NOT (" + g.expr(value.Bool, d) + ")"
	case 5, 6:
		return g.inList(d)
	case 7:
		x := g.pick2([]value.Type{value.Int, value.Float, value.String, value.Int})
		lo, hi := g.expr(g.pick2([]value.Type{x, value.Int}), d), g.expr(g.pick2([]value.Type{x, value.Float}), d)
		if x == value.String && g.chance(0.5) {
			lo, hi = sqlString(g.pick(stringLits)), sqlString(g.pick(stringLits))
		}
		not := ""
		if g.chance(0.3) {
			not = "NOT "
		}
		return g.expr(x, d) + " " + not + "BETWEEN " + lo + " AND " + hi
	case 8, 9:
		not := ""
		if g.chance(0.3) {
			not = "NOT "
		}
		pat := sqlString(g.pick(likePatterns))
		if g.chance(0.15) {
			pat = g.expr(value.String, d)
		}
		return g.expr(value.String, d) + " " + not + "LIKE " + pat
	case 10:
		not := ""
		if g.chance(0.4) {
			not = "NOT "
		}
		switch g.r.IntN(4) {
		case 0:
			l, r := g.comparable(d)
			return l + " IS " + not + "DISTINCT FROM " + r
		case 1:
			return "(" + g.expr(value.Bool, d) + ") IS " + not + g.pick([]string{"TRUE", "FALSE"})
		}
		return g.expr(g.anyType(), d) + " IS " + not + "NULL"
	case 11:
		return g.pick([]string{"starts_with", "ends_with", "contains", "prefix", "suffix"}) + "(" + g.expr(value.String, d) + ", " + g.expr(value.String, d) + ")"
	case 12:
		return "regexp_matches(" + g.expr(value.String, d) + ", " + sqlString(g.pick(regexps)) + ")"
	case 13:
		return "TRY_CAST(" + g.expr(value.String, d) + " AS BOOLEAN)"
	case 14:
		return g.caseExpr(value.Bool, d)
	}
	return g.leaf(value.Bool)
}

// inList is x [NOT] IN (...), mixing numbers and strings.
func (g *queryGen) inList(d int) string {
	x := g.pick2([]value.Type{value.Int, value.Float, value.String, value.Int})
	var items []string
	for n := 1 + g.r.IntN(4); n > 0; n-- {
		switch {
		case g.chance(0.1):
			items = append(items, "NULL")
		case x == value.String && g.chance(0.5):
			items = append(items, sqlString(g.pick(stringLits)))
		case x == value.String:
			items = append(items, g.lit(g.pick2(numericTypes)))
		case g.chance(0.2):
			items = append(items, sqlString(g.pick([]string{"42", " 7 ", "1e3", "abc", "9007199254740993"})))
		case g.chance(0.2):
			items = append(items, g.expr(x, d))
		default:
			items = append(items, g.lit(g.pick2(numericTypes)))
		}
	}
	not := ""
	if g.chance(0.3) {
		not = "NOT "
	}
	return g.expr(x, d) + " " + not + "IN (" + strings.Join(items, ", ") + ")"
}

func (g *queryGen) caseExpr(t value.Type, d int) string {
	var b strings.Builder
	b.WriteString("CASE")
	simple := g.chance(0.4)
	var opType value.Type
	if simple {
		opType = g.pick2([]value.Type{value.Int, value.String, value.Float})
		b.WriteString(" " + g.expr(opType, d))
	}
	for n := 1 + g.r.IntN(2); n > 0; n-- {
		if simple {
			b.WriteString(" WHEN " + g.lit(g.pick2([]value.Type{opType, opType, value.Int})))
		} else {
			b.WriteString(" WHEN " + g.expr(value.Bool, d))
		}
		b.WriteString(" THEN " + g.expr(t, d))
	}
	if g.chance(0.7) {
		b.WriteString(" ELSE " + g.expr(t, d))
	}
	b.WriteString(" END")
	return b.String()
}

// window sizes: decimals that are not exact in binary, and some that are.
var (
	windowSizes = []string{"0.1", "0.3", "0.001", "0.05", "0.2", "1", "2.5", "0.25", "0.6", "10"}
	hopPairs    = [][2]string{{"0.1", "0.3"}, {"0.1", "0.2"}, {"0.05", "0.15"}, {"0.001", "0.003"}, {"1", "3"},
		{"0.2", "0.5"}, {"0.3", "0.6"}, {"0.3", "1"}, {"0.25", "1"}, {"2", "5"}}
	// fractions are quantiles' second arguments.
	fractions = []string{"0", "0.5", "0.25", "0.9", "1", "0.333", "0.999"}
	// cumulatePairs are steps and sizes a whole number of steps apart.
	cumulatePairs = [][2]string{{"0.1", "0.3"}, {"0.1", "0.2"}, {"0.05", "0.15"}, {"0.001", "0.003"}, {"1", "3"},
		{"0.25", "1"}, {"0.3", "0.6"}, {"0.5", "2"}}
	sessionGaps = []string{"0.1", "0.3", "1", "0.05", "2", "0.001"}
	intSizes    = []string{"1", "2", "3", "10", "0.5"}
)

// window returns a window call for GROUP BY and the names of its start and
// end for SELECT.
func (g *queryGen) window() (call, start, end string) {
	timeCol := g.pick([]string{"ts", "ts", "ts", "it", "at", "g"}) // g: -0.0 and 0.0, negative times
	size := func(list []string) string {
		s := g.pick(list)
		if timeCol == "it" {
			s = g.pick(intSizes)
		}
		if timeCol == "at" && g.chance(0.3) {
			return "INTERVAL " + s + " SECOND"
		}
		return s
	}
	kind := g.r.IntN(6)
	switch kind {
	case 0: // TUMBLE
		s := size(windowSizes)
		a := timeCol + ", " + s
		return "TUMBLE(" + a + ")", "TUMBLE(" + a + ")", "TUMBLE_END(" + a + ")"
	case 1: // HOP(ts, slide, size)
		p := g.pick2h()
		if timeCol == "it" {
			p = [2]string{"1", g.pick([]string{"2", "3", "5"})}
		}
		a := timeCol + ", " + p[0] + ", " + p[1]
		return "HOP(" + a + ")", g.pick([]string{"HOP", "HOP_START"}) + "(" + a + ")", "HOP_END(" + a + ")"
	case 2: // SESSION
		s := size(sessionGaps)
		if timeCol == "it" {
			s = g.pick([]string{"1", "2", "0.5"})
		}
		a := timeCol + ", " + s
		return "SESSION(" + a + ")", "SESSION(" + a + ")", "SESSION_END(" + a + ")"
	case 4: // CUMULATE(ts, step, size)
		p := cumulatePairs[g.r.IntN(len(cumulatePairs))]
		if timeCol == "it" {
			p = [2]string{"1", g.pick([]string{"2", "3", "5"})}
		}
		a := timeCol + ", " + p[0] + ", " + p[1]
		return "CUMULATE(" + a + ")", g.pick([]string{"CUMULATE", "CUMULATE_START"}) + "(" + a + ")", "CUMULATE_END(" + a + ")"
	case 3: // Spark window(ts, size)
		a := timeCol + ", " + size(windowSizes)
		return "window(" + a + ")", g.pick([]string{"window", "window_start"}) + "(" + a + ")", "window_end(" + a + ")"
	}
	// Spark window(ts, size, slide)
	p := g.pick2h()
	if timeCol == "it" {
		p = [2]string{"1", g.pick([]string{"2", "3"})}
	}
	a := timeCol + ", " + p[1] + ", " + p[0]
	return "window(" + a + ")", "window(" + a + ")", "window_end(" + a + ")"
}

func (g *queryGen) pick2h() [2]string { return hopPairs[g.r.IntN(len(hopPairs))] }

// groupKey returns a GROUP BY expression over columns.
func (g *queryGen) groupKey() typed {
	switch g.r.IntN(10) {
	case 0:
		return typed{"f", value.Float}
	case 1:
		return typed{"g", value.Float}
	case 2:
		return typed{"j", value.Int}
	case 3:
		return typed{"i", value.Int}
	case 4:
		return typed{"b", value.Bool}
	case 5:
		return typed{"s", value.String}
	case 6:
		row := &queryGen{r: g.r}
		t := g.anyType()
		return typed{row.expr(t, 1), t}
	case 7:
		return typed{g.pick([]string{"lower(k)", "j % 3", "round(g)", "CAST(f AS VARCHAR)", "TRY_CAST(s AS DOUBLE)", "f * 1", "-f", "ts", "it"}), value.Null}
	}
	return typed{"k", value.String}
}

// NewQuery generates the query of a seed. Its shape is drawn first: a
// plain query, an aggregation grouped by columns or expressions (or not at
// all), SELECT DISTINCT, or an event-time window.
func NewQuery(seed uint64) *Query {
	r := rand.New(rand.NewPCG(seed, 0x7175657269657321)) // "queries!"
	g := &queryGen{r: r}
	q := &Query{Limit: -1}
	switch shape := r.IntN(20); {
	case shape < 6:
		g.plain(q)
	case shape < 7:
		g.distinct(q)
	case shape < 13:
		g.grouped(q, false)
	default:
		g.grouped(q, true)
	}
	return q
}

func (g *queryGen) where(q *Query) {
	if g.chance(0.6) {
		row := &queryGen{r: g.r}
		q.Where = row.expr(value.Bool, 1+g.r.IntN(3))
	}
}

func (g *queryGen) limit(q *Query, p float64) {
	if g.chance(p) {
		q.Limit = g.r.IntN(6)
		if g.chance(0.3) {
			q.Offset = 1 + g.r.IntN(3)
		}
	}
}

func (g *queryGen) plain(q *Query) {
	if g.chance(0.1) {
		q.Select = []Item{{Expr: "*"}}
	} else {
		for n := 1 + g.r.IntN(4); n > 0; n-- {
			t := g.anyType()
			q.Select = append(q.Select, Item{Expr: g.expr(t, g.r.IntN(3)), Alias: fmt.Sprintf("c%d", len(q.Select))})
		}
	}
	g.where(q)
	if g.chance(0.5) {
		for n := 1 + g.r.IntN(2); n > 0; n-- {
			var key string
			switch {
			case q.Select[0].Alias != "" && g.chance(0.4):
				key = q.Select[g.r.IntN(len(q.Select))].Alias
			case g.chance(0.3):
				key = strconv.Itoa(1 + g.r.IntN(len(q.Select)))
			default:
				key = g.expr(g.anyType(), 1)
			}
			if g.chance(0.4) {
				key += " DESC"
			}
			key += g.nullOrder()
			q.OrderBy = append(q.OrderBy, key)
		}
	}
	g.limit(q, 0.35)
}

func (g *queryGen) distinct(q *Query) {
	q.Distinct = true
	for n := 1 + g.r.IntN(2); n > 0; n-- {
		k := g.groupKey()
		q.Select = append(q.Select, Item{Expr: k.text, Alias: fmt.Sprintf("c%d", len(q.Select))})
	}
	g.where(q)
	if g.chance(0.3) {
		q.OrderBy = []string{"c0 DESC"}
		g.limit(q, 0.5)
	}
}

func (g *queryGen) grouped(q *Query, windowed bool) {
	if windowed {
		call, start, end := g.window()
		q.Windowed = true
		q.GroupBy = append(q.GroupBy, call)
		if g.chance(0.8) {
			q.Select = append(q.Select, Item{Expr: start, Alias: "ws"})
		}
		if g.chance(0.5) {
			q.Select = append(q.Select, Item{Expr: end, Alias: "we"})
		}
	}
	nkeys := g.r.IntN(3)
	if !windowed && g.chance(0.1) {
		nkeys = 0 // one group: the whole input
	} else if !windowed && nkeys == 0 {
		nkeys = 1
	}
	allSelected := true
	for range nkeys {
		k := g.groupKey()
		g.keys = append(g.keys, k)
		q.GroupBy = append(q.GroupBy, k.text)
		if g.chance(0.85) {
			q.Select = append(q.Select, Item{Expr: k.text, Alias: fmt.Sprintf("c%d", len(q.Select))})
		} else {
			allSelected = false
		}
	}
	// GROUP BY ALL groups by the same keys, and by the items computed
	// from them, which splits no group
	q.GroupAll = !windowed && nkeys > 0 && allSelected && g.chance(0.2)
	// keys whose type was not worked out are usable as themselves only
	var typedKeys []typed
	for _, k := range g.keys {
		if k.typ != value.Null {
			typedKeys = append(typedKeys, k)
		}
	}
	g.keys = typedKeys
	g.agg = true
	for n := 1 + g.r.IntN(3); n > 0; n-- {
		t := g.pick2([]value.Type{value.Int, value.Int, value.Float, value.String, value.Bool})
		var e string
		if g.chance(0.6) {
			e = g.aggregate(t)
		} else {
			e = g.expr(t, 1+g.r.IntN(2))
		}
		q.Select = append(q.Select, Item{Expr: e, Alias: fmt.Sprintf("c%d", len(q.Select))})
	}
	row := &queryGen{r: g.r}
	if g.chance(0.5) {
		q.Where = row.expr(value.Bool, 1+g.r.IntN(2))
	}
	if g.chance(0.3) {
		q.Having = g.expr(value.Bool, 1+g.r.IntN(2))
	}
	if it := q.Select[g.r.IntN(len(q.Select))]; g.chance(0.15) && it.Alias != "ws" && it.Alias != "we" {
		// HAVING reads a SELECT alias (not a window bound: a condition on
		// it stays above the aggregates, where DuckDB pushes it below)
		cond := it.Alias + g.pick([]string{" IS NULL", " IS NOT NULL"})
		if q.Having != "" {
			cond = "(" + q.Having + ")" + g.pick([]string{" AND ", " OR "}) + cond
		}
		q.Having = cond
	}
	if g.chance(0.4) {
		for n := 1 + g.r.IntN(2); n > 0; n-- {
			var key string
			switch {
			case g.chance(0.5):
				key = q.Select[g.r.IntN(len(q.Select))].Alias
			case g.chance(0.3):
				key = strconv.Itoa(1 + g.r.IntN(len(q.Select)))
			default:
				key = g.expr(g.pick2([]value.Type{value.Int, value.Float, value.String}), 1)
			}
			if g.chance(0.4) {
				key += " DESC"
			}
			key += g.nullOrder()
			q.OrderBy = append(q.OrderBy, key)
		}
		g.limit(q, 0.5)
	}
}

// nullOrder is an ORDER BY item's null order: mostly none (DuckDB's
// NULLS LAST), sometimes NULLS FIRST, now and then an explicit NULLS LAST.
func (g *queryGen) nullOrder() string {
	switch {
	case g.chance(0.25):
		return " NULLS FIRST"
	case g.chance(0.1):
		return " NULLS LAST"
	}
	return ""
}
