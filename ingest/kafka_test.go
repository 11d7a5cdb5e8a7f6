package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// newKafka starts an in-process Kafka-protocol broker on 127.0.0.1 with
// the given topics (3 partitions each) and returns its address.
func newKafka(t *testing.T, topics ...string) string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

// produceIDs writes records {"id": from} ... {"id": to-1} to topic.
func produceIDs(t *testing.T, addr, topic string, from, to int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for i := from; i < to; i++ {
		recs = append(recs, &kgo.Record{Key: fmt.Appendf(nil, "%d", i), Value: fmt.Appendf(nil, `{"id": %d}`, i)}) // keys spread them over the partitions
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// ids reads the "id" of every line of a batch.
func ids(t *testing.T, b *RawBatch) []int {
	t.Helper()
	var out []int
	for _, c := range b.Chunks {
		for _, ln := range bytes.Split(bytes.TrimSuffix(c.Data, []byte{'\n'}), []byte{'\n'}) {
			var id int
			if _, err := fmt.Sscanf(string(ln), `{"id": %d}`, &id); err != nil {
				t.Fatalf("%s:%d: bad line %q", c.Name, c.FirstLine, ln)
			}
			out = append(out, id)
		}
	}
	return out
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // a bound on a broken test, not a measurement
	t.Cleanup(cancel)
	return ctx
}

// TestKafkaRestartResumes reads three capped batches, acknowledges two,
// and closes; a second consumer of the group must deliver exactly the
// records after the acknowledged ones: none lost, none twice.
func TestKafkaRestartResumes(t *testing.T) {
	addr := newKafka(t, "flows")
	const n = 3000
	produceIDs(t, addr, "flows", 0, n)
	ctx := testCtx(t)
	uri := "kafka://" + addr + "/flows?group=brook&max=400"
	open := func() Source {
		src, err := Open(uri, Options{ExitIdle: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return src
	}
	seen := map[int]int{}
	a := open()
	var batches []*RawBatch
	for len(batches) < 3 {
		b, err := a.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if lines := len(ids(t, b)); lines > 400 {
			t.Fatalf("batch of %d records, capped at 400", lines)
		}
		batches = append(batches, b)
	}
	for _, b := range batches[:2] {
		for _, id := range ids(t, b) {
			seen[id]++
		}
	}
	if err := a.(Acker).Ack(ctx, batches[1]); err != nil { // covers batches 0 and 1
		t.Fatal(err)
	}
	a.Close() // batch 2 was read but never acknowledged: it must come again

	b := open()
	defer b.Close()
	for {
		raw, err := b.Next(ctx)
		if errors.Is(err, ErrEndOfInput) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids(t, raw) {
			seen[id]++
		}
		if err := b.(Acker).Ack(ctx, raw); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		if seen[i] != 1 {
			t.Fatalf("record %d delivered %d times after the restart (want once); %d distinct records seen", i, seen[i], len(seen))
		}
	}
	if len(seen) != n {
		t.Fatalf("%d distinct records, want %d", len(seen), n)
	}
}

// TestKafkaLineNumbers checks that records keep their origin: chunk names
// say topic and partition, and line numbers are offsets + 1.
func TestKafkaLineNumbers(t *testing.T) {
	addr := newKafka(t, "t")
	produceIDs(t, addr, "t", 0, 10)
	ctx := testCtx(t)
	src, err := Open("kafka://"+addr+"/t", Options{ExitIdle: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	total := 0
	for {
		b, err := src.Next(ctx)
		if errors.Is(err, ErrEndOfInput) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range b.Chunks {
			if !strings.HasPrefix(c.Name, "kafka t/") || c.FirstLine < 1 {
				t.Errorf("chunk %q line %d", c.Name, c.FirstLine)
			}
		}
		total += len(ids(t, b))
	}
	if total != 10 {
		t.Fatalf("read %d records, want 10", total)
	}
}

// TestKafkaBadURIs checks that mistakes get clear errors.
func TestKafkaBadURIs(t *testing.T) {
	for uri, want := range map[string]string{
		"kafka://":                         "want kafka://",
		"kafka://host:9092":                "want kafka://",
		"kafka://host:9092/a/b":            "one topic",
		"kafka://host:9092/t?start=middle": "start wants earliest or latest",
		"kafka://host:9092/t?max=0":        "max wants a positive",
		"kafka://host:9092/t?grup=x":       `unknown parameter "grup"`,
		"kafka://host:9092/t?max=%zz":      "bad query",
		"kafka://,/t":                      "empty broker",
		// A well-formed URI whose broker does not answer: an error naming it.
		"kafka://127.0.0.1:1/t?start=latest&": "no Kafka broker answered at 127.0.0.1:1",
	} {
		src, err := Open(uri, Options{})
		if err == nil {
			src.Close()
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", uri, err, want)
		}
	}
}

// TestKafkaStopAtEnd: with stop=end the source reads every partition up
// to where it ended when the source opened, records committed by a
// transaction included and markers skipped, and nothing produced after;
// then it ends by itself, with no idle timeout. A group whose offsets are
// at those ends already reads nothing and ends at once.
func TestKafkaStopAtEnd(t *testing.T) {
	addr := newKafka(t, "flows")
	produceIDs(t, addr, "flows", 0, 1000)
	// Records 1000-1099 in a committed transaction: its markers take
	// offsets of their own.
	txn, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("flows"), kgo.TransactionalID("stop-end-test"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	if err := txn.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for i := 1000; i < 1100; i++ {
		txn.Produce(ctx, &kgo.Record{Value: fmt.Appendf(nil, `{"id": %d}`, i)}, nil)
	}
	if err := txn.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := txn.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	txn.Close()

	uri := "kafka://" + addr + "/flows?group=bounded&stop=end&max=300"
	runs := 0
	read := func() (seen map[int]int, batches int) {
		runs++
		src, err := Open(uri, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		seen = map[int]int{}
		for {
			b, err := src.Next(ctx)
			if errors.Is(err, ErrEndOfInput) {
				return seen, batches
			}
			if err != nil {
				t.Fatal(err)
			}
			batches++
			for _, id := range ids(t, b) {
				seen[id]++
			}
			if err := src.(Acker).Ack(ctx, b); err != nil {
				t.Fatal(err)
			}
			if runs == 1 && batches == 1 { // produced after the source opened: not read
				produceIDs(t, addr, "flows", 5000, 5100)
			}
		}
	}
	seen, batches := read()
	if len(seen) != 1100 {
		t.Fatalf("read %d distinct records in %d batches, want the 1100 there when the source opened", len(seen), batches)
	}
	for id, n := range seen {
		if id >= 1100 || n != 1 {
			t.Fatalf("record %d read %d times", id, n)
		}
	}
	// The group's offsets are now at the ends the first run saw, but
	// records 5000-5099 arrived since: a second bounded run reads them.
	if seen, _ = read(); len(seen) != 100 {
		t.Fatalf("second run read %d records, want the 100 produced during the first", len(seen))
	}
	if seen, batches = read(); len(seen) != 0 || batches != 0 {
		t.Fatalf("a group at the end read %d records in %d batches", len(seen), batches)
	}

	for _, uri := range []string{"kafka://" + addr + "/nosuch?stop=end", "kafka://" + addr + "/nosuch?group=g"} {
		if _, err := Open(uri, Options{}); err == nil || !strings.Contains(err.Error(), `topic "nosuch" does not exist on `+addr+` (topics there: flows)`) {
			t.Fatalf("%s: missing topic: %v", uri, err)
		}
	}
	if _, err := Open("kafka://"+addr+"/flows?stop=end&start=latest", Options{}); err == nil || !strings.Contains(err.Error(), "reads nothing") {
		t.Fatalf("stop=end with start=latest: %v", err)
	}
}

// TestKafkaHoldingParts checks which partitions a Kafka source says hold
// the watermark back (RawBatch.Holding): a partition with records not yet
// delivered always holds it; one delivered up to its end holds it until it
// has been idle for PartIdle; under stop=end one read to its end never
// does (an empty partition included).
func TestKafkaHoldingParts(t *testing.T) {
	addr := newKafka(t, "flows")
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("flows"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	var recs []*kgo.Record
	for i := 0; i < 20; i++ {
		recs = append(recs, &kgo.Record{Partition: int32(2 * (i % 2)), Value: fmt.Appendf(nil, `{"id": %d}`, i)})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	ctx := testCtx(t)
	read := func(uri string, idle time.Duration, check func(b *RawBatch, parts map[int32]int)) {
		t.Helper()
		src, err := Open(uri, Options{PartIdle: idle})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		parts := map[int32]int{} // records delivered per partition
		for n := 0; n < 20; {
			b, err := src.Next(ctx)
			if errors.Is(err, ErrEndOfInput) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if !b.Parted {
				t.Fatal("a Kafka batch does not say it is parted")
			}
			for _, c := range b.Chunks {
				k := bytes.Count(c.Data, []byte{'\n'})
				parts[c.Part] += k
				n += k
			}
			check(b, parts)
		}
	}
	base := "kafka://" + addr + "/flows?max=5"
	read(base, time.Hour, func(b *RawBatch, _ map[int32]int) {
		if fmt.Sprint(b.Holding) != "[0 1 2]" {
			t.Errorf("nothing idle: holding %v, want [0 1 2]", b.Holding)
		}
	})
	read(base, time.Nanosecond, func(b *RawBatch, parts map[int32]int) {
		for _, p := range []int32{0, 2} {
			if behind := parts[p] < 10 && parts[p] > 0; behind != slices.Contains(b.Holding, p) {
				t.Errorf("partition %d, %d of 10 records delivered: holding %v", p, parts[p], b.Holding)
			}
		}
		if slices.Contains(b.Holding, 1) {
			t.Errorf("the empty partition 1 holds the watermark with a 1ns idle timeout: %v", b.Holding)
		}
	})
	read(base+"&stop=end", time.Hour, func(b *RawBatch, parts map[int32]int) {
		var want []int32
		for _, p := range []int32{0, 2} {
			if parts[p] < 10 {
				want = append(want, p)
			}
		}
		if fmt.Sprint(b.Holding) != fmt.Sprint(want) {
			t.Errorf("stop=end, delivered %v: holding %v, want %v", parts, b.Holding, want)
		}
	})
}

// readAll reads src to its end, counting each id it delivers in seen.
func readAll(t *testing.T, ctx context.Context, src Source, seen map[int]int) {
	t.Helper()
	for {
		b, err := src.Next(ctx)
		if errors.Is(err, ErrEndOfInput) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids(t, b) {
			seen[id]++
		}
	}
}

// TestKafkaResume: a source resumed at the Position of a batch delivers
// exactly the records after it, whatever the group committed (nothing, or
// more than the position covers), with and without a group; with stop=end
// a position at every partition's end reads nothing. ReplayUntil makes the
// first batch after the resume hold exactly the records of the batch that
// followed the position then.
func TestKafkaResume(t *testing.T) {
	addr := newKafka(t, "flows")
	const n = 3000
	produceIDs(t, addr, "flows", 0, n)
	ctx := testCtx(t)
	for _, query := range []string{"max=400&stop=end", "group=g1&max=400&stop=end", "group=g2&max=400"} {
		t.Run(query, func(t *testing.T) {
			uri := "kafka://" + addr + "/flows?" + query
			open := func() Source {
				src, err := Open(uri, Options{ExitIdle: time.Second})
				if err != nil {
					t.Fatal(err)
				}
				return src
			}
			a := open()
			seen := map[int]int{}
			var batches []*RawBatch // read until a batch's position names every partition, then two more
			for len(batches) == 0 || len(batches[0].Position) < 3 {
				b, err := a.Next(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if len(b.Position) == 0 {
					t.Fatal("a batch without a position")
				}
				for _, id := range ids(t, b) {
					seen[id]++
				}
				batches = []*RawBatch{b}
			}
			for len(batches) < 3 {
				b, err := a.Next(ctx)
				if err != nil {
					t.Fatal(err)
				}
				batches = append(batches, b)
			}
			third := ids(t, batches[2])
			if acker, ok := a.(Acker); ok && strings.Contains(query, "group") {
				// The group commits past the checkpoint: the checkpoint wins.
				if err := acker.Ack(ctx, batches[2]); err != nil {
					t.Fatal(err)
				}
			}
			a.Close()

			// Resumed after batch 0, replaying batch 1 as it was.
			b := open()
			defer b.Close()
			if err := b.(interface {
				Resume([]string, map[string]int64) error
			}).Resume(nil, batches[0].Position); err != nil {
				t.Fatal(err)
			}
			if err := b.(interface{ ReplayUntil(map[string]int64) error }).ReplayUntil(batches[1].Position); err != nil {
				t.Fatal(err)
			}
			first, err := b.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got, want := ids(t, first), ids(t, batches[1])
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("the replayed batch holds %d records, not the %d of the batch it replays", len(got), len(want))
			}
			if !maps.Equal(first.Position, batches[1].Position) {
				t.Fatalf("replayed batch ends at %v, want %v", first.Position, batches[1].Position)
			}
			for _, id := range got {
				seen[id]++
			}
			readAll(t, ctx, b, seen)
			for i := 0; i < n; i++ {
				if seen[i] != 1 {
					t.Fatalf("record %d delivered %d times across the resume (want once); %d distinct seen, batch 2 had %d", i, seen[i], len(seen), len(third))
				}
			}
		})
	}

	// A position at every partition's end: a bounded source reads nothing.
	src, err := Open("kafka://"+addr+"/flows?stop=end", Options{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	var last *RawBatch
	for {
		b, err := src.Next(ctx)
		if errors.Is(err, ErrEndOfInput) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		last = b
		for _, id := range ids(t, b) {
			seen[id]++
		}
	}
	src.Close()
	if len(seen) != n {
		t.Fatalf("read %d records, want %d", len(seen), n)
	}
	src, err = Open("kafka://"+addr+"/flows?stop=end", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := src.(*KafkaSource).Resume(nil, last.Position); err != nil {
		t.Fatal(err)
	}
	if b, err := src.Next(ctx); !errors.Is(err, ErrEndOfInput) {
		t.Fatalf("resumed at the end: %v records, error %v; want the end of input", b, err)
	}
	if err := src.(*KafkaSource).Resume(nil, map[string]int64{"other/0": 1}); err == nil || !strings.Contains(err.Error(), "not one of topic flows") {
		t.Fatalf("a position of another topic: %v", err)
	}
}

// TestKafkaRebalanceKeepsPosition: a group member A reads three batches
// and acknowledges none; a member B joins and the group moves a partition
// from A to B; B leaves and A is assigned the partition again. A must go
// on from its own position in it (what it delivered), not from the
// group's committed offset (nothing): A delivers every record once.
func TestKafkaRebalanceKeepsPosition(t *testing.T) {
	addr := newKafka(t, "flows")
	const n = 3000
	produceIDs(t, addr, "flows", 0, n)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // a bound on a broken test
	defer cancel()
	uri := "kafka://" + addr + "/flows?group=rb&max=100"
	src, err := Open(uri, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	a := src.(*KafkaSource)
	seen := map[int]int{}
	read := func() int {
		a.mu.Lock()
		defer a.mu.Unlock()
		return len(a.consumed)
	}
	for read() < 3 { // A has read from every partition
		b, err := a.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids(t, b) {
			seen[id]++
		}
		if err := a.Ack(ctx, b); err != nil { // as a run does: nothing in flight when the group rebalances
			t.Fatal(err)
		}
	}
	owned := func(s *KafkaSource) int {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.assigned)
	}
	before := map[int32]int64{}
	a.mu.Lock()
	for p, o := range a.consumed {
		before[p] = o.Offset
	}
	a.mu.Unlock()

	bsrc, err := Open(uri, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := bsrc.(*KafkaSource)
	bctx, bcancel := context.WithCancel(ctx)
	bdone := make(chan struct{})
	go func() { // B joins the group and waits for records
		defer close(bdone)
		b.Next(bctx)
	}()
	for owned(b) == 0 || owned(a) == 3 { // the group moved a partition to B
		if ctx.Err() != nil {
			t.Fatalf("no partition moved from A (%d) to B (%d)", owned(a), owned(b))
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.mu.Lock()
	var moved int32
	for p := range b.assigned {
		moved = p
	}
	b.mu.Unlock()
	if before[moved] == 0 {
		t.Fatalf("A had read nothing of partition %d, which moved: the test proves nothing", moved)
	}
	bcancel()
	<-bdone
	b.Close() // B leaves: A is assigned the partition again
	for len(seen) < n {
		batch, err := a.Next(ctx)
		if err != nil {
			t.Fatalf("after %d distinct records: %v", len(seen), err)
		}
		for _, id := range ids(t, batch) {
			if seen[id]++; seen[id] > 1 {
				t.Fatalf("record %d delivered twice to the member that read it before partition %d moved away and back", id, moved)
			}
		}
	}
}

// TestKafkaCommitsOwnedOnly: a batch delivered while this process owned
// partitions 0 and 1 is acknowledged after partition 1 moved to another
// member; only partition 0's offset may be committed, or the group's
// offset of partition 1 would go back to where this process left it,
// under the records the other member has read since.
func TestKafkaCommitsOwnedOnly(t *testing.T) {
	s := &KafkaSource{group: "g"}
	s.assign([]int32{0, 1})
	offsets := map[int32]kgo.EpochOffset{0: {Offset: 10}, 1: {Offset: 20}}
	s.revoke([]int32{1})
	s.mu.Lock()
	got := s.ownedOffsets(offsets)
	s.mu.Unlock()
	if len(got) != 1 || got[0].Offset != 10 {
		t.Errorf("offsets committed after partition 1 was revoked: %v, want only partition 0's", got)
	}
	free := &KafkaSource{} // without a group nothing is owned, nothing committed anyway
	if got := free.ownedOffsets(offsets); len(got) != 2 {
		t.Errorf("without a group: %v", got)
	}
}

// TestKafkaRebalanceHandsOver: member A has delivered batches from every
// partition and acknowledged none when member B joins the group. The
// partition the group moves to B must not be given up before A's batches
// in flight are acknowledged (which commits their offsets), so that B
// starts after them: across both members, every record is delivered
// exactly once.
func TestKafkaRebalanceHandsOver(t *testing.T) {
	addr := newKafka(t, "flows")
	const n = 3000
	produceIDs(t, addr, "flows", 0, n)
	ctx := testCtx(t)
	uri := "kafka://" + addr + "/flows?group=handover&max=100"
	src, err := Open(uri, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	a := src.(*KafkaSource)
	waiting := make(chan []int32, 1)
	a.onHandOver = func(revoked []int32) { waiting <- revoked }

	var mu sync.Mutex
	seen := map[int]string{}
	note := func(who string, b *RawBatch) {
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ids(t, b) {
			if prev, ok := seen[id]; ok {
				t.Errorf("record %d delivered to %s after %s had it", id, who, prev)
			}
			seen[id] = who
		}
	}
	var inFlight []*RawBatch
	read := func() int {
		a.mu.Lock()
		defer a.mu.Unlock()
		return len(a.consumed)
	}
	for read() < 3 { // A has delivered records of every partition, acknowledged none
		b, err := a.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		note("A", b)
		inFlight = append(inFlight, b)
	}

	bsrc, err := Open(uri, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer bsrc.Close()
	bctx, bcancel := context.WithCancel(ctx)
	defer bcancel()
	bdone := make(chan error, 1)
	go func() { // B joins the group and reads what it is given
		for {
			b, err := bsrc.Next(bctx)
			if err != nil {
				bdone <- err
				return
			}
			note("B", b)
			if err := bsrc.(*KafkaSource).Ack(bctx, b); err != nil {
				bdone <- err
				return
			}
		}
	}()
	var revoked []int32
	select {
	case revoked = <-waiting: // A's hand-over waits for its batches in flight
	case <-ctx.Done():
		t.Fatal("B joined, but A gave no partition up waiting for its unacknowledged batches")
	}
	for _, p := range revoked {
		a.mu.Lock()
		owned := a.assigned[p] != nil
		a.mu.Unlock()
		if !owned {
			t.Fatalf("partition %d was given up before A's batches in flight were acknowledged", p)
		}
	}
	if err := a.Ack(ctx, inFlight[len(inFlight)-1]); err != nil {
		t.Fatal(err)
	}
	total := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(seen)
	}
	for total() < n { // A reads what it kept, B what it was given
		actx, acancel := context.WithTimeout(ctx, 200*time.Millisecond) // a poll interval, not a measurement
		b, err := a.Next(actx)
		acancel()
		if err == nil {
			note("A", b)
			if err := a.Ack(ctx, b); err != nil {
				t.Fatal(err)
			}
		} else if ctx.Err() != nil {
			t.Fatalf("after %d distinct records of %d: %v", total(), n, err)
		}
	}
	bcancel()
	if err := <-bdone; !errors.Is(err, context.Canceled) {
		t.Errorf("B: %v", err)
	}
	mu.Lock()
	byB := 0
	for _, who := range seen {
		if who == "B" {
			byB++
		}
	}
	mu.Unlock()
	if byB == 0 {
		t.Error("B read nothing: the test proves nothing")
	}
}
