package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"brook/value"
)

func writeFile(t testing.TB, name, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t testing.TB, name, text string) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func gzipBytes(t testing.TB, texts ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, text := range texts { // one gzip member each
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write([]byte(text)); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func writeGzip(t testing.TB, name string, texts ...string) {
	t.Helper()
	writeFile(t, name, string(gzipBytes(t, texts...)))
}

func openDir(t *testing.T, opts DirOptions) *DirSource {
	t.Helper()
	src, err := OpenDir(opts)
	if err != nil {
		t.Fatalf("OpenDir(%+v): %v", opts, err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// nextWithin calls Next with a context that ends after d.
func nextWithin(src *DirSource, d time.Duration) (*RawBatch, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return src.Next(ctx)
}

// wantBatch checks that b holds exactly the named files with the given
// contents.
func wantBatch(t *testing.T, b *RawBatch, err error, files []string, contents []string) {
	t.Helper()
	if err != nil {
		t.Fatalf("Next: %v, want %v", err, files)
	}
	if !reflect.DeepEqual(b.Files, files) {
		t.Fatalf("batch files = %v, want %v", b.Files, files)
	}
	if len(b.Chunks) != len(files) {
		t.Fatalf("batch has %d chunks for %d files", len(b.Chunks), len(files))
	}
	var total int64
	for i, c := range b.Chunks {
		if c.Name != files[i] || c.FirstLine != 1 || string(c.Data) != contents[i] {
			t.Errorf("chunk %d = {%s %d %q}, want {%s 1 %q}", i, c.Name, c.FirstLine, c.Data, files[i], contents[i])
		}
		total += int64(len(contents[i]))
	}
	if b.Bytes != total {
		t.Errorf("batch Bytes = %d, want %d", b.Bytes, total)
	}
}

func wantEnd(t *testing.T, src *DirSource) {
	t.Helper()
	for range 2 {
		if b, err := src.Next(context.Background()); !errors.Is(err, ErrEndOfInput) {
			t.Fatalf("Next = %v, %v; want ErrEndOfInput", b, err)
		}
	}
}

func wantWaiting(t *testing.T, src *DirSource) {
	t.Helper()
	if b, err := nextWithin(src, 60*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		var files []string
		if b != nil {
			files = b.Files
		}
		t.Fatalf("Next = %v, %v; want it to wait until the context ends", files, err)
	}
}

func TestReadable(t *testing.T) {
	for name, want := range map[string]bool{
		"a.json": true, "a.ndjson": true, "a.jsonl": true,
		"a.json.gz": true, "a.ndjson.gz": true, "a.jsonl.gz": true,
		"A.JSON": true, "a.Json.GZ": true, "dir/x.json": true, "_dir/x.json": true,
		"a.txt": false, "a.gz": false, "a.json.txt": false, "a.jsonx": false, "json": false,
		"a.json.tmp": false, ".a.json": false, "_a.json": false, "dir/.a.json": false,
		"dir/_a.json.gz": false, ".a.json.gz": false, "a.json.gz.gz": false,
	} {
		if got := Readable(name); got != want {
			t.Errorf("Readable(%q) = %v, want %v", name, got, want)
		}
	}
}

// populate writes a directory of readable and unreadable files and returns
// the readable ones in name order with their (decompressed) contents.
func populate(t *testing.T, dir string) ([]string, []string) {
	plain := map[string]string{
		"b.json":   "{\"f\": \"b\"}\n",
		"a.json":   "{\"f\": \"a\"}\n{\"f\": \"a2\"}\n",
		"c.ndjson": "{\"f\": \"c\"}\n",
		"d.jsonl":  "{\"f\": \"d\"}",
		"H.JSON":   "{\"f\": \"H\"}\n",
		// never read
		"notes.txt":          "not json",
		".hidden.json":       "{\"f\": \"hidden\"}\n",
		"_partial.json":      "{\"f\": \"partial\"}\n",
		"x.json.tmp":         "{}\n",
		"x.gz":               "{}\n",
		"sub.json/in.json":   "{\"f\": \"nested dir\"}\n",
		"sub/deeper.json":    "{\"f\": \"nested dir\"}\n",
		".tmp/a.json":        "{}\n",
		"_staging/zzzz.json": "{}\n",
	}
	for name, text := range plain {
		writeFile(t, filepath.Join(dir, name), text)
	}
	writeGzip(t, filepath.Join(dir, "e.json.gz"), "{\"f\": \"e\"}\n")
	writeGzip(t, filepath.Join(dir, "f.ndjson.GZ"), "{\"f\": \"f1\"}\n", "{\"f\": \"f2\"}\n")
	names := []string{"H.JSON", "a.json", "b.json", "c.ndjson", "d.jsonl", "e.json.gz", "f.ndjson.GZ"}
	contents := []string{plain["H.JSON"], plain["a.json"], plain["b.json"], plain["c.ndjson"], plain["d.jsonl"],
		"{\"f\": \"e\"}\n", "{\"f\": \"f1\"}\n{\"f\": \"f2\"}\n"}
	for i := range names {
		names[i] = filepath.Join(dir, names[i])
	}
	return names, contents
}

func TestDirNameOrderAndFilter(t *testing.T) {
	dir := t.TempDir()
	names, contents := populate(t, dir)
	src := openDir(t, DirOptions{Path: dir})
	list, err := src.List()
	if err != nil || !reflect.DeepEqual(list, names) {
		t.Fatalf("List = %v, %v; want %v", list, err, names)
	}
	for i := range names {
		b, err := src.Next(context.Background())
		wantBatch(t, b, err, names[i:i+1], contents[i:i+1])
	}
	wantEnd(t, src)
}

func TestDirFilesPerBatch(t *testing.T) {
	dir := t.TempDir()
	names, contents := populate(t, dir)
	src := openDir(t, DirOptions{Path: dir, FilesPerBatch: 3})
	for i := 0; i < len(names); i += 3 {
		j := min(i+3, len(names))
		b, err := src.Next(context.Background())
		wantBatch(t, b, err, names[i:j], contents[i:j])
	}
	wantEnd(t, src)

	// Every chunk decodes with its own name and line numbers.
	src = openDir(t, DirOptions{Path: dir, FilesPerBatch: 100})
	b, err := src.Next(context.Background())
	wantBatch(t, b, err, names, contents)
	var batch Batch
	batch.Reset(1)
	rejects, stats := NewDecoder(schema("f", value.String)).Decode(b.Chunks, &batch)
	if len(rejects) > 0 || batch.Rows != 9 || stats.Lines != 9 {
		t.Errorf("decoded %d rows, %+v, rejects %v; want 9 rows", batch.Rows, stats, rejects)
	}
	wantEnd(t, src)
}

func TestDirGlob(t *testing.T) {
	dir := t.TempDir()
	names, contents := populate(t, dir)
	src := openDir(t, DirOptions{Path: filepath.Join(dir, "*.json"), FilesPerBatch: 10})
	b, err := src.Next(context.Background())
	wantBatch(t, b, err, names[1:3], contents[1:3]) // a.json, b.json; not H.JSON (case) nor .hidden/_partial
	wantEnd(t, src)

	src = openDir(t, DirOptions{Path: filepath.Join(dir, "*"), FilesPerBatch: 10})
	b, err = src.Next(context.Background())
	wantBatch(t, b, err, names, contents) // not notes.txt, .hidden.json, _partial.json, x.gz
	wantEnd(t, src)

	// A glob across directories, in path order.
	writeFile(t, filepath.Join(dir, "d2", "x.json"), "2\n")
	writeFile(t, filepath.Join(dir, "d1", "x.json"), "1\n")
	writeFile(t, filepath.Join(dir, "d1", "y.json"), "no\n")
	src = openDir(t, DirOptions{Path: filepath.Join(dir, "d?", "x.json"), FilesPerBatch: 10})
	b, err = src.Next(context.Background())
	wantBatch(t, b, err, []string{filepath.Join(dir, "d1", "x.json"), filepath.Join(dir, "d2", "x.json")}, []string{"1\n", "2\n"})
	wantEnd(t, src)

	// A glob matching nothing (yet) is an empty source, not an error.
	src = openDir(t, DirOptions{Path: filepath.Join(dir, "*.nothing.json")})
	wantEnd(t, src)
}

func TestDirSingleFile(t *testing.T) {
	dir := t.TempDir()
	names, contents := populate(t, dir)
	src := openDir(t, DirOptions{Path: names[2]})
	b, err := src.Next(context.Background())
	wantBatch(t, b, err, names[2:3], contents[2:3])
	wantEnd(t, src)

	gz := filepath.Join(dir, "e.json.gz")
	src = openDir(t, DirOptions{Path: gz})
	b, err = src.Next(context.Background())
	wantBatch(t, b, err, []string{gz}, []string{"{\"f\": \"e\"}\n"})
	wantEnd(t, src)

	// A file named explicitly is read whatever its extension.
	txt := filepath.Join(dir, "notes.txt")
	src = openDir(t, DirOptions{Path: txt})
	b, err = src.Next(context.Background())
	wantBatch(t, b, err, []string{txt}, []string{"not json"})
	wantEnd(t, src)
}

func TestDirPicksUpLaterFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "m.json"), "m\n")
	src := openDir(t, DirOptions{Path: dir})
	b, err := src.Next(context.Background())
	wantBatch(t, b, err, []string{filepath.Join(dir, "m.json")}, []string{"m\n"})
	wantEnd(t, src)

	// New files are read once, even one ordering before a file already read.
	writeFile(t, filepath.Join(dir, "z.json"), "z\n")
	writeFile(t, filepath.Join(dir, "a.json"), "a\n")
	for _, n := range []string{"a", "z"} {
		b, err := src.Next(context.Background())
		wantBatch(t, b, err, []string{filepath.Join(dir, n+".json")}, []string{n + "\n"})
	}
	wantEnd(t, src)
}

func TestDirGzipErrors(t *testing.T) {
	dir := t.TempDir()
	good := gzipBytes(t, strings.Repeat("{\"f\": \"a fairly long line to compress\"}\n", 200))
	for name, data := range map[string][]byte{
		"notgzip.json.gz":   []byte("this is not gzip data\n"),
		"truncated.json.gz": good[:len(good)/2],
		"badcrc.json.gz":    append(append([]byte{}, good[:len(good)-8]...), 0, 0, 0, 0, 0, 0, 0, 0),
		"empty.json.gz":     nil,
	} {
		path := filepath.Join(dir, name)
		writeFile(t, path, string(data))
		if _, err := ReadFile(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("ReadFile(%s) error = %v, want one naming the file", name, err)
		}
		src := openDir(t, DirOptions{Path: path})
		if _, err := src.Next(context.Background()); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("Next over %s: error = %v, want one naming the file", name, err)
		}
	}
	if _, err := ReadFile(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("ReadFile(missing) error = %v", err)
	}
}

// TestDirErrorLosesNothing: a batch that fails on one file does not mark
// the files before it as read.
func TestDirErrorLosesNothing(t *testing.T) {
	dir := t.TempDir()
	a, bad := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json.gz")
	writeFile(t, a, "a\n")
	writeFile(t, bad, "corrupt")
	src := openDir(t, DirOptions{Path: dir, FilesPerBatch: 2})
	if _, err := src.Next(context.Background()); err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("Next error = %v, want one naming %s", err, bad)
	}
	writeGzip(t, bad, "b\n")
	b, err := src.Next(context.Background())
	wantBatch(t, b, err, []string{a, bad}, []string{"a\n", "b\n"})
	wantEnd(t, src)
}

func TestOpenDirErrors(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{
		filepath.Join(dir, "missing"),
		filepath.Join(dir, "missing.json"),
		filepath.Join(dir, "missing", "*.json"), // a glob whose directory does not exist
		filepath.Join(dir, "[.json"),            // a malformed pattern
	} {
		if src, err := OpenDir(DirOptions{Path: p}); err == nil {
			t.Errorf("OpenDir(%s) = %v, want an error", p, src)
		} else if !strings.Contains(err.Error(), p) {
			t.Errorf("OpenDir(%s) error %q does not name the path", p, err)
		}
	}

	// A directory that disappears after OpenDir makes Next fail.
	sub := filepath.Join(dir, "gone")
	writeFile(t, filepath.Join(sub, "a.json"), "{}\n")
	src := openDir(t, DirOptions{Path: sub})
	if err := os.RemoveAll(sub); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Next(context.Background()); err == nil || errors.Is(err, ErrEndOfInput) || !strings.Contains(err.Error(), sub) {
		t.Errorf("Next after removal: %v, want an error naming %s", err, sub)
	}
}

func TestOpenDirDefaults(t *testing.T) {
	src := openDir(t, DirOptions{Path: t.TempDir(), FilesPerBatch: -1, Poll: -1})
	if src.opts.FilesPerBatch != 1 || src.opts.Poll != 250*time.Millisecond || src.opts.Settle != time.Second {
		t.Errorf("defaults = %+v", src.opts)
	}
}

// fakeClock is a settable clock for DirSource.clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

const testSettle = time.Minute // on the fake clock

// openFollow opens a followed source that polls every few milliseconds
// and settles on a fake clock.
func openFollow(t *testing.T, opts DirOptions) (*DirSource, *fakeClock) {
	t.Helper()
	opts.Follow = true
	opts.Poll = 5 * time.Millisecond
	opts.Settle = testSettle
	src := openDir(t, opts)
	clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	src.clock = clk.Now
	return src, clk
}

func TestDirFollowSettle(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	writeFile(t, a, "a\n")
	src, clk := openFollow(t, DirOptions{Path: dir})

	// Files present at the start settle too.
	wantWaiting(t, src)
	clk.Advance(testSettle - time.Nanosecond)
	wantWaiting(t, src)
	clk.Advance(time.Nanosecond)
	got, err := nextWithin(src, 5*time.Second)
	wantBatch(t, got, err, []string{a}, []string{"a\n"})

	// Drained: a followed source waits instead of ending.
	clk.Advance(time.Hour)
	wantWaiting(t, src)

	// A file appearing later is read once it has settled.
	writeFile(t, b, "b\n")
	wantWaiting(t, src)
	clk.Advance(testSettle / 2)
	wantWaiting(t, src)
	clk.Advance(testSettle / 2)
	got, err = nextWithin(src, 5*time.Second)
	wantBatch(t, got, err, []string{b}, []string{"b\n"})
	clk.Advance(time.Hour)
	wantWaiting(t, src)
}

func TestDirFollowGrowingFile(t *testing.T) {
	dir := t.TempDir()
	src, clk := openFollow(t, DirOptions{Path: dir})
	c := filepath.Join(dir, "c.json")
	writeFile(t, c, "{\"part\": 1}\n")
	wantWaiting(t, src)
	for i := 2; i <= 4; i++ {
		appendFile(t, c, "{\"part\": 2}\n")
		clk.Advance(testSettle) // enough time, but the size changed
		wantWaiting(t, src)
	}
	clk.Advance(testSettle - time.Nanosecond)
	wantWaiting(t, src)
	clk.Advance(time.Nanosecond)
	got, err := nextWithin(src, 5*time.Second)
	wantBatch(t, got, err, []string{c}, []string{"{\"part\": 1}\n" + strings.Repeat("{\"part\": 2}\n", 3)})

	// A rewrite of the same size shows in the modification time.
	d := filepath.Join(dir, "d.json")
	writeFile(t, d, "1\n")
	wantWaiting(t, src)
	writeFile(t, d, "2\n")
	mtime := time.Now().Add(time.Hour)
	if err := os.Chtimes(d, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	clk.Advance(testSettle)
	wantWaiting(t, src)
	clk.Advance(testSettle)
	got, err = nextWithin(src, 5*time.Second)
	wantBatch(t, got, err, []string{d}, []string{"2\n"})
}

// TestDirFollowOrder: a file still being written holds back the files after
// it, so followed files are read in name order.
func TestDirFollowOrder(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json"), filepath.Join(dir, "c.json")
	writeFile(t, a, "a\n")
	writeFile(t, b, "b\n")
	src, clk := openFollow(t, DirOptions{Path: dir})
	wantWaiting(t, src)
	appendFile(t, a, "a\n") // a is still growing when b has settled
	clk.Advance(testSettle)
	wantWaiting(t, src)
	clk.Advance(testSettle)
	got, err := nextWithin(src, 5*time.Second)
	wantBatch(t, got, err, []string{a}, []string{"a\na\n"})
	got, err = nextWithin(src, 5*time.Second)
	wantBatch(t, got, err, []string{b}, []string{"b\n"})

	// A new file ordering before c holds c back the same way.
	writeFile(t, c, "c\n")
	wantWaiting(t, src)
	clk.Advance(testSettle / 2)
	writeFile(t, filepath.Join(dir, "bb.json"), "bb\n")
	wantWaiting(t, src)
	clk.Advance(testSettle / 2) // c has settled, bb has not
	wantWaiting(t, src)
	clk.Advance(testSettle / 2)
	got, err = nextWithin(src, 5*time.Second)
	wantBatch(t, got, err, []string{filepath.Join(dir, "bb.json")}, []string{"bb\n"})
	got, err = nextWithin(src, 5*time.Second)
	wantBatch(t, got, err, []string{c}, []string{"c\n"})
}

func TestDirFollowBatchesAndRename(t *testing.T) {
	dir := t.TempDir()
	src, clk := openFollow(t, DirOptions{Path: dir, FilesPerBatch: 2})
	names := []string{filepath.Join(dir, "1.json"), filepath.Join(dir, "2.json"), filepath.Join(dir, "3.json")}
	for i, n := range names {
		writeFile(t, n, string(rune('1'+i))+"\n")
	}
	tmp := filepath.Join(dir, ".4.json.tmp")
	writeFile(t, tmp, "4\n")
	wantWaiting(t, src)
	clk.Advance(testSettle)
	got, err := nextWithin(src, 5*time.Second)
	wantBatch(t, got, err, names[:2], []string{"1\n", "2\n"})
	got, err = nextWithin(src, 5*time.Second)
	wantBatch(t, got, err, names[2:], []string{"3\n"})

	// The temporary name is never read; renamed into place, it is.
	clk.Advance(time.Hour)
	wantWaiting(t, src)
	final := filepath.Join(dir, "4.json")
	if err := os.Rename(tmp, final); err != nil {
		t.Fatal(err)
	}
	wantWaiting(t, src)
	clk.Advance(testSettle)
	got, err = nextWithin(src, 5*time.Second)
	wantBatch(t, got, err, []string{final}, []string{"4\n"})
}

func TestDirFollowGlob(t *testing.T) {
	dir := t.TempDir()
	src, clk := openFollow(t, DirOptions{Path: filepath.Join(dir, "*.ndjson")})
	wantWaiting(t, src)
	writeFile(t, filepath.Join(dir, "x.json"), "no\n")
	writeFile(t, filepath.Join(dir, "x.ndjson"), "yes\n")
	wantWaiting(t, src)
	clk.Advance(testSettle)
	got, err := nextWithin(src, 5*time.Second)
	wantBatch(t, got, err, []string{filepath.Join(dir, "x.ndjson")}, []string{"yes\n"})
	clk.Advance(testSettle)
	wantWaiting(t, src)
}

// TestDirFollowRealClock runs the settle rule on the real clock.
func TestDirFollowRealClock(t *testing.T) {
	dir := t.TempDir()
	const settle = 50 * time.Millisecond
	src := openDir(t, DirOptions{Path: dir, Follow: true, Poll: 10 * time.Millisecond, Settle: settle})
	name := filepath.Join(dir, "late.json")
	written := make(chan time.Time, 1)
	go func() {
		time.Sleep(30 * time.Millisecond)
		if err := os.WriteFile(name, []byte("late\n"), 0o644); err != nil {
			t.Error(err)
		}
		written <- time.Now()
	}()
	got, err := nextWithin(src, 10*time.Second)
	read := time.Now()
	wantBatch(t, got, err, []string{name}, []string{"late\n"})
	if d := read.Sub(<-written); d < settle {
		t.Errorf("file read %v after it was written, before Settle (%v)", d, settle)
	}
}

func TestDirFollowCancel(t *testing.T) {
	dir := t.TempDir()
	// An hour's poll and settle: a Next that did not notice the
	// cancellation would wait an hour, which the guard below reports.
	src := openDir(t, DirOptions{Path: dir, Follow: true, Poll: time.Hour, Settle: time.Hour})
	next := func(ctx context.Context) (*RawBatch, error) {
		type res struct {
			b   *RawBatch
			err error
		}
		done := make(chan res, 1)
		go func() {
			b, err := src.Next(ctx)
			done <- res{b, err}
		}()
		select {
		case r := <-done:
			return r.b, r.err
		case <-time.After(60 * time.Second): // a hang guard, not a measurement
			t.Fatal("Next did not notice the cancellation")
			return nil, nil
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(20 * time.Millisecond)
		cancel()
	}()
	b, err := next(ctx)
	if !errors.Is(err, context.Canceled) || b != nil {
		t.Errorf("Next = %v, %v; want context.Canceled", b, err)
	}

	// Already cancelled: returns at once.
	if _, err := next(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Next on a cancelled context = %v", err)
	}
}
