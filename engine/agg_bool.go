package engine

import (
	"encoding/binary"

	"brook/sql"
	"brook/value"
)

func init() {
	for _, and := range []bool{true, false} {
		name := "bool_or"
		if and {
			name = "bool_and"
		}
		defineAggregate(&sql.AggSpec{Name: name, Arg: sql.BooleanArg, Result: sql.Always(value.Bool), Distinct: sql.DistinctIgnored},
			func(*sql.AggCall, *evalState) Aggregate { return &boolAgg{and: and} })
	}
}

// boolAgg is BOOL_AND (and) or BOOL_OR: NULL for a group without a
// non-NULL value, else the AND (OR) of its values. Per group it keeps how
// many values it saw and how many were true.
type boolAgg struct {
	and      bool
	n, trues []int64
}

func (a *boolAgg) Grow(groups int) { a.n, a.trues = grow(a.n, groups), grow(a.trues, groups) }
func (a *boolAgg) Add(g int32, v value.Value) {
	if v.Kind != value.Bool {
		return // NULL
	}
	a.n[g]++
	a.trues[g] += v.I
}
func (a *boolAgg) Result(g int32) value.Value {
	if a.n[g] == 0 {
		return value.NullValue
	}
	if a.and {
		return value.BoolValue(a.trues[g] == a.n[g])
	}
	return value.BoolValue(a.trues[g] > 0)
}
func (a *boolAgg) Reset(g int32) { a.n[g], a.trues[g] = 0, 0 }
func (a *boolAgg) MergeFrom(src Aggregate, dst, s int32) {
	b := src.(*boolAgg)
	a.n[dst] += b.n[s]
	a.trues[dst] += b.trues[s]
}

func (a *boolAgg) appendState(dst []byte, g int32) []byte {
	return binary.AppendVarint(binary.AppendVarint(dst, a.n[g]), a.trues[g])
}
func (a *boolAgg) readState(src []byte, g int32) ([]byte, error) {
	var err error
	if a.n[g], src, err = readVarint(src); err != nil {
		return nil, err
	}
	a.trues[g], src, err = readVarint(src)
	return src, err
}

func (a *boolAgg) state(g int32) []value.Value {
	return []value.Value{value.IntValue(a.n[g]), value.IntValue(a.trues[g])}
}
func (a *boolAgg) setState(g int32, s []value.Value) error {
	if len(s) != 2 {
		return badState(a, s)
	}
	a.n[g], a.trues[g] = s[0].I, s[1].I
	return nil
}

var (
	_ Aggregate = (*boolAgg)(nil)
	_ codec     = (*boolAgg)(nil)
	_ stateful  = (*boolAgg)(nil)
)
