package engine

import (
	"brook/ingest"
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
}

func (a *countDistinct) Grow(groups int) { a.sets = grow(a.sets, groups) }

func (a *countDistinct) Add(g int32, v value.Value) {
	if v.Kind == value.Null {
		return
	}
	// The argument has one type, so strings can be their own keys (no
	// encoding to build); other values use their binary encoding.
	if v.Kind == value.String {
		a.sets[g].add(v.S)
		return
	}
	a.scratch = value.AppendKey(a.scratch[:0], v)
	a.sets[g].add(string(a.scratch))
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
			a.sets[ids[i]].slotProbe(v.S, a.probes[i], true)
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
func (a *countDistinct) foldCol(tile []pair, b *ingest.Batch, slot int) {
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
			a.sets[p.id].slotProbe(b.Values[int(p.row)*b.Width+slot].S, pr, true)
		default:
			a.sets[p.id].slotProbe("", pr, true)
		}
	}
}

func (a *countDistinct) Result(g int32) value.Value { return value.IntValue(int64(a.sets[g].n)) }

func (a *countDistinct) Reset(g int32) { a.sets[g] = strSet{} }

// Clear empties group g's set and keeps its table for reuse.
func (a *countDistinct) Clear(g int32) { a.sets[g].reset() }

func (a *countDistinct) MergeFrom(src Aggregate, dst, s int32) {
	var t uint64
	a.probes, a.at, t = a.sets[dst].mergeFrom(&src.(*countDistinct).sets[s], a.probes, a.at)
	a.touched += t
}

var _ Aggregate = (*countDistinct)(nil)
