package sql

import (
	"fmt"
	"strings"
)

// WindowSpec declares a kind of window that the event time alone decides,
// as it does for tumbling and hopping windows: a row belongs to the windows
// of the panes that hold its time, whatever else arrived. It says how the
// kind is called, how its sizes are read, and how the baseline renders it;
// the engine file that assigns rows to it registers it (see
// engine/window_cumulate.go), so that a new kind is one file. Sessions,
// whose windows depend on the other rows, are not of this sort.
type WindowSpec struct {
	// Name is how the kind is called, lower case: NAME(time, ...) in
	// GROUP BY; NAME_START(...) and NAME_END(...) yield the bounds.
	Name string
	// Usage lists its arguments, for errors: "(time, step, size)".
	Usage string
	// Make sets w's sizes from the constants the call gave (seconds), or
	// says why they do not make a window of this kind. It may turn w into
	// a built-in kind (a cumulating window whose step is its size is a
	// tumbling one).
	Make func(w *Window, sizes []float64) error
	// Panes is how many of its windows hold one instant, at most.
	Panes func(w *Window) int
	// Duck renders the kind for DuckDB. t is the event time in time units
	// and i a pane number, 0 <= i < Panes; units renders a duration in
	// time units. It returns the condition under which pane i's window
	// holds the row, and that window's start and end in time units, each
	// computed exactly as the engine computes them, operation for
	// operation, so that both sides put every row in the same windows.
	Duck func(w *Window, t, i string, units func(seconds float64) string) (cond, start, end string)

	kind WindowKind
}

// firstRegistered is the first WindowKind a registration gets.
const firstRegistered = Session + 1

var (
	windowSpecs  []*WindowSpec // by kind - firstRegistered
	windowByName = map[string]*WindowSpec{}
)

// RegisterWindow makes a window kind known to the binder and returns the
// WindowKind of its windows. It panics when the name is taken:
// registrations happen at program start.
func RegisterWindow(s *WindowSpec) WindowKind {
	if _, ok := windowFuncs[s.Name]; ok {
		panic("sql: window kind " + s.Name + " is built in")
	}
	if _, dup := windowByName[s.Name]; dup {
		panic("sql: window kind " + s.Name + " registered twice")
	}
	s.kind = firstRegistered + WindowKind(len(windowSpecs))
	windowSpecs = append(windowSpecs, s)
	windowByName[s.Name] = s
	return s.kind
}

// Spec returns the registered kind's declaration; nil for the built-in
// kinds (tumbling, hopping, sessions).
func (k WindowKind) Spec() *WindowSpec {
	if k < firstRegistered || int(k-firstRegistered) >= len(windowSpecs) {
		return nil
	}
	return windowSpecs[k-firstRegistered]
}

// registeredWindowCall returns the registered kind a call names (NAME,
// NAME_START or NAME_END) and whether it yields the window's end.
func registeredWindowCall(name string) (spec *WindowSpec, end bool) {
	if s, ok := windowByName[name]; ok {
		return s, false
	}
	if base, ok := strings.CutSuffix(name, "_start"); ok {
		return windowByName[base], false
	}
	if base, ok := strings.CutSuffix(name, "_end"); ok {
		if s := windowByName[base]; s != nil {
			return s, true
		}
	}
	return nil, false
}

// registeredString renders a registered kind's call in brook SQL.
func (w *Window) registeredString(s *WindowSpec) string {
	args := make([]string, len(w.Args))
	for i, a := range w.Args {
		args[i] = seconds(a)
	}
	return fmt.Sprintf("%s(%s, %s)", strings.ToUpper(s.Name), w.Time, strings.Join(args, ", "))
}

// windowCall reports whether a function name is a window call, built in or
// registered, and whether it yields the window's end.
func windowCall(name string) (ok, end bool) {
	if spec, ok := windowFuncs[name]; ok {
		return true, spec.end
	}
	s, end := registeredWindowCall(name)
	return s != nil, end
}
