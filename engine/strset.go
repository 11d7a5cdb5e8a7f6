package engine

import "hash/maphash"

// strSet is a set of byte strings, the state of one group's COUNT
// (DISTINCT x). It is an open-addressing table with linear probing whose
// slots hold each string's hash and, for strings of at most 16 bytes (the
// usual device names, ports and encoded numbers), the string itself: a
// lookup mostly costs one cache line and no pointer to follow. Longer
// strings are kept back to back in an arena.
type strSet struct {
	slots []strSlot
	n     int
	long  []byte // strings longer than shortLen
}

const shortLen = 16

type strSlot struct {
	hash  uint64 // 0: empty; hashes are never 0
	size  uint32
	off   uint32 // where a long string starts in long
	short [shortLen]byte
}

var strSeed = maphash.MakeSeed()

func strHash(k string) uint64 {
	if h := maphash.String(strSeed, k); h != 0 {
		return h
	}
	return 1
}

// add adds k and reports whether it was new.
func (s *strSet) add(k string) bool {
	h := strHash(k)
	var short [shortLen]byte
	if len(k) <= shortLen {
		copy(short[:], k)
	}
	if s.slots == nil {
		s.slots = make([]strSlot, 8)
	}
	mask := len(s.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		sl := &s.slots[i]
		if sl.hash == 0 {
			s.put(sl, h, k, short)
			s.n++
			if s.n*4 > len(s.slots)*3 {
				s.grow()
			}
			return true
		}
		if sl.hash == h && int(sl.size) == len(k) {
			if len(k) <= shortLen {
				if sl.short == short {
					return false
				}
			} else if string(s.long[sl.off:int(sl.off)+len(k)]) == k {
				return false
			}
		}
	}
}

func (s *strSet) put(sl *strSlot, h uint64, k string, short [shortLen]byte) {
	sl.hash, sl.size = h, uint32(len(k))
	if len(k) <= shortLen {
		sl.short = short
		return
	}
	sl.off = uint32(len(s.long))
	s.long = append(s.long, k...)
}

// grow doubles the table; slots keep their hashes, so no string is hashed
// again.
func (s *strSet) grow() {
	old := s.slots
	s.slots = make([]strSlot, 2*len(old))
	mask := len(s.slots) - 1
	for _, sl := range old {
		if sl.hash == 0 {
			continue
		}
		i := int(sl.hash) & mask
		for s.slots[i].hash != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = sl
	}
}

// each calls fn with every string of the set, in no particular order.
func (s *strSet) each(fn func(k string)) {
	for i := range s.slots {
		sl := &s.slots[i]
		switch {
		case sl.hash == 0:
		case sl.size <= shortLen:
			fn(string(sl.short[:sl.size]))
		default:
			fn(string(s.long[sl.off : sl.off+sl.size]))
		}
	}
}
