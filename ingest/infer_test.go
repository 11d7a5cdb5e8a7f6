package ingest

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"brook/gen"
	"brook/value"
)

// inferText writes each text to its own file and infers over them.
func inferText(t *testing.T, sampleRows int, texts ...string) (value.Schema, error) {
	t.Helper()
	dir := t.TempDir()
	var files []string
	for i, text := range texts {
		name := filepath.Join(dir, string(rune('a'+i))+".json")
		writeFile(t, name, text)
		files = append(files, name)
	}
	return Infer(files, sampleRows)
}

func checkSchema(t *testing.T, got value.Schema, err error, want value.Schema) {
	t.Helper()
	if err != nil {
		t.Fatalf("Infer: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("schema = %s\n          want %s", got, want)
	}
}

func TestInferLANL(t *testing.T) {
	g := gen.New(gen.Options{Seed: 1})
	var data []byte
	for range 500 {
		data = g.AppendRow(data)
	}
	s, err := inferText(t, 0, string(data))
	checkSchema(t, s, err, lanlSchema)

	// Hand-written records with numeric-looking port strings stay VARCHAR.
	s, err = inferText(t, 0, `{"time": 1.0, "duration": 0.0, "srcdevice": "C1", "dstdevice": "C2", "protocol": 6.0, "srcport": "443", "dstport": "80", "srcpackets": 1.0, "dstpackets": 0.0, "srcbytes": 60.0, "dstbytes": 0.0}
{"time": 2.0, "duration": 3.0, "srcdevice": "C3", "dstdevice": "ActiveDirectory", "protocol": 17.0, "srcport": "Port05507", "dstport": "53", "srcpackets": 2.0, "dstpackets": 2.0, "srcbytes": 120.0, "dstbytes": 300.0}
`)
	checkSchema(t, s, err, lanlSchema)
}

func TestInferTypes(t *testing.T) {
	cases := []struct {
		name  string
		lines []string
		want  value.Type
	}{
		{"integers", []string{`1`, `-2`, `300000000000`}, value.Int},
		{"integers and null", []string{`1`, `null`, `2`}, value.Int},
		{"doubles", []string{`6.0`, `-1.5e3`}, value.Float},
		{"int then float", []string{`1`, `2.5`}, value.Float},
		{"float then int", []string{`2.5`, `1`}, value.Float},
		{"exponent is a double", []string{`1e3`}, value.Float},
		{"booleans", []string{`true`, `false`, `null`}, value.Bool},
		{"timestamps", []string{`"2024-01-02 03:04:05"`, `null`, `"2024-01-03 00:00:00"`}, value.Timestamp},
		{"timestamps with a fraction", []string{`"2024-01-02 03:04:05.5"`, `" 2024-01-02 03:04:05.123456 "`}, value.Timestamp},
		{"timestamps with T", []string{`"2024-01-02T03:04:05"`, `"2024-1-3T4:05:06"`}, value.Timestamp},
		{"T and Z: TIMESTAMP WITH TIME ZONE", []string{`"2024-01-02T03:04:05Z"`, `"2024-1-3T4:05:06Z"`}, value.String},
		{"dates", []string{`"2024-01-02"`, `"2024-02-29"`}, value.Timestamp},
		{"timestamps of two formats", []string{`"2024-01-02 03:04:05.123"`, `"2024-01-02 03:04:05"`}, value.String},
		{"date then timestamp", []string{`"2024-01-02"`, `"2024-01-02 03:04:05"`}, value.String},
		{"T, then a space", []string{`"2024-01-02T03:04:05"`, `"2024-01-02 03:04:05"`}, value.String},
		{"T with a fraction and Z", []string{`"2024-01-02T03:04:05.5Z"`}, value.String},
		{"offset", []string{`"2024-01-02 03:04:05+01:00"`}, value.String},
		{"seven-digit fraction", []string{`"2024-01-02 03:04:05.1234567"`}, value.String},
		{"not a date", []string{`"2023-02-29"`}, value.String},
		{"time of day", []string{`"03:04:05"`}, value.String},
		{"timestamp and other string", []string{`"2024-01-02T03:04:05Z"`, `"later"`}, value.String},
		{"integer beyond BIGINT, within 64 unsigned bits: HUGEINT", []string{`18446744073709551615`}, value.String},
		{"BIGINT and HUGEINT", []string{`1`, `9223372036854775808`}, value.String},
		{"HUGEINT and DOUBLE", []string{`9223372036854775808`, `1.5`}, value.Float},
		{"integer beyond 64 bits", []string{`1`, `18446744073709551616`}, value.Float},
		{"negative integer beyond BIGINT", []string{`-9223372036854775809`}, value.Float},
		{"strings", []string{`"a"`, `"Port05507"`}, value.String},
		{"numeric strings", []string{`"443"`, `"80"`}, value.String},
		{"string then number", []string{`"a"`, `1`}, value.String},
		{"number then string", []string{`1.5`, `"a"`}, value.String},
		{"timestamp then number", []string{`"2024-01-02"`, `1`}, value.String},
		{"boolean and number", []string{`true`, `1`}, value.String},
		{"boolean and string", []string{`true`, `"x"`}, value.String},
		{"object", []string{`{"a": 1}`}, value.String},
		{"array", []string{`[1, 2]`}, value.String},
		{"nested and number", []string{`1`, `{"a": 1}`}, value.String},
		{"nested and null", []string{`null`, `[]`}, value.String},
		{"only nulls", []string{`null`, `null`}, value.String},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var text strings.Builder
			for _, v := range c.lines {
				text.WriteString(`{"k": ` + v + `, "other": 1}` + "\n")
			}
			s, err := inferText(t, 0, text.String())
			checkSchema(t, s, err, schema("k", c.want, "other", value.Int))
		})
	}
}

func TestInferKeyOrder(t *testing.T) {
	s, err := inferText(t, 0,
		`{"b": 1, "a": "x"}
{"c": true, "a": "y"}
`,
		`{"d": 1.5, "b": 2}
{"a\u0065": null}
`)
	checkSchema(t, s, err, schema("b", value.Int, "a", value.String, "c", value.Bool, "d", value.Float, "ae", value.String))
}

func TestInferSampleRows(t *testing.T) {
	text := `{"n": 1}
{"n": 2}

{"n": 3}
{"n": 4.5, "late": "x"}
`
	s, err := inferText(t, 3, text)
	checkSchema(t, s, err, schema("n", value.Int)) // row 4 is not sampled
	s, err = inferText(t, 4, text)
	checkSchema(t, s, err, schema("n", value.Float, "late", value.String))

	// The sample spans files, and ends inside them.
	s, err = inferText(t, 3, "{\"a\": 1}\n{\"a\": 2}\n", "{\"b\": 1}\n{\"c\": 1}\n", "{\"d\": 1}\n")
	checkSchema(t, s, err, schema("a", value.Int, "b", value.Int))

	// Files after the sample are not opened at all.
	dir := t.TempDir()
	first := filepath.Join(dir, "a.json")
	writeFile(t, first, "{\"a\": 1}\n")
	s, err = Infer([]string{first, filepath.Join(dir, "missing.json")}, 1)
	checkSchema(t, s, err, schema("a", value.Int))
}

func TestInferSkipsMalformed(t *testing.T) {
	text := `{"n": "truncated
[1, 2, 3]
{"n" "no colon"}
{"n": 1.5} {"n": "second object"}
{"n": 1.5, "extra": 1} trailing
"a string"
{"n": 1}
{"n": 2, "bad": tru}
{"n": 2}
{"n": 2, "x": [1, "unterminated}`
	s, err := inferText(t, 0, text)
	checkSchema(t, s, err, schema("n", value.Int))

	// Malformed lines do not count towards the sample.
	s, err = inferText(t, 2, "[1]\n{\"n\": 1}\n{oops}\n{\"n\": 2}\n{\"n\": 2.5}\n")
	checkSchema(t, s, err, schema("n", value.Int))
}

func TestInferLineHandling(t *testing.T) {
	// A BOM, CRLF endings, blank lines and a last line without newline.
	s, err := inferText(t, 0, "\xEF\xBB\xBF{\"bom\": 1}\r\n\r\n  \n{\"a\": 2, \"b\": \"x\"}\r\n{\"c\": true}")
	checkSchema(t, s, err, schema("bom", value.Int, "a", value.Int, "b", value.String, "c", value.Bool))

	// Empty objects are records without fields.
	s, err = inferText(t, 2, "{}\n{}\n{\"late\": 1}\n")
	if err == nil {
		t.Errorf("only empty objects sampled: schema %s, want an error", s)
	}
}

func TestInferGzip(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "a.json.gz")
	writeGzip(t, name, "{\"a\": 1.5}\n")
	s, err := Infer([]string{name}, 0)
	checkSchema(t, s, err, schema("a", value.Float))
}

func TestInferErrors(t *testing.T) {
	if s, err := Infer(nil, 0); err == nil {
		t.Errorf("no files: schema %s, want an error", s)
	}
	for name, text := range map[string]string{
		"empty":     "",
		"blank":     "\n \n\r\n",
		"malformed": "not json\n[1, 2]\n{\"a\" 1}\n",
	} {
		if s, err := inferText(t, 0, text); err == nil {
			t.Errorf("%s input: schema %s, want an error", name, s)
		} else if !strings.Contains(err.Error(), "no JSON records") {
			t.Errorf("%s input: error %q", name, err)
		}
	}
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.json")
	if _, err := Infer([]string{missing}, 0); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: error %v, want one naming %s", err, missing)
	}
	bad := filepath.Join(dir, "bad.json.gz")
	writeFile(t, bad, "not gzip")
	if _, err := Infer([]string{bad}, 0); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("corrupt gzip: error %v, want one naming %s", err, bad)
	}
}

// TestInferThenDecode checks that what Infer gives decodes the same data
// without rejects.
func TestInferThenDecode(t *testing.T) {
	text := `{"i": 1, "f": 1, "s": "x", "b": true, "ts": "2024-01-02T00:00:00", "j": {"a": [1]}, "m": 1, "z": null}
{"i": 2, "f": 2.5, "s": "y", "b": false, "ts": "2024-01-03T00:00:00", "j": [], "m": "two", "z": null}
`
	s, err := inferText(t, 0, text)
	want := schema("i", value.Int, "f", value.Float, "s", value.String, "b", value.Bool,
		"ts", value.Timestamp, "j", value.String, "m", value.String, "z", value.String)
	checkSchema(t, s, err, want)
	b, rejects, _ := decodeText(t, s, text)
	noRejects(t, rejects)
	checkRows(t, b,
		row(vI(1), vF(1), vS("x"), vB(true), value.TimestampValue(1704153600000000), vS(`{"a":[1]}`), vS("1"), vNull),
		row(vI(2), vF(2.5), vS("y"), vB(false), value.TimestampValue(1704240000000000), vS(`[]`), vS("two"), vNull),
	)
}
