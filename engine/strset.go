package engine

import (
	"hash/maphash"
	"sync/atomic"

	"brook/value"
)

// strTable maps byte strings to values of type V: an open-addressing table
// with linear probing whose slots hold each string's hash and, for strings
// of at most 16 bytes (the usual device names, ports and encoded numbers),
// the string itself, so that a lookup mostly costs one cache line and no
// pointer to follow. Longer strings are kept back to back in an arena.
// Strings are never removed. strSet, the state of one group's COUNT
// (DISTINCT x), is a strTable of nothing; a group table's index of single
// VARCHAR keys is a strTable of group ids.
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
// shortLen, and the slots filled since the last reset.
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

const shortLen = 16

type strSlot[V any] struct {
	hash  uint64 // 0: empty; hashes are never 0
	size  uint32
	off   uint32 // where a long string starts in long
	short [shortLen]byte
	val   V
}

var strSeed = maphash.MakeSeed()

func strHash(k string) uint64 {
	if h := maphash.String(strSeed, k); h != 0 {
		return h
	}
	return 1
}

// add adds k and reports whether it was new.
func (s *strTable[V]) add(k string) bool {
	_, found := s.slot(k, true)
	return !found
}

// slot returns the slot of k, and whether k was there; when it was not,
// with insert it is added (with a zero value), else the slot is nil.
func (s *strTable[V]) slot(k string, insert bool) (*strSlot[V], bool) {
	return s.slotHashed(k, strHash(k), insert)
}

// slotHashed is slot for k of hash h (strHash(k)).
func (s *strTable[V]) slotHashed(k string, h uint64, insert bool) (*strSlot[V], bool) {
	var short [shortLen]byte
	if len(k) <= shortLen {
		copy(short[:], k)
	}
	if s.slots == nil {
		if !insert {
			return nil, false
		}
		s.slots = make([]strSlot[V], 8)
		s.shift = 64 - 3
		s.salt = tableSalt.Add(0x9E3779B97F4A7C15)
	}
	mask := len(s.slots) - 1
	for i := s.home(h); ; i = (i + 1) & mask {
		sl := &s.slots[i]
		if sl.hash == 0 {
			if !insert {
				return nil, false
			}
			s.put(sl, h, k, short)
			if s.track {
				s.x.used = append(s.x.used, uint32(i))
			}
			s.n++
			if int(s.n)*4 > len(s.slots)*3 {
				s.grow()
				sl, _ = s.slotHashed(k, h, false)
			}
			return sl, false
		}
		if sl.hash == h && int(sl.size) == len(k) {
			if len(k) <= shortLen {
				if sl.short == short {
					return sl, true
				}
			} else if string(s.x.long[sl.off:int(sl.off)+len(k)]) == k {
				return sl, true
			}
		}
	}
}

func (s *strTable[V]) put(sl *strSlot[V], h uint64, k string, short [shortLen]byte) {
	sl.hash, sl.size = h, uint32(len(k))
	if len(k) <= shortLen {
		sl.short = short
		return
	}
	x := s.extra()
	sl.off = uint32(len(x.long))
	x.long = append(x.long, k...)
}

// grow doubles the table; slots keep their hashes, so no string is hashed
// again.
func (s *strTable[V]) grow() {
	old := s.slots
	s.slots = make([]strSlot[V], 2*len(old))
	s.shift--
	if s.track { // positions move: the next reset clears all
		s.track, s.x.used = false, s.x.used[:0]
	}
	mask := len(s.slots) - 1
	for _, sl := range old {
		if sl.hash == 0 {
			continue
		}
		i := s.home(sl.hash)
		for s.slots[i].hash != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = sl
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

// key returns the string of a full slot; it points into the table, so it is
// valid only until the table changes.
func (s *strTable[V]) key(sl *strSlot[V]) string {
	if sl.size <= shortLen {
		return value.UnsafeString(sl.short[:sl.size])
	}
	return value.UnsafeString(s.x.long[sl.off : sl.off+sl.size])
}

// each calls fn with every string of the set, in no particular order.
func (s *strTable[V]) each(fn func(k string)) {
	for i := range s.slots {
		sl := &s.slots[i]
		switch {
		case sl.hash == 0:
		case sl.size <= shortLen:
			fn(string(sl.short[:sl.size]))
		default:
			fn(string(s.x.long[sl.off : sl.off+sl.size]))
		}
	}
}

// touch reads the slot where a string of hash h would be looked for first,
// so that a lookup soon after finds it in cache; several touches in a row
// wait for memory together rather than one after another.
func (s *strTable[V]) touch(h uint64) uint64 {
	if len(s.slots) > 0 {
		return s.slots[s.home(h)].hash
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
