package engine

import (
	"bytes"
	"encoding/gob"
	"slices"
	"strings"
	"testing"

	"brook/sql"
	"brook/value"
)

// exactSchema is the table of the tests of this file: a group key k, a
// BIGINT v, a DOUBLE x and a VARCHAR s.
var exactSchema = catalog{
	{Name: "k", Type: value.String}, {Name: "v", Type: value.Int},
	{Name: "x", Type: value.Float}, {Name: "s", Type: value.String},
}

// everyCut calls fn with every way of cutting n rows into consecutive
// non-empty batches, as the batches' lengths.
func everyCut(n int, fn func(lens []int)) {
	for mask := 0; mask < 1<<(n-1); mask++ { // bit i: a cut after row i
		var lens []int
		last := 0
		for i := 0; i < n-1; i++ {
			if mask&(1<<i) != 0 {
				lens = append(lens, i+1-last)
				last = i + 1
			}
		}
		lens = append(lens, n-last)
		fn(lens)
	}
}

// sortedLines renders rows one per line, sorted.
func sortedLines(rows [][]value.Value) string {
	lines := strings.Split(strings.TrimSuffix(render(rows), "\n"), "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}

// unsignZeros turns the cells -0.0 of rendered rows into 0.0.
func unsignZeros(text string) string {
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		cells := strings.Split(line, " | ")
		for j, c := range cells {
			if c == "-0.0" {
				cells[j] = "0.0"
			}
		}
		lines[i] = strings.Join(cells, " | ")
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// requireEveryCut runs query over lines cut into batches in every possible
// way, in complete mode (so that every batch's result is computed, and any
// error on the way surfaces), three ways: Add, pre-aggregating each batch
// in Partials (one per row) merged in order, and Add with the state
// checkpointed (Snapshot, gob, Restore into a new query) after every batch.
// The final result must be want (rows sorted) every time.
func requireEveryCut(t *testing.T, query string, lines []string, want string) {
	t.Helper()
	p, err := sql.Build(query, exactSchema)
	if err != nil {
		t.Fatal(err)
	}
	everyCut(len(lines), func(lens []int) {
		for _, how := range []string{"add", "partials", "checkpoints"} {
			q, err := New(p, Options{Mode: Complete, KeepFinal: true})
			if err != nil {
				t.Fatal(err)
			}
			if how == "partials" && q.NewPartial() == nil {
				continue
			}
			at := 0
			for _, n := range lens {
				batch := lines[at : at+n]
				at += n
				switch how {
				case "partials":
					for _, line := range batch {
						part := q.NewPartial()
						if err := part.Add(decode(t, p, line)); err != nil {
							t.Fatalf("%s, batches of %v rows, partials: %v", query, lens, err)
						}
						q.Merge(part)
					}
					_, err = q.Emit()
				default:
					_, err = q.Process(decode(t, p, batch...))
				}
				if err != nil {
					t.Fatalf("%s, batches of %v rows, %s: %v", query, lens, how, err)
				}
				if how == "checkpoints" {
					q = restored(t, p, q)
				}
			}
			rows, err := q.Final()
			if err != nil {
				t.Fatalf("%s, batches of %v rows, %s: %v", query, lens, how, err)
			}
			got, want := sortedLines(rows), want
			if how == "checkpoints" {
				// gob leaves out a field that is zero, -0 included: a
				// restored -0.0 reads back as 0.0, the same value.
				got, want = unsignZeros(got), unsignZeros(want)
			}
			if got != want {
				t.Errorf("%s, batches of %v rows, %s: got\n%swant\n%s", query, lens, how, got, want)
			}
		}
	})
}

// restored returns a new query holding q's state, taken through gob as a
// checkpoint takes it.
func restored(t *testing.T, p *sql.Plan, q *Query) *Query {
	t.Helper()
	s, err := q.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(s); err != nil {
		t.Fatal(err)
	}
	var back Snapshot
	if err := gob.NewDecoder(&buf).Decode(&back); err != nil {
		t.Fatal(err)
	}
	r, err := New(p, Options{Mode: Complete, KeepFinal: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Restore(&back); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSignedZeroAndNaNGroups: -0.0 and 0.0 are one group, one window and
// one distinct value, and so are all NaNs, as in DuckDB (which keeps the
// first value it met as the group's key), however the rows are cut into
// batches.
func TestSignedZeroAndNaNGroups(t *testing.T) {
	zeros := []string{
		`{"k": "A", "x": -0.0, "s": "-nan"}`, `{"k": "A", "x": 5.0, "s": "nan"}`,
		`{"k": "A", "x": 0.0, "s": "NaN"}`, `{"k": "B", "x": 0.0, "s": "1"}`, `{"k": "A", "x": -0.0, "s": "nan"}`,
	}
	for _, c := range []struct{ query, want string }{
		{"SELECT k, x, count(*) AS n FROM t GROUP BY k, x", "A | -0.0 | 3\nA | 5.0 | 1\nB | 0.0 | 1\n"},
		{"SELECT x, count(*) AS n FROM t GROUP BY x", "-0.0 | 4\n5.0 | 1\n"},
		{"SELECT k, count(DISTINCT x) AS n FROM t GROUP BY k", "A | 2\nB | 1\n"},
		{"SELECT count(DISTINCT x) AS n, count(DISTINCT TRY_CAST(s AS DOUBLE)) AS nans FROM t", "2 | 2\n"},
		{"SELECT TRY_CAST(s AS DOUBLE) AS d, count(*) AS n FROM t GROUP BY 1", "-nan | 4\n1.0 | 1\n"},
		{"SELECT TUMBLE(x, 10) AS w, count(*) AS n FROM t GROUP BY TUMBLE(x, 10)", "-0.0 | 5\n"},
		{"SELECT TUMBLE(x, 1) AS w, count(*) AS n FROM t GROUP BY TUMBLE(x, 1)", "-0.0 | 4\n5.0 | 1\n"},
		{"SELECT k, TUMBLE(x, 10) AS w, count(*) AS n FROM t GROUP BY k, TUMBLE(x, 10)", "A | -0.0 | 4\nB | 0.0 | 1\n"},
		{"SELECT k, HOP(x, 5, 10) AS w, count(*) AS n FROM t GROUP BY k, HOP(x, 5, 10)", "A | -0.0 | 4\nA | -5.0 | 3\nA | 5.0 | 1\nB | -5.0 | 1\nB | 0.0 | 1\n"},
	} {
		requireEveryCut(t, c.query, zeros, c.want)
	}
}
