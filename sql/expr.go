package sql

import (
	"strconv"
	"strings"

	"brook/value"
)

// Expr is a bound, typed expression of a plan. Expressions are immutable:
// WithChildren returns a copy. String renders brook SQL that parses back to
// the same expression.
type Expr interface {
	Type() value.Type
	String() string
	Children() []Expr
	WithChildren(children []Expr) Expr
}

// ColumnRef reads a source column. Slot indexes the plan's Columns, the row
// layout the decoder produces.
type ColumnRef struct {
	Slot int
	Name string
	Typ  value.Type
}

// Literal is a constant.
type Literal struct{ Val value.Value }

// GroupRef stands for the value of the plan's GroupBy[Index] in expressions
// evaluated after aggregation.
type GroupRef struct {
	Index int
	Key   Expr // the group-by expression, for printing and rendering
}

// AggRef stands for the result of the plan's Aggs[Index].
type AggRef struct {
	Index int
	Call  *AggCall
}

// Unary is NOT x or -x.
type Unary struct {
	Op string // "NOT" or "-"
	X  Expr
}

// Binary is an arithmetic, comparison, logical or concatenation operator.
type Binary struct {
	Op   string // + - * / % || AND OR = <> < <= > >=
	L, R Expr
	Typ  value.Type
}

// In is x [NOT] IN (list...).
type In struct {
	X    Expr
	List []Expr
	Not  bool
}

// Between is x [NOT] BETWEEN lo AND hi.
type Between struct {
	X, Lo, Hi Expr
	Not       bool
}

// Like is x [NOT] LIKE pattern, with % and _ wildcards and no escape
// character; case-sensitive, as in DuckDB.
type Like struct {
	X, Pattern Expr
	Not        bool
}

// IsNull is x IS [NOT] NULL.
type IsNull struct {
	X   Expr
	Not bool
}

// When is one WHEN cond THEN value arm of a CASE.
type When struct{ Cond, Then Expr }

// Case is CASE [operand] WHEN ... THEN ... [ELSE ...] END. Its arms have
// been cast to one result type by the planner.
type Case struct {
	Operand Expr // nil for a searched CASE
	Whens   []When
	Else    Expr // nil means ELSE NULL
	Typ     value.Type
}

// Cast is CAST(x AS type), or TRY_CAST when Try (NULL instead of an error
// when the value does not convert).
type Cast struct {
	X   Expr
	To  value.Type
	Try bool
}

// Call is a scalar function call; Name is the canonical lower-case name.
type Call struct {
	Name string
	Args []Expr
	Typ  value.Type
}

// AggCall is an aggregate: Func is its canonical name (see AggSpec and
// RegisterAggregate); Arg is nil for COUNT(*).
type AggCall struct {
	Func     string
	Arg      Expr
	Distinct bool
	Typ      value.Type
	Spec     *AggSpec // what Func is (see RegisterAggregate)
	// Fraction is the constant second argument of an aggregate that
	// takes one (see AggSpec.Fraction): quantile_cont(x, 0.9).
	Fraction float64
}

var (
	_ Expr = (*ColumnRef)(nil)
	_ Expr = (*Literal)(nil)
	_ Expr = (*GroupRef)(nil)
	_ Expr = (*AggRef)(nil)
	_ Expr = (*Unary)(nil)
	_ Expr = (*Binary)(nil)
	_ Expr = (*In)(nil)
	_ Expr = (*Between)(nil)
	_ Expr = (*Like)(nil)
	_ Expr = (*IsNull)(nil)
	_ Expr = (*Case)(nil)
	_ Expr = (*Cast)(nil)
	_ Expr = (*Call)(nil)
	_ Expr = (*AggCall)(nil)
)

func (e *ColumnRef) Type() value.Type { return e.Typ }
func (e *Literal) Type() value.Type   { return e.Val.Kind }
func (e *GroupRef) Type() value.Type  { return e.Key.Type() }
func (e *AggRef) Type() value.Type    { return e.Call.Typ }
func (e *Unary) Type() value.Type {
	if e.Op == "NOT" {
		return value.Bool
	}
	return e.X.Type()
}
func (e *Binary) Type() value.Type  { return e.Typ }
func (e *In) Type() value.Type      { return value.Bool }
func (e *Between) Type() value.Type { return value.Bool }
func (e *Like) Type() value.Type    { return value.Bool }
func (e *IsNull) Type() value.Type  { return value.Bool }
func (e *Case) Type() value.Type    { return e.Typ }
func (e *Cast) Type() value.Type    { return e.To }
func (e *Call) Type() value.Type    { return e.Typ }
func (e *AggCall) Type() value.Type { return e.Typ }

func (e *ColumnRef) Children() []Expr { return nil }
func (e *Literal) Children() []Expr   { return nil }
func (e *GroupRef) Children() []Expr  { return nil }
func (e *AggRef) Children() []Expr    { return nil }
func (e *Unary) Children() []Expr     { return []Expr{e.X} }
func (e *Binary) Children() []Expr    { return []Expr{e.L, e.R} }
func (e *In) Children() []Expr        { return append([]Expr{e.X}, e.List...) }
func (e *Between) Children() []Expr   { return []Expr{e.X, e.Lo, e.Hi} }
func (e *Like) Children() []Expr      { return []Expr{e.X, e.Pattern} }
func (e *IsNull) Children() []Expr    { return []Expr{e.X} }
func (e *Cast) Children() []Expr      { return []Expr{e.X} }
func (e *Call) Children() []Expr      { return e.Args }
func (e *AggCall) Children() []Expr {
	if e.Arg == nil {
		return nil
	}
	return []Expr{e.Arg}
}
func (e *Case) Children() []Expr {
	var ch []Expr
	if e.Operand != nil {
		ch = append(ch, e.Operand)
	}
	for _, w := range e.Whens {
		ch = append(ch, w.Cond, w.Then)
	}
	if e.Else != nil {
		ch = append(ch, e.Else)
	}
	return ch
}

func (e *ColumnRef) WithChildren([]Expr) Expr { return e }
func (e *Literal) WithChildren([]Expr) Expr   { return e }
func (e *GroupRef) WithChildren([]Expr) Expr  { return e }
func (e *AggRef) WithChildren([]Expr) Expr    { return e }
func (e *Unary) WithChildren(c []Expr) Expr   { n := *e; n.X = c[0]; return &n }
func (e *Binary) WithChildren(c []Expr) Expr  { n := *e; n.L, n.R = c[0], c[1]; return &n }
func (e *In) WithChildren(c []Expr) Expr {
	n := *e
	n.X, n.List = c[0], append([]Expr(nil), c[1:]...)
	return &n
}
func (e *Between) WithChildren(c []Expr) Expr { n := *e; n.X, n.Lo, n.Hi = c[0], c[1], c[2]; return &n }
func (e *Like) WithChildren(c []Expr) Expr    { n := *e; n.X, n.Pattern = c[0], c[1]; return &n }
func (e *IsNull) WithChildren(c []Expr) Expr  { n := *e; n.X = c[0]; return &n }
func (e *Cast) WithChildren(c []Expr) Expr    { n := *e; n.X = c[0]; return &n }
func (e *Call) WithChildren(c []Expr) Expr {
	n := *e
	n.Args = append([]Expr(nil), c...)
	return &n
}
func (e *AggCall) WithChildren(c []Expr) Expr {
	n := *e
	if len(c) > 0 {
		n.Arg = c[0]
	}
	return &n
}
func (e *Case) WithChildren(c []Expr) Expr {
	n := *e
	if n.Operand != nil {
		n.Operand, c = c[0], c[1:]
	}
	n.Whens = make([]When, len(e.Whens))
	for i := range n.Whens {
		n.Whens[i] = When{Cond: c[2*i], Then: c[2*i+1]}
	}
	if n.Else != nil {
		n.Else = c[2*len(e.Whens)]
	}
	return &n
}

// QuoteIdent renders name as an identifier, double-quoted when it is not a
// plain lower-case word or when it is a keyword.
func QuoteIdent(name string) string {
	plain := name != ""
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9')) {
			plain = false
			break
		}
	}
	if plain && !reservedWords[strings.ToLower(name)] {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// QuoteString renders s as a SQL string literal; backslashes stay literal.
func QuoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// reservedWords are words that cannot stand as bare identifiers in brook SQL.
var reservedWords = map[string]bool{
	"select": true, "from": true, "where": true, "group": true, "by": true, "having": true,
	"order": true, "limit": true, "offset": true, "and": true, "or": true, "not": true, "in": true,
	"is": true, "null": true, "like": true, "between": true, "case": true, "when": true, "then": true,
	"else": true, "end": true, "as": true, "distinct": true, "true": false, "key": true, "values": true,
	"interval": true, "asc": true, "desc": true, "on": true, "join": true, "union": true, "all": true,
	"cast": true, "div": true, "mod": true, "regexp": true, "exists": true, "into": true, "for": true,
	"status": false, "type": true, "start": true, "default": true, "index": true, "table": true,
	"left": true, "right": true, "database": true, "schema": true, "date": true, "timestamp": true,
}

func (e *ColumnRef) String() string { return QuoteIdent(e.Name) }
func (e *Literal) String() string   { return LiteralSQL(e.Val) }
func (e *GroupRef) String() string  { return e.Key.String() }
func (e *AggRef) String() string    { return e.Call.String() }
func (e *Unary) String() string {
	if e.Op == "NOT" {
		return "NOT " + paren(e.X)
	}
	return "-" + paren(e.X)
}
func (e *Binary) String() string { return paren(e.L) + " " + e.Op + " " + paren(e.R) }
func (e *In) String() string {
	parts := make([]string, len(e.List))
	for i, x := range e.List {
		parts[i] = x.String()
	}
	not := ""
	if e.Not {
		not = "NOT "
	}
	return paren(e.X) + " " + not + "IN (" + strings.Join(parts, ", ") + ")"
}
func (e *Between) String() string {
	not := ""
	if e.Not {
		not = "NOT "
	}
	return paren(e.X) + " " + not + "BETWEEN " + paren(e.Lo) + " AND " + paren(e.Hi)
}
func (e *Like) String() string {
	not := ""
	if e.Not {
		not = "NOT "
	}
	return paren(e.X) + " " + not + "LIKE " + paren(e.Pattern)
}
func (e *IsNull) String() string {
	if e.Not {
		return paren(e.X) + " IS NOT NULL"
	}
	return paren(e.X) + " IS NULL"
}
func (e *Case) String() string {
	var b strings.Builder
	b.WriteString("CASE")
	if e.Operand != nil {
		b.WriteString(" " + e.Operand.String())
	}
	for _, w := range e.Whens {
		b.WriteString(" WHEN " + w.Cond.String() + " THEN " + w.Then.String())
	}
	if e.Else != nil {
		b.WriteString(" ELSE " + e.Else.String())
	}
	b.WriteString(" END")
	return b.String()
}
func (e *Cast) String() string {
	fn := "CAST"
	if e.Try {
		fn = "TRY_CAST"
	}
	return fn + "(" + e.X.String() + " AS " + e.To.String() + ")"
}
func (e *Call) String() string {
	parts := make([]string, len(e.Args))
	for i, x := range e.Args {
		parts[i] = x.String()
	}
	return e.Name + "(" + strings.Join(parts, ", ") + ")"
}
func (e *AggCall) String() string {
	if e.Arg == nil {
		return "count(*)"
	}
	d := ""
	if e.Distinct {
		d = "DISTINCT "
	}
	f := ""
	if e.Spec != nil && e.Spec.Fraction {
		f = ", " + strconv.FormatFloat(e.Fraction, 'g', -1, 64)
	}
	return e.Func + "(" + d + e.Arg.String() + f + ")"
}

// paren wraps compound expressions in parentheses so String round-trips
// without relying on operator precedence.
func paren(e Expr) string {
	switch e.(type) {
	case *Binary, *In, *Between, *Like, *IsNull, *Unary:
		return "(" + e.String() + ")"
	}
	return e.String()
}

// LiteralSQL renders a constant as SQL that reads back as the same value
// and type: strings quoted, doubles always with a decimal point or exponent.
func LiteralSQL(v value.Value) string {
	switch v.Kind {
	case value.Null:
		return "NULL"
	case value.Bool:
		if v.I != 0 {
			return "TRUE"
		}
		return "FALSE"
	case value.Int:
		return strconv.FormatInt(v.I, 10)
	case value.Float:
		s := string(value.AppendFloat(nil, v.F))
		if !strings.ContainsAny(s, ".e") {
			return "CAST('" + s + "' AS DOUBLE)"
		}
		return s
	case value.String:
		return QuoteString(v.S)
	case value.Timestamp:
		return "TIMESTAMP " + QuoteString(string(value.AppendTimestamp(nil, v.I)))
	}
	return "NULL"
}

// Walk calls fn on e and every expression below it, parents first.
func Walk(e Expr, fn func(Expr)) {
	if e == nil {
		return
	}
	fn(e)
	for _, c := range e.Children() {
		Walk(c, fn)
	}
}

// Transform rebuilds e bottom-up, replacing each node with fn's result.
func Transform(e Expr, fn func(Expr) (Expr, error)) (Expr, error) {
	ch := e.Children()
	if len(ch) > 0 {
		nc := make([]Expr, len(ch))
		for i, c := range ch {
			t, err := Transform(c, fn)
			if err != nil {
				return nil, err
			}
			nc[i] = t
		}
		e = e.WithChildren(nc)
	}
	return fn(e)
}
