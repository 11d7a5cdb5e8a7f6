package engine

import (
	"fmt"

	"brook/sql"
	"brook/value"
)

// Aggregate maintains one aggregate function for every group at once, as
// columns of state indexed by group id, so that a new group costs no
// allocation of its own. Add folds one input value (NULL for COUNT(*)).
// Values passed to Add may point into a batch's buffer: an aggregate that
// keeps a value copies it.
//
// Reset clears a group's state so its id can be reused for a new group (a
// window evicted behind the watermark). MergeFrom folds group srcID of src,
// an aggregate of the same call (or the same aggregate), into group dst,
// leaving src as it was: sessions joined by an event that bridges them, and
// a decoder's partial aggregate of a batch (see Partial) folded into the
// query's.
type Aggregate interface {
	Grow(groups int) // make room for groups [0, groups)
	Add(group int32, v value.Value)
	Result(group int32) value.Value
	Reset(group int32)
	MergeFrom(src Aggregate, dst, srcID int32)
}

// aggDef is an aggregate function: its spec, which tells the binder its
// name, argument and result types and tells the baseline how DuckDB spells
// it, and how to make its state for a call. Each aggregate is defined in a
// file of its own (agg_NAME.go) by defineAggregate, with its state's
// binary form (see codec) and merge: adding an aggregate is adding a file.
type aggDef struct {
	spec *sql.AggSpec
	new  func(call *sql.AggCall, st *evalState) Aggregate
}

var aggDefs = map[string]*aggDef{}

// defineAggregate registers an aggregate with the binder (sql.RegisterAggregate)
// and with the engine; called from the init of the aggregate's file. make
// returns the state for a call; st is where it reports a run-time error
// (a result out of range), as expressions do.
func defineAggregate(spec *sql.AggSpec, make func(call *sql.AggCall, st *evalState) Aggregate) {
	sql.RegisterAggregate(spec)
	aggDefs[spec.Name] = &aggDef{spec: spec, new: make}
}

// newAggregate returns the state for one aggregate call of a plan.
func newAggregate(call *sql.AggCall, st *evalState) (Aggregate, error) {
	d, ok := aggDefs[call.Func]
	if !ok {
		return nil, fmt.Errorf("engine: aggregate %s is not implemented", call.String())
	}
	return d.new(call, st), nil
}

func grow[T any](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	if n <= cap(s) {
		return s[:n]
	}
	// Double: per-group state grows a group at a time, and append's
	// smaller steps for large slices would copy it over and over.
	t := make([]T, n, max(n, 2*cap(s)))
	copy(t, s)
	return t
}
