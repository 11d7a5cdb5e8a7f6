package engine

import (
	"encoding/binary"

	"brook/ingest"
	"brook/value"
)

// distinctPairs is COUNT(DISTINCT x) for a group table without windows:
// a dictionary numbering the distinct values of x, one open-addressing
// table of (group, value number) pairs for all groups, and a count per
// group. A pair is one word, so the table of a million pairs fits in 16
// MB, and the dictionary, holding each value once, stays small: a row
// costs a lookup in the small dictionary and one in the pair table, where
// a set per group (countDistinct) costs a read of the group's set and then
// one of its slots, with the value in every set that holds it.
//
// Values are keyed as in strTable: a string of at most value.ShortKeyLen
// bytes packed into the slot, a longer one by its hash with its text in an
// arena; values of other types by their binary encoding (value.AppendKey).
// Pairs are not removed one group at a time cheaply, which is why windowed
// tables, whose groups close, keep a set per group.
type distinctPairs struct {
	dict strTable[int32] // value → its number
	vals []packedValue   // number → the value's slot contents (see valueOf)

	slots  []uint64 // pairKey(group, number), 0 when empty
	shift  uint8    // 64 - log2(len(slots))
	n      int      // pairs held
	salt   uint64
	counts []int32 // distinct values per group

	// A partial's table is emptied batch after batch: with track set, the
	// slots filled since the last clear are noted in used, so that
	// emptying costs what the table held, not its size.
	track bool
	used  []uint32

	// byGroup lists the slots of each group (slots byAt[g]..byAt[g+1]),
	// built when first needed after a change (checkpoints, merges of
	// single groups).
	byAt, bySlot []int32
	byValid      bool

	scratch []byte
	probes  []strProbe
	nums    []int32
	remap   []int32 // a merged partial's value numbers → this table's
	touched uint64  // keeps the touches of a tile from being optimised away
}

// packedValue is a value's key as its dictionary slot holds it (see
// strSlot): a short string packed, a long one by its hash and place.
type packedValue struct{ lo, hi uint64 }

// pairKey is the word of a (group, value number) pair: never 0.
func pairKey(g, num int32) uint64 { return uint64(uint32(g))<<32 | uint64(uint32(num)) + 1 }

// pairGroup is the group of a pair's word.
func pairGroup(k uint64) int32 { return int32((k - 1) >> 32) }

// pairNum is the value number of a pair's word.
func pairNum(k uint64) int32 { return int32(uint32(k - 1)) }

// pairsInitial is the first size of the pair table: groups share it, so it
// starts larger than a set.
const pairsInitial = 256

// repeatMark marks, in foldCol's probes, a row that repeats the one
// before it: no key has it (a key's top byte is a length plus one, at most
// 16, or the long mark).
const repeatMark = 0x7F << 56

func (a *distinctPairs) Grow(groups int) { a.counts = grow(a.counts, groups) }

func (a *distinctPairs) Result(g int32) value.Value { return value.IntValue(int64(a.counts[g])) }

// home is the first slot to look in for pair word k.
func (a *distinctPairs) home(k uint64) int {
	return int(((k ^ a.salt) * 0x9E3779B97F4A7C15) >> a.shift)
}

// touchPair reads the first slot of pair word k (see strTable.touch).
func (a *distinctPairs) touchPair(k uint64) uint64 {
	if len(a.slots) > 0 {
		return a.slots[a.home(k)]
	}
	return 0
}

// number returns the number of value k (of probe p; k is read only for a
// long string), numbering it when it is new.
func (a *distinctPairs) number(k string, p strProbe) int32 {
	sl, found := a.dict.slotProbe(k, p, true)
	if !found {
		sl.val = int32(len(a.vals))
		a.vals = append(a.vals, packedValue{lo: sl.lo, hi: sl.hi})
	}
	return sl.val
}

// insert adds value k (of probe p) to group g.
func (a *distinctPairs) insert(g int32, k string, p strProbe) {
	a.insertPair(pairKey(g, a.number(k, p)))
}

// insertPair adds pair word k.
func (a *distinctPairs) insertPair(k uint64) {
	if a.slots == nil {
		a.slots = make([]uint64, pairsInitial)
		a.shift = uint8(64 - 8) // log2(pairsInitial)
		a.salt = tableSalt.Add(0x9E3779B97F4A7C15)
	}
	mask := len(a.slots) - 1
	i := a.home(k)
	for ; a.slots[i] != 0; i = (i + 1) & mask {
		if a.slots[i] == k {
			return
		}
	}
	a.slots[i] = k
	if a.track {
		a.used = append(a.used, uint32(i))
	}
	a.counts[pairGroup(k)]++
	a.n++
	a.byValid = false
	if a.n*4 > len(a.slots)*3 {
		a.grow()
	}
}

// grow doubles the pair table.
func (a *distinctPairs) grow() {
	old := a.slots
	a.slots = make([]uint64, 2*len(old))
	a.shift--
	a.track, a.used = false, a.used[:0] // positions move: the next clear clears all
	mask := len(a.slots) - 1
	for _, k := range old {
		if k == 0 {
			continue
		}
		i := a.home(k)
		for a.slots[i] != 0 {
			i = (i + 1) & mask
		}
		a.slots[i] = k
	}
}

func (a *distinctPairs) Add(g int32, v value.Value) {
	switch v.Kind {
	case value.Null:
	case value.String:
		a.insert(g, v.S, value.KeyOf(v.S))
	default:
		a.scratch = value.AppendKey(a.scratch[:0], v)
		k := value.UnsafeString(a.scratch)
		a.insert(g, k, value.KeyOf(k))
	}
}

// foldCol adds the values of a tile of rows, read straight from column
// slot of b, to their groups; a short string is added by its key alone,
// without reading the row. The tile goes in three passes, each touching
// memory the next reads: the values' dictionary slots, then their numbers
// and the pairs' slots, then the pairs.
func (a *distinctPairs) foldCol(tile []pair, b *ingest.Batch, slot int) {
	a.probes = grow(a.probes[:0], len(tile))
	a.nums = grow(a.nums[:0], len(tile))
	keyed := hasKeys(b, slot)
	var t uint64
	// A row repeating the short value and the group of the row before it
	// adds nothing (runs of flows between two devices): it is skipped,
	// marked by repeatMark.
	var prev strProbe
	prevID := int32(-1)
	for i, p := range tile {
		pr := probeAt(b, int(p.row)*b.Width+slot, keyed)
		if pr.Lo == prev.Lo && pr.Hi == prev.Hi && p.id == prevID && pr.Hi != 0 && !longProbe(pr) {
			a.probes[i] = strProbe{Hi: repeatMark}
			continue
		}
		prev, prevID = pr, p.id
		a.probes[i] = pr
		if pr.Hi != 0 {
			t += a.dict.touch(pr.H)
		}
	}
	for i, p := range tile {
		switch pr := a.probes[i]; {
		case pr.Hi == repeatMark:
		case pr.Hi == 0: // not a string
			if v := &b.Values[int(p.row)*b.Width+slot]; v.Kind != value.Null {
				a.Add(p.id, *v)
			}
			a.probes[i].Hi = repeatMark // done
		default:
			k := ""
			if longProbe(pr) {
				k = b.Values[int(p.row)*b.Width+slot].S
			}
			a.nums[i] = a.number(k, pr)
			t += a.touchPair(pairKey(p.id, a.nums[i]))
		}
	}
	a.touched += t
	for i, p := range tile {
		if a.probes[i].Hi != repeatMark {
			a.insertPair(pairKey(p.id, a.nums[i]))
		}
	}
}

// valueOf returns the probe of value number num, and its text when it is
// a long string.
func (a *distinctPairs) valueOf(num int32) (strProbe, string) {
	sl := &a.vals[num]
	if sl.hi>>56 == longMark {
		return strProbe{Lo: sl.lo, Hi: longProbeMarks, H: sl.lo}, a.dict.longAt(&strSlot[int32]{lo: sl.lo, hi: sl.hi})
	}
	return strProbe{Lo: sl.lo, Hi: sl.hi, H: value.MixKey(sl.lo, sl.hi)}, ""
}

// textOf returns value number num as a string (a copy).
func (a *distinctPairs) textOf(num int32) string {
	sl := &a.vals[num]
	if sl.hi>>56 == longMark {
		return string(a.dict.longAt(&strSlot[int32]{lo: sl.lo, hi: sl.hi}))
	}
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], sl.lo)
	binary.LittleEndian.PutUint64(b[8:], sl.hi)
	return string(b[:sl.hi>>56-1])
}

// mergeAll adds every pair (g, v) of src as (to[g], v), skipping groups
// whose to is negative: a partial merged whole, in one pass over its
// pairs, each of its values looked up here once.
func (a *distinctPairs) mergeAll(src Aggregate, to []int32) {
	s := src.(*distinctPairs)
	a.remap = grow(a.remap[:0], len(s.vals))
	for i := range a.remap {
		a.remap[i] = -1
	}
	for _, k := range s.slots {
		if k == 0 || to[pairGroup(k)] < 0 {
			continue
		}
		num := pairNum(k)
		if a.remap[num] < 0 {
			p, text := s.valueOf(num)
			a.remap[num] = a.number(text, p)
		}
		a.insertPair(pairKey(to[pairGroup(k)], a.remap[num]))
	}
}

// MergeFrom adds src's values of group srcID to group dst.
func (a *distinctPairs) MergeFrom(src Aggregate, dst, srcID int32) {
	s := src.(*distinctPairs)
	if s == a { // adding moves the slots: take the values first
		for _, k := range a.values(srcID) {
			a.insert(dst, k, value.KeyOf(k))
		}
		return
	}
	s.index()
	for _, i := range s.bySlot[s.byAt[srcID]:s.byAt[srcID+1]] {
		p, k := s.valueOf(pairNum(s.slots[i]))
		a.insert(dst, k, p)
	}
}

// index builds byAt and bySlot when the table changed since.
func (a *distinctPairs) index() {
	if a.byValid {
		return
	}
	groups := len(a.counts)
	a.byAt = grow(a.byAt[:0], groups+1)
	clear(a.byAt)
	for _, k := range a.slots {
		if k != 0 {
			a.byAt[pairGroup(k)+1]++
		}
	}
	for g := 0; g < groups; g++ {
		a.byAt[g+1] += a.byAt[g]
	}
	a.bySlot = grow(a.bySlot[:0], a.n)
	next := append([]int32(nil), a.byAt[:groups]...)
	for i, k := range a.slots {
		if k != 0 {
			g := pairGroup(k)
			a.bySlot[next[g]] = int32(i)
			next[g]++
		}
	}
	a.byValid = true
}

// Reset empties group g. Groups of tables without windows are never
// released, so this is rare: the pair table is rebuilt without g's pairs
// (the dictionary keeps their values).
func (a *distinctPairs) Reset(g int32) {
	if a.counts[g] == 0 {
		return
	}
	old := a.slots
	a.slots, a.n, a.counts[g] = make([]uint64, len(old)), 0, 0
	a.track, a.used, a.byValid = false, a.used[:0], false
	mask := len(a.slots) - 1
	for _, k := range old {
		if k == 0 || pairGroup(k) == g {
			continue
		}
		i := a.home(k)
		for a.slots[i] != 0 {
			i = (i + 1) & mask
		}
		a.slots[i] = k
		a.n++
	}
}

// clearAll empties every group and the dictionary, keeping the memory (a
// partial's next batch).
func (a *distinctPairs) clearAll() {
	if a.track {
		for _, i := range a.used {
			a.slots[i] = 0
		}
	} else {
		clear(a.slots)
		a.track = true // emptied once: likely again
	}
	a.used = a.used[:0]
	clear(a.counts)
	a.dict.reset()
	a.n, a.vals, a.byValid = 0, a.vals[:0], false
}

// values returns group g's values (copies), in no particular order.
func (a *distinctPairs) values(g int32) []string {
	a.index()
	out := make([]string, 0, a.counts[g])
	for _, i := range a.bySlot[a.byAt[g]:a.byAt[g+1]] {
		out = append(out, a.textOf(pairNum(a.slots[i])))
	}
	return out
}

var _ Aggregate = (*distinctPairs)(nil)
