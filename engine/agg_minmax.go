package engine

import (
	"brook/decode"
	"brook/sql"
	"brook/value"
)

func init() {
	for _, f := range []struct {
		name string
		dir  int
	}{{"min", -1}, {"max", 1}} {
		defineAggregate(&sql.AggSpec{Name: f.name, Result: sql.SameType, Distinct: sql.DistinctIgnored},
			func(*sql.AggCall, *evalState) Aggregate { return &extremum{dir: f.dir} })
	}
}

// extremum is MIN (dir -1) or MAX (dir 1) over any ordered type.
type extremum struct {
	dir  int
	best []value.Value
}

func (a *extremum) Grow(groups int) { a.best = grow(a.best, groups) }
func (a *extremum) Add(g int32, v value.Value) {
	if v.Kind == value.Null {
		return
	}
	cur := a.best[g]
	if cur.Kind == value.Null {
		a.best[g] = v.Clone()
		return
	}
	if c, ok := value.Compare(v, cur); ok && c*a.dir > 0 {
		a.best[g] = v.Clone()
	}
}
func (a *extremum) Result(g int32) value.Value { return a.best[g] }

// foldCol folds a tile; a DOUBLE against a DOUBLE is compared in place.
func (a *extremum) foldCol(tile []pair, b *decode.Batch, slot int) {
	for _, p := range tile {
		v := &b.Values[int(p.row)*b.Width+slot]
		if cur := &a.best[p.id]; v.Kind == value.Float && cur.Kind == value.Float {
			if c, _ := value.Compare(*v, *cur); c*a.dir > 0 {
				cur.F = v.F
			}
			continue
		}
		a.Add(p.id, *v)
	}
}

func (a *extremum) Reset(g int32) { a.best[g] = value.NullValue }
func (a *extremum) MergeFrom(src Aggregate, dst, s int32) {
	if v := src.(*extremum).best[s]; !v.IsNull() {
		a.Add(dst, v)
	}
}

var _ Aggregate = (*extremum)(nil)

// appendState writes the best value so far (see appendValue).
func (a *extremum) appendState(dst []byte, g int32) []byte { return appendValue(dst, a.best[g]) }
func (a *extremum) readState(src []byte, g int32) ([]byte, error) {
	var err error
	a.best[g], src, err = readValue(src)
	return src, err
}
