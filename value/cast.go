package value

import (
	"math"
	"strconv"
	"strings"
)

// This file reads VARCHAR text as the other types exactly as DuckDB 2.0's
// casts do (TRY_CAST(s AS DOUBLE), AS BIGINT, AS BOOLEAN, AS TIMESTAMP),
// quirks included: the stream and the baseline must accept the same strings
// and produce the same values from them.

// isSpace is DuckDB's StringUtil::CharacterIsSpace: ASCII white space only.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// numberStart marks the bytes a number's text can start with, blanks and
// sign aside: digits, '-', '.', and the first letters of inf and nan.
var numberStart = func() (t [256]bool) {
	for _, c := range "0123456789-.iInN" {
		t[c] = true
	}
	return t
}()

// MayBeNumber reports whether ParseNumber could read s, judging by its
// first byte alone: false means it certainly cannot (most words).
func MayBeNumber(s string) bool {
	return s != "" && (numberStart[s[0]] || isSpace(s[0]) || s[0] == '+')
}

// ParseNumber reads s as a DOUBLE the way DuckDB's TRY_CAST(s AS DOUBLE)
// does: ASCII white space around the number and one leading '+' are
// ignored; the number is decimal with an optional fraction and exponent,
// where a single '_' may separate two digits ("1_000"); "inf", "infinity"
// and "nan" (any case, optionally signed with '-') are accepted too.
// Anything else, such as "Port05507", "0x1F" or "", is not a number.
func ParseNumber(s string) (float64, bool) {
	if len(s) == 0 {
		return 0, false
	}
	if isDigit(s[0]) { // fast path for plain decimal digits
		if n, ok := parseSimpleFloat(s); ok {
			return n, true
		}
	}
	i, end := 0, len(s)
	for i < end && isSpace(s[i]) {
		i++
	}
	for end > i && isSpace(s[end-1]) {
		end--
	}
	if i < end && s[i] == '+' {
		i++
	}
	if i == end {
		return 0, false
	}
	if !numberStart[s[i]] {
		return 0, false // a quick no for most words
	}
	return parseFloatBody(s[i:end])
}

// parseFloatBody reads t, which must be a number and nothing else, with the
// grammar of DuckDB's fast_float: [-] digits [. digits] [e [+-] digits],
// at least one digit before or after the point, '_' allowed between digits;
// or [-] inf, infinity, nan, nan(chars).
func parseFloatBody(t string) (float64, bool) {
	neg := len(t) > 0 && t[0] == '-'
	body := t
	if neg {
		body = t[1:]
	}
	if len(body) >= 3 && (body[0]|0x20) == 'n' && (body[1]|0x20) == 'a' && (body[2]|0x20) == 'n' {
		k := 3
		if k < len(body) && body[k] == '(' {
			m := k + 1
			for m < len(body) && (isDigit(body[m]) || body[m] == '_' || (body[m]|0x20) >= 'a' && (body[m]|0x20) <= 'z') {
				m++
			}
			if m < len(body) && body[m] == ')' {
				k = m + 1
			}
		}
		if k != len(body) {
			return 0, false
		}
		if neg {
			return math.Copysign(math.NaN(), -1), true
		}
		return math.NaN(), true
	}
	if strings.EqualFold(body, "inf") || strings.EqualFold(body, "infinity") {
		if neg {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}
	// digits [. digits] [e [+-] digits], underscores only between digits
	j, underscores := 0, false
	digits := func() int {
		n := 0
		for j < len(body) {
			if c := body[j]; isDigit(c) {
				n++
			} else if c != '_' || n == 0 || j+1 == len(body) || !isDigit(body[j+1]) {
				break
			} else {
				underscores = true
			}
			j++
		}
		return n
	}
	n := digits()
	if j < len(body) && body[j] == '.' {
		j++
		n += digits()
	}
	if n == 0 {
		return 0, false
	}
	if j < len(body) && (body[j] == 'e' || body[j] == 'E') {
		j++
		if j < len(body) && (body[j] == '+' || body[j] == '-') {
			j++
		}
		if digits() == 0 {
			return 0, false
		}
	}
	if j != len(body) {
		return 0, false
	}
	if underscores {
		t = strings.ReplaceAll(t, "_", "")
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, true // ±Inf or 0, as fast_float gives
		}
		return 0, false
	}
	return f, true
}

// ParseBigint reads s as a BIGINT the way DuckDB's TRY_CAST(s AS BIGINT)
// does. Besides plain integers ("42", " -7 ", "+7", "1_000") it accepts
// "0x1F" and "0b101" (without spaces or sign), and decimal and exponent
// forms, which it rounds: "3.7" is 4, "2.5" is 3, "-2.5" is -3, "1e3" is
// 1000. The rounding follows DuckDB's digit-by-digit algorithm, which
// looks only at the first dropped digit: "0.49" is 0, "5e-5" is 0, "95e-2"
// is 1.
func ParseBigint(s string) (int64, bool) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	b := s[i:]
	if len(b) == 0 {
		return 0, false
	}
	var st intCast
	switch {
	case b[0] == '-':
		if !intCastLoop(b, true, true, &st) {
			return 0, false
		}
	case len(b) > 1 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X'):
		if !radixCastLoop(b[1:], 16, &st) {
			return 0, false
		}
	case len(b) > 1 && b[0] == '0' && (b[1] == 'b' || b[1] == 'B'):
		if !radixCastLoop(b[1:], 2, &st) {
			return 0, false
		}
	default:
		if !intCastLoop(b, false, true, &st) {
			return 0, false
		}
	}
	return st.result, true
}

// intCast is the state of DuckDB's IntegerDecimalCastData<int64_t>; with
// decimals false it is the plain IntegerCastData that parses exponents.
type intCast struct {
	result        int64
	decimal       int64
	decimalDigits uint16
	exponent      bool // the state of an exponent: int16 range, no decimals
}

func (st *intCast) bounds() (int64, int64) {
	if st.exponent {
		return math.MinInt16, math.MaxInt16
	}
	return math.MinInt64, math.MaxInt64
}

func (st *intCast) digit(neg bool, d int64) bool {
	lo, hi := st.bounds()
	if neg {
		if st.result < (lo+d)/10 {
			return false
		}
		st.result = st.result*10 - d
	} else {
		if st.result > (hi-d)/10 {
			return false
		}
		st.result = st.result*10 + d
	}
	return true
}

func (st *intCast) decimalDigit(d int64) bool {
	if st.exponent {
		return false // an exponent has no decimals
	}
	if st.decimal > (math.MaxInt64-d)/10 {
		return true // further decimals are ignored
	}
	st.decimalDigits++
	st.decimal = st.decimal*10 + d
	return true
}

// finalize rounds on the first dropped decimal digit.
func (st *intCast) finalize(neg bool) bool {
	if st.exponent {
		return true
	}
	for st.decimal > 10 {
		st.decimal /= 10
		st.decimalDigits--
	}
	if st.decimalDigits == 1 && st.decimal >= 5 {
		if neg {
			if st.result == math.MinInt64 {
				return false
			}
			st.result--
		} else {
			if st.result == math.MaxInt64 {
				return false
			}
			st.result++
		}
	}
	return true
}

func mul10(x int64) (int64, bool) {
	if x > math.MaxInt64/10 || x < math.MinInt64/10 {
		return 0, false
	}
	return x * 10, true
}

// applyExponent is IntegerDecimalCastOperation::HandleExponent.
func (st *intCast) applyExponent(neg bool, exponent int16) bool {
	e := exponent
	if e < 0 {
		for st.result != 0 && e < 0 {
			e++
			st.decimal = st.result % 10
			st.result /= 10
		}
		if e < 0 {
			// the exponent goes past the last digit: the first dropped
			// digit is a 0 ("5e-5" is 0, as in DuckDB 2.0)
			st.decimal = 0
		}
		if st.decimal < 0 {
			st.decimal = -st.decimal
		}
		st.decimalDigits = 1
		return st.finalize(neg)
	}
	for st.result != 0 {
		more := e > 0
		e--
		if !more {
			break
		}
		var ok bool
		if st.result, ok = mul10(st.result); !ok {
			return false
		}
	}
	if st.decimal == 0 {
		return st.finalize(neg)
	}
	e = int16(int(exponent) - int(st.decimalDigits))
	var remainder int64
	if e < 0 {
		if uint16(-e) <= 19 {
			power := int64(1)
			for ; e < 0; e++ {
				power *= 10
			}
			remainder = st.decimal % power
			st.decimal /= power
		} else {
			st.decimal = 0
		}
	} else {
		for ; e > 0; e-- {
			var ok bool
			if st.decimal, ok = mul10(st.decimal); !ok {
				return false
			}
		}
	}
	st.decimalDigits -= uint16(exponent)
	if neg {
		if st.result < math.MinInt64+st.decimal {
			return false
		}
		st.result -= st.decimal
	} else {
		if st.result > math.MaxInt64-st.decimal {
			return false
		}
		st.result += st.decimal
	}
	st.decimal = remainder
	return st.finalize(neg)
}

// intCastLoop is DuckDB's IntegerCastLoop: buf starts at the sign (neg) or
// the first digit or '+'.
func intCastLoop(buf string, neg, allowExponent bool, st *intCast) bool {
	start := 0
	if neg || buf[0] == '+' {
		start = 1
	}
	pos := start
	for pos < len(buf) {
		c := buf[pos]
		if !isDigit(c) {
			if c == '.' {
				before := pos > start
				pos++
				first := pos
				for pos < len(buf) && isDigit(buf[pos]) {
					if !st.decimalDigit(int64(buf[pos] - '0')) {
						return false
					}
					pos++
					if pos != len(buf) && buf[pos] == '_' {
						pos++
						if pos == len(buf) || !isDigit(buf[pos]) {
							return false
						}
					}
				}
				if !before && pos == first {
					return false
				}
				if pos >= len(buf) {
					break
				}
			}
			if isSpace(buf[pos]) {
				for pos++; pos < len(buf); pos++ {
					if !isSpace(buf[pos]) {
						return false
					}
				}
				break
			}
			if allowExponent && (buf[pos] == 'e' || buf[pos] == 'E') {
				if pos == start {
					return false
				}
				pos++
				if pos >= len(buf) {
					return false
				}
				exp := intCast{exponent: true}
				if !intCastLoop(buf[pos:], buf[pos] == '-', false, &exp) {
					return false
				}
				return st.applyExponent(neg, int16(exp.result))
			}
			return false
		}
		pos++
		if !st.digit(neg, int64(c-'0')) {
			return false
		}
		if pos != len(buf) && buf[pos] == '_' {
			pos++
			if pos == len(buf) || !isDigit(buf[pos]) {
				return false
			}
		}
	}
	if !st.finalize(neg) {
		return false
	}
	return pos > start
}

// radixCastLoop reads the digits after "0x" or "0b"; buf starts at the x.
func radixCastLoop(buf string, radix int64, st *intCast) bool {
	val := func(c byte) int64 {
		switch {
		case c >= '0' && c <= '9':
			return int64(c - '0')
		case c|0x20 >= 'a' && c|0x20 <= 'f':
			return int64(c|0x20-'a') + 10
		}
		return 99
	}
	pos := 1
	for pos < len(buf) {
		d := val(buf[pos])
		if d >= radix {
			return false
		}
		pos++
		if pos != len(buf) && buf[pos] == '_' {
			pos++
			if pos == len(buf) || val(buf[pos]) >= radix {
				return false
			}
		}
		if st.result > (math.MaxInt64-d)/radix {
			return false
		}
		st.result = st.result*radix + d
	}
	return pos > 1
}

// ParseBool reads s as a BOOLEAN the way DuckDB's TRY_CAST(s AS BOOLEAN)
// does: "t", "y", "1", "yes", "true" are true and "f", "n", "0", "no",
// "false" are false, in any case, with no surrounding spaces.
func ParseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "t", "y", "1", "yes", "true":
		return true, true
	case "f", "n", "0", "no", "false":
		return false, true
	}
	return false, false
}

// The TIMESTAMP values DuckDB reserves for 'infinity' and '-infinity'.
const (
	TimestampInfinity    int64 = math.MaxInt64
	TimestampNegInfinity int64 = -math.MaxInt64
)

const microsPerDay = 86400 * 1000000

// ParseTimestamp reads s as a TIMESTAMP the way DuckDB's
// TRY_CAST(s AS TIMESTAMP) does, returning microseconds since the epoch,
// UTC. The date is [-]Y-M-D with one or two digit month and day and '-',
// '/', '\' or ' ' between them, optionally followed by " (BC)"; the time,
// after 'T' or a space, is H:MM[:SS[.fraction]] (digits past microseconds
// are dropped, 24:00:00 is the next midnight), optionally followed by 'Z',
// a time zone, which DuckDB 2.0 reads and ignores: 'Z', a UTC offset
// +HH, +HHMM, +HH:MM or +HH:MM:SS, or a name after a space (" UTC",
// " Europe/Paris"). Leading spaces are ignored, as are trailing spaces
// after a time. "epoch", "infinity" and "-infinity" are accepted too, and
// "inf" and "-inf" (in any case) when they are the whole text.
func ParseTimestamp(s string) (int64, bool) {
	switch {
	case len(s) == 3 && strings.EqualFold(s, "inf"):
		return TimestampInfinity, true
	case len(s) == 4 && s[0] == '-' && strings.EqualFold(s[1:], "inf"):
		return TimestampNegInfinity, true
	}
	pos := 0
	for pos < len(s) && isSpace(s[pos]) {
		pos++
	}
	if pos >= len(s) {
		return 0, false
	}
	neg := false
	if s[pos] == '-' {
		neg = true
		pos++
		if pos >= len(s) {
			return 0, false
		}
	}
	if !isDigit(s[pos]) {
		var special int64
		switch rest := s[pos:]; {
		case len(rest) >= 8 && strings.EqualFold(rest[:8], "infinity"):
			special, pos = TimestampInfinity, pos+8
			if neg {
				special = TimestampNegInfinity
			}
		case len(rest) >= 5 && strings.EqualFold(rest[:5], "epoch"):
			special, pos = 0, pos+5
		default:
			return 0, false
		}
		for pos < len(s) && isSpace(s[pos]) {
			pos++
		}
		return special, pos == len(s)
	}
	var year int64
	for ; pos < len(s) && isDigit(s[pos]); pos++ {
		if year >= 100000000 {
			return 0, false
		}
		year = year*10 + int64(s[pos]-'0')
	}
	if neg {
		year = -year
	}
	if pos >= len(s) {
		return 0, false
	}
	sep := s[pos]
	pos++
	if sep != ' ' && sep != '-' && sep != '/' && sep != '\\' {
		return 0, false
	}
	month, ok := doubleDigit(s, &pos)
	if !ok || pos >= len(s) || s[pos] != sep {
		return 0, false
	}
	pos++
	day, ok := doubleDigit(s, &pos)
	if !ok {
		return 0, false
	}
	if len(s)-pos >= 5 && isSpace(s[pos]) && s[pos+1] == '(' && s[pos+2]|0x20 == 'b' && s[pos+3]|0x20 == 'c' && s[pos+4] == ')' {
		if neg || year == 0 {
			return 0, false
		}
		year = -year + 1
		pos += 5
	}
	if pos < len(s) && isDigit(s[pos]) {
		return 0, false
	}
	days, ok := daysFromCivil(year, month, day)
	if !ok {
		return 0, false
	}
	if pos == len(s) {
		return dateTime(days, 0)
	}
	if s[pos] == ' ' || s[pos] == 'T' {
		pos++
	}
	tod, ok := parseTime(s, &pos)
	if !ok || tod > microsPerDay {
		return 0, false
	}
	ts, ok := dateTime(days, tod)
	if !ok {
		return 0, false
	}
	if pos < len(s) {
		// A time zone: 'Z', a UTC offset or, after a space, a name. It is
		// read and then ignored: a TIMESTAMP keeps the local time as
		// written ("03:04:05+02" is 03:04:05, "03:04:05 CET" too).
		space := s[pos] == ' '
		if space {
			pos++
		}
		switch {
		case pos < len(s) && s[pos] == 'Z':
			pos++
		case utcOffset(s, &pos):
		case !space:
			return 0, false
		default:
			for pos < len(s) && isTimeZoneChar(s[pos]) {
				pos++
			}
		}
		for pos < len(s) && isSpace(s[pos]) {
			pos++
		}
		if pos < len(s) {
			return 0, false
		}
	}
	if ts == TimestampInfinity || ts == TimestampNegInfinity || ts == math.MinInt64 {
		return 0, false
	}
	return ts, true
}

func isTimeZoneChar(c byte) bool {
	return isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'z' || c == '_' || c == '/' || c == '+' || c == '-'
}

// doubleDigit reads one or two digits at *pos.
func doubleDigit(s string, pos *int) (int64, bool) {
	if *pos >= len(s) || !isDigit(s[*pos]) {
		return 0, false
	}
	n := int64(s[*pos] - '0')
	*pos++
	if *pos < len(s) && isDigit(s[*pos]) {
		n = n*10 + int64(s[*pos]-'0')
		*pos++
	}
	return n, true
}

// parseTime reads H:MM[:SS[.ffffff]] (hours up to nine digits) and returns
// microseconds.
func parseTime(s string, pos *int) (int64, bool) {
	p := *pos
	for p < len(s) && isSpace(s[p]) {
		p++
	}
	if p >= len(s) || !isDigit(s[p]) {
		return 0, false
	}
	var hour int64
	for n := 0; p < len(s) && isDigit(s[p]); p++ {
		if n++; n > 9 {
			return 0, false
		}
		hour = hour*10 + int64(s[p]-'0')
	}
	if p >= len(s) || s[p] != ':' {
		return 0, false
	}
	p++
	minute, ok := doubleDigit(s, &p)
	if !ok || minute >= 60 {
		return 0, false
	}
	var sec, micros int64
	if p < len(s) && s[p] == ':' {
		p++
		if sec, ok = doubleDigit(s, &p); !ok || sec >= 60 {
			return 0, false
		}
		if p < len(s) && s[p] == '.' {
			p++
			for mult := int64(100000); p < len(s) && isDigit(s[p]); p, mult = p+1, mult/10 {
				micros += int64(s[p]-'0') * mult
			}
		}
	}
	*pos = p
	return ((hour*60+minute)*60+sec)*1000000 + micros, true
}

// utcOffset skips a UTC offset at *pos: +HH, +HHMM, +HH:MM or +HH:MM:SS
// (or with '-'). It reports whether there was one.
func utcOffset(s string, pos *int) bool {
	p := *pos
	if p+3 > len(s) || (s[p] != '+' && s[p] != '-') || !isDigit(s[p+1]) || !isDigit(s[p+2]) {
		return false
	}
	p += 3
	for range 2 { // minutes, then seconds
		q := p
		if q < len(s) && s[q] == ':' {
			q++
		}
		if q+2 > len(s) || !isDigit(s[q]) || !isDigit(s[q+1]) {
			break
		}
		p = q + 2
	}
	*pos = p
	return true
}

// dateTime combines days since the epoch and micros of the day.
func dateTime(days, micros int64) (int64, bool) {
	if days > math.MaxInt64/microsPerDay || days < math.MinInt64/microsPerDay {
		return 0, false
	}
	d := days * microsPerDay
	if d > math.MaxInt64-micros {
		return 0, false
	}
	return d + micros, true
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (year 0 is 1 BC), checking that the date exists.
func daysFromCivil(y, m, d int64) (int64, bool) {
	if m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m) {
		return 0, false
	}
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468, true
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int64) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func daysInMonth(y, m int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
