package sink

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"brook/value"
)

// The tests below run a transactional Kafka sink against an in-process
// Kafka-protocol broker with one 3-partition topic, "out".

const txnPartitions = 3

func newTxnCluster(t *testing.T) string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(txnPartitions, "out"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

// openTxn opens a sink on topic "out" for the run checkpointed in dir,
// resuming at resume (0: a run starting afresh).
func openTxn(t *testing.T, addr, dir string, resume int64) *KafkaSink {
	t.Helper()
	s, err := OpenKafka("kafka://"+addr+"/out", Target{Schema: schema, Keys: []int{0}, Checkpoint: dir, Resume: resume > 0, ResumeBatch: resume})
	if err != nil {
		t.Fatal(err)
	}
	if !s.txn {
		t.Fatal("a sink with a checkpoint is not transactional")
	}
	return s
}

// batchRows are the rows batch n emits: four devices (the group key),
// with values that name the batch; a tag, appended to the device names,
// tells apart rows of another run or rows that must never be seen.
func batchRows(n int64, tag string) [][]value.Value {
	var out [][]value.Value
	for i := range int64(4) {
		dev := fmt.Sprintf("dev%d", i)
		if tag != "" {
			dev += "-" + tag
		}
		out = append(out, []value.Value{value.StringValue(dev), value.IntValue(n*10 + i), value.FloatValue(float64(n) + 0.5)})
	}
	return out
}

// emit publishes e's rows through the sink.
func emit(t *testing.T, s *KafkaSink, e emission) {
	t.Helper()
	if err := s.Batch(BatchInfo{ID: e.batch, Closing: e.closing}, batchRows(e.batch, e.tag)); err != nil {
		t.Fatalf("batch %d: %v", e.batch, err)
	}
}

// b is batch n, untagged; closing(n) the closing emission numbered n.
func b(n int64) emission       { return emission{batch: n} }
func closing(n int64) emission { return emission{batch: n, closing: true} }

// crash begins a transaction holding batch n's rows (tagged with tag) and
// leaves it open, as a process killed before committing it would.
func crash(t *testing.T, s *KafkaSink, n int64, tag string) {
	t.Helper()
	recs, err := s.records(batchRows(n, tag), []kgo.RecordHeader{{Key: "brook-batch", Value: []byte(strconv.FormatInt(n, 10))}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := s.cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.cl.Close)
}

// seal appends an "end" record to every partition, so a consumer that has
// seen them all has read everything before them. With an open
// transaction, read_committed consumers never get there.
func seal(t *testing.T, addr string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for p := range int32(txnPartitions) {
		if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: "out", Partition: p, Value: []byte("end")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

// rec is a record as a consumer saw it.
type rec struct {
	part         int32
	batch        int64
	closing      bool
	key, value   string
	hasBatchHead bool
}

// consume reads the sealed topic from the start at the given isolation
// level, each partition in offset order.
func consume(t *testing.T, addr string, level kgo.IsolationLevel) []rec {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("out"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(level))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // a bound on a broken test, not a measurement
	defer cancel()
	var out []rec
	for ends := 0; ends < txnPartitions; {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d records and %d of %d end markers: is a transaction left open?", len(out), ends, txnPartitions)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if string(r.Value) == "end" {
				ends++
				return
			}
			c := rec{part: r.Partition, key: string(r.Key), value: string(r.Value)}
			for _, h := range r.Headers {
				switch h.Key {
				case "brook-batch":
					n, err := strconv.ParseInt(string(h.Value), 10, 64)
					if err != nil {
						t.Fatalf("brook-batch header %q", h.Value)
					}
					c.batch, c.hasBatchHead = n, true
				case "brook-closing":
					c.closing = true
				}
			}
			out = append(out, c)
		})
	}
	return out
}

// emission is one Batch call: its batch number, whether it is a closing
// emission, and the tag of its rows (see batchRows).
type emission struct {
	batch   int64
	closing bool
	tag     string
}

// check asserts that got holds every wanted emission's rows exactly once
// (values and keys), nothing else, and on every partition in order.
func check(t *testing.T, got []rec, want ...emission) {
	t.Helper()
	last := map[int32]int64{}
	seen := map[emission][]string{}
	for _, r := range got {
		if !r.hasBatchHead {
			t.Fatalf("record without brook-batch header: %s", r.value)
		}
		pos := position(r.batch, r.closing)
		if prev, ok := last[r.part]; ok && pos < prev {
			t.Errorf("partition %d: batch %d (closing %v) after a later one", r.part, r.batch, r.closing)
		}
		last[r.part] = pos
		e := emission{batch: r.batch, closing: r.closing, tag: tagOf(r.key)}
		seen[e] = append(seen[e], r.key+" "+r.value)
	}
	total := 0
	for _, e := range want {
		var exp []string
		for _, row := range batchRows(e.batch, e.tag) {
			v, err := rowJSON(schema, row)
			if err != nil {
				t.Fatal(err)
			}
			exp = append(exp, row[0].S+" "+string(v))
		}
		total += len(exp)
		g := seen[e]
		slices.Sort(g)
		slices.Sort(exp)
		if !slices.Equal(g, exp) {
			t.Errorf("batch %d (closing %v, tag %q): read %d records\n%q\nwant %d\n%q", e.batch, e.closing, e.tag, len(g), g, len(exp), exp)
		}
		delete(seen, e)
	}
	for e, g := range seen {
		t.Errorf("unexpected batch %d (closing %v, tag %q): %q", e.batch, e.closing, e.tag, g)
	}
	if len(got) != total {
		t.Errorf("read %d records, want %d", len(got), total)
	}
}

// tagOf returns the tag of a record's rows, from its key (see batchRows).
func tagOf(key string) string {
	if _, tag, ok := strings.Cut(key, "-"); ok {
		return tag
	}
	return ""
}

// TestKafkaTxnResumeExactlyOnce: batches 0..2 are committed, the process
// dies in the middle of batch 3, and the checkpoint only covers batches 0
// and 1. The restarted sink fences the dead producer, finds batch 2 in the
// topic and skips its replay; batch 3 is published anew. A read_committed
// consumer sees each of the four batches once, in order; a read_uncommitted
// one also sees the dead process's copy of batch 3.
func TestKafkaTxnResumeExactlyOnce(t *testing.T) {
	addr, dir := newTxnCluster(t), t.TempDir()
	s := openTxn(t, addr, dir, 0)
	for n := range int64(3) {
		emit(t, s, b(n))
	}
	crash(t, s, 3, "")

	r := openTxn(t, addr, dir, 2)
	if want := position(2, false); r.done != want {
		t.Errorf("resumed sink: last committed position %d, want %d (batch 2)", r.done, want)
	}
	emit(t, r, b(2)) // replayed: already in the topic
	emit(t, r, b(3))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	// The dead process's transaction was aborted: it cannot commit it.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.cl.EndTransaction(ctx, kgo.TryCommit); err == nil {
		t.Error("the fenced producer committed its transaction")
	}

	seal(t, addr)
	check(t, consume(t, addr, kgo.ReadCommitted()), b(0), b(1), b(2), b(3))
	if n := len(consume(t, addr, kgo.ReadUncommitted())); n != 5*4 {
		t.Errorf("read_uncommitted: %d records, want 20 (batch 3 twice)", n)
	}
}

// TestKafkaTxnAbortedInvisible: transactions aborted by the producer and
// one abandoned by a dead process are in the log, but a read_committed
// consumer sees none of their records, and the resume scan looks past
// them (more offsets than its first window) to the last committed batch.
func TestKafkaTxnAbortedInvisible(t *testing.T) {
	addr, dir := newTxnCluster(t), t.TempDir()
	s := openTxn(t, addr, dir, 0)
	emit(t, s, b(0))
	emit(t, s, b(1))
	// Aborted: batch 2 as "aborted" rows, rolled back, several times.
	recs, err := s.records(batchRows(2, "aborted"), []kgo.RecordHeader{{Key: "brook-batch", Value: []byte("2")}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const aborts = 12
	for range aborts {
		if err := s.cl.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		if err := s.cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
		if err := s.cl.EndTransaction(ctx, kgo.TryAbort); err != nil {
			t.Fatal(err)
		}
	}
	// Abandoned: batch 2 as "ghost" rows, never committed.
	crash(t, s, 2, "ghost")

	r := openTxn(t, addr, dir, 1)
	if want := position(1, false); r.done != want {
		t.Errorf("resumed sink: last committed position %d, want %d (batch 1)", r.done, want)
	}
	emit(t, r, b(1)) // replayed: already in the topic
	emit(t, r, b(2))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	seal(t, addr)
	check(t, consume(t, addr, kgo.ReadCommitted()), b(0), b(1), b(2))
	tags := map[string]int{}
	for _, c := range consume(t, addr, kgo.ReadUncommitted()) {
		tags[tagOf(c.key)]++
	}
	if want := map[string]int{"": 3 * 4, "aborted": aborts * 4, "ghost": 4}; !maps.Equal(tags, want) {
		t.Errorf("read_uncommitted: records by tag %v, want %v", tags, want)
	}
}

// TestKafkaTxnResumeClosing: a closing emission numbered 1 (windows closed
// while the source was idle) was committed, batch 1 was not. Resumed at
// batch 1, the sink skips the replayed closing emission but publishes
// batch 1: a closing emission numbered n does not stand for batch n.
func TestKafkaTxnResumeClosing(t *testing.T) {
	addr, dir := newTxnCluster(t), t.TempDir()
	s := openTxn(t, addr, dir, 0)
	emit(t, s, b(0))
	emit(t, s, closing(1))
	crash(t, s, 1, "")

	r := openTxn(t, addr, dir, 1)
	emit(t, r, closing(1)) // replayed: already in the topic
	emit(t, r, b(1))
	emit(t, r, b(2))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	seal(t, addr)
	check(t, consume(t, addr, kgo.ReadCommitted()), b(0), closing(1), b(1), b(2))
}

// TestKafkaTxnEarlierRun: the checkpoint directory was emptied after a
// run that published batches 0..4 (rows tagged "old"), and the query
// starts over. Its first batch is published although the topic holds a
// batch 0 and later ones of the earlier run; after a crash in the new
// run, exactly the new run's committed batch is skipped.
func TestKafkaTxnEarlierRun(t *testing.T) {
	addr, dir := newTxnCluster(t), t.TempDir()
	old := openTxn(t, addr, dir, 0)
	var earlier []emission
	for n := range int64(5) {
		e := emission{batch: n, tag: "old"}
		emit(t, old, e)
		earlier = append(earlier, e)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	s := openTxn(t, addr, dir, 0) // a fresh run: nothing to skip
	if s.done != -1 {
		t.Errorf("fresh run after an earlier one: last committed position %d, want -1", s.done)
	}
	emit(t, s, b(0))
	emit(t, s, b(1))
	crash(t, s, 2, "")

	r := openTxn(t, addr, dir, 1) // the checkpoint covers batch 0
	if want := position(1, false); r.done != want {
		t.Errorf("resumed sink: last committed position %d, want %d (batch 1)", r.done, want)
	}
	emit(t, r, b(1)) // replayed: already in the topic
	emit(t, r, b(2))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	seal(t, addr)
	var was, is []rec
	for _, c := range consume(t, addr, kgo.ReadCommitted()) {
		if tagOf(c.key) == "old" {
			was = append(was, c)
		} else {
			is = append(is, c)
		}
	}
	check(t, was, earlier...)
	check(t, is, b(0), b(1), b(2))
}
