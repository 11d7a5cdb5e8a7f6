package sql

import (
	"errors"
	"strings"
	"testing"

	"brook/value"
)

type testCatalog map[string]value.Schema

func (c testCatalog) Schema(t string) (value.Schema, error) {
	for name, s := range c {
		if strings.EqualFold(name, t) {
			return s, nil
		}
	}
	return nil, ErrUnknownTable
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
└─ Sort count(*) DESC (NULLS LAST; ties by output columns)
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
			`SELECT TRY_CAST(dstport AS DOUBLE) p, CAST(srcbytes AS BIGINT) || 'x', substr(lower(srcdevice), 1, 4) FROM flows`,
			`Project p := TRY_CAST(dstport AS DOUBLE), "CAST(srcbytes AS BIGINT) || 'x'" := CAST(srcbytes AS BIGINT) || 'x', "substr(lower(srcdevice), 1, 4)" := substr(lower(srcdevice), 1, 4)
└─ Scan flows [dstport VARCHAR, srcbytes DOUBLE, srcdevice VARCHAR]
`,
		},
	}
	for _, c := range cases {
		p, err := Build(c.query, flowsCatalog)
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
		{"SELECT x FROM flows", ErrUnknownColumn, "line 1:8: unknown column \"x\""},
		{"SELECT DstPrt FROM flows", ErrUnknownColumn, "did you mean dstport?"},
		{"SELECT a\nFROM nope", ErrUnknownTable, "line 2:6: unknown table \"nope\""},
		{"SELECT dstdevice, count(*) FROM flows", ErrUnsupported, "line 1:8: column dstdevice must appear in GROUP BY"},
		{"SELECT srcbytes FROM flows WHERE count(*) > 1", ErrUnsupported, "not allowed in WHERE"},
		{"SELECT srcbytes FROM flows WHERE srcbytes", ErrType, "WHERE needs a boolean condition"},
		{"SELECT srcbytes + dstport FROM flows", ErrType, "+ needs a number, but dstport is VARCHAR"},
		{"SELECT median(srcbytes) FROM flows", ErrUnsupported, "line 1:8: median() is not supported: it needs every value"},
		{"SELECT lowr(srcdevice) FROM flows", ErrUnknownFunction, "did you mean lower()?"},
		{"SELECT srcbytes FROM flows WHERE", ErrSyntax, "line 1:33: syntax error"},
		{"SELECT\n  srcbytes,\n  FROM flows", ErrSyntax, "line 3:3: syntax error near \"FROM\""},
		{"SELECT a FROM flows JOIN other ON a = b", ErrUnsupported, "joins are not supported"},
		{"SELECT srcbytes FROM flows WHERE dstport IN (SELECT 1)", ErrUnsupported, "IN takes a list"},
		{"SELECT 'abc FROM flows", ErrSyntax, "line 1:8: unterminated string"},
		{"DELETE FROM flows", ErrUnsupported, "only SELECT queries"},
		{"SELECT rank() OVER (ORDER BY srcbytes) FROM flows", ErrUnsupported, "OVER"},
		{"SELECT CAST(srcbytes AS blob) FROM flows", ErrUnsupported, "unknown type \"blob\""},
	}
	for _, c := range cases {
		_, err := Build(c.query, flowsCatalog)
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
