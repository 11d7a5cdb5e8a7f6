package engine

import (
	"fmt"
	"maps"

	"brook/value"
)

// Snapshot is the whole state of a running query, in a form encoding/gob
// can write: every group with its key, window and aggregate states, the
// watermark, the late-row counts, and the rows a plain query keeps. Restore
// puts it back into a new Query for the same plan.
type Snapshot struct {
	RowsIn    int64
	Groups    []GroupState
	Watermark float64
	MaxTime   float64
	MaxClosed float64
	Late      int64
	NoTime    int64
	LateWins  []LateWindow
	Top       [][]value.Value // plain queries with LIMIT
	TopKeys   [][]value.Value
	Final     [][]value.Value // plain append queries keeping their rows
	FinalKeys [][]value.Value // their ORDER BY key values, when ordered
	Closed    [][]value.Value // rows of evicted windows (KeepFinal)
	ClosedKey [][]value.Value
	// PartMax holds, for a source read as several parts, each part's
	// latest event time (see Query.SetParts).
	PartMax map[int32]float64
}

// GroupState is one group: its key values, its window (start and last
// event, in time units) and each aggregate's state.
type GroupState struct {
	Keys        []value.Value
	Start, Last float64
	// IStart and ILast are a session's first and last events when its
	// times are integers (BIGINT, or TIMESTAMP microseconds), exactly.
	IStart, ILast int64
	Aggs          [][]value.Value
}

// stateful aggregates can export and import one group's state.
type stateful interface {
	state(g int32) []value.Value
	setState(g int32, s []value.Value) error
}

// Snapshot captures the query's state between micro-batches.
func (q *Query) Snapshot() (*Snapshot, error) {
	s := &Snapshot{RowsIn: q.rowsIn, Final: q.final, FinalKeys: q.finalKeys}
	if q.best != nil {
		for _, r := range q.best.rows { // all OFFSET+LIMIT of them, in no order
			s.Top, s.TopKeys = append(s.Top, r.out), append(s.TopKeys, r.keys)
		}
	}
	for _, r := range q.closed {
		s.Closed, s.ClosedKey = append(s.Closed, r.out), append(s.ClosedKey, r.keys)
	}
	g := q.groups
	if g == nil {
		return s, nil
	}
	q.windowGlobals(s)
	for _, id := range g.ids() {
		gs := GroupState{Keys: g.keys[id]}
		if g.win != nil {
			gs.Start, gs.Last = g.win.start[id], g.win.last[id]
			if g.win.intTime {
				gs.IStart, gs.ILast = g.win.istart[id], g.win.ilast[id]
			}
		}
		for _, a := range g.aggs {
			sa, ok := a.(stateful)
			if !ok {
				return nil, fmt.Errorf("engine: aggregate %T cannot be checkpointed", a)
			}
			gs.Aggs = append(gs.Aggs, sa.state(id))
		}
		s.Groups = append(s.Groups, gs)
	}
	return s, nil
}

// globals returns the part of the query's state that is not per group.
func (q *Query) globals() *Snapshot {
	s := &Snapshot{RowsIn: q.rowsIn, Final: q.final, FinalKeys: q.finalKeys}
	if q.best != nil {
		for _, r := range q.best.rows {
			s.Top, s.TopKeys = append(s.Top, r.out), append(s.TopKeys, r.keys)
		}
	}
	for _, r := range q.closed {
		s.Closed, s.ClosedKey = append(s.Closed, r.out), append(s.ClosedKey, r.keys)
	}
	q.windowGlobals(s)
	return s
}

// windowGlobals copies the watermark, late counts and late windows into s.
func (q *Query) windowGlobals(s *Snapshot) {
	if q.groups == nil {
		return
	}
	if w := q.groups.win; w != nil {
		s.Watermark, s.MaxTime, s.MaxClosed, s.Late, s.NoTime = w.watermark, w.maxTime, w.maxClosedEnd, w.late, w.noTime
		if w.parted && len(w.partMax) > 0 {
			s.PartMax = maps.Clone(w.partMax)
		}
		if w.lateLog != nil {
			for _, lw := range w.lateLog.Windows {
				s.LateWins = append(s.LateWins, *lw)
			}
		}
	}
}

// Restore loads a snapshot taken from a query of the same plan into q,
// which must be new (no batch processed).
func (q *Query) Restore(s *Snapshot) error {
	if q.rowsIn != 0 {
		return fmt.Errorf("engine: Restore into a query that has already run")
	}
	q.rowsIn, q.final, q.finalKeys = s.RowsIn, s.Final, s.FinalKeys
	if len(q.orders) > 0 && len(q.finalKeys) != len(q.final) {
		return fmt.Errorf("engine: the checkpoint's rows have no ORDER BY keys")
	}
	if q.final == nil && q.keep && q.mode == Append && q.groups == nil {
		q.final = [][]value.Value{}
	}
	if len(s.Top) > 0 && q.best == nil {
		return fmt.Errorf("engine: the checkpoint holds best rows but the query keeps none")
	}
	for i := range s.Top {
		q.best.offer(sortRow{out: s.Top[i], keys: s.TopKeys[i]})
	}
	for i := range s.Closed {
		q.closed = append(q.closed, sortRow{out: s.Closed[i], keys: s.ClosedKey[i]})
	}
	g := q.groups
	if g == nil {
		if len(s.Groups) > 0 {
			return fmt.Errorf("engine: the checkpoint holds groups but the query has none")
		}
		return nil
	}
	for _, gs := range s.Groups {
		if len(gs.Keys) != len(g.keyFns) || len(gs.Aggs) != len(g.aggs) {
			return fmt.Errorf("engine: the checkpoint's groups do not fit the query (%d keys, %d aggregates)", len(gs.Keys), len(gs.Aggs))
		}
		copy(g.keyVals, gs.Keys)
		var id int32
		switch {
		case g.win != nil && g.win.w.Kind == sessionKind:
			id = g.newGroup("")
			var key []byte
			for _, k := range gs.Keys {
				key = value.AppendKey(key, k)
			}
			g.win.sessions[string(key)] = append(g.win.sessions[string(key)], id)
		case g.win == nil && len(g.keyFns) == 1 && gs.Keys[0].Kind == value.String:
			id = g.newGroup("")
			sl, _ := g.byString.slot(gs.Keys[0].S, true)
			sl.val = id
		case g.win != nil: // every kind but sessions
			// A tumbling or hopping window ends size after its start
			// (a checkpoint before cumulating windows kept no end); a
			// registered kind's end is the one recorded.
			end := gs.Start + g.win.size
			if g.win.spans != nil {
				end = gs.Last
			}
			id = g.win.groupAt(g, gs.Start, end) // the key values are in g.keyVals
			gs.Last = end
		default:
			g.scratch = g.scratch[:0]
			for _, k := range gs.Keys {
				g.scratch = value.AppendKey(g.scratch, k)
			}
			id, _ = g.lookup()
		}
		if g.win != nil {
			g.win.start[id], g.win.last[id] = gs.Start, gs.Last
			if g.win.intTime {
				g.win.istart[id], g.win.ilast[id] = gs.IStart, gs.ILast
			}
			g.win.version[id]++
			g.win.pushEnd(id)
		}
		for i, a := range g.aggs {
			if err := a.(stateful).setState(id, gs.Aggs[i]); err != nil {
				return err
			}
		}
	}
	if w := g.win; w != nil {
		w.watermark, w.maxTime, w.maxClosedEnd, w.late, w.noTime = s.Watermark, s.MaxTime, s.MaxClosed, s.Late, s.NoTime
		if len(s.PartMax) > 0 {
			w.partMax = maps.Clone(s.PartMax)
		}
		if w.lateLog != nil {
			for i := range s.LateWins {
				lw := s.LateWins[i]
				key := string(value.AppendKey(value.AppendKey(nil, value.FloatValue(timeUnits(lw.Start))), value.FloatValue(timeUnits(lw.End))))
				for _, k := range lw.Keys {
					key += string(value.AppendKey(nil, k))
				}
				w.lateLog.Windows[key] = &lw
			}
		}
	}
	g.beginBatch()
	return nil
}

func badState(a any, s []value.Value) error {
	return fmt.Errorf("engine: checkpoint state %v does not fit aggregate %T", s, a)
}

func (a *countStar) state(g int32) []value.Value { return []value.Value{value.IntValue(a.n[g])} }
func (a *countStar) setState(g int32, s []value.Value) error {
	if len(s) != 1 {
		return badState(a, s)
	}
	a.n[g] = s[0].I
	return nil
}

func (a *count) state(g int32) []value.Value { return []value.Value{value.IntValue(a.n[g])} }
func (a *count) setState(g int32, s []value.Value) error {
	if len(s) != 1 {
		return badState(a, s)
	}
	a.n[g] = s[0].I
	return nil
}

func (a *countDistinct) state(g int32) []value.Value {
	out := make([]value.Value, 0, a.sets[g].n)
	a.sets[g].each(func(k string) { out = append(out, value.StringValue(k)) })
	return out
}
func (a *countDistinct) setState(g int32, s []value.Value) error {
	a.sets[g] = strSet{}
	for _, v := range s {
		a.sets[g].add(v.S)
	}
	return nil
}

func (a *sumFloat) state(g int32) []value.Value {
	return []value.Value{value.FloatValue(a.sum[g]), value.BoolValue(a.seen[g])}
}
func (a *sumFloat) setState(g int32, s []value.Value) error {
	if len(s) != 2 {
		return badState(a, s)
	}
	a.sum[g], a.seen[g] = s[0].F, s[1].I != 0
	return nil
}

func (a *sumInt) state(g int32) []value.Value {
	return []value.Value{value.IntValue(a.sum[g].hi), value.IntValue(int64(a.sum[g].lo)), value.BoolValue(a.seen[g])}
}
func (a *sumInt) setState(g int32, s []value.Value) error {
	if len(s) != 3 {
		return badState(a, s)
	}
	a.sum[g], a.seen[g] = int128{hi: s[0].I, lo: uint64(s[1].I)}, s[2].I != 0
	return nil
}

func (a *avg) state(g int32) []value.Value {
	return []value.Value{value.FloatValue(a.sum[g]), value.IntValue(a.ints[g].hi), value.IntValue(int64(a.ints[g].lo)), value.IntValue(a.n[g])}
}
func (a *avg) setState(g int32, s []value.Value) error {
	if len(s) != 4 {
		return badState(a, s)
	}
	a.sum[g], a.ints[g], a.n[g] = s[0].F, int128{hi: s[1].I, lo: uint64(s[2].I)}, s[3].I
	return nil
}

func (a *extremum) state(g int32) []value.Value { return []value.Value{a.best[g]} }
func (a *extremum) setState(g int32, s []value.Value) error {
	if len(s) != 1 {
		return badState(a, s)
	}
	a.best[g] = s[0]
	return nil
}

// timeUnits is a window bound in time units (seconds or microseconds).
func timeUnits(v value.Value) float64 {
	if v.Kind == value.Float {
		return v.F
	}
	return float64(v.I)
}
