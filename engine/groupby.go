package engine

import (
	"brook/sql"
	"brook/value"
)

// groupTable is the hash aggregation state: one entry per distinct group
// key, each with a slot in every aggregate's state columns.
type groupTable struct {
	keyFns []evalFn
	argFns []evalFn // nil entries for COUNT(*)
	aggs   []Aggregate

	index   map[string]int32
	keys    [][]value.Value // per group, copied out of the batch
	scratch []byte
	keyVals []value.Value

	dirty     []int32 // groups changed by the current batch, in first-touch order
	dirtyMark []uint32
	epoch     uint32
}

func newGroupTable(p *sql.Plan, c *compiler) (*groupTable, error) {
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
	if len(p.GroupBy) == 0 {
		g.insert() // a global aggregate has its one row even before any input
	}
	return g, nil
}

func (g *groupTable) len() int { return len(g.keys) }

func (g *groupTable) beginBatch() {
	g.dirty = g.dirty[:0]
	g.epoch++
}

func (g *groupTable) insert() int32 {
	id := int32(len(g.keys))
	g.index[string(g.scratch)] = id
	g.keys = append(g.keys, cloneRow(g.keyVals))
	for _, a := range g.aggs {
		a.Grow(len(g.keys))
	}
	g.dirtyMark = append(g.dirtyMark, 0)
	return id
}

// add folds one input row into its group.
func (g *groupTable) add(row []value.Value) {
	g.scratch = g.scratch[:0]
	for i, f := range g.keyFns {
		v := f(row)
		g.keyVals[i] = v
		g.scratch = value.AppendKey(g.scratch, v)
	}
	id, ok := g.index[string(g.scratch)]
	if !ok {
		id = g.insert()
	}
	if g.dirtyMark[id] != g.epoch {
		g.dirtyMark[id] = g.epoch
		g.dirty = append(g.dirty, id)
	}
	for i, a := range g.aggs {
		if f := g.argFns[i]; f != nil {
			a.Add(id, f(row))
		} else {
			a.Add(id, value.NullValue)
		}
	}
}

// fill writes group id's row, [keys..., aggregate results...], into row.
func (g *groupTable) fill(id int32, row []value.Value) {
	n := copy(row, g.keys[id])
	for i, a := range g.aggs {
		row[n+i] = a.Result(id)
	}
}
