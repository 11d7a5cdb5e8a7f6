package engine

import (
	"brook/sql"
	"brook/value"
)

// Plan-time folding. DuckDB's optimizer folds what it can before it reads
// a row, and what it folds is never evaluated: a comparison or an
// arithmetic operator with an operand that is NULL at plan time is NULL
// (NULL = -i never computes -i), and a WHERE or HAVING that folds to a
// constant that is not TRUE (or a LIMIT 0) leaves the query with nothing
// to evaluate at all. The engine folds the same way, so that the same
// queries fail and succeed.

// constant reports whether e reads nothing of a row: no column, group key,
// aggregate or window bound.
func constant(e sql.Expr) bool {
	ok := true
	sql.Walk(e, func(x sql.Expr) {
		switch x.(type) {
		case *sql.ColumnRef, *sql.GroupRef, *sql.AggRef, *sql.WindowRef, *sql.AggCall:
			ok = false
		}
	})
	return ok
}

// folded returns the value of e known at plan time, and whether it is
// known: a constant expression that evaluates without an error, or an
// operator that is NULL whatever its other operand (see nullOperand).
func folded(e sql.Expr) (value.Value, bool) {
	if lit, ok := e.(*sql.Literal); ok {
		return lit.Val, true
	}
	if constant(e) {
		st := &evalState{}
		f, err := (&compiler{st: st}).compile(e)
		if err != nil {
			return value.NullValue, false
		}
		v := f(nil)
		if st.err != nil { // fails when evaluated: left to run time, as DuckDB does
			return value.NullValue, false
		}
		return v, true
	}
	if nullOperand(e) {
		return value.NullValue, true
	}
	if c, ok := e.(*sql.Case); ok {
		return caseFolded(c)
	}
	return value.NullValue, false
}

// foldedAway reports whether e, not a constant, has a value known at plan
// time: it is compiled to that value, and its operands are never
// evaluated.
func foldedAway(e sql.Expr) (value.Value, bool) {
	if constant(e) {
		return value.NullValue, false
	}
	return folded(e)
}

// caseFolded returns the plan-time value of a CASE whose branch is known:
// WHEN conditions that fold to anything but TRUE (a simple CASE's operand
// or value folding to NULL, or two constants that differ) are dropped, and
// the first that folds to TRUE, or the ELSE when none is left, gives the
// value, when that folds in turn.
func caseFolded(x *sql.Case) (value.Value, bool) {
	for _, w := range x.Whens {
		var v value.Value
		var ok bool
		if x.Operand != nil {
			v, ok = filterFolded(&sql.Binary{Op: "=", L: x.Operand, R: w.Cond, Typ: value.Bool})
		} else {
			v, ok = filterFolded(w.Cond)
		}
		switch {
		case !ok:
			return value.NullValue, false
		case v.True():
			return folded(w.Then)
		}
	}
	if x.Else == nil {
		return value.NullValue, true
	}
	return folded(x.Else)
}

// nullOperand reports whether e is an operator that is NULL at plan time
// because one of its operands is. A comparison (=, <>, <, <=, >, >=) is
// NULL when an operand folds to NULL by any rule (see folded); a string
// constant compared with a number or a TIMESTAMP counts as NULL when it
// does not convert, since the comparison converts it (see package value).
// NOT of an operand that folds to NULL is NULL. An arithmetic operator
// (+ - * / %), || or unary minus is NULL when an operand is NULL as
// written (see writtenNull), or when both fold and one is NULL: DuckDB
// folds such a function's NULL operand when it binds it, before its
// optimizer folds the rest (-i % CASE 1 WHEN 2 THEN j END computes -i).
// AND, OR, IN, BETWEEN and function calls are not folded this way.
func nullOperand(e sql.Expr) bool {
	switch x := e.(type) {
	case *sql.Unary:
		if x.Op == "NOT" {
			v, ok := folded(x.X)
			return ok && v.IsNull()
		}
		return writtenNull(x.X)
	case *sql.Binary:
		switch x.Op {
		case "AND", "OR":
			return false
		case "=", "<>", "<", "<=", ">", ">=":
			return nullSide(x.L, x.R) || nullSide(x.R, x.L)
		}
		if writtenNull(x.L) || writtenNull(x.R) {
			return true
		}
		l, lok := folded(x.L)
		r, rok := folded(x.R)
		return lok && rok && (l.IsNull() || r.IsNull())
	}
	return false
}

// writtenNull reports whether e is NULL as written: the NULL literal, a
// cast of it, or an arithmetic operator, || or unary minus over such an
// operand.
func writtenNull(e sql.Expr) bool {
	switch x := e.(type) {
	case *sql.Literal:
		return x.Val.IsNull()
	case *sql.Cast:
		return writtenNull(x.X)
	case *sql.Unary:
		return x.Op == "-" && writtenNull(x.X)
	case *sql.Binary:
		switch x.Op {
		case "+", "-", "*", "/", "%", "||":
			return writtenNull(x.L) || writtenNull(x.R)
		}
	}
	return false
}

// nullSide reports whether side, compared with other, is NULL at plan time:
// it folds to NULL, or to a string that does not convert to other's type.
func nullSide(side, other sql.Expr) bool {
	v, ok := folded(side)
	if !ok {
		return false
	}
	if v.IsNull() {
		return true
	}
	if v.Kind != value.String {
		return false
	}
	var zero value.Value
	switch other.Type() {
	case value.Int:
		zero = value.IntValue(0)
	case value.Float:
		zero = value.FloatValue(0)
	case value.Timestamp:
		zero = value.TimestampValue(0)
	default:
		return false
	}
	_, cmpOK := value.Compare(v, zero)
	return !cmpOK
}

// filterFolded returns the plan-time value of a condition that filters
// rows (WHERE, HAVING), and whether it is known. Besides folded's rules, an
// AND with an operand that folds to anything but TRUE keeps no row, and an
// OR with an operand that folds to TRUE keeps every row.
func filterFolded(e sql.Expr) (value.Value, bool) {
	if b, ok := e.(*sql.Binary); ok && (b.Op == "AND" || b.Op == "OR") {
		l, lok := filterFolded(b.L)
		r, rok := filterFolded(b.R)
		decides := func(v value.Value) bool { return v.True() != (b.Op == "AND") }
		switch {
		case lok && decides(l):
			return l, true
		case rok && decides(r):
			return r, true
		case lok && rok:
			return value.BoolValue(b.Op == "AND"), true
		}
		return value.NullValue, false
	}
	if b, ok := e.(*sql.Between); ok && !b.Not { // x >= lo AND x <= hi
		lo := &sql.Binary{Op: ">=", L: b.X, R: b.Lo, Typ: value.Bool}
		hi := &sql.Binary{Op: "<=", L: b.X, R: b.Hi, Typ: value.Bool}
		return filterFolded(&sql.Binary{Op: "AND", L: lo, R: hi, Typ: value.Bool})
	}
	return folded(e)
}

// keepsNothing reports whether the plan can emit no row, whatever its
// input, as DuckDB's optimizer sees it before reading anything: LIMIT 0,
// or a WHERE or HAVING that folds to a constant that is not TRUE.
func keepsNothing(p *sql.Plan) bool {
	never := func(e sql.Expr) bool {
		if e == nil {
			return false
		}
		v, ok := filterFolded(e)
		return ok && !v.True()
	}
	return p.Limit == 0 || never(p.Where) || never(p.KeyFilter) || never(p.Having) ||
		emptyRange(p.Where) || emptyRange(p.Having)
}

// emptyRange reports whether a conjunct of the filter e is a numeric
// x BETWEEN lo AND hi with literal bounds lo > hi: no row can pass it, and
// DuckDB's optimizer (which combines the comparisons of x >= lo AND x <= hi
// and finds them unsatisfiable) replaces the query's input with an empty
// result, so that nothing, not even an expression that would fail, is
// evaluated.
func emptyRange(e sql.Expr) bool {
	switch x := e.(type) {
	case *sql.Binary:
		return x.Op == "AND" && (emptyRange(x.L) || emptyRange(x.R))
	case *sql.Between:
		lo, lok := x.Lo.(*sql.Literal)
		hi, hok := x.Hi.(*sql.Literal)
		if x.Not || !lok || !hok || !x.X.Type().Numeric() || !lo.Val.Kind.Numeric() || !hi.Val.Kind.Numeric() {
			return false
		}
		c, ok := value.Compare(lo.Val, hi.Val)
		return ok && c > 0
	}
	return false
}

// usedAggs marks the plan's aggregates whose result is read: by the SELECT
// list, HAVING or ORDER BY, outside the expressions folded at plan time
// (see foldedAway), which never read their operands. DuckDB drops an aggregate
// nothing reads, and never evaluates its argument: the engine does not
// either (SELECT NULL / max(CAST(s AS BIGINT)) fails on no string).
func usedAggs(p *sql.Plan) []bool {
	used := make([]bool, len(p.Aggs))
	var walk func(e sql.Expr)
	walk = func(e sql.Expr) {
		if e == nil {
			return
		}
		if _, ok := foldedAway(e); ok {
			return
		}
		if r, ok := e.(*sql.AggRef); ok && r.Index < len(used) {
			used[r.Index] = true
		}
		for _, c := range e.Children() {
			walk(c)
		}
	}
	for _, o := range p.Output {
		walk(o.Expr)
	}
	walk(p.Having)
	for _, k := range p.OrderBy {
		walk(k.Expr)
	}
	return used
}
