package engine

import (
	"fmt"
	"math"
	"strconv"

	"brook/sql"
	"brook/value"
)

// Cumulating windows, CUMULATE(time, step, size): Flink's cumulative
// window. Time is cut into periods of size (aligned to epoch 0, like a
// tumbling window of size); within a period the windows all start at the
// period's start and end one step apart: [p, p+step), [p, p+2*step), ...,
// [p, p+size). A row belongs to every window of its period that ends after
// it, so each window holds the period's rows so far, and an early result
// of a long window closes every step ("bytes so far today, by the
// minute"). Size must be a whole number of steps.
//
// The arithmetic is that of tumbling windows of step: the row's step pane
// q = floor(t / step) (the pane of TUMBLE(t, step)); its period starts at
// pane floor(q / n) * n, with n = size / step; its windows end at panes
// q+1 up to the period's end. The baseline renders the same operations.
func init() {
	defineWindow(&sql.WindowSpec{
		Name:  "cumulate",
		Usage: "(time, step, size)",
		Make:  makeCumulate,
		Panes: func(w *sql.Window) int { return int(math.Round(w.Size / w.Slide)) },
		Duck:  duckCumulate,
	}, cumulating{})
}

func makeCumulate(w *sql.Window, sizes []float64) error {
	if len(sizes) != 2 {
		return fmt.Errorf("takes a step and a size, got %d sizes", len(sizes))
	}
	step, size := sizes[0], sizes[1]
	if step > size {
		return fmt.Errorf("the step (%s s) is longer than the size (%s s)", fmtSeconds(step), fmtSeconds(size))
	}
	// A whole number of steps; a size a rounding off a multiple (0.3 =
	// 3 * 0.1 in DOUBLE) counts as one. Over TIMESTAMP times the steps are
	// whole microseconds, and must fit exactly.
	n := math.Round(size / step)
	whole := math.Abs(size/step-n) <= 1e-9*n
	if u, us := w.Units(size), w.Units(step); w.Time.Type() == value.Timestamp && us >= 1 {
		whole = whole && math.Mod(u, us) == 0 && u/us == n
	}
	if !whole {
		return fmt.Errorf("the size (%s s) is not a whole number of steps (%s s)", fmtSeconds(size), fmtSeconds(step))
	}
	if n > 1<<16 {
		return fmt.Errorf("%s steps make a period: at most %d", strconv.FormatFloat(n, 'f', 0, 64), 1<<16)
	}
	w.Slide, w.Size = step, size
	if n == 1 { // one window per period: a tumbling window
		w.Kind, w.Args = sql.Tumble, nil
	}
	return nil
}

// duckCumulate renders the windows of pane i as DuckDB computes them, the
// engine's operations in the engine's order (see cumulating.spans).
func duckCumulate(w *sql.Window, t, i string, units func(float64) string) (cond, start, end string) {
	step := units(w.Slide)
	n := "CAST(" + strconv.Itoa(w.Panes()) + " AS DOUBLE)"
	q := "floor(" + t + " / " + step + ")"
	first := "(floor(" + q + " / " + n + ") * " + n + ")"
	e := "(" + q + " + 1 + " + i + ")"
	return "(" + e + " <= " + first + " + " + n + ")", "(" + first + " * " + step + ")", "(" + e + " * " + step + ")"
}

// cumulating assigns a time to its cumulating windows.
type cumulating struct{}

func (cumulating) spans(ws *windowing, t float64, out []span) []span {
	n := float64(ws.panes)
	q := ws.pane(t, ws.slide)
	first := math.Floor(q/n) * n
	start := ws.paneStart(first, 0, ws.slide)
	// Pane by pane, as the baseline's join with range(0, n) does: past
	// 2^53 (q + 1) + i rounds, and both sides then count a row in one
	// window twice alike, where counting up from q + 1 would never end.
	for i := 0; i < ws.panes; i++ {
		if e := q + 1 + float64(i); e <= first+n {
			out = append(out, span{start: start, end: ws.paneStart(e, 0, ws.slide)})
		}
	}
	return out
}

func fmtSeconds(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
