package engine

import (
	"container/heap"
	"fmt"
	"math"
	"slices"

	"brook/decode"
	"brook/sql"
	"brook/value"
)

// windowing assigns rows to event-time windows, tracks the watermark, drops
// and records late rows, and finds the windows the watermark has closed.
//
// Times are kept as float64 in the time field's unit: seconds for a numeric
// field, microseconds for a TIMESTAMP (exact up to 2^53 µs, about 285 years
// either side of 1970). Window arithmetic is done exactly as the baseline's
// SQL does it, so both sides put every row in the same windows.
type windowing struct {
	w      *sql.Window
	timeFn evalFn
	// timeSlot is the event-time column when the time is one (the usual
	// case), read without a call; -1 otherwise.
	timeSlot int
	isTS     bool
	size     float64 // in time units
	slide    float64
	gap      float64
	panes    int
	// spans assigns times to the windows of a registered kind (see
	// defineWindow); nil for the built-in ones.
	spans   spanKind
	spanBuf []span

	// Watermark: maxTime - lateness, advanced at the end of each micro-batch.
	// A row whose window has ended at or before the watermark is late.
	lateness  float64 // in time units; < 0: no watermark
	watermark float64
	maxTime   float64
	// For a source read as several parts, each in its own order (see
	// ingest.RawBatch.Parted): partMax holds each part's latest event
	// time, holding the parts that hold the watermark back, and the
	// watermark is the least of their latest times, less the lateness.
	// partMax is kept for every source whose batches name parts; parted
	// says the source is parted, so that advance uses it.
	parted  bool
	partMax map[int32]float64
	holding []int32

	// start and last are, per group, its window's start and end; for a
	// session, its first and last event (its end is last + gap).
	start, last []float64
	// intTime says a session's events are integers (BIGINT or TIMESTAMP
	// microseconds): their first and last events are then kept exactly in
	// istart and ilast, and gaps are measured as the baseline measures them,
	// by BIGINT subtraction (beyond 2^53 a DOUBLE would merge sessions).
	intTime       bool
	istart, ilast []int64
	version       []uint32 // per group: bumped when its end moves (sessions)
	ends          endHeap
	// keepsAll says no window is ever closed (complete mode, a Partial's
	// table): their ends are not kept in order.
	keepsAll bool
	sessions map[string][]int32 // group key -> its open sessions

	maxClosedEnd float64 // the latest end of a window closed so far
	// keyIdx and keyWins index the groups of tumbling and hopping windows:
	// a group key's encoding gives, at keyIdx's value, its windows in
	// keyWins, so that a row finds the groups of all its windows with one
	// lookup of its key. winOf[id] is group id's place in keyWins; empty
	// counts the keys left without a window (see unindex).
	keyIdx  strTable[int32]
	keyWins [][]winRef
	winOf   []int32
	empty   int
	// lastUkey and lastKey are the last key looked up and its place in
	// keyWins (lastKey -1: none; the places change when the index is
	// rebuilt).
	lastUkey []byte
	lastKey  int32
	// rows counts, per group, the input rows assigned to it (a Partial's
	// windows: those of a window closed by the time they are merged are
	// late).
	rows []int64

	recent recentWindow // the last window found, for queries without group keys

	late     int64 // rows dropped as late
	noTime   int64 // rows without an event time
	lateLog  *LateLog
	lateSeen bool // the current row was late for some window
}

// LateLog collects what late rows the watermark dropped: the rows
// themselves (with the windows they missed) and, per window, how many.
type LateLog struct {
	Rows    []LateRow
	Windows map[string]*LateWindow // by window bounds and group key
}

// LateRow is one dropped row.
type LateRow struct {
	Time    value.Value   // its event time
	Row     []value.Value // its decoded columns (plan slots)
	Windows [][2]value.Value
}

// LateWindow is a window (and group key) that late rows missed.
type LateWindow struct {
	Start, End value.Value
	Keys       []value.Value
	Rows       int64
}

func newWindowing(w *sql.Window, c *compiler, lateness float64) (*windowing, error) {
	f, err := c.compile(w.Time)
	if err != nil {
		return nil, err
	}
	isTS := w.Time.Type() == value.Timestamp
	ws := &windowing{w: w, timeFn: f, isTS: isTS, size: w.Units(w.Size), slide: w.Units(w.Slide), gap: w.Units(w.Gap),
		panes: w.Panes(), lateness: -1, watermark: math.Inf(-1), maxTime: math.Inf(-1), maxClosedEnd: math.Inf(-1), lastKey: -1}
	ws.timeSlot = -1
	if ref, ok := w.Time.(*sql.ColumnRef); ok {
		ws.timeSlot = ref.Slot
	}
	if lateness >= 0 {
		ws.lateness = w.Units(lateness)
	}
	if w.Kind == sql.Session {
		ws.sessions = map[string][]int32{}
		ws.intTime = isTS || w.Time.Type() == value.Int
	}
	if w.Kind.Spec() != nil {
		if ws.spans = windowKinds[w.Kind]; ws.spans == nil {
			return nil, fmt.Errorf("engine: no assignment for %s windows", w.Kind)
		}
	}
	return ws, nil
}

// winRef is one window of a group key: its bounds and its group.
type winRef struct {
	start, end float64
	id         int32
}

// window returns the group of the window [start, end) for the group key
// encoded as ukey, creating it if need be (every kind but sessions).
func (ws *windowing) window(g *groupTable, start, end float64, ukey []byte) int32 {
	return ws.windowOf(g, ws.keyOf(ukey), start, end)
}

// keyOf returns the place in keyWins of the group key encoded as ukey,
// adding the key if need be. A row with the key of the row before it (a
// device's burst of flows) gets that row's place without a lookup.
func (ws *windowing) keyOf(ukey []byte) int32 {
	if ws.lastKey >= 0 && string(ukey) == string(ws.lastUkey) {
		return ws.lastKey
	}
	sl, found := ws.keyIdx.slot(value.UnsafeString(ukey), true)
	if !found {
		sl.val = int32(len(ws.keyWins))
		ws.keyWins = append(ws.keyWins, nil)
		ws.empty++
	}
	ws.lastUkey, ws.lastKey = append(ws.lastUkey[:0], ukey...), sl.val
	return sl.val
}

// windowOf returns the group of the window [start, end) for the key at
// place k of keyWins (see keyOf), creating it if need be.
func (ws *windowing) windowOf(g *groupTable, k int32, start, end float64) int32 {
	wins := ws.keyWins[k]
	// Bounds are compared as numbers, as DuckDB groups them: the window
	// of the time -0.0, which starts at -0, is the one starting at 0. A
	// bound is never NaN (see timeOf). Windows of one start differ in
	// their ends only for cumulating windows.
	for i := len(wins) - 1; i >= 0; i-- { // the latest windows first
		if wins[i].start == start && wins[i].end == end {
			return wins[i].id
		}
	}
	var id int32
	if len(wins) == 0 {
		ws.empty--
		id = g.newGroup("")
	} else { // the key's windows share its key values
		id = g.newGroupKeys("", g.keys[wins[0].id])
	}
	ws.keyWins[k] = append(wins, winRef{start: start, end: end, id: id})
	ws.winOf[id] = k
	ws.start[id], ws.last[id] = start, end
	if !ws.keepsAll {
		heap.Push(&ws.ends, endEntry{end: end, id: id, version: ws.version[id]})
	}
	return id
}

// unindex takes a released window's group out of the index. When most keys
// are left without a window (keys that stopped arriving), the index is
// built anew without them, so that it holds what the open windows need.
func (ws *windowing) unindex(id int32) {
	k := ws.winOf[id]
	wins := ws.keyWins[k]
	for i, w := range wins {
		if w.id == id {
			ws.keyWins[k] = slices.Delete(wins, i, i+1)
			break
		}
	}
	if len(ws.keyWins[k]) > 0 {
		return
	}
	if ws.empty++; ws.empty < 1024 || ws.empty*2 < len(ws.keyWins) {
		return
	}
	ws.lastKey = -1
	var idx strTable[int32]
	var kept [][]winRef
	ws.keyIdx.eachVal(func(key string, k int32) {
		if wins := ws.keyWins[k]; len(wins) > 0 {
			sl, _ := idx.slot(key, true)
			sl.val = int32(len(kept))
			for _, w := range wins {
				ws.winOf[w.id] = sl.val
			}
			kept = append(kept, wins)
		}
	})
	ws.keyIdx, ws.keyWins, ws.empty = idx, kept, 0
}

func (ws *windowing) grow(n int) {
	ws.start = grow(ws.start, n)
	ws.last = grow(ws.last, n)
	ws.version = grow(ws.version, n)
	ws.rows = grow(ws.rows, n)
	ws.winOf = grow(ws.winOf, n)
	if ws.intTime {
		ws.istart = grow(ws.istart, n)
		ws.ilast = grow(ws.ilast, n)
	}
}

// timeOf converts an event time value to time units; ok is false for NULL.
func (ws *windowing) timeOf(v value.Value) (float64, bool) {
	switch v.Kind {
	case value.Float:
		return v.F, !math.IsNaN(v.F)
	case value.Int, value.Timestamp:
		return float64(v.I), true
	}
	return 0, false
}

// bound turns a time in time units into a window bound value. A TIMESTAMP
// bound is rounded to the microsecond, as the baseline's CAST to BIGINT
// rounds.
func (ws *windowing) bound(t float64) value.Value {
	if ws.isTS {
		return value.TimestampValue(int64(math.Round(t)))
	}
	return value.FloatValue(t)
}

// pane returns the number of the tumbling-aligned window of length step
// that holds t: floor(t / step), as the baseline computes it (for a
// TIMESTAMP, in integer microseconds).
func (ws *windowing) pane(t, step float64) float64 {
	if ws.isTS {
		us, s := int64(t), int64(step)
		q := us / s
		if us%s != 0 && us < 0 {
			q--
		}
		return float64(q)
	}
	return math.Floor(t / step)
}

// holds reports whether the window back panes before a row's own pane
// (see pane), starting at start, holds the row's time t. This is the one
// rule both sides follow (the baseline renders it as SQL): a row always
// belongs to the window of its own pane, whatever the rounding of
// floor(t / slide) * slide + size (0.6 with windows of 0.1 falls in pane 5,
// [0.5, 0.6) by DOUBLE arithmetic, and must not vanish); an earlier
// hopping window holds it while t < start + size.
func holds(back int, t, start, size float64) bool {
	return back == 0 || t < start+size
}

// paneStart is the start of the window back windows of length step before
// window number q (see pane), as the baseline computes it: (q - back) *
// step.
func (ws *windowing) paneStart(q float64, back int, step float64) float64 {
	if ws.isTS {
		return float64((int64(q) - int64(back)) * int64(step))
	}
	return (q - float64(back)) * step
}

// bounds returns group id's window start and end.
func (ws *windowing) bounds(id int32) (value.Value, value.Value) {
	if ws.w.Kind == sql.Session {
		if ws.intTime && ws.isTS {
			return value.TimestampValue(ws.istart[id]), ws.bound(ws.end(id))
		}
		if ws.intTime {
			return value.FloatValue(float64(ws.istart[id])), ws.bound(ws.end(id))
		}
		return ws.bound(ws.start[id]), ws.bound(ws.last[id] + ws.gap)
	}
	return ws.bound(ws.start[id]), ws.bound(ws.last[id])
}

func (ws *windowing) end(id int32) float64 {
	if ws.w.Kind == sql.Session {
		if ws.intTime { // as the baseline: the BIGINT last event, as a DOUBLE, plus the gap
			return float64(ws.ilast[id]) + ws.gap
		}
		return ws.last[id] + ws.gap
	}
	return ws.last[id]
}

func (ws *windowing) closed(end float64) bool { return ws.lateness >= 0 && end <= ws.watermark }

// add assigns one row to its windows and folds it into each open one.
func (ws *windowing) add(g *groupTable, row []value.Value, rowIdx int32) {
	var tv value.Value
	if ws.timeSlot >= 0 {
		tv = row[ws.timeSlot]
	} else {
		tv = ws.timeFn(row)
	}
	t, ok := ws.timeOf(tv)
	if !ok {
		ws.noTime++
		return
	}
	if t > ws.maxTime { // t is never NaN (see timeOf)
		ws.maxTime = t
	}
	ws.lateSeen = false
	if ws.w.Kind == sql.Session {
		ws.addSession(g, row, tv, t)
	} else if ws.spans != nil {
		ws.addSpans(g, row, tv, t, rowIdx)
	} else {
		k := int32(-1) // the row's key in the index, looked up once
		q := ws.pane(t, ws.slide)
		for i := 0; i < ws.panes; i++ {
			start := ws.paneStart(q, i, ws.slide)
			if !holds(i, t, start, ws.size) {
				continue
			}
			if ws.closed(start + ws.size) {
				ws.recordLate(g, row, tv, start, start+ws.size)
				continue
			}
			if c := &ws.recent; len(g.keyFns) == 0 && c.ok && c.start == start && g.live[c.id] && ws.start[c.id] == start {
				g.assign(c.id, rowIdx) // rows in time order keep hitting the same window
				ws.rows[c.id]++
				continue
			}
			if k < 0 {
				k = ws.keyOf(g.ukey)
			}
			id := ws.windowOf(g, k, start, start+ws.size)
			if len(g.keyFns) == 0 && i == 0 {
				ws.recent = recentWindow{ok: true, start: start, id: id}
			}
			g.assign(id, rowIdx)
			ws.rows[id]++
		}
	}
	if ws.lateSeen {
		ws.late++
	}
}

// groupAt returns the group of the window [start, end) and the key values
// in g.keyVals, creating it if need be (every kind but sessions).
func (ws *windowing) groupAt(g *groupTable, start, end float64) int32 {
	g.ukey = g.ukey[:0]
	for _, v := range g.keyVals {
		g.ukey = value.AppendKey(g.ukey, v)
	}
	g.beginRows() // ukey no longer encodes the last row's key values
	return ws.window(g, start, end, g.ukey)
}

// reset forgets the rows seen, for a table emptied for reuse (a Partial's).
func (ws *windowing) reset() {
	ws.maxTime, ws.noTime, ws.late = math.Inf(-1), 0, 0
	clear(ws.partMax)
	clear(ws.rows)
	ws.keyIdx.reset()
	clear(ws.keyWins)
	ws.keyWins, ws.empty, ws.lastKey = ws.keyWins[:0], 0, -1
	ws.ends = ws.ends[:0]
	ws.recent = recentWindow{}
}

// addSession puts an event into its group key's sessions: it starts a new
// one, extends one, or joins several that it bridges. An event is in a
// session when it is less than gap away from one of its events. Sessions
// fold their rows at once: a later row may merge sessions, which needs
// their aggregates complete.
func (ws *windowing) addSession(g *groupTable, row []value.Value, tv value.Value, t float64) {
	if ws.lateness >= 0 && (t < ws.watermark || t+ws.gap <= ws.watermark) {
		// A session closed by the watermark could have held this event
		// (where t + gap rounds to t, beyond 2^53, a session of this
		// very time may have closed already).
		ws.recordLate(g, row, tv, t, t+ws.gap)
		return
	}
	open := ws.sessions[string(g.ukey)]
	target := int32(-1)
	kept := open[:0]
	for _, id := range open {
		if ws.near(id, tv, t) {
			if target < 0 {
				target = id
			} else { // the event bridges two sessions: merge them
				for _, a := range g.aggs {
					a.MergeFrom(a, target, id)
				}
				ws.start[target] = math.Min(ws.start[target], ws.start[id])
				ws.last[target] = math.Max(ws.last[target], ws.last[id])
				if ws.intTime {
					ws.istart[target] = min(ws.istart[target], ws.istart[id])
					ws.ilast[target] = max(ws.ilast[target], ws.ilast[id])
				}
				ws.version[id]++
				g.release(id)
				continue
			}
		}
		kept = append(kept, id)
	}
	if target < 0 {
		target = g.newGroup("")
		ws.start[target], ws.last[target] = t, t
		if ws.intTime {
			ws.istart[target], ws.ilast[target] = tv.I, tv.I
		}
		kept = append(kept, target)
	} else {
		ws.start[target] = math.Min(ws.start[target], t)
		ws.last[target] = math.Max(ws.last[target], t)
		if ws.intTime {
			ws.istart[target] = min(ws.istart[target], tv.I)
			ws.ilast[target] = max(ws.ilast[target], tv.I)
		}
	}
	ws.sessions[string(g.ukey)] = kept
	ws.version[target]++
	if !ws.keepsAll {
		heap.Push(&ws.ends, endEntry{end: ws.end(target), id: target, version: ws.version[target]})
	}
	g.fold(target, row)
}

// near reports whether an event at tv (t in time units) belongs to session
// id: it lies within the session, or less than the gap before its first
// event or after its last. The distances are computed as the baseline
// computes the gap between consecutive events (t - lag(t) < gap): a DOUBLE
// subtraction for DOUBLE times, a BIGINT one for integer times, whose
// result is then compared as a DOUBLE. A distance beyond BIGINT's range is
// no nearer than the gap.
func (ws *windowing) near(id int32, tv value.Value, t float64) bool {
	if ws.intTime {
		ti, first, last := tv.I, ws.istart[id], ws.ilast[id]
		if ti < first {
			d := first - ti
			return d > 0 && float64(d) < ws.gap
		}
		if ti > last {
			d := ti - last
			return d > 0 && float64(d) < ws.gap
		}
		return true
	}
	first, last := ws.start[id], ws.last[id]
	if t < first {
		return first-t < ws.gap
	}
	if t > last {
		return t-last < ws.gap
	}
	return true
}

func (ws *windowing) recordLate(g *groupTable, row []value.Value, tv value.Value, start, end float64) {
	first := !ws.lateSeen
	ws.lateSeen = true
	if ws.lateLog == nil {
		return
	}
	key := string(value.AppendKey(value.AppendKey(nil, value.FloatValue(start)), value.FloatValue(end))) + string(g.ukey)
	lw := ws.lateLog.Windows[key]
	if lw == nil {
		lw = &LateWindow{Start: ws.bound(start), End: ws.bound(end), Keys: cloneRow(g.keyVals)}
		ws.lateLog.Windows[key] = lw
	}
	lw.Rows++
	if first {
		ws.lateLog.Rows = append(ws.lateLog.Rows, LateRow{Time: tv.Clone(), Row: cloneRow(row)})
	}
	n := len(ws.lateLog.Rows)
	ws.lateLog.Rows[n-1].Windows = append(ws.lateLog.Rows[n-1].Windows, [2]value.Value{ws.bound(start), ws.bound(end)})
}

// sessionKind names sql.Session for files that do not import sql.
const sessionKind = sql.Session

// pushEnd schedules group id's window to close at its current end.
func (ws *windowing) pushEnd(id int32) {
	if !ws.keepsAll {
		heap.Push(&ws.ends, endEntry{end: ws.end(id), id: id, version: ws.version[id]})
	}
}

// advance moves the watermark to maxTime - lateness (never backwards). For
// a parted source it moves to the least latest time of the holding parts
// instead, less the lateness: a holding part that has delivered no row yet
// keeps it where it is. When no part holds it back (every part idle or
// read to its end) it follows the latest time of all.
func (ws *windowing) advance() {
	if ws.lateness < 0 {
		return
	}
	t := ws.maxTime
	if ws.parted {
		if len(ws.holding) > 0 {
			t = math.Inf(1)
			for _, p := range ws.holding {
				m, ok := ws.partMax[p]
				if !ok {
					return
				}
				t = math.Min(t, m)
			}
		} else {
			for _, m := range ws.partMax {
				t = math.Max(t, m)
			}
		}
	}
	if !math.IsInf(t, -1) {
		ws.watermark = math.Max(ws.watermark, t-ws.lateness)
	}
}

// byPart calls add for the rows of b, a run of one source part at a time
// when b names parts (see decode.Batch.Runs), and notes each part's latest
// event time. A part's latest time is taken over every row it delivered,
// those WHERE leaves out too (when the time is a column): a part whose
// rows all miss the filter must not hold the watermark back for ever. It
// returns add's first error.
func (ws *windowing) byPart(b *decode.Batch, add func(from, to int) error) error {
	if len(b.Runs) == 0 {
		return add(0, b.Rows)
	}
	from := 0
	for _, r := range b.Runs {
		// maxTime, the latest time of all, is the run's alone meanwhile.
		all := ws.maxTime
		ws.maxTime = math.Inf(-1)
		err := add(from, r.End)
		latest := ws.maxTime
		ws.maxTime = math.Max(all, ws.maxTime)
		if ws.timeSlot >= 0 {
			for i := from; i < r.End; i++ {
				if t, ok := ws.timeOf(b.Values[i*b.Width+ws.timeSlot]); ok && t > latest {
					latest = t
				}
			}
		}
		if !math.IsInf(latest, -1) {
			ws.notePart(r.Part, latest)
		}
		if err != nil {
			return err
		}
		from = r.End
	}
	if from < b.Rows { // rows of no part
		return add(from, b.Rows)
	}
	return nil
}

// notePart records that part delivered a row of event time t.
func (ws *windowing) notePart(part int32, t float64) {
	if ws.partMax == nil {
		ws.partMax = map[int32]float64{}
	}
	if m, ok := ws.partMax[part]; !ok || t > m {
		ws.partMax[part] = t
	}
}

// closeUpTo removes every window that ends at or before limit, oldest end
// first, calling emit for each before its slot is freed.
func (ws *windowing) closeUpTo(g *groupTable, limit float64, emit func(id int32)) {
	for ws.ends.Len() > 0 && ws.ends[0].end <= limit {
		e := heap.Pop(&ws.ends).(endEntry)
		if !g.live[e.id] || ws.version[e.id] != e.version || ws.end(e.id) != e.end {
			continue // a stale entry: the session grew, merged or closed
		}
		emit(e.id)
		ws.maxClosedEnd = math.Max(ws.maxClosedEnd, e.end)
		if ws.w.Kind == sql.Session {
			ws.dropSession(g, e.id)
		}
		ws.version[e.id]++
		g.release(e.id)
	}
}

func (ws *windowing) dropSession(g *groupTable, id int32) {
	var key []byte
	for _, k := range g.keys[id] {
		key = value.AppendKey(key, k)
	}
	ukey := string(key)
	open := ws.sessions[ukey]
	for i, s := range open {
		if s == id {
			open = append(open[:i], open[i+1:]...)
			break
		}
	}
	if len(open) == 0 {
		delete(ws.sessions, ukey)
	} else {
		ws.sessions[ukey] = open
	}
}

// recentWindow remembers the last window a row went to.
type recentWindow struct {
	ok    bool
	start float64
	id    int32
}

// endEntry schedules a window's closing.
type endEntry struct {
	end     float64
	id      int32
	version uint32
}

// endHeap is a min-heap of window ends.
type endHeap []endEntry

func (h endHeap) Len() int           { return len(h) }
func (h endHeap) Less(i, j int) bool { return h[i].end < h[j].end }
func (h endHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *endHeap) Push(x any)        { *h = append(*h, x.(endEntry)) }
func (h *endHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
