package stream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"brook/engine"
	"brook/ingest"
	"brook/value"
)

var ckSchema = value.Schema{{Name: "v", Type: value.Int}, {Name: "k", Type: value.String}, {Name: "f", Type: value.Float}}

const ckQuery = "SELECT k, count(*) AS n, sum(v) AS s, sum(f) AS fs, count(DISTINCT v) AS d, min(f) AS lo FROM t GROUP BY k"

// feed processes one batch of NDJSON lines.
func feed(t *testing.T, q *engine.Query, lines string) {
	t.Helper()
	var b ingest.Batch
	b.Reset(len(q.Plan().Columns))
	ingest.NewDecoder(q.Plan().ColumnSchema()).Decode([]ingest.Chunk{{Name: "t", FirstLine: 1, Data: []byte(lines)}}, &b)
	if _, err := q.Process(&b); err != nil {
		t.Fatal(err)
	}
}

// batchLines is batch i of a test stream: a few groups touched each time,
// new ones now and then, a -0.0 among the floats.
func batchLines(i int) string {
	var sb strings.Builder
	sb.WriteString(`{"v":1,"k":"zero","f":-0.0}` + "\n")
	for r := range 20 {
		fmt.Fprintf(&sb, `{"v":%d,"k":"key %d é","f":%s}`+"\n", (i*7+r)%13, (i*3+r)%(5+i), []string{"-0.0", "1.5", "-2.25"}[r%3])
	}
	return sb.String()
}

func snapText(t *testing.T, q *engine.Query) string {
	t.Helper()
	s, err := q.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	// %v of the group states; sets come out in no order, so only their sizes.
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d %v|", s.RowsIn, s.Final)
	for _, g := range s.Groups {
		fmt.Fprintf(&sb, "%v:", g.Keys)
		for i, a := range g.Aggs {
			if i == 3 {
				fmt.Fprintf(&sb, "set of %d;", len(a))
				continue
			}
			for _, v := range a {
				fmt.Fprintf(&sb, "%d/%d/%x/%q ", v.Kind, v.I, math.Float64bits(v.F), v.S) // bits: -0.0 shows
			}
			sb.WriteString(";")
		}
		sb.WriteString("\n")
	}
	return sb.String()
}

// runStore runs n batches into a store in dir, committing each, and
// returns the state after each commit.
func runStore(t *testing.T, dir, id string, n int) []string {
	t.Helper()
	q, _ := engine.New(planFor(t, ckQuery, ckSchema), engine.Options{})
	st, cp, err := OpenStore(dir, id, q)
	if err != nil || cp != nil {
		t.Fatalf("new store: %v %v", cp, err)
	}
	defer st.Close()
	q.StartLog()
	var states []string
	for i := range n {
		feed(t, q, batchLines(i))
		if err := st.Commit(q, &Checkpoint{Identity: id, Query: ckQuery, Batches: int64(i + 1), Files: []string{fmt.Sprint(i)}}); err != nil {
			t.Fatal(err)
		}
		states = append(states, snapText(t, q))
	}
	return states
}

// restore opens the store in dir and restores its state into a new query.
func restore(t *testing.T, dir, id string) (*Checkpoint, string, error) {
	t.Helper()
	q, _ := engine.New(planFor(t, ckQuery, ckSchema), engine.Options{})
	st, cp, err := OpenStore(dir, id, q)
	if err != nil || cp == nil {
		return cp, "", err
	}
	st.Close()
	if err := q.Restore(cp.State); err != nil {
		t.Fatal(err)
	}
	return cp, snapText(t, q), nil
}

// TestStoreRecovers: recovery (the base plus the log) gives the state of
// the last commit, with or without compactions on the way.
func TestStoreRecovers(t *testing.T) {
	id := Identity(mustQuery(t), engine.Options{})
	for _, compact := range []bool{false, true} {
		if compact {
			oldF, oldM := compactFactor, compactMin
			compactFactor, compactMin = 1, 0
			defer func() { compactFactor, compactMin = oldF, oldM }()
		}
		dir := t.TempDir()
		states := runStore(t, dir, id, 12)
		cp, got, err := restore(t, dir, id)
		if err != nil {
			t.Fatal(err)
		}
		if cp.Batches != 12 || cp.Files[0] != "11" {
			t.Errorf("metadata: %+v", cp)
		}
		if got != states[11] {
			t.Errorf("compactions %v: restored state\n%s\nwant\n%s", compact, got, states[11])
		}
		if !strings.Contains(got, "/8000000000000000/") {
			t.Error("the -0.0 sum did not survive")
		}
	}
}

func mustQuery(t *testing.T) *engine.Query {
	q, err := engine.New(planFor(t, ckQuery, ckSchema), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestStoreTornTail: a log whose last frame is cut anywhere (a crash in
// the middle of writing it, before its fsync) recovers the commit before;
// a damaged frame with more after it is damage.
func TestStoreTornTail(t *testing.T) {
	id := Identity(mustQuery(t), engine.Options{})
	dir := t.TempDir()
	states := runStore(t, dir, id, 6)
	logPath := filepath.Join(dir, logFile)
	data, _ := os.ReadFile(logPath)
	// find the last frame's start
	src, last := data[len(logMagic):], 0
	for off := len(logMagic); len(src) > 0; {
		_, rest, err := readFrame(src)
		if err != nil {
			t.Fatal(err)
		}
		last = off
		off += len(src) - len(rest)
		src = rest
	}
	for cut := last + 1; cut < len(data); cut += max(1, (len(data)-last)/17) {
		os.WriteFile(logPath, data[:cut], 0o644)
		cp, got, err := restore(t, dir, id)
		if err != nil {
			t.Fatalf("cut at %d of %d: %v", cut, len(data), err)
		}
		if cp.Batches != 5 || got != states[4] {
			t.Fatalf("cut at %d: recovered batch %d", cut, cp.Batches)
		}
	}
	// a flipped byte in the last frame: torn too
	bad := bytes.Clone(data)
	bad[len(bad)-2] ^= 0x40
	os.WriteFile(logPath, bad, 0o644)
	if cp, _, err := restore(t, dir, id); err != nil || cp.Batches != 5 {
		t.Fatalf("flipped last frame: %v %v", cp, err)
	}
	// a flipped byte in an earlier frame: damaged
	bad = bytes.Clone(data)
	bad[last-3] ^= 0x40
	os.WriteFile(logPath, bad, 0o644)
	if _, _, err := restore(t, dir, id); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("flipped middle frame: %v", err)
	}
}

func TestCheckpointRefusesOtherQueriesAndDamage(t *testing.T) {
	schema := value.Schema{{Name: "v", Type: value.Int}, {Name: "k", Type: value.String}}
	qa, _ := engine.New(planFor(t, "SELECT k, count(*) AS n FROM t GROUP BY k", schema), engine.Options{})
	qb, _ := engine.New(planFor(t, "SELECT k, sum(v) AS n FROM t GROUP BY k", schema), engine.Options{})
	idA, idB := Identity(qa, engine.Options{}), Identity(qb, engine.Options{})
	if idA == idB {
		t.Fatal("two different queries have the same checkpoint identity")
	}
	qc, _ := engine.New(planFor(t, "SELECT k, count(*) AS n FROM t GROUP BY k", schema), engine.Options{Mode: engine.Update})
	if Identity(qc, engine.Options{Mode: engine.Update}) == idA {
		t.Error("another output mode has the same checkpoint identity")
	}
	dir := t.TempDir()
	if c, err := LoadCheckpoint(dir, idA); c != nil || err != nil {
		t.Fatalf("empty directory: %v, %v", c, err)
	}
	st, _, err := OpenStore(dir, idA, qa)
	if err != nil {
		t.Fatal(err)
	}
	qa.StartLog()
	feed(t, qa, `{"v":1,"k":"x"}`+"\n")
	if err := st.Commit(qa, &Checkpoint{Identity: idA, Query: "SELECT k, count(*) ...", Batches: 3, Files: []string{"a.json"}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	// a killed run's temporary file
	os.WriteFile(filepath.Join(dir, ".checkpoint-12345"), []byte("half"), 0o600)
	c, err := LoadCheckpoint(dir, idA)
	if err != nil || c.Batches != 3 || c.Files[0] != "a.json" {
		t.Fatalf("round trip: %+v, %v", c, err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".checkpoint-12345")); err != nil {
		t.Errorf("LoadCheckpoint, a reader, removed a temporary file: %v", err)
	}
	if st, _, err = OpenStore(dir, idA, qa); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, err := os.Stat(filepath.Join(dir, ".checkpoint-12345")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a stale temporary file was left by OpenStore: %v", err)
	}
	if _, err := LoadCheckpoint(dir, idB); !errors.Is(err, ErrCheckpointMismatch) || !strings.Contains(err.Error(), "use a different --checkpoint directory") {
		t.Errorf("another query's checkpoint: %v", err)
	}
	path := filepath.Join(dir, baseFile)
	good, _ := os.ReadFile(path)
	data := bytes.Clone(good)
	data[len(data)-3] ^= 0xff
	os.WriteFile(path, data, 0o600)
	if _, err := LoadCheckpoint(dir, idA); err == nil || !strings.Contains(err.Error(), "damaged") || strings.Contains(err.Error(), "incompatible") {
		t.Errorf("damaged checkpoint: %v", err)
	}
	os.WriteFile(path, good[:len(good)-5], 0o600)
	if _, err := LoadCheckpoint(dir, idA); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("truncated checkpoint: %v", err)
	}
	random := []byte("\x1b[2J\x00\xff\xfe garbage \x07\x1b]0;pwned\x07 and a lot more bytes after that that go on and on")
	os.WriteFile(path, random, 0o600)
	_, err = LoadCheckpoint(dir, idA)
	if err == nil || !strings.Contains(err.Error(), "damaged") || strings.Contains(err.Error(), "incompatible") {
		t.Errorf("random bytes: %v", err)
	}
	if err != nil {
		for _, r := range err.Error() {
			if r != '\n' && !unicode.IsPrint(r) {
				t.Errorf("the message holds the raw byte %q: %q", r, err.Error())
				break
			}
		}
		if strings.Contains(err.Error(), "and on") {
			t.Errorf("the message shows all the random bytes: %q", err.Error())
		}
	}
	os.WriteFile(path, []byte("brook checkpoint base v0\n..."), 0o600)
	if _, err := LoadCheckpoint(dir, idA); !errors.Is(err, ErrCheckpointMismatch) || !strings.Contains(err.Error(), "incompatible version") {
		t.Errorf("old layout: %v", err)
	}
	os.Remove(path)
	os.Remove(filepath.Join(dir, logFile))
	os.WriteFile(filepath.Join(dir, oldFile), []byte("brook checkpoint v2\n..."), 0o600)
	if _, err := LoadCheckpoint(dir, idA); !errors.Is(err, ErrCheckpointMismatch) || !strings.Contains(err.Error(), "incompatible version") {
		t.Errorf("a checkpoint of brook before v3: %v", err)
	}
}

// logFrames returns the sequence numbers of the log's frames in dir.
func logFrames(t *testing.T, dir string) []uint64 {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, logFile))
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for src := data[len(logMagic):]; len(src) > 0; {
		f, rest, err := readFrame(src)
		if err != nil {
			t.Fatal(err)
		}
		seqs, src = append(seqs, f.seq), rest
	}
	return seqs
}

// TestRunCheckpointInterval: with an interval of 3 batches a run commits
// after batches 3 and 6 and, stopping, after its last; every batch by
// default; a run resumed from either ends with the uninterrupted result.
func TestRunCheckpointInterval(t *testing.T) {
	data := t.TempDir()
	for i := range 8 {
		var sb strings.Builder
		for r := range 50 {
			fmt.Fprintf(&sb, `{"v":%d,"k":"k%d"}`+"\n", i*100+r, r%7)
		}
		os.WriteFile(filepath.Join(data, fmt.Sprintf("f%d.json", i)), []byte(sb.String()), 0o644)
	}
	schema := value.Schema{{Name: "v", Type: value.Int}, {Name: "k", Type: value.String}}
	p := planFor(t, "SELECT k, count(*) AS n, sum(v) AS s, count(DISTINCT v) AS d FROM t GROUP BY k ORDER BY k", schema)
	run := func(opts Options, maxBatches int64) string {
		q, _ := engine.New(p, engine.Options{})
		src, _ := ingest.OpenDir(ingest.DirOptions{Path: data, FilesPerBatch: 1})
		opts.MaxBatches = maxBatches
		if opts.CheckpointDir != "" {
			opts.Identity = Identity(q, engine.Options{})
		}
		var last [][]value.Value
		if _, err := Run(context.Background(), q, src, opts, func(b Batch) error { last = b.Rows; return nil }); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(last)
	}
	want := run(Options{}, 0)
	for _, c := range []struct {
		interval int64
		frames   string
	}{{0, "[1 2 3 4 5 6 7]"}, {3, "[3 6 7]"}} {
		dir := t.TempDir()
		run(Options{CheckpointDir: dir, CheckpointInterval: c.interval}, 7)
		if got := fmt.Sprint(logFrames(t, dir)); got != c.frames {
			t.Errorf("interval %d: commits after batches %s, want %s", c.interval, got, c.frames)
		}
		if got := run(Options{CheckpointDir: dir, CheckpointInterval: c.interval}, 0); got != want {
			t.Errorf("interval %d: resumed result %s, want %s", c.interval, got, want)
		}
	}
}
