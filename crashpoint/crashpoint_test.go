package crashpoint

import "testing"

func TestHitCountsTheNamedPoint(t *testing.T) {
	crashed := 0
	crash = func() { crashed++ }
	defer arm("")
	for _, tc := range []struct {
		env  string
		hits []string
		want int
	}{
		{"", []string{"a", "a"}, 0},
		{"a", []string{"b", "a"}, 1},
		{"a:3", []string{"a", "a", "b"}, 0},
		{"a:3", []string{"a", "a", "a", "a"}, 1},
		{"a:0", []string{"a"}, 0},
		{"a:x", []string{"a"}, 0},
	} {
		arm(tc.env)
		crashed = 0
		for _, h := range tc.hits {
			Hit(h)
		}
		if crashed != tc.want {
			t.Errorf("BROOK_CRASH_AT=%q, hits %v: crashed %d times, want %d", tc.env, tc.hits, crashed, tc.want)
		}
	}
}
