package engine

import (
	"strings"

	"brook/value"
)

// countDistinct is COUNT(DISTINCT x): the number of different non-NULL
// values. Its state is the set of values seen per group, so its memory grows
// with the number of distinct values, not with the number of rows.
type countDistinct struct {
	sets    []map[string]struct{}
	scratch []byte
}

func (a *countDistinct) Grow(groups int) { a.sets = grow(a.sets, groups) }

func (a *countDistinct) Add(g int32, v value.Value) {
	if v.Kind == value.Null {
		return
	}
	set := a.sets[g]
	if set == nil {
		set = map[string]struct{}{}
		a.sets[g] = set
	}
	// The argument has one type, so strings can be their own keys (no
	// encoding to build); other values use their binary encoding.
	if v.Kind == value.String {
		if _, ok := set[v.S]; !ok {
			set[strings.Clone(v.S)] = struct{}{}
		}
		return
	}
	a.scratch = value.AppendKey(a.scratch[:0], v)
	if _, ok := set[string(a.scratch)]; !ok {
		set[string(a.scratch)] = struct{}{}
	}
}

func (a *countDistinct) Result(g int32) value.Value { return value.IntValue(int64(len(a.sets[g]))) }

func (a *countDistinct) Reset(g int32) { a.sets[g] = nil }

func (a *countDistinct) Merge(dst, src int32) {
	if len(a.sets[src]) == 0 {
		return
	}
	if a.sets[dst] == nil {
		a.sets[dst] = make(map[string]struct{}, len(a.sets[src]))
	}
	for k := range a.sets[src] {
		a.sets[dst][k] = struct{}{}
	}
}

var _ Aggregate = (*countDistinct)(nil)
