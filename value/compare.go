package value

import (
	"encoding/binary"
	"math"
	"strings"
)

// Compare compares a and b under SQL semantics. ok is false when the result
// is NULL: either side is NULL, or a VARCHAR compared with a number does not
// hold a number (see the package doc). cmp is -1, 0 or +1.
func Compare(a, b Value) (cmp int, ok bool) {
	if a.Kind == Null || b.Kind == Null {
		return 0, false
	}
	if a.Kind == b.Kind {
		switch a.Kind {
		case Int, Bool, Timestamp:
			return cmpInt(a.I, b.I), true
		case Float:
			return cmpFloat(a.F, b.F), true
		case String:
			return strings.Compare(a.S, b.S), true
		}
	}
	if a.Kind == Huge || b.Kind == Huge {
		ahi, alo, aok := a.Wide()
		bhi, blo, bok := b.Wide()
		if aok && bok { // BIGINT and HUGEINT compare exactly
			switch {
			case ahi != bhi:
				return cmpInt(ahi, bhi), true
			case alo < blo:
				return -1, true
			case alo > blo:
				return 1, true
			}
			return 0, true
		}
	}
	if a.Kind == Int && b.Kind == Float {
		return cmpFloat(float64(a.I), b.F), true
	}
	if a.Kind == Float && b.Kind == Int {
		return cmpFloat(a.F, float64(b.I)), true
	}
	if a.Kind == Timestamp && b.Kind == String {
		t, ok := ParseTimestamp(b.S)
		if !ok {
			return 0, false
		}
		return cmpInt(a.I, t), true
	}
	if a.Kind == String && b.Kind == Timestamp {
		t, ok := ParseTimestamp(a.S)
		if !ok {
			return 0, false
		}
		return cmpInt(t, b.I), true
	}
	af, aok := a.AsFloat()
	bf, bok := b.AsFloat()
	if !aok || !bok {
		return 0, false
	}
	return cmpFloat(af, bf), true
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpFloat orders NaN above every other number, as DuckDB does.
func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case a == b:
		return 0
	}
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	}
	return -1
}

// Order is the total order used by ORDER BY: NULLs sort after every other
// value, numbers compare numerically across BIGINT and DOUBLE, and values of
// unrelated types (which a planned query never mixes) order by type.
func Order(a, b Value) int {
	if a.Kind == Null || b.Kind == Null {
		switch {
		case a.Kind == b.Kind:
			return 0
		case a.Kind == Null:
			return 1
		}
		return -1
	}
	if c, ok := Compare(a, b); ok {
		return c
	}
	return cmpInt(int64(a.Kind), int64(b.Kind))
}

// Equal reports whether a and b are the same value for grouping and DISTINCT:
// NULL equals NULL, and numbers compare by value.
func Equal(a, b Value) bool {
	if a.Kind == Null || b.Kind == Null {
		return a.Kind == b.Kind
	}
	c, ok := Compare(a, b)
	return ok && c == 0
}

// Key tags written by AppendKey.
const (
	keyNull byte = iota
	keyBool
	keyInt
	keyFloat
	keyString
	keyTimestamp
	keyHuge
)

// AppendKey appends an unambiguous binary encoding of v to dst, for use as
// (part of) a hash-map key. Two values have equal encodings exactly when
// Equal holds for values of the same type; -0 and +0, and all NaNs, encode
// alike.
func AppendKey(dst []byte, v Value) []byte {
	switch v.Kind {
	case Null:
		return append(dst, keyNull)
	case Bool:
		return append(dst, keyBool, byte(v.I))
	case Int:
		return binary.LittleEndian.AppendUint64(append(dst, keyInt), uint64(v.I))
	case Timestamp:
		return binary.LittleEndian.AppendUint64(append(dst, keyTimestamp), uint64(v.I))
	case Huge: // never equal to a BIGINT: a Huge value does not fit one
		hi, lo, _ := v.Wide()
		dst = binary.LittleEndian.AppendUint64(append(dst, keyHuge), lo)
		return binary.LittleEndian.AppendUint64(dst, uint64(hi))
	case Float:
		f := v.F
		if f == 0 {
			f = 0
		} else if math.IsNaN(f) {
			f = math.NaN()
		}
		return binary.LittleEndian.AppendUint64(append(dst, keyFloat), math.Float64bits(f))
	case String:
		dst = binary.AppendUvarint(append(dst, keyString), uint64(len(v.S)))
		return append(dst, v.S...)
	}
	return dst
}
