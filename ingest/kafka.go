package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
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
// checks the shape only; the caller checks the query keys it knows. Its
// errors show the URI with any secret redacted (RedactKafkaURI).
func ParseKafkaURI(raw string) (*KafkaURI, error) {
	uri := RedactKafkaURI(raw) // as messages show it
	rest, ok := strings.CutPrefix(raw, "kafka://")
	if !ok {
		if len(raw) >= 8 && strings.EqualFold(raw[:8], "kafka://") {
			rest = raw[8:]
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
		if strings.Contains(h, "@") {
			return nil, fmt.Errorf("%s: credentials do not go in the broker address: give sasl=MECH&user=NAME, with the password in $%s (or the variable password-env=VAR names)", uri, KafkaPasswordEnv)
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
// is its offset + 1. Records are read committed: a transaction's records
// once it commits, an aborted one's never.
//
// With stop=end (or Options.StopAtEnd) the source is bounded: when it opens
// it notes every partition's end (its last stable offset: everything
// committed by then), reads each partition up to that end and no further,
// and ends (ErrEndOfInput) once every partition has reached it, however
// long the group took to join or a fetch to return. A partition the group
// (or the start position) already has at its end is done from the start.
type KafkaSource struct {
	cl    *kgo.Client
	topic string
	group string
	opts  Options
	max   int

	next     time.Time
	lastSeen time.Time
	// assignedAt is when the group last assigned partitions (UnixNano; 0
	// while joining or rebalancing): idle time counts only from then.
	assignedAt atomic.Int64
	// resetIdle makes the next Next count idle time from its own start:
	// time spent processing the last batch is not time without records.
	resetIdle bool

	// With stop=end: each partition's end, and those not yet reached.
	stopEnd bool
	ends    map[int32]int64
	pending map[int32]bool

	mu       sync.Mutex
	consumed map[int32]kgo.EpochOffset // next offset per partition, after the last delivered batch
	unacked  []kafkaPending
	// parts holds the partitions read here (the topic's, or the group's
	// assignment), for the watermark (see RawBatch.Parted); guarded by mu.
	parts map[int32]*kafkaPart

	end kafkaEndNote // for the warning of a group at the end (kafkaend.go)
}

// kafkaPart is what the watermark needs to know of a partition read here.
type kafkaPart struct {
	seen time.Time // its last record, or its assignment
	end  int64     // its end (last stable offset) at the last fetch with records; -1: not known
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
	conn, err := KafkaClientOpts(k, "group", "start", "stop", "max") // TLS and SASL (kafkaauth.go)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", RedactKafkaURI(uri), err)
	}
	start, latest := kgo.NewOffset().AtStart(), false
	s.stopEnd = opts.StopAtEnd && !k.Query.Has("stop")
	for key, vals := range k.Query {
		v := vals[len(vals)-1]
		switch key {
		case "group":
			s.group = v
		case "start":
			switch v {
			case "earliest":
			case "latest":
				start, latest = kgo.NewOffset().AtEnd(), true
			default:
				return nil, fmt.Errorf("source %s: start wants earliest or latest, got %q", uri, v)
			}
		case "stop":
			if v != "end" {
				return nil, fmt.Errorf("source %s: stop wants end (read every partition up to its end when the run starts, then end), got %q", uri, v)
			}
			s.stopEnd = true
		case "max":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("source %s: max wants a positive number of records per batch, got %q", uri, v)
			}
			s.max = n
		default:
			return nil, fmt.Errorf("source %s: unknown parameter %q (known: group, start, stop, max)", uri, key)
		}
	}
	kopts := []kgo.Opt{
		kgo.SeedBrokers(k.Brokers...),
		kgo.ConsumeTopics(k.Topic),
		kgo.ConsumeResetOffset(start),
		kgo.FetchMaxWait(500 * time.Millisecond),
		kgo.DialTimeout(DialTimeout),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// Transaction markers take offsets too: they are kept (and
		// dropped in Next) so that a bounded read sees its partition
		// reach the end.
		kgo.KeepControlRecords(),
	}
	kopts = append(kopts, conn...)
	if s.group != "" {
		kopts = append(kopts, kgo.ConsumerGroup(s.group), kgo.DisableAutoCommit(),
			// --exit-idle counts from the assignment: joining the group
			// (and every rebalance) is not time without records.
			kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, assigned map[string][]int32) {
				s.assign(assigned[s.topic])
				s.assignedAt.Store(time.Now().UnixNano())
			}),
			kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, revoked map[string][]int32) {
				s.assignedAt.Store(0)
				s.revoke(revoked[s.topic])
			}),
			kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
				s.assignedAt.Store(0)
				s.revoke(lost[s.topic])
			}))
	} else {
		s.assignedAt.Store(time.Now().UnixNano())
	}
	if s.cl, err = kgo.NewClient(kopts...); err != nil {
		return nil, fmt.Errorf("source %s: %w", uri, err)
	}
	if err := s.checkTopic(k.Brokers); err != nil {
		s.cl.Close()
		return nil, fmt.Errorf("source %s: %w", uri, err)
	}
	if s.stopEnd {
		if latest {
			s.cl.Close()
			return nil, fmt.Errorf("source %s: stop=end with start=latest reads nothing: use start=earliest, or a group, to read up to the end", uri)
		}
		if err := s.bound(k.Brokers); err != nil {
			s.cl.Close()
			return nil, fmt.Errorf("source %s: %w", uri, err)
		}
	}
	return s, nil
}

// checkTopic makes sure the brokers answer and know the topic, so that a
// typo or an unreachable cluster is an error naming them, not a consumer
// waiting forever (or a schema inference that finds no records).
func (s *KafkaSource) checkTopic(brokers []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), DialTimeout)
	defer cancel()
	topics, err := kadm.NewClient(s.cl).ListTopics(ctx)
	if err != nil {
		return KafkaBrokerError(s.cl, err)
	}
	if t, ok := topics[s.topic]; ok && t.Err == nil && s.group == "" {
		s.assign(t.Partitions.Numbers()) // without a group every partition is read here
	}
	if !topics.Has(s.topic) {
		names := topics.Names()
		slices.Sort(names)
		switch {
		case len(names) == 0:
			names = []string{"none"}
		case len(names) > 10:
			names = append(names[:10], "...")
		}
		return fmt.Errorf("topic %q does not exist on %s (topics there: %s); create it first, or check the name", s.topic, strings.Join(brokers, ","), strings.Join(names, ", "))
	}
	return nil
}

// bound notes, for stop=end, each partition's end and where reading it
// starts (the group's committed offset, else the log start).
func (s *KafkaSource) bound(brokers []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), DialTimeout)
	defer cancel()
	adm := kadm.NewClient(s.cl)
	ends, err := adm.ListCommittedOffsets(ctx, s.topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		if errors.Is(err, kerr.UnknownTopicOrPartition) {
			return fmt.Errorf("topic %q does not exist on %s", s.topic, strings.Join(brokers, ","))
		}
		return fmt.Errorf("listing the end offsets of %s on %s: %w", s.topic, strings.Join(brokers, ","), err)
	}
	if len(ends[s.topic]) == 0 {
		return fmt.Errorf("topic %q does not exist on %s", s.topic, strings.Join(brokers, ","))
	}
	starts, err := adm.ListStartOffsets(ctx, s.topic)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return fmt.Errorf("listing the start offsets of %s: %w", s.topic, err)
	}
	var committed kadm.OffsetResponses
	if s.group != "" {
		if committed, err = adm.FetchOffsetsForTopics(ctx, s.group, s.topic); err == nil {
			err = committed.Error()
		}
		if errors.Is(err, kerr.GroupIDNotFound) { // a new group: it starts at the start
			committed, err = nil, nil
		}
		if err != nil {
			return fmt.Errorf("fetching the offsets of group %s: %w", s.group, err)
		}
	}
	s.ends, s.pending = map[int32]int64{}, map[int32]bool{}
	for p, e := range ends[s.topic] {
		from := int64(0)
		if st, ok := starts.Lookup(s.topic, p); ok {
			from = st.Offset
		}
		if c, ok := committed.Lookup(s.topic, p); ok && c.At >= 0 {
			from = c.At
		}
		s.ends[p] = e.Offset
		if from < e.Offset {
			s.pending[p] = true
		}
	}
	return nil
}

// Next returns the records that arrived: with no Trigger, whatever is
// buffered once anything is; with a Trigger, what arrived by the next
// deadline, handed over at that deadline; never more than the record cap. It returns ErrEndOfInput once
// ExitIdle passed without a record.
func (s *KafkaSource) Next(ctx context.Context) (*RawBatch, error) {
	if s.stopEnd && len(s.pending) == 0 {
		return nil, ErrEndOfInput
	}
	if s.resetIdle {
		s.lastSeen, s.resetIdle = time.Now(), false
	}
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
				if idle := s.idleSince().Add(s.opts.ExitIdle); wake.IsZero() || idle.Before(wake) {
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
		s.noteFetches(fs)
		got := fs.Records()
		if s.stopEnd {
			got = s.withinBound(got)
		}
		got = s.dropMarkers(got)
		recs = append(recs, got...)
		if len(got) > 0 {
			s.lastSeen = time.Now()
		}
		if s.stopEnd && len(s.pending) == 0 {
			break // every partition is at its end
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
		if len(recs) == 0 && s.opts.ExitIdle > 0 && s.assignedAt.Load() != 0 && !now.Before(s.idleSince().Add(s.opts.ExitIdle)) {
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
	s.resetIdle = true
	s.end.delivered.Add(int64(len(recs)))
	b := s.batch(recs)
	b.Parted, b.Holding = true, s.holding(time.Now())
	return b, nil
}

// assign notes partitions now read here.
func (s *KafkaSource) assign(parts []int32) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.parts == nil {
		s.parts = map[int32]*kafkaPart{}
	}
	for _, p := range parts {
		s.parts[p] = &kafkaPart{seen: now, end: -1}
	}
}

// revoke notes partitions no longer read here.
func (s *KafkaSource) revoke(parts []int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range parts {
		delete(s.parts, p)
	}
}

// noteFetches notes, for the watermark, which partitions delivered
// records and where their ends were then.
func (s *KafkaSource) noteFetches(fs kgo.Fetches) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	fs.EachPartition(func(p kgo.FetchTopicPartition) {
		st := s.parts[p.Partition]
		if st == nil || p.Err != nil || len(p.Records) == 0 {
			return
		}
		st.seen = now
		st.end = p.LastStableOffset
		if st.end < 0 {
			st.end = p.HighWatermark
		}
	})
}

// holding lists the partitions that hold the watermark back (see
// RawBatch.Holding): those read here that are not read to their end (under
// stop=end) and not idle. A partition is idle when everything it held at
// its last fetch has been delivered and no record came for PartIdle; one
// with records still to read is never idle, however long they take.
func (s *KafkaSource) holding(now time.Time) []int32 {
	idle := s.opts.partIdle()
	s.mu.Lock()
	defer s.mu.Unlock()
	h := make([]int32, 0, len(s.parts))
	for p, st := range s.parts {
		if s.stopEnd && !s.pending[p] {
			continue // read to its end: nothing more will come
		}
		caughtUp := st.end < 0 || s.consumed[p].Offset >= st.end
		if caughtUp && now.Sub(st.seen) >= idle {
			continue
		}
		h = append(h, p)
	}
	slices.Sort(h)
	return h
}

// idleSince is when the current wait for records began: the later of the
// last record, the start of this Next and the last assignment; while the
// group has no assignment, now (the wait has not begun).
func (s *KafkaSource) idleSince() time.Time {
	at := s.assignedAt.Load()
	if at == 0 {
		return time.Now()
	}
	if t := time.Unix(0, at); t.After(s.lastSeen) {
		return t
	}
	return s.lastSeen
}

// dropMarkers takes the transaction markers out of recs; their offsets
// count as consumed.
func (s *KafkaSource) dropMarkers(recs []*kgo.Record) []*kgo.Record {
	kept := recs[:0]
	for _, r := range recs {
		if r.Attrs.IsControl() {
			s.consumed[r.Partition] = kgo.EpochOffset{Epoch: r.LeaderEpoch, Offset: r.Offset + 1}
			continue
		}
		kept = append(kept, r)
	}
	return kept
}

// withinBound keeps the records before their partition's end, and notes
// the partitions that reached it.
func (s *KafkaSource) withinBound(recs []*kgo.Record) []*kgo.Record {
	kept := recs[:0]
	for _, r := range recs {
		end, ok := s.ends[r.Partition]
		if !ok || r.Offset >= end {
			continue // arrived after the source opened (or a new partition)
		}
		kept = append(kept, r)
		if r.Offset+1 >= end {
			delete(s.pending, r.Partition)
		}
	}
	return kept
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
			b.Chunks = append(b.Chunks, Chunk{Name: fmt.Sprintf("kafka %s/%d", r.Topic, r.Partition), FirstLine: int(r.Offset) + 1, Part: r.Partition})
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
// A group that read nothing because it was at the end of the topic is
// reported to Options.Warn first.
func (s *KafkaSource) Close() error {
	s.warnIfAtEnd()
	s.cl.Close()
	return nil
}

var (
	_ Source = (*KafkaSource)(nil)
	_ Acker  = (*KafkaSource)(nil)
)
