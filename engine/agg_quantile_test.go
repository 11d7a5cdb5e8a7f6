package engine

import (
	"fmt"
	"strings"
	"testing"

	"brook/sql"
)

// TestQuantileBound: the values the exact quantiles keep are bounded per
// query; past the bound the batch fails with a message that says why and
// what to do, and a window that closes gives its values back.
func TestQuantileBound(t *testing.T) {
	defer func(n int64) { MaxQuantileValues = n }(MaxQuantileValues)
	MaxQuantileValues = 5
	var lines []string
	for i := range 8 {
		lines = append(lines, fmt.Sprintf(`{"k": "a", "v": %d, "x": %d.5, "s": "s"}`, i, i))
	}
	p, err := sql.Build("SELECT k, median(x) AS m FROM t GROUP BY k", exactSchema)
	if err != nil {
		t.Fatal(err)
	}
	q, err := New(p, Options{KeepFinal: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = q.Process(decodeLines(t, p, lines...))
	if err == nil || !strings.Contains(err.Error(), "keep every value of their groups, and this query's hold more than 5") {
		t.Fatalf("8 values kept under a bound of 5: %v", err)
	}

	// Windows of 2 rows each, closed by the watermark: never more than
	// the bound at once.
	p, err = sql.Build("SELECT TUMBLE(v, 2) AS w, median(x) AS m, quantile_disc(v, 1) AS d FROM t GROUP BY TUMBLE(v, 2)", exactSchema)
	if err != nil {
		t.Fatal(err)
	}
	q, err = New(p, Options{KeepFinal: true, Mode: Append, Watermark: true, Lateness: 0})
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range lines {
		if _, err := q.Process(decodeLines(t, p, line)); err != nil {
			t.Fatalf("windowed: %v", err)
		}
	}
	if _, err := q.Close(); err != nil {
		t.Fatal(err)
	}
	rows, err := q.Final()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sortedLines(rows), "0.0 | 1.0 | 1\n2.0 | 3.0 | 3\n4.0 | 5.0 | 5\n6.0 | 7.0 | 7\n"; got != want {
		t.Errorf("windowed medians:\n%s\nwant\n%s", got, want)
	}
}
