package engine

import (
	"math"
	"runtime"
	"slices"
	"sync"

	"brook/decode"
	"brook/sql"
)

// Partial is a batch's rows pre-aggregated on a decoder's goroutine, right
// after they were decoded (while they are in that core's cache, and on
// every core at once), to be folded into the query's state by Merge in
// batch order. It holds WHERE and the group table of the query compiled
// anew, so that it shares no state with the query; a Partial is used by one
// goroutine at a time.
//
// Aggregating queries are pre-aggregated unless their windows depend on
// state the batches before left: sessions (which merge as events arrive),
// hopping windows under a watermark (a row is late when any of its
// windows has closed, which a window's totals cannot tell), and windows
// whose late rows are logged one by one. Tumbling and hopping windows
// without a watermark are pre-aggregated: a row's windows depend on its
// time alone. So are tumbling windows under a watermark: the watermark
// moves only between batches, so a partial's window is merged whole, or,
// when the watermark closed it before its batch, counted whole as late.
type Partial struct {
	st    *evalState
	where evalFn
	g     *groupTable
	rows  int64 // input rows added, filtered ones included
}

// NewPartial returns a Partial for the query, or nil when the query is not
// pre-aggregated (see Partial).
func (q *Query) NewPartial() *Partial {
	if !q.preAggregable() {
		return nil
	}
	st := &evalState{}
	c := &compiler{st: st}
	p := &Partial{st: st}
	var err error
	if p.where, err = q.compileWhere(c); err != nil {
		return nil // compiled once already by New: cannot happen
	}
	if p.g, err = newGroupTable(q.plan, c, -1); err != nil {
		return nil
	}
	p.g.serial = true
	if p.g.win != nil {
		p.g.win.keepsAll = true // merged into the query's table, never closed
	}
	return p
}

// Add folds a decoded batch (or part of one) into the partial: WHERE, the
// group keys and the aggregates, as Query.Add does. It returns the first
// evaluation error; the batch's input rows count as read whatever it
// returns.
func (p *Partial) Add(b *decode.Batch) error {
	p.rows += int64(b.Rows + b.Filtered)
	p.g.beginRows()
	add := func(from, to int) error {
		for i := from; i < to; i++ {
			row := b.Row(i)
			if p.where != nil && !p.where(row).True() {
				if p.st.err != nil {
					return p.st.err
				}
				continue
			}
			p.g.add(row, int32(i))
			if p.st.err != nil {
				return p.st.err
			}
		}
		return nil
	}
	if p.g.win != nil {
		p.g.win.byPart(b, add)
	} else {
		add(0, b.Rows)
	}
	if p.st.err != nil {
		p.g.pairs = p.g.pairs[:0] // rows of b, never to be folded
		return p.st.err
	}
	p.g.flush(b)
	return p.st.error()
}

// PreAggregates reports whether the decoders should pre-aggregate the
// query's next batches: it is eligible (see Partial) and pre-aggregation
// pays. It stops paying when a batch's rows fall into so many groups that
// merging the partial tables costs about what folding the rows did: then
// the rows go to Add again. Safe to call from any goroutine.
func (q *Query) PreAggregates() bool {
	return !q.noPreAgg.Load() && q.preAggregable()
}

// preAggregable reports whether the query can be pre-aggregated at all.
func (q *Query) preAggregable() bool {
	if q.groups == nil {
		return false
	}
	ws := q.groups.win
	return ws == nil || (ws.w.Kind != sql.Session && (ws.lateness < 0 || (ws.panes == 1 && ws.lateLog == nil)))
}

// Pre-aggregation is judged once paJudgeRows rows were merged: it goes on
// while a partial table holds at least paRowsPerGroup rows per group.
const (
	paJudgeRows    = 20_000
	paRowsPerGroup = 8
)

// Merge folds a partial into the query's state, as if its rows had been
// given to Add: groups are found or created in the order the rows first
// met them, and are marked changed by the current batch. The partial is
// left empty, ready for another batch.
func (q *Query) Merge(p *Partial) {
	q.rowsIn += p.rows
	g, pg := q.groups, p.g
	q.paRows, q.paGroups = q.paRows+p.rows, q.paGroups+int64(len(pg.keys))
	if q.paRows >= paJudgeRows && q.paGroups*paRowsPerGroup > q.paRows {
		q.noPreAgg.Store(true)
	}
	q.mergeTo = q.mergeTo[:0]
	for id := range pg.keys {
		copy(g.keyVals, pg.keys[id])
		to := int32(-1) // a window the watermark closed: its rows are late
		if ws := g.win; ws == nil {
			to = g.groupFor()
		} else if start, end := pg.win.start[id], pg.win.last[id]; ws.closed(end) {
			ws.late += pg.win.rows[id] // tumbling: one window per row
		} else {
			to = ws.groupAt(g, start, end)
		}
		if to >= 0 {
			g.touch(to)
		}
		q.mergeTo = append(q.mergeTo, to)
	}
	mergeEvery := func(first, step int) {
		for i := first; i < len(g.aggs); i += step {
			a, from := g.aggs[i], pg.aggs[i]
			for id, to := range q.mergeTo {
				if to >= 0 {
					a.MergeFrom(from, to, int32(id))
				}
			}
		}
	}
	// Aggregates own separate state: merge them in parallel when some are
	// sets (COUNT(DISTINCT)), whose merges are long.
	workers := min(runtime.GOMAXPROCS(0), len(g.aggs))
	if workers < 2 || !slices.Contains(g.batched, true) {
		mergeEvery(0, 1)
	} else {
		var wg sync.WaitGroup
		for w := 1; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				mergeEvery(w, workers)
			}()
		}
		mergeEvery(0, workers) // this goroutine takes a share too
		wg.Wait()
	}
	if ws := g.win; ws != nil {
		ws.maxTime = math.Max(ws.maxTime, pg.win.maxTime)
		for part, t := range pg.win.partMax {
			ws.notePart(part, t)
		}
		ws.noTime += pg.win.noTime
	}
	p.Reset()
}

// Reset empties the partial, for a batch whose rows are not merged (an
// error stopped the run before).
func (p *Partial) Reset() {
	if p.rows == 0 && len(p.g.keys) == 0 {
		return // empty already
	}
	p.rows = 0
	p.g.reset()
	p.st.err = nil
}

// Rows returns the input rows added since the last Merge.
func (p *Partial) Rows() int64 { return p.rows }
