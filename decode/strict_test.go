package decode

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// TestStringSpecial: the lowest byte stringSpecial flags in a word is its
// first quote, backslash or control character, for every byte value at
// every position and for random words.
func TestStringSpecial(t *testing.T) {
	special := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 }
	check := func(word []byte) {
		want := 8
		for k, c := range word {
			if special(c) {
				want = k
				break
			}
		}
		m := stringSpecial(binary.LittleEndian.Uint64(word))
		if got := bits.TrailingZeros64(m) / 8; got != want {
			t.Fatalf("% x: lowest flag at byte %d, want %d", word, got, want)
		}
	}
	for c := range 256 {
		for pos := range 8 {
			for _, fill := range []byte{'a', 0xff, 0x80, ' ', '!', '#', 0x7f} {
				word := []byte{fill, fill, fill, fill, fill, fill, fill, fill}
				word[pos] = byte(c)
				check(word)
				for k := pos + 1; k < 8; k++ { // a special byte before another
					word[k] = '"'
				}
				check(word)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		check(binary.LittleEndian.AppendUint64(nil, rng.Uint64()))
	}
}
