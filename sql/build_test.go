package sql_test

import (
	"errors"
	"strings"
	"testing"

	_ "brook/engine" // registers the aggregates
	"brook/sql"
	"brook/value"
)

type testCatalog map[string]value.Schema

func (c testCatalog) Schema(t string) (value.Schema, error) {
	for name, s := range c {
		if strings.EqualFold(name, t) {
			return s, nil
		}
	}
	return nil, sql.ErrUnknownTable
}

func (c testCatalog) Tables() []string {
	var names []string
	for n := range c {
		names = append(names, n)
	}
	return names
}

var flowsCatalog = testCatalog{"flows": {
	{Name: "time", Type: value.Float}, {Name: "duration", Type: value.Float},
	{Name: "srcdevice", Type: value.String}, {Name: "dstdevice", Type: value.String},
	{Name: "protocol", Type: value.Float}, {Name: "srcport", Type: value.String},
	{Name: "dstport", Type: value.String}, {Name: "srcpackets", Type: value.Float},
	{Name: "dstpackets", Type: value.Float}, {Name: "srcbytes", Type: value.Float},
	{Name: "dstbytes", Type: value.Float},
}}

func TestBuildPlans(t *testing.T) {
	cases := []struct{ query, plan string }{
		{
			`SELECT DstDevice, COUNT(*) AS hits FROM flows WHERE DstPort IN (443, 8000) GROUP BY DstDevice ORDER BY hits DESC LIMIT 20`,
			`Limit 20 offset 0
└─ Sort count(*) DESC NULLS LAST (ties by output columns)
   └─ Project DstDevice := dstdevice, hits := count(*)
      └─ Aggregate keys=[dstdevice] aggs=[count(*)]
         └─ Filter dstport IN (443, 8000)
            └─ Scan flows [dstdevice VARCHAR, dstport VARCHAR]
`,
		},
		{
			`select "time", srcbytes + dstbytes as b from flows where srcdevice like 'Comp%' and not (protocol = 17)`,
			`Project time := time, b := srcbytes + dstbytes
└─ Filter (srcdevice LIKE 'Comp%') AND (NOT (protocol = 17))
   └─ Scan flows [time DOUBLE, srcbytes DOUBLE, dstbytes DOUBLE, srcdevice VARCHAR, protocol DOUBLE]
`,
		},
		{
			`SELECT protocol, count(DISTINCT dstdevice) n, sum(dstbytes) FROM flows GROUP BY 1 HAVING count(*) > 1`,
			`Project protocol := protocol, n := count(DISTINCT dstdevice), "sum(dstbytes)" := sum(dstbytes)
└─ Filter count(*) > 1
   └─ Aggregate keys=[protocol] aggs=[count(DISTINCT dstdevice), sum(dstbytes), count(*)]
      └─ Scan flows [protocol DOUBLE, dstdevice VARCHAR, dstbytes DOUBLE]
`,
		},
		{
			// NULLS FIRST/LAST per key, the words gone from the parser's
			// text; a column named nulls stays a column
			"SELECT srcbytes, dstport AS \"nulls\" FROM flows ORDER BY srcbytes DESC NULLS FIRST, /* c */ dstport\n  nulls last,\n nulls, 1 NULLS FIRST LIMIT 3",
			`Limit 3 offset 0
└─ Sort srcbytes DESC NULLS FIRST, dstport ASC NULLS LAST, dstport ASC NULLS LAST, srcbytes ASC NULLS FIRST (ties by output columns)
   └─ Project srcbytes := srcbytes, nulls := dstport
      └─ Scan flows [srcbytes DOUBLE, dstport VARCHAR]
`,
		},
		{
			// GROUP BY ALL: the items without aggregates that read a column
			"SELECT protocol, 'x' AS c, lower(dstdevice) d, 1 + 1, count(*) AS n, sum(srcbytes) + 1 FROM flows GROUP BY ALL",
			`Project protocol := protocol, c := 'x', d := lower(dstdevice), "1 + 1" := 1 + 1, n := count(*), "sum(srcbytes) + 1" := sum(srcbytes) + 1
└─ Aggregate keys=[protocol, lower(dstdevice)] aggs=[count(*), sum(srcbytes)]
   └─ Scan flows [protocol DOUBLE, dstdevice VARCHAR, srcbytes DOUBLE]
`,
		},
		{
			// with nothing to group by it groups nothing, as DuckDB
			"SELECT 'x' AS c, 1 + 2 AS s FROM flows WHERE srcbytes IS NULL GROUP BY ALL",
			`Project c := 'x', s := 1 + 2
└─ Filter srcbytes IS NULL
   └─ Scan flows [srcbytes DOUBLE]
`,
		},
		{
			// HAVING reads SELECT aliases, outside aggregates, when no
			// column has the name
			"SELECT protocol AS p, count(*) AS n, sum(srcbytes) s FROM flows GROUP BY protocol HAVING n > 1 AND s / n < 10 AND p <> 6",
			`Project p := protocol, n := count(*), s := sum(srcbytes)
└─ Filter ((count(*) > 1) AND ((sum(srcbytes) / count(*)) < 10)) AND (protocol <> 6)
   └─ Aggregate keys=[protocol] aggs=[count(*), sum(srcbytes)]
      └─ Filter protocol <> 6 (HAVING on group keys)
         └─ Scan flows [protocol DOUBLE, srcbytes DOUBLE]
`,
		},
		{
			`SELECT TRY_CAST(dstport AS DOUBLE) p, CAST(srcbytes AS BIGINT) || 'x', substr(lower(srcdevice), 1, 4) FROM flows`,
			`Project p := TRY_CAST(dstport AS DOUBLE), "CAST(srcbytes AS BIGINT) || 'x'" := CAST(srcbytes AS BIGINT) || 'x', "substr(lower(srcdevice), 1, 4)" := substr(lower(srcdevice), 1, 4)
└─ Scan flows [dstport VARCHAR, srcbytes DOUBLE, srcdevice VARCHAR]
`,
		},
	}
	for _, c := range cases {
		p, err := sql.Build(c.query, flowsCatalog)
		if err != nil {
			t.Errorf("%s: %v", c.query, err)
			continue
		}
		if got := p.String(); got != c.plan {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", c.query, got, c.plan)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	cases := []struct {
		query string
		kind  error
		want  string // substring of the rendered error, including line:col
	}{
		{"SELECT x FROM flows", sql.ErrUnknownColumn, "line 1:8: unknown column \"x\""},
		{"SELECT DstPrt FROM flows", sql.ErrUnknownColumn, "did you mean dstport?"},
		{"SELECT a\nFROM nope", sql.ErrUnknownTable, "line 2:6: unknown table \"nope\""},
		{"SELECT dstdevice, count(*) FROM flows", sql.ErrUnsupported, "line 1:8: column dstdevice must appear in GROUP BY"},
		{"SELECT srcbytes FROM flows WHERE count(*) > 1", sql.ErrUnsupported, "not allowed in WHERE"},
		{"SELECT srcbytes FROM flows WHERE srcbytes", sql.ErrType, "WHERE needs a boolean condition"},
		{"SELECT srcbytes + dstport FROM flows", sql.ErrType, "+ needs a number, but dstport is VARCHAR"},
		{"SELECT mode(srcbytes) FROM flows", sql.ErrUnsupported, "line 1:8: mode() is not supported: it needs every value"},
		{"SELECT quantile_cont(srcbytes, 1.5) FROM flows", sql.ErrUnsupported, "line 1:32: quantile_cont() takes a constant fraction between 0 and 1, not 1.5"},
		{"SELECT quantile_cont(srcbytes, duration) FROM flows", sql.ErrUnsupported, "quantile_cont() takes a constant fraction between 0 and 1, not duration"},
		{"SELECT quantile_disc(srcbytes) FROM flows", sql.ErrType, "quantile_disc() takes a value and a fraction, got 1 arguments"},
		{"SELECT median(srcdevice) FROM flows", sql.ErrType, "median() needs a number"},
		{"SELECT lowr(srcdevice) FROM flows", sql.ErrUnknownFunction, "did you mean lower()?"},
		{"SELECT srcbytes FROM flows WHERE", sql.ErrSyntax, "line 1:33: syntax error"},
		{"SELECT * FROM (SELECT srcdevice FROM flows)", sql.ErrSyntax, "a subquery in FROM takes an alias here: FROM (SELECT ...) AS f"},
		{"SELECT n FROM (SELECT count(*) AS n FROM flows) AS f", sql.ErrUnsupported, "line 1:23: a subquery in FROM may filter rows and compute columns, not aggregate"},
		{"SELECT d FROM (SELECT srcdevice AS d FROM flows ORDER BY d LIMIT 3) AS f", sql.ErrUnsupported, "not ORDER BY or LIMIT"},
		// The caret points at the name in the clause that fails, not at
		// its first occurrence in the text.
		{"SELECT dstport FROM flows WHERE srcdevice = 'x' AND dstport + 1 > 2", sql.ErrType, "line 1:53: + needs a number, but dstport is VARCHAR"},
		{"SELECT dstport, count(*) FROM flows GROUP BY dstport HAVING dstport + 1 > 2", sql.ErrType, "line 1:61: + needs a number, but dstport is VARCHAR"},
		{"SELECT dstport FROM flows ORDER BY dstport * 2", sql.ErrType, "line 1:36: * needs a number, but dstport is VARCHAR"},
		{"SELECT x FROM (SELECT srcdevice AS d FROM flows) AS f", sql.ErrUnknownColumn, "line 1:8: unknown column \"x\" in the subquery in FROM"},
		{"SELECT\n  srcbytes,\n  FROM flows", sql.ErrSyntax, "line 3:3: syntax error near \"FROM\""},
		{"SELECT a FROM flows JOIN other ON a = b", sql.ErrUnsupported, "joins are not supported"},
		{"SELECT srcbytes FROM flows WHERE dstport IN (SELECT 1)", sql.ErrUnsupported, "IN takes a list"},
		{"SELECT 'abc FROM flows", sql.ErrSyntax, "line 1:8: unterminated string"},
		{"SELECT count(*) FILTER (srcbytes > 0) FROM flows", sql.ErrSyntax, "line 1:17: FILTER wants (WHERE condition)"},
		{"SELECT srcbytes FROM flows WHERE srcdevice IS DISTINCT FROM srcbytes + 1 AND nope", sql.ErrUnknownColumn, "line 1:78: unknown column \"nope\""},
		{"SELECT srcbytes FROM flows WHERE srcbytes IS TRUE", sql.ErrType, "IS TRUE needs a boolean"},
		{"SELECT srcbytes FROM flows WHERE srcbytes <=> 1", sql.ErrUnsupported, "write a IS NOT DISTINCT FROM b"},
		{"SELECT lower(srcdevice) FILTER (WHERE srcbytes > 0) FROM flows", sql.ErrUnsupported, "FILTER applies to aggregates only"},
		{"SELECT count(*) FILTER (WHERE srcdevice) FROM flows", sql.ErrType, "FILTER needs a boolean"},
		{"DELETE FROM flows", sql.ErrUnsupported, "only SELECT queries"},
		{"SELECT rank() OVER (ORDER BY srcbytes) FROM flows", sql.ErrUnsupported, "OVER"},
		{"SELECT CAST(srcbytes AS blob) FROM flows", sql.ErrUnsupported, "unknown type \"blob\""},
		{"SELECT protocol, count(*) FROM flows GROUP BY ALL, protocol", sql.ErrSyntax, "line 1:47: GROUP BY ALL takes no other keys"},
		{"SELECT protocol, count(*) FROM flows GROUP BY protocol, all", sql.ErrSyntax, "line 1:57: syntax error near \"all\""},
		{"SELECT protocol, count(*) FROM flows GROUP BY ALL ORDER BY srcbytes", sql.ErrUnsupported, "srcbytes must appear in GROUP BY"},
		{"SELECT protocol + count(*) FROM flows GROUP BY ALL", sql.ErrUnsupported, "protocol must appear in GROUP BY"},
		{"SELECT count(*) AS srcbytes FROM flows GROUP BY protocol HAVING srcbytes > 1", sql.ErrUnsupported, "column srcbytes must appear in GROUP BY"},
		{"SELECT protocol, count(*) AS n FROM flows GROUP BY protocol HAVING max(n) > 1", sql.ErrUnknownColumn, "line 1:72: unknown column \"n\""},
		{"SELECT srcbytes AS b FROM flows GROUP BY protocol HAVING b > 1", sql.ErrUnsupported, "column srcbytes must appear in GROUP BY"},
		{"SELECT srcbytes FROM flows ORDER BY srcbytes NULLS MIDDLE", sql.ErrSyntax, "line 1:52: NULLS wants FIRST or LAST"},
		{"SELECT srcbytes FROM flows ORDER BY srcbytes NULLS", sql.ErrSyntax, "line 1:51: NULLS wants FIRST or LAST"},
		{"SELECT srcbytes FROM flows ORDER BY srcbytes NULLS FIRST DESC", sql.ErrSyntax, "line 1:58: NULLS FIRST ends an ORDER BY item, DESC cannot follow it"},
		{"SELECT srcbytes FROM flows ORDER BY srcbytes NULLS FIRST NULLS LAST", sql.ErrSyntax, "line 1:58: NULLS FIRST ends an ORDER BY item, NULLS cannot follow it"},
		{"SELECT srcbytes FROM flows WHERE srcbytes NULLS FIRST", sql.ErrSyntax, "line 1:43: syntax error"},
		{"SELECT srcbytes FROM flows ORDER BY srcbytes NULLS FIRST, nope NULLS LAST", sql.ErrUnknownColumn, "line 1:59: unknown column \"nope\""},
		{"SELECT count(*) FROM flows GROUP BY CUMULATE(time, 20, 50)", sql.ErrUnsupported, "line 1:37: CUMULATE(time, step, size): the size (50 s) is not a whole number of steps (20 s)"},
		{"SELECT count(*) FROM flows GROUP BY CUMULATE(time, 60, 10)", sql.ErrUnsupported, "the step (60 s) is longer than the size (10 s)"},
		{"SELECT count(*) FROM flows GROUP BY CUMULATE(time, 10)", sql.ErrUnsupported, "CUMULATE(time, step, size): takes a step and a size, got 1 sizes"},
		{"SELECT count(*) FROM flows GROUP BY CUMULATE(time, 0.001, 3600)", sql.ErrUnsupported, "3600000 steps make a period: at most 65536"},
		{"SELECT CUMULATE_END(time, 10, 30) AS e, count(*) FROM flows GROUP BY CUMULATE(time, 10, 60)", sql.ErrUnsupported, "line 1:8: CUMULATE_END must match the window in GROUP BY"},
		{"SELECT count(*) FROM flows GROUP BY CUMULATE(srcdevice, 10, 60)", sql.ErrType, "window time srcdevice is VARCHAR"},
	}
	for _, c := range cases {
		_, err := sql.Build(c.query, flowsCatalog)
		if err == nil {
			t.Errorf("%q: no error", c.query)
			continue
		}
		if !errors.Is(err, c.kind) {
			t.Errorf("%q: error kind: got %v, want %v", c.query, err, c.kind)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q:\n%v\nwant it to contain %q", c.query, err, c.want)
		}
	}
}

// TestRoundTrip: printing a bound expression gives brook SQL that plans
// back to the same expression.
func TestRoundTrip(t *testing.T) {
	exprs := []string{
		`CASE WHEN srcbytes > 10 THEN 'big' WHEN srcbytes IS NULL THEN NULL ELSE 'small' END`,
		`CASE protocol WHEN 6 THEN 1.5 ELSE 2 END`,
		`substr(lower(srcdevice), -3, 2) || '-' || "time"`,
		`TRY_CAST(dstport AS BIGINT) BETWEEN 1 AND 1024`,
		`dstport NOT IN ('80', 443, NULL)`,
		`NOT (srcdevice LIKE 'Comp%' AND srcbytes / 2 >= 1e3) OR -srcbytes % 7 = 0`,
		`coalesce(srcbytes, dstbytes, 0) + round(duration, 2)`,
		`'it''s a \ backslash'`,
		`"key" = 'x'`,
	}
	cat := testCatalog{"flows": append(append(value.Schema{}, flowsCatalog["flows"]...), value.Column{Name: "key", Type: value.String})}
	for _, e := range exprs {
		p1, err := sql.Build("SELECT "+e+" FROM flows", cat)
		if err != nil {
			t.Errorf("%s: %v", e, err)
			continue
		}
		printed := p1.Output[0].Expr.String()
		p2, err := sql.Build("SELECT "+printed+" FROM flows", cat)
		if err != nil {
			t.Errorf("%s printed as %s: %v", e, printed, err)
			continue
		}
		if again := p2.Output[0].Expr.String(); again != printed {
			t.Errorf("%s: printed %s, re-planned as %s", e, printed, again)
		}
		if p1.Output[0].Expr.Type() != p2.Output[0].Expr.Type() {
			t.Errorf("%s: type changed from %s to %s", e, p1.Output[0].Expr.Type(), p2.Output[0].Expr.Type())
		}
	}
}

// FuzzBuild: no query text makes the front end panic; every failure is an
// *sql.Error with a position inside the text (or none).
func FuzzBuild(f *testing.F) {
	for _, seed := range []string{
		"SELECT DstDevice, COUNT(*) AS hits FROM flows WHERE DstPort IN (443, 8000) GROUP BY DstDevice ORDER BY hits DESC LIMIT 20",
		`SELECT "time", CAST(x AS DOUBLE), TRY_CAST(y AS INT) FROM flows WHERE a || b LIKE '%x_' -- c`,
		"SELECT CASE WHEN a THEN 1 END, substr(s, 1, 2) FROM t /* x */ HAVING count(DISTINCT z) > 1",
		"SELECT 'unterminated FROM flows",
		`SELECT "a""b" FROM flows`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, query string) {
		p, err := sql.Build(query, flowsCatalog)
		if err != nil {
			var e *sql.Error
			if errors.As(err, &e) {
				if e.Pos > len(query) {
					t.Fatalf("position %d beyond the text (%d bytes)", e.Pos, len(query))
				}
				_ = e.Error()
			}
			return
		}
		_ = p.String()
	})
}

// TestInStringLiterals: in an IN whose operands include a number, a string
// literal is cast to the IN's numeric type as DuckDB casts it (BIGINT when
// every number is one, DOUBLE otherwise), and one that is not a number is
// an error, as DuckDB fails the query ("Could not convert string"). A
// string column compared with numbers keeps brook's rule, and its literals
// stay strings.
func TestInStringLiterals(t *testing.T) {
	cat := testCatalog{"t": {{Name: "i", Type: value.Int}, {Name: "g", Type: value.Float}, {Name: "k", Type: value.String}}}
	for _, c := range []struct{ expr, want string }{
		{`i IN ('1.5', 3)`, `i IN (2, 3)`},
		{`i IN ('1e3', ' 42 ', '0x10')`, `i IN (1000, 42, 16)`},
		{`i NOT IN ('7', NULL)`, `i NOT IN (7, NULL)`},
		{`g IN ('1.5', 3)`, `g IN (1.5, 3)`},
		{`i IN ('1.5', 2.5)`, `i IN (1.5, 2.5)`},
		{`NULL IN ('1e3', 1)`, `NULL IN (1000, 1)`},
		{`NULL IN ('1e308', 1)`, `error: line 1:17: IN compares BIGINT values, and the string '1e308' is not a number`},
		{`'42' IN (i, 1)`, `42 IN (i, 1)`},
		{`NULL IN ('', 'abc')`, `NULL IN ('', 'abc')`},
		{`k IN (443, 'abc', '')`, `k IN (443, 'abc', '')`},
		{`NULL IN ('', 1e308)`, `error: line 1:17: IN compares DOUBLE values, and the string '' is not a number`},
		{`i IN (3, 'abc')`, `error: line 1:17: IN compares BIGINT values, and the string 'abc' is not a number`},
		{`i IN (3, '1.5x')`, `error: line 1:17: IN compares BIGINT values, and the string '1.5x' is not a number`},
		{`'x' IN (1e308)`, `error: line 1:8: IN compares DOUBLE values, and the string 'x' is not a number`},
		{`i IN ('9223372036854775808', 1)`, `error: line 1:14: IN compares BIGINT values`},
	} {
		p, err := sql.Build("SELECT "+c.expr+" AS c FROM t", cat)
		got := ""
		if err != nil {
			if !errors.Is(err, sql.ErrType) {
				t.Errorf("%s: error kind %v", c.expr, err)
			}
			got = "error: " + err.Error()
		} else {
			got = p.Output[0].Expr.String()
		}
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: got %s, want %s", c.expr, got, c.want)
		}
	}
}
