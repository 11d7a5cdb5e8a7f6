package value

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Format renders v for people: NULL as "NULL", doubles with at least one
// decimal digit (784.0) as DuckDB prints them, timestamps as
// "2006-01-02 15:04:05[.ffffff]".
func (v Value) Format() string { return string(v.AppendText(nil)) }

// AppendText appends the text form of v (see Format) to dst.
func (v Value) AppendText(dst []byte) []byte {
	switch v.Kind {
	case Null:
		return append(dst, "NULL"...)
	case Bool:
		return strconv.AppendBool(dst, v.I != 0)
	case Int:
		return strconv.AppendInt(dst, v.I, 10)
	case Float:
		return AppendFloat(dst, v.F)
	case String:
		return append(dst, v.S...)
	case Timestamp:
		return AppendTimestamp(dst, v.I)
	}
	return dst
}

// AppendFloat appends f the way DuckDB prints a DOUBLE: integral values keep
// one decimal digit, others use the shortest exact form.
func AppendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case f == math.Trunc(f) && math.Abs(f) < 1e15:
		return strconv.AppendFloat(dst, f, 'f', 1, 64)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

// AppendTimestamp appends micros since the epoch as a UTC timestamp.
func AppendTimestamp(dst []byte, micros int64) []byte {
	t := time.UnixMicro(micros).UTC()
	if micros%1e6 == 0 {
		return t.AppendFormat(dst, "2006-01-02 15:04:05")
	}
	return t.AppendFormat(dst, "2006-01-02 15:04:05.999999")
}

var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// ParseTimestamp reads an RFC 3339 / ISO-8601 timestamp (with "T" or a space,
// optional fraction and zone; a date alone is midnight) as microseconds since
// the epoch, UTC.
func ParseTimestamp(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 10 || s[4] != '-' {
		return 0, false
	}
	for _, layout := range timestampLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMicro(), true
		}
	}
	return 0, false
}
