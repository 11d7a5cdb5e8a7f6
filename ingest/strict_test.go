package ingest

import (
	"testing"

	"brook/value"
)

// strictCols are the columns the strict-JSON cases are decoded with; x,
// y and k are keys the query does not read.
var strictCols = schema("a", value.Float, "n", value.Int, "s", value.String)

// The reasons a line that DuckDB's JSON reader refuses is rejected with.
const (
	reasonControl   = "malformed JSON: raw control character in string"
	reasonZero      = "malformed JSON: number with a leading zero"
	reasonNumber    = "malformed JSON: bad number"
	reasonSurrogate = "malformed JSON: unpaired UTF-16 surrogate escape in string"
	reasonEscape    = "malformed JSON: invalid escape in string"
)

// strictCases are lines at the edges of what DuckDB 1.1.3's read_json
// (format 'newline_delimited', columns given) accepts, with the reason
// brook rejects each one with ("" for a line it accepts).
// TestDuckDBStrictParity checks each verdict against DuckDB itself.
var strictCases = []struct{ name, line, reason string }{
	// A key given twice: refused for a column read, whatever the values;
	// fine for a key the query does not read and in nested objects.
	{"duplicate column", `{"s": "a", "s": "b"}`, `field "s": duplicate key`},
	{"duplicate column with null", `{"a": 1.0, "n": 2, "a": null}`, `field "a": duplicate key`},
	{"duplicate column both null", `{"n": null, "n": null}`, `field "n": duplicate key`},
	{"duplicate column escaped", `{"n": 1, "\u006e": 2}`, `field "n": duplicate key`},
	{"duplicate column far apart", `{"s": "a", "x": 1, "y": [1, 2], "a": 2.5, "s": "b"}`, `field "s": duplicate key`},
	{"duplicate unread key", `{"x": 1, "x": 2, "s": "ok"}`, ""},
	{"duplicate key in a nested column", `{"s": {"k": 1, "k": 2}}`, ""},
	{"duplicate key in a nested unread field", `{"x": {"k": 1, "k": 2}, "n": 1}`, ""},
	{"keys differing in case", `{"s": "a", "S": "b"}`, ""},

	// Raw control characters (below 0x20) in any string: refused, read or
	// not, value or key; escaped ones and DEL (0x7f) are fine.
	{"raw NUL", "{\"s\": \"a\x00b\"}", reasonControl},
	{"raw TAB", "{\"s\": \"a\tb\"}", reasonControl},
	{"raw CR", "{\"s\": \"a\rb\"}", reasonControl},
	{"raw 0x01", "{\"s\": \"\x01\"}", reasonControl},
	{"raw 0x1f in a long string", "{\"s\": \"0123456789abcdef\x1fghij\"}", reasonControl},
	{"raw TAB after an escape", "{\"s\": \"esc \\\" then\ttab\"}", reasonControl},
	{"raw TAB in an unread field", "{\"x\": \"a\tb\", \"s\": \"ok\"}", reasonControl},
	{"raw TAB in a long unread field", "{\"x\": \"0123456789abcdef\tb\", \"s\": \"ok\"}", reasonControl},
	{"raw control in a key", "{\"k\x01\": 1, \"s\": \"ok\"}", reasonControl},
	{"raw control nested", "{\"x\": [\"\x02\"], \"s\": \"ok\"}", reasonControl},
	{"raw control in a nested column", "{\"s\": {\"k\": \"\x02\"}}", reasonControl},
	{"raw control where a number is declared", "{\"a\": \"1\x00\"}", reasonControl},
	{"escaped controls", `{"s": "\u0000\t\u001f"}`, ""},
	{"raw DEL", "{\"s\": \"a\x7fb\"}", ""},
	{"TAB outside strings", "{\"s\":\t\"ok\",\t\"a\": 1.0}", ""},

	// Numbers with a leading zero, and other shapes outside JSON's grammar:
	// refused wherever they stand.
	{"leading zeros", `{"n": 007}`, reasonZero},
	{"negative leading zero", `{"a": -01}`, reasonZero},
	{"double zero", `{"s": 00}`, reasonZero},
	{"negative double zero", `{"n": -00}`, reasonZero},
	{"leading zero with a fraction", `{"a": 00.5}`, reasonZero},
	{"leading zero with an exponent", `{"a": 01e1}`, reasonZero},
	{"leading zero in an unread field", `{"x": 01.5, "s": "ok"}`, reasonZero},
	{"leading zero nested", `{"x": [1, 00], "s": "ok"}`, reasonZero},
	{"point without digits", `{"a": 1.}`, reasonNumber},
	{"point without digits unread", `{"x": 1., "s": "ok"}`, reasonNumber},
	{"exponent without digits", `{"a": 1e}`, reasonNumber},
	{"exponent sign without digits", `{"x": 1e+}`, reasonNumber},
	{"point then exponent", `{"x": 1.e5}`, reasonNumber},
	{"two points", `{"x": 1.2.3}`, reasonNumber},
	{"two exponents", `{"a": 1e5e5}`, reasonNumber},
	{"zero", `{"n": 0, "a": 0, "s": 0}`, ""},
	{"negative zero", `{"n": -0, "a": -0.0}`, ""},
	{"zero point", `{"a": 0.5, "x": 0.05}`, ""},
	{"zero exponent", `{"a": 0e1, "x": 0E-2}`, ""},
	{"ten", `{"n": 10, "a": 100.001, "x": 1000}`, ""},

	// \u escapes of UTF-16 surrogates must pair a high one with a low one;
	// other escapes must be JSON's.
	{"lone high surrogate", `{"s": "\ud800"}`, reasonSurrogate},
	{"lone low surrogate", `{"s": "\udc00"}`, reasonSurrogate},
	{"high surrogate then another escape", `{"s": "\ud800\u0041"}`, reasonSurrogate},
	{"high surrogate then a character", `{"s": "\ud800x"}`, reasonSurrogate},
	{"high surrogate then newline escape", `{"s": "\ud83d\n"}`, reasonSurrogate},
	{"two high surrogates", `{"s": "\ud800\ud800"}`, reasonSurrogate},
	{"low then high", `{"s": "\udc00\ud800"}`, reasonSurrogate},
	{"high surrogate at the end", `{"s": "x\ud83d"}`, reasonSurrogate},
	{"lone surrogate in an unread field", `{"x": "\ude00", "s": "ok"}`, reasonSurrogate},
	{"lone surrogate in a key", `{"\ud800": 1, "s": "ok"}`, reasonSurrogate},
	{"lone surrogate in a nested key", `{"x": {"\ud800": 1}, "s": "ok"}`, reasonSurrogate},
	{"lone surrogate where a number is declared", `{"a": "\ud800"}`, reasonSurrogate},
	{"surrogate pair", `{"s": "\ud83d\ude00"}`, ""},
	{"surrogate pair in capitals", `{"s": "\uD83D\uDE00", "x": "\udbff\udfff"}`, ""},
	{"escapes beside surrogates", `{"s": "\uffff\ud7ff\ue000"}`, ""},
	{"unknown escape", `{"s": "\x"}`, reasonEscape},
	{"escaped quote mark", `{"s": "\'"}`, reasonEscape},
	{"short unicode escape", `{"s": "\u12"}`, reasonEscape},
	{"non-hex unicode escape", `{"s": "\uzzzz"}`, reasonEscape},
	{"unknown escape in an unread field", `{"x": "\a", "s": "ok"}`, reasonEscape},
	{"JSON's escapes", `{"s": "\"\\\/\b\f\n\r\t\u00e9"}`, ""},
}

// TestDecodeStrictJSON: a line that DuckDB's JSON reader refuses is
// rejected, with its reason; one it reads is decoded. Each line is decoded
// twice, the second time with the decoder's key cache warm from the first.
func TestDecodeStrictJSON(t *testing.T) {
	for _, c := range strictCases {
		t.Run(c.name, func(t *testing.T) {
			b, rejects, _ := decodeText(t, strictCols, c.line+"\n"+c.line+"\n")
			if c.reason == "" {
				noRejects(t, rejects)
				if b.Rows != 2 {
					t.Errorf("%q: %d rows, want 2", c.line, b.Rows)
				}
				return
			}
			if len(rejects) != 2 || b.Rows != 0 {
				t.Fatalf("%q: rows %d, rejects %v; want both lines rejected: %s", c.line, b.Rows, rejects, c.reason)
			}
			for i, r := range rejects {
				if r.Line != i+1 || r.Reason != c.reason || r.Raw != c.line {
					t.Errorf("reject %q, line %d, raw %q; want %q", r.Reason, r.Line, r.Raw, c.reason)
				}
			}
		})
	}
}
