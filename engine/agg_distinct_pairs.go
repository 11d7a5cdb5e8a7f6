package engine

import (
	"encoding/binary"

	"brook/ingest"
	"brook/value"
)

// distinctPairs is COUNT(DISTINCT x) for a group table without windows:
// one open-addressing table of (group, value) pairs for all groups, and a
// count per group. A row costs one lookup in one table, where a set per
// group (countDistinct) costs a read of the group's set and then one of its
// slots: twice the cache misses when groups are many and sets small, as
// with devices and the peers they talk to.
//
// Values are keyed as in strTable: a string of at most value.ShortKeyLen
// bytes packed into the slot, a longer one by its hash with its text in an
// arena; values of other types by their binary encoding (value.AppendKey).
// Pairs are never removed one group at a time cheaply, which is why
// windowed tables, whose groups close, keep a set per group.
type distinctPairs struct {
	slots  []pairSlot
	shift  uint8 // 64 - log2(len(slots))
	n      int   // pairs held
	salt   uint64
	long   []byte  // long strings, each after its length (four bytes)
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
	touched uint64 // keeps the touches of a tile from being optimised away
}

// pairSlot is one (group, value) pair: lo and hi as in strSlot, and the
// group. A top byte of hi of 0 marks an empty slot.
type pairSlot struct {
	lo, hi uint64
	g      int32
	_      uint32
}

func (sl *pairSlot) empty() bool { return sl.hi>>56 == 0 }

// hashOf returns the hash of the slot's value (not of the pair).
func (sl *pairSlot) hashOf() uint64 {
	if sl.hi>>56 == longMark {
		return sl.lo
	}
	return value.MixKey(sl.lo, sl.hi)
}

// repeatMark marks, in foldCol's probes, a row that repeats the one
// before it: no key has it (a key's top byte is a length plus one, at most
// 16, or the long mark).
const repeatMark = 0x7F << 56

// pairsInitial is the first size of a table: groups share it, so it
// starts larger than a set.
const pairsInitial = 256

func (a *distinctPairs) Grow(groups int) { a.counts = grow(a.counts, groups) }

func (a *distinctPairs) Result(g int32) value.Value { return value.IntValue(int64(a.counts[g])) }

// home is the first slot to look in for value hash h of group g.
func (a *distinctPairs) home(h uint64, g int32) int {
	h += uint64(uint32(g)) * 0xC2B2AE3D27D4EB4F
	return int(((h ^ a.salt) * 0x9E3779B97F4A7C15) >> a.shift)
}

// touch reads the first slot of value hash h of group g (see
// strTable.touch).
func (a *distinctPairs) touch(h uint64, g int32) uint64 {
	if len(a.slots) > 0 {
		return a.slots[a.home(h, g)].lo
	}
	return 0
}

func (a *distinctPairs) init(n int) {
	a.slots = make([]pairSlot, n)
	a.shift = uint8(64 - log2(n))
	a.salt = tableSalt.Add(0x9E3779B97F4A7C15)
}

func log2(n int) int {
	k := 0
	for 1<<k < n {
		k++
	}
	return k
}

// insert adds value k (of probe p; k is read only for a long string) to
// group g.
func (a *distinctPairs) insert(g int32, k string, p strProbe) {
	if a.slots == nil {
		a.init(pairsInitial)
	}
	mask := len(a.slots) - 1
	i := a.home(p.H, g)
	if p.Hi != longProbeMarks {
		for ; ; i = (i + 1) & mask {
			sl := &a.slots[i]
			if sl.lo == p.Lo && sl.hi == p.Hi && sl.g == g {
				return
			}
			if sl.empty() {
				break
			}
		}
	} else {
		for ; ; i = (i + 1) & mask {
			sl := &a.slots[i]
			if sl.empty() {
				break
			}
			if sl.lo == p.Lo && sl.g == g && sl.hi>>56 == longMark && a.longAt(sl) == k {
				return
			}
		}
	}
	sl := &a.slots[i]
	sl.lo, sl.hi, sl.g = p.Lo, p.Hi, g
	if p.Hi == longProbeMarks {
		sl.hi |= uint64(len(a.long))
		a.long = binary.LittleEndian.AppendUint32(a.long, uint32(len(k)))
		a.long = append(a.long, k...)
	}
	if a.track {
		a.used = append(a.used, uint32(i))
	}
	a.counts[g]++
	a.n++
	a.byValid = false
	if a.n*4 > len(a.slots)*3 {
		a.grow()
	}
}

// longAt returns the arena string of a long slot.
func (a *distinctPairs) longAt(sl *pairSlot) string {
	off := int(sl.hi & (1<<56 - 1))
	n := int(binary.LittleEndian.Uint32(a.long[off:]))
	return value.UnsafeString(a.long[off+4 : off+4+n])
}

// grow doubles the table.
func (a *distinctPairs) grow() {
	old := a.slots
	a.slots = make([]pairSlot, 2*len(old))
	a.shift--
	a.track, a.used = false, a.used[:0] // positions move: the next clear clears all
	mask := len(a.slots) - 1
	for k := range old {
		sl := &old[k]
		if sl.empty() {
			continue
		}
		i := a.home(sl.hashOf(), sl.g)
		for !a.slots[i].empty() {
			i = (i + 1) & mask
		}
		a.slots[i] = *sl
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

// AddMany adds vals[i] to group ids[i] for a tile of rows, touching the
// slots first so that the tile's cache misses overlap.
func (a *distinctPairs) AddMany(ids []int32, vals []value.Value) {
	a.probes = grow(a.probes[:0], len(vals))
	var t uint64
	for i, v := range vals {
		if v.Kind == value.String {
			p := value.KeyOf(v.S)
			a.probes[i] = p
			t += a.touch(p.H, ids[i])
		}
	}
	a.touched += t
	for i, v := range vals {
		if v.Kind == value.String {
			a.insert(ids[i], v.S, a.probes[i])
		} else {
			a.Add(ids[i], v)
		}
	}
}

// foldCol is AddMany for a tile read straight from column slot of b; a
// short string is added by its key alone, without reading the row.
func (a *distinctPairs) foldCol(tile []pair, b *ingest.Batch, slot int) {
	a.probes = grow(a.probes[:0], len(tile))
	keyed := hasKeys(b, slot)
	var t uint64
	// A row repeating the short value and the group of the row before it
	// adds nothing (runs of flows between two devices): it is skipped,
	// marked by a zero probe.
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
			t += a.touch(pr.H, p.id)
		}
	}
	a.touched += t
	for i, p := range tile {
		switch pr := a.probes[i]; {
		case pr.Hi == repeatMark:
		case pr.Hi == 0: // not a string
			if v := &b.Values[int(p.row)*b.Width+slot]; v.Kind != value.Null {
				a.Add(p.id, *v)
			}
		case longProbe(pr):
			a.insert(p.id, b.Values[int(p.row)*b.Width+slot].S, pr)
		default:
			a.insert(p.id, "", pr)
		}
	}
}

// probeOf returns the probe of a full slot's value, and its text when it
// is a long string.
func (a *distinctPairs) probeOf(sl *pairSlot) (strProbe, string) {
	if sl.hi>>56 == longMark {
		return strProbe{Lo: sl.lo, Hi: longProbeMarks, H: sl.lo}, a.longAt(sl)
	}
	return strProbe{Lo: sl.lo, Hi: sl.hi, H: value.MixKey(sl.lo, sl.hi)}, ""
}

// mergeAll adds every pair (g, v) of src as (to[g], v), skipping groups
// whose to is negative: a partial merged whole, in one pass over its
// slots.
func (a *distinctPairs) mergeAll(src Aggregate, to []int32) {
	s := src.(*distinctPairs)
	const tile = 64
	var t uint64
	at := make([]int32, 0, tile)
	for i := 0; i < len(s.slots); {
		a.probes, at = a.probes[:0], at[:0]
		for ; i < len(s.slots) && len(at) < tile; i++ {
			sl := &s.slots[i]
			if sl.empty() || to[sl.g] < 0 {
				continue
			}
			p, _ := s.probeOf(sl)
			t += a.touch(p.H, to[sl.g])
			a.probes, at = append(a.probes, p), append(at, int32(i))
		}
		for j, p := range a.probes {
			sl := &s.slots[at[j]]
			k := ""
			if p.Hi == longProbeMarks {
				k = s.longAt(sl)
			}
			a.insert(to[sl.g], k, p)
		}
	}
	a.touched += t
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
		p, k := s.probeOf(&s.slots[i])
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
	for i := range a.slots {
		if sl := &a.slots[i]; !sl.empty() {
			a.byAt[sl.g+1]++
		}
	}
	for g := 0; g < groups; g++ {
		a.byAt[g+1] += a.byAt[g]
	}
	a.bySlot = grow(a.bySlot[:0], a.n)
	next := append([]int32(nil), a.byAt[:groups]...)
	for i := range a.slots {
		if sl := &a.slots[i]; !sl.empty() {
			a.bySlot[next[sl.g]] = int32(i)
			next[sl.g]++
		}
	}
	a.byValid = true
}

// Reset empties group g. Groups of tables without windows are never
// released, so this is rare: the table is rebuilt without g's pairs.
func (a *distinctPairs) Reset(g int32) {
	if a.counts[g] == 0 {
		return
	}
	old := a.slots
	a.slots, a.n, a.counts[g] = make([]pairSlot, len(old)), 0, 0
	a.track, a.used, a.byValid = false, a.used[:0], false
	mask := len(a.slots) - 1
	for k := range old {
		sl := &old[k]
		if sl.empty() || sl.g == g {
			continue
		}
		i := a.home(sl.hashOf(), sl.g)
		for !a.slots[i].empty() {
			i = (i + 1) & mask
		}
		a.slots[i] = *sl
		a.n++
	}
}

// clearAll empties every group, keeping the memory (a partial's next
// batch).
func (a *distinctPairs) clearAll() {
	if a.track {
		for _, i := range a.used {
			a.slots[i] = pairSlot{}
		}
	} else {
		clear(a.slots)
		a.track = true // emptied once: likely again
	}
	a.used = a.used[:0]
	clear(a.counts)
	a.n, a.long, a.byValid = 0, a.long[:0], false
}

// values returns group g's values (copies), in no particular order.
func (a *distinctPairs) values(g int32) []string {
	a.index()
	out := make([]string, 0, a.counts[g])
	var b [16]byte
	for _, i := range a.bySlot[a.byAt[g]:a.byAt[g+1]] {
		sl := &a.slots[i]
		if sl.hi>>56 == longMark {
			out = append(out, string(a.longAt(sl)))
			continue
		}
		binary.LittleEndian.PutUint64(b[:8], sl.lo)
		binary.LittleEndian.PutUint64(b[8:], sl.hi)
		out = append(out, string(b[:sl.hi>>56-1]))
	}
	return out
}

var _ Aggregate = (*distinctPairs)(nil)
