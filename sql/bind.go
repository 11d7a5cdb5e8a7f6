package sql

import (
	"math"
	"strconv"
	"strings"

	"github.com/xwb1989/sqlparser"

	"brook/value"
)

// bind turns a parser expression into a typed Expr over the source's
// columns. With allowAgg, aggregate calls become *AggCall nodes (lifted
// later); without it they are an error.
func (b *builder) bind(node sqlparser.Expr, allowAgg bool) (Expr, error) {
	switch n := node.(type) {
	case *sqlparser.ColName:
		if b.inHaving && allowAgg && n.Qualifier.IsEmpty() {
			if e := b.selectAlias(n.Name.String()); e != nil {
				return e, nil
			}
		}
		return b.bindColumn(n)
	case *sqlparser.SQLVal:
		return b.bindLiteral(n)
	case *sqlparser.NullVal:
		return &Literal{Val: value.NullValue}, nil
	case sqlparser.BoolVal:
		return &Literal{Val: value.BoolValue(bool(n))}, nil
	case *sqlparser.ParenExpr:
		return b.bind(n.Expr, allowAgg)
	case *sqlparser.AndExpr:
		return b.bindLogic("AND", n.Left, n.Right, node, allowAgg)
	case *sqlparser.OrExpr:
		return b.bindLogic("OR", n.Left, n.Right, node, allowAgg)
	case *sqlparser.NotExpr:
		x, err := b.bind(n.Expr, allowAgg)
		if err != nil {
			return nil, err
		}
		if err := b.wantBoolOperand(x, n.Expr, "NOT"); err != nil {
			return nil, err
		}
		return &Unary{Op: "NOT", X: x}, nil
	case *sqlparser.ComparisonExpr:
		return b.bindComparison(n, allowAgg)
	case *sqlparser.RangeCond:
		x, lo, hi, err := b.bind3(n.Left, n.From, n.To, allowAgg)
		if err != nil {
			return nil, err
		}
		for _, bound := range []Expr{lo, hi} {
			if err := b.comparable(x, bound, node, "BETWEEN"); err != nil {
				return nil, err
			}
		}
		return &Between{X: x, Lo: lo, Hi: hi, Not: n.Operator == sqlparser.NotBetweenStr}, nil
	case *sqlparser.IsExpr:
		x, err := b.bind(n.Expr, allowAgg)
		if err != nil {
			return nil, err
		}
		switch n.Operator {
		case sqlparser.IsNullStr:
			return &IsNull{X: x}, nil
		case sqlparser.IsNotNullStr:
			return &IsNull{X: x, Not: true}, nil
		case sqlparser.IsTrueStr, sqlparser.IsNotTrueStr, sqlparser.IsFalseStr, sqlparser.IsNotFalseStr:
			if err := b.wantBool(x, n.Expr, strings.ToUpper(n.Operator)); err != nil {
				return nil, err
			}
			// x IS TRUE is TRUE when x is, FALSE otherwise (NULL too):
			// CASE WHEN x THEN TRUE ELSE FALSE END, and so on.
			cond := x
			if n.Operator == sqlparser.IsFalseStr || n.Operator == sqlparser.IsNotFalseStr {
				cond = &Unary{Op: "NOT", X: x}
			}
			yes := n.Operator == sqlparser.IsTrueStr || n.Operator == sqlparser.IsFalseStr
			return &Case{Whens: []When{{Cond: cond, Then: boolLit(yes)}}, Else: boolLit(!yes), Typ: value.Bool}, nil
		}
		return nil, b.errAt(ErrUnsupported, node, "%s is not supported", strings.ToUpper(n.Operator))
	case *sqlparser.BinaryExpr:
		return b.bindBinary(n, allowAgg)
	case *sqlparser.UnaryExpr:
		x, err := b.bind(n.Expr, allowAgg)
		if err != nil {
			return nil, err
		}
		switch n.Operator {
		case sqlparser.UPlusStr:
			if err := b.wantNumeric(x, n.Expr, "unary +"); err != nil {
				return nil, err
			}
			return x, nil
		case sqlparser.UMinusStr:
			if err := b.wantNumeric(x, n.Expr, "unary -"); err != nil {
				return nil, err
			}
			if lit, ok := x.(*Literal); ok {
				switch lit.Val.Kind {
				case value.Int:
					return &Literal{Val: value.IntValue(-lit.Val.I)}, nil
				case value.Float:
					return &Literal{Val: value.FloatValue(-lit.Val.F)}, nil
				}
			}
			return &Unary{Op: "-", X: x}, nil
		case sqlparser.BangStr:
			if err := b.wantBoolOperand(x, n.Expr, "NOT"); err != nil {
				return nil, err
			}
			return &Unary{Op: "NOT", X: x}, nil
		}
		return nil, b.errAt(ErrUnsupported, node, "operator %s is not supported", strings.TrimSpace(n.Operator))
	case *sqlparser.CaseExpr:
		return b.bindCase(n, allowAgg)
	case *sqlparser.FuncExpr:
		return b.bindFunc(n, allowAgg)
	case *sqlparser.SubstrExpr:
		args := []sqlparser.Expr{n.Name, n.From}
		if n.To != nil {
			args = append(args, n.To)
		}
		return b.bindCall("substr", args, node, allowAgg)
	case *sqlparser.Subquery, *sqlparser.ExistsExpr:
		return nil, b.errAt(ErrUnsupported, node, "subqueries are not supported: a streaming query reads one source once").
			withHint("precompute the list and write it out: x IN (1, 2, 3)")
	case *sqlparser.IntervalExpr:
		return nil, b.errAt(ErrUnsupported, node, "INTERVAL values are not supported here")
	case *sqlparser.ConvertExpr, *sqlparser.ConvertUsingExpr:
		return nil, b.errAt(ErrUnsupported, node, "CONVERT is not supported").withHint("write CAST(x AS type)")
	case *sqlparser.GroupConcatExpr:
		return nil, b.errAt(ErrUnsupported, node, "group_concat is not supported: %s", refusedFuncs["group_concat"])
	}
	return nil, b.errAt(ErrUnsupported, node, "%s is not supported", sqlparser.String(node))
}

func (b *builder) bind3(x, y, z sqlparser.Expr, allowAgg bool) (Expr, Expr, Expr, error) {
	bx, err := b.bind(x, allowAgg)
	if err != nil {
		return nil, nil, nil, err
	}
	by, err := b.bind(y, allowAgg)
	if err != nil {
		return nil, nil, nil, err
	}
	bz, err := b.bind(z, allowAgg)
	if err != nil {
		return nil, nil, nil, err
	}
	return bx, by, bz, nil
}

// selectAlias returns the SELECT item a name in HAVING refers to, as
// DuckDB resolves it: a source column of that name wins, and an alias is
// not seen inside an aggregate's arguments (bound without allowAgg).
func (b *builder) selectAlias(name string) Expr {
	if b.isColumn(name) {
		return nil
	}
	for i, n := range b.selNames {
		if strings.EqualFold(n, name) {
			return b.selExprs[i]
		}
	}
	return nil
}

func (b *builder) bindColumn(n *sqlparser.ColName) (Expr, error) {
	name := n.Name.String()
	if q := n.Qualifier.Name.String(); q != "" && !b.isOurTable(q) {
		return nil, newError(ErrUnknownTable, b.src, b.posOfWord(q), "unknown table %q in %s.%s", q, q, name).
			withHint("the query reads %s", b.table)
	}
	if d := b.derived; d != nil {
		if i := b.derivedColumn(name); i >= 0 {
			return d.exprs[i], nil
		}
		return nil, newError(ErrUnknownColumn, b.src, b.posOfWord(name), "unknown column %q in the subquery in FROM", name).
			withHint("its columns: %s", strings.Join(d.names, ", "))
	}
	if i, ok := b.schema.Lookup(name); ok {
		return b.columnRef(i), nil
	}
	pos := b.posOfWord(name)
	if h := b.posOfWord("having"); b.inHaving && h >= 0 {
		// the name may be a SELECT alias too: point at it in HAVING
		if p := b.posOfWordAfter(name, h); p >= 0 {
			pos = p
		}
	}
	e := newError(ErrUnknownColumn, b.src, pos, "unknown column %q in %s", name, b.table)
	hint := ""
	if s := Suggest(name, b.schema.Names()); s != "" {
		hint = "did you mean " + QuoteIdent(s) + "? "
	}
	return nil, e.withHint("%sknown columns: %s", hint, strings.Join(sortedCopy(b.schema.Names()), ", "))
}

func (b *builder) bindLiteral(n *sqlparser.SQLVal) (Expr, error) {
	s := string(n.Val)
	switch n.Type {
	case sqlparser.StrVal:
		return &Literal{Val: value.StringValue(s)}, nil
	case sqlparser.IntVal:
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return &Literal{Val: value.IntValue(i)}, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, b.errAt(ErrSyntax, n, "bad number %s", s)
		}
		return &Literal{Val: value.FloatValue(f)}, nil
	case sqlparser.FloatVal:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, b.errAt(ErrSyntax, n, "bad number %s", s)
		}
		return &Literal{Val: value.FloatValue(f)}, nil
	}
	return nil, b.errAt(ErrUnsupported, n, "literal %s is not supported", sqlparser.String(n))
}

func (b *builder) bindLogic(op string, l, r sqlparser.Expr, node sqlparser.Expr, allowAgg bool) (Expr, error) {
	bl, err := b.bind(l, allowAgg)
	if err != nil {
		return nil, err
	}
	br, err := b.bind(r, allowAgg)
	if err != nil {
		return nil, err
	}
	if err := b.wantBoolOperand(bl, l, op); err != nil {
		return nil, err
	}
	if err := b.wantBoolOperand(br, r, op); err != nil {
		return nil, err
	}
	return &Binary{Op: op, L: bl, R: br, Typ: value.Bool}, nil
}

func (b *builder) wantBoolOperand(e Expr, node sqlparser.SQLNode, op string) error {
	if t := e.Type(); t != value.Bool && t != value.Null {
		return b.errAt(ErrType, node, "%s needs boolean operands, but %s is %s", op, e.String(), t)
	}
	return nil
}

func (b *builder) wantNumeric(e Expr, node sqlparser.SQLNode, op string) error {
	if t := e.Type(); !t.Numeric() && t != value.Null {
		return b.errAt(ErrType, node, "%s needs a number, but %s is %s", op, e.String(), t).
			withHint("convert it: TRY_CAST(%s AS DOUBLE)", e.String())
	}
	return nil
}

// comparable checks that l and r may be compared: numbers with numbers,
// strings with strings, a string with a number (see package value), booleans
// with booleans, timestamps with timestamps or strings.
func (b *builder) comparable(l, r Expr, node sqlparser.SQLNode, op string) error {
	lt, rt := l.Type(), r.Type()
	ok := lt == value.Null || rt == value.Null || lt == rt ||
		(lt.Numeric() || lt == value.String) && (rt.Numeric() || rt == value.String) ||
		(lt == value.Timestamp && rt == value.String) || (lt == value.String && rt == value.Timestamp)
	if !ok {
		return b.errAt(ErrType, node, "cannot compare %s (%s) with %s (%s) using %s", l.String(), lt, r.String(), rt, op)
	}
	return nil
}

// numericInLiterals types the string literals of an IN as DuckDB does.
// DuckDB compares x and every item of an IN in one common type; a string
// literal takes the type of the others, so when some operand is a number
// the IN compares numbers: BIGINT when every numeric operand is a BIGINT,
// DOUBLE otherwise. Each string literal is then cast to that type as
// CAST casts it ('1.5' is 2 as a BIGINT, ' 7 ' is 7), and a literal that
// is not a number ('abc', or the empty string) makes the query an error, as DuckDB fails
// it with "Could not convert string". This holds when x is a number, NULL
// or a string literal; when x is any other string (a column), the IN keeps
// brook's rule for strings compared with numbers (package value) and its
// literals are compared with x as strings. nodes are the parser nodes of
// x and the items, for the error's position.
func (b *builder) numericInLiterals(in *In, nodes []sqlparser.SQLNode) error {
	if _, lit := in.X.(*Literal); in.X.Type() == value.String && !lit {
		return nil
	}
	typ := value.Null
	for _, e := range append([]Expr{in.X}, in.List...) {
		switch e.Type() {
		case value.Float:
			typ = value.Float
		case value.Int:
			if typ != value.Float {
				typ = value.Int
			}
		}
	}
	if typ == value.Null {
		return nil
	}
	convert := func(e Expr, node sqlparser.SQLNode) (Expr, error) {
		l, ok := e.(*Literal)
		if !ok || l.Val.Kind != value.String {
			return e, nil
		}
		if typ == value.Int {
			if i, ok := value.ParseBigint(l.Val.S); ok {
				return &Literal{Val: value.IntValue(i)}, nil
			}
		} else if f, ok := value.ParseNumber(l.Val.S); ok {
			return &Literal{Val: value.FloatValue(f)}, nil
		}
		return nil, b.errAt(ErrType, node, "IN compares %s values, and the string %s is not a number", typ, e.String()).
			withHint("a string literal in a list of numbers is cast to the list's type, as in DuckDB; write a number, or compare strings: CAST(x AS VARCHAR) IN (...)")
	}
	x, err := convert(in.X, nodes[0])
	if err != nil {
		return err
	}
	in.X = x
	for i, item := range in.List {
		if in.List[i], err = convert(item, nodes[i+1]); err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) bindComparison(n *sqlparser.ComparisonExpr, allowAgg bool) (Expr, error) {
	l, err := b.bind(n.Left, allowAgg)
	if err != nil {
		return nil, err
	}
	switch n.Operator {
	case sqlparser.InStr, sqlparser.NotInStr:
		tuple, ok := n.Right.(sqlparser.ValTuple)
		if !ok {
			return nil, b.errAt(ErrUnsupported, n.Right, "IN takes a list of values, not %s", sqlparser.String(n.Right)).
				withHint("subqueries are not supported; write the list out")
		}
		in := &In{X: l, Not: n.Operator == sqlparser.NotInStr}
		for _, item := range tuple {
			e, err := b.bind(item, allowAgg)
			if err != nil {
				return nil, err
			}
			if err := b.comparable(l, e, n, "IN"); err != nil {
				return nil, err
			}
			in.List = append(in.List, e)
		}
		nodes := append([]sqlparser.SQLNode{n.Left}, make([]sqlparser.SQLNode, len(tuple))...)
		for i, item := range tuple {
			nodes[i+1] = item
		}
		if err := b.numericInLiterals(in, nodes); err != nil {
			return nil, err
		}
		return in, nil
	}
	r, err := b.bind(n.Right, allowAgg)
	if err != nil {
		return nil, err
	}
	switch n.Operator {
	case sqlparser.LikeStr, sqlparser.NotLikeStr:
		if n.Escape != nil {
			return nil, b.errAt(ErrUnsupported, n.Escape, "LIKE ... ESCAPE is not supported")
		}
		for _, side := range []Expr{l, r} {
			if t := side.Type(); t != value.String && t != value.Null {
				return nil, b.errAt(ErrType, n, "LIKE needs strings, but %s is %s", side.String(), t).
					withHint("convert it: CAST(%s AS VARCHAR)", side.String())
			}
		}
		return &Like{X: l, Pattern: r, Not: n.Operator == sqlparser.NotLikeStr}, nil
	case sqlparser.RegexpStr, sqlparser.NotRegexpStr:
		call, err := b.typedCall("regexp_matches", []Expr{l, r}, n)
		if err != nil {
			return nil, err
		}
		if n.Operator == sqlparser.NotRegexpStr {
			return &Unary{Op: "NOT", X: call}, nil
		}
		return call, nil
	}
	if n.Operator == sqlparser.NullSafeEqualStr { // the rewriter's IS NOT DISTINCT FROM
		if err := b.comparable(l, r, n, "IS NOT DISTINCT FROM"); err != nil {
			return nil, err
		}
		// NULL equals NULL, and nothing else: CASE WHEN l IS NULL THEN r IS
		// NULL WHEN r IS NULL THEN FALSE ELSE l = r END.
		return &Case{Whens: []When{
			{Cond: &IsNull{X: l}, Then: &IsNull{X: r}},
			{Cond: &IsNull{X: r}, Then: boolLit(false)},
		}, Else: &Binary{Op: "=", L: l, R: r, Typ: value.Bool}, Typ: value.Bool}, nil
	}
	op, ok := map[string]string{"=": "=", "!=": "<>", "<>": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}[n.Operator]
	if !ok {
		return nil, b.errAt(ErrUnsupported, n, "operator %s is not supported", n.Operator)
	}
	if err := b.comparable(l, r, n, op); err != nil {
		return nil, err
	}
	return &Binary{Op: op, L: l, R: r, Typ: value.Bool}, nil
}

func (b *builder) bindBinary(n *sqlparser.BinaryExpr, allowAgg bool) (Expr, error) {
	l, err := b.bind(n.Left, allowAgg)
	if err != nil {
		return nil, err
	}
	r, err := b.bind(n.Right, allowAgg)
	if err != nil {
		return nil, err
	}
	op := n.Operator
	switch op {
	case sqlparser.BitOrStr: // the rewriter's spelling of ||
		return &Binary{Op: "||", L: l, R: r, Typ: value.String}, nil
	case sqlparser.IntDivStr:
		return nil, b.errAt(ErrUnsupported, n, "DIV is not supported").withHint("write floor(a / b)")
	case sqlparser.PlusStr, sqlparser.MinusStr, sqlparser.MultStr, sqlparser.DivStr, sqlparser.ModStr:
	default:
		return nil, b.errAt(ErrUnsupported, n, "operator %s is not supported", op)
	}
	if err := b.wantNumeric(l, n.Left, op); err != nil {
		return nil, err
	}
	if err := b.wantNumeric(r, n.Right, op); err != nil {
		return nil, err
	}
	typ := value.Float
	if op != "/" && (l.Type() == value.Int || l.Type() == value.Null) && (r.Type() == value.Int || r.Type() == value.Null) {
		typ = value.Int
	}
	return &Binary{Op: op, L: l, R: r, Typ: typ}, nil
}

func (b *builder) bindCase(n *sqlparser.CaseExpr, allowAgg bool) (Expr, error) {
	c := &Case{}
	if n.Expr != nil {
		op, err := b.bind(n.Expr, allowAgg)
		if err != nil {
			return nil, err
		}
		c.Operand = op
	}
	typ := value.Null
	for _, w := range n.Whens {
		cond, err := b.bind(w.Cond, allowAgg)
		if err != nil {
			return nil, err
		}
		if c.Operand != nil {
			if err := b.comparable(c.Operand, cond, w.Cond, "CASE"); err != nil {
				return nil, err
			}
		} else if err := b.wantBoolOperand(cond, w.Cond, "WHEN"); err != nil {
			return nil, err
		}
		then, err := b.bind(w.Val, allowAgg)
		if err != nil {
			return nil, err
		}
		t, ok := Unify(typ, then.Type())
		if !ok {
			return nil, b.errAt(ErrType, w.Val, "CASE branches mix %s and %s", typ, then.Type()).
				withHint("CAST the branches to one type")
		}
		typ = t
		c.Whens = append(c.Whens, When{Cond: cond, Then: then})
	}
	if n.Else != nil {
		e, err := b.bind(n.Else, allowAgg)
		if err != nil {
			return nil, err
		}
		t, ok := Unify(typ, e.Type())
		if !ok {
			return nil, b.errAt(ErrType, n.Else, "CASE branches mix %s and %s", typ, e.Type()).
				withHint("CAST the branches to one type")
		}
		typ = t
		c.Else = e
	}
	if typ == value.Null {
		typ = value.String
	}
	c.Typ = typ
	for i := range c.Whens {
		c.Whens[i].Then = coerce(c.Whens[i].Then, typ)
	}
	if c.Else != nil {
		c.Else = coerce(c.Else, typ)
	}
	return c, nil
}

// coerce casts e to typ when its type differs (BIGINT to DOUBLE, NULL to any).
func coerce(e Expr, typ value.Type) Expr {
	switch {
	case e.Type() == typ:
		return e
	case e.Type() == value.Null:
		if _, ok := e.(*Literal); ok {
			return e
		}
	case e.Type() == value.Int && typ == value.Float:
		if lit, ok := e.(*Literal); ok {
			return &Literal{Val: value.FloatValue(float64(lit.Val.I))}
		}
	}
	return &Cast{X: e, To: typ}
}

func (b *builder) bindFunc(n *sqlparser.FuncExpr, allowAgg bool) (Expr, error) {
	if !n.Qualifier.IsEmpty() {
		return nil, b.errAt(ErrUnsupported, n, "qualified function names are not supported")
	}
	raw := n.Name.String()
	name := canonicalFunc(raw)
	var args []sqlparser.Expr
	star := false
	for _, se := range n.Exprs {
		switch a := se.(type) {
		case *sqlparser.StarExpr:
			star = true
		case *sqlparser.AliasedExpr:
			args = append(args, a.Expr)
		default:
			return nil, b.errAt(ErrUnsupported, n, "argument %s is not supported", sqlparser.String(se))
		}
	}
	switch name {
	case strings.ToLower(fnCast), strings.ToLower(fnTryCast):
		return b.bindCast(n, args, name == strings.ToLower(fnTryCast), allowAgg)
	case fnFilter:
		return b.bindFilter(n, args, allowAgg)
	}
	if spec, ok := Aggregate(name); ok {
		return b.bindAgg(n, spec, args, star, allowAgg)
	}
	if ok, _ := windowCall(name); ok && !star {
		return b.bindWindow(n, name, args, false)
	}
	if star {
		return nil, b.errAt(ErrUnsupported, n, "%s(*) is not supported; only count(*) takes *", raw)
	}
	if n.Distinct {
		return nil, b.errAt(ErrUnsupported, n, "DISTINCT is only allowed in aggregates")
	}
	if why, ok := refusedFuncs[name]; ok {
		return nil, b.errAt(ErrUnsupported, n, "%s() is not supported: %s", raw, why)
	}
	if _, ok := ScalarFuncs[name]; !ok {
		e := b.errAt(ErrUnknownFunction, n, "unknown function %s()", raw)
		if s := Suggest(name, knownFunctionNames()); s != "" {
			return nil, e.withHint("did you mean %s()? known functions: %s", s, strings.Join(knownFunctionNames(), ", "))
		}
		return nil, e.withHint("known functions: %s", strings.Join(knownFunctionNames(), ", "))
	}
	return b.bindCall(name, args, n, allowAgg)
}

func (b *builder) bindCall(name string, args []sqlparser.Expr, node sqlparser.SQLNode, allowAgg bool) (Expr, error) {
	bound := make([]Expr, len(args))
	for i, a := range args {
		e, err := b.bind(a, allowAgg)
		if err != nil {
			return nil, err
		}
		bound[i] = e
	}
	return b.typedCall(name, bound, node)
}

func (b *builder) typedCall(name string, args []Expr, node sqlparser.SQLNode) (Expr, error) {
	sig := ScalarFuncs[name]
	if len(args) < sig.MinArgs || (sig.MaxArgs >= 0 && len(args) > sig.MaxArgs) {
		want := strconv.Itoa(sig.MinArgs)
		if sig.MaxArgs < 0 {
			want += " or more"
		} else if sig.MaxArgs != sig.MinArgs {
			want += " to " + strconv.Itoa(sig.MaxArgs)
		}
		return nil, b.errAt(ErrType, node, "%s() takes %s arguments, got %d", name, want, len(args))
	}
	types := make([]value.Type, len(args))
	for i, a := range args {
		types[i] = a.Type()
	}
	typ, err := sig.Result(types)
	if err != nil {
		return nil, b.errAt(ErrType, node, "%s(): %v", name, err)
	}
	switch name {
	case "coalesce", "greatest", "least":
		for i := range args {
			args[i] = coerce(args[i], typ)
		}
	case "round":
		// DuckDB takes the digits as an INTEGER: a constant that does not fit
		// fails before any row is read.
		if len(args) == 2 {
			if lit, ok := args[1].(*Literal); ok && lit.Val.Kind == value.Int && (lit.Val.I < math.MinInt32 || lit.Val.I > math.MaxInt32) {
				return nil, b.errAt(ErrType, node, "round(): %d digits is out of range for INTEGER", lit.Val.I)
			}
		}
	}
	return &Call{Name: name, Args: args, Typ: typ}, nil
}

func (b *builder) bindCast(n *sqlparser.FuncExpr, args []sqlparser.Expr, try bool, allowAgg bool) (Expr, error) {
	typeName := ""
	if len(args) == 2 {
		if v, ok := args[1].(*sqlparser.SQLVal); ok {
			typeName = string(v.Val)
		}
	}
	to, ok := value.ParseType(typeName)
	if !ok {
		return nil, b.errAt(ErrUnsupported, n, "unknown type %q in CAST", typeName).
			withHint("known types: BOOLEAN, BIGINT, DOUBLE, VARCHAR, TIMESTAMP")
	}
	x, err := b.bind(args[0], allowAgg)
	if err != nil {
		return nil, err
	}
	// DuckDB converts between TIMESTAMP and VARCHAR only.
	from := x.Type()
	if (to == value.Timestamp && from != value.String && from != value.Timestamp && from != value.Null) ||
		(from == value.Timestamp && to != value.String && to != value.Timestamp) {
		return nil, b.errAt(ErrType, n, "cannot cast %s to %s", from, to)
	}
	return &Cast{X: x, To: to, Try: try}, nil
}

func (b *builder) bindAgg(n *sqlparser.FuncExpr, spec *AggSpec, args []sqlparser.Expr, star, allowAgg bool) (Expr, error) {
	name := spec.Name
	if !allowAgg {
		return nil, b.errAt(ErrUnsupported, n, "aggregate %s() is not allowed here", name).
			withHint("filter groups with HAVING instead of WHERE")
	}
	if star {
		if name != "count" || len(args) > 0 || n.Distinct {
			return nil, b.errAt(ErrUnsupported, n, "only count(*) takes *")
		}
		return &AggCall{Func: "count", Typ: value.Int, Spec: spec}, nil
	}
	if spec.Fraction {
		if len(args) != 2 {
			return nil, b.errAt(ErrType, n, "%s() takes a value and a fraction, got %d arguments", name, len(args))
		}
	} else if len(args) != 1 {
		return nil, b.errAt(ErrType, n, "%s() takes one argument, got %d", name, len(args))
	}
	arg, err := b.bind(args[0], false)
	if err != nil {
		if e, ok := err.(*Error); ok && strings.Contains(e.Msg, "aggregate") {
			e.Msg = "aggregates cannot be nested: " + e.Msg
		}
		return nil, err
	}
	call := &AggCall{Func: name, Arg: arg, Distinct: n.Distinct, Spec: spec}
	if spec.Fraction {
		if call.Fraction, err = b.fraction(name, args[1]); err != nil {
			return nil, err
		}
	}
	if n.Distinct {
		switch spec.Distinct {
		case DistinctIgnored:
			call.Distinct = false // the same result either way
		case DistinctRefused:
			return nil, b.errAt(ErrUnsupported, n, "%s(DISTINCT ...) is not supported; count, sum and avg take DISTINCT", name)
		}
	}
	t := arg.Type()
	switch spec.Arg {
	case NumericArg:
		if err := b.wantNumeric(arg, args[0], name+"()"); err != nil {
			return nil, err
		}
	case BooleanArg:
		if t != value.Bool && t != value.Null {
			return nil, b.errAt(ErrType, args[0], "%s() needs a BOOLEAN, but %s is %s", name, arg.String(), t).
				withHint("compare it: %s(%s <> 0)", name, arg.String())
		}
	}
	call.Typ = spec.Result(t)
	return call, nil
}

// fraction reads the constant fraction an aggregate such as
// quantile_cont(x, 0.9) takes: a number between 0 and 1.
func (b *builder) fraction(name string, node sqlparser.Expr) (float64, error) {
	e, err := b.bind(node, false)
	if err != nil {
		return 0, err
	}
	lit, ok := e.(*Literal)
	if ok && lit.Val.Kind == value.Int {
		lit = &Literal{Val: value.FloatValue(float64(lit.Val.I))}
	}
	if !ok || lit.Val.Kind != value.Float || !(lit.Val.F >= 0 && lit.Val.F <= 1) {
		return 0, b.errAt(ErrUnsupported, node, "%s() takes a constant fraction between 0 and 1, not %s", name, sqlparser.String(node)).
			withHint("%s(x, 0.5) is the median", name)
	}
	return lit.Val.F, nil
}

// bindFilter binds agg(x) FILTER (WHERE cond), which the rewriter made
// __brook_filter(agg(x), cond), as agg(CASE WHEN cond THEN x END): the rows
// cond does not keep give NULL, which every aggregate skips; COUNT(*)
// becomes COUNT(CASE WHEN cond THEN 1 END). DuckDB's answer is the same.
func (b *builder) bindFilter(n *sqlparser.FuncExpr, args []sqlparser.Expr, allowAgg bool) (Expr, error) {
	if len(args) != 2 {
		return nil, b.errAt(ErrSyntax, n, "FILTER wants (WHERE condition) after an aggregate")
	}
	e, err := b.bind(args[0], allowAgg)
	if err != nil {
		return nil, err
	}
	call, ok := e.(*AggCall)
	if !ok {
		return nil, b.errAt(ErrUnsupported, args[0], "FILTER applies to aggregates only")
	}
	cond, err := b.bind(args[1], false)
	if err != nil {
		return nil, err
	}
	if err := b.wantBool(cond, args[1], "FILTER"); err != nil {
		return nil, err
	}
	then := call.Arg
	if then == nil { // COUNT(*)
		then = &Literal{Val: value.IntValue(1)}
	}
	call.Arg = &Case{Whens: []When{{Cond: cond, Then: then}}, Typ: then.Type()}
	return call, nil
}

func boolLit(v bool) Expr { return &Literal{Val: value.BoolValue(v)} }
