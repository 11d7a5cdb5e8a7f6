package engine

import (
	"slices"
	"strings"
	"testing"

	"brook/decode"
	"brook/sql"
	"brook/value"
)

// TestEmittedRowsStayTrue feeds generated flows batch by batch (300
// devices, 150 rows a batch: a device's group is touched in some batches
// and not in others) and checks, for queries whose groups change order,
// cross LIMIT boundaries and come and go under HAVING:
//
//   - complete mode: every batch's emission, and Final after it, is the
//     result of a one-shot run over the rows so far; the rows emitted (and
//     returned by Final) at each batch read the same after the last batch
//     (a row kept by a group no later batch touched is the same row, and a
//     changed group never rewrites a row a reader holds);
//   - update mode (queries without LIMIT): every row emitted is its key's
//     row in the one-shot result so far, and every key whose row the
//     batch changed (or that newly appeared) is emitted.
func TestEmittedRowsStayTrue(t *testing.T) {
	chunks := genChunks(10, 150)
	queries := []string{
		"SELECT srcdevice, count(DISTINCT dstdevice) AS peers, count(DISTINCT dstport) AS ports, count(*) AS flows FROM flows GROUP BY srcdevice",
		"SELECT srcdevice, count(*) AS n, sum(dstbytes) AS b FROM flows GROUP BY srcdevice HAVING count(*) % 2 = 0",
		"SELECT srcdevice, count(*) AS n, max(dstbytes) AS b FROM flows GROUP BY srcdevice ORDER BY n DESC, srcdevice",
		"SELECT srcdevice, count(*) AS n FROM flows GROUP BY srcdevice HAVING count(*) % 3 <> 0 ORDER BY n DESC, srcdevice LIMIT 8",
		"SELECT dstport, count(*) AS n, min(srcdevice) AS first FROM flows GROUP BY dstport ORDER BY n, dstport LIMIT 5 OFFSET 3",
	}
	touchedAgain := 0 // groups touched in batch i and i+2 but not i+1
	for _, query := range queries {
		p := plan(t, query)
		keyOf := func(r []value.Value) string {
			var k []string
			for _, c := range p.KeyColumns {
				k = append(k, r[c].Format())
			}
			return strings.Join(k, "\x00")
		}
		complete, err := New(p, Options{Mode: Complete, KeepFinal: true})
		if err != nil {
			t.Fatal(err)
		}
		update, err := New(p, Options{Mode: Update})
		if err != nil {
			t.Fatal(err)
		}
		decC, decU := decode.NewDecoder(p.ColumnSchema()), decode.NewDecoder(p.ColumnSchema())
		var kept [][][]value.Value // each batch's emitted rows, then its Final
		var keptText []string
		prevOneShot := map[string]string{}
		var seen [][]string // keys each batch emitted in update mode
		for i := range chunks {
			var bc, bu decode.Batch
			bc.Reset(len(p.Columns))
			bu.Reset(len(p.Columns))
			decC.Decode(chunks[i:i+1], &bc)
			decU.Decode(chunks[i:i+1], &bu)
			want := runBatches(t, p, chunks[:i+1], i+1)

			rows, err := complete.Process(&bc)
			if err != nil {
				t.Fatal(err)
			}
			if got := render(rows); got != want {
				t.Fatalf("%s\ncomplete, batch %d:\n%s\none-shot:\n%s", query, i, got, want)
			}
			kept, keptText = append(kept, slices.Clone(rows)), append(keptText, want)
			final, err := complete.Final()
			if err != nil {
				t.Fatal(err)
			}
			if got := render(final); got != want {
				t.Fatalf("%s\nFinal after batch %d:\n%s\none-shot:\n%s", query, i, got, want)
			}
			kept, keptText = append(kept, final), append(keptText, want)

			if p.Limit >= 0 {
				continue
			}
			// update mode: the rows emitted are current, and every change is emitted
			oneShot := map[string]string{}
			for _, line := range strings.Split(strings.TrimSuffix(runBatchesAll(t, p, chunks[:i+1]), "\n"), "\n") {
				if line != "" {
					oneShot[line[:strings.Index(line, "\x01")]] = line
				}
			}
			urows, err := update.Process(&bu)
			if err != nil {
				t.Fatal(err)
			}
			emitted := map[string]bool{}
			var keys []string
			for _, r := range urows {
				k := keyOf(r)
				emitted[k] = true
				keys = append(keys, k)
				if line := k + "\x01" + strings.TrimSuffix(render([][]value.Value{r}), "\n"); oneShot[k] != line {
					t.Fatalf("%s\nupdate, batch %d: emitted %q, the one-shot row is %q", query, i, line, oneShot[k])
				}
			}
			for k, line := range oneShot {
				if prevOneShot[k] != line && !emitted[k] {
					t.Fatalf("%s\nupdate, batch %d: %q changed (was %q) but was not emitted", query, i, line, prevOneShot[k])
				}
			}
			prevOneShot = oneShot
			seen = append(seen, keys)
		}
		for j := range kept {
			if got := render(kept[j]); got != keptText[j] {
				t.Fatalf("%s\nrows returned at step %d changed by the batches after:\n%s\nwere:\n%s", query, j, got, keptText[j])
			}
		}
		for i := 0; i+2 < len(seen); i++ {
			for _, k := range seen[i] {
				if slices.Contains(seen[i+2], k) && !slices.Contains(seen[i+1], k) {
					touchedAgain++
				}
			}
		}
	}
	if touchedAgain == 0 {
		t.Fatal("no group was changed in a batch, left alone in the next and changed again after: the data does not test that")
	}
}

// runBatchesAll is the one-shot result over the rows of chunks, every
// group passing HAVING (LIMIT and OFFSET dropped), one line per group led
// by its key and \x01: what update mode's rows are checked against.
func runBatchesAll(t *testing.T, p0 *sql.Plan, chunks []decode.Chunk) string {
	t.Helper()
	p := *p0
	p.Limit, p.Offset = -1, 0
	q, err := New(&p, Options{Mode: Complete, KeepFinal: true})
	if err != nil {
		t.Fatal(err)
	}
	var b decode.Batch
	b.Reset(len(p.Columns))
	if rejects, _ := decode.NewDecoder(p.ColumnSchema()).Decode(chunks, &b); len(rejects) > 0 {
		t.Fatal(rejects[0])
	}
	if _, err := q.Process(&b); err != nil {
		t.Fatal(err)
	}
	rows, err := q.Final()
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, r := range rows {
		var k []string
		for _, c := range p.KeyColumns {
			k = append(k, r[c].Format())
		}
		out.WriteString(strings.Join(k, "\x00") + "\x01" + render([][]value.Value{r}))
	}
	return out.String()
}
