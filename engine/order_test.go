package engine

import (
	"testing"
)

// TestPlainOrderAcrossBatches: a plain query with ORDER BY and no LIMIT
// emits each batch's rows in order, and its final result is in order
// across every batch, also when the state went through a snapshot
// midway, as the baseline orders it.
func TestPlainOrderAcrossBatches(t *testing.T) {
	p := plan(t, "SELECT dstport, srcdevice FROM flows ORDER BY dstport DESC, srcdevice")
	batches := [][]string{
		{`{"dstport": "3", "srcdevice": "x"}`, `{"dstport": "1", "srcdevice": "y"}`},
		{`{"dstport": "2", "srcdevice": "z"}`, `{"dstport": "0", "srcdevice": "w"}`, `{"dstport": null, "srcdevice": "n"}`},
		{`{"dstport": "2", "srcdevice": "a"}`},
	}
	want := "3 | x\n2 | a\n2 | z\n1 | y\n0 | w\nNULL | n\n"
	for restoreAt := -1; restoreAt < len(batches); restoreAt++ {
		q, err := New(p, Options{Mode: Append, KeepFinal: true})
		if err != nil {
			t.Fatal(err)
		}
		for i, lines := range batches {
			rows, err := q.Process(decodeLines(t, p, lines...))
			if err != nil {
				t.Fatal(err)
			}
			if i == 1 {
				if got := render(rows); got != "2 | z\n0 | w\nNULL | n\n" {
					t.Errorf("batch 1 emitted\n%s", got)
				}
			}
			if i == restoreAt {
				s, err := q.Snapshot()
				if err != nil {
					t.Fatal(err)
				}
				if q, err = New(p, Options{Mode: Append, KeepFinal: true}); err != nil {
					t.Fatal(err)
				}
				if err := q.Restore(s); err != nil {
					t.Fatal(err)
				}
			}
		}
		final, err := q.Final()
		if err != nil {
			t.Fatal(err)
		}
		if got := render(final); got != want {
			t.Errorf("restored after batch %d: final result\n%swant\n%s", restoreAt, got, want)
		}
	}
}
