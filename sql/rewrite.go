package sql

import (
	"sort"
	"strings"
)

// Names the rewriter gives to calls that the MySQL grammar of the parser
// cannot read in their DuckDB form.
const (
	fnCast    = "__brook_cast"
	fnTryCast = "__brook_try_cast"
	fnSubstr  = "__brook_substr"
	fnFilter  = "__brook_filter"
	// fnGroupAll stands for ALL in GROUP BY ALL: __brook_group_all().
	fnGroupAll = "__brook_group_all"
)

// rewritten is the query text translated from DuckDB's lexical dialect into
// the one github.com/xwb1989/sqlparser reads, with a map back to the
// original positions.
type rewritten struct {
	text    string
	anchors []anchor // sorted by out
	// nullsFirst holds, by the index of a top-level ORDER BY item, the
	// item's explicit NULLS FIRST (true) or NULLS LAST (false); the words
	// themselves are blanked out of text.
	nullsFirst map[int]bool
}

// anchor says that text at out came from the original text at in.
type anchor struct{ out, in, inLen int }

// original maps an offset in the rewritten text to one in the original.
func (r *rewritten) original(out int) int {
	i := sort.Search(len(r.anchors), func(i int) bool { return r.anchors[i].out > out }) - 1
	if i < 0 {
		return 0
	}
	a := r.anchors[i]
	d := out - a.out
	if d > a.inLen {
		d = a.inLen
	}
	return a.in + d
}

type rewriter struct {
	src  string
	toks []token
	out  strings.Builder
	r    rewritten
	// isFalse marks the tokens before which " IS FALSE" ends an
	// IS DISTINCT FROM (see emitDistinct).
	isFalse map[int]bool
	// depth counts the open parentheses; inOrder is set inside the
	// top-level ORDER BY, whose item orderItem is being read.
	depth     int
	inOrder   bool
	orderItem int
	// ctes are the common table expressions of a leading WITH: a name in
	// FROM that is one of them is emitted as its subquery.
	ctes []cte
}

// cte is WITH name AS (body): body is the tokens between the parentheses.
type cte struct {
	name     string
	at       int // its name's token
	from, to int
	used     bool
}

// readWith reads a leading WITH name AS (SELECT ...)[, ...] and returns the
// index of the token the query proper starts at (0 without WITH).
func (w *rewriter) readWith() (int, *Error) {
	end := len(w.toks)
	i := w.next(0, end)
	if i >= end || !w.toks[i].is("with") {
		return 0, nil
	}
	for {
		i = w.next(i+1, end)
		if i < end && w.toks[i].is("recursive") {
			return 0, newError(ErrUnsupported, w.src, w.toks[i].start, "WITH RECURSIVE is not supported")
		}
		if i >= end || (w.toks[i].kind != tokWord && w.toks[i].kind != tokIdent) {
			return 0, w.withSyntax(i)
		}
		name := w.toks[i].value
		if w.toks[i].kind == tokWord {
			name = w.toks[i].text
		}
		as := w.next(i+1, end)
		if as >= end || !w.toks[as].is("as") {
			return 0, w.withSyntax(as)
		}
		open := w.next(as+1, end)
		if open >= end || w.toks[open].text != "(" {
			return 0, w.withSyntax(open)
		}
		closeIdx := w.closing(open, end)
		if closeIdx < 0 {
			return 0, newError(ErrSyntax, w.src, w.toks[open].start, "unclosed parenthesis in WITH")
		}
		w.ctes = append(w.ctes, cte{name: name, at: i, from: open + 1, to: closeIdx})
		i = w.next(closeIdx+1, end)
		if i < end && w.toks[i].text == "," {
			continue
		}
		return i, nil
	}
}

func (w *rewriter) withSyntax(i int) *Error {
	pos := len(w.src)
	if i < len(w.toks) {
		pos = w.toks[i].start
	}
	return newError(ErrSyntax, w.src, pos, "WITH wants name AS (SELECT ...)").
		withHint("WITH web AS (SELECT * FROM flows WHERE dstport IN (80, 443)) SELECT count(*) FROM web")
}

// emitCTE emits, for the name at token i right after FROM that names a
// common table expression, its subquery in parentheses (with the name as
// its alias unless one follows). It reports false for any other token.
func (w *rewriter) emitCTE(i, to int) (bool, *Error) {
	t := w.toks[i]
	if len(w.ctes) == 0 || (t.kind != tokWord && t.kind != tokIdent) {
		return false, nil
	}
	if p := w.prev(i); p < 0 || !w.toks[p].is("from") {
		return false, nil
	}
	name := t.text
	if t.kind == tokIdent {
		name = t.value
	}
	for k, c := range w.ctes {
		if !strings.EqualFold(c.name, name) {
			continue
		}
		w.ctes[k].used = true
		w.emit("(", t)
		w.depth++
		inOrder := w.inOrder
		w.inOrder = false
		if err := w.emitRange(c.from, c.to); err != nil {
			return false, err
		}
		w.inOrder = inOrder
		w.depth--
		w.emit(")", t)
		j := w.next(i+1, to)
		aliased := j < to && (w.toks[j].kind == tokIdent || (w.toks[j].kind == tokWord && !clauseStart(w.toks[j])))
		if !aliased {
			w.emit(" AS `"+strings.ReplaceAll(name, "`", "``")+"`", t)
		}
		return true, nil
	}
	return false, nil
}

// clauseStart reports whether a word starts what may follow a table in
// FROM, so that it is no alias.
func clauseStart(t token) bool {
	for _, k := range []string{"where", "group", "having", "order", "limit", "offset", "join", "inner", "left", "right", "full", "cross", "on", "using", "union", "window", "qualify"} {
		if t.is(k) {
			return true
		}
	}
	return false
}

// rewrite translates DuckDB syntax the parser would misread:
//   - "name" is an identifier in DuckDB but a string in MySQL: it becomes `name`;
//   - 'it”s' and 'C:\dir': backslashes are literal in DuckDB, so they are escaped;
//   - a || b is concatenation in DuckDB but OR in MySQL: it becomes a | b,
//     which the planner reads as concatenation (bitwise | is refused);
//   - CAST(x AS DOUBLE) and TRY_CAST(x AS T) accept any type name;
//   - substr/substring take any expression, not only a column;
//   - an aggregate's FILTER (WHERE cond) becomes __brook_filter(agg, cond);
//   - a IS NOT DISTINCT FROM b becomes a <=> b, and a IS DISTINCT FROM b
//     becomes a <=> b IS FALSE;
//   - NULLS FIRST and NULLS LAST after an ORDER BY item are blanked out and
//     recorded in nullsFirst;
//   - GROUP BY ALL becomes GROUP BY __brook_group_all();
//   - comments are blanked out.
func rewrite(src string) (*rewritten, *Error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	w := &rewriter{src: src, toks: toks}
	start, err := w.readWith()
	if err != nil {
		return nil, err
	}
	if err := w.emitRange(start, len(toks)); err != nil {
		return nil, err
	}
	for _, c := range w.ctes {
		if !c.used { // its text would be checked by nothing
			return nil, newError(ErrUnsupported, src, w.toks[c.at].start, "WITH %s is never read", c.name).
				withHint("read it in FROM, or leave it out")
		}
	}
	w.r.text = w.out.String()
	return &w.r, nil
}

func (w *rewriter) emit(s string, t token) {
	w.r.anchors = append(w.r.anchors, anchor{out: w.out.Len(), in: t.start, inLen: t.end - t.start})
	w.out.WriteString(s)
}

// next returns the index of the first non-space token at or after i.
func (w *rewriter) next(i, end int) int {
	for i < end && w.toks[i].kind == tokSpace {
		i++
	}
	return i
}

// closing returns the index of the ")" that closes the "(" at open.
func (w *rewriter) closing(open, end int) int {
	depth := 0
	for i := open; i < end; i++ {
		if w.toks[i].kind != tokPunct {
			continue
		}
		switch w.toks[i].text {
		case "(":
			depth++
		case ")":
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

func (w *rewriter) emitRange(from, to int) *Error {
	for i := from; i < to; i++ {
		t := w.toks[i]
		if ok, err := w.emitCTE(i, to); err != nil {
			return err
		} else if ok {
			continue
		}
		if w.isFalse[i] {
			delete(w.isFalse, i)
			w.emit(" IS FALSE ", t)
		}
		switch t.kind {
		case tokSpace:
			w.emit(blank(t.text), t)
		case tokIdent:
			w.emit("`"+strings.ReplaceAll(t.value, "`", "``")+"`", t)
		case tokString:
			v := strings.ReplaceAll(t.value, `\`, `\\`)
			w.emit("'"+strings.ReplaceAll(v, "'", "''")+"'", t)
		case tokPunct:
			switch t.text {
			case "(":
				w.depth++
			case ")":
				w.depth--
			case ",":
				if w.depth == 0 && w.inOrder {
					w.orderItem++
				}
			}
			switch t.text {
			case "||":
				w.emit("| ", t)
			case "|", "&", "^", "~", "<<", ">>":
				return newError(ErrUnsupported, w.src, t.start, "operator %s is not supported", t.text).
					withHint("brook has no bitwise operators; || concatenates strings")
			case "::":
				return newError(ErrUnsupported, w.src, t.start, "the :: cast shorthand is not supported").
					withHint("write CAST(x AS type) or TRY_CAST(x AS type)")
			case "<=>":
				return newError(ErrUnsupported, w.src, t.start, "operator <=> is not supported").
					withHint("write a IS NOT DISTINCT FROM b")
			default:
				w.emit(t.text, t)
			}
		case tokWord:
			j := w.next(i+1, to)
			isCall := j < to && w.toks[j].text == "("
			if isCall {
				if n, ok, err := w.emitFilter(i, j, to); err != nil {
					return err
				} else if ok {
					i = n
					continue
				}
			}
			if w.depth == 0 {
				n, ok, err := w.emitClauseWord(i, to)
				if err != nil {
					return err
				}
				if ok {
					i = n
					continue
				}
			}
			if t.is("is") {
				if n, ok := w.emitDistinct(i, to); ok {
					i = n
					continue
				}
			}
			if !isCall && j < to && w.toks[j].kind == tokString {
				switch {
				case t.is("timestamp"): // TIMESTAMP '2024-01-02 03:04:05'
					w.emit(fnCast+"(", t)
					w.emit("'"+strings.ReplaceAll(strings.ReplaceAll(w.toks[j].value, `\`, `\\`), "'", "''")+"', 'TIMESTAMP')", w.toks[j])
					i = j
					continue
				case t.is("interval"):
					if n, ok, err := w.emitInterval(i, j, to); err != nil {
						return err
					} else if ok {
						i = n
						continue
					}
				}
			}
			switch {
			case isCall && (t.is("cast") || t.is("try_cast")):
				n, err := w.emitCast(i, j, to)
				if err != nil {
					return err
				}
				i = n
			case isCall && (t.is("substr") || t.is("substring")):
				w.emit(fnSubstr, t)
			case t.is("over") && isCall:
				return newError(ErrUnsupported, w.src, t.start, "window functions with OVER (...) are not supported").
					withHint("they rank or number rows across the whole input, which a stream never has; group by TUMBLE/HOP windows instead")
			case t.is("ilike"):
				return newError(ErrUnsupported, w.src, t.start, "ILIKE is not supported").
					withHint("write lower(x) LIKE lower(pattern)")
			default:
				w.emit(t.text, t)
			}
		}
	}
	if w.isFalse[to] {
		delete(w.isFalse, to)
		end := len(w.src)
		if to < len(w.toks) {
			end = w.toks[to].start
		}
		w.emit(" IS FALSE ", token{start: end, end: end})
	}
	return nil
}

// emitDistinct rewrites a IS [NOT] DISTINCT FROM b, at token i (IS), into
// the parser's null-safe equality a <=> b, followed for IS DISTINCT FROM
// by IS FALSE after b (<=> is never NULL, so IS FALSE negates it). b ends
// before the first token, outside parentheses, that cannot continue an
// operand of a comparison. It returns the index of FROM, or reports false
// when the tokens at i are not IS [NOT] DISTINCT FROM.
func (w *rewriter) emitDistinct(i, to int) (int, bool) {
	j := w.next(i+1, to)
	not := j < to && w.toks[j].is("not")
	if not {
		j = w.next(j+1, to)
	}
	if j >= to || !w.toks[j].is("distinct") {
		return 0, false
	}
	from := w.next(j+1, to)
	if from >= to || !w.toks[from].is("from") {
		return 0, false
	}
	w.emit(" <=> ", w.toks[i])
	if !not {
		end, depth := from+1, 0
	scan:
		for ; end < to; end++ {
			t := w.toks[end]
			switch {
			case t.kind == tokPunct && t.text == "(":
				depth++
			case t.kind == tokPunct && t.text == ")":
				if depth == 0 {
					break scan
				}
				depth--
			case depth > 0:
			case t.kind == tokPunct && (t.text == "," || t.text == "=" || t.text == "<" || t.text == ">" ||
				t.text == "<=" || t.text == ">=" || t.text == "<>" || t.text == "!=" || t.text == ";"):
				break scan
			case t.kind == tokWord && stopsOperand[strings.ToLower(t.text)]:
				break scan
			}
		}
		if w.isFalse == nil {
			w.isFalse = map[int]bool{}
		}
		w.isFalse[end] = true
	}
	return from, true
}

// stopsOperand are the words that end the right operand of a comparison.
var stopsOperand = map[string]bool{
	"and": true, "or": true, "then": true, "when": true, "else": true, "end": true, "as": true,
	"from": true, "where": true, "group": true, "having": true, "order": true, "limit": true,
	"offset": true, "is": true, "asc": true, "desc": true, "not": true, "between": true,
	"like": true, "in": true, "filter": true, "window": true, "union": true, "nulls": true,
}

// emitCast rewrites CAST(expr AS type) at tokens i (the name) and open (the
// parenthesis) into __brook_cast(expr, 'type') and returns the index of the
// closing parenthesis.
func (w *rewriter) emitCast(i, open, to int) (int, *Error) {
	t := w.toks[i]
	closeIdx := w.closing(open, to)
	if closeIdx < 0 {
		return 0, newError(ErrSyntax, w.src, w.toks[open].start, "unclosed parenthesis in %s", strings.ToUpper(t.text))
	}
	as, depth := -1, 0
	for k := open + 1; k < closeIdx; k++ {
		tk := w.toks[k]
		switch {
		case tk.kind == tokPunct && tk.text == "(":
			depth++
		case tk.kind == tokPunct && tk.text == ")":
			depth--
		case depth == 0 && tk.is("as"):
			as = k
		}
	}
	if as < 0 {
		return 0, newError(ErrSyntax, w.src, w.toks[closeIdx].start, "%s needs AS and a type", strings.ToUpper(t.text)).
			withHint("write %s(x AS DOUBLE)", strings.ToUpper(t.text))
	}
	typeText := strings.TrimSpace(w.src[w.toks[as].end:w.toks[closeIdx].start])
	name := fnCast
	if t.is("try_cast") {
		name = fnTryCast
	}
	w.emit(name, t)
	w.emit("(", w.toks[open])
	w.depth++
	if err := w.emitRange(open+1, as); err != nil {
		return 0, err
	}
	w.depth--
	w.emit(", '"+strings.ReplaceAll(strings.ReplaceAll(typeText, `\`, `\\`), "'", "''")+"'", w.toks[as])
	w.emit(")", w.toks[closeIdx])
	return closeIdx, nil
}

// intervalUnits maps the units DuckDB reads in INTERVAL '10 seconds' to
// the unit words INTERVAL 10 SECOND takes.
var intervalUnits = map[string]string{
	"us": "MICROSECOND", "usec": "MICROSECOND", "usecs": "MICROSECOND", "microsecond": "MICROSECOND", "microseconds": "MICROSECOND",
	"ms": "MILLISECOND", "msec": "MILLISECOND", "msecs": "MILLISECOND", "millisecond": "MILLISECOND", "milliseconds": "MILLISECOND",
	"s": "SECOND", "sec": "SECOND", "secs": "SECOND", "second": "SECOND", "seconds": "SECOND",
	"m": "MINUTE", "min": "MINUTE", "mins": "MINUTE", "minute": "MINUTE", "minutes": "MINUTE",
	"h": "HOUR", "hr": "HOUR", "hrs": "HOUR", "hour": "HOUR", "hours": "HOUR",
	"d": "DAY", "day": "DAY", "days": "DAY",
	"w": "WEEK", "week": "WEEK", "weeks": "WEEK",
}

// emitInterval rewrites INTERVAL '10 seconds' (the number and its unit in
// the string, as DuckDB writes it), at token i with the string at j, into
// INTERVAL 10 SECOND. INTERVAL '10' SECOND is left as it is (ok false).
func (w *rewriter) emitInterval(i, j, to int) (int, bool, *Error) {
	if k := w.next(j+1, to); k < to && w.toks[k].kind == tokWord && intervalUnits[strings.ToLower(w.toks[k].text)] != "" {
		return 0, false, nil // INTERVAL '10' SECOND
	}
	str := w.toks[j]
	fields := strings.Fields(str.value)
	if len(fields) == 1 { // '10s', '1h': the unit written against the number
		num := strings.TrimRight(fields[0], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
		if num != fields[0] && num != "" {
			fields = []string{num, fields[0][len(num):]}
		}
	}
	if len(fields) != 2 {
		return 0, false, newError(ErrUnsupported, w.src, str.start, "interval %s is not one number and one unit", str.text).
			withHint("write INTERVAL '90 seconds' or INTERVAL 90 SECOND")
	}
	unit := intervalUnits[strings.ToLower(fields[1])]
	if unit == "" {
		return 0, false, newError(ErrUnsupported, w.src, str.start, "interval unit %q is not supported", fields[1]).
			withHint("use milliseconds, seconds, minutes, hours, days or weeks")
	}
	w.emit("INTERVAL ", w.toks[i])
	w.emit("'"+strings.ReplaceAll(fields[0], "'", "''")+"' "+unit, str)
	return j, true, nil
}

// blank replaces every character of a comment or blank run with a space,
// keeping line breaks.
func blank(s string) string {
	if strings.Trim(s, " \t\n\r\f") == "" {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if c != '\n' {
			b[i] = ' '
		}
	}
	return string(b)
}

// emitFilter rewrites a call followed by FILTER (WHERE cond), at tokens i
// (the name) and open (its parenthesis), into __brook_filter(call, cond)
// and returns the index of the FILTER clause's closing parenthesis. It
// reports false, emitting nothing, for a call without FILTER.
func (w *rewriter) emitFilter(i, open, to int) (int, bool, *Error) {
	callEnd := w.closing(open, to)
	if callEnd < 0 {
		return 0, false, nil
	}
	f := w.next(callEnd+1, to)
	if f >= to || !w.toks[f].is("filter") {
		return 0, false, nil
	}
	p := w.next(f+1, to)
	if p >= to || w.toks[p].text != "(" {
		return 0, false, nil
	}
	t := w.toks[f]
	where := w.next(p+1, to)
	clauseEnd := w.closing(p, to)
	if where >= to || !w.toks[where].is("where") || clauseEnd < 0 {
		return 0, false, newError(ErrSyntax, w.src, t.start, "FILTER wants (WHERE condition) after the aggregate")
	}
	w.emit(fnFilter+"(", w.toks[i])
	if err := w.emitRange(i, callEnd+1); err != nil {
		return 0, false, err
	}
	w.emit(", ", t)
	w.depth++
	if err := w.emitRange(where+1, clauseEnd); err != nil {
		return 0, false, err
	}
	w.depth--
	w.emit(")", w.toks[clauseEnd])
	return clauseEnd, true, nil
}

// prev returns the index of the last non-space token before i, or -1.
func (w *rewriter) prev(i int) int {
	for i--; i >= 0 && w.toks[i].kind == tokSpace; i-- {
	}
	return i
}

// emitClauseWord handles the words at token i, outside parentheses, that
// shape the clauses: ORDER BY and LIMIT/OFFSET delimit the items that
// NULLS FIRST/LAST may follow, and ALL right after GROUP BY is GROUP BY
// ALL. It returns the index of the last token it consumed, or reports
// false, emitting nothing, for tokens it leaves to the caller.
func (w *rewriter) emitClauseWord(i, to int) (int, bool, *Error) {
	t := w.toks[i]
	p := w.prev(i)
	afterBy := p >= 0 && w.toks[p].is("by")
	switch {
	case t.is("order"):
		if j := w.next(i+1, to); j < to && w.toks[j].is("by") {
			w.inOrder, w.orderItem = true, 0
		}
	case t.is("limit") || t.is("offset"):
		w.inOrder = false
	case t.is("all") && afterBy:
		if pp := w.prev(p); pp >= 0 && w.toks[pp].is("group") {
			w.emit(fnGroupAll+"()", t)
			return i, true, nil
		}
	case t.is("nulls") && w.inOrder && p >= 0 && !afterBy && w.toks[p].text != ",":
		j := w.next(i+1, to)
		if j >= to || !(w.toks[j].is("first") || w.toks[j].is("last")) {
			pos := len(w.src)
			if j < len(w.toks) {
				pos = w.toks[j].start
			}
			return 0, false, newError(ErrSyntax, w.src, pos, "NULLS wants FIRST or LAST").
				withHint("write ORDER BY x NULLS FIRST or ORDER BY x DESC NULLS LAST")
		}
		if k := w.next(j+1, to); k < to {
			n := w.toks[k]
			if !(n.text == "," || n.text == ";" || n.is("limit") || n.is("offset")) {
				return 0, false, newError(ErrSyntax, w.src, n.start, "NULLS %s ends an ORDER BY item, %s cannot follow it",
					strings.ToUpper(w.toks[j].text), n.text).
					withHint("write ORDER BY x DESC NULLS FIRST")
			}
		}
		if w.r.nullsFirst == nil {
			w.r.nullsFirst = map[int]bool{}
		}
		w.r.nullsFirst[w.orderItem] = w.toks[j].is("first")
		for k := i; k <= j; k++ {
			w.emit(strings.Repeat(" ", len(w.toks[k].text)), w.toks[k])
		}
		return j, true, nil
	}
	return 0, false, nil
}
