package engine

import (
	"math"
	"runtime"
	"slices"
	"sync"

	"brook/decode"
	"brook/sql"
	"brook/value"
)

// groupTable is the hash aggregation state: one entry per distinct group
// (window and group key), each with a slot in every aggregate's state
// columns. Slots of evicted windows are reused.
type groupTable struct {
	keyFns []evalFn
	argFns []evalFn // nil entries for COUNT(*)
	aggs   []Aggregate
	// batched marks the aggregates folded a tile at a time (batchAdder,
	// with an argument).
	batched []bool
	// colSlot is, per aggregate that folds a tile straight from a column
	// of the batch (colFolder, its argument a column or none), that
	// column's slot (-1 for none); noCol for the others.
	colSlot []int

	index    map[string]int32
	byString strTable[int32] // single VARCHAR key queries: the key itself
	// keySlot is the column of a table without windows grouped by that
	// one column (-1 otherwise): its rows are looked up a tile at a time
	// (see addByColumn).
	keySlot int
	probes  []strProbe
	keys    [][]value.Value // per group, copied out of the batch
	keyStr  []string        // per group, its index key ("" for sessions)
	live    []bool
	free    []int32
	nLive   int
	scratch []byte
	ukey    []byte // encoding of the current row's group key values
	keyVals []value.Value
	// lastKeyVals are the key values ukey encodes (windowed tables).
	lastKeyVals []value.Value

	dirty     []int32 // groups changed by the current batch, in first-touch order
	dirtyMark []uint32
	epoch     uint32

	log *changeLog // what changed since the last checkpoint record; nil when not logging

	win *windowing // nil without an event-time window

	// Per group, its output row as complete mode last projected it, whether
	// it passed HAVING, and 1 + the epoch it was projected in (0: never):
	// a group not touched since is not projected again (see rowFresh).
	rowCache []sortRow
	rowPass  []bool
	rowAt    []uint32
	// passing lists the groups whose cached row passes HAVING, and
	// passAt[id] is id's place in it (-1: not there), when passValid: a
	// sorted complete-mode result is then found among them and the groups
	// the batch touched, not among all groups.
	passing   []int32
	passAt    []int32
	passValid bool
	// top lists the groups of the last sorted, limited complete-mode
	// result, and inTop marks them, when topValid (see Query.groupRows).
	top      []int32
	inTop    []bool
	topValid bool
	// order lists the groups of the last sorted complete-mode result
	// without LIMIT, in its order, when orderValid (see Query.mergeOrder).
	order      []int32
	orderValid bool

	pairs []pair // rows of the current batch assigned to groups, not yet folded

	serial bool // fold on the calling goroutine only (a Partial's table)
	// tiles holds, per flush worker, the scratch of batched aggregates:
	// a tile's group ids and argument values.
	tiles   []foldScratch
	touched uint64 // keeps the touches of addByColumn from being optimised away
}

func newGroupTable(p *sql.Plan, c *compiler, lateness float64) (*groupTable, error) {
	// The epoch starts at 1: a dirty mark of 0 is "never touched", so that
	// a group that exists before the first batch (a global aggregate's
	// one row) is marked changed by it like any other.
	g := &groupTable{index: map[string]int32{}, keyVals: make([]value.Value, len(p.GroupBy)), epoch: 1}
	var err error
	if g.keyFns, err = c.compileAll(p.GroupBy); err != nil {
		return nil, err
	}
	g.keySlot = -1
	if ref, ok := sqlColumn(p.GroupBy); ok && p.Window == nil {
		g.keySlot = ref.Slot
	}
	used := usedAggs(p)
	for i, call := range p.Aggs {
		a, err := newAggregate(call, c.st)
		if err != nil {
			return nil, err
		}
		g.aggs = append(g.aggs, a)
		_, tiles := a.(batchAdder)
		g.batched = append(g.batched, tiles && call.Arg != nil)
		slot := noCol
		if _, ok := a.(colFolder); ok {
			if ref, isRef := call.Arg.(*sql.ColumnRef); isRef {
				slot = ref.Slot
			} else if call.Arg == nil {
				slot = -1
			}
		}
		g.colSlot = append(g.colSlot, slot)
		var f evalFn
		switch {
		case call.Arg != nil && !used[i]: // never read: its argument is never evaluated
			f = func([]value.Value) value.Value { return value.NullValue }
			if slot != -1 {
				g.colSlot[i] = noCol
			}
		case call.Arg != nil:
			if f, err = c.compile(call.Arg); err != nil {
				return nil, err
			}
		}
		g.argFns = append(g.argFns, f)
	}
	if p.Window != nil {
		if g.win, err = newWindowing(p.Window, c, lateness); err != nil {
			return nil, err
		}
	} else if len(p.GroupBy) == 0 {
		g.lookup() // a global aggregate has its one row even before any input
	}
	return g, nil
}

// len returns the number of groups held.
func (g *groupTable) len() int { return g.nLive }

// ids returns the live group ids in creation order (reused slots first).
func (g *groupTable) ids() []int32 { return g.appendIDs(make([]int32, 0, g.nLive)) }

// appendIDs appends the live groups' ids, in order, to ids.
func (g *groupTable) appendIDs(ids []int32) []int32 {
	for id, ok := range g.live {
		if ok {
			ids = append(ids, int32(id))
		}
	}
	return ids
}

func (g *groupTable) beginBatch() {
	if g.log != nil {
		g.log.note(g.dirty)
	}
	g.dirty = g.dirty[:0]
	g.epoch++
}

// reserve makes room for n groups in the per-group slices at once,
// doubling them rather than letting each append grow by a quarter (and
// copy the whole again) when groups are many.
func (g *groupTable) reserve(n int) {
	more := n - len(g.keys)
	g.keys, g.keyStr = slices.Grow(g.keys, more), slices.Grow(g.keyStr, more)
	g.live, g.dirtyMark = slices.Grow(g.live, more), slices.Grow(g.dirtyMark, more)
	g.rowCache, g.rowPass, g.rowAt = slices.Grow(g.rowCache, more), slices.Grow(g.rowPass, more), slices.Grow(g.rowAt, more)
	g.passAt, g.inTop = slices.Grow(g.passAt, more), slices.Grow(g.inTop, more)
}

// newGroup allocates a group slot with the current key values.
func (g *groupTable) newGroup(indexKey string) int32 {
	return g.newGroupKeys(indexKey, cloneRow(g.keyVals))
}

// newGroupKeys is newGroup with the group's key values already owned by
// the table (they are never written: groups of one key, such as its
// windows, may share them).
func (g *groupTable) newGroupKeys(indexKey string, keys []value.Value) int32 {
	var id int32
	if n := len(g.free); n > 0 {
		id = g.free[n-1]
		g.free = g.free[:n-1]
		g.keys[id] = keys
		g.keyStr[id] = indexKey
		g.live[id] = true
	} else {
		id = int32(len(g.keys))
		if len(g.keys) == cap(g.keys) {
			g.reserve(max(16, 2*len(g.keys)))
		}
		g.keys = append(g.keys, keys)
		g.keyStr = append(g.keyStr, indexKey)
		g.live = append(g.live, true)
		g.dirtyMark = append(g.dirtyMark, 0)
		g.rowCache, g.rowPass, g.rowAt = append(g.rowCache, sortRow{}), append(g.rowPass, false), append(g.rowAt, 0)
		g.passAt, g.inTop = append(g.passAt, -1), append(g.inTop, false)
		for _, a := range g.aggs {
			a.Grow(len(g.keys))
		}
		if g.win != nil {
			g.win.grow(len(g.keys))
		}
	}
	g.nLive++
	if g.log != nil {
		g.log.born(id)
	}
	return id
}

// lookup finds or creates the group whose index key is in g.scratch.
func (g *groupTable) lookup() (id int32, created bool) {
	if id, ok := g.index[string(g.scratch)]; ok {
		return id, false
	}
	key := string(g.scratch)
	id = g.newGroup(key)
	g.index[key] = id
	return id, true
}

// release frees a group's slot for reuse.
func (g *groupTable) release(id int32) {
	if ws := g.win; ws != nil && ws.w.Kind != sql.Session {
		ws.unindex(id)
	}
	for _, a := range g.aggs {
		a.Reset(id)
	}
	g.live[id] = false
	g.keys[id] = nil
	g.rowCache[id], g.rowAt[id] = sortRow{}, 0
	g.setPassing(id, false)
	if g.inTop[id] { // a place in the best rows is free: look at all again
		g.inTop[id], g.topValid = false, false
	}
	g.free = append(g.free, id)
	g.nLive--
	if g.log != nil {
		g.log.evicted = append(g.log.evicted, id)
	}
}

// add assigns input row number rowIdx of the current batch to its group
// (or groups: the windows covering its event time); flush folds the
// assigned rows into the aggregates.
func (g *groupTable) add(row []value.Value, rowIdx int32) {
	for i, f := range g.keyFns {
		g.keyVals[i] = f(row)
	}
	if g.win != nil {
		// A row of the previous row's key values keeps that row's
		// encoding (see beginRows).
		if !sameValues(g.keyVals, g.lastKeyVals) {
			g.ukey = g.ukey[:0]
			for _, v := range g.keyVals {
				g.ukey = value.AppendKey(g.ukey, v)
			}
			g.lastKeyVals = append(g.lastKeyVals[:0], g.keyVals...)
		}
		g.win.add(g, row, rowIdx)
		return
	}
	g.assign(g.groupFor(), rowIdx)
}

// beginRows readies the table for add's rows of a new batch: the key
// values of the last batch's rows may point into memory reused since.
func (g *groupTable) beginRows() {
	clear(g.lastKeyVals)
	g.lastKeyVals = g.lastKeyVals[:0]
}

// sameValues reports whether a and b hold the same values, bit for bit.
func sameValues(a, b []value.Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := &a[i], &b[i]
		if x.Kind != y.Kind || x.I != y.I || math.Float64bits(x.F) != math.Float64bits(y.F) || x.S != y.S {
			return false
		}
	}
	return true
}

// sqlColumn returns the one expression of exprs when it is a column.
func sqlColumn(exprs []sql.Expr) (*sql.ColumnRef, bool) {
	if len(exprs) != 1 {
		return nil, false
	}
	ref, ok := exprs[0].(*sql.ColumnRef)
	return ref, ok
}

// addByColumn is add for rows [from, to) of b, for a table grouped by the
// one column g.keySlot: strings are looked up a tile at a time, each
// tile's first slots touched before any lookup, so that their cache misses
// overlap.
func (g *groupTable) addByColumn(b *decode.Batch, from, to int) {
	g.probes = grow(g.probes[:0], foldTile)
	g.pairs = slices.Grow(g.pairs, to-from) // every row gets a pair
	keyed := hasKeys(b, g.keySlot)
	var t uint64
	// Rows often come in runs of one key (a device's burst of flows): a
	// row with the short key of the row before it goes to the same group
	// without a lookup.
	var last strProbe
	lastID := int32(-1)
	for start := from; start < to; start += foldTile {
		end := min(start+foldTile, to)
		prev := strProbe{}
		for i := start; i < end; i++ {
			p := probeAt(b, i*b.Width+g.keySlot, keyed)
			g.probes[i-start] = p
			if p.Hi != 0 && (p.Lo != prev.Lo || p.Hi != prev.Hi) {
				t += g.byString.touch(p.H)
			}
			prev = p
		}
		for i := start; i < end; i++ {
			p := g.probes[i-start]
			if p.Lo == last.Lo && p.Hi == last.Hi && lastID >= 0 {
				g.assign(lastID, int32(i))
				continue
			}
			if p.Hi == 0 { // not a string: NULL
				g.keyVals[0] = b.Values[i*b.Width+g.keySlot]
				g.assign(g.groupFor(), int32(i))
				continue
			}
			k := "" // read only when needed: a long string, or a new group
			if longProbe(p) {
				k = b.Values[i*b.Width+g.keySlot].S
			}
			sl, found := g.byString.slotProbe(k, p, true)
			if !found {
				g.keyVals[0] = b.Values[i*b.Width+g.keySlot]
				sl.val = g.newGroup("")
			}
			g.assign(sl.val, int32(i))
			if !longProbe(p) {
				last, lastID = p, sl.val
			}
		}
	}
	g.touched += t
}

// groupFor returns the group of the key values in g.keyVals, creating it
// if need be; for tables without windows.
func (g *groupTable) groupFor() int32 {
	if len(g.keyFns) == 1 && g.keyVals[0].Kind == value.String {
		// One VARCHAR key: the string itself is the index key (strings and
		// the encodings of other values live in separate maps).
		sl, found := g.byString.slot(g.keyVals[0].S, true)
		if !found {
			sl.val = g.newGroup("")
		}
		return sl.val
	}
	g.scratch = g.scratch[:0]
	for _, v := range g.keyVals {
		g.scratch = value.AppendKey(g.scratch, v)
	}
	id, _ := g.lookup()
	return id
}

// reset empties a table for reuse, keeping its memory; not for sessions.
func (g *groupTable) reset() {
	for id := range g.keys {
		for _, a := range g.aggs {
			if c, ok := a.(clearer); ok {
				c.Clear(int32(id))
			} else {
				a.Reset(int32(id))
			}
		}
	}
	clear(g.index)
	g.byString.reset()
	if g.win != nil {
		g.win.reset()
	}
	g.keys, g.keyStr, g.live, g.dirtyMark = g.keys[:0], g.keyStr[:0], g.live[:0], g.dirtyMark[:0]
	g.rowCache, g.rowPass, g.rowAt = g.rowCache[:0], g.rowPass[:0], g.rowAt[:0]
	g.passing, g.passAt, g.passValid = g.passing[:0], g.passAt[:0], false
	g.top, g.inTop, g.topValid = g.top[:0], g.inTop[:0], false
	g.order, g.orderValid = g.order[:0], false
	g.free, g.nLive, g.dirty, g.pairs = g.free[:0], 0, g.dirty[:0], g.pairs[:0]
}

// pair is one row of the current batch assigned to a group.
type pair struct{ row, id int32 }

// assign records that row goes to group id, folded by the next flush.
func (g *groupTable) assign(id int32, row int32) {
	g.touch(id)
	g.pairs = append(g.pairs, pair{row: row, id: id})
}

// setPassing puts group id in the passing list or takes it out.
func (g *groupTable) setPassing(id int32, pass bool) {
	at := g.passAt[id]
	switch {
	case pass && at < 0:
		g.passAt[id] = int32(len(g.passing))
		g.passing = append(g.passing, id)
	case !pass && at >= 0:
		last := g.passing[len(g.passing)-1]
		g.passing[at], g.passAt[last] = last, at
		g.passing = g.passing[:len(g.passing)-1]
		g.passAt[id] = -1
	}
}

// foldTile is how many rows flush folds at a time.
const foldTile = 64

// clearer is an aggregate that can empty a group's state and keep its
// memory for the next group of the same id (a Partial's next batch).
type clearer interface {
	Clear(group int32)
}

// batchAdder is an aggregate that folds a tile of rows at once faster than
// row by row.
type batchAdder interface {
	AddMany(ids []int32, vals []value.Value)
}

// colFolder is an aggregate that folds a tile of rows straight from a
// column of their batch (slot; -1 for an aggregate without argument), with
// no call per row.
type colFolder interface {
	foldCol(tile []pair, b *decode.Batch, slot int)
}

// noCol marks an aggregate that is not folded by column (see colSlot).
const noCol = -2

// parallelPairs is the batch size from which flush folds aggregates on
// several cores.
var parallelPairs = 4096

// flush folds the rows assigned since the last flush into the aggregates,
// row after row. Aggregates own separate state, so with several aggregates
// and enough rows they are folded in parallel, each worker taking every
// n-th aggregate.
func (g *groupTable) flush(b *decode.Batch) {
	if len(g.pairs) == 0 {
		return
	}
	// foldEvery folds every step-th aggregate from first, a tile of rows at
	// a time: row after row, so that the rows are read in memory order,
	// except for aggregates that take a tile at once (batchAdder).
	foldEvery := func(first, step int) {
		sc := &g.tiles[first]
		ids, vals := sc.ids, sc.vals
		defer func() { sc.ids, sc.vals = ids[:0], vals[:0] }()
		for t := 0; t < len(g.pairs); t += foldTile {
			tile := g.pairs[t:min(t+foldTile, len(g.pairs))]
			for _, p := range tile {
				row := b.Row(int(p.row))
				for a := first; a < len(g.aggs); a += step {
					switch f := g.argFns[a]; {
					case g.batched[a] || g.colSlot[a] != noCol:
					case f != nil:
						g.aggs[a].Add(p.id, f(row))
					default:
						g.aggs[a].Add(p.id, value.NullValue)
					}
				}
			}
			for a := first; a < len(g.aggs); a += step {
				if slot := g.colSlot[a]; slot != noCol {
					g.aggs[a].(colFolder).foldCol(tile, b, slot)
					continue
				}
				if !g.batched[a] {
					continue
				}
				ids, vals = ids[:0], vals[:0]
				for _, p := range tile {
					ids = append(ids, p.id)
					vals = append(vals, g.argFns[a](b.Row(int(p.row))))
				}
				g.aggs[a].(batchAdder).AddMany(ids, vals)
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(g.aggs))
	if workers < 2 || len(g.pairs) < parallelPairs || g.serial {
		workers = 1
	}
	g.tiles = grow(g.tiles, workers)
	if workers == 1 {
		foldEvery(0, 1)
	} else {
		var wg sync.WaitGroup
		for w := 1; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				foldEvery(w, workers)
			}(w)
		}
		foldEvery(0, workers) // this goroutine takes a share too
		wg.Wait()
	}
	g.pairs = g.pairs[:0]
}

// foldScratch is one flush worker's scratch for a tile of rows.
type foldScratch struct {
	ids  []int32
	vals []value.Value
}

// fold adds row to group id's aggregates and marks the group changed.
func (g *groupTable) fold(id int32, row []value.Value) {
	g.touch(id)
	for i, a := range g.aggs {
		if f := g.argFns[i]; f != nil {
			a.Add(id, f(row))
		} else {
			a.Add(id, value.NullValue)
		}
	}
}

// rowFresh reports whether the group's cached output row is still its
// row: projected in an earlier batch and not touched since.
func (g *groupTable) rowFresh(id int32) bool {
	at := g.rowAt[id]
	return at != 0 && g.dirtyMark[id] != g.epoch && g.dirtyMark[id] < at
}

func (g *groupTable) touch(id int32) {
	if g.dirtyMark[id] != g.epoch {
		g.dirtyMark[id] = g.epoch
		g.dirty = append(g.dirty, id)
	}
}

// width is the length of a group row: keys, aggregates, window bounds.
func (g *groupTable) width() int { return len(g.keyFns) + len(g.aggs) + 2 }

// fill writes group id's row, [keys..., aggregate results..., window start,
// window end], into row.
func (g *groupTable) fill(id int32, row []value.Value) {
	n := copy(row, g.keys[id])
	for i, a := range g.aggs {
		row[n+i] = a.Result(id)
	}
	if g.win != nil {
		row[n+len(g.aggs)], row[n+len(g.aggs)+1] = g.win.bounds(id)
	}
}
