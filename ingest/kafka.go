package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// KafkaURI is a parsed kafka://broker1,broker2/topic?query URI.
type KafkaURI struct {
	Brokers []string
	Topic   string
	Query   url.Values
}

// ParseKafkaURI reads kafka://broker1:9092,broker2:9092/topic?k=v. It
// checks the shape only; the caller checks the query keys it knows.
func ParseKafkaURI(uri string) (*KafkaURI, error) {
	rest, ok := strings.CutPrefix(uri, "kafka://")
	if !ok {
		if len(uri) >= 8 && strings.EqualFold(uri[:8], "kafka://") {
			rest = uri[8:]
		} else {
			return nil, fmt.Errorf("%s: want kafka://broker1,broker2/topic", uri)
		}
	}
	rest, rawQuery, _ := strings.Cut(rest, "?")
	hosts, topic, _ := strings.Cut(rest, "/")
	topic = strings.TrimSuffix(topic, "/")
	if hosts == "" || topic == "" || strings.Contains(topic, "/") {
		return nil, fmt.Errorf("%s: want kafka://broker1,broker2/topic (brokers and one topic)", uri)
	}
	k := &KafkaURI{Topic: topic}
	for _, h := range strings.Split(hosts, ",") {
		if h = strings.TrimSpace(h); h == "" {
			return nil, fmt.Errorf("%s: empty broker address", uri)
		}
		if !strings.Contains(h, ":") {
			h += ":9092"
		}
		k.Brokers = append(k.Brokers, h)
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fmt.Errorf("%s: bad query: %w", uri, err)
	}
	k.Query = q
	return k, nil
}

// KafkaSource consumes one Kafka topic. With a consumer group (group=G) it
// commits the offsets of a batch only when the batch is acknowledged
// (Ack, which stream.Run calls once the batch's results are emitted), so a
// restarted consumer resumes after the last batch whose results were
// written: nothing lost, nothing read twice. Without a group it reads from
// start (earliest by default) and commits nothing.
//
// Each record value is one NDJSON line (a trailing newline is dropped). In
// error messages a record is named "kafka TOPIC/PARTITION:LINE" where LINE
// is its offset + 1.
type KafkaSource struct {
	cl    *kgo.Client
	topic string
	group string
	opts  Options
	max   int

	next     time.Time
	lastSeen time.Time

	mu       sync.Mutex
	consumed map[int32]kgo.EpochOffset // next offset per partition, after the last delivered batch
	unacked  []kafkaPending
}

type kafkaPending struct {
	batch   *RawBatch
	offsets map[int32]kgo.EpochOffset
}

// openKafka opens kafka://brokers/topic?group=G&start=earliest|latest&max=N.
func openKafka(uri string, opts Options) (Source, error) {
	k, err := ParseKafkaURI(uri)
	if err != nil {
		return nil, fmt.Errorf("source %w", err)
	}
	s := &KafkaSource{topic: k.Topic, opts: opts, max: opts.maxRecords(), lastSeen: time.Now(), consumed: map[int32]kgo.EpochOffset{}}
	start := kgo.NewOffset().AtStart()
	for key, vals := range k.Query {
		v := vals[len(vals)-1]
		switch key {
		case "group":
			s.group = v
		case "start":
			switch v {
			case "earliest":
			case "latest":
				start = kgo.NewOffset().AtEnd()
			default:
				return nil, fmt.Errorf("source %s: start wants earliest or latest, got %q", uri, v)
			}
		case "max":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("source %s: max wants a positive number of records per batch, got %q", uri, v)
			}
			s.max = n
		default:
			return nil, fmt.Errorf("source %s: unknown parameter %q (known: group, start, max)", uri, key)
		}
	}
	kopts := []kgo.Opt{
		kgo.SeedBrokers(k.Brokers...),
		kgo.ConsumeTopics(k.Topic),
		kgo.ConsumeResetOffset(start),
		kgo.FetchMaxWait(500 * time.Millisecond),
		kgo.DialTimeout(DialTimeout),
	}
	if s.group != "" {
		kopts = append(kopts, kgo.ConsumerGroup(s.group), kgo.DisableAutoCommit())
	}
	if s.cl, err = kgo.NewClient(kopts...); err != nil {
		return nil, fmt.Errorf("source %s: %w", uri, err)
	}
	return s, nil
}

// Next returns the records that arrived: with no Trigger, whatever is
// buffered once anything is; with a Trigger, what arrived by the next
// deadline, handed over at that deadline; never more than the record cap. It returns ErrEndOfInput once
// ExitIdle passed without a record.
func (s *KafkaSource) Next(ctx context.Context) (*RawBatch, error) {
	var recs []*kgo.Record
	var deadline time.Time
	if t := s.opts.Trigger; t > 0 {
		now := time.Now()
		if s.next.IsZero() {
			s.next = now.Add(t)
		}
		for !s.next.After(now) {
			s.next = s.next.Add(t)
		}
		deadline = s.next
	}
	for len(recs) < s.max {
		var fs kgo.Fetches
		if len(recs) > 0 && deadline.IsZero() {
			fs = s.cl.PollRecords(nil, s.max-len(recs)) //nolint:staticcheck // nil: only what is buffered
			if fs.NumRecords() == 0 {
				break
			}
		} else {
			pctx, cancel := ctx, context.CancelFunc(func() {})
			wake := deadline
			if s.opts.ExitIdle > 0 && len(recs) == 0 {
				if idle := s.lastSeen.Add(s.opts.ExitIdle); wake.IsZero() || idle.Before(wake) {
					wake = idle
				}
			}
			if !wake.IsZero() {
				pctx, cancel = context.WithDeadline(ctx, wake)
			}
			fs = s.cl.PollRecords(pctx, s.max-len(recs))
			cancel()
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) {
			if ferr == nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				ferr = err
			}
		})
		recs = append(recs, fs.Records()...)
		if len(fs.Records()) > 0 {
			s.lastSeen = time.Now()
		}
		if ferr != nil {
			if errors.Is(ferr, kgo.ErrClientClosed) {
				ferr = ErrEndOfInput
			} else {
				ferr = fmt.Errorf("kafka %s: %w", s.topic, ferr)
			}
			if len(recs) == 0 {
				return nil, ferr
			}
			break
		}
		if ctx.Err() != nil {
			if len(recs) == 0 {
				return nil, ctx.Err()
			}
			break
		}
		now := time.Now()
		if !deadline.IsZero() && !now.Before(deadline) {
			if len(recs) > 0 {
				break
			}
			s.next = s.next.Add(s.opts.Trigger)
			deadline = s.next
		}
		if len(recs) == 0 && s.opts.ExitIdle > 0 && !now.Before(s.lastSeen.Add(s.opts.ExitIdle)) {
			return nil, ErrEndOfInput
		}
	}
	if len(recs) >= s.max && !deadline.IsZero() {
		// A full batch still waits for its trigger: one batch per
		// interval, the rest left for the next.
		if wait := time.Until(deadline); wait > 0 {
			timer := time.NewTimer(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
			}
			timer.Stop()
		}
	}
	return s.batch(recs), nil
}

// batch turns records into chunks, one per run of consecutive offsets of a
// partition, and notes the offsets the batch consumed.
func (s *KafkaSource) batch(recs []*kgo.Record) *RawBatch {
	b := &RawBatch{}
	var cur *Chunk
	var curPart int32
	var nextOff int64
	for _, r := range recs {
		v := bytes.TrimSuffix(r.Value, []byte{'\n'})
		multi := bytes.IndexByte(v, '\n') >= 0
		if cur == nil || multi || r.Partition != curPart || r.Offset != nextOff {
			b.Chunks = append(b.Chunks, Chunk{Name: fmt.Sprintf("kafka %s/%d", r.Topic, r.Partition), FirstLine: int(r.Offset) + 1})
			cur = &b.Chunks[len(b.Chunks)-1]
			curPart = r.Partition
		}
		cur.Data = append(append(cur.Data, v...), '\n')
		b.Bytes += int64(len(v) + 1)
		nextOff = r.Offset + 1
		if multi {
			cur = nil // the next record starts its own chunk
		}
		s.consumed[r.Partition] = kgo.EpochOffset{Epoch: r.LeaderEpoch, Offset: r.Offset + 1}
	}
	if s.group != "" {
		snap := make(map[int32]kgo.EpochOffset, len(s.consumed))
		for p, o := range s.consumed {
			snap[p] = o
		}
		s.mu.Lock()
		s.unacked = append(s.unacked, kafkaPending{batch: b, offsets: snap})
		s.mu.Unlock()
	}
	return b
}

// Ack commits, for a consumer group, the offsets after b and every batch
// delivered before it. Without a group it does nothing.
func (s *KafkaSource) Ack(ctx context.Context, b *RawBatch) error {
	if s.group == "" {
		return nil
	}
	s.mu.Lock()
	i := -1
	for j, p := range s.unacked {
		if p.batch == b {
			i = j
			break
		}
	}
	if i < 0 {
		s.mu.Unlock()
		return nil // acknowledged already, or not ours
	}
	offsets := s.unacked[i].offsets
	s.unacked = s.unacked[i+1:]
	s.mu.Unlock()
	var cerr error
	s.cl.CommitOffsetsSync(ctx, map[string]map[int32]kgo.EpochOffset{s.topic: offsets},
		func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
			if err != nil {
				cerr = err
				return
			}
			for _, t := range resp.Topics {
				for _, p := range t.Partitions {
					if err := kerr.ErrorForCode(p.ErrorCode); err != nil && cerr == nil {
						cerr = fmt.Errorf("partition %d: %w", p.Partition, err)
					}
				}
			}
		})
	if cerr != nil {
		return fmt.Errorf("kafka %s: committing offsets of group %s: %w", s.topic, s.group, cerr)
	}
	return nil
}

// Close leaves the group (committing nothing more) and closes the client.
func (s *KafkaSource) Close() error {
	s.cl.Close()
	return nil
}

var (
	_ Source = (*KafkaSource)(nil)
	_ Acker  = (*KafkaSource)(nil)
)
