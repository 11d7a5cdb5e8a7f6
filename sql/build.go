package sql

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/xwb1989/sqlparser"

	"brook/value"
)

// Catalog resolves the table named in FROM to the schema of the source bound
// to it.
type Catalog interface {
	// Schema returns the schema of table. It is called at most once per Build.
	Schema(table string) (value.Schema, error)
	// Tables lists the bound table names, for error messages.
	Tables() []string
}

// Build parses query and plans it against cat. Errors are *Error values,
// positioned in query, except errors returned by cat.Schema, which are
// wrapped.
func Build(query string, cat Catalog) (*Plan, error) {
	rw, perr := rewrite(query)
	if perr != nil {
		return nil, perr
	}
	toks, _ := lex(query)
	b := &builder{src: query, toks: toks, slots: map[int]int{}, nullsFirst: rw.nullsFirst}
	first := b.firstWord()
	if first == nil {
		return nil, newError(ErrSyntax, query, len(query), "empty query").withHint("write a SELECT statement")
	}
	if !first.is("select") && !first.is("with") {
		return nil, newError(ErrUnsupported, query, first.start, "only SELECT queries can be streamed, not %s", strings.ToUpper(first.text))
	}
	stmt, err := sqlparser.Parse(rw.text)
	if err != nil {
		return nil, b.syntaxError(rw, err)
	}
	sel, ok := stmt.(*sqlparser.Select)
	if !ok {
		return nil, newError(ErrUnsupported, query, first.start, "%s is not supported; write a single SELECT", strings.ToUpper(strings.Fields(sqlparser.String(stmt))[0])).
			withHint("UNION and other compound statements cannot be streamed yet")
	}
	return b.build(sel, cat)
}

type builder struct {
	src     string
	toks    []token
	table   string
	alias   string
	schema  value.Schema
	slots   map[int]int // schema index -> slot
	columns []int       // slot -> schema index

	selNames []string
	selExprs []Expr // bound SELECT items, possibly holding *AggCall
	groupBy  []Expr
	aggs     []*AggCall
	window   *Window // the event-time window of GROUP BY, if any
	// nullsFirst is the rewriter's explicit NULLS FIRST/LAST by ORDER BY
	// item.
	nullsFirst map[int]bool
	// inHaving is set while HAVING is bound: its names may be SELECT
	// aliases (see selectAlias).
	inHaving bool
	// clauseAt is where the clause being bound starts in the text (0: the
	// SELECT list, or not known): see posInClause.
	clauseAt int
	// derived is the subquery in FROM the query reads, when it reads one
	// (see bindDerived); nil when it reads a source by name.
	derived *derivedTable
}

// derivedTable is a subquery in FROM that filters a source's rows and
// computes columns: FROM (SELECT srcdevice, srcbytes * 8 AS bits FROM
// flows WHERE protocol = 6) AS f. The outer query reads its columns as
// their expressions over the source, and its WHERE holds too: the plan is
// the one of the query written without the subquery, which the stream and
// DuckDB both run.
type derivedTable struct {
	names []string
	exprs []Expr
	where Expr
}

// itemName is the name of a SELECT item: its alias, else the column it
// reads, else its text.
func itemName(it *sqlparser.AliasedExpr, e Expr) string {
	if name := it.As.String(); name != "" {
		return name
	}
	if col, ok := it.Expr.(*sqlparser.ColName); ok {
		return col.Name.String()
	}
	return e.String()
}

// isColumn reports whether name is a column of what the query reads: the
// source's, or the subquery's in FROM.
func (b *builder) isColumn(name string) bool {
	if b.derived != nil {
		return b.derivedColumn(name) >= 0
	}
	_, ok := b.schema.Lookup(name)
	return ok
}

func (b *builder) derivedColumn(name string) int {
	for i, n := range b.derived.names {
		if strings.EqualFold(n, name) {
			return i
		}
	}
	return -1
}

// bindDerived binds the subquery of FROM (SELECT ... FROM source [WHERE
// ...]) AS alias: it may filter and compute columns, not aggregate, sort
// or limit (its rows would then depend on all the others).
func (b *builder) bindDerived(ate *sqlparser.AliasedTableExpr, sub *sqlparser.Subquery, cat Catalog) error {
	in, ok := sub.Select.(*sqlparser.Select)
	if !ok {
		return b.errAt(ErrUnsupported, ate, "a subquery in FROM must be one SELECT (UNION is not supported)")
	}
	refuse := func(what string) error {
		return b.errAt(ErrUnsupported, ate, "a subquery in FROM may filter rows and compute columns, not %s", what).
			withHint("write the %s in the outer query", what)
	}
	switch {
	case len(in.GroupBy) > 0 || in.Having != nil:
		return refuse("GROUP BY")
	case in.Distinct != "":
		return refuse("DISTINCT")
	case len(in.OrderBy) > 0 || in.Limit != nil:
		return refuse("ORDER BY or LIMIT")
	}
	if err := b.bindFrom(in, cat); err != nil {
		return err
	}
	if b.derived != nil {
		return newError(ErrUnsupported, b.src, b.posOfWord("from"), "a subquery in FROM reads a source by name: subqueries (and WITH names) nest one level deep")
	}
	d := &derivedTable{}
	for _, item := range in.SelectExprs {
		switch it := item.(type) {
		case *sqlparser.StarExpr:
			for i, c := range b.schema {
				d.names = append(d.names, c.Name)
				d.exprs = append(d.exprs, b.columnRef(i))
			}
		case *sqlparser.AliasedExpr:
			e, err := b.bind(it.Expr, true)
			if err != nil {
				return err
			}
			if containsAgg(e) {
				return refuse("aggregate")
			}
			name := itemName(it, e)
			d.names = append(d.names, name)
			d.exprs = append(d.exprs, e)
		default:
			return b.errAt(ErrUnsupported, ate, "unsupported item in the subquery's SELECT list")
		}
	}
	if in.Where != nil {
		e, err := b.bind(in.Where.Expr, false)
		if err != nil {
			return err
		}
		if err := b.wantBool(e, in.Where.Expr, "WHERE"); err != nil {
			return err
		}
		d.where = e
	}
	b.derived = d
	b.alias = ate.As.String()
	return nil
}

func (b *builder) firstWord() *token {
	for i := range b.toks {
		if b.toks[i].kind != tokSpace {
			return &b.toks[i]
		}
	}
	return nil
}

// syntaxError turns the parser's "at position N near 'x'" into a positioned
// *Error in the original text.
func (b *builder) syntaxError(rw *rewritten, err error) *Error {
	msg := err.Error()
	pos := len(b.src)
	near := ""
	if i := strings.Index(msg, " at position "); i >= 0 {
		rest := msg[i+len(" at position "):]
		numEnd := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
		if numEnd < 0 {
			numEnd = len(rest)
		}
		n, _ := strconv.Atoi(rest[:numEnd])
		if j := strings.Index(rest, "near '"); j >= 0 {
			near = strings.TrimSuffix(rest[j+len("near '"):], "'")
		}
		out := n - 1 - len(near)
		if out < 0 {
			out = 0
		}
		pos = rw.original(out)
		msg = msg[:i]
	}
	e := newError(ErrSyntax, b.src, pos, "%s", msg)
	if fromSubquery.MatchString(b.src) {
		e.Hint = "a subquery in FROM takes an alias here: FROM (SELECT ...) AS f"
	}
	if strings.TrimSpace(b.src[min(pos, len(b.src)):]) == "" {
		e.Msg = msg + ": unexpected end of query"
	} else if near != "" {
		e.Msg = fmt.Sprintf("%s near %q", msg, b.tokenAt(pos))
		if columnLikeKeywords[strings.ToLower(near)] {
			e.Hint = fmt.Sprintf("if %s is a column, quote it: \"%s\"", near, near)
		}
	}
	return e
}

// fromSubquery finds a subquery in FROM, which the SQL grammar brook parses
// rejects as a syntax error when it has no alias.
var fromSubquery = regexp.MustCompile(`(?i)\bfrom\s*\(\s*select\b`)

// columnLikeKeywords are reserved words that are also plausible field names;
// a syntax error at one of them hints at quoting.
var columnLikeKeywords = map[string]bool{
	"key": true, "type": true, "start": true, "end": true, "values": true, "date": true,
	"timestamp": true, "interval": true, "left": true, "right": true, "index": true,
	"table": true, "schema": true, "database": true, "default": true, "div": true, "mod": true,
	"status": true, "order": true, "group": true, "column": true, "range": true, "year": true,
}

func (b *builder) tokenAt(pos int) string {
	for _, t := range b.toks {
		if t.start <= pos && pos < t.end {
			return t.text
		}
	}
	return "end of input"
}

// posOfWord returns the offset of the first word or quoted identifier spelled
// name (ignoring case), or -1.
func (b *builder) posOfWord(name string) int {
	for _, t := range b.toks {
		if (t.kind == tokWord && strings.EqualFold(t.text, name)) || (t.kind == tokIdent && strings.EqualFold(t.value, name)) {
			return t.start
		}
	}
	return -1
}

// posInClause is posOfWord, looking first in the clause being bound (from
// clauseAt): the dstport of "WHERE ... dstport + 1 > 2" is the one in
// WHERE, not the one in the SELECT list.
func (b *builder) posInClause(name string) int {
	if b.clauseAt > 0 {
		if p := b.posOfWordAfter(name, b.clauseAt); p >= 0 {
			return p
		}
	}
	return b.posOfWord(name)
}

// posOfWordAfter is posOfWord for the words at or after offset from.
func (b *builder) posOfWordAfter(name string, from int) int {
	for _, t := range b.toks {
		if t.start >= from && ((t.kind == tokWord && strings.EqualFold(t.text, name)) || (t.kind == tokIdent && strings.EqualFold(t.value, name))) {
			return t.start
		}
	}
	return -1
}

// posOf finds where node starts in the original text, as well as a node
// without positions allows: by its first identifier, function name or
// literal.
func (b *builder) posOf(node sqlparser.SQLNode) int {
	pos := -1
	_ = sqlparser.Walk(func(n sqlparser.SQLNode) (bool, error) {
		if pos >= 0 {
			return false, nil
		}
		switch x := n.(type) {
		case *sqlparser.ColName:
			pos = b.posInClause(x.Name.String())
		case *sqlparser.FuncExpr:
			name := x.Name.String()
			switch name {
			case fnCast:
				name = "cast"
			case fnTryCast:
				name = "try_cast"
			case fnSubstr:
				name = "substr"
				if p := b.posOfWord("substring"); p >= 0 {
					pos = p
					return false, nil
				}
			}
			pos = b.posInClause(name)
		case *sqlparser.SQLVal:
			// a string literal is a string token of that content (the
			// empty string too), any other literal a word of that text
			str := x.Type == sqlparser.StrVal
			for _, from := range []int{b.clauseAt, 0} {
				for _, t := range b.toks {
					if t.start >= from && ((str && t.kind == tokString && t.value == string(x.Val)) || (!str && t.kind == tokWord && t.text == string(x.Val))) {
						pos = t.start
						break
					}
				}
				if pos >= 0 {
					break
				}
			}
			if pos < 0 {
				for _, t := range b.toks {
					if (t.kind == tokWord || t.kind == tokString) && (t.text == string(x.Val) || t.value == string(x.Val)) {
						pos = t.start
						break
					}
				}
			}
		}
		return pos < 0, nil
	}, node)
	return pos
}

func (b *builder) errAt(kind error, node sqlparser.SQLNode, format string, args ...any) *Error {
	return newError(kind, b.src, b.posOf(node), format, args...)
}

// selectedWindow returns the window call a GROUP BY item names by the
// alias or the ordinal of a SELECT item (GROUP BY w for SELECT TUMBLE(time,
// 10) AS w, GROUP BY 1), nil for any other item. A column of the table
// wins over an alias, as in DuckDB.
func (b *builder) selectedWindow(sel *sqlparser.Select, g sqlparser.Expr) *sqlparser.FuncExpr {
	var item *sqlparser.AliasedExpr
	switch x := g.(type) {
	case *sqlparser.ColName:
		if !x.Qualifier.IsEmpty() {
			return nil
		}
		name := x.Name.String()
		if b.isColumn(name) {
			return nil
		}
		for _, se := range sel.SelectExprs {
			if a, ok := se.(*sqlparser.AliasedExpr); ok && !a.As.IsEmpty() && strings.EqualFold(a.As.String(), name) {
				item = a
				break
			}
		}
	case *sqlparser.SQLVal:
		if x.Type != sqlparser.IntVal {
			return nil
		}
		n, err := strconv.Atoi(string(x.Val))
		if err != nil || n < 1 || n > len(sel.SelectExprs) {
			return nil
		}
		item, _ = sel.SelectExprs[n-1].(*sqlparser.AliasedExpr)
	}
	if item == nil {
		return nil
	}
	f, ok := item.Expr.(*sqlparser.FuncExpr)
	if !ok {
		return nil
	}
	if ok, end := windowCall(canonicalFunc(f.Name.String())); !ok || end {
		return nil
	}
	return f
}

func (b *builder) build(sel *sqlparser.Select, cat Catalog) (*Plan, error) {
	if err := b.bindFrom(sel, cat); err != nil {
		return nil, err
	}
	if sel.Distinct != "" && strings.Contains(sel.Distinct, "straight_join") {
		return nil, newError(ErrUnsupported, b.src, b.posOfWord("straight_join"), "STRAIGHT_JOIN is not supported")
	}
	// The window in GROUP BY first: SELECT may refer to its start and end.
	// A GROUP BY item may name it by the SELECT item's alias or ordinal.
	for i, g := range sel.GroupBy {
		if f := b.selectedWindow(sel, g); f != nil {
			sel.GroupBy[i] = f
		}
	}
	windowItems := map[int]bool{}
	for i, g := range sel.GroupBy {
		if f, ok := g.(*sqlparser.FuncExpr); ok {
			if ok, end := windowCall(canonicalFunc(f.Name.String())); ok && !end {
				var args []sqlparser.Expr
				for _, se := range f.Exprs {
					if a, ok := se.(*sqlparser.AliasedExpr); ok {
						args = append(args, a.Expr)
					}
				}
				if _, err := b.bindWindow(f, canonicalFunc(f.Name.String()), args, true); err != nil {
					return nil, err
				}
				windowItems[i] = true
			}
		}
	}
	// SELECT list.
	for _, item := range sel.SelectExprs {
		switch it := item.(type) {
		case *sqlparser.StarExpr:
			if !it.TableName.IsEmpty() && !b.isOurTable(it.TableName.Name.String()) {
				return nil, newError(ErrUnknownTable, b.src, b.posOfWord(it.TableName.Name.String()), "unknown table %q in %s.*", it.TableName.Name.String(), it.TableName.Name.String())
			}
			if d := b.derived; d != nil {
				b.selNames = append(b.selNames, d.names...)
				b.selExprs = append(b.selExprs, d.exprs...)
				continue
			}
			for i, c := range b.schema {
				b.selNames = append(b.selNames, c.Name)
				b.selExprs = append(b.selExprs, b.columnRef(i))
			}
		case *sqlparser.AliasedExpr:
			e, err := b.bind(it.Expr, true)
			if err != nil {
				return nil, err
			}
			name := itemName(it, e)
			b.selNames = append(b.selNames, name)
			b.selExprs = append(b.selExprs, e)
		default:
			return nil, b.errAt(ErrUnsupported, item, "%s is not supported in SELECT", sqlparser.String(item))
		}
	}
	// GROUP BY: ordinals, aliases, expressions, or ALL.
	for i, g := range sel.GroupBy {
		if windowItems[i] {
			continue
		}
		if f, ok := g.(*sqlparser.FuncExpr); ok && f.Name.String() == fnGroupAll {
			if len(sel.GroupBy) > 1 {
				return nil, newError(ErrSyntax, b.src, b.groupAllPos(), "GROUP BY ALL takes no other keys").
					withHint("write GROUP BY ALL alone, or list the keys")
			}
			b.groupByAll()
			continue
		}
		e, err := b.bindRef(g, false, "GROUP BY")
		if err != nil {
			return nil, err
		}
		if _, ok := e.(*WindowRef); ok {
			continue // a SELECT alias or ordinal naming the window
		}
		if containsAgg(e) {
			return nil, b.errAt(ErrUnsupported, g, "GROUP BY %s holds an aggregate", sqlparser.String(g))
		}
		if b.groupIndex(e) < 0 {
			b.groupBy = append(b.groupBy, e)
		}
	}
	var having Expr
	if sel.Having != nil {
		b.inHaving = true
		e, err := b.bindRef(sel.Having.Expr, true, "HAVING")
		b.inHaving = false
		if err != nil {
			return nil, err
		}
		if err := b.wantBool(e, sel.Having.Expr, "HAVING"); err != nil {
			return nil, err
		}
		having = e
	}
	var order []OrderKey
	for i, o := range sel.OrderBy {
		e, err := b.bindRef(o.Expr, true, "ORDER BY")
		if err != nil {
			return nil, err
		}
		// NULLS LAST unless the item says otherwise, in either direction,
		// as DuckDB's default_null_order 'nulls_last'.
		order = append(order, OrderKey{Expr: e, Desc: o.Direction == sqlparser.DescScr, NullsFirst: b.nullsFirst[i]})
	}
	hasAgg := having != nil
	for _, e := range b.selExprs {
		hasAgg = hasAgg || containsAgg(e)
	}
	for _, k := range order {
		hasAgg = hasAgg || containsAgg(k.Expr)
	}
	distinct := sel.Distinct != ""
	if distinct {
		if hasAgg || len(b.groupBy) > 0 {
			return nil, newError(ErrUnsupported, b.src, b.posOfWord("distinct"), "SELECT DISTINCT together with GROUP BY or aggregates is not supported").
				withHint("group by the columns instead")
		}
		for _, e := range b.selExprs {
			if b.groupIndex(e) < 0 {
				b.groupBy = append(b.groupBy, e)
			}
		}
	}
	p := &Plan{Query: b.src, Table: b.table, Schema: b.schema, Limit: -1}
	p.Aggregated = hasAgg || len(b.groupBy) > 0 || b.window != nil
	p.Window = b.window
	if b.window != nil && !p.Aggregated {
		return nil, newError(ErrUnsupported, b.src, b.posOfWord(strings.ToLower(b.window.Kind.String())), "a window needs GROUP BY")
	}
	if sel.Where != nil {
		e, err := b.bindRef(sel.Where.Expr, false, "WHERE")
		if err != nil {
			return nil, err
		}
		if err := b.wantBool(e, sel.Where.Expr, "WHERE"); err != nil {
			return nil, err
		}
		p.Where = e
	}
	if b.derived != nil && b.derived.where != nil { // the subquery's filter first
		if p.Where == nil {
			p.Where = b.derived.where
		} else {
			p.Where = &Binary{Op: "AND", L: b.derived.where, R: p.Where, Typ: value.Bool}
		}
	}
	if p.Aggregated {
		for i, e := range b.selExprs {
			l, err := b.lift(e, sel.SelectExprs, b.selNames[i])
			if err != nil {
				return nil, err
			}
			p.Output = append(p.Output, OutputColumn{Name: b.selNames[i], Expr: l})
		}
		if having != nil {
			l, err := b.lift(having, sel.Having, "HAVING")
			if err != nil {
				return nil, err
			}
			p.Having = l
		}
		for i, k := range order {
			l, err := b.lift(k.Expr, sel.OrderBy[i], "ORDER BY")
			if err != nil {
				return nil, err
			}
			order[i].Expr = l
		}
		p.GroupBy, p.Aggs = b.groupBy, b.aggs
		pushHavingKeys(p)
		p.KeyColumns = []int{}
		if p.Window != nil {
			p.WindowStartColumn, p.WindowEndColumn = -1, -1
			for j, o := range p.Output {
				if w, ok := o.Expr.(*WindowRef); ok {
					if w.End && p.WindowEndColumn < 0 {
						p.WindowEndColumn = j
					} else if !w.End && p.WindowStartColumn < 0 {
						p.WindowStartColumn = j
					}
				}
			}
			switch {
			case p.WindowStartColumn >= 0:
				p.KeyColumns = append(p.KeyColumns, p.WindowStartColumn)
			case p.WindowEndColumn >= 0:
				p.KeyColumns = append(p.KeyColumns, p.WindowEndColumn)
			default:
				p.KeyColumns = nil
			}
		}
		for gi := range p.GroupBy {
			found := -1
			for j, o := range p.Output {
				if g, ok := o.Expr.(*GroupRef); ok && g.Index == gi {
					found = j
					break
				}
			}
			if found < 0 || p.KeyColumns == nil {
				p.KeyColumns = nil
				break
			}
			p.KeyColumns = append(p.KeyColumns, found)
		}
	} else {
		for i, e := range b.selExprs {
			p.Output = append(p.Output, OutputColumn{Name: b.selNames[i], Expr: e})
		}
	}
	p.OrderBy = order
	if sel.Limit != nil {
		var err error
		if p.Limit, err = b.count(sel.Limit.Rowcount, "LIMIT"); err != nil {
			return nil, err
		}
		if sel.Limit.Offset != nil {
			if p.Offset, err = b.count(sel.Limit.Offset, "OFFSET"); err != nil {
				return nil, err
			}
		}
	}
	p.Columns = b.columns
	return p, nil
}

func (b *builder) count(e sqlparser.Expr, what string) (int64, error) {
	v, ok := e.(*sqlparser.SQLVal)
	if ok && v.Type == sqlparser.IntVal {
		if n, err := strconv.ParseInt(string(v.Val), 10, 64); err == nil && n >= 0 {
			return n, nil
		}
	}
	return 0, b.errAt(ErrUnsupported, e, "%s takes a non-negative integer constant, not %s", what, sqlparser.String(e))
}

func (b *builder) bindFrom(sel *sqlparser.Select, cat Catalog) error {
	if len(sel.From) != 1 {
		return newError(ErrUnsupported, b.src, b.posOfWord("from"), "a query reads exactly one source; joins are not supported")
	}
	ate, ok := sel.From[0].(*sqlparser.AliasedTableExpr)
	if !ok {
		return newError(ErrUnsupported, b.src, b.posOfWord("join"), "joins are not supported: a query reads one source").
			withHint("join the data before it reaches brook, or run one query per source")
	}
	if sub, ok := ate.Expr.(*sqlparser.Subquery); ok {
		return b.bindDerived(ate, sub, cat)
	}
	tn, ok := ate.Expr.(sqlparser.TableName)
	if !ok {
		return b.errAt(ErrUnsupported, ate, "FROM reads a source by name or a subquery (SELECT ...) AS alias")
	}
	if !tn.Qualifier.IsEmpty() {
		return newError(ErrUnsupported, b.src, b.posOfWord(tn.Qualifier.String()), "qualified table names are not supported: write just %s", tn.Name.String())
	}
	b.table = tn.Name.String()
	b.alias = ate.As.String()
	schema, err := cat.Schema(b.table)
	if err != nil {
		pos := b.posOfWord(b.table)
		if errors.Is(err, ErrUnknownTable) {
			tables := cat.Tables()
			e := newError(ErrUnknownTable, b.src, pos, "unknown table %q", b.table)
			if len(tables) == 0 {
				return e.withHint("no source is bound: add --source %s=PATH", b.table)
			}
			return e.withHint("bound sources: %s; add --source %s=PATH to bind it", strings.Join(tables, ", "), b.table)
		}
		return fmt.Errorf("table %s: %w", b.table, err)
	}
	b.schema = schema
	return nil
}

func (b *builder) isOurTable(name string) bool {
	return strings.EqualFold(name, b.table) || (b.alias != "" && strings.EqualFold(name, b.alias))
}

func (b *builder) columnRef(schemaIndex int) *ColumnRef {
	slot, ok := b.slots[schemaIndex]
	if !ok {
		slot = len(b.columns)
		b.slots[schemaIndex] = slot
		b.columns = append(b.columns, schemaIndex)
	}
	c := b.schema[schemaIndex]
	return &ColumnRef{Slot: slot, Name: c.Name, Typ: c.Type}
}

// bindRef binds a GROUP BY, HAVING, ORDER BY or WHERE item, where an integer
// constant is a SELECT-list ordinal (GROUP BY and ORDER BY) and a name that
// is not a source column may be a SELECT alias.
func (b *builder) bindRef(node sqlparser.Expr, allowAgg bool, clause string) (Expr, error) {
	// Positions of errors in the clause are looked for in the clause
	// first (see posOf).
	defer func(at int) { b.clauseAt = at }(b.clauseAt)
	b.clauseAt = b.topWord(strings.Fields(clause)[0])
	return b.bindRefIn(node, allowAgg, clause)
}

// topWord returns the offset of the first occurrence of a word outside
// parentheses, 0 when there is none.
func (b *builder) topWord(word string) int {
	depth := 0
	for _, t := range b.toks {
		switch {
		case t.kind == tokPunct && t.text == "(":
			depth++
		case t.kind == tokPunct && t.text == ")":
			depth--
		case depth == 0 && t.is(word):
			return t.start
		}
	}
	return 0
}

func (b *builder) bindRefIn(node sqlparser.Expr, allowAgg bool, clause string) (Expr, error) {
	if v, ok := node.(*sqlparser.SQLVal); ok && v.Type == sqlparser.IntVal && (clause == "GROUP BY" || clause == "ORDER BY") {
		n, err := strconv.Atoi(string(v.Val))
		if err != nil || n < 1 || n > len(b.selExprs) {
			return nil, b.errAt(ErrUnknownColumn, node, "%s position %s is not in the SELECT list (1..%d)", clause, string(v.Val), len(b.selExprs))
		}
		return b.selExprs[n-1], nil
	}
	if col, ok := node.(*sqlparser.ColName); ok && col.Qualifier.IsEmpty() {
		name := col.Name.String()
		isColumn := b.isColumn(name)
		// ORDER BY prefers a SELECT alias, as DuckDB does; elsewhere a source
		// column wins.
		if clause == "ORDER BY" || !isColumn {
			for i, n := range b.selNames {
				if strings.EqualFold(n, name) && (clause != "WHERE" || !containsAgg(b.selExprs[i])) {
					return b.selExprs[i], nil
				}
			}
		}
	}
	e, err := b.bind(node, allowAgg)
	if err != nil {
		var be *Error
		if errors.As(err, &be) && be.Kind == ErrUnsupported && strings.Contains(be.Msg, "aggregate") && !allowAgg {
			be.Msg = strings.Replace(be.Msg, "here", "in "+clause, 1)
		}
		return nil, err
	}
	return e, nil
}

func (b *builder) groupIndex(e Expr) int {
	s := e.String()
	for i, g := range b.groupBy {
		if g.String() == s {
			return i
		}
	}
	return -1
}

// lift rewrites an expression of an aggregated query in terms of group keys
// (GroupRef) and aggregate results (AggRef). A source column left over is
// neither grouped nor aggregated, which is an error.
func (b *builder) lift(e Expr, node sqlparser.SQLNode, where string) (Expr, error) {
	if i := b.groupIndex(e); i >= 0 {
		return &GroupRef{Index: i, Key: b.groupBy[i]}, nil
	}
	switch x := e.(type) {
	case *AggCall:
		s := x.String()
		for i, a := range b.aggs {
			if a.String() == s {
				return &AggRef{Index: i, Call: a}, nil
			}
		}
		b.aggs = append(b.aggs, x)
		return &AggRef{Index: len(b.aggs) - 1, Call: x}, nil
	case *ColumnRef:
		return nil, newError(ErrUnsupported, b.src, b.posOfWord(x.Name), "column %s must appear in GROUP BY or be used in an aggregate function", QuoteIdent(x.Name)).
			withHint("add it to GROUP BY, or wrap it: min(%s), max(%s), count(DISTINCT %s)", x.Name, x.Name, x.Name)
	}
	ch := e.Children()
	if len(ch) == 0 {
		return e, nil
	}
	nc := make([]Expr, len(ch))
	for i, c := range ch {
		l, err := b.lift(c, node, where)
		if err != nil {
			return nil, err
		}
		nc[i] = l
	}
	return e.WithChildren(nc), nil
}

func containsAgg(e Expr) bool {
	found := false
	Walk(e, func(x Expr) {
		if _, ok := x.(*AggCall); ok {
			found = true
		}
	})
	return found
}

func (b *builder) wantBool(e Expr, node sqlparser.SQLNode, clause string) error {
	if t := e.Type(); t != value.Bool && t != value.Null {
		return b.errAt(ErrType, node, "%s needs a boolean condition, but %s is %s", clause, e.String(), t).
			withHint("compare it: %s > 0, %s IS NOT NULL, ...", e.String(), e.String())
	}
	return nil
}

// Suggest returns the known name closest to name (ignoring case), if it is
// close enough to be a plausible typo: within an edit distance of
// max(2, len(name)/3). Unknown columns, functions and command-line flags
// all get their "did you mean" from it.
func Suggest(name string, known []string) string {
	best, bestDist := "", 1<<30
	for _, k := range known {
		d := editDistance(strings.ToLower(name), strings.ToLower(k))
		if d < bestDist {
			best, bestDist = k, d
		}
	}
	if bestDist <= max(2, len(name)/3) {
		return best
	}
	return ""
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

// pushHavingKeys copies the conjuncts of HAVING that read group keys only
// (no aggregate, no window bound) into KeyFilter, each group key replaced
// by its expression, as DuckDB's optimizer pushes such filters below the
// aggregation: they filter rows after WHERE. HAVING keeps them (a group
// they would drop has no row left), so that the baseline renders the
// query's HAVING as written. The groups kept are the same, but the rows of
// groups such a condition rejects never reach the aggregates, so that an
// aggregate argument failing on them (a CAST) fails on neither side, while
// a WHERE failing on them still fails on both.
func pushHavingKeys(p *Plan) {
	if p.Having == nil || len(p.GroupBy) == 0 {
		return
	}
	var conj []Expr
	var split func(e Expr)
	split = func(e Expr) {
		if b, ok := e.(*Binary); ok && b.Op == "AND" {
			split(b.L)
			split(b.R)
			return
		}
		conj = append(conj, e)
	}
	split(p.Having)
	var push []Expr
	for _, c := range conj {
		keysOnly, keys := true, false
		Walk(c, func(x Expr) {
			switch x.(type) {
			case *AggRef, *WindowRef, *AggCall:
				keysOnly = false
			case *GroupRef:
				keys = true
			}
		})
		if !keysOnly || !keys {
			continue
		}
		e, err := Transform(c, func(x Expr) (Expr, error) {
			if g, ok := x.(*GroupRef); ok {
				return p.GroupBy[g.Index], nil
			}
			return x, nil
		})
		if err != nil {
			continue
		}
		push = append(push, e)
	}
	if len(push) == 0 {
		return
	}
	and := func(es []Expr) Expr {
		var out Expr
		for _, e := range es {
			if out == nil {
				out = e
			} else {
				out = &Binary{Op: "AND", L: out, R: e, Typ: value.Bool}
			}
		}
		return out
	}
	p.KeyFilter = and(push)
}

// groupByAll expands GROUP BY ALL as DuckDB does: the keys are the SELECT
// items that hold no aggregate and read some column. A constant item is no
// key, so with no key left the query is not grouped by anything: an
// aggregate query is then one group, and a query without aggregates plain.
func (b *builder) groupByAll() {
	for _, e := range b.selExprs {
		if _, ok := e.(*WindowRef); ok || containsAgg(e) {
			continue
		}
		reads := false
		Walk(e, func(x Expr) {
			if _, ok := x.(*ColumnRef); ok {
				reads = true
			}
		})
		if reads && b.groupIndex(e) < 0 {
			b.groupBy = append(b.groupBy, e)
		}
	}
}

// groupAllPos is the offset of ALL in GROUP BY ALL, or -1.
func (b *builder) groupAllPos() int {
	by := false
	for _, t := range b.toks {
		switch {
		case t.kind == tokSpace:
		case by && t.is("all"):
			return t.start
		default:
			by = t.is("by")
		}
	}
	return -1
}
