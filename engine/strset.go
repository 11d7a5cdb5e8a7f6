package engine

import (
	"encoding/binary"
	"math/bits"
	"sync/atomic"
	"unsafe"

	"brook/decode"
	"brook/value"
)

// strTable maps byte strings to values of type V: an open-addressing table
// with linear probing whose slots hold the strings themselves. A string of
// at most 15 bytes (the usual device names, ports and encoded numbers) is
// packed into the slot's 16 bytes with its length, so that a slot of a set
// is 16 bytes, four to a cache line, and a lookup compares two words and
// follows no pointer; its hash is computed from the packed words, with a
// multiplication rather than a pass over the bytes. A longer string is
// kept in an arena and its slot holds its hash and where it is. Strings are
// never removed. strSet, the state of one group's COUNT(DISTINCT x), is a
// strTable of nothing; a group table's index of single VARCHAR keys is a
// strTable of group ids.
type strTable[V any] struct {
	slots []strSlot[V]
	x     *strExtra // made when first needed: most tables need neither
	// A string's first slot is taken from its hash salted per table (see
	// home): copying one table into another in slot order would otherwise
	// fill the other's slots in order and make long probe runs.
	salt  uint64
	n     int32
	shift uint8 // 64 - log2(len(slots))
	// A table emptied again and again (a Partial's, see reset) notes in
	// x.used the slots it fills, so that emptying it costs what it held,
	// not its size.
	track bool
}

// strExtra is what few tables need: an arena for strings longer than
// value.ShortKeyLen (each after its length, four bytes), and the slots filled
// since the last reset.
type strExtra struct {
	long []byte
	used []uint32
}

func (s *strTable[V]) extra() *strExtra {
	if s.x == nil {
		s.x = &strExtra{}
	}
	return s.x
}

// strSet is a set of byte strings.
type strSet = strTable[struct{}]

// longMark in a slot's top byte marks a string kept in the arena.
const longMark = value.LongKeyMark

// strSlot is one slot. For a string of at most value.ShortKeyLen bytes, lo and hi
// hold its bytes in order (little-endian) and the top byte of hi its
// length plus one. For a longer one, lo is its hash, the top byte of hi is
// longMark and the rest of hi where it starts in the arena. A top byte of
// 0 marks an empty slot.
type strSlot[V any] struct {
	val    V // first: a zero-size last field would be padded
	lo, hi uint64
}

func (sl *strSlot[V]) empty() bool { return sl.hi>>56 == 0 }

// strProbe is a string prepared for lookups (see value.StrKey; for a long
// string, Hi is just the mark).
type strProbe = value.StrKey

var (
	_              = [1]struct{}{}[unsafe.Sizeof(strSlot[struct{}]{})-16] // a set's slot is 16 bytes
	longProbeMarks = uint64(longMark) << 56
)

// hasKeys reports whether b holds the keys of column slot's strings (see
// decode.Decoder.HashStrings).
func hasKeys(b *decode.Batch, slot int) bool {
	return slot < 64 && b.KeyCols&(1<<slot) != 0 && len(b.Keys) == len(b.Values)
}

// probeAt returns the probe of b.Values[at] when it is a string, else a
// zero probe (Hi 0): the key the decoder prepared when keyed (hasKeys),
// so that the value itself is not read, or else one made now.
func probeAt(b *decode.Batch, at int, keyed bool) strProbe {
	if keyed {
		return b.Keys[at]
	}
	if v := &b.Values[at]; v.Kind == value.String {
		return value.KeyOf(v.S)
	}
	return strProbe{}
}

// longProbe reports whether p is that of a string kept in the arena, whose
// text is needed to compare and to add it.
func longProbe(p strProbe) bool { return p.Hi == longProbeMarks }

// hashOf returns the hash that placed a full slot.
func (sl *strSlot[V]) hashOf() uint64 {
	if sl.hi>>56 == longMark {
		return sl.lo
	}
	return value.MixKey(sl.lo, sl.hi)
}

// add adds k and reports whether it was new.
func (s *strTable[V]) add(k string) bool {
	_, found := s.slot(k, true)
	return !found
}

// slot returns the slot of k, and whether k was there; when it was not,
// with insert it is added (with a zero value), else the slot is nil.
func (s *strTable[V]) slot(k string, insert bool) (*strSlot[V], bool) {
	return s.slotProbe(k, value.KeyOf(k), insert)
}

// slotProbe is slot for k of probe p (value.KeyOf(k)).
func (s *strTable[V]) slotProbe(k string, p strProbe, insert bool) (*strSlot[V], bool) {
	if s.slots == nil {
		if !insert {
			return nil, false
		}
		s.init(4) // most groups' sets stay that small
	}
	mask := len(s.slots) - 1
	i := s.home(p.H)
	if p.Hi != longProbeMarks {
		for ; ; i = (i + 1) & mask {
			sl := &s.slots[i]
			if sl.lo == p.Lo && sl.hi == p.Hi {
				return sl, true
			}
			if sl.empty() {
				break
			}
		}
	} else {
		for ; ; i = (i + 1) & mask {
			sl := &s.slots[i]
			if sl.empty() {
				break
			}
			if sl.lo == p.Lo && sl.hi>>56 == longMark && s.longAt(sl) == k {
				return sl, true
			}
		}
	}
	if !insert {
		return nil, false
	}
	return s.fill(i, p, k), false
}

// init gives an empty table n slots (a power of two).
func (s *strTable[V]) init(n int) {
	s.slots = make([]strSlot[V], n)
	s.shift = uint8(64 - bits.TrailingZeros(uint(n)))
	s.salt = tableSalt.Add(0x9E3779B97F4A7C15)
}

// fill puts k (of probe p) into empty slot i, growing the table when it is
// three quarters full, and returns k's slot.
func (s *strTable[V]) fill(i int, p strProbe, k string) *strSlot[V] {
	sl := &s.slots[i]
	sl.lo, sl.hi = p.Lo, p.Hi
	if p.Hi == longProbeMarks {
		x := s.extra()
		sl.hi |= uint64(len(x.long))
		x.long = binary.LittleEndian.AppendUint32(x.long, uint32(len(k)))
		x.long = append(x.long, k...)
	}
	if s.track {
		s.x.used = append(s.x.used, uint32(i))
	}
	s.n++
	if int(s.n)*4 > len(s.slots)*3 {
		want := *sl
		s.grow()
		return s.find(&want)
	}
	return sl
}

// find returns the slot holding the same contents as sl; it must be there.
func (s *strTable[V]) find(sl *strSlot[V]) *strSlot[V] {
	mask := len(s.slots) - 1
	for i := s.home(sl.hashOf()); ; i = (i + 1) & mask {
		if t := &s.slots[i]; t.lo == sl.lo && t.hi == sl.hi {
			return t
		}
	}
}

// longAt returns the arena string of a long slot.
func (s *strTable[V]) longAt(sl *strSlot[V]) string {
	off := int(sl.hi & (1<<56 - 1))
	n := int(binary.LittleEndian.Uint32(s.x.long[off:]))
	return value.UnsafeString(s.x.long[off+4 : off+4+n])
}

// mergeFrom adds every string of src, a tile of slots at a time whose
// first slots here are touched before any is filled, so that their cache
// misses overlap (see touch). probes and at are scratch, returned for
// reuse. It returns the sum of the touched words, to keep the touches.
// onNew, when not nil, is called with each string that was not here (k is
// only set for long strings).
func (s *strTable[V]) mergeFrom(src *strTable[V], probes []strProbe, at []int32, onNew func(p strProbe, k string)) ([]strProbe, []int32, uint64) {
	const tile = 64
	var t uint64
	for i := 0; i < len(src.slots); {
		probes, at = probes[:0], at[:0]
		for ; i < len(src.slots) && len(probes) < tile; i++ {
			sl := &src.slots[i]
			if sl.empty() {
				continue
			}
			p := strProbe{Lo: sl.lo, Hi: sl.hi, H: sl.hashOf()}
			if sl.hi>>56 == longMark {
				p.Hi = longProbeMarks
			}
			t += s.touch(p.H)
			probes, at = append(probes, p), append(at, int32(i))
		}
		for j, p := range probes {
			k := "" // only read for long strings
			if p.Hi == longProbeMarks {
				k = src.longAt(&src.slots[at[j]])
			}
			if _, found := s.slotProbe(k, p, true); !found && onNew != nil {
				onNew(p, k)
			}
		}
	}
	return probes, at, t
}

// grow doubles the table; long strings keep their hashes, so none is
// hashed again.
func (s *strTable[V]) grow() {
	old := s.slots
	s.slots = make([]strSlot[V], 2*len(old))
	s.shift--
	if s.track { // positions move: the next reset clears all
		s.track, s.x.used = false, s.x.used[:0]
	}
	mask := len(s.slots) - 1
	for k := range old {
		sl := &old[k]
		if sl.empty() {
			continue
		}
		i := s.home(sl.hashOf())
		for !s.slots[i].empty() {
			i = (i + 1) & mask
		}
		s.slots[i] = *sl
	}
}

// reset empties the table, keeping its memory.
func (s *strTable[V]) reset() {
	if s.track {
		for _, i := range s.x.used {
			s.slots[i] = strSlot[V]{}
		}
	} else {
		clear(s.slots)
		s.track = true // emptied once: likely again
		s.extra()
	}
	s.n, s.x.used = 0, s.x.used[:0]
	s.x.long = s.x.long[:0]
}

// each calls fn with every string of the table (a copy), in no particular
// order.
func (s *strTable[V]) each(fn func(k string)) { s.eachVal(func(k string, _ V) { fn(k) }) }

// eachVal calls fn with every string of the table (a copy) and its value.
func (s *strTable[V]) eachVal(fn func(k string, v V)) {
	var b [16]byte
	for i := range s.slots {
		sl := &s.slots[i]
		switch {
		case sl.empty():
		case sl.hi>>56 == longMark:
			fn(string(s.longAt(sl)), sl.val)
		default:
			binary.LittleEndian.PutUint64(b[:8], sl.lo)
			binary.LittleEndian.PutUint64(b[8:], sl.hi)
			fn(string(b[:sl.hi>>56-1]), sl.val)
		}
	}
}

// touch reads the slot where a string of hash h would be looked for first,
// so that a lookup soon after finds it in cache; several touches in a row
// wait for memory together rather than one after another.
func (s *strTable[V]) touch(h uint64) uint64 {
	if len(s.slots) > 0 {
		return s.slots[s.home(h)].lo
	}
	return 0
}

// home is the first slot to look in for a string of hash h: the top bits
// of the salted hash times a large odd number.
func (s *strTable[V]) home(h uint64) int {
	return int(((h ^ s.salt) * 0x9E3779B97F4A7C15) >> s.shift)
}

// tableSalt hands each table its salt.
var tableSalt atomic.Uint64
