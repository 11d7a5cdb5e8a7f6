package engine

import (
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

	index   map[string]int32
	keys    [][]value.Value // per group, copied out of the batch
	keyStr  []string        // per group, its index key ("" for sessions)
	live    []bool
	free    []int32
	nLive   int
	scratch []byte
	ukey    []byte // encoding of the current row's group key values
	keyVals []value.Value

	dirty     []int32 // groups changed by the current batch, in first-touch order
	dirtyMark []uint32
	epoch     uint32

	win *windowing // nil without an event-time window
}

func newGroupTable(p *sql.Plan, c *compiler, lateness float64) (*groupTable, error) {
	g := &groupTable{index: map[string]int32{}, keyVals: make([]value.Value, len(p.GroupBy))}
	var err error
	if g.keyFns, err = c.compileAll(p.GroupBy); err != nil {
		return nil, err
	}
	for _, call := range p.Aggs {
		a, err := newAggregate(call)
		if err != nil {
			return nil, err
		}
		g.aggs = append(g.aggs, a)
		var f evalFn
		if call.Arg != nil {
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
func (g *groupTable) ids() []int32 {
	ids := make([]int32, 0, g.nLive)
	for id, ok := range g.live {
		if ok {
			ids = append(ids, int32(id))
		}
	}
	return ids
}

func (g *groupTable) beginBatch() {
	g.dirty = g.dirty[:0]
	g.epoch++
}

// newGroup allocates a group slot with the current key values.
func (g *groupTable) newGroup(indexKey string) int32 {
	var id int32
	if n := len(g.free); n > 0 {
		id = g.free[n-1]
		g.free = g.free[:n-1]
		g.keys[id] = cloneRow(g.keyVals)
		g.keyStr[id] = indexKey
		g.live[id] = true
	} else {
		id = int32(len(g.keys))
		g.keys = append(g.keys, cloneRow(g.keyVals))
		g.keyStr = append(g.keyStr, indexKey)
		g.live = append(g.live, true)
		g.dirtyMark = append(g.dirtyMark, 0)
		for _, a := range g.aggs {
			a.Grow(len(g.keys))
		}
		if g.win != nil {
			g.win.grow(len(g.keys))
		}
	}
	g.nLive++
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
	delete(g.index, g.keyStr[id]) // sessions are not indexed: a no-op for them
	for _, a := range g.aggs {
		a.Reset(id)
	}
	g.live[id] = false
	g.keys[id] = nil
	g.free = append(g.free, id)
	g.nLive--
}

// add folds one input row into its group (or groups: the windows covering
// its event time).
func (g *groupTable) add(row []value.Value) {
	g.ukey = g.ukey[:0]
	for i, f := range g.keyFns {
		v := f(row)
		g.keyVals[i] = v
		g.ukey = value.AppendKey(g.ukey, v)
	}
	if g.win != nil {
		g.win.add(g, row)
		return
	}
	g.scratch = append(g.scratch[:0], g.ukey...)
	id, _ := g.lookup()
	g.fold(id, row)
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
