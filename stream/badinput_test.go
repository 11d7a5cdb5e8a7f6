package stream

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"brook/diff"
	"brook/engine"
	"brook/ingest"
	"brook/value"
)

// badDir writes a directory holding every kind of bad input a file source
// meets, and returns it with the names of its files.
func badDir(t *testing.T) (string, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"a.json":    "{\"v\": 1}\n{broken\n\n{\"v\": 2}\r\n",
		"b.json.gz": "not gzip\n",
		"c.json":    "\xEF\xBB\xBF{\"v\": 3}\n{\"v\": \"x\"}\n",
		"d.json":    "{\"v\": 4}\n{\"v\": 5, \"s\": \"\xff\"}\n",
		"e.json":    "",
	}
	paths := map[string]string{}
	for name, text := range files {
		paths[name] = filepath.Join(dir, name)
		if err := os.WriteFile(paths[name], []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, paths
}

func sumQuery(t *testing.T) *engine.Query {
	t.Helper()
	q, err := engine.New(planFor(t, "SELECT count(*) AS n, sum(v) AS s FROM t", value.Schema{{Name: "v", Type: value.Int}}), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestRunOnError: fail stops at the first bad line or file, naming it;
// skip and quarantine count every one, keep going and read every good row;
// quarantine writes each to the dead letter file.
func TestRunOnError(t *testing.T) {
	dir, paths := badDir(t)
	run := func(opts Options) (*Summary, []Batch, error) {
		src, err := ingest.OpenDir(ingest.DirOptions{Path: dir})
		if err != nil {
			t.Fatal(err)
		}
		q := sumQuery(t)
		var batches []Batch
		sum, err := Run(context.Background(), q, src, opts, func(b Batch) error {
			b.Rows = nil
			batches = append(batches, b)
			return nil
		})
		if err == nil {
			rows, _ := q.Final()
			if got := rows[0][0].Format() + " " + rows[0][1].Format(); got != "5 15" {
				t.Errorf("%s: result %s, want 5 rows summing to 15", opts.OnError, got)
			}
		}
		return sum, batches, err
	}

	_, _, err := run(Options{OnError: Fail})
	if err == nil || err.Error() != paths["a.json"]+":2: malformed JSON: expected a quoted key (use --on-error skip or quarantine to count such lines and go on)" {
		t.Errorf("fail: error %v", err)
	}

	var dead bytes.Buffer
	for _, policy := range []OnError{Skip, Quarantine} {
		sum, batches, err := run(Options{OnError: policy, DeadLetter: &dead})
		if err != nil {
			t.Fatalf("%s: %v", policy, err)
		}
		if sum.RowsIn != 5 || sum.Rejected != 3 || sum.Blank != 1 || !reflect.DeepEqual(sum.Skipped, []string{paths["b.json.gz"]}) {
			t.Errorf("%s: rows in %d, rejected %d, blank %d, skipped %v; want 5, 3, 1, [b.json.gz]", policy, sum.RowsIn, sum.Rejected, sum.Blank, sum.Skipped)
		}
		want := []diff.RejectReason{
			{Reason: "malformed JSON", Count: 1, Example: paths["a.json"] + ":2: malformed JSON: expected a quoted key"},
			{Reason: "corrupt .gz file", Count: 1, Example: paths["b.json.gz"] + ": corrupt gzip file: unexpected EOF"},
			{Reason: `field "v": wrong type`, Count: 1, Example: paths["c.json"] + `:2: field "v": cannot convert "x" to BIGINT`},
		}
		if !reflect.DeepEqual(sum.Reasons, want) {
			t.Errorf("%s: reasons %+v\nwant %+v", policy, sum.Reasons, want)
		}
		// Per batch: a.json (1 reject, 1 blank), then c.json with the
		// corrupt file before it (2), d.json, e.json.
		var perBatch []int
		for _, b := range batches {
			perBatch = append(perBatch, len(b.Rejects))
		}
		if !reflect.DeepEqual(perBatch, []int{1, 2, 0, 0}) || batches[0].Blank != 1 {
			t.Errorf("%s: rejects per batch %v (blank %d), want [1 2 0 0] and 1 blank line in batch 0", policy, perBatch, batches[0].Blank)
		}
	}
	type record struct {
		File   string `json:"file"`
		Line   int    `json:"line"`
		Reason string `json:"reason"`
		Raw    string `json:"raw"`
		Batch  int64  `json:"batch"`
	}
	var got []record
	for _, line := range strings.Split(strings.TrimSpace(dead.String()), "\n") {
		var r record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("dead letter line %q: %v", line, err)
		}
		got = append(got, r)
	}
	want := []record{
		{paths["a.json"], 2, "malformed JSON: expected a quoted key", "{broken", 0},
		{paths["b.json.gz"], 0, "corrupt gzip file: unexpected EOF", "", 1},
		{paths["c.json"], 2, `field "v": cannot convert "x" to BIGINT`, `{"v": "x"}`, 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("dead letter (written by quarantine only):\n%+v\nwant\n%+v", got, want)
	}

	// Fail names a corrupt file too.
	gzDir := t.TempDir()
	bad := filepath.Join(gzDir, "x.json.gz")
	os.WriteFile(bad, []byte("not gzip at all, longer\n"), 0o644)
	src, _ := ingest.OpenDir(ingest.DirOptions{Path: gzDir})
	_, err = Run(context.Background(), sumQuery(t), src, Options{}, func(Batch) error { return nil })
	if err == nil || err.Error() != bad+": corrupt gzip file: gzip: invalid header (use --on-error skip or quarantine to count such files and go on)" {
		t.Errorf("fail on a corrupt file: %v", err)
	}
}

// TestRunQuarantineRaw: a line that is not UTF-8 keeps its exact bytes in
// raw_base64; an over-long line keeps its start and says so.
func TestRunQuarantineRaw(t *testing.T) {
	dir := t.TempDir()
	long := `{"v": "` + strings.Repeat("z", 2*ingest.MaxRawKept) + `"}`
	os.WriteFile(filepath.Join(dir, "a.json"), []byte("{\"v\": \"\xff\"}\n"+long+"\n{\"v\": 1}\n"), 0o644)
	src, _ := ingest.OpenDir(ingest.DirOptions{Path: dir})
	q, _ := engine.New(planFor(t, "SELECT count(*) AS n FROM t WHERE v IS NOT NULL", value.Schema{{Name: "v", Type: value.String}}), engine.Options{})
	var dead bytes.Buffer
	sum, err := Run(context.Background(), q, src, Options{OnError: Quarantine, DeadLetter: &dead, MaxLineBytes: 1000}, func(Batch) error { return nil })
	if err != nil || sum.RowsIn != 1 || sum.Rejected != 2 {
		t.Fatalf("sum %+v, err %v", sum, err)
	}
	var recs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(dead.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, m)
	}
	if recs[0]["raw_base64"] != "eyJ2IjogIv8ifQ==" || recs[0]["reason"] != `field "v": invalid UTF-8` {
		t.Errorf("invalid UTF-8 record: %v", recs[0])
	}
	if recs[1]["raw_truncated"] != true || recs[1]["raw"] != long[:ingest.MaxRawKept] || recs[1]["reason"] != "line longer than 1000 bytes (--max-line-bytes)" {
		t.Errorf("over-long record: %.200v", recs[1])
	}
}

// TestRunCleanCopies: with a CleanDir, files with rejected lines, a byte
// order mark or invalid UTF-8 in unread fields are copied with the accepted
// lines only, and BaselineFiles names the copies.
func TestRunCleanCopies(t *testing.T) {
	dir, paths := badDir(t)
	clean := t.TempDir()
	src, _ := ingest.OpenDir(ingest.DirOptions{Path: dir, FilesPerBatch: 2})
	sum, err := Run(context.Background(), sumQuery(t), src, Options{OnError: Skip, CleanDir: clean}, func(Batch) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if sum.LeftOut != 2 || sum.Repaired != 1 || len(sum.Cleaned) != 3 {
		t.Fatalf("left out %d, repaired %d, cleaned %v", sum.LeftOut, sum.Repaired, sum.Cleaned)
	}
	want := map[string]string{
		"a.json": "{\"v\": 1}\n\n{\"v\": 2}\r\n",
		"c.json": "{\"v\": 3}\n",
		"d.json": "{\"v\": 4}\n{\"v\": 5, \"s\": \"\uFFFD\"}\n",
	}
	for name, text := range want {
		c, ok := sum.Cleaned[paths[name]]
		if !ok {
			t.Errorf("%s not cleaned", name)
			continue
		}
		if got, _ := os.ReadFile(c); string(got) != text {
			t.Errorf("cleaned %s = %q, want %q", name, got, text)
		}
	}
	var files []string
	for _, f := range sum.BaselineFiles() {
		if strings.HasPrefix(f, clean) {
			f = "clean:" + filepath.Base(f)
		} else {
			f = filepath.Base(f)
		}
		files = append(files, f)
	}
	// b.json.gz was skipped; a, c, d cleaned; e read as it is.
	if got := strings.Join(files, " "); got != "clean:clean-000000.jsonl clean:clean-000001.jsonl clean:clean-000002.jsonl e.json" {
		t.Errorf("BaselineFiles = %s", got)
	}
}

// TestRunCleanSpooled: a streaming source's rejected lines, numbered in
// the stream, are left out of the copy of the batch's spool file.
func TestRunCleanSpooled(t *testing.T) {
	in := "\xEF\xBB\xBF{\"v\": 1}\n{\"v\": oops}\n\n{\"v\": 2}\n{\"v\": 3"
	src, err := Spool(ingest.NewReaderSource("stdin", strings.NewReader(in), ingest.Options{}), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var dead bytes.Buffer
	sum, err := Run(context.Background(), sumQuery(t), src, Options{OnError: Quarantine, DeadLetter: &dead, CleanDir: t.TempDir()}, func(Batch) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if sum.RowsIn != 2 || sum.Rejected != 2 || sum.LeftOut != 2 || len(sum.Files) == 0 {
		t.Fatalf("rows in %d, rejected %d, left out %d, files %v", sum.RowsIn, sum.Rejected, sum.LeftOut, sum.Files)
	}
	var all []byte
	for _, f := range sum.BaselineFiles() {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, data...)
	}
	if string(all) != "{\"v\": 1}\n\n{\"v\": 2}\n" {
		t.Errorf("the baseline's input = %q", all)
	}
	if !strings.Contains(dead.String(), `"file":"stdin","line":2,`) || !strings.Contains(dead.String(), `"file":"stdin","line":5,`) {
		t.Errorf("dead letter = %s", dead.String())
	}
}

// TestRunMaxGroups: a query whose state outgrows MaxGroups stops with an
// error naming the limit; one within it runs.
func TestRunMaxGroups(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := 0; i < 100; i++ {
		b.WriteString("{\"k\": \"key" + strings.Repeat("x", i%10) + string(rune('a'+i/10)) + "\"}\n")
	}
	os.WriteFile(filepath.Join(dir, "a.json"), []byte(b.String()), 0o644)
	p := planFor(t, "SELECT k, count(*) AS n FROM t GROUP BY k", value.Schema{{Name: "k", Type: value.String}})
	for _, c := range []struct {
		limit int
		err   string
	}{
		{0, ""}, {100, ""},
		{99, "the query's state holds 100 groups, more than --max-groups 99 allows"},
	} {
		q, _ := engine.New(p, engine.Options{})
		src, _ := ingest.OpenDir(ingest.DirOptions{Path: dir})
		_, err := Run(context.Background(), q, src, Options{MaxGroups: c.limit}, func(Batch) error { return nil })
		if (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("MaxGroups %d: error %v, want %q", c.limit, err, c.err)
		}
	}
}

func TestParseOnError(t *testing.T) {
	for _, s := range []string{"fail", "skip", "quarantine"} {
		if p, err := ParseOnError(s); err != nil || p.String() != s {
			t.Errorf("ParseOnError(%s) = %v, %v", s, p, err)
		}
	}
	if _, err := ParseOnError("ignore"); err == nil || !strings.Contains(err.Error(), "want fail, skip or quarantine") {
		t.Errorf("ParseOnError(ignore) error %v", err)
	}
}
