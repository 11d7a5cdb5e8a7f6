package sink

import (
	"math"
	"strconv"
	"unicode"
	"unicode/utf8"

	"brook/value"
)

// The CSV and JSON writers render a batch's cells straight into one byte
// buffer kept from batch to batch: no string per cell, no encoder per
// cell. The text is the same as encoding/csv (comma-separated, LF line
// ends) and encoding/json (value.Value.JSON) write, byte for byte.

// appendCSVField appends one CSV field: quoted, with its quotes doubled,
// when encoding/csv would quote it (a comma, quote, CR or LF in it, a
// leading space, or the text `\.`), as it is otherwise.
func appendCSVField(b []byte, s string) []byte {
	if !csvNeedsQuotes(s) {
		return append(b, s...)
	}
	b = append(b, '"')
	for {
		i := indexQuote(s)
		if i < 0 {
			break
		}
		b = append(b, s[:i+1]...)
		b = append(b, '"')
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, '"')
}

func indexQuote(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			return i
		}
	}
	return -1
}

// csvNeedsQuotes reports whether encoding/csv quotes the field s.
func csvNeedsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s == `\.` {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\n', '\r', '"', ',':
			return true
		}
	}
	c := s[0]
	if c < utf8.RuneSelf {
		return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}

// appendCSVValue appends v as a CSV field: NULL as the empty field, any
// other value as its text (value.Value.AppendText), quoted as
// appendCSVField quotes it.
func appendCSVValue(b []byte, v value.Value) []byte {
	switch v.Kind {
	case value.Null:
		return b
	case value.Int:
		return strconv.AppendInt(b, v.I, 10)
	case value.String:
		return appendCSVField(b, v.S)
	}
	at := len(b)
	b = v.AppendText(b)
	if csvNeedsQuotes(value.UnsafeString(b[at:])) { // not for any text of these kinds, but cheap to be sure
		text := string(b[at:])
		b = appendCSVField(b[:at], text)
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it: quote, backslash and control characters, the HTML
// characters <, > and &, U+2028 and U+2029; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendJSONValue appends v as encoding/json writes v.JSON(): null, a
// boolean, a number (a DOUBLE with its fraction or exponent, see
// value.Value.JSON), or a string (a TIMESTAMP's text; NaN and the
// infinities as "nan", "inf", "-inf").
func appendJSONValue(b []byte, v value.Value) []byte {
	switch v.Kind {
	case value.Null:
		return append(b, "null"...)
	case value.Bool:
		return strconv.AppendBool(b, v.I != 0)
	case value.Int:
		return strconv.AppendInt(b, v.I, 10)
	case value.Huge:
		return v.AppendText(b)
	case value.Float:
		if math.IsNaN(v.F) || math.IsInf(v.F, 0) {
			b = append(b, '"')
			b = v.AppendText(b)
			return append(b, '"')
		}
		return v.AppendText(b)
	case value.String:
		return appendJSONString(b, v.S)
	}
	at := len(b)
	b = v.AppendText(b)
	text := string(b[at:])
	return appendJSONString(b[:at], text)
}
