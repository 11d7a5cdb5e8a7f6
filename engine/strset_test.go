package engine

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
)

// TestStrSet: the set agrees with a map on which strings are new, short
// (kept in the slots) and long (kept in the arena) alike, through growth;
// each lists every string once.
func TestStrSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var s strSet
	want := map[string]bool{}
	for i := range 20000 {
		var k string
		switch i % 4 {
		case 0:
			k = fmt.Sprint("Comp", rng.IntN(3000))
		case 1:
			k = strings.Repeat("x", rng.IntN(40)) // "" and lengths around 16
		case 2:
			k = fmt.Sprintf("a-rather-long-device-name-%d", rng.IntN(500))
		default:
			k = string([]byte{byte(rng.IntN(3)), 0, byte(rng.IntN(2))}) // NUL bytes: not padding
		}
		if got := s.add(k); got != !want[k] {
			t.Fatalf("add(%q) = %v after %d adds, want %v", k, got, i, !want[k])
		}
		want[k] = true
	}
	if int(s.n) != len(want) {
		t.Errorf("n = %d, want %d", s.n, len(want))
	}
	var listed []string
	s.each(func(k string) { listed = append(listed, k) })
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(listed)
	sort.Strings(keys)
	if strings.Join(listed, "|") != strings.Join(keys, "|") {
		t.Errorf("each listed %d strings, want the %d added", len(listed), len(keys))
	}
}

func BenchmarkStrSet(b *testing.B) {
	keys := make([]string, 1<<16)
	for i := range keys {
		keys[i] = fmt.Sprintf("Port%05d", i%20000)
	}
	b.ReportAllocs()
	var s strSet
	for i := 0; b.Loop(); i++ {
		s.add(keys[i&(len(keys)-1)])
	}
}

// TestStrSetReset: an emptied table holds nothing, whether it was emptied
// whole or slot by slot (tracked), through growth between resets.
func TestStrSetReset(t *testing.T) {
	var s strSet
	for round := range 5 {
		n := 10 + round*300 // grows in some rounds, not in others
		for i := range n {
			if !s.add(fmt.Sprint(round, "-", i)) {
				t.Fatalf("round %d: %d-%d already there", round, round, i)
			}
		}
		if s.add(fmt.Sprint(round, "-", 0)) || int(s.n) != n {
			t.Fatalf("round %d: n = %d, want %d", round, s.n, n)
		}
		s.reset()
		for i := range s.slots {
			if !s.slots[i].empty() {
				t.Fatalf("round %d: slot %d still full after reset", round, i)
			}
		}
		if s.n != 0 {
			t.Fatalf("round %d: n = %d after reset", round, s.n)
		}
	}
}

// TestStrSetPacking: strings that differ in one byte only, at every
// position and length around the packing limit, are told apart, and each
// gives them back byte for byte.
func TestStrSetPacking(t *testing.T) {
	var s strSet
	want := map[string]bool{}
	for n := 0; n <= 20; n++ {
		base := []byte(strings.Repeat("\x00", n))
		for pos := 0; pos < n; pos++ {
			for _, c := range []byte{0, 1, 0x80, 0xFF} {
				k := append([]byte(nil), base...)
				k[pos] = c
				if got := s.add(string(k)); got != !want[string(k)] {
					t.Fatalf("add(%q) = %v, want %v", k, got, !want[string(k)])
				}
				want[string(k)] = true
			}
		}
		if got := s.add(string(base)); got != !want[string(base)] {
			t.Fatalf("add(%q) = %v, want %v", base, got, !want[string(base)])
		}
		want[string(base)] = true
	}
	got := map[string]bool{}
	s.each(func(k string) { got[k] = true })
	if len(got) != len(want) || int(s.n) != len(want) {
		t.Fatalf("each gave %d strings, n = %d, want %d", len(got), s.n, len(want))
	}
	for k := range want {
		if !got[k] {
			t.Errorf("each lost %q", k)
		}
	}
}

// TestStrSetMerge: merging one set into another, short and long strings
// alike, leaves the union, and counts each string once.
func TestStrSetMerge(t *testing.T) {
	var a, b strSet
	want := map[string]bool{}
	for i := range 3000 {
		k := fmt.Sprint("Port", i)
		if i%3 == 0 {
			k = fmt.Sprintf("a-rather-long-device-name-%d", i)
		}
		if i < 2000 {
			a.add(k)
		}
		if i >= 1000 {
			b.add(k)
		}
		want[k] = true
	}
	a.mergeFrom(&b, nil, nil, nil)
	if int(a.n) != len(want) {
		t.Fatalf("n = %d after the merge, want %d", a.n, len(want))
	}
	for k := range want {
		if _, found := a.slot(k, false); !found {
			t.Fatalf("%q missing after the merge", k)
		}
	}
}
