package stream

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"brook/engine"
	"brook/ingest"
	"brook/sql"
	"brook/value"
)

// TestSplit: shares cover the chunks' bytes in order, cut only after a
// newline, with the right first line numbers.
func TestSplit(t *testing.T) {
	var chunks []ingest.Chunk
	var total int64
	for c := 0; c < 3; c++ {
		var b bytes.Buffer
		for i := 1; i <= 5000+c*777; i++ {
			fmt.Fprintf(&b, "{\"file\": %d, \"line\": %d}\n", c, i)
		}
		chunks = append(chunks, ingest.Chunk{Name: fmt.Sprint("f", c), FirstLine: 1, Data: b.Bytes()})
		total += int64(b.Len())
	}
	for _, n := range []int{1, 2, 3, 7} {
		shares := split(chunks, n, total)
		var joined [3]bytes.Buffer
		for _, share := range shares {
			for _, c := range share {
				if len(c.Data) == 0 || c.Data[len(c.Data)-1] != '\n' {
					t.Fatalf("n=%d: a share of %s does not end at a line end", n, c.Name)
				}
				first := strings.SplitN(string(c.Data), "\n", 2)[0]
				if want := fmt.Sprintf("\"line\": %d}", c.FirstLine); !strings.HasSuffix(first, want) {
					t.Fatalf("n=%d: share of %s starts with %q, FirstLine %d", n, c.Name, first, c.FirstLine)
				}
				idx := int(c.Name[1] - '0')
				joined[idx].Write(c.Data)
			}
		}
		for i, c := range chunks {
			if !bytes.Equal(joined[i].Bytes(), c.Data) {
				t.Fatalf("n=%d: chunk %d not reassembled in order", n, i)
			}
		}
	}
}

type fixedCatalog value.Schema

func (c fixedCatalog) Schema(string) (value.Schema, error) { return value.Schema(c), nil }
func (c fixedCatalog) Tables() []string                    { return []string{"t"} }

func planFor(t testing.TB, query string, schema value.Schema) *sql.Plan {
	t.Helper()
	p, err := sql.Build(query, fixedCatalog(schema))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRunRejectsInOrder: with lines decoded in parallel, rejects still come
// out in input order with their file:line, and every good line counts.
func TestRunRejectsInOrder(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := 1; i <= 20000; i++ {
		if i%5000 == 0 {
			b.WriteString("{broken\n")
			continue
		}
		fmt.Fprintf(&b, "{\"v\": %d}\n", i)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.json"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	p := planFor(t, "SELECT count(*) AS n, sum(v) AS s FROM t", value.Schema{{Name: "v", Type: value.Int}})
	q, _ := engine.New(p, engine.Options{})
	src, _ := ingest.OpenDir(ingest.DirOptions{Path: dir})
	var rejects []ingest.Reject
	var last [][]value.Value
	sum, err := Run(context.Background(), q, src, Options{OnError: Skip}, func(b Batch) error {
		rejects = append(rejects, b.Rejects...)
		last = b.Rows
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.RowsIn != 19996 || sum.Rejected != 4 || len(rejects) != 4 {
		t.Fatalf("rows in %d, rejected %d (%v)", sum.RowsIn, sum.Rejected, rejects)
	}
	for i, r := range rejects {
		if r.Line != (i+1)*5000 || !strings.HasSuffix(r.Source, "a.json") {
			t.Errorf("reject %d at %s:%d, want line %d", i, r.Source, r.Line, (i+1)*5000)
		}
	}
	want := int64(20000*20001/2 - (5000 + 10000 + 15000 + 20000))
	if last[0][0].I != 19996 || last[0][1].I != want {
		t.Errorf("result %v, want 19996 rows summing to %d", last[0], want)
	}
}

// TestIdleTimeoutClosesWindows: a followed directory that goes quiet closes
// its open windows after the idle timeout, emitting them in append mode,
// without waiting for more input.
func TestIdleTimeoutClosesWindows(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.json"), []byte("{\"t\": 1.0}\n{\"t\": 2.0}\n{\"t\": 15.0}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := planFor(t, "SELECT TUMBLE(t, 10) AS w, count(*) AS n FROM t GROUP BY TUMBLE(t, 10)", value.Schema{{Name: "t", Type: value.Float}})
	q, err := engine.New(p, engine.Options{Mode: engine.Append, Watermark: true, Lateness: 100})
	if err != nil {
		t.Fatal(err)
	}
	src, _ := ingest.OpenDir(ingest.DirOptions{Path: dir, Follow: true, Poll: 5 * time.Millisecond, Settle: time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var emitted []string
	_, err = Run(ctx, q, src, Options{IdleTimeout: 200 * time.Millisecond}, func(b Batch) error {
		for _, r := range b.Rows {
			emitted = append(emitted, fmt.Sprintf("%s:%s closing=%v", r[0].Format(), r[1].Format(), b.Closing))
		}
		if b.Closing {
			cancel() // the idle flush happened: stop following
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The watermark (15 - 100) closed nothing; the idle timeout closed both.
	want := []string{"0.0:2 closing=true", "10.0:1 closing=true"}
	if strings.Join(emitted, ", ") != strings.Join(want, ", ") {
		t.Errorf("emitted %v, want %v", emitted, want)
	}
	if ctx.Err() == context.DeadlineExceeded {
		t.Error("the idle timeout never fired")
	}
}

// TestRunPushedDownFilter: the decoders apply WHERE to the rows they decode;
// the rows they leave out still count as read, the result is the engine's,
// and a WHERE that fails on a row still stops the run with the engine's
// error.
func TestRunPushedDownFilter(t *testing.T) {
	dir := t.TempDir()
	var lines strings.Builder
	for i := range 200_000 { // large enough to be split across decoders
		fmt.Fprintf(&lines, "{\"p\": \"%d\", \"v\": %d}\n", i%7, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.json"), []byte(lines.String()+"{\"p\": \"x\", \"v\": 1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	schema := value.Schema{{Name: "p", Type: value.String}, {Name: "v", Type: value.Int}}
	run := func(query string) (*Summary, [][]value.Value, error) {
		q, err := engine.New(planFor(t, query, schema), engine.Options{})
		if err != nil {
			t.Fatal(err)
		}
		src, err := ingest.OpenDir(ingest.DirOptions{Path: dir})
		if err != nil {
			t.Fatal(err)
		}
		var last [][]value.Value
		sum, err := Run(context.Background(), q, src, Options{}, func(b Batch) error {
			if len(b.Rows) > 0 {
				last = b.Rows
			}
			return nil
		})
		return sum, last, err
	}
	sum, rows, err := run("SELECT count(*) AS n, sum(v) AS s FROM t WHERE p IN (3, 5)")
	if err != nil {
		t.Fatal(err)
	}
	var n, s int64
	for i := range 200_000 {
		if i%7 == 3 || i%7 == 5 {
			n, s = n+1, s+int64(i)
		}
	}
	if sum.RowsIn != 200_001 {
		t.Errorf("rows in = %d, want every row read, 200001", sum.RowsIn)
	}
	if len(rows) != 1 || rows[0][0].I != n || rows[0][1].I != s {
		t.Errorf("result %v, want n=%d s=%d", rows, n, s)
	}
	if _, _, err := run("SELECT count(*) AS n FROM t WHERE CAST(p AS INTEGER) > 100"); err == nil || !strings.Contains(err.Error(), "cannot convert 'x' to BIGINT") {
		t.Errorf("a WHERE failing on the last row: %v, want the cast error", err)
	}
}

// TestRunPreAggregatedError: a WHERE that fails early in a large file stops
// the run with the error, however the decoders had cut the file.
func TestRunPreAggregatedError(t *testing.T) {
	dir := t.TempDir()
	var lines strings.Builder
	for i := range 100_003 {
		p := fmt.Sprint(i % 7)
		if i == 10 {
			p = "x"
		}
		fmt.Fprintf(&lines, "{\"p\": \"%s\", \"v\": %d}\n", p, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.json"), []byte(lines.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	schema := value.Schema{{Name: "p", Type: value.String}, {Name: "v", Type: value.Int}}
	q, err := engine.New(planFor(t, "SELECT p, count(*) AS n FROM t WHERE CAST(p AS INTEGER) >= 0 GROUP BY p", schema), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !q.PreAggregates() {
		t.Fatal("the query is not pre-aggregated")
	}
	src, err := ingest.OpenDir(ingest.DirOptions{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), q, src, Options{}, func(Batch) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "cannot convert 'x' to BIGINT") {
		t.Errorf("run: %v, want the cast error", err)
	}
}

// TestRunPreAggregationStops: when pre-aggregation stops paying (a group
// per few rows), the batches after it, decoded into memory readied in the
// background, give the same result as rows counted one by one, for files
// of every size.
func TestRunPreAggregationStops(t *testing.T) {
	dir := t.TempDir()
	type agg struct {
		n    int
		vals map[string]bool
	}
	want := map[string]*agg{}
	row := 0
	for f, rows := range []int{9000, 12000, 3000, 20000, 500, 15000, 7000} {
		var lines strings.Builder
		for range rows {
			k, v := fmt.Sprintf("device%05d", (row*7919)%30011), fmt.Sprintf("peer%d", row%17)
			if row%1000 == 999 {
				v = "a peer with a name longer than fifteen bytes"
			}
			fmt.Fprintf(&lines, "{\"k\": %q, \"v\": %q}\n", k, v)
			if want[k] == nil {
				want[k] = &agg{vals: map[string]bool{}}
			}
			want[k].n++
			want[k].vals[v] = true
			row++
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%02d.json", f)), []byte(lines.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	schema := value.Schema{{Name: "k", Type: value.String}, {Name: "v", Type: value.String}}
	q, err := engine.New(planFor(t, "SELECT k, count(*) AS n, count(DISTINCT v) AS d FROM t GROUP BY k", schema), engine.Options{Mode: engine.Complete})
	if err != nil {
		t.Fatal(err)
	}
	// Files handed over one per 20 ms, as in a live stream: the decoders
	// are idle when pre-aggregation stops, and ready the memory then.
	src, err := ingest.OpenDir(ingest.DirOptions{Path: dir, Trigger: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var last [][]value.Value
	if _, err := Run(context.Background(), q, src, Options{}, func(b Batch) error { last = b.Rows; return nil }); err != nil {
		t.Fatal(err)
	}
	if q.PreAggregates() {
		t.Fatal("pre-aggregation did not stop: the test covers nothing")
	}
	if len(last) != len(want) {
		t.Fatalf("%d groups, want %d", len(last), len(want))
	}
	for _, r := range last {
		w := want[r[0].S]
		if w == nil || r[1].I != int64(w.n) || r[2].I != int64(len(w.vals)) {
			t.Fatalf("group %v, want %+v", r, w)
		}
	}
}

// TestRunPlainRowsKept: the rows a plain query emits stay as they were
// after later batches were read into the same reused buffers, also the
// strings a decoder had to unescape; a reader may keep them.
func TestRunPlainRowsKept(t *testing.T) {
	dir := t.TempDir()
	var want []string
	for f := range 6 {
		var lines strings.Builder
		for i := range 3000 {
			p := fmt.Sprintf("f%d-row%04d", f, i)
			if i%10 == 0 {
				p += `\t` // an escape: copied by the decoder
			}
			fmt.Fprintf(&lines, "{\"p\": \"%s\", \"v\": %d}\n", p, i)
			if i%3 == 0 {
				want = append(want, strings.ReplaceAll(p, `\t`, "\t"))
			}
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.json", f)), []byte(lines.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	schema := value.Schema{{Name: "p", Type: value.String}, {Name: "v", Type: value.Int}}
	q, err := engine.New(planFor(t, "SELECT p FROM t WHERE v % 3 = 0", schema), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !q.Detached() {
		t.Fatal("a plain query's rows are not detached: its buffers are never reused")
	}
	src, err := ingest.OpenDir(ingest.DirOptions{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	var kept [][]value.Value
	if _, err := Run(context.Background(), q, src, Options{}, func(b Batch) error {
		kept = append(kept, b.Rows...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(kept) != len(want) {
		t.Fatalf("%d rows, want %d", len(kept), len(want))
	}
	for i, r := range kept {
		if r[0].S != want[i] {
			t.Fatalf("row %d is %q, want %q: rows emitted earlier changed", i, r[0].S, want[i])
		}
	}
}
