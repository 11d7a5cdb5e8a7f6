package value

import "unsafe"

// bytesToString views b as a string without copying. The caller must not
// modify b while the string is in use.
func bytesToString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// UnsafeString views b as a string without copying. The string is valid only
// while b is neither modified nor released; it is how the decoder hands out
// strings that live in a batch's input buffer.
func UnsafeString(b []byte) string { return bytesToString(b) }
