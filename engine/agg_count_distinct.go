package engine

import (
	"encoding/binary"

	"brook/decode"
	"brook/value"
)

// countDistinct is COUNT(DISTINCT x): the number of different non-NULL
// values. Its state is the set of values seen per group (see strSet), so
// its memory grows with the number of distinct values, not with the number
// of rows.
type countDistinct struct {
	sets    []strSet
	scratch []byte
	probes  []strProbe
	at      []int32
	touched uint64 // keeps the touches of AddMany from being optimised away
	// added, when checkpoints are logged, journals the values new to their
	// group since the last record: (group, value) pairs (see appendAdded).
	added *[]byte
	// onNew is journalMerged, made once; mergeDst the group MergeFrom
	// merges into.
	onNew    func(strProbe, string)
	mergeDst int32
}

func (a *countDistinct) Grow(groups int) { a.sets = grow(a.sets, groups) }

func (a *countDistinct) Add(g int32, v value.Value) {
	if v.Kind == value.Null {
		return
	}
	// The argument has one type, so strings can be their own keys (no
	// encoding to build); other values use their binary encoding.
	if v.Kind == value.String {
		if a.sets[g].add(v.S) && a.added != nil {
			a.journal(g, v.S)
		}
		return
	}
	a.scratch = value.AppendKey(a.scratch[:0], v)
	if a.sets[g].add(string(a.scratch)) && a.added != nil {
		a.journal(g, string(a.scratch))
	}
}

// AddMany adds vals[i] to the set of group ids[i], for a tile of rows: it
// hashes the strings and touches the slots they go to first, so that the
// cache misses of the tile overlap, then adds them.
func (a *countDistinct) AddMany(ids []int32, vals []value.Value) {
	a.probes = grow(a.probes[:0], len(vals))
	var t uint64
	for i, v := range vals {
		if v.Kind == value.String {
			p := value.KeyOf(v.S)
			a.probes[i] = p
			t += a.sets[ids[i]].touch(p.H)
		}
	}
	a.touched += t
	for i, v := range vals {
		switch v.Kind {
		case value.Null:
		case value.String:
			if _, found := a.sets[ids[i]].slotProbe(v.S, a.probes[i], true); !found && a.added != nil {
				a.journal(ids[i], v.S)
			}
		default:
			a.Add(ids[i], v)
		}
	}
}

// repeatMark marks, in foldCol's probes, a row that repeats the one
// before it: no key has it (a key's top byte is a length plus one, at most
// 16, or the long mark).
const repeatMark = 0x7F << 56

// foldCol is AddMany for a tile read straight from column slot of b; a
// short string is added by its key alone, without reading the row.
func (a *countDistinct) foldCol(tile []pair, b *decode.Batch, slot int) {
	a.probes = grow(a.probes[:0], len(tile))
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
			t += a.sets[p.id].touch(pr.H)
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
			k := b.Values[int(p.row)*b.Width+slot].S
			if _, found := a.sets[p.id].slotProbe(k, pr, true); !found && a.added != nil {
				a.journal(p.id, k)
			}
		default:
			if _, found := a.sets[p.id].slotProbe("", pr, true); !found && a.added != nil {
				a.journalProbe(p.id, pr)
			}
		}
	}
}

func (a *countDistinct) Result(g int32) value.Value { return value.IntValue(int64(a.sets[g].n)) }

func (a *countDistinct) Reset(g int32) { a.sets[g] = strSet{} }

// Clear empties group g's set and keeps its table for reuse.
func (a *countDistinct) Clear(g int32) { a.sets[g].reset() }

func (a *countDistinct) MergeFrom(src Aggregate, dst, s int32) {
	var t uint64
	var onNew func(strProbe, string)
	if a.added != nil {
		if a.onNew == nil {
			a.onNew = a.journalMerged
		}
		a.mergeDst, onNew = dst, a.onNew
	}
	a.probes, a.at, t = a.sets[dst].mergeFrom(&src.(*countDistinct).sets[s], a.probes, a.at, onNew)
	a.touched += t
}

var _ Aggregate = (*countDistinct)(nil)

// journal notes that k is new to group g's set.
func (a *countDistinct) journal(g int32, k string) {
	j := binary.LittleEndian.AppendUint32(*a.added, uint32(g))
	j = binary.AppendUvarint(j, uint64(len(k)))
	*a.added = append(j, k...)
}

// journalMerged journals a value MergeFrom added to group a.mergeDst.
func (a *countDistinct) journalMerged(p strProbe, k string) {
	if longProbe(p) {
		a.journal(a.mergeDst, k)
	} else {
		a.journalProbe(a.mergeDst, p)
	}
}

// journalProbe is journal for a short string known by its probe.
func (a *countDistinct) journalProbe(g int32, p strProbe) {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], p.Lo)
	binary.LittleEndian.PutUint64(b[8:], p.Hi)
	a.journal(g, value.UnsafeString(b[:p.Hi>>56-1]))
}

// appendState writes group g's whole set: its size, then each value's
// length and bytes, exactly.
func (a *countDistinct) appendState(dst []byte, g int32) []byte {
	dst = binary.AppendUvarint(dst, uint64(a.sets[g].n))
	a.sets[g].each(func(k string) {
		dst = binary.AppendUvarint(dst, uint64(len(k)))
		dst = append(dst, k...)
	})
	return dst
}

// readState adds the values appendState wrote to group g's set (a set is
// restored whole into an empty group, or grown by a record's new values).
func (a *countDistinct) readState(src []byte, g int32) ([]byte, error) {
	n, src, err := readUvarint(src)
	if err != nil {
		return nil, err
	}
	for ; n > 0; n-- {
		var k string
		if k, src, err = readString(src); err != nil {
			return nil, err
		}
		a.sets[g].add(k)
	}
	return src, nil
}
