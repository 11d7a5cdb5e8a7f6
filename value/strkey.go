package value

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"unsafe"
)

// StrKey is a string prepared for hash tables (the engine's sets and group
// indexes): a string of at most ShortKeyLen bytes is packed into Lo and Hi,
// its bytes in order (little-endian) and its length plus one in Hi's top
// byte, so that two such keys are equal exactly when their strings are;
// for a longer string Lo is its hash and Hi's top byte is LongKeyMark. H is
// the hash that places the key. A zero StrKey (top byte 0) is no key.
//
// A decoder computes the keys of the columns the engine hashes while the
// line is in its cache; the engine then compares and places short strings
// without reading them.
type StrKey struct {
	Lo, Hi, H uint64
}

// ShortKeyLen is the longest string a StrKey holds itself.
const ShortKeyLen = 15

// LongKeyMark is the top byte of Hi for a string longer than ShortKeyLen.
const LongKeyMark = 0xFF

var (
	keySeed      = maphash.MakeSeed()
	mixLo, mixHi = keyWord(1), keyWord(2)
)

// keyWord is a random word of this process, so that where keys are placed
// cannot be predicted from outside.
func keyWord(i byte) uint64 {
	return maphash.Bytes(keySeed, []byte{i}) | 1
}

// KeyOf prepares s for hash tables.
func KeyOf(s string) StrKey {
	n := len(s)
	if n > ShortKeyLen {
		h := maphash.String(keySeed, s)
		return StrKey{Lo: h, Hi: LongKeyMark << 56, H: h}
	}
	lo, hi := packKey(s)
	return StrKey{Lo: lo, Hi: hi, H: MixKey(lo, hi)}
}

// KeyOfPadded is KeyOf for a string followed in memory by enough bytes
// that the 16 from its start can be read (a string inside a larger buffer,
// such as a line being decoded): the same key, packed without branching
// on the string's length.
func KeyOfPadded(s string) StrKey {
	n := len(s)
	if n > ShortKeyLen {
		return KeyOf(s)
	}
	b := unsafe.Slice(unsafe.StringData(s), 16)
	// The bytes past the string are masked off: a packed key is the
	// string's bytes in order, zero-padded (see packKey).
	lo := binary.LittleEndian.Uint64(b) & lowBytes(min(n, 8))
	hi := binary.LittleEndian.Uint64(b[8:])&lowBytes(max(n-8, 0)) | uint64(n+1)<<56
	return StrKey{Lo: lo, Hi: hi, H: MixKey(lo, hi)}
}

// lowBytes is the mask of the k (0 to 8) low bytes of a word.
func lowBytes(k int) uint64 { return uint64(1)<<(8*uint(k)) - 1 }

// packKey returns the packed words of a string of at most ShortKeyLen
// bytes.
func packKey(s string) (lo, hi uint64) {
	n := len(s)
	b := unsafe.Slice(unsafe.StringData(s), n)
	switch {
	case n >= 8: // the last n-8 bytes shifted down into hi
		lo = binary.LittleEndian.Uint64(b)
		hi = binary.LittleEndian.Uint64(b[n-8:]) >> ((16 - n) * 8)
	case n >= 4: // two overlapping halves
		lo = uint64(binary.LittleEndian.Uint32(b)) | uint64(binary.LittleEndian.Uint32(b[n-4:]))<<((n-4)*8)
	case n > 0:
		lo = uint64(b[0]) | uint64(b[n/2])<<(n/2*8) | uint64(b[n-1])<<((n-1)*8)
	}
	return lo, hi | uint64(n+1)<<56
}

// MixKey is the hash of a short string's packed words.
func MixKey(lo, hi uint64) uint64 {
	h, l := bits.Mul64(lo^mixLo, hi^mixHi)
	return h ^ l
}
