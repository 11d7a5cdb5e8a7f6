package sql

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/xwb1989/sqlparser"

	"brook/value"
)

// WindowKind is the shape of an event-time window.
type WindowKind uint8

// Window kinds.
const (
	Tumble  WindowKind = iota + 1 // fixed, non-overlapping windows of Size
	Hop                           // windows of Size starting every Slide (sliding)
	Session                       // per group key, runs of events less than Gap apart
)

func (k WindowKind) String() string {
	if s := k.Spec(); s != nil {
		return strings.ToUpper(s.Name)
	}
	return [...]string{"", "TUMBLE", "HOP", "SESSION"}[k]
}

// Window is the event-time window a query groups by. Windows are half-open
// [start, end) and aligned to epoch 0: a tumbling or hopping window starts
// at a multiple of Slide (Size for tumbling). A session starts at its first
// event and ends Gap after its last; an event exactly Gap after the last
// starts a new session. Sessions are per group key.
//
// Time is in seconds: a numeric time field is taken as seconds (LANL's
// time), and window bounds are numbers in the same unit; a TIMESTAMP field
// (an ISO-8601 string in the input, or epoch_ms(x) of epoch milliseconds)
// gives TIMESTAMP bounds.
type Window struct {
	Kind  WindowKind
	Time  Expr    // the event time, over slots: DOUBLE, BIGINT or TIMESTAMP
	Size  float64 // seconds; tumbling and hopping windows
	Slide float64 // seconds; equal to Size for tumbling windows
	Gap   float64 // seconds; sessions
	// Args are the sizes a call of a registered kind gave (see
	// WindowSpec), in seconds, as written; its Make sets Size and Slide
	// from them.
	Args []float64
}

// String renders the window call in brook SQL.
func (w *Window) String() string {
	if s := w.Kind.Spec(); s != nil {
		return w.registeredString(s)
	}
	switch w.Kind {
	case Hop:
		return fmt.Sprintf("HOP(%s, %s, %s)", w.Time, seconds(w.Slide), seconds(w.Size))
	case Session:
		return fmt.Sprintf("SESSION(%s, %s)", w.Time, seconds(w.Gap))
	}
	return fmt.Sprintf("TUMBLE(%s, %s)", w.Time, seconds(w.Size))
}

func seconds(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// BoundType is the type of the window's start and end: TIMESTAMP for a
// timestamp time field, DOUBLE otherwise.
func (w *Window) BoundType() value.Type {
	if w.Time.Type() == value.Timestamp {
		return value.Timestamp
	}
	return value.Float
}

// Units converts a duration in seconds to the window time's unit, the one
// conversion the engine, the baseline and the diff share: seconds for a
// numeric time, whole microseconds for a TIMESTAMP (rounded, so that 1.1 s
// is 1100000 µs on both sides, not 1100000.0000000002).
func (w *Window) Units(seconds float64) float64 {
	if w.Time.Type() == value.Timestamp {
		return math.Round(seconds * 1e6)
	}
	return seconds
}

// Panes returns how many hopping windows cover each instant.
func (w *Window) Panes() int {
	if s := w.Kind.Spec(); s != nil {
		return s.Panes(w)
	}
	if w.Kind != Hop {
		return 1
	}
	return int(math.Ceil(w.Size/w.Slide - 1e-9))
}

// WindowRef stands for the start (or, with End, the end) of the window a
// group belongs to, in expressions evaluated after aggregation.
type WindowRef struct {
	End bool
	W   *Window
}

var _ Expr = (*WindowRef)(nil)

func (e *WindowRef) Type() value.Type         { return e.W.BoundType() }
func (e *WindowRef) Children() []Expr         { return nil }
func (e *WindowRef) WithChildren([]Expr) Expr { return e }
func (e *WindowRef) String() string {
	s := e.W.String()
	if e.End {
		name, args, _ := strings.Cut(s, "(")
		return name + "_END(" + args
	}
	return s
}

// windowFuncs maps the names of window calls to their kind and whether the
// call yields the window's end.
var windowFuncs = map[string]struct {
	kind WindowKind
	end  bool
}{
	"tumble": {Tumble, false}, "tumble_start": {Tumble, false}, "tumble_end": {Tumble, true},
	"hop": {Hop, false}, "hop_start": {Hop, false}, "hop_end": {Hop, true},
	"session": {Session, false}, "session_start": {Session, false}, "session_end": {Session, true},
	"window": {0, false}, "window_start": {0, false}, "window_end": {0, true},
}

// bindWindow binds a window call. In GROUP BY it declares the query's window;
// elsewhere it must repeat that call and yields its start or end.
func (b *builder) bindWindow(n *sqlparser.FuncExpr, name string, args []sqlparser.Expr, inGroupBy bool) (Expr, error) {
	spec, builtIn := windowFuncs[name]
	registered, regEnd := registeredWindowCall(name)
	if !builtIn {
		spec.end = regEnd
	}
	if len(args) < 2 {
		return nil, b.errAt(ErrType, n, "%s() takes the time field and a size", strings.ToUpper(name))
	}
	ts, err := b.bind(args[0], false)
	if err != nil {
		return nil, err
	}
	switch ts.Type() {
	case value.Float, value.Int, value.Timestamp:
	default:
		return nil, b.errAt(ErrType, args[0], "window time %s is %s; it must be a number of seconds or a TIMESTAMP", ts.String(), ts.Type()).
			withHint("for epoch milliseconds write epoch_ms(%s); for ISO-8601 text declare the field TIMESTAMP", ts.String())
	}
	var sizes []float64
	for _, a := range args[1:] {
		s, err := b.duration(a)
		if err != nil {
			return nil, err
		}
		sizes = append(sizes, s)
	}
	w := &Window{Kind: spec.kind, Time: ts}
	switch {
	case registered != nil:
		w.Kind, w.Args = registered.kind, sizes
		if err := registered.Make(w, sizes); err != nil {
			return nil, b.errAt(ErrUnsupported, n, "%s%s: %v", strings.ToUpper(registered.Name), registered.Usage, err)
		}
	case spec.kind == Tumble && len(sizes) == 1:
		w.Size, w.Slide = sizes[0], sizes[0]
	case spec.kind == Hop && len(sizes) == 2: // HOP(ts, slide, size), as in Flink SQL
		w.Slide, w.Size = sizes[0], sizes[1]
	case spec.kind == Session && len(sizes) == 1:
		w.Gap = sizes[0]
	case spec.kind == 0 && len(sizes) == 1: // Spark: window(ts, size)
		w.Kind, w.Size, w.Slide = Tumble, sizes[0], sizes[0]
	case spec.kind == 0 && len(sizes) == 2: // Spark: window(ts, size, slide)
		w.Kind, w.Size, w.Slide = Hop, sizes[0], sizes[1]
	default:
		return nil, b.errAt(ErrType, n, "%s() takes %s", strings.ToUpper(name), map[WindowKind]string{
			Tumble: "(time, size)", Hop: "(time, slide, size)", Session: "(time, gap)", 0: "(time, size[, slide])"}[spec.kind])
	}
	if ts.Type() == value.Timestamp {
		for _, s := range sizes {
			if w.Units(s) < 1 {
				return nil, b.errAt(ErrUnsupported, n, "a window over TIMESTAMP times is at least one microsecond, not %s s", seconds(s))
			}
		}
	}
	if w.Kind == Hop {
		if w.Slide > w.Size {
			return nil, b.errAt(ErrUnsupported, n, "a sliding window's slide (%s s) is longer than its size (%s s): rows between windows would be lost", seconds(w.Slide), seconds(w.Size))
		}
		if w.Slide == w.Size {
			w.Kind = Tumble
		}
	}
	if inGroupBy {
		if b.window != nil && b.window.String() != w.String() {
			return nil, b.errAt(ErrUnsupported, n, "a query groups by one window; %s is a second one", w.String())
		}
		b.window = w
		return &WindowRef{W: w}, nil
	}
	if b.window == nil || b.window.String() != w.String() {
		return nil, b.errAt(ErrUnsupported, n, "%s must match the window in GROUP BY", strings.ToUpper(name)).
			withHint("add GROUP BY %s", w.String())
	}
	return &WindowRef{W: b.window, End: spec.end}, nil
}

// duration reads a window size: a positive number of seconds, or an
// INTERVAL literal (INTERVAL 10 SECOND, INTERVAL '1' MINUTE).
func (b *builder) duration(node sqlparser.Expr) (float64, error) {
	var num sqlparser.Expr = node
	unit := "second"
	if iv, ok := node.(*sqlparser.IntervalExpr); ok {
		num, unit = iv.Expr, strings.ToLower(iv.Unit)
	}
	lit, ok := num.(*sqlparser.SQLVal)
	if !ok {
		return 0, b.errAt(ErrUnsupported, node, "a window size must be a constant, not %s", sqlparser.String(node)).
			withHint("write a number of seconds or INTERVAL 10 SECOND")
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(string(lit.Val)), 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) {
		return 0, b.errAt(ErrUnsupported, node, "a window size must be a positive number, not %s", sqlparser.String(node))
	}
	scale := map[string]float64{
		"microsecond": 1e-6, "millisecond": 1e-3, "second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800,
	}
	m, ok := scale[strings.TrimSuffix(unit, "s")]
	if !ok {
		return 0, b.errAt(ErrUnsupported, node, "interval unit %s is not supported", strings.ToUpper(unit)).
			withHint("use MILLISECOND, SECOND, MINUTE, HOUR, DAY or WEEK")
	}
	return f * m, nil
}
