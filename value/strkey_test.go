package value

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"
)

// TestKeyOf: two strings get the same key exactly when they are equal,
// whatever their length (short strings packed, long ones hashed), and
// KeyOfPadded gives KeyOf's key for a string inside a buffer, whatever
// bytes follow it.
func TestKeyOf(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	seen := map[StrKey]string{}
	for n := 0; n <= 24; n++ {
		for range 200 {
			b := make([]byte, n)
			for i := range b {
				b[i] = "ab\x00\xff"[r.IntN(4)] // zero bytes too: padding must not alias them
			}
			s := string(b)
			k := KeyOf(s)
			if old, ok := seen[k]; ok && old != s {
				t.Fatalf("%q and %q share the key %+v", old, s, k)
			}
			seen[k] = s
			if n <= ShortKeyLen && k.Hi>>56 != uint64(n+1) || n > ShortKeyLen && k.Hi>>56 != LongKeyMark {
				t.Fatalf("%q: top byte %#x", s, k.Hi>>56)
			}
			// The same string inside a larger buffer, followed by noise.
			buf := []byte(s + strings.Repeat("\xff", 16) + "x")
			if got := KeyOfPadded(unsafe.String(&buf[0], n)); got != k {
				t.Fatalf("%q: KeyOfPadded %+v, KeyOf %+v", s, got, k)
			}
		}
	}
}
