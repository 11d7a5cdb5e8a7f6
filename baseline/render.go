package baseline

import (
	"fmt"
	"strconv"
	"strings"

	"brook/sql"
	"brook/value"
)

// Ident double-quotes a DuckDB identifier.
func Ident(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// Str single-quotes a DuckDB string literal; DuckDB reads backslashes
// literally, so only quotes need doubling.
func Str(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

const srcAlias = `"src"`

// globEscaper makes DuckDB's glob characters literal: DuckDB expands *, ?
// and [...] in every path read_json is given, so a file named "a*.json"
// would otherwise read a.json, ab.json and every other match as well.
var globEscaper = strings.NewReplacer("[", "[[]", "*", "[*]", "?", "[?]")

// FilePattern returns the path DuckDB must be given to read exactly the
// file name and nothing else: glob characters bracketed, and a leading ~
// (which DuckDB expands to the home directory) hidden behind "./".
func FilePattern(name string) string {
	if strings.HasPrefix(name, "~") {
		name = "./" + name
	}
	return globEscaper.Replace(name)
}

// Source renders the FROM source: read_json over files with the plan's
// decoded columns as an explicit schema. With no files it renders an empty
// relation of the same columns.
func Source(p *sql.Plan, files []string) string {
	cols := p.ColumnSchema()
	if len(cols) == 0 { // count(*) alone reads no field; keep one so rows exist
		cols = p.Schema[:1]
	}
	if len(files) == 0 {
		parts := make([]string, len(cols))
		for i, c := range cols {
			parts[i] = "CAST(NULL AS " + c.Type.String() + ") AS " + Ident(c.Name)
		}
		return "(SELECT " + strings.Join(parts, ", ") + " WHERE FALSE)"
	}
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = Str(FilePattern(f))
	}
	colDefs := make([]string, len(cols))
	for i, c := range cols {
		colDefs[i] = Str(c.Name) + ": " + Str(c.Type.String())
	}
	return "read_json([" + strings.Join(quoted, ", ") + "], format = 'newline_delimited', columns = {" + strings.Join(colDefs, ", ") + "})"
}

// Render returns the DuckDB query equivalent to p over files.
func Render(p *sql.Plan, files []string) string {
	var inner []string
	for i, o := range p.Output {
		inner = append(inner, expr(o.Expr)+" AS "+Ident("c"+strconv.Itoa(i)))
	}
	for i, k := range p.OrderBy {
		inner = append(inner, expr(k.Expr)+" AS "+Ident("o"+strconv.Itoa(i)))
	}
	var b strings.Builder
	outer := make([]string, len(p.Output))
	for i, o := range p.Output {
		outer[i] = Ident("c"+strconv.Itoa(i)) + " AS " + Ident(o.Name)
	}
	from, where := fromWhere(p, files)
	fmt.Fprintf(&b, "SELECT %s\nFROM (\n  SELECT %s\n  FROM %s", strings.Join(outer, ", "), strings.Join(inner, ", "), from)
	if where != "" {
		fmt.Fprintf(&b, "\n  WHERE %s", where)
	}
	var keys []string
	if w := p.Window; w != nil {
		if w.Kind == sql.Session {
			keys = append(keys, srcAlias+`."__sid"`)
		} else if spec := w.Kind.Spec(); spec != nil {
			_, start, end := registeredWindow(w, spec)
			keys = append(keys, start, end)
		} else {
			keys = append(keys, startUnits(w))
		}
	}
	for _, k := range p.GroupBy {
		if l, ok := k.(*sql.Literal); ok {
			// A bare integer in GROUP BY is an ordinal to DuckDB; a cast
			// is the constant itself (SELECT DISTINCT 100 ...).
			if l.Type() == value.Null { // NULL is no ordinal, and no type to cast to
				keys = append(keys, "NULL")
				continue
			}
			keys = append(keys, "CAST("+expr(k)+" AS "+l.Type().String()+")")
			continue
		}
		keys = append(keys, expr(k))
	}
	if len(keys) > 0 {
		fmt.Fprintf(&b, "\n  GROUP BY %s", strings.Join(keys, ", "))
	}
	if p.Having != nil {
		fmt.Fprintf(&b, "\n  HAVING %s", expr(p.Having))
	}
	b.WriteString("\n) AS \"q\"")
	if p.Sorted() {
		var keys []string
		for i, k := range p.OrderBy {
			dir := " ASC"
			if k.Desc {
				dir = " DESC"
			}
			nulls := " NULLS LAST"
			if k.NullsFirst {
				nulls = " NULLS FIRST"
			}
			keys = append(keys, Ident("o"+strconv.Itoa(i))+dir+nulls)
		}
		for i := range p.Output {
			keys = append(keys, Ident("c"+strconv.Itoa(i))+" ASC NULLS LAST")
		}
		fmt.Fprintf(&b, "\nORDER BY %s", strings.Join(keys, ", "))
	}
	if p.Limit >= 0 {
		fmt.Fprintf(&b, "\nLIMIT %d", p.Limit)
	}
	if p.Offset > 0 {
		fmt.Fprintf(&b, "\nOFFSET %d", p.Offset)
	}
	return b.String()
}

// duckFuncs maps brook's function names to DuckDB's where they differ.
var duckFuncs = map[string]string{"substr": "substring"}

func literal(v value.Value) string {
	switch v.Kind {
	case value.Float:
		return "CAST(" + Str(string(value.AppendFloat(nil, v.F))) + " AS DOUBLE)"
	case value.String:
		return Str(v.S)
	case value.Timestamp:
		return "TIMESTAMP " + Str(string(value.AppendTimestamp(nil, v.I)))
	}
	return sql.LiteralSQL(v)
}

// numericSide wraps a VARCHAR operand compared with a number in TRY_CAST,
// brook's rule for comparing strings with numbers (see package value).
func numericSide(e, other sql.Expr) string {
	if e.Type() == value.String && other.Type().Numeric() {
		return "TRY_CAST(" + expr(e) + " AS DOUBLE)"
	}
	if e.Type() == value.String && other.Type() == value.Timestamp {
		return "TRY_CAST(" + expr(e) + " AS TIMESTAMP)"
	}
	return expr(e)
}

func compare(l sql.Expr, op string, r sql.Expr) string {
	return "(" + numericSide(l, r) + " " + op + " " + numericSide(r, l) + ")"
}

func expr(e sql.Expr) string {
	switch x := e.(type) {
	case *sql.ColumnRef:
		return srcAlias + "." + Ident(x.Name)
	case *sql.Literal:
		return literal(x.Val)
	case *sql.GroupRef:
		return expr(x.Key)
	case *sql.AggRef:
		return expr(x.Call)
	case *sql.WindowRef:
		return windowBound(x)
	case *sql.Unary:
		if _, key := x.X.(*sql.GroupRef); key && x.Op == "NOT" {
			// DuckDB turns NOT (a < b) into a >= b before it matches
			// the expressions of HAVING and SELECT to the GROUP BY keys,
			// and then finds a bare column: a group key is negated as
			// (key = false), the same three-valued result.
			return "(" + expr(x.X) + " = false)"
		}
		if x.Op == "NOT" {
			return "(NOT " + expr(x.X) + ")"
		}
		return "(-" + expr(x.X) + ")"
	case *sql.Binary:
		switch x.Op {
		case "=", "<>", "<", "<=", ">", ">=":
			return compare(x.L, x.Op, x.R)
		case "||":
			return "(CAST(" + expr(x.L) + " AS VARCHAR) || CAST(" + expr(x.R) + " AS VARCHAR))"
		}
		return "(" + expr(x.L) + " " + x.Op + " " + expr(x.R) + ")"
	case *sql.In:
		return in(x)
	case *sql.Between:
		s := "(" + compare(x.X, ">=", x.Lo) + " AND " + compare(x.X, "<=", x.Hi) + ")"
		if x.Not {
			return "(NOT " + s + ")"
		}
		return s
	case *sql.Like:
		op := " LIKE "
		if x.Not {
			op = " NOT LIKE "
		}
		return "(" + expr(x.X) + op + expr(x.Pattern) + ")"
	case *sql.IsNull:
		if x.Not {
			return "(" + expr(x.X) + " IS NOT NULL)"
		}
		return "(" + expr(x.X) + " IS NULL)"
	case *sql.Case:
		var b strings.Builder
		b.WriteString("CASE")
		for _, w := range x.Whens {
			cond := expr(w.Cond)
			if x.Operand != nil {
				cond = compare(x.Operand, "=", w.Cond)
			}
			b.WriteString(" WHEN " + cond + " THEN " + expr(w.Then))
		}
		if x.Else != nil {
			b.WriteString(" ELSE " + expr(x.Else))
		}
		b.WriteString(" END")
		return b.String()
	case *sql.Cast:
		fn := "CAST("
		if x.Try {
			fn = "TRY_CAST("
		}
		return fn + expr(x.X) + " AS " + x.To.String() + ")"
	case *sql.Call:
		name := x.Name
		if d, ok := duckFuncs[name]; ok {
			name = d
		}
		args := make([]string, len(x.Args))
		for i, a := range x.Args {
			args[i] = expr(a)
		}
		if name == "round" && len(args) == 2 {
			// DuckDB's round takes INTEGER digits and casts no BIGINT to it
			args[1] = "CAST(" + args[1] + " AS INTEGER)"
		}
		return name + "(" + strings.Join(args, ", ") + ")"
	case *sql.AggCall:
		if x.Arg == nil {
			return "count(*)"
		}
		return x.Spec.DuckDB(x, expr(x.Arg))
	}
	panic(fmt.Sprintf("baseline: cannot render %T", e))
}

// in renders x IN (...) as DuckDB's IN when no operand needs brook's
// string-number rule applied differently per item, and as a chain of
// equalities (with the same three-valued logic) otherwise.
func in(x *sql.In) string {
	uniform := true
	for _, item := range x.List {
		uniform = uniform && numericSide(x.X, item) == numericSide(x.X, x.List[0]) && numericSide(item, x.X) == expr(item)
	}
	var s string
	if uniform {
		items := make([]string, len(x.List))
		for i, item := range x.List {
			items[i] = expr(item)
		}
		s = "(" + numericSide(x.X, x.List[0]) + " IN (" + strings.Join(items, ", ") + "))"
	} else {
		parts := make([]string, len(x.List))
		for i, item := range x.List {
			parts[i] = compare(x.X, "=", item)
		}
		s = "(" + strings.Join(parts, " OR ") + ")"
	}
	if x.Not {
		return "(NOT " + s + ")"
	}
	return s
}

// fromWhere renders the FROM source and the WHERE condition. Windowed
// queries drop rows without an event time, as the stream does; hopping
// windows join each row with the panes that cover it; sessions number each
// group key's runs of events less than the gap apart, in a subquery.
func fromWhere(p *sql.Plan, files []string) (from, where string) {
	from = Source(p, files) + " AS " + srcAlias
	var conds []string
	if p.Where != nil {
		conds = append(conds, expr(p.Where))
	}
	w := p.Window
	if w != nil {
		conds = append(conds, "("+expr(w.Time)+" IS NOT NULL)")
	}
	switch {
	case w != nil && w.Kind.Spec() != nil:
		from += fmt.Sprintf(" CROSS JOIN range(0, %d) AS \"pane\"(\"i\")", w.Panes())
		cond, _, _ := registeredWindow(w, w.Kind.Spec())
		conds = append(conds, cond)
	case w != nil && w.Kind == sql.Hop:
		from += fmt.Sprintf(" CROSS JOIN range(0, %d) AS \"pane\"(\"i\")", w.Panes())
		// A row is in its own pane's window always, whatever the rounding
		// of its bounds, and in an earlier one while time < start + size
		// (the engine's rule, engine/window.go holds).
		conds = append(conds, `("pane"."i" = 0 OR `+timeUnits(w)+" < "+startUnits(w)+" + "+units(w, w.Size)+")")
	case w != nil && w.Kind == sql.Session:
		var part string
		if len(p.GroupBy) > 0 {
			keys := make([]string, len(p.GroupBy))
			for i, k := range p.GroupBy {
				keys[i] = expr(k)
			}
			part = "PARTITION BY " + strings.Join(keys, ", ") + " "
		}
		inner := fmt.Sprintf("SELECT %s.*, %s AS \"__t\", CASE WHEN %s - lag(%s) OVER (%sORDER BY %s) < %s THEN 0 ELSE 1 END AS \"__new\" FROM %s",
			srcAlias, timeUnits(w), timeUnits(w), timeUnits(w), part, timeUnits(w), units(w, w.Gap), from)
		if len(conds) > 0 {
			inner += " WHERE " + strings.Join(conds, " AND ")
		}
		// RANGE, not ROWS: rows with equal times are peers and share a
		// session number whichever of them lag() flagged.
		from = fmt.Sprintf("(SELECT *, sum(\"__new\") OVER (%sORDER BY \"__t\" RANGE UNBOUNDED PRECEDING) AS \"__sid\" FROM (%s) AS %s) AS %s",
			part, inner, srcAlias, srcAlias)
		return from, ""
	}
	return from, strings.Join(conds, " AND ")
}

// units renders a duration in seconds in the window time's unit: seconds
// for a numeric time, microseconds for a TIMESTAMP.
func units(w *sql.Window, seconds float64) string {
	return literal(value.FloatValue(w.Units(seconds)))
}

// timeUnits renders the event time in its unit, as a number.
func timeUnits(w *sql.Window) string {
	if w.Time.Type() == value.Timestamp {
		return "epoch_us(" + expr(w.Time) + ")"
	}
	return expr(w.Time)
}

// startUnits renders the window start in time units, exactly as the engine
// computes it: floor(t / slide) * slide, minus the pane for hopping windows.
func startUnits(w *sql.Window) string {
	pane := ""
	if w.Kind == sql.Hop {
		pane = ` - "pane"."i"`
	}
	return "((floor(" + timeUnits(w) + " / " + units(w, w.Slide) + ")" + pane + ") * " + units(w, w.Slide) + ")"
}

// fromUnits turns a number of time units back into the bound's type.
func fromUnits(w *sql.Window, n string) string {
	if w.Time.Type() == value.Timestamp {
		return "make_timestamp(CAST(" + n + " AS BIGINT))"
	}
	return n
}

func windowStart(w *sql.Window) string { return fromUnits(w, startUnits(w)) }

// registeredWindow renders a registered window kind's pane condition and
// bounds in time units (see sql.WindowSpec.Duck), for the pane "pane"."i".
func registeredWindow(w *sql.Window, spec *sql.WindowSpec) (cond, start, end string) {
	return spec.Duck(w, timeUnits(w), `"pane"."i"`, func(seconds float64) string { return units(w, seconds) })
}

func windowBound(x *sql.WindowRef) string {
	w := x.W
	if spec := w.Kind.Spec(); spec != nil {
		_, start, end := registeredWindow(w, spec)
		if x.End {
			return fromUnits(w, end)
		}
		return fromUnits(w, start)
	}
	if w.Kind == sql.Session {
		if x.End {
			return fromUnits(w, `(max("src"."__t") + `+units(w, w.Gap)+")")
		}
		if w.Time.Type() != value.Timestamp { // a DOUBLE bound, as in the engine
			return `CAST(min("src"."__t") AS DOUBLE)`
		}
		return fromUnits(w, `min("src"."__t")`)
	}
	if x.End {
		return fromUnits(w, "("+startUnits(w)+" + "+units(w, w.Size)+")")
	}
	return windowStart(w)
}
