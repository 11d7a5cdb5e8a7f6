package value

import (
	"encoding/binary"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Type is the SQL type of a column or an expression.
type Type uint8

// The types brook knows. Their names follow DuckDB's.
const (
	Null      Type = iota // the type of the NULL literal only
	Bool                  // BOOLEAN
	Int                   // BIGINT (64-bit signed)
	Float                 // DOUBLE
	String                // VARCHAR
	Timestamp             // TIMESTAMP, microseconds since the Unix epoch, UTC
	// Huge is a HUGEINT beyond BIGINT's range: the kind of a value, never
	// of a column. DuckDB sums BIGINTs into a HUGEINT; brook's sums and
	// their arithmetic are BIGINT values while they fit one and Huge
	// values beyond (see HugeValue).
	Huge
)

var typeNames = [...]string{Null: "NULL", Bool: "BOOLEAN", Int: "BIGINT", Float: "DOUBLE", String: "VARCHAR", Timestamp: "TIMESTAMP", Huge: "HUGEINT"}

// String returns the DuckDB name of t.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "UNKNOWN"
}

// Numeric reports whether t is BIGINT or DOUBLE (or a HUGEINT value's).
func (t Type) Numeric() bool { return t == Int || t == Float || t == Huge }

// ParseType reads a type name as written in SQL or a schema declaration.
// It accepts DuckDB's common spellings and reports ok=false for any other.
func ParseType(name string) (Type, bool) {
	n := strings.ToUpper(strings.TrimSpace(name))
	if i := strings.IndexByte(n, '('); i > 0 { // VARCHAR(20), DECIMAL(10,2)
		n = strings.TrimSpace(n[:i])
	}
	switch n {
	case "BOOLEAN", "BOOL", "LOGICAL":
		return Bool, true
	case "BIGINT", "INT8", "LONG", "INTEGER", "INT", "INT4", "SIGNED", "SMALLINT", "INT2", "TINYINT", "INT1", "HUGEINT", "UBIGINT", "UINTEGER":
		return Int, true
	case "DOUBLE", "FLOAT8", "FLOAT", "FLOAT4", "REAL", "DECIMAL", "NUMERIC":
		return Float, true
	case "VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR", "NCHAR":
		return String, true
	case "TIMESTAMP", "DATETIME", "TIMESTAMPTZ":
		return Timestamp, true
	}
	return Null, false
}

// Value is one datum. The zero Value is NULL. Only the field that matches
// Kind is meaningful: I for Bool (0 or 1), Int and Timestamp; F for Float;
// S for String; for Huge, I holds the low 64 bits of the two's complement
// 128-bit integer and F the bits of the high 64 (see HugeValue).
//
// A String value produced by the decoder may point into the input buffer of
// its batch: it is valid only until the batch is released. State kept across
// batches must copy it with Clone.
type Value struct {
	Kind Type
	I    int64
	F    float64
	S    string
}

// NullValue is the SQL NULL.
var NullValue = Value{}

// IntValue returns a BIGINT value.
func IntValue(i int64) Value { return Value{Kind: Int, I: i} }

// FloatValue returns a DOUBLE value.
func FloatValue(f float64) Value { return Value{Kind: Float, F: f} }

// StringValue returns a VARCHAR value.
func StringValue(s string) Value { return Value{Kind: String, S: s} }

// BoolValue returns a BOOLEAN value.
func BoolValue(b bool) Value {
	if b {
		return Value{Kind: Bool, I: 1}
	}
	return Value{Kind: Bool}
}

// TimestampValue returns a TIMESTAMP value from microseconds since the epoch.
func TimestampValue(micros int64) Value { return Value{Kind: Timestamp, I: micros} }

// HugeValue returns the 128-bit integer hi*2^64 + lo (two's complement):
// a BIGINT value when it fits one, else a Huge value.
func HugeValue(hi int64, lo uint64) Value {
	if hi == int64(lo)>>63 {
		return IntValue(int64(lo))
	}
	return Value{Kind: Huge, I: int64(lo), F: math.Float64frombits(uint64(hi))}
}

// Wide returns a BIGINT or HUGEINT value as a two's complement 128-bit
// integer, hi*2^64 + lo; ok is false for other kinds.
func (v Value) Wide() (hi int64, lo uint64, ok bool) {
	switch v.Kind {
	case Int:
		return v.I >> 63, uint64(v.I), true
	case Huge:
		return int64(math.Float64bits(v.F)), uint64(v.I), true
	}
	return 0, 0, false
}

// BigInt returns a BIGINT or HUGEINT value as a big.Int (nil for other
// kinds).
func (v Value) BigInt() *big.Int {
	hi, lo, ok := v.Wide()
	if !ok {
		return nil
	}
	b := new(big.Int).Lsh(big.NewInt(hi), 64)
	return b.Add(b, new(big.Int).SetUint64(lo))
}

// BigIntValue returns x, which must be within HUGEINT's range (at least
// -2^127, below 2^127), as a BIGINT or Huge value.
func BigIntValue(x *big.Int) Value {
	var w [16]byte
	m := new(big.Int).Set(x)
	if x.Sign() < 0 { // two's complement: 2^128 + x
		m.Add(m, new(big.Int).Lsh(big.NewInt(1), 128))
	}
	m.FillBytes(w[:])
	return HugeValue(int64(binary.BigEndian.Uint64(w[:8])), binary.BigEndian.Uint64(w[8:]))
}

// IsNull reports whether v is NULL.
func (v Value) IsNull() bool { return v.Kind == Null }

// Bool reports whether v is the BOOLEAN true. NULL and false are both false,
// which is what WHERE and HAVING need.
func (v Value) True() bool { return v.Kind == Bool && v.I != 0 }

// Clone returns v with its string copied out of any shared buffer.
func (v Value) Clone() Value {
	if v.Kind == String {
		v.S = strings.Clone(v.S)
	}
	return v
}

// AsFloat returns v as a float64 and whether it is a number. A VARCHAR is a
// number when ParseNumber accepts its text.
func (v Value) AsFloat() (float64, bool) {
	switch v.Kind {
	case Float:
		return v.F, true
	case Int:
		return float64(v.I), true
	case Huge: // the nearest DOUBLE, as DuckDB casts a HUGEINT
		f, _ := new(big.Float).SetInt(v.BigInt()).Float64()
		return f, true
	case String:
		return ParseNumber(v.S)
	}
	return 0, false
}

// parseSimpleFloat parses digits with an optional fraction exactly when the
// result is exactly representable; it reports false for anything else so the
// caller can fall back to strconv.
func parseSimpleFloat(s string) (float64, bool) {
	var mant uint64
	i := 0
	for i < len(s) && s[i]-'0' < 10 {
		mant = mant*10 + uint64(s[i]-'0')
		i++
	}
	digits := i
	if i == len(s) {
		if digits == 0 || digits > 15 {
			return 0, false
		}
		return float64(mant), true
	}
	if s[i] != '.' {
		return 0, false
	}
	whole, intDigits := mant, digits // whole is the value when the fraction is all zeros, as in 784.0
	zeros := true
	for i++; i < len(s); i++ {
		c := s[i] - '0'
		if c >= 10 {
			return 0, false
		}
		mant = mant*10 + uint64(c)
		zeros = zeros && c == 0
		digits++
	}
	frac := len(s) - intDigits - 1
	if digits == 0 || digits > 15 || frac > 22 {
		return 0, false
	}
	if zeros {
		return float64(whole), true
	}
	return float64(mant) / Pow10[frac], true
}

// Pow10 holds the powers of ten a float64 holds exactly, 1e0 to 1e22.
var Pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// ParseFloatBytes is ParseNumber for a JSON number token; b must not be
// retained by the callee, and it is not.
func ParseFloatBytes(b []byte) (float64, bool) {
	if n, ok := parseSimpleFloat(bytesToString(b)); ok {
		return n, true
	}
	f, err := strconv.ParseFloat(bytesToString(b), 64)
	if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
		return f, true // ±Inf or 0, as DuckDB reads out-of-range numbers
	}
	return f, err == nil
}

// RoundHalfEven rounds to the nearest integer, halves to even, as DuckDB
// does when it casts a DOUBLE to an integer type (C's nearbyint).
func RoundHalfEven(f float64) float64 { return math.RoundToEven(f) }
