package engine

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"brook/decode"
	"brook/value"
)

// setsModel is the reference for countDistinct: a map of sets.
type setsModel map[int32]map[string]bool

func (m setsModel) add(g int32, v value.Value) {
	if v.Kind == value.Null {
		return
	}
	k := v.S
	if v.Kind != value.String {
		k = string(value.AppendKey(nil, v))
	}
	if m[g] == nil {
		m[g] = map[string]bool{}
	}
	m[g][k] = true
}

// check compares a's counts and values of groups [0, groups) with m.
func (m setsModel) check(t *testing.T, a *countDistinct, groups int, when string) {
	t.Helper()
	for g := int32(0); g < int32(groups); g++ {
		if got, want := a.Result(g).I, int64(len(m[g])); got != want {
			t.Fatalf("%s: group %d counts %d values, want %d", when, g, got, want)
		}
		var got []string
		for _, v := range a.state(g) {
			got = append(got, v.S)
		}
		slices.Sort(got)
		var want []string
		for k := range m[g] {
			want = append(want, k)
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: group %d holds %q, want %q", when, g, got, want)
		}
	}
}

// randomValue draws from short and long strings (some equal in their
// first 15 bytes), numbers and NULL, with repeats.
func randomValue(r *rand.Rand) value.Value {
	switch n := r.IntN(100); {
	case n < 5:
		return value.NullValue
	case n < 15:
		return value.IntValue(int64(r.IntN(20)))
	case n < 20:
		return value.FloatValue(float64(r.IntN(20)) / 2)
	case n < 35:
		return value.StringValue(fmt.Sprintf("EnterpriseAppServer%02d", r.IntN(30)))
	case n < 40:
		return value.StringValue("")
	default:
		return value.StringValue(fmt.Sprintf("Comp%d", r.IntN(300)))
	}
}

// TestCountDistinct: the sets of COUNT(DISTINCT) count and list each
// group's distinct values through growth, merges of a partial's groups
// (some into the same group, some skipped) and of a group of the same
// table (sessions), a group's reset, a partial's clearing, and a
// checkpoint's round trip.
func TestCountDistinct(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const groups = 200
	a, m := &countDistinct{}, setsModel{}
	a.Grow(groups)
	for i := 0; i < 20000; i++ {
		g, v := int32(r.IntN(groups)), randomValue(r)
		a.Add(g, v)
		m.add(g, v)
	}
	if n := len(a.sets[0].slots); n <= 4 {
		t.Fatalf("a set never grew (%d slots): the test is too small", n)
	}
	m.check(t, a, groups, "after Add")

	// A partial of 50 groups, merged twice (once into other groups, some
	// skipped), cleared in between.
	p := &countDistinct{}
	for round := 0; round < 2; round++ {
		p.Grow(50)
		pm := setsModel{}
		for i := 0; i < 3000; i++ {
			g, v := int32(r.IntN(50)), randomValue(r)
			p.Add(g, v)
			pm.add(g, v)
		}
		pm.check(t, p, 50, fmt.Sprintf("partial, round %d", round))
		to := make([]int32, 50)
		for g := range to {
			to[g] = int32(r.IntN(groups))
			if g%7 == 3 {
				to[g] = -1
			}
		}
		for g := range to {
			if to[g] >= 0 {
				a.MergeFrom(p, to[g], int32(g))
			}
		}
		for g, set := range pm {
			if to[g] < 0 {
				continue
			}
			for k := range set {
				if m[to[g]] == nil {
					m[to[g]] = map[string]bool{}
				}
				m[to[g]][k] = true
			}
		}
		m.check(t, a, groups, fmt.Sprintf("after merge %d", round))
		for g := range to {
			p.Clear(int32(g))
		}
		pm = setsModel{}
		pm.check(t, p, 50, "partial cleared")
	}

	// A group merged into another of the same table, then reset.
	a.MergeFrom(a, 5, 9)
	for k := range m[9] {
		m[5][k] = true
	}
	m.check(t, a, groups, "after MergeFrom")
	a.Reset(9)
	delete(m, 9)
	m.check(t, a, groups, "after Reset")
	a.Add(9, value.StringValue("Comp1"))
	m.add(9, value.StringValue("Comp1"))
	m.check(t, a, groups, "after Reset and Add")

	// A checkpoint's state round trip.
	b := &countDistinct{}
	b.Grow(groups)
	for g := int32(0); g < groups; g++ {
		if err := b.setState(g, a.state(g)); err != nil {
			t.Fatal(err)
		}
	}
	m.check(t, b, groups, "restored")
}

// TestCountDistinctFoldCol: folding tiles straight from a batch's column,
// with and without the decoder's keys, counts as adding row by row: NULLs
// and numbers among the strings, runs of one (group, value), long strings.
func TestCountDistinctFoldCol(t *testing.T) {
	for _, keyed := range []bool{false, true} {
		r := rand.New(rand.NewPCG(5, 6))
		const groups = 40
		a, m := &countDistinct{}, setsModel{}
		a.Grow(groups)
		var b decode.Batch
		for batch := 0; batch < 20; batch++ {
			b.Reset(1)
			var tile []pair
			g, v := int32(0), value.NullValue
			for row := 0; row < 300; row++ {
				if r.IntN(3) == 0 { // else a run goes on
					g, v = int32(r.IntN(groups)), randomValue(r)
				}
				b.Values = append(b.Values, v)
				b.Rows++
				tile = append(tile, pair{row: int32(row), id: g})
				m.add(g, v)
			}
			if keyed {
				b.Keys = b.Keys[:0]
				for _, v := range b.Values {
					k := value.StrKey{}
					if v.Kind == value.String {
						k = value.KeyOf(v.S)
					}
					b.Keys = append(b.Keys, k)
				}
				b.KeyCols = 1
			}
			for at := 0; at < len(tile); at += foldTile {
				a.foldCol(tile[at:min(at+foldTile, len(tile))], &b, 0)
			}
		}
		m.check(t, a, groups, fmt.Sprintf("keyed %v", keyed))
	}
}
