package main

import (
	"context"
	gosql "database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // reads the Parquet sink back
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"brook/crashpoint"
	"brook/gen"
)

// commitData writes files generated files of 400 rows each into dir, with
// an undecodable line and a late row (an event time long behind the
// watermark) added to every other file from the second on, and returns
// their paths in order.
func commitData(t *testing.T, dir string, files int) []string {
	t.Helper()
	paths, err := gen.WriteDir(dir, gen.Options{Files: files, RowsPerFile: 400, Seed: 5, RowsPerSecond: 20})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(paths); i += 2 {
		f, err := os.OpenFile(paths[i], os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(f, "{oops %d}\n", i)
		fmt.Fprintf(f, `{"time": 172801.0, "duration": 1.0, "srcdevice": "Late%d", "dstdevice": "Comp1", "protocol": 6.0, "srcport": "1", "dstport": "2", "srcpackets": 1.0, "dstpackets": 1.0, "srcbytes": %d.0, "dstbytes": 1.0}`+"\n", i, i)
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

// commitOutputs are the files a commit-protocol run writes in its directory:
// three sinks and two side outputs.
var commitOutputs = []string{"out.jsonl", "out.csv", "out.parquet", "dead.jsonl", "late.jsonl"}

// commitArgs runs bytes_per_10s in append mode with a watermark over data,
// one file per batch, into the outputs in dir, with the checkpoint in
// dir/ckpt.
func commitArgs(dir, data string, extra ...string) []string {
	args := []string{"run", "--checkpoint", filepath.Join(dir, "ckpt"), "--files-per-batch", "1", "--mode", "append", "--lateness", "5s",
		"--on-error", "quarantine", "--dead-letter", filepath.Join(dir, "dead.jsonl"), "--late-rows", filepath.Join(dir, "late.jsonl")}
	for _, o := range commitOutputs[:3] {
		args = append(args, "--sink", "file://"+filepath.Join(dir, o))
	}
	args = append(args, extra...)
	return append(args, "--source", "flows="+data, "../../queries/bytes_per_10s.sql")
}

// readOutputs returns the content of every output in dir, the Parquet file
// read back by DuckDB as one line per row.
func readOutputs(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, o := range commitOutputs {
		path := filepath.Join(dir, o)
		if filepath.Ext(o) != ".parquet" {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got[o] = string(data)
			continue
		}
		db, err := gosql.Open("duckdb", "")
		if err != nil {
			t.Fatal(err)
		}
		rows, err := db.Query("SELECT * FROM read_parquet('" + path + "')")
		if err != nil {
			db.Close()
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		var b strings.Builder
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
		db.Close()
		got[o] = b.String()
	}
	return got
}

// compareOutputs fails when an output in got differs from want.
func compareOutputs(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for _, o := range commitOutputs {
		if got[o] != want[o] {
			t.Errorf("%s: %s differs from the run that never crashed:\n%s\nwant:\n%s", what, o, clip(got[o]), clip(want[o]))
		}
	}
}

func clip(s string) string {
	if len(s) > 3000 {
		return s[:1500] + "\n...\n" + s[len(s)-1500:]
	}
	return s
}

// runBrook runs the brook binary with BROOK_CRASH_AT set to crashAt (none
// when empty) and reports whether it was killed by its crash point.
func runBrook(t *testing.T, crashAt string, args ...string) (crashed bool) {
	t.Helper()
	cmd := exec.Command("brook", args...)
	cmd.Env = append(os.Environ(), crashpoint.Env+"="+crashAt)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true
		}
	}
	if err != nil {
		t.Fatalf("brook %s (%s=%s): %v\n%s", strings.Join(args, " "), crashpoint.Env, crashAt, err, out)
	}
	return false
}

// TestCrashPoints crashes `brook run --checkpoint`, with JSONL, CSV,
// Parquet and (transactional) Kafka sinks, the broker in this process, a dead-letter file (bad lines quarantined) and a late-rows
// file, at every point of the commit protocol: after the batch's output is
// emitted, after the outputs are pre-committed (synced), in the middle of
// writing the checkpoint file, after the checkpoint, and before the source
// is acknowledged. Each crash is a SIGKILL at the point's second hit, then
// again at the second hit of the restarted run; a last run finishes. Every
// sink file, the dead-letter and the late-rows file must equal those of a
// run that never crashed, and so must what a read_committed consumer reads
// from the Kafka topic: no batch, rejected line or late row lost or written
// twice.
func TestCrashPoints(t *testing.T) {
	data := filepath.Join(t.TempDir(), "flows")
	commitData(t, data, 6)
	points := []string{"after-emit", "after-precommit", "checkpoint-write", "after-checkpoint", "before-ack"}
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, append([]string{"base"}, points...)...))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	addr := cluster.ListenAddrs()[0]
	base := t.TempDir()
	if runBrook(t, "", commitArgs(base, data, "--sink", "kafka://"+addr+"/base")...) {
		t.Fatal("the run without a crash point crashed")
	}
	want := readOutputs(t, base)
	want["kafka"] = readCommitted(t, addr, "base")
	if strings.Count(want["kafka"], "\n") != strings.Count(want["out.jsonl"], "\n") {
		t.Fatalf("the Kafka sink holds other rows than the JSONL sink:\n%s", want["kafka"])
	}
	if !strings.Contains(want["dead.jsonl"], "oops 5") || !strings.Contains(want["late.jsonl"], `"srcbytes":5`) || strings.Count(want["out.jsonl"], "\n") < 10 {
		t.Fatalf("the data yields too little to test:\n%v", want)
	}
	for _, point := range points {
		t.Run(point, func(t *testing.T) {
			dir := t.TempDir()
			args := commitArgs(dir, data, "--sink", "kafka://"+addr+"/"+point)
			for crash := 0; crash < 2; crash++ {
				if !runBrook(t, point+":2", args...) {
					t.Fatalf("crash %d at %s:2 did not happen", crash+1, point)
				}
			}
			if runBrook(t, "", args...) {
				t.Fatal("the last run crashed")
			}
			got := readOutputs(t, dir)
			got["kafka"] = readCommitted(t, addr, point)
			compareOutputs(t, "after two crashes at "+point, got, want)
			if got["kafka"] != want["kafka"] {
				t.Errorf("after two crashes at %s, the Kafka topic (read_committed) differs from the run that never crashed:\n%s\nwant:\n%s", point, got["kafka"], want["kafka"])
			}
		})
	}
}

// readCommitted returns the records of a one-partition topic that a
// read_committed consumer sees, one line each: batch header, closing
// header, key and value. It first appends an end marker, outside any
// transaction, and reads up to it.
func readCommitted(t *testing.T, addr, topic string) string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a bound on a broken test, not a measurement
	defer cancel()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("end")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for done := false; !done; {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("topic %s: no end marker after:\n%s", topic, b.String())
		}
		fs.EachRecord(func(r *kgo.Record) {
			if string(r.Value) == "end" {
				done = true
				return
			}
			if done {
				return
			}
			var batch, closing string
			for _, h := range r.Headers {
				switch h.Key {
				case "brook-batch":
					batch = string(h.Value)
				case "brook-closing":
					closing = "closing"
				}
			}
			fmt.Fprintf(&b, "%s %s %s %s\n", batch, closing, r.Key, r.Value)
		})
	}
	return b.String()
}

// TestResumeCutsUncommittedOutput: a run commits three batches and ends;
// three more files arrive and a second run writes their batches; then its
// checkpoint is lost (the first run's is put back: the state after a crash
// between writing the outputs and committing the checkpoint) and a CSV row
// is torn after its first byte, "1", which would parse as a row of batch 1.
// The run that resumes must cut every output back to what the checkpoint
// committed: the sinks, the dead-letter file (no record twice) and the
// late-rows file (the late rows of the first run kept) equal those of one
// run over the six files.
func TestResumeCutsUncommittedOutput(t *testing.T) {
	data := filepath.Join(t.TempDir(), "flows")
	paths := commitData(t, data, 6)
	base := t.TempDir()
	if _, _, errOut := brook(t, commitArgs(base, data)...); !strings.Contains(errOut, "6 batches") {
		t.Fatalf("baseline run: %s", errOut)
	}
	want := readOutputs(t, base)

	dir, held := t.TempDir(), t.TempDir()
	move := func(from, to string) {
		for _, p := range paths[3:] {
			if err := os.Rename(filepath.Join(from, filepath.Base(p)), filepath.Join(to, filepath.Base(p))); err != nil {
				t.Fatal(err)
			}
		}
	}
	args := commitArgs(dir, data)
	move(data, held)
	if _, _, errOut := brook(t, args...); !strings.Contains(errOut, "3 batches") {
		t.Fatalf("first run: %s", errOut)
	}
	ckpt := filepath.Join(dir, "ckpt")
	first := readDirFiles(t, ckpt)
	move(held, data)
	if _, _, errOut := brook(t, args...); !strings.Contains(errOut, "6 batches") {
		t.Fatalf("second run: %s", errOut)
	}
	if err := os.RemoveAll(ckpt); err != nil {
		t.Fatal(err)
	}
	writeDirFiles(t, ckpt, first)
	f, err := os.OpenFile(filepath.Join(dir, "out.csv"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("1")
	f.Close()
	if _, _, errOut := brook(t, args...); !strings.Contains(errOut, "6 batches") {
		t.Fatalf("resumed run: %s", errOut)
	}
	compareOutputs(t, "resumed after losing a checkpoint", readOutputs(t, dir), want)
}

// readDirFiles reads every file of dir (a checkpoint directory: its base
// and its log) by name.
func readDirFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = data
	}
	if len(files) == 0 {
		t.Fatalf("%s holds no checkpoint", dir)
	}
	return files
}

// writeDirFiles creates dir holding files.
func writeDirFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCheckpointRefusesOtherSources: a checkpoint written over one source
// directory is refused, with a message naming both bindings, by a run of
// the same query over another directory; the same directory named by a
// relative path is the same source.
func TestCheckpointRefusesOtherSources(t *testing.T) {
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	commitData(t, a, 2)
	commitData(t, b, 3)
	ckpt := t.TempDir()
	query := "SELECT count(*) AS n FROM flows"
	if code, _, errOut := brook(t, "run", "--on-error", "skip", "--checkpoint", ckpt, "--source", "flows="+a, "-e", query); code != exitOK {
		t.Fatalf("first run: exit %d: %s", code, errOut)
	}
	code, out, errOut := brook(t, "run", "--on-error", "skip", "--checkpoint", ckpt, "--source", "flows="+b, "-e", query)
	if code == exitOK || !strings.Contains(errOut, "checkpoint does not belong to this query") || !strings.Contains(errOut, "other sources") ||
		!strings.Contains(errOut, "flows="+a) || !strings.Contains(errOut, "flows="+b) || !strings.Contains(errOut, "use a different --checkpoint directory") {
		t.Fatalf("a run over another directory: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, a)
	if err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := brook(t, "run", "--on-error", "skip", "--checkpoint", ckpt, "--source", "flows="+rel, "-e", query); code != exitOK {
		t.Fatalf("the same directory by a relative path: exit %d: %s", code, errOut)
	}
}

// TestMaxBatchesCountsThisRun: --max-batches counts the batches a run
// processes, not those its checkpoint restored: two runs of --max-batches 2
// over four files write batches 0 to 3.
func TestMaxBatchesCountsThisRun(t *testing.T) {
	data := filepath.Join(t.TempDir(), "flows")
	commitData(t, data, 5)
	dir := t.TempDir()
	out := filepath.Join(dir, "out.jsonl")
	args := []string{"run", "--checkpoint", filepath.Join(dir, "ckpt"), "--max-batches", "2", "--on-error", "skip",
		"--sink", "file://" + out, "--source", "flows=" + data, "-e", "SELECT count(*) AS n FROM flows"}
	for run := 0; run < 2; run++ {
		if code, _, errOut := brook(t, args...); code != exitOK {
			t.Fatalf("run %d: exit %d: %s", run, code, errOut)
		}
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"batch":0,"n":400}` + "\n" + `{"batch":1,"n":801}` + "\n" + `{"batch":2,"n":1201}` + "\n" + `{"batch":3,"n":1602}` + "\n"
	if string(got) != want {
		t.Fatalf("after two runs of --max-batches 2:\n%s\nwant:\n%s", got, want)
	}
}

// TestResumeAfterFirstBatch stops a checkpointed run after its first
// batch and resumes it: the result must equal a run that never stopped.
// A global aggregate's one row exists before any input, and a query
// grouped without aggregates (SELECT DISTINCT) has no aggregate state;
// both must come back from the first batch's change record.
func TestResumeAfterFirstBatch(t *testing.T) {
	data := filepath.Join(t.TempDir(), "flows")
	commitData(t, data, 4)
	for _, q := range []string{
		"SELECT count(*) AS n, count(DISTINCT dstport) AS ports, max(srcbytes) AS hi FROM flows",
		"SELECT DISTINCT protocol FROM flows ORDER BY protocol",
		"SELECT protocol, count(DISTINCT dstdevice) AS d FROM flows GROUP BY protocol ORDER BY protocol",
	} {
		dir := t.TempDir()
		args := []string{"run", "--on-error", "skip", "--emit", "final", "--format", "csv", "--source", "flows=" + data, "-e", q}
		code, want, errOut := brook(t, args...)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", q, code, errOut)
		}
		ck := append([]string{"run", "--checkpoint", filepath.Join(dir, "ckpt")}, args[1:]...)
		if code, _, errOut := brook(t, append(ck, "--max-batches", "1")...); code != exitOK {
			t.Fatalf("%s: first run: exit %d: %s", q, code, errOut)
		}
		code, got, errOut := brook(t, ck...)
		if code != exitOK {
			t.Fatalf("%s: resumed run: exit %d: %s", q, code, errOut)
		}
		if got != want {
			t.Errorf("%s: resumed after the first batch:\n%s\nwant (never stopped):\n%s", q, got, want)
		}
	}
}
