package engine

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"brook/libm"
	"brook/sql"
	"brook/value"
)

// evalFn evaluates a compiled expression over one row. Rows are slots for
// scan-level expressions and [group keys..., aggregate results...] for
// expressions evaluated after aggregation.
type evalFn func(row []value.Value) value.Value

// evalState carries the first runtime error of a batch: evaluation does not
// return errors on the hot path; the batch loop checks err after each row.
//
// Aggregates may be folded on several goroutines at once (groupTable.flush),
// so fail takes a lock; err is read only between such phases.
type evalState struct {
	mu  sync.Mutex
	err error
}

// error returns the first runtime error, if any.
func (s *evalState) error() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *evalState) fail(format string, args ...any) value.Value {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = fmt.Errorf(format, args...)
	}
	return value.NullValue
}

// compiler turns plan expressions into closures.
type compiler struct {
	st         *evalState
	groupWidth int // where aggregate results start in a post-aggregation row
	windowAt   int // where the window start (then end) sits in a post-aggregation row
}

func (c *compiler) compile(e sql.Expr) (evalFn, error) {
	switch e.(type) {
	case *sql.Unary, *sql.Binary, *sql.Case:
		// Known at plan time (NULL = -i, CASE NULL WHEN 1 THEN ...): the
		// operands are never evaluated, as DuckDB folds them away.
		if v, ok := foldedAway(e); ok {
			return func([]value.Value) value.Value { return v }, nil
		}
	}
	switch x := e.(type) {
	case *sql.ColumnRef:
		slot := x.Slot
		return func(row []value.Value) value.Value { return row[slot] }, nil
	case *sql.GroupRef:
		i := x.Index
		return func(row []value.Value) value.Value { return row[i] }, nil
	case *sql.AggRef:
		i := c.groupWidth + x.Index
		return func(row []value.Value) value.Value { return row[i] }, nil
	case *sql.WindowRef:
		i := c.windowAt
		if x.End {
			i++
		}
		return func(row []value.Value) value.Value { return row[i] }, nil
	case *sql.Literal:
		v := x.Val
		return func([]value.Value) value.Value { return v }, nil
	case *sql.Unary:
		return c.unary(x)
	case *sql.Binary:
		return c.binary(x)
	case *sql.In:
		return c.in(x)
	case *sql.Between:
		return c.between(x)
	case *sql.Like:
		return c.like(x)
	case *sql.IsNull:
		f, err := c.compile(x.X)
		if err != nil {
			return nil, err
		}
		not := x.Not
		return func(row []value.Value) value.Value { return value.BoolValue(f(row).IsNull() != not) }, nil
	case *sql.Case:
		return c.caseExpr(x)
	case *sql.Cast:
		f, err := c.compile(x.X)
		if err != nil {
			return nil, err
		}
		to, try, st, text := x.To, x.Try, c.st, x.String()
		return func(row []value.Value) value.Value {
			in := f(row)
			v, ok := Cast(in, to)
			if !ok {
				if try {
					return value.NullValue
				}
				return st.fail("%s: cannot convert %s to %s", text, quoteValue(in), to)
			}
			return v
		}, nil
	case *sql.Call:
		return c.call(x)
	}
	return nil, fmt.Errorf("engine: cannot evaluate %T (%s)", e, e.String())
}

func quoteValue(v value.Value) string {
	if v.Kind == value.String {
		return sql.QuoteString(v.S)
	}
	return v.Format()
}

func (c *compiler) compileAll(es []sql.Expr) ([]evalFn, error) {
	fs := make([]evalFn, len(es))
	for i, e := range es {
		f, err := c.compile(e)
		if err != nil {
			return nil, err
		}
		fs[i] = f
	}
	return fs, nil
}

func (c *compiler) unary(x *sql.Unary) (evalFn, error) {
	f, err := c.compile(x.X)
	if err != nil {
		return nil, err
	}
	if x.Op == "NOT" {
		return func(row []value.Value) value.Value {
			v := f(row)
			if v.IsNull() {
				return v
			}
			return value.BoolValue(v.I == 0)
		}, nil
	}
	if hugeint(x) {
		return func(row []value.Value) value.Value { return hugeNeg(f(row)) }, nil
	}
	st := c.st
	return func(row []value.Value) value.Value {
		v := f(row)
		switch v.Kind {
		case value.Int:
			if v.I == math.MinInt64 {
				return st.fail("BIGINT overflow in -(%d)", v.I)
			}
			v.I = -v.I
		case value.Float:
			v.F = -v.F
		}
		return v
	}, nil
}

func (c *compiler) binary(x *sql.Binary) (evalFn, error) {
	l, err := c.compile(x.L)
	if err != nil {
		return nil, err
	}
	r, err := c.compile(x.R)
	if err != nil {
		return nil, err
	}
	switch x.Op {
	case "AND", "OR":
		return c.logic(x.Op, l, r), nil
	case "=", "<>", "<", "<=", ">", ">=":
		test := compareTest(x.Op)
		return func(row []value.Value) value.Value {
			cmp, ok := value.Compare(l(row), r(row))
			if !ok {
				return value.NullValue
			}
			return value.BoolValue(test(cmp))
		}, nil
	case "||":
		return func(row []value.Value) value.Value {
			a, b := l(row), r(row)
			if a.IsNull() || b.IsNull() {
				return value.NullValue
			}
			return value.StringValue(toText(a) + toText(b))
		}, nil
	}
	if hugeint(x) {
		return c.hugeArith(x.Op, l, r), nil
	}
	f, err := c.arith(x.Op, x.Typ, l, r)
	if err != nil || x.Typ != value.Float {
		return f, err
	}
	return columnsArith(x, f), nil
}

// filterKind is where a condition decides which rows pass; DuckDB 2.0
// evaluates the operands of each differently (see compileFilter).
type filterKind uint8

const (
	whereFilter  filterKind = iota // WHERE, and HAVING conditions on group keys (pushed below the aggregation)
	havingFilter                   // HAVING, evaluated as a WHERE
	whenFilter                     // the WHEN of a searched CASE
)

// compileFilter compiles a condition that decides which rows pass: WHERE,
// HAVING and the WHEN of a searched CASE. DuckDB 2.0 evaluates such a
// condition's AND and OR operands in the order written, the second only
// on the rows the first does not decide, so an operand that would fail on
// a row an earlier operand already decides never fails: x >= 0 AND
// sqrt(x) > 1 never takes the square root of a negative x, while a failing
// first operand fails the query. Elsewhere (see compile) AND and OR
// evaluate both operands, and fail where either fails, as DuckDB does in a
// SELECT list.
//
// x IN (a, b) is such a chain too, x = a OR x = b, in the order written
// (see filterIn). x NOT IN (a, b) evaluates every item. x BETWEEN lo AND
// hi evaluates both bounds in a WHERE or HAVING; in a WHEN it is x >= lo
// AND x <= hi in that order (see filterBetween).
func (c *compiler) compileFilter(e sql.Expr, kind filterKind) (evalFn, error) {
	switch x := e.(type) {
	case *sql.Between:
		if !x.Not && kind == whenFilter {
			return c.filterBetween(x)
		}
	case *sql.In:
		if !x.Not {
			return c.filterIn(x)
		}
	}
	b, ok := e.(*sql.Binary)
	if !ok || (b.Op != "AND" && b.Op != "OR") {
		return c.compile(e)
	}
	l, err := c.compileFilter(b.L, kind)
	if err != nil {
		return nil, err
	}
	r, err := c.compileFilter(b.R, kind)
	if err != nil {
		return nil, err
	}
	return c.sequential(b.Op, l, r), nil
}

// sequential is AND or OR evaluating its operands in order: the second
// only on a row the first does not decide (FALSE for AND, TRUE for OR),
// and not at all once the first has failed.
func (c *compiler) sequential(op string, l, r evalFn) evalFn {
	and := op == "AND"
	st := c.st
	return func(row []value.Value) value.Value {
		before := st.err
		a := l(row)
		if st.err != before || a.Kind == value.Bool && (a.I != 0) != and {
			return a
		}
		b := r(row)
		switch {
		case b.Kind == value.Bool && (b.I != 0) != and:
			return b
		case a.IsNull() || b.IsNull():
			return value.NullValue
		}
		return value.BoolValue(and)
	}
}

// logic is AND or OR with three-valued logic, evaluating both operands
// (a SELECT list; a filter evaluates them in order, see sequential).
func (c *compiler) logic(op string, l, r evalFn) evalFn {
	and := op == "AND"
	return func(row []value.Value) value.Value {
		a, b := l(row), r(row)
		switch {
		case a.Kind == value.Bool && (a.I != 0) != and:
			return a
		case b.Kind == value.Bool && (b.I != 0) != and:
			return b
		case a.IsNull() || b.IsNull():
			return value.NullValue
		}
		return value.BoolValue(and)
	}
}

func compareTest(op string) func(int) bool {
	switch op {
	case "=":
		return func(c int) bool { return c == 0 }
	case "<>":
		return func(c int) bool { return c != 0 }
	case "<":
		return func(c int) bool { return c < 0 }
	case "<=":
		return func(c int) bool { return c <= 0 }
	case ">":
		return func(c int) bool { return c > 0 }
	}
	return func(c int) bool { return c >= 0 }
}

// arith evaluates + - * / % as DuckDB does. BIGINT + - * fail on overflow
// and BIGINT % 0 fails (DuckDB's error_on_division_by_zero, on by
// default); DOUBLE arithmetic (and /, which is always DOUBLE) follows
// IEEE 754, so x / 0 is ±inf or nan and x % 0 is nan.
func (c *compiler) arith(op string, typ value.Type, l, r evalFn) (evalFn, error) {
	st := c.st
	floatOp := func(a, b value.Value) value.Value {
		x, _ := a.AsFloat()
		y, _ := b.AsFloat()
		switch op {
		case "+":
			return value.FloatValue(x + y)
		case "-":
			return value.FloatValue(x - y)
		case "*":
			return value.FloatValue(x * y)
		case "/":
			return value.FloatValue(x / y)
		case "%":
			// C's fmod, as DuckDB's: a remainder by zero is the
			// processor's default NaN (-nan on x86-64), not Go's.
			return value.FloatValue(libm.Fmod(x, y))
		}
		return st.fail("engine: unknown operator %s", op)
	}
	if typ == value.Int {
		return func(row []value.Value) value.Value {
			a, b := l(row), r(row)
			if a.IsNull() || b.IsNull() {
				return value.NullValue
			}
			if a.Kind != value.Int || b.Kind != value.Int {
				return floatOp(a, b) // not reached: the arithmetic of a HUGEINT (the one BIGINT that may be a DOUBLE) is hugeArith
			}
			x, y := a.I, b.I
			switch op {
			case "+":
				s := x + y
				if (s > x) != (y > 0) {
					return st.fail("BIGINT overflow in %d + %d", x, y)
				}
				return value.IntValue(s)
			case "-":
				s := x - y
				if (s < x) != (y > 0) {
					return st.fail("BIGINT overflow in %d - %d", x, y)
				}
				return value.IntValue(s)
			case "*":
				if x != 0 && y != 0 {
					p := x * y
					if p/y != x || (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64) {
						return st.fail("BIGINT overflow in %d * %d", x, y)
					}
					return value.IntValue(p)
				}
				return value.IntValue(0)
			case "%":
				switch {
				case y == 0:
					return st.fail("division by zero in %d %% %d", x, y)
				case y == -1 && x == math.MinInt64:
					return st.fail("BIGINT overflow in %d %% %d", x, y)
				case y == -1:
					return value.IntValue(0)
				}
				return value.IntValue(x % y)
			}
			return st.fail("engine: unknown operator %s", op)
		}, nil
	}
	if op == "+" || op == "-" || op == "*" { // the hot paths, without the operator switch
		return func(row []value.Value) value.Value {
			a, b := l(row), r(row)
			if a.Kind != value.Float || b.Kind != value.Float {
				if a.IsNull() || b.IsNull() {
					return value.NullValue
				}
				return floatOp(a, b)
			}
			switch op {
			case "+":
				return value.Value{Kind: value.Float, F: a.F + b.F}
			case "-":
				return value.Value{Kind: value.Float, F: a.F - b.F}
			}
			return value.Value{Kind: value.Float, F: a.F * b.F}
		}, nil
	}
	return func(row []value.Value) value.Value {
		a, b := l(row), r(row)
		if a.IsNull() || b.IsNull() {
			return value.NullValue
		}
		return floatOp(a, b)
	}, nil
}

// columnsArith is the hot path of DOUBLE arithmetic on two columns, as in
// srcbytes + dstbytes: two DOUBLEs are read in place and added, subtracted
// or multiplied with no call; anything else goes to general, the
// expression compiled the general way.
func columnsArith(x *sql.Binary, general evalFn) evalFn {
	lr, lok := x.L.(*sql.ColumnRef)
	rr, rok := x.R.(*sql.ColumnRef)
	if !lok || !rok {
		return general
	}
	ls, rs := lr.Slot, rr.Slot
	switch x.Op {
	case "+":
		return func(row []value.Value) value.Value {
			if a, b := &row[ls], &row[rs]; a.Kind == value.Float && b.Kind == value.Float {
				return value.Value{Kind: value.Float, F: a.F + b.F}
			}
			return general(row)
		}
	case "-":
		return func(row []value.Value) value.Value {
			if a, b := &row[ls], &row[rs]; a.Kind == value.Float && b.Kind == value.Float {
				return value.Value{Kind: value.Float, F: a.F - b.F}
			}
			return general(row)
		}
	case "*":
		return func(row []value.Value) value.Value {
			if a, b := &row[ls], &row[rs]; a.Kind == value.Float && b.Kind == value.Float {
				return value.Value{Kind: value.Float, F: a.F * b.F}
			}
			return general(row)
		}
	}
	return general
}

// inAsDouble reports whether x IN (list) compares a BIGINT x with BIGINT
// items as DOUBLEs. DuckDB casts x and every item of an IN list to their
// common type: with a BIGINT x and a list of numbers, BIGINT (exact) unless
// some item is a DOUBLE, and then DOUBLE, for every item. (A list with a
// string item is rendered for DuckDB as a chain of equalities, each with
// the types of its own operands, as value.Compare compares them.)
func inAsDouble(x *sql.In) bool {
	if x.X.Type() != value.Int {
		return false
	}
	double := false
	for _, item := range x.List {
		switch item.Type() {
		case value.Float:
			double = true
		case value.Int, value.Null:
		default:
			return false
		}
	}
	return double
}

// inCompare compares x's value with an item's, as x IN (list) does (see
// inAsDouble).
func inCompare(v, item value.Value, asDouble bool) (int, bool) {
	if asDouble && v.Kind == value.Int && item.Kind == value.Int {
		return value.Compare(value.FloatValue(float64(v.I)), value.FloatValue(float64(item.I)))
	}
	return value.Compare(v, item)
}

// in evaluates x [NOT] IN (items) as a value (in a SELECT list, say): every
// item is evaluated, as DuckDB does there. A filter short-circuits instead
// (see filterIn).
func (c *compiler) in(x *sql.In) (evalFn, error) {
	if v, ok := folded(x.X); ok && v.IsNull() {
		// NULL [NOT] IN (...) is NULL: DuckDB 2.0 folds it, and never
		// evaluates the items.
		return func([]value.Value) value.Value { return value.NullValue }, nil
	}
	f, err := c.compile(x.X)
	if err != nil {
		return nil, err
	}
	items, err := c.compileAll(x.List)
	if err != nil {
		return nil, err
	}
	not := x.Not
	if fast := inConstNumbers(x, f); fast != nil {
		return fast, nil
	}
	vals := make([]value.Value, len(items))
	asDouble := inAsDouble(x)
	return func(row []value.Value) value.Value {
		v := f(row)
		for i, item := range items {
			vals[i] = item(row)
		}
		if v.IsNull() {
			return value.NullValue
		}
		sawNull := false
		for _, item := range vals {
			cmp, ok := inCompare(v, item, asDouble)
			if !ok {
				sawNull = true
				continue
			}
			if cmp == 0 {
				return value.BoolValue(!not)
			}
		}
		if sawNull {
			return value.NullValue
		}
		return value.BoolValue(not)
	}, nil
}

// inConstNumbers is the hot path of x IN (443, 8000): a list of non-NULL
// numeric constants. x is converted to a number once, not once per item; a
// string that is not a number makes the result NULL, as every comparison
// would be. It returns nil when the list does not qualify.
func inConstNumbers(x *sql.In, f evalFn) evalFn {
	test := numberListTest(x)
	if test == nil {
		return nil
	}
	result := func(v *value.Value) value.Value {
		switch test(v) {
		case inYes:
			return value.BoolValue(!x.Not)
		case inNo:
			return value.BoolValue(x.Not)
		}
		return value.NullValue
	}
	if ref, ok := x.X.(*sql.ColumnRef); ok { // the usual col IN (...): no call to fetch it
		slot := ref.Slot
		return func(row []value.Value) value.Value { return result(&row[slot]) }
	}
	return func(row []value.Value) value.Value {
		v := f(row)
		return result(&v)
	}
}

// inNumbersFilter is inConstNumbers for col [NOT] IN (numbers) as a filter
// (NULL keeps no row), with no value built per row: the decoders' WHERE
// for such queries (see Query.PushdownFilter). nil when x does not qualify.
func inNumbersFilter(x *sql.In) func(row []value.Value) bool {
	ref, ok := x.X.(*sql.ColumnRef)
	test := numberListTest(x)
	if !ok || test == nil {
		return nil
	}
	slot, want := ref.Slot, inYes
	if x.Not {
		want = inNo
	}
	return func(row []value.Value) bool { return test(&row[slot]) == want }
}

// inOutcome is whether x IN (list) holds for a value: yes, no, or NULL.
type inOutcome uint8

const (
	inNull inOutcome = iota
	inYes
	inNo
)

// numberListTest returns the membership test of x's list of non-NULL
// numeric constants (NOT aside), or nil when the list does not qualify.
// A BIGINT x is looked up exactly among BIGINT items, and as a DOUBLE when
// some item is a DOUBLE (see inAsDouble); any other x as a DOUBLE.
func numberListTest(x *sql.In) func(v *value.Value) inOutcome {
	set := make(map[float64]bool, len(x.List))
	ints := make(map[int64]bool, len(x.List))
	for _, item := range x.List {
		lit, ok := item.(*sql.Literal)
		if !ok || !lit.Val.Kind.Numeric() {
			return nil
		}
		n, _ := lit.Val.AsFloat()
		if n != n { // NaN: leave it to the general path
			return nil
		}
		set[n] = true
		if lit.Val.Kind == value.Int {
			ints[lit.Val.I] = true
		}
	}
	switch x.X.Type() {
	case value.Int, value.Float, value.String:
	default:
		return nil
	}
	exact := x.X.Type() == value.Int && !inAsDouble(x) // every item is a BIGINT
	// A short list is searched in a slice: cheaper than hashing.
	var small []float64
	var smallInts []int64
	if len(set) <= 8 {
		for n := range set {
			small = append(small, n)
		}
		for i := range ints {
			smallInts = append(smallInts, i)
		}
	}
	return func(v *value.Value) inOutcome {
		switch {
		case v.Kind == value.Null:
			return inNull
		case v.Kind == value.Int && exact:
			if small != nil {
				if slices.Contains(smallInts, v.I) {
					return inYes
				}
				return inNo
			}
			if ints[v.I] {
				return inYes
			}
			return inNo
		case v.Kind == value.String && !value.MayBeNumber(v.S):
			return inNull // not a number: every comparison is NULL
		}
		n, ok := v.AsFloat()
		if !ok {
			return inNull
		}
		if small != nil {
			if slices.Contains(small, n) {
				return inYes
			}
			return inNo
		}
		if set[n] {
			return inYes
		}
		return inNo
	}
}

// between evaluates x [NOT] BETWEEN lo AND hi as a value: every operand is
// evaluated. A filter short-circuits instead (see filterBetween).
func (c *compiler) between(x *sql.Between) (evalFn, error) {
	fs, err := c.compileAll([]sql.Expr{x.X, x.Lo, x.Hi})
	if err != nil {
		return nil, err
	}
	not := x.Not
	return func(row []value.Value) value.Value {
		v := fs[0](row)
		lo, lok := value.Compare(v, fs[1](row))
		hi, hok := value.Compare(v, fs[2](row))
		// x BETWEEN a AND b is x >= a AND x <= b, with three-valued logic.
		if (lok && lo < 0) || (hok && hi > 0) {
			return value.BoolValue(not)
		}
		if !lok || !hok {
			return value.NullValue
		}
		return value.BoolValue(!not)
	}, nil
}

func (c *compiler) like(x *sql.Like) (evalFn, error) {
	f, err := c.compile(x.X)
	if err != nil {
		return nil, err
	}
	not := x.Not
	if lit, ok := x.Pattern.(*sql.Literal); ok && lit.Val.Kind == value.String {
		m := compileLike(lit.Val.S)
		return func(row []value.Value) value.Value {
			v := f(row)
			if v.IsNull() {
				return v
			}
			return value.BoolValue(m(v.S) != not)
		}, nil
	}
	p, err := c.compile(x.Pattern)
	if err != nil {
		return nil, err
	}
	return func(row []value.Value) value.Value {
		v, pat := f(row), p(row)
		if v.IsNull() || pat.IsNull() {
			return value.NullValue
		}
		return value.BoolValue(likeMatch(v.S, pat.S) != not)
	}, nil
}

func (c *compiler) caseExpr(x *sql.Case) (evalFn, error) {
	var operand evalFn
	if x.Operand != nil {
		f, err := c.compile(x.Operand)
		if err != nil {
			return nil, err
		}
		operand = f
	}
	conds := make([]evalFn, len(x.Whens))
	thens := make([]evalFn, len(x.Whens))
	for i, w := range x.Whens {
		var err error
		cond := c.compile
		if x.Operand == nil {
			cond = func(e sql.Expr) (evalFn, error) { return c.compileFilter(e, whenFilter) }
		}
		if conds[i], err = cond(w.Cond); err != nil {
			return nil, err
		}
		if thens[i], err = c.compile(w.Then); err != nil {
			return nil, err
		}
	}
	elseFn := func([]value.Value) value.Value { return value.NullValue }
	if x.Else != nil {
		f, err := c.compile(x.Else)
		if err != nil {
			return nil, err
		}
		elseFn = f
	}
	if f := literalCase(x, operand, thens, elseFn); f != nil {
		return f, nil
	}
	return func(row []value.Value) value.Value {
		if operand != nil {
			v := operand(row)
			for i, cond := range conds {
				if cmp, ok := value.Compare(v, cond(row)); ok && cmp == 0 {
					return thens[i](row)
				}
			}
			return elseFn(row)
		}
		for i, cond := range conds {
			if cond(row).True() {
				return thens[i](row)
			}
		}
		return elseFn(row)
	}, nil
}

// literalCase returns, for a simple CASE whose WHEN values are non-NULL
// literals and whose results are literals (CASE protocol WHEN 6 THEN 'TCP'
// ... END), an evaluation with the literals' values taken once: a DOUBLE
// operand is matched against numeric WHEN values as numbers, anything
// else through value.Compare as the general path does. It returns nil for
// other CASE expressions.
func literalCase(x *sql.Case, operand evalFn, thens []evalFn, elseFn evalFn) evalFn {
	if operand == nil {
		return nil
	}
	whens := make([]value.Value, len(x.Whens))
	nums := make([]float64, len(x.Whens)) // the WHEN values as numbers, when all are
	numeric := true
	for i, w := range x.Whens {
		lit, ok := w.Cond.(*sql.Literal)
		if !ok || lit.Val.IsNull() {
			return nil
		}
		if _, ok := w.Then.(*sql.Literal); !ok {
			return nil
		}
		whens[i] = lit.Val
		n, ok := lit.Val.AsFloat()
		if !ok || n != n || !lit.Val.Kind.Numeric() || (lit.Val.Kind == value.Int && (lit.Val.I > 1<<53 || lit.Val.I < -(1<<53))) {
			numeric = false
		}
		nums[i] = n
	}
	if _, ok := x.Else.(*sql.Literal); x.Else != nil && !ok {
		return nil
	}
	results := make([]value.Value, len(thens))
	for i, f := range thens {
		results[i] = f(nil)
	}
	other := elseFn(nil)
	return func(row []value.Value) value.Value {
		v := operand(row)
		if numeric && v.Kind == value.Float {
			for i, n := range nums {
				if v.F == n {
					return results[i]
				}
			}
			return other
		}
		for i, w := range whens {
			if cmp, ok := value.Compare(v, w); ok && cmp == 0 {
				return results[i]
			}
		}
		return other
	}
}

// toText renders a value as DuckDB's cast to VARCHAR does.
func toText(v value.Value) string {
	if v.Kind == value.String {
		return v.S
	}
	return v.Format()
}

// Cast converts v to type to with DuckDB's rules; ok is false when the value
// does not convert (TRY_CAST gives NULL, CAST an error). NULL casts to NULL.
// A VARCHAR converts as value.ParseNumber, ParseBigint, ParseBool and
// ParseTimestamp read it; a DOUBLE converts to BIGINT rounding halves to
// even, and fails outside BIGINT's range or on nan and inf. Casts between
// TIMESTAMP and the numbers or BOOLEAN are refused by the planner, as DuckDB
// refuses them. A HUGEINT beyond BIGINT does not convert to BIGINT.
func Cast(v value.Value, to value.Type) (value.Value, bool) {
	if v.IsNull() || v.Kind == to {
		return v, true
	}
	switch to {
	case value.String:
		return value.StringValue(toText(v)), true
	case value.Float:
		switch v.Kind {
		case value.Int, value.Bool:
			return value.FloatValue(float64(v.I)), true
		case value.Huge:
			f, _ := v.AsFloat()
			return value.FloatValue(f), true
		case value.String:
			f, ok := value.ParseNumber(v.S)
			if !ok {
				return value.NullValue, false
			}
			return value.FloatValue(f), true
		}
	case value.Int:
		switch v.Kind {
		case value.Float:
			if !(v.F >= -9.223372036854775808e18 && v.F < 9.223372036854775808e18) {
				return value.NullValue, false
			}
			return value.IntValue(int64(value.RoundHalfEven(v.F))), true
		case value.Bool:
			return value.IntValue(v.I), true
		case value.String:
			n, ok := value.ParseBigint(v.S)
			if !ok {
				return value.NullValue, false
			}
			return value.IntValue(n), true
		}
	case value.Bool:
		switch v.Kind {
		case value.Int:
			return value.BoolValue(v.I != 0), true
		case value.Float:
			return value.BoolValue(v.F != 0), true
		case value.Huge: // never zero
			return value.BoolValue(true), true
		case value.String:
			b, ok := value.ParseBool(v.S)
			if !ok {
				return value.NullValue, false
			}
			return value.BoolValue(b), true
		}
	case value.Timestamp:
		if v.Kind == value.String {
			t, ok := value.ParseTimestamp(v.S)
			if !ok {
				return value.NullValue, false
			}
			return value.TimestampValue(t), true
		}
	}
	return value.NullValue, false
}

// filterBetween compiles x BETWEEN lo AND hi as the WHEN of a searched
// CASE: x >= lo AND x <= hi, in that order, as DuckDB 2.0 evaluates it
// there. The second comparison is evaluated only on a row the first keeps
// (TRUE), so a bound that would fail on a row the first comparison rejects
// (FALSE or NULL) is never evaluated there.
func (c *compiler) filterBetween(x *sql.Between) (evalFn, error) {
	fs, err := c.compileAll([]sql.Expr{x.X, x.Lo, x.Hi})
	if err != nil {
		return nil, err
	}
	order := []int{0, 1}
	bounds := []sql.Expr{x.Lo, x.Hi}
	if first := bounds[order[0]]; nullSide(x.X, first) || nullSide(first, x.X) {
		return func([]value.Value) value.Value { return value.NullValue }, nil
	}
	holds := [2]func(int) bool{
		func(c int) bool { return c >= 0 }, // x >= lo
		func(c int) bool { return c <= 0 }, // x <= hi
	}
	st := c.st
	return func(row []value.Value) value.Value {
		before := st.err
		v := fs[0](row)
		for _, i := range order {
			cmp, ok := value.Compare(v, fs[1+i](row))
			if st.err != before {
				return value.NullValue
			}
			if !ok {
				return value.NullValue
			}
			if !holds[i](cmp) {
				return value.BoolValue(false)
			}
		}
		return value.BoolValue(true)
	}, nil
}

// filterIn compiles x IN (items) as a filter, as DuckDB 2.0 evaluates it
// in a WHERE, HAVING or WHEN: x IN (a, b) as x = a OR x = b, in the order
// written. An item is evaluated only while the chain is undecided: IN
// stops at the first item equal to x (TRUE), so an item after it never
// fails. (A NOT IN is compiled as a value: DuckDB evaluates all its items.)
func (c *compiler) filterIn(x *sql.In) (evalFn, error) {
	if v, ok := folded(x.X); ok && v.IsNull() {
		return c.in(x)
	}
	f, err := c.compile(x.X)
	if err != nil {
		return nil, err
	}
	items, err := c.compileAll(x.List)
	if err != nil {
		return nil, err
	}
	if fast := inConstNumbers(x, f); fast != nil {
		return fast, nil // constant items: none can fail
	}
	order := make([]int, len(x.List))
	for i := range order {
		order[i] = i
	}
	not, asDouble, st := x.Not, inAsDouble(x), c.st
	if not {
		for _, item := range x.List {
			if nullSide(x.X, item) || nullSide(item, x.X) {
				// AND with NULL: never TRUE, but DuckDB still computes
				// x and every item, and fails where they fail.
				return func(row []value.Value) value.Value {
					f(row)
					for _, item := range items {
						item(row)
					}
					return value.NullValue
				}, nil
			}
		}
	}
	return func(row []value.Value) value.Value {
		before := st.err
		v := f(row)
		sawNull := v.IsNull()
		for _, i := range order {
			item := items[i](row)
			if st.err != before {
				return value.NullValue
			}
			cmp, ok := inCompare(v, item, asDouble)
			switch {
			case !ok && not:
				return value.NullValue
			case !ok:
				sawNull = true
			case cmp == 0:
				return value.BoolValue(!not)
			}
		}
		if sawNull {
			return value.NullValue
		}
		return value.BoolValue(not)
	}, nil
}
