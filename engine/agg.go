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

// newAggregate returns the state for one aggregate call of a plan.
func newAggregate(call *sql.AggCall) (Aggregate, error) {
	switch {
	case call.Func == "count" && call.Arg == nil:
		return &countStar{}, nil
	case call.Func == "count" && call.Distinct:
		return &countDistinct{}, nil
	case call.Func == "count":
		return &count{}, nil
	case call.Func == "sum" && call.Typ == value.Int:
		return &sumInt{}, nil
	case call.Func == "sum":
		return &sumFloat{}, nil
	case call.Func == "avg":
		return &avg{}, nil
	case call.Func == "min":
		return &extremum{dir: -1}, nil
	case call.Func == "max":
		return &extremum{dir: 1}, nil
	}
	return nil, fmt.Errorf("engine: aggregate %s is not implemented", call.String())
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
