package decode

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"brook/gen"
	"brook/value"
)

// Shorthands for expected values.
func vS(s string) value.Value  { return value.StringValue(s) }
func vF(f float64) value.Value { return value.FloatValue(f) }
func vI(i int64) value.Value   { return value.IntValue(i) }
func vB(b bool) value.Value    { return value.BoolValue(b) }

var vNull = value.NullValue

// schema builds a value.Schema from "name", Type pairs.
func schema(pairs ...any) value.Schema {
	var s value.Schema
	for i := 0; i < len(pairs); i += 2 {
		s = append(s, value.Column{Name: pairs[i].(string), Type: pairs[i+1].(value.Type)})
	}
	return s
}

// decodeText decodes data as one chunk named "in.json" starting at line 1.
func decodeText(t testing.TB, cols value.Schema, data string) (*Batch, []Reject, DecodeStats) {
	t.Helper()
	d := NewDecoder(cols)
	b := &Batch{}
	b.Reset(len(cols))
	rejects, stats := d.Decode([]Chunk{{Name: "in.json", FirstLine: 1, Data: []byte(data)}}, b)
	checkShape(t, b)
	return b, rejects, stats
}

// checkShape checks the batch invariant: Rows full rows of Width values.
func checkShape(t testing.TB, b *Batch) {
	t.Helper()
	if len(b.Values) != b.Rows*b.Width {
		t.Fatalf("batch has %d values for %d rows of width %d", len(b.Values), b.Rows, b.Width)
	}
}

func checkRows(t *testing.T, b *Batch, want ...[]value.Value) {
	t.Helper()
	if b.Rows != len(want) {
		t.Fatalf("got %d rows, want %d: %v", b.Rows, len(want), b.Values)
	}
	for i, w := range want {
		if got := b.Row(i); !reflect.DeepEqual(got, w) {
			t.Errorf("row %d = %v, want %v", i, got, w)
		}
	}
}

func row(vs ...value.Value) []value.Value { return vs }

func noRejects(t *testing.T, rejects []Reject) {
	t.Helper()
	for _, r := range rejects {
		t.Errorf("unexpected reject: %v (raw %q)", r, r.Raw)
	}
}

func TestDecodeProjection(t *testing.T) {
	cols := schema("dstport", value.String, "duration", value.Float)
	in := `{"x": {"a": [1, {"b": "}"}], "c": "]\"{", "d": {"e": {}}}, "dstport": "443", ` +
		`"arr": [[], {}, "x,y", 1.5, -2e3, true, false, null, [[["deep"]]]], "duration": 3.0, ` +
		`"esc": "a\\b\"c", "n": null, "t": true, "z": "tail"}` + "\n"
	b, rejects, stats := decodeText(t, cols, in)
	noRejects(t, rejects)
	if b.Width != 2 {
		t.Fatalf("Width = %d, want 2", b.Width)
	}
	checkRows(t, b, row(vS("443"), vF(3)))
	if stats.Lines != 1 || stats.Blank != 0 {
		t.Errorf("stats = %+v, want 1 line, 0 blank", stats)
	}
}

func TestDecodeNoColumns(t *testing.T) {
	// count(*) plans read no column: every well-formed line is still a row.
	b, rejects, _ := decodeText(t, nil, "{\"a\": 1}\n{\"b\": [1, 2]}\n{}\n{bad\n")
	if b.Rows != 3 || len(b.Values) != 0 {
		t.Fatalf("rows = %d, values = %d; want 3 rows, no values", b.Rows, len(b.Values))
	}
	if len(rejects) != 1 || rejects[0].Line != 4 {
		t.Fatalf("rejects = %v, want line 4 only", rejects)
	}
}

func TestDecodeKeyOrderIndependent(t *testing.T) {
	cols := schema("a", value.Float, "b", value.String, "c", value.Int)
	in := `{"a": 1.5, "b": "x", "c": 7}
{"c": 7, "b": "x", "a": 1.5}
{"b": "x", "zz": 0, "c": 7, "a": 1.5}
`
	b, rejects, _ := decodeText(t, cols, in)
	noRejects(t, rejects)
	want := row(vF(1.5), vS("x"), vI(7))
	checkRows(t, b, want, want, want)
}

func TestDecodeMissingAndNull(t *testing.T) {
	cols := schema("a", value.Float, "b", value.String, "c", value.Bool)
	in := `{"a": 1.0, "b": "x", "c": true}
{"b": "y"}
{"a": null, "b": null, "c": null}
{}
{"other": 1}
{"a": 2.0, "b": "z", "c": false}
`
	b, rejects, _ := decodeText(t, cols, in)
	noRejects(t, rejects)
	checkRows(t, b,
		row(vF(1), vS("x"), vB(true)),
		row(vNull, vS("y"), vNull), // no value leaks from the row before
		row(vNull, vNull, vNull),
		row(vNull, vNull, vNull),
		row(vNull, vNull, vNull),
		row(vF(2), vS("z"), vB(false)),
	)
	for i := 1; i < 5; i++ {
		if !b.Row(i)[0].IsNull() {
			t.Errorf("row %d: a is %v, want NULL", i, b.Row(i)[0])
		}
	}
}

// TestDecodeDuplicateKeys: as DuckDB's read_json, a line that gives a
// column's key twice is rejected (after the line is read whole, so that a
// malformed line is rejected as such), whatever the values; keys the query
// does not read may repeat, and so may keys in nested objects.
func TestDecodeDuplicateKeys(t *testing.T) {
	cols := schema("a", value.Float, "b", value.String)
	in := `{"a": 1.0, "b": "first", "a": 2.0}
{"a": 1.0, "a": null}
{"a": null, "a": 3.0, "b": "x", "b": "y"}
{"b": "x", "\u0062": "y"}
{"a": 1.0, "x": 1, "x": 2, "b": {"k": 1, "k": 2}}
{"a": 1.0, "a": 2.0, "b": }
{"a": 2.0, "A": 3.0, "a ": 4.0}
`
	b, rejects, _ := decodeText(t, cols, in)
	var got []string
	for _, r := range rejects {
		got = append(got, r.Error())
	}
	want := []string{
		`in.json:1: field "a": duplicate key`,
		`in.json:2: field "a": duplicate key`,
		`in.json:3: field "a": duplicate key`,
		`in.json:4: field "b": duplicate key`,
		`in.json:6: malformed JSON: unexpected '}'`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rejects = %q\nwant      %q", got, want)
	}
	checkRows(t, b, row(vF(1), vS(`{"k":1,"k":2}`)), row(vF(2), vNull))
}

func TestDecodeStringEscapes(t *testing.T) {
	cases := []struct{ json, want string }{
		{`"plain"`, "plain"},
		{`""`, ""},
		{`"a\"b"`, `a"b`},
		{`"back\\slash"`, `back\slash`},
		{`"ends with \\"`, `ends with \`},
		{`"\\\""`, `\"`},
		{`"new\nline"`, "new\nline"},
		{`"\t\r\b\f\/"`, "\t\r\b\f/"},
		{`"caf\u00e9"`, "café"},
		{`"caf\u00E9"`, "café"},
		{`"\u0041\u00e9\u4e2d"`, "Aé中"},
		{`"smile \ud83d\ude00!"`, "smile 😀!"},
		{`"\ud83d\ude00\ud83d\ude01"`, "😀😁"},
		{`"raw UTF-8 café 😀"`, "raw UTF-8 café 😀"},
		{`"\u0000\u001f\u007f"`, "\x00\x1f\x7f"},
		{"\"raw DEL \x7f\"", "raw DEL \x7f"},
	}
	cols := schema("s", value.String)
	for _, c := range cases {
		b, rejects, _ := decodeText(t, cols, `{"s": `+c.json+"}\n")
		if len(rejects) > 0 || b.Rows != 1 {
			t.Errorf("%s: rejects %v, rows %d", c.json, rejects, b.Rows)
			continue
		}
		if got := b.Row(0)[0]; got != vS(c.want) {
			t.Errorf("%s decoded to %q, want %q", c.json, got.S, c.want)
		}
	}
}

func TestDecodeEscapedKeyMatches(t *testing.T) {
	cols := schema("dstport", value.String, "a\"b", value.Float)
	b, rejects, _ := decodeText(t, cols, `{"dst\u0070ort": "80", "a\"b": 1.0}`+"\n")
	noRejects(t, rejects)
	checkRows(t, b, row(vS("80"), vF(1)))
}

// TestDecodeArena checks that unescaped strings stay valid while the decoder
// goes on to decode many more rows, across batches and arena blocks.
func TestDecodeArena(t *testing.T) {
	cols := schema("s", value.String, "n", value.Int)
	d := NewDecoder(cols)
	esc := func(i int) (string, string) {
		pad := strings.Repeat("x", i%97)
		return fmt.Sprintf(`row %d \"q\" caf\u00e9 \ud83d\ude00 %s\\`, i, pad),
			fmt.Sprintf(`row %d "q" café 😀 %s\`, i, pad)
	}
	mk := func(from, to int) ([]byte, []string) {
		var buf []byte
		var want []string
		for i := from; i < to; i++ {
			j, w := esc(i)
			buf = append(buf, fmt.Sprintf("{\"s\": \"%s\", \"n\": %d}\n", j, i)...)
			want = append(want, w)
		}
		return buf, want
	}

	data0, want0 := mk(0, 2000)
	var first Batch
	first.Reset(2)
	rejects, _ := d.Decode([]Chunk{{Name: "a", FirstLine: 1, Data: data0}}, &first)
	if len(rejects) > 0 || first.Rows != len(want0) {
		t.Fatalf("first batch: %d rows, rejects %v", first.Rows, rejects)
	}
	check := func(what string, b *Batch, want []string, from int) {
		t.Helper()
		for i, w := range want {
			r := b.Row(i)
			if r[0].S != w || r[1] != vI(int64(from+i)) {
				t.Fatalf("%s row %d = %q, %v; want %q, %d", what, i, r[0].S, r[1], w, from+i)
			}
		}
	}
	check("first batch", &first, want0, 0)

	// Many more batches through the same decoder, one batch value reused,
	// including a string larger than an arena block.
	var b Batch
	for k := 1; k <= 40; k++ {
		data, want := mk(k*2000, (k+1)*2000)
		if k == 20 {
			big := strings.Repeat(`\u00e9\n`, 50000)
			data = append(data, `{"s": "`+big+`", "n": 0}`+"\n"...)
			want = append(want, strings.Repeat("é\n", 50000))
		}
		b.Reset(2)
		rejects, _ := d.Decode([]Chunk{{Name: "b", FirstLine: 1, Data: data}}, &b)
		if len(rejects) > 0 || b.Rows != len(want) {
			t.Fatalf("batch %d: %d rows, rejects %v", k, b.Rows, rejects)
		}
		if k == 20 {
			if got := b.Row(b.Rows - 1)[0].S; got != want[len(want)-1] {
				t.Fatalf("big string decoded to %d bytes, want %d", len(got), len(want[len(want)-1]))
			}
			want = want[:len(want)-1]
		}
		check(fmt.Sprintf("batch %d", k), &b, want, k*2000)
	}
	// The first batch's strings are untouched.
	check("first batch after 80,000 more rows", &first, want0, 0)
}

func TestDecodeDouble(t *testing.T) {
	cols := schema("x", value.Float)
	cases := []struct {
		json string
		want float64
	}{
		{"6.0", 6}, {"-1.5e3", -1500}, {"0", 0}, {"172800.0", 172800}, {"-0.25", -0.25},
		{"1E2", 100}, {"2.5e-1", 0.25}, {"1e+2", 100}, {"42", 42}, {"0.1", 0.1},
		{"12345678901234567890", 12345678901234567890}, {"3.141592653589793", 3.141592653589793},
		// numeric strings convert with read_json's strict cast
		{`"3.5"`, 3.5}, {`"6"`, 6}, {`"-1e3"`, -1000},
	}
	for _, c := range cases {
		b, rejects, _ := decodeText(t, cols, `{"x": `+c.json+"}\n")
		if len(rejects) > 0 || b.Rows != 1 {
			t.Errorf("%s: rejects %v", c.json, rejects)
			continue
		}
		if got := b.Row(0)[0]; got != vF(c.want) {
			t.Errorf("%s into DOUBLE = %v, want %v", c.json, got, c.want)
		}
	}
}

func TestDecodeBigint(t *testing.T) {
	cols := schema("n", value.Int)
	cases := []struct {
		json string
		want int64
	}{
		{"0", 0}, {"42", 42}, {"-7", -7}, {"9223372036854775807", 9223372036854775807},
		{"-9223372036854775808", -9223372036854775808},
		// fractions round half to even, as read_json does
		{"5.5", 6}, {"-5.5", -6}, {"2.5", 2}, {"3.5", 4}, {"2.4", 2}, {"6.0", 6}, {"-0.5", 0}, {"1e3", 1000},
		{`"12"`, 12}, {`" 12"`, 12}, {`true`, 1},
	}
	for _, c := range cases {
		b, rejects, _ := decodeText(t, cols, `{"n": `+c.json+"}\n")
		if len(rejects) > 0 || b.Rows != 1 {
			t.Errorf("%s: rejects %v", c.json, rejects)
			continue
		}
		if got := b.Row(0)[0]; got != vI(c.want) {
			t.Errorf("%s into BIGINT = %v, want %d", c.json, got, c.want)
		}
	}
	for _, bad := range []string{"9223372036854775808", "1e19", "-1e30", `"abc"`, `""`, `"3.5"`, `"-2.5"`} {
		_, rejects, _ := decodeText(t, cols, `{"n": `+bad+"}\n")
		if len(rejects) != 1 || !strings.Contains(rejects[0].Reason, `"n"`) {
			t.Errorf("%s into BIGINT: rejects %v, want one naming field \"n\"", bad, rejects)
		}
	}
}

// TestDecodeNumberIntoVarchar: integers keep their digits; other numbers
// are rendered from the parsed DOUBLE, as read_json does.
func TestDecodeNumberIntoVarchar(t *testing.T) {
	cols := schema("s", value.String)
	for num, want := range map[string]string{"6.0": "6.0", "-1.5e3": "-1500.0", "0": "0", "172800.0": "172800.0", "443": "443", "1E+2": "100.0", "1.50": "1.5"} {
		b, rejects, _ := decodeText(t, cols, `{"s": `+num+"}\n")
		noRejects(t, rejects)
		if b.Rows != 1 || b.Row(0)[0] != vS(want) {
			t.Errorf("%s into VARCHAR = %v, want %q", num, b.Values, want)
		}
	}
}

func TestDecodeTypeMismatchRejects(t *testing.T) {
	in := `{"dstport": "443", "d": 1.0}
{"dstport": "Port05507", "d": 2.0}
{"dstport": "80", "d": "not a number"}
{"dstport": "22", "d": {"nested": 1}}
{"dstport": "22", "d": [1, 2]}
{"dstport": "22", "d": " 1.5 "}
{"dstport": "22", "d": ""}
{"dstport": "53", "d": 3.0}
`
	cols := schema("dstport", value.String, "d", value.Float)
	b, rejects, stats := decodeText(t, cols, in)
	checkRows(t, b, row(vS("443"), vF(1)), row(vS("Port05507"), vF(2)), row(vS("53"), vF(3)))
	wantLines := []int{3, 4, 5, 6, 7}
	if len(rejects) != len(wantLines) {
		t.Fatalf("rejects = %v, want lines %v", rejects, wantLines)
	}
	lines := strings.Split(in, "\n")
	for i, r := range rejects {
		if r.Line != wantLines[i] || r.Source != "in.json" {
			t.Errorf("reject %d at %s:%d, want in.json:%d", i, r.Source, r.Line, wantLines[i])
		}
		if !strings.Contains(r.Reason, `"d"`) {
			t.Errorf("reject %d reason %q does not name the field", i, r.Reason)
		}
		if r.Raw != lines[r.Line-1] {
			t.Errorf("reject %d Raw = %q, want %q", i, r.Raw, lines[r.Line-1])
		}
		if prefix := fmt.Sprintf("in.json:%d: ", r.Line); !strings.HasPrefix(r.Error(), prefix) {
			t.Errorf("Error() = %q, want prefix %q", r.Error(), prefix)
		}
	}
	if !strings.Contains(rejects[0].Reason, "not a number") {
		t.Errorf("reason %q does not quote the value", rejects[0].Reason)
	}
	if !strings.Contains(rejects[1].Reason, "nested") {
		t.Errorf("reason %q does not say nested", rejects[1].Reason)
	}
	if stats.Lines != 8 {
		t.Errorf("stats.Lines = %d, want 8", stats.Lines)
	}
}

func TestDecodeBooleans(t *testing.T) {
	cols := schema("b", value.Bool, "s", value.String)
	in := `{"b": true, "s": true}
{"b": false, "s": false}
{"b": "true", "s": "x"}
{"b": "f", "s": "x"}
`
	b, rejects, _ := decodeText(t, cols, in)
	noRejects(t, rejects)
	checkRows(t, b,
		row(vB(true), vS("true")),
		row(vB(false), vS("false")),
		row(vB(true), vS("x")),
		row(vB(false), vS("x")),
	)
	for _, bad := range []string{`"1"`, `"maybe"`, "[true]"} {
		_, rejects, _ := decodeText(t, cols, `{"b": `+bad+"}\n")
		if len(rejects) != 1 || !strings.Contains(rejects[0].Reason, `"b"`) {
			t.Errorf("%s into BOOLEAN: rejects %v", bad, rejects)
		}
	}
	// Numbers and booleans convert both ways, as in read_json.
	b, rejects, _ = decodeText(t, schema("d", value.Float, "b", value.Bool), `{"d": false, "b": 0}`+"\n"+`{"d": true, "b": 2.5}`+"\n")
	noRejects(t, rejects)
	checkRows(t, b, row(vF(0), vB(false)), row(vF(1), vB(true)))
}

func TestDecodeNestedIntoVarchar(t *testing.T) {
	cols := schema("j", value.String)
	// read_json keeps nested values as minified JSON text.
	for nested, want := range map[string]string{`{"a": [1, 2], "b": {"c": " } "}}`: `{"a":[1,2],"b":{"c":" } "}}`, `[1, "x", null]`: `[1,"x",null]`, `[]`: `[]`, `{ }`: `{}`, `[[[]]]`: `[[[]]]`} {
		b, rejects, _ := decodeText(t, cols, `{"j": `+nested+`, "k": 1}`+"\n")
		noRejects(t, rejects)
		if b.Rows != 1 || b.Row(0)[0] != vS(want) {
			t.Errorf("nested %s into VARCHAR = %v", nested, b.Values)
		}
	}
}

func TestDecodeTimestamp(t *testing.T) {
	cols := schema("ts", value.Timestamp)
	b, rejects, _ := decodeText(t, cols, `{"ts": "2024-01-02T03:04:05Z"}
{"ts": "2024-01-02 03:04:05.5"}
{"ts": null}
{"ts": "yesterday"}
{"ts": 5}
`)
	checkRows(t, b,
		row(value.TimestampValue(1704164645000000)),
		row(value.TimestampValue(1704164645500000)),
		row(vNull),
	)
	if len(rejects) != 2 || rejects[0].Line != 4 || rejects[1].Line != 5 {
		t.Errorf("rejects = %v, want lines 4 and 5", rejects)
	}
}

func TestDecodeCRLF(t *testing.T) {
	cols := schema("a", value.Float, "s", value.String)
	in := "{\"a\": 1.0, \"s\": \"x\"}\r\n{\"s\": \"y\", \"a\": 2.0}\r\n\r\n{\"a\": oops}\r\n{\"a\": 3.0, \"s\": \"z\"}\r\n"
	b, rejects, stats := decodeText(t, cols, in)
	checkRows(t, b, row(vF(1), vS("x")), row(vF(2), vS("y")), row(vF(3), vS("z")))
	if len(rejects) != 1 || rejects[0].Line != 4 || rejects[0].Raw != `{"a": oops}` {
		t.Errorf("rejects = %+v, want line 4 without its CR", rejects)
	}
	if stats.Lines != 4 || stats.Blank != 1 {
		t.Errorf("stats = %+v, want 4 lines and 1 blank", stats)
	}
}

func TestDecodeBOM(t *testing.T) {
	cols := schema("a", value.Float)
	b, rejects, _ := decodeText(t, cols, "\xEF\xBB\xBF{\"a\": 1.0}\n{\"a\": 2.0}\n")
	noRejects(t, rejects)
	checkRows(t, b, row(vF(1)), row(vF(2)))

	// Only the start of a file (line 1) may carry a BOM.
	d := NewDecoder(cols)
	var b2 Batch
	b2.Reset(1)
	var stats DecodeStats
	rejects = d.DecodeChunk(Chunk{Name: "mid", FirstLine: 7, Data: []byte("\xEF\xBB\xBF{\"a\": 1.0}\n")}, &b2, nil, &stats)
	if len(rejects) != 1 || rejects[0].Line != 7 || b2.Rows != 0 {
		t.Errorf("BOM on line 7: rows %d, rejects %v; want the line rejected", b2.Rows, rejects)
	}
}

func TestDecodeBlankLines(t *testing.T) {
	cols := schema("a", value.Float)
	in := "\n  \n{\"a\": 1.0}\n\t\n\n{\"a\": 2.0}\n \t \n{bad}\n\n"
	b, rejects, stats := decodeText(t, cols, in)
	checkRows(t, b, row(vF(1)), row(vF(2)))
	if stats.Blank != 6 || stats.Lines != 3 {
		t.Errorf("stats = %+v, want 6 blank and 3 lines", stats)
	}
	if len(rejects) != 1 || rejects[0].Line != 8 {
		t.Errorf("rejects = %v, want line 8", rejects)
	}
	_, rejects, stats = decodeText(t, cols, "")
	if len(rejects) != 0 || stats != (DecodeStats{}) {
		t.Errorf("empty input: rejects %v stats %+v", rejects, stats)
	}
}

func TestDecodeLastLineWithoutNewline(t *testing.T) {
	cols := schema("a", value.Float, "b", value.String)
	b, rejects, stats := decodeText(t, cols, "{\"a\": 1.0}\n{\"a\": 2.0, \"b\": \"end\"}")
	noRejects(t, rejects)
	checkRows(t, b, row(vF(1), vNull), row(vF(2), vS("end")))
	if stats.Lines != 2 {
		t.Errorf("stats = %+v, want 2 lines", stats)
	}

	// Truncated anywhere: rejected, saying it may be truncated; no panic.
	full := `{"a": 172800.0, "b": "Comp12", "c": [1, {"d": "e"}], "f": true}`
	for cut := 1; cut < len(full); cut++ {
		trunc := full[:cut]
		if strings.TrimSpace(trunc) != trunc { // ends in a space: same as the shorter cut
			continue
		}
		b, rejects, _ := decodeText(t, cols, "{\"a\": 1.0}\n"+trunc)
		if b.Rows != 1 || len(rejects) != 1 {
			t.Errorf("cut at %d (%q): %d rows, rejects %v; want 1 row and 1 reject", cut, trunc, b.Rows, rejects)
			continue
		}
		r := rejects[0]
		if r.Line != 2 || !strings.Contains(r.Reason, "truncated") || r.Raw != trunc {
			t.Errorf("cut at %d (%q): reject %+v; want line 2 with a truncated-line reason", cut, trunc, r)
		}
	}
}

func TestDecodeMalformedLines(t *testing.T) {
	cols := schema("a", value.Float, "s", value.String)
	good := `{"a": 1.0, "s": "ok"}`
	bad := []struct{ line, reason string }{
		{`{"a" 1.0}`, "':'"},                     // missing colon
		{`{"a": 1.0} trailing`, "after"},         // trailing garbage
		{`{"a": 1.0}{"a": 2.0}`, "after"},        // two objects
		{`{"a": 1.0}}`, "after"},                 // extra brace
		{`[{"a": 1.0}]`, "not a JSON object"},    // top-level array
		{`"just a string"`, "not a JSON object"}, // top-level string
		{`42`, "not a JSON object"},
		{`{"s": "unterminated}`, "unterminated string"},
		{`{"x": "unterminated}`, "unterminated string"}, // in a skipped field
		{`{a: 1.0}`, "quoted key"},
		{`{"a": 1.0 "s": "x"}`, "unexpected"},
		{`{"a": 1.0,}`, "quoted key"},
		{`{"a": tru}`, "unexpected"},
		{`{"a": nul}`, "unexpected"},
		{`{"x": nope}`, "unexpected"},
		{`{"a": -}`, "bad number"},
		{`{"a": .5}`, "unexpected"},
		{`{"x": {"k" 1}}`, "':'"},
		{`{"x": [1, 2}`, "unexpected"},
		{`{"x": {"k": 1]}`, "unexpected"},
		{`{"x": [1 2]}`, "unexpected"},
		{`{"a": 1.0, "a": }`, "unexpected"},
	}
	var in strings.Builder
	var wantLines []int
	line := 0
	for i, b := range bad {
		in.WriteString(good + "\n")
		line++
		if i%3 == 0 {
			in.WriteString("\n")
			line++
		}
		in.WriteString(b.line + "\n")
		line++
		wantLines = append(wantLines, line)
	}
	in.WriteString(good + "\n")
	b, rejects, stats := decodeText(t, cols, in.String())
	if b.Rows != len(bad)+1 {
		t.Errorf("rows = %d, want %d good lines", b.Rows, len(bad)+1)
	}
	for i := 0; i < b.Rows; i++ {
		if r := b.Row(i); !reflect.DeepEqual(r, row(vF(1), vS("ok"))) {
			t.Errorf("row %d = %v", i, r)
		}
	}
	if len(rejects) != len(bad) {
		t.Fatalf("got %d rejects, want %d: %v", len(rejects), len(bad), rejects)
	}
	for i, r := range rejects {
		if r.Line != wantLines[i] || r.Raw != bad[i].line {
			t.Errorf("reject %d: line %d raw %q, want line %d raw %q", i, r.Line, r.Raw, wantLines[i], bad[i].line)
		}
		if !strings.Contains(r.Reason, bad[i].reason) {
			t.Errorf("%s: reason %q, want it to mention %q", bad[i].line, r.Reason, bad[i].reason)
		}
	}
	if stats.Lines != 2*len(bad)+1 {
		t.Errorf("stats.Lines = %d, want %d", stats.Lines, 2*len(bad)+1)
	}
}

func TestDecodeWhitespace(t *testing.T) {
	cols := schema("a", value.Float, "s", value.String)
	b, rejects, _ := decodeText(t, cols, "  {  \"a\"\t:  1.0 ,\"s\":\"x\"  , \"k\" : [ 1 , { } ] }  \n\t{\"a\":2.0}\t\n")
	noRejects(t, rejects)
	checkRows(t, b, row(vF(1), vS("x")), row(vF(2), vNull))
}

func TestDecodeNestingDepth(t *testing.T) {
	cols := schema("a", value.Float)
	ok := `{"a": 1.0, "x": ` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "}\n"
	deep := `{"a": 1.0, "x": ` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "}\n"
	b, rejects, _ := decodeText(t, cols, ok+deep)
	checkRows(t, b, row(vF(1)))
	if len(rejects) != 1 || rejects[0].Line != 2 || !strings.Contains(rejects[0].Reason, "deep") {
		t.Errorf("rejects = %v, want line 2 nested too deeply", rejects)
	}
}

func TestDecodeInvalidUTF8(t *testing.T) {
	cols := schema("s", value.String, "a", value.Float)
	in := "{\"s\": \"ok\", \"a\": 1.0}\n" +
		"{\"s\": \"ab\xffcd\", \"a\": 2.0}\n" +
		"{\"s\": \"esc\\n\xc3\", \"a\": 3.0}\n" +
		"{\"skipped\": \"\xff\xfe\", \"s\": \"fine\", \"a\": 4.0}\n"
	b, rejects, _ := decodeText(t, cols, in)
	checkRows(t, b, row(vS("ok"), vF(1)), row(vS("fine"), vF(4)))
	if len(rejects) != 2 || rejects[0].Line != 2 || rejects[1].Line != 3 {
		t.Fatalf("rejects = %v, want lines 2 and 3", rejects)
	}
	for _, r := range rejects {
		if !strings.Contains(r.Reason, "UTF-8") || !strings.Contains(r.Reason, `"s"`) {
			t.Errorf("reason %q should name field \"s\" and invalid UTF-8", r.Reason)
		}
	}
}

func TestDecodeFirstLineAndChunks(t *testing.T) {
	cols := schema("a", value.Float)
	d := NewDecoder(cols)
	var b Batch
	b.Reset(1)
	chunks := []Chunk{
		{Name: "one.json", FirstLine: 100, Data: []byte("{\"a\": 1.0}\n\n{bad\n{\"a\": 2.0}\n")},
		{Name: "two.json", FirstLine: 1, Data: []byte("{\"a\": 3.0}\n[]\n")},
		{Name: "three.json", FirstLine: 41, Data: []byte("x\n{\"a\": 4.0}")},
	}
	rejects, stats := d.Decode(chunks, &b)
	checkShape(t, &b)
	checkRows(t, &b, row(vF(1)), row(vF(2)), row(vF(3)), row(vF(4)))
	want := []struct {
		src  string
		line int
	}{{"one.json", 102}, {"two.json", 2}, {"three.json", 41}}
	if len(rejects) != len(want) {
		t.Fatalf("rejects = %v", rejects)
	}
	for i, w := range want {
		if rejects[i].Source != w.src || rejects[i].Line != w.line {
			t.Errorf("reject %d at %s:%d, want %s:%d", i, rejects[i].Source, rejects[i].Line, w.src, w.line)
		}
	}
	if stats != (DecodeStats{Lines: 7, Blank: 1}) {
		t.Errorf("stats = %+v, want 7 lines, 1 blank", stats)
	}

	// DecodeChunk appends to the rejects and stats it is given.
	var st DecodeStats
	prev := []Reject{{Source: "earlier"}}
	got := d.DecodeChunk(Chunk{Name: "c", FirstLine: 1, Data: []byte("{\"a\": 5.0}\nbad\n")}, &b, prev, &st)
	if len(got) != 2 || got[0].Source != "earlier" || got[1].Line != 2 || b.Rows != 5 || st.Lines != 2 {
		t.Errorf("DecodeChunk: rejects %v, rows %d, stats %+v", got, b.Rows, st)
	}
}

func TestBatchReset(t *testing.T) {
	cols := schema("a", value.Float, "b", value.Float)
	d := NewDecoder(cols)
	var b Batch
	b.Reset(2)
	d.Decode([]Chunk{{Name: "x", FirstLine: 1, Data: []byte("{\"a\": 1.0, \"b\": 2.0}\n{\"a\": 3.0}\n")}}, &b)
	checkRows(t, &b, row(vF(1), vF(2)), row(vF(3), vNull))
	b.Reset(2)
	if b.Rows != 0 || len(b.Values) != 0 || b.Width != 2 {
		t.Fatalf("after Reset: %+v", b)
	}
	d.Decode([]Chunk{{Name: "x", FirstLine: 1, Data: []byte("{\"b\": 4.0}\n")}}, &b)
	checkRows(t, &b, row(vNull, vF(4)))
}

// TestDecodeGenerated decodes the generator's documented first rows.
func TestDecodeGenerated(t *testing.T) {
	g := gen.New(gen.Options{Seed: 1})
	var data []byte
	for range 3 {
		data = g.AppendRow(data)
	}
	b, rejects, _ := decodeText(t, lanlSchema, string(data))
	noRejects(t, rejects)
	checkRows(t, b,
		row(vF(172800), vF(0), vS("Comp290465"), vS("Comp100409"), vF(6), vS("53"), vS("53"), vF(0), vF(1), vF(0), vF(89)),
		row(vF(172800), vF(31), vS("Comp425088"), vS("Comp710738"), vF(6), vS("Port16654"), vS("Port35995"), vF(3), vF(1), vF(3414), vF(344)),
		row(vF(172800), vF(3), vS("Comp736701"), vS("Comp185312"), vF(6), vS("Port65531"), vS("Port50158"), vF(4), vF(1), vF(228), vF(691)),
	)
	// A projection of two columns, in an order unlike the file's.
	b, rejects, _ = decodeText(t, schema("dstport", value.String, "dstdevice", value.String), string(data))
	noRejects(t, rejects)
	checkRows(t, b, row(vS("53"), vS("Comp100409")), row(vS("Port35995"), vS("Comp710738")), row(vS("Port50158"), vS("Comp185312")))
}

// lanlSchema is the schema of gen's records, as Infer gives it.
var lanlSchema = schema(
	"time", value.Float, "duration", value.Float, "srcdevice", value.String, "dstdevice", value.String,
	"protocol", value.Float, "srcport", value.String, "dstport", value.String, "srcpackets", value.Float,
	"dstpackets", value.Float, "srcbytes", value.Float, "dstbytes", value.Float,
)

func BenchmarkDecode(b *testing.B) {
	g := gen.New(gen.Options{Seed: 1})
	var data []byte
	for range 10000 {
		data = g.AppendRow(data)
	}
	benchDecode(b, data, []benchCase{
		{"2cols", schema("dstdevice", value.String, "dstport", value.String), nil},
		{"11cols", lanlSchema, nil},
	})
}

// BenchmarkDecodeLANL decodes one file of the LANL data set (skipped where
// ../../shared/datasets/lanl is absent) with the projections of the
// benchmark queries.
func BenchmarkDecodeLANL(b *testing.B) {
	data, err := os.ReadFile("../../shared/datasets/lanl/time_01.json")
	if err != nil {
		b.Skipf("LANL data not found (%v): benchmark skipped", err)
	}
	benchDecode(b, data, []benchCase{
		{"webservers", schema("dstdevice", value.String, "dstport", value.String), nil},
		{"bytes_per_10s", schema("time", value.Float, "srcbytes", value.Float, "dstbytes", value.Float), nil},
		{"all_fields", lanlSchema, nil},
		{"no_fields", nil, nil}, // every line checked, no value kept: COUNT(*)
		// fanout's columns, with the keys of the strings the engine hashes
		{"fanout", schema("srcdevice", value.String, "dstdevice", value.String, "dstport", value.String), []int{0, 1, 2}},
		// the same without keys: what preparing them costs
		{"fanout_nokeys", schema("srcdevice", value.String, "dstdevice", value.String, "dstport", value.String), nil},
	})
}

type benchCase struct {
	name string
	cols value.Schema
	keys []int // columns whose keys the decoder prepares (HashStrings)
}

// benchDecode decodes data with each case's columns, as one chunk.
func benchDecode(b *testing.B, data []byte, cases []benchCase) {
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			d := NewDecoder(bc.cols)
			d.HashStrings(bc.keys)
			chunks := []Chunk{{Name: "bench", FirstLine: 1, Data: data}}
			var batch Batch
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				batch.Reset(len(bc.cols))
				if rejects, _ := d.Decode(chunks, &batch); len(rejects) > 0 {
					b.Fatalf("rejects %v", rejects)
				}
			}
		})
	}
}

// TestHashStrings: the columns marked get each string's key in Keys, at
// its value's place (escaped strings, long strings and keys in another
// order alike), and a NULL none; KeyCols tells the columns marked.
func TestHashStrings(t *testing.T) {
	cols := schema("a", value.String, "b", value.String, "n", value.Float)
	input := "{\"a\": \"Comp1\", \"b\": \"x\", \"n\": 1.0}\n{\"a\": \"caf\\u00e9\", \"b\": \"y\", \"n\": 2.0}\n" +
		"{\"b\": \"z\", \"a\": \"a-rather-long-device-name\"}\n{\"a\": null, \"b\": \"w\"}\n"
	d := NewDecoder(cols)
	d.HashStrings([]int{0, 2})
	var b Batch
	b.Reset(len(cols))
	if rejects, _ := d.Decode([]Chunk{{Name: "t", FirstLine: 1, Data: []byte(input)}}, &b); len(rejects) > 0 {
		t.Fatal(rejects)
	}
	if len(b.Keys) != len(b.Values) {
		t.Fatalf("%d keys for %d values", len(b.Keys), len(b.Values))
	}
	for i, want := range []string{"Comp1", "café", "a-rather-long-device-name"} {
		if got := b.Keys[i*b.Width]; got != value.KeyOf(want) {
			t.Errorf("row %d: key %+v, want that of %q", i, got, want)
		}
	}
	if k := b.Keys[3*b.Width]; k != (value.StrKey{}) {
		t.Errorf("a NULL has key %+v", k)
	}
	if b.KeyCols != 1 { // column a only: b is not marked, n is a DOUBLE
		t.Errorf("KeyCols %b, want 1", b.KeyCols)
	}
	if value.KeyOf("Comp1") == value.KeyOf("Comp2") || value.KeyOf("") == value.KeyOf("\x00") {
		t.Error("different strings share a key")
	}
}

// TestDecoderFilter: rows the filter rejects are left out and counted;
// the others are decoded as usual.
func TestDecoderFilter(t *testing.T) {
	cols := schema("a", value.Int, "s", value.String)
	d := NewDecoder(cols)
	d.SetFilter(func(row []value.Value) bool { return row[0].I%2 == 0 })
	var b Batch
	b.Reset(len(cols))
	rejects, stats := d.Decode([]Chunk{{Name: "t", FirstLine: 1, Data: []byte("{\"a\": 1, \"s\": \"x\"}\n{\"a\": 2, \"s\": \"y\"}\n{broken\n{\"a\": 4, \"s\": \"z\"}\n{\"a\": 5}\n")}}, &b)
	if len(rejects) != 1 || rejects[0].Line != 3 {
		t.Errorf("rejects %v, want line 3", rejects)
	}
	if b.Rows != 2 || b.Filtered != 2 || stats.Lines != 5 {
		t.Fatalf("rows %d, filtered %d, lines %d; want 2, 2, 5", b.Rows, b.Filtered, stats.Lines)
	}
	if b.Row(0)[1].S != "y" || b.Row(1)[1].S != "z" {
		t.Errorf("kept rows %v", b.Values)
	}
}

// TestDecodeDecimalsExact: every number decoded into a DOUBLE, by the
// one-pass path for plain decimals or the general one, is exactly what
// strconv.ParseFloat reads from its text.
func TestDecodeDecimalsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	toks := []string{"0", "0.0", "784.0", "172800.0", "-1.5", "12.3400", "999999999999999", "9999999999999999", "1234567.12345678",
		"0.1", "1e5", "2.5E-3", "-0", "0e5", "123456789012345.0", "1.000000000000001"}
	for range 5000 {
		intPart := strconv.FormatUint(rng.Uint64N(1_000_000_000_000), 10)
		frac := strconv.FormatUint(rng.Uint64N(1_000_000), 10)
		if rng.IntN(4) == 0 {
			frac = strings.Repeat("0", 1+rng.IntN(3))
		}
		toks = append(toks, intPart+"."+frac, intPart)
	}
	var text strings.Builder
	for _, tok := range toks {
		fmt.Fprintf(&text, "{\"a\": %s, \"b\": 1}\n", tok)
	}
	b, rejects, _ := decodeText(t, schema("a", value.Float), text.String())
	if len(rejects) > 0 {
		t.Fatalf("rejects: %v", rejects[0])
	}
	for i, tok := range toks {
		want, err := strconv.ParseFloat(tok, 64)
		if err != nil {
			t.Fatalf("%s: %v", tok, err)
		}
		if tok == "-0" {
			want = 0 // the integer -0 is 0, as read_json reads it
		}
		if got := b.Row(i)[0]; got.Kind != value.Float || got.F != want || math.Signbit(got.F) != math.Signbit(want) {
			t.Errorf("%s decoded as %v, want %v", tok, got, want)
		}
	}
}

// TestDecodeAbsentIsNull: a column a line lacks is NULL, also when the
// batch's memory held a value there before (a batch reused).
func TestDecodeAbsentIsNull(t *testing.T) {
	cols := schema("a", value.Int, "b", value.String, "c", value.Float)
	d := NewDecoder(cols)
	var b Batch
	for round, line := range []string{`{"a": 1, "b": "x", "c": 2.5}`, `{"b": "y"}`, `{}`} {
		b.Reset(len(cols))
		if rejects, _ := d.Decode([]Chunk{{Name: "t", FirstLine: 1, Data: []byte(line + "\n")}}, &b); len(rejects) > 0 {
			t.Fatal(rejects)
		}
		row := b.Row(0)
		switch round {
		case 0:
			checkRows(t, &b, []value.Value{value.IntValue(1), value.StringValue("x"), value.FloatValue(2.5)})
		case 1:
			checkRows(t, &b, []value.Value{value.NullValue, value.StringValue("y"), value.NullValue})
		default:
			if row[0] != value.NullValue || row[1] != value.NullValue || row[2] != value.NullValue {
				t.Errorf("{}: row %v, want all NULL", row)
			}
		}
	}
}

// TestDecodeReusedRows: a batch reset and filled again reuses its rows'
// memory; a column a line lacks is NULL, not what an earlier row left
// there, and one it repeats that the query does not read is skipped.
func TestDecodeReusedRows(t *testing.T) {
	d := NewDecoder(schema("a", value.String, "b", value.Float, "c", value.String))
	var b Batch
	for _, tc := range []struct{ in, want string }{
		{`{"a": "x", "b": 1.5, "c": "y"}` + "\n" + `{"a": "x2", "b": 2.5, "c": "y2"}`, "x 1.5 y|x2 2.5 y2|"},
		{`{"b": 3.5}` + "\n" + `{"c": "z", "a": "w"}` + "\n" + `{}`, "NULL 3.5 NULL|w NULL z|NULL NULL NULL|"},
		{`{"a": "p", "x": "q", "x": null}`, "p NULL NULL|"},
	} {
		b.Reset(3)
		if rejects, _ := d.Decode([]Chunk{{Name: "t", FirstLine: 1, Data: []byte(tc.in)}}, &b); len(rejects) > 0 {
			t.Fatal(rejects[0])
		}
		var got strings.Builder
		for i := range b.Rows {
			for k, v := range b.Row(i) {
				if k > 0 {
					got.WriteByte(' ')
				}
				got.WriteString(v.Format())
			}
			got.WriteByte('|')
		}
		if got.String() != tc.want {
			t.Errorf("%s: got %s, want %s", tc.in, got.String(), tc.want)
		}
	}
}

// TestDecodeFirstChunkSized checks that a new decoder sizes a batch's rows
// (and their keys) for its first chunk by the first line's length, instead
// of growing them row after row.
func TestDecodeFirstChunkSized(t *testing.T) {
	var data []byte
	for i := range 2000 {
		data = fmt.Appendf(data, `{"a": "dev%d", "b": %d.5, "c": "p%d"}`+"\n", i%97, i, i%13)
	}
	chunks := []Chunk{{Name: "t", FirstLine: 1, Data: data}}
	cols := schema("a", value.String, "b", value.Float, "c", value.String)
	allocs := testing.AllocsPerRun(5, func() {
		d := NewDecoder(cols)
		d.HashStrings([]int{0, 2})
		var b Batch
		b.Reset(3)
		if rejects, _ := d.Decode(chunks, &b); len(rejects) > 0 || b.Rows != 2000 {
			t.Fatalf("%d rows, rejects %v", b.Rows, rejects)
		}
		if c := cap(b.Values); c > 2*2000*3 {
			t.Errorf("room for %d values, for 6000", c)
		}
	})
	// The decoder and its key cache (about 20), one block of rows and one
	// of keys; growing the rows line by line takes 30 more.
	if allocs > 30 {
		t.Errorf("%.0f allocations decoding a first chunk; the rows grew instead of being sized", allocs)
	}
}
