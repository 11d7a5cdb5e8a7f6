package engine

import (
	"brook/sql"
	"brook/value"
)

// spanKind assigns event times to the windows of a registered window kind
// (see sql.WindowSpec): kinds whose windows the time alone decides.
type spanKind interface {
	// spans appends to out the windows holding t (in time units), the
	// window of t's own pane first, computing their bounds exactly as the
	// kind's Duck rendering does in the baseline.
	spans(ws *windowing, t float64, out []span) []span
}

// span is one window's bounds, in time units.
type span struct{ start, end float64 }

// windowKinds holds the assignment of each registered window kind.
var windowKinds = map[sql.WindowKind]spanKind{}

// defineWindow registers a window kind with the binder and its assignment
// with the engine: a kind's file calls it from init.
func defineWindow(s *sql.WindowSpec, k spanKind) {
	windowKinds[sql.RegisterWindow(s)] = k
}

// addSpans folds a row into each open window of a registered kind that
// holds its time t, and records it as late for those the watermark closed.
func (ws *windowing) addSpans(g *groupTable, row []value.Value, tv value.Value, t float64, rowIdx int32) {
	ws.spanBuf = ws.spans.spans(ws, t, ws.spanBuf[:0])
	k := int32(-1) // the row's key in the index, looked up once
	for _, sp := range ws.spanBuf {
		if ws.closed(sp.end) {
			ws.recordLate(g, row, tv, sp.start, sp.end)
			continue
		}
		if k < 0 {
			k = ws.keyOf(g.ukey)
		}
		id := ws.windowOf(g, k, sp.start, sp.end)
		g.assign(id, rowIdx)
		ws.rows[id]++
	}
}
