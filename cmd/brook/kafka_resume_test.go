package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"brook/crashpoint"
)

// TestKafkaCheckpointResume runs a query over a 3-partition topic under
// --checkpoint for three batches, then resumes it: the resumed run's final
// result equals that of a run over the same records as files (no record
// read twice, none skipped), with and without a consumer group. A third
// run, when no new record arrived, resumes with the schema the checkpoint
// recorded: it samples nothing (sampling a topic at its end finds no
// record to infer a schema from, and fails) and gives the same result.
func TestKafkaCheckpointResume(t *testing.T) {
	addr := newCluster(t, "flows")
	dir := t.TempDir()
	const from = "gen:rows=6000,seed=11"
	if code, _, errOut := brook(t, "produce", "--from", from, "--to", "kafka://"+addr+"/flows", "--chunk", "500"); code != exitOK {
		t.Fatalf("produce to Kafka: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := brook(t, "produce", "--from", from, "--to", dir); code != exitOK {
		t.Fatalf("produce to a directory: exit %d\n%s", code, errOut)
	}
	code, want, errOut := brook(t, "run", "--source", "flows="+dir, "--emit", "final", "--format", "json", webservers)
	if code != exitOK || want == "" {
		t.Fatalf("directory run: exit %d\n%s", code, errOut)
	}
	// Bounded by stop=end, or by --exit-idle (the run with no new record
	// then waits that long for one, as a run with a stored schema does).
	for _, query := range []string{"max=700&stop=end", "group=resume&max=700&stop=end", "group=idle&max=700"} {
		t.Run(query, func(t *testing.T) {
			ckpt := t.TempDir()
			args := []string{"run", "--checkpoint", ckpt, "--source", "flows=kafka://" + addr + "/flows?" + query, "--emit", "final", "--format", "json", webservers}
			if !strings.Contains(query, "stop=end") {
				args = append(args, "--exit-idle", "1s")
			}
			if code, out, errOut := brook(t, append(args, "--max-batches", "3")...); code != exitOK || out == "" {
				t.Fatalf("first run: exit %d\n%s%s", code, out, errOut)
			}
			for _, run := range []string{"resumed run", "run with no new record"} {
				code, got, errOut := brook(t, args...)
				if code != exitOK {
					t.Fatalf("%s: exit %d\n%s", run, code, errOut)
				}
				if !slices.Equal(lines(got), lines(want)) {
					t.Fatalf("%s:\n%s\nwant (the same records as files):\n%s", run, got, want)
				}
			}
			code, out, errOut := brook(t, append(args, "--explain")...)
			if code != exitOK || !strings.Contains(out, "recorded in the checkpoint") {
				t.Fatalf("--explain of a resumed run: exit %d\n%s%s", code, out, errOut)
			}
		})
	}
}

// TestKafkaKillAndResume is the exactly-once test of Kafka to Kafka: a
// producer writes records to a 4-partition topic while `brook run
// --checkpoint` reads it and publishes an update-mode result to another
// topic, and the run is killed (SIGKILL, at a crash point of the commit
// protocol, after a few batches) at least ten times and restarted each
// time; a last run reads up to the end. A read_committed consumer of the
// result topic must see every batch exactly once, in order (batch numbers
// 0 to the last, each key at most once per batch), and the last row of
// each key must equal DuckDB's result over everything produced.
func TestKafkaKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("kill test skipped in -short mode")
	}
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, "in"), kfake.SeedTopics(1, "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	addr := cluster.ListenAddrs()[0]
	data := t.TempDir()

	// The producer: chunks of 100 records, keys spreading them over the
	// partitions, every record also written to a file for the baseline.
	// It writes until told to stop, once the runs were killed often enough.
	const perChunk = 100
	var produced atomic.Int64
	prodDone := make(chan error, 1)
	firstChunk, stop := make(chan struct{}), make(chan struct{})
	go func() {
		prodDone <- func() error {
			cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("in"))
			if err != nil {
				return err
			}
			defer cl.Close()
			all, err := os.Create(filepath.Join(data, "all.json"))
			if err != nil {
				return err
			}
			defer all.Close()
			tick := time.NewTicker(10 * time.Millisecond) // paces the producer; nothing is timed
			defer tick.Stop()
			for c := 0; ; c++ {
				var recs []*kgo.Record
				var file []byte
				for j := range perChunk {
					id := c*perChunk + j
					// Four records a key, mostly in different partitions: a
					// key changes in few batches, so a batch published from
					// other records than the state took in shows.
					line := fmt.Appendf(nil, `{"k": "k%05d", "v": %d, "id": %d}`, id/4, id%1000, id)
					recs = append(recs, &kgo.Record{Key: []byte(strconv.Itoa(id)), Value: line})
					file = append(append(file, line...), '\n')
				}
				if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
					return err
				}
				if _, err := all.Write(file); err != nil {
					return err
				}
				produced.Add(perChunk)
				if c == 0 {
					close(firstChunk)
				}
				select {
				case <-stop:
					return nil
				case <-tick.C:
				}
			}
		}()
	}()
	<-firstChunk

	query := "SELECT k, count(*) AS n, sum(v) AS s, count(DISTINCT id) AS d FROM flows GROUP BY k"
	ckpt := t.TempDir()
	// --exit-idle ends the last run once it has read everything; a killed
	// run never waits that long, the producer writing all along.
	args := []string{"run", "--checkpoint", ckpt, "--mode", "update", "--sink", "kafka://" + addr + "/out", "--exit-idle", "2s",
		"--source", "flows=kafka://" + addr + "/in?max=150", "-e", query}
	// Crash points across the commit protocol, several after the batch
	// is in the result topic but not yet in the checkpoint (after-emit,
	// after-precommit, checkpoint-write of a log frame): the restart must
	// replay that batch from the very same records, though more have
	// arrived since.
	points := []string{"after-emit:4", "after-precommit:6", "checkpoint-write:5", "after-checkpoint:3", "before-ack:7",
		"after-emit:8", "checkpoint-write:9", "after-precommit:3", "before-ack:4", "after-emit:6", "after-checkpoint:5", "checkpoint-write:7"}
	kills := 0
	var runs []string
	for i := 0; kills < 10; i++ {
		if i >= 30 {
			t.Fatalf("after %d runs, %d kills: %v", i, kills, runs)
		}
		point := points[i%len(points)]
		cmd := exec.Command("brook", args...)
		cmd.Env = append(os.Environ(), crashpoint.Env+"="+point)
		out, err := cmd.CombinedOutput()
		if killedBySIGKILL(err) {
			kills++
			runs = append(runs, point+" killed")
			continue
		}
		if err != nil {
			t.Fatalf("run %d (%s): %v\n%s", i, point, err, out)
		}
		runs = append(runs, point+" ended")
	}
	close(stop)
	if err := <-prodDone; err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("brook", args...) // the last run reads up to the end
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("last run: %v\n%s", err, stderr.String())
	}
	t.Logf("%d kills in %d runs, %d records produced: %v", kills, len(runs)+1, produced.Load(), runs)
	var batches int
	if _, err := fmt.Sscanf(stderr.String(), "brook: %d batches", &batches); err != nil || batches == 0 {
		t.Fatalf("last run's summary: %q", stderr.String())
	}

	// Every batch once, in order: batch numbers never go back, a key
	// appears at most once per batch, and every batch is there.
	last := map[string]string{}
	seen := map[string]bool{}
	prev := int64(-1)
	ids := map[int64]bool{}
	for _, ln := range strings.Split(strings.TrimSuffix(readCommitted(t, addr, "out"), "\n"), "\n") {
		f := strings.SplitN(ln, " ", 4) // batch, closing, key, value
		if len(f) != 4 || f[1] != "" {
			t.Fatalf("unexpected record %q", ln)
		}
		id, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || id < prev {
			t.Fatalf("batch %q after batch %d: batches out of order or published again", f[0], prev)
		}
		prev = id
		if seen[f[0]+" "+f[2]] {
			t.Fatalf("key %s twice in batch %d: the batch was published twice", f[2], id)
		}
		seen[f[0]+" "+f[2]] = true
		ids[id] = true
		last[f[2]] = normalJSON(t, f[3])
	}
	if len(ids) != batches || prev != int64(batches-1) {
		t.Fatalf("the result topic holds %d batches, up to %d; the run made %d", len(ids), prev, batches)
	}
	code, base, errOut := brook(t, "baseline", "--format", "json", "--source", "flows="+data, "-e", query)
	if code != exitOK {
		t.Fatalf("baseline: exit %d\n%s", code, errOut)
	}
	want := map[string]string{}
	for _, ln := range strings.Split(strings.TrimSpace(base), "\n") {
		var row map[string]any
		if err := json.Unmarshal([]byte(ln), &row); err != nil {
			t.Fatalf("baseline row %q: %v", ln, err)
		}
		want[fmt.Sprint(row["k"])] = normalJSON(t, ln)
	}
	if len(want) != int(produced.Load()+3)/4 || len(last) != len(want) {
		t.Fatalf("%d keys in the result topic, %d in the baseline", len(last), len(want))
	}
	for k, w := range want {
		if last[k] != w {
			t.Errorf("key %s: the result topic ends with %s, DuckDB over everything produced says %s", k, last[k], w)
		}
	}
}

// killedBySIGKILL reports whether err says a process was killed by SIGKILL.
func killedBySIGKILL(err error) bool {
	return err != nil && strings.Contains(err.Error(), "signal: killed")
}

// normalJSON re-encodes a JSON object with its keys sorted.
func normalJSON(t *testing.T, s string) string {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
