package value

import (
	"math"
	"strconv"
	"strings"
)

// Format renders v as DuckDB's cast to VARCHAR does (NULL as "NULL"):
// doubles as AppendFloat writes them (784.0, 1e+16), timestamps as
// AppendTimestamp does ("2006-01-02 15:04:05[.ffffff]").
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
	case Huge:
		return v.BigInt().Append(dst, 10)
	}
	return dst
}

// AppendFloat appends f the way DuckDB 2.0 casts a DOUBLE to VARCHAR: the
// shortest digits that read back as f, in positional notation when the
// decimal exponent is between -5 and 15 (with ".0" on integral values:
// 784.0, 1000000000000000.0, 0.0001) and in scientific notation otherwise
// (1e+16, 1.5e-05, 1e+300); "nan", "-nan", "inf" and "-inf" for the special
// values.
func AppendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		if math.Signbit(f) {
			return append(dst, "-nan"...)
		}
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64) // [-]d[.ddd]e±XX
	i := strings.LastIndexByte(string(e), 'e')
	exp, _ := strconv.Atoi(string(e[i+1:]))
	if exp < -4 || exp >= 16 {
		return append(dst, e...) // Go writes e+16 and e-05, as DuckDB does
	}
	dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
	if f == math.Trunc(f) {
		dst = append(dst, ".0"...)
	}
	return dst
}

// AppendTimestamp appends micros since the epoch as DuckDB prints a
// TIMESTAMP: "2006-01-02 15:04:05[.ffffff]" in UTC with trailing zeros of
// the fraction dropped, at least four digits of year, " (BC)" after the
// date of years before 1 AD, and "infinity" or "-infinity" for the special
// values.
func AppendTimestamp(dst []byte, micros int64) []byte {
	switch micros {
	case TimestampInfinity:
		return append(dst, "infinity"...)
	case TimestampNegInfinity:
		return append(dst, "-infinity"...)
	}
	days := micros / microsPerDay
	tod := micros % microsPerDay
	if tod < 0 {
		days--
		tod += microsPerDay
	}
	y, m, d := civilFromDays(days)
	bc := y <= 0
	if bc {
		y = -y + 1
	}
	ys := strconv.FormatInt(y, 10)
	for i := len(ys); i < 4; i++ {
		dst = append(dst, '0')
	}
	dst = append(dst, ys...)
	dst = append(dst, '-', byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10))
	if bc {
		dst = append(dst, " (BC)"...)
	}
	secs, frac := tod/1000000, tod%1000000
	h, mi, s := secs/3600, secs/60%60, secs%60
	dst = append(dst, ' ', byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':', byte('0'+s/10), byte('0'+s%10))
	if frac != 0 {
		var f [7]byte
		f[0] = '.'
		for i := 6; i >= 1; i-- {
			f[i] = byte('0' + frac%10)
			frac /= 10
		}
		n := 7
		for f[n-1] == '0' {
			n--
		}
		dst = append(dst, f[:n]...)
	}
	return dst
}
