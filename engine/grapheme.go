package engine

import "unicode"

// DuckDB's reverse() reverses grapheme clusters, not code points, so that
// "e" followed by a combining acute accent stays "é". This file splits text
// into extended grapheme clusters after Unicode's UAX #29, as DuckDB's
// utf8proc does, with the character classes derived from Go's unicode
// tables (which hold no Grapheme_Cluster_Break property of their own).

type gcb uint8

const (
	gcbOther gcb = iota
	gcbCR
	gcbLF
	gcbControl
	gcbExtend
	gcbZWJ
	gcbRI
	gcbPrepend
	gcbSpacingMark
	gcbL
	gcbV
	gcbT
	gcbLV
	gcbLVT
	gcbExtPict
)

var (
	// spacing marks (Mc) that are not SpacingMark for grapheme breaking
	notSpacingMark = &unicode.RangeTable{R16: []unicode.Range16{
		{0x102B, 0x102C, 1}, {0x1038, 0x1038, 1}, {0x1062, 0x1064, 1}, {0x1067, 0x106D, 1},
		{0x1083, 0x1083, 1}, {0x1087, 0x108C, 1}, {0x108F, 0x108F, 1}, {0x109A, 0x109C, 1},
		{0x1A61, 0x1A61, 1}, {0x1A63, 0x1A64, 1}, {0xAA7B, 0xAA7B, 1}, {0xAA7D, 0xAA7D, 1},
	}, R32: []unicode.Range32{{0x11720, 0x11721, 1}}}

	// Prepend characters besides the prepended concatenation marks
	prependExtra = &unicode.RangeTable{R16: []unicode.Range16{{0x0D4E, 0x0D4E, 1}}, R32: []unicode.Range32{
		{0x111C2, 0x111C3, 1}, {0x1193F, 0x1193F, 1}, {0x11941, 0x11941, 1}, {0x11A3A, 0x11A3A, 1},
		{0x11A84, 0x11A89, 1}, {0x11D46, 0x11D46, 1}, {0x11F02, 0x11F02, 1},
	}}
)

func graphemeClass(r rune) gcb {
	switch {
	case r < 0x7F && r >= 0x20:
		return gcbOther
	case r == '\r':
		return gcbCR
	case r == '\n':
		return gcbLF
	case r == 0x200D:
		return gcbZWJ
	case r >= 0x1F1E6 && r <= 0x1F1FF:
		return gcbRI
	case r >= 0x1F3FB && r <= 0x1F3FF, r >= 0xE0020 && r <= 0xE007F:
		return gcbExtend
	case r >= 0x1100 && r <= 0x115F, r >= 0xA960 && r <= 0xA97C:
		return gcbL
	case r >= 0x1160 && r <= 0x11A7, r >= 0xD7B0 && r <= 0xD7C6:
		return gcbV
	case r >= 0x11A8 && r <= 0x11FF, r >= 0xD7CB && r <= 0xD7FB:
		return gcbT
	case r >= 0xAC00 && r <= 0xD7A3:
		if (r-0xAC00)%28 == 0 {
			return gcbLV
		}
		return gcbLVT
	case r == 0x0E33, r == 0x0EB3:
		return gcbSpacingMark
	case unicode.Is(unicode.Prepended_Concatenation_Mark, r), unicode.Is(prependExtra, r):
		return gcbPrepend
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Other_Grapheme_Extend):
		return gcbExtend
	case unicode.Is(unicode.Mc, r):
		if unicode.Is(notSpacingMark, r) {
			return gcbOther
		}
		return gcbSpacingMark
	case unicode.In(r, unicode.Cc, unicode.Zl, unicode.Zp, unicode.Cf, unicode.Cs):
		return gcbControl
	case unicode.Is(extPict, r):
		return gcbExtPict
	}
	return gcbOther
}

// graphemeBreak reports whether extended grapheme clusters break between a
// character of class prev and one of class cur. riOdd says that prev ends
// an odd run of regional indicators; emojiZWJ that prev is a ZWJ ending
// ExtPict Extend* ZWJ.
func graphemeBreak(prev, cur gcb, riOdd, emojiZWJ bool) bool {
	switch {
	case prev == gcbCR && cur == gcbLF: // GB3
		return false
	case prev == gcbCR || prev == gcbLF || prev == gcbControl: // GB4
		return true
	case cur == gcbCR || cur == gcbLF || cur == gcbControl: // GB5
		return true
	case prev == gcbL && (cur == gcbL || cur == gcbV || cur == gcbLV || cur == gcbLVT): // GB6
		return false
	case (prev == gcbLV || prev == gcbV) && (cur == gcbV || cur == gcbT): // GB7
		return false
	case (prev == gcbLVT || prev == gcbT) && cur == gcbT: // GB8
		return false
	case cur == gcbExtend || cur == gcbZWJ || cur == gcbSpacingMark: // GB9, GB9a
		return false
	case prev == gcbPrepend: // GB9b
		return false
	case emojiZWJ && cur == gcbExtPict: // GB11
		return false
	case prev == gcbRI && cur == gcbRI: // GB12, GB13
		return !riOdd
	}
	return true
}

// Indic_Conjunct_Break classes, for rule GB9c.
type incb uint8

const (
	incbNone incb = iota
	incbIsConsonant
	incbIsLinker
	incbIsExtend
)

func incbClass(r rune) incb {
	switch {
	case r < 0x300:
		return incbNone
	case unicode.Is(incbConsonant, r):
		return incbIsConsonant
	case unicode.Is(incbLinker, r):
		return incbIsLinker
	case unicode.Is(incbExtend, r):
		return incbIsExtend
	}
	return incbNone
}

// reverseGraphemes reverses s by extended grapheme clusters, as DuckDB's
// reverse() does; like DuckDB it reverses ASCII text byte by byte, even
// "\r\n".
func reverseGraphemes(s string) string {
	out := make([]byte, len(s))
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		for i := 0; i < len(s); i++ {
			out[len(s)-1-i] = s[i]
		}
		return string(out)
	}
	end := len(s) // where the next cluster goes, filling from the back
	start := 0    // start of the current cluster in s
	var prev gcb
	var conj incb // GB9c state: consonant, then extends and linkers
	riOdd, inEmoji, emojiZWJ := false, false, false
	for i, r := range s {
		cur, ci := graphemeClass(r), incbClass(r)
		if i > 0 && graphemeBreak(prev, cur, riOdd, emojiZWJ) && !(conj == incbIsLinker && ci == incbIsConsonant) {
			end -= copy(out[end-(i-start):], s[start:i])
			start = i
		}
		switch {
		case i == 0:
			if ci == incbIsConsonant {
				conj = ci
			}
		case ci == incbIsConsonant || conj == incbIsConsonant || conj == incbIsExtend:
			conj = ci
		case conj == incbIsLinker && ci != incbIsExtend:
			conj = ci
		}
		// state for GB11 and GB12/13
		emojiZWJ = cur == gcbZWJ && inEmoji
		switch cur {
		case gcbExtPict:
			inEmoji = true
		case gcbExtend:
		default:
			inEmoji = false
		}
		if cur == gcbRI {
			riOdd = !riOdd
		} else {
			riOdd = false
		}
		prev = cur
	}
	copy(out[end-(len(s)-start):], s[start:])
	return string(out)
}
