package sink

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"brook/ingest"
	"brook/value"
)

// KafkaSink publishes results to a Kafka topic: one record per emitted row,
// its value the row as a JSON object keyed by column name, its key the
// row's group key (the key column's value as text, or a JSON array of the
// values for several key columns; no key for results without one). Rows of
// a micro-batch carry a "brook-batch" header with the batch number; rows
// emitted when windows close without a new batch (--idle-timeout, the end
// of the input) carry the number of the batch that would follow and a
// "brook-closing" header too; a final result (--emit final) has neither.
// Under a checkpoint, the rows of a batch read from Kafka also carry a
// "brook-source" header: the source's position after the batch, a JSON
// object of offsets keyed "TOPIC/PARTITION" (see ingest.RawBatch.Position).
//
// Update vs append: in append mode each row is published once; in update
// mode a row is published whenever its group changed, so the last record of
// a key is its current value (a compacted topic keeps exactly the current
// result); in complete mode every batch republishes the whole result.
//
// Batch and Result return once the broker has acknowledged every record
// (and, with a checkpoint, the transaction is committed), so a consuming
// source commits its offsets only after the results are stored.
//
// Guarantee. Without a checkpoint (Target.Checkpoint empty) the sink is an
// idempotent producer: no record is written twice by a retry, but a run
// that is started again publishes its results again. With a checkpoint,
// every emission (a micro-batch's rows, a closing emission, the final
// result) is published in one Kafka transaction, under a transactional id
// derived from the checkpoint directory and the topic. Opening the sink
// fences any earlier process using that id and aborts its open
// transaction, then reads the committed tail of the topic to find the last
// emission this producer committed; a replayed batch that was committed
// before the crash (published, but not yet in the checkpoint) is skipped.
// The state must still take that batch in, and from the same records: a
// batch read from a directory is made of the same files again, but one
// read from Kafka is made of whatever has arrived. So the sink reads the
// skipped batch's "brook-source" header back, and the run replays that
// batch up to exactly that position (see ReplayBound and
// ingest.KafkaSource.ReplayUntil), so the state after it, and every batch
// the sink publishes after it, are those of a run that never crashed.
// A consumer reading with isolation level read_committed therefore sees
// each batch exactly once, in batch order on each partition; a
// read_uncommitted consumer can also see the records of aborted
// transactions. This holds while brook is the topic's only writer: the
// resume scan stops at the newest committed records of each partition. It
// recognizes the sink's records by producer id, so if the broker gave the
// transactional id a new one in between (the id expired after long
// inactivity, or its epochs ran out), the batch in flight is published a
// second time. A final result is published once, when the run ends; a
// crash after it was committed but before the run finished publishes it
// again on restart.
type KafkaSink struct {
	cl     *kgo.Client
	topic  string
	schema value.Schema
	keys   []int
	txn    bool  // each emission in a transaction (the run has a checkpoint)
	done   int64 // position (see position) of the last emission committed before this run; -1 for none
	// replay is the source position the batch the run replays first was
	// published with, when the topic holds that batch (see ReplayBound).
	replay map[string]int64
}

// scanTimeout bounds opening a transactional sink: fencing the previous
// producer and reading the topic's committed tail.
const scanTimeout = 60 * time.Second

// scanWindow is how many offsets the resume scan reads first at the end of
// a partition; each further window, further back, is twice as long.
const scanWindow = 16

// OpenKafka opens kafka://broker1,broker2/topic as a sink. The topic is
// created if the brokers allow automatic creation. Its only parameters are
// the connection ones (TLS, SASL: see ingest.KafkaClientOpts), and the
// brokers are contacted when it opens. With t.Checkpoint set,
// the sink is transactional and skips the replayed emissions (from batch
// t.ResumeBatch on) that the topic already holds (see KafkaSink).
func OpenKafka(uri string, t Target) (*KafkaSink, error) {
	k, err := ingest.ParseKafkaURI(uri)
	if err != nil {
		return nil, fmt.Errorf("sink %w", err)
	}
	conn, err := ingest.KafkaClientOpts(k) // TLS and SASL, its only parameters
	if err != nil {
		return nil, fmt.Errorf("sink %s: %w", ingest.RedactKafkaURI(uri), err)
	}
	opts := []kgo.Opt{kgo.SeedBrokers(k.Brokers...), kgo.DefaultProduceTopic(k.Topic),
		kgo.AllowAutoTopicCreation(), kgo.DialTimeout(ingest.DialTimeout), kgo.ProducerLinger(0),
		kgo.RecordDeliveryTimeout(30 * time.Second)}
	opts = append(opts, conn...)
	if t.Checkpoint != "" {
		id, err := transactionalID(t.Checkpoint, k.Topic)
		if err != nil {
			return nil, fmt.Errorf("sink %s: %w", uri, err)
		}
		opts = append(opts, kgo.TransactionalID(id))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("sink %s: %w", uri, err)
	}
	if err := ingest.KafkaPing(cl); err != nil { // unreachable, or refused: say so now
		cl.Close()
		return nil, fmt.Errorf("sink %s: %w", uri, err)
	}
	s := &KafkaSink{cl: cl, topic: k.Topic, schema: t.Schema, keys: t.Keys, txn: t.Checkpoint != "", done: -1}
	if s.txn {
		if err := s.recover(t.ResumeBatch); err != nil {
			cl.Close()
			return nil, fmt.Errorf("kafka sink %s: %w", k.Topic, err)
		}
	}
	return s, nil
}

// transactionalID is the Kafka transactional id of a sink publishing to
// topic for the run checkpointed in dir: the same for every restart of
// that run, different for another directory or topic.
func transactionalID(dir, topic string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256([]byte(abs + "\x00" + topic))
	return "brook-" + topic + "-" + hex.EncodeToString(h[:8]), nil
}

// position orders a run's emissions: batch n's rows come after the
// closing emission numbered n (made before batch n arrived) and before
// anything numbered n+1.
func position(id int64, closing bool) int64 {
	if closing {
		return 2 * id
	}
	return 2*id + 1
}

// recover fences the previous producer with this transactional id (the
// broker aborts its open transaction) and records in s.done the last
// emission it committed, if that emission can be one the resumed run
// replays: only the batch in flight when the run stopped can be in the
// topic but not in the checkpoint, so a later one is left from an earlier
// run in the same (since emptied) checkpoint directory and is ignored.
func (s *KafkaSink) recover(resumeBatch int64) error {
	ctx, cancel := context.WithTimeout(context.Background(), scanTimeout)
	defer cancel()
	pid, _, err := s.cl.ProducerID(ctx)
	if err != nil {
		return fmt.Errorf("initializing the transactional producer: %w", err)
	}
	for {
		var last int64
		var source []byte
		last, source, err = s.lastCommitted(ctx, pid)
		if err == nil {
			if last <= position(resumeBatch, false) {
				s.done = last
			}
			if last == position(resumeBatch, false) && len(source) > 0 {
				if err := json.Unmarshal(source, &s.replay); err != nil {
					return fmt.Errorf("batch %d: its brook-source header %q: %w", resumeBatch, source, err)
				}
			}
			return nil
		}
		if !kerr.IsRetriable(err) && !errors.Is(err, kerr.OffsetOutOfRange) { // out of range: retention moved the start
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("reading the committed batches: %w", err)
		case <-time.After(250 * time.Millisecond):
		}
	}
	return fmt.Errorf("reading the committed batches: %w", err)
}

// lastCommitted returns the position of the latest emission producer pid
// committed to the topic, or -1, and the brook-source header of one of its
// records (nil if they have none). Batches are published in order, so only
// the tail of each partition matters: it reads backwards from the last
// stable offset in growing windows, as a read_committed consumer (control
// records and aborted transactions left out), until a window holds a
// record or the partition's start is reached. Across partitions the
// latest emission has the highest producer epoch (the epoch grows with
// every restart, and with every transaction on brokers that bump it per
// transaction), then the highest position.
func (s *KafkaSink) lastCommitted(ctx context.Context, pid int64) (int64, []byte, error) {
	leaders, topicID, err := s.leaders(ctx)
	if err != nil || len(leaders) == 0 {
		return -1, nil, err
	}
	ends, err := s.listOffsets(ctx, leaders, -1) // last stable offsets (read_committed)
	if err != nil {
		return -1, nil, err
	}
	starts, err := s.listOffsets(ctx, leaders, -2) // log start offsets
	if err != nil {
		return -1, nil, err
	}
	best, bestEpoch := int64(-1), int16(-1)
	var source []byte
	for p, leader := range leaders {
		lo, hi := starts[p], ends[p]
		for w := int64(scanWindow); hi > lo; w *= 2 {
			from := max(lo, hi-w)
			recs, err := s.fetchRange(ctx, leader, topicID, p, from, hi)
			if err != nil {
				return -1, nil, err
			}
			for _, r := range recs {
				pos, ok := recordPosition(r)
				if !ok || r.ProducerID != pid {
					continue
				}
				if r.ProducerEpoch > bestEpoch || r.ProducerEpoch == bestEpoch && pos > best {
					best, bestEpoch, source = pos, r.ProducerEpoch, header(r, "brook-source")
				}
			}
			if len(recs) > 0 {
				break
			}
			hi = from
		}
	}
	return best, source, nil
}

// header returns the value of r's header key, nil if it has none.
func header(r *kgo.Record, key string) []byte {
	for _, h := range r.Headers {
		if h.Key == key {
			return h.Value
		}
	}
	return nil
}

// ReplayBound returns the source position the batch a resumed run replays
// first was published with, when the topic already holds that batch (it
// was committed to Kafka but not yet checkpointed), else nil. The run
// replays that batch up to exactly this position (stream.Options.Replay),
// so that its state takes in the very records the published batch was
// made of.
func (s *KafkaSink) ReplayBound() map[string]int64 { return s.replay }

// recordPosition reads the position of the emission a record belongs to
// from its headers; ok is false for a record without "brook-batch".
func recordPosition(r *kgo.Record) (pos int64, ok bool) {
	id, closing := int64(-1), false
	for _, h := range r.Headers {
		switch h.Key {
		case "brook-batch":
			n, err := strconv.ParseInt(string(h.Value), 10, 64)
			if err != nil {
				return 0, false
			}
			id = n
		case "brook-closing":
			closing = true
		}
	}
	if id < 0 {
		return 0, false
	}
	return position(id, closing), true
}

// leaders returns the topic's partitions with their leaders, and its id;
// no partitions if the topic does not exist yet.
func (s *KafkaSink) leaders(ctx context.Context) (map[int32]int32, [16]byte, error) {
	var id [16]byte
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(s.topic)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, s.cl)
	if err != nil {
		return nil, id, err
	}
	if len(resp.Topics) != 1 {
		return nil, id, fmt.Errorf("metadata: %d topics in the response, want 1", len(resp.Topics))
	}
	t := resp.Topics[0]
	if t.ErrorCode == kerr.UnknownTopicOrPartition.Code {
		return nil, id, nil
	}
	if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
		return nil, id, err
	}
	leaders := make(map[int32]int32, len(t.Partitions))
	for _, p := range t.Partitions {
		if p.Leader < 0 {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return nil, id, err
			}
			return nil, id, kerr.LeaderNotAvailable
		}
		leaders[p.Partition] = p.Leader
	}
	return leaders, t.TopicID, nil
}

// listOffsets returns, per partition, the offset ListOffsets answers for
// timestamp ts (-1: the end, -2: the start) at isolation level
// read_committed, where the end is the last stable offset.
func (s *KafkaSink) listOffsets(ctx context.Context, leaders map[int32]int32, ts int64) (map[int32]int64, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.IsolationLevel = 1
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = s.topic
	for p := range leaders {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition, rp.Timestamp = p, ts
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, s.cl)
	if err != nil {
		return nil, err
	}
	out := make(map[int32]int64, len(leaders))
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return nil, err
			}
			out[p.Partition] = p.Offset
		}
	}
	if len(out) != len(leaders) {
		return nil, fmt.Errorf("list offsets: %d of %d partitions answered", len(out), len(leaders))
	}
	return out, nil
}

// fetchRange reads the committed records of partition p with offsets in
// [from, to) from its leader, as a read_committed consumer sees them.
func (s *KafkaSink) fetchRange(ctx context.Context, leader int32, topicID [16]byte, p int32, from, to int64) ([]*kgo.Record, error) {
	var out []*kgo.Record
	for off := from; off < to; {
		req := kmsg.NewPtrFetchRequest()
		req.IsolationLevel = 1
		req.MinBytes = 1
		req.MaxBytes = 8 << 20
		rt := kmsg.NewFetchRequestTopic()
		rt.Topic, rt.TopicID = s.topic, topicID
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition, rp.FetchOffset, rp.PartitionMaxBytes = p, off, 4<<20
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, s.cl.Broker(int(leader)))
		if err != nil {
			return nil, err
		}
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			return nil, err
		}
		if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
			return nil, fmt.Errorf("fetch partition %d: unexpected response", p)
		}
		fp, next := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{Offset: off, IsolationLevel: kgo.ReadCommitted(),
			Topic: s.topic, Partition: p}, &resp.Topics[0].Partitions[0], kgo.DefaultDecompressor(), nil)
		if fp.Err != nil {
			return nil, fmt.Errorf("fetch partition %d at offset %d: %w", p, off, fp.Err)
		}
		for _, r := range fp.Records {
			if r.Offset < to {
				out = append(out, r)
			}
		}
		if next <= off {
			return nil, fmt.Errorf("fetch partition %d: no progress at offset %d", p, off)
		}
		off = next
	}
	return out, nil
}

// Batch publishes a micro-batch's rows and waits for the broker. A
// transactional sink skips a replayed batch the topic already holds.
func (s *KafkaSink) Batch(info BatchInfo, rows [][]value.Value) error {
	if s.txn && position(info.ID, info.Closing) <= s.done {
		return nil
	}
	headers := []kgo.RecordHeader{{Key: "brook-batch", Value: []byte(strconv.FormatInt(info.ID, 10))}}
	if info.Closing {
		headers = append(headers, kgo.RecordHeader{Key: "brook-closing", Value: []byte("true")})
	}
	if s.txn && len(info.Position) > 0 {
		pos, err := json.Marshal(info.Position) // keys sorted
		if err != nil {
			return err
		}
		headers = append(headers, kgo.RecordHeader{Key: "brook-source", Value: pos})
	}
	return s.publish(rows, headers)
}

// Result publishes a final result and waits for the broker.
func (s *KafkaSink) Result(rows [][]value.Value) error { return s.publish(rows, nil) }

// records renders rows as records with the given headers.
func (s *KafkaSink) records(rows [][]value.Value, headers []kgo.RecordHeader) ([]*kgo.Record, error) {
	recs := make([]*kgo.Record, len(rows))
	for i, row := range rows {
		v, err := rowJSON(s.schema, row)
		if err != nil {
			return nil, err
		}
		recs[i] = &kgo.Record{Topic: s.topic, Key: s.key(row), Value: v, Headers: headers}
	}
	return recs, nil
}

// publish produces rows and waits for the broker; a transactional sink
// does so in one transaction, committed before it returns.
func (s *KafkaSink) publish(rows [][]value.Value, headers []kgo.RecordHeader) error {
	if len(rows) == 0 {
		return nil
	}
	recs, err := s.records(rows, headers)
	if err != nil {
		return err
	}
	ctx := context.Background()
	if !s.txn {
		if err := s.cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			return fmt.Errorf("kafka sink %s: %w", s.topic, err)
		}
		return nil
	}
	if err := s.cl.BeginTransaction(); err != nil {
		return fmt.Errorf("kafka sink %s: %w", s.topic, err)
	}
	err = s.cl.ProduceSync(ctx, recs...).FirstErr() // waits for every record: flushed
	if err != nil {
		s.cl.EndTransaction(ctx, kgo.TryAbort)
		return fmt.Errorf("kafka sink %s: %w", s.topic, err)
	}
	if err := s.cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		return fmt.Errorf("kafka sink %s: committing: %w", s.topic, err)
	}
	return nil
}

// key renders the row's group key: nil without key columns, the value's
// text for one, a JSON array for several.
func (s *KafkaSink) key(row []value.Value) []byte {
	switch len(s.keys) {
	case 0:
		return nil
	case 1:
		v := row[s.keys[0]]
		if v.IsNull() {
			return []byte("null")
		}
		return []byte(v.Format())
	}
	vals := make([]any, len(s.keys))
	for i, k := range s.keys {
		vals[i] = row[k].JSON()
	}
	b, _ := json.Marshal(vals)
	return b
}

// PreCommit is the Kafka sink's part in a run's commit protocol (see
// stream.Participant): it flushes the client and returns 0 (the sink has no
// position to record). Its order differs from the file sinks' on purpose:
// a transactional sink has already committed each emission's transaction
// in Batch, before the run writes its checkpoint. Committing after the
// checkpoint instead could lose a batch: a transaction left open by a
// crash cannot be committed by the restarted process, since opening the
// sink fences the old producer and the broker aborts its transaction,
// while the checkpoint, already written, says the batch is done and it is
// not replayed. Committing first, a crash between the commit and the
// checkpoint replays the batch, and the resume scan (see KafkaSink) finds
// it committed and skips it: each batch is in the topic exactly once.
func (s *KafkaSink) PreCommit() (int64, error) {
	if err := s.cl.Flush(context.Background()); err != nil {
		return 0, fmt.Errorf("kafka sink %s: %w", s.topic, err)
	}
	return 0, nil
}

// Commit does nothing: see PreCommit.
func (s *KafkaSink) Commit() error { return nil }

// Close flushes and closes the client.
func (s *KafkaSink) Close() error {
	err := s.cl.Flush(context.Background())
	s.cl.Close()
	return err
}
