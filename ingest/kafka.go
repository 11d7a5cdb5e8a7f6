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
//
// Resuming from a checkpoint. Every batch carries the source's position
// after it (RawBatch.Position: the next offset of each partition read), and
// a run with a checkpoint records it. Resume makes a new source start at
// exactly those offsets, whatever the group committed: the consuming client
// is created by the first Next (opening the source only checks the topic),
// and it starts each partition the position names there (with a group:
// through kgo.AdjustFetchOffsetsFn when the partition is assigned; without
// one: by consuming the topic's partitions directly at those offsets). A
// partition the position does not name starts at the group's committed
// offset, else at start=.
//
// Rebalancing. With a group, the source's own position is authoritative on
// every assignment, the first and every later one: a partition revoked
// while the run goes on and later assigned to this process again starts at
// the offset after the last record this process delivered (its checkpoint
// offset, plus the batches delivered since, which the run still processes),
// so the process's state counts no record twice and misses none. Records
// of a revoked partition that were fetched but not delivered are dropped by
// the client. What this process delivered but has not yet acknowledged is
// not yet in the group's committed offsets: a partition moved to another
// member starts there, so the records of the batches in flight when it was
// revoked are counted by both processes (each in its own state and
// checkpoint). A process's result covers the partitions it was assigned.
type KafkaSource struct {
	// cl is the consuming client, created by the first Next (see connect);
	// nil until then.
	cl    *kgo.Client
	topic string
	group string
	opts  Options
	max   int
	// kopts are the consuming client's options, less what it consumes and
	// where it starts; start is where a partition without a position
	// starts (start=), parts the topic's partitions when the source opened.
	kopts []kgo.Opt
	conn  []kgo.Opt // the options of any client talking to the brokers (TLS, SASL)
	start kgo.Offset
	parts []int32
	// replay, when set, is where the first batch after a resume ends (see
	// ReplayUntil); held keeps the records read past it, for the batches
	// after it.
	replay map[int32]int64
	held   []*kgo.Record

	next     time.Time
	lastSeen time.Time
	// assignedAt is when the group last assigned partitions (UnixNano; 0
	// while joining or rebalancing): idle time counts only from then.
	assignedAt atomic.Int64
	// resetIdle makes the next Next count idle time from its own start:
	// time spent processing the last batch is not time without records.
	resetIdle bool

	// With stop=end: each partition's end, where reading it starts, and
	// the partitions whose end is not yet reached.
	stopEnd bool
	ends    map[int32]int64
	from    map[int32]int64
	pending map[int32]bool

	mu       sync.Mutex
	consumed map[int32]kgo.EpochOffset // next offset per partition, after the last delivered batch
	unacked  []kafkaPending
	// assigned holds the partitions read here (the topic's, or the group's
	// assignment): what the watermark needs of each (see RawBatch.Parted);
	// with a group, the partitions whose offsets this process commits.
	// Guarded by mu.
	assigned map[int32]*kafkaPart
	// assembling is set while Next holds polled records not yet in a
	// delivered batch; acked wakes a hand-over waiting for batches to be
	// acknowledged, closing stops it from waiting (kafkahandover.go).
	assembling bool
	acked      chan struct{}
	closing    atomic.Bool
	onHandOver func(revoked []int32) // a test's hook: a hand-over began waiting

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
	parts   map[int32]bool // the partitions it holds records of
}

// openKafka opens kafka://brokers/topic?group=G&start=earliest|latest&max=N.
func openKafka(uri string, opts Options) (Source, error) {
	k, err := ParseKafkaURI(uri)
	if err != nil {
		return nil, fmt.Errorf("source %w", err)
	}
	s := &KafkaSource{topic: k.Topic, opts: opts, max: opts.maxRecords(), lastSeen: time.Now(), consumed: map[int32]kgo.EpochOffset{}, acked: make(chan struct{}, 1)}
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
	s.start = start
	// conn are the options of every client talking to the brokers: the
	// one that checks the topic when the source opens and the consuming
	// one.
	conn = append([]kgo.Opt{kgo.SeedBrokers(k.Brokers...), kgo.DialTimeout(DialTimeout)}, conn...)
	kopts := append(slices.Clone(conn),
		kgo.ConsumeResetOffset(start),
		kgo.FetchMaxWait(500*time.Millisecond),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// Transaction markers take offsets too: they are kept (and
		// dropped in Next) so that a bounded read sees its partition
		// reach the end.
		kgo.KeepControlRecords(),
	)
	if s.group != "" {
		kopts = append(kopts, kgo.ConsumerGroup(s.group), kgo.DisableAutoCommit(),
			// --exit-idle counts from the assignment: joining the group
			// (and every rebalance) is not time without records.
			kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, assigned map[string][]int32) {
				s.assign(assigned[s.topic])
				s.assignedAt.Store(time.Now().UnixNano())
			}),
			// A revoked partition is given up once its batches in
			// flight are acknowledged (kafkahandover.go).
			kgo.OnPartitionsRevoked(func(ctx context.Context, _ *kgo.Client, revoked map[string][]int32) {
				s.assignedAt.Store(0)
				s.handOver(ctx, revoked[s.topic])
			}),
			kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
				s.assignedAt.Store(0)
				s.lose(lost[s.topic])
			}),
			// Every assignment starts a partition at this process's own
			// position, not the group's (see KafkaSource).
			kgo.AdjustFetchOffsetsFn(s.adjustOffsets))
	}
	s.kopts, s.conn = kopts, conn
	// The checks run on a client of their own: the consuming client, and
	// with it the group's join, starts with the first Next, after Resume.
	adm, err := kgo.NewClient(conn...)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", uri, err)
	}
	defer adm.Close()
	if err := s.checkTopic(adm, k.Brokers); err != nil {
		return nil, fmt.Errorf("source %s: %w", uri, err)
	}
	if s.stopEnd {
		if latest {
			return nil, fmt.Errorf("source %s: stop=end with start=latest reads nothing: use start=earliest, or a group, to read up to the end", uri)
		}
		if err := s.bound(adm, k.Brokers); err != nil {
			return nil, fmt.Errorf("source %s: %w", uri, err)
		}
	}
	return s, nil
}

// connect creates the consuming client. With a group it joins the group
// and starts each partition it is assigned at this source's position (see
// adjustOffsets); without one it consumes the topic from start=, or, once
// Resume gave a position, each partition the topic had when the source
// opened directly from its position (or start= for one it does not name).
func (s *KafkaSource) connect() error {
	opts := slices.Clone(s.kopts)
	s.mu.Lock()
	resumed := len(s.consumed) > 0
	parts := map[int32]kgo.Offset{}
	if s.group == "" && resumed {
		for _, p := range s.parts {
			parts[p] = s.start
		}
		for p, o := range s.consumed {
			parts[p] = kgo.NewOffset().At(o.Offset)
		}
	}
	s.mu.Unlock()
	if s.group == "" && resumed {
		opts = append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{s.topic: parts}))
	} else {
		opts = append(opts, kgo.ConsumeTopics(s.topic))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("kafka %s: %w", s.topic, err)
	}
	s.cl = cl
	if s.group == "" {
		s.assignedAt.Store(time.Now().UnixNano())
	}
	return nil
}

// adjustOffsets is called on every assignment with where the group would
// start each newly assigned partition (its committed offset, else
// start=): a partition this source has a position for starts there
// instead. The position covers the checkpoint the run resumed from and
// every batch delivered since, so neither is read again.
func (s *KafkaSource) adjustOffsets(_ context.Context, offsets map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for p, at := range offsets[s.topic] {
		if o, ok := s.consumed[p]; ok {
			// Epoch -1: a position, not a fetch to check for data loss.
			offsets[s.topic][p] = kgo.NewOffset().At(o.Offset)
		} else if eo := at.EpochOffset(); eo.Offset >= 0 {
			// The group's committed offset: part of the position from
			// now on, so that a checkpoint pins where this partition
			// starts even before a record of it is read.
			s.consumed[p] = kgo.EpochOffset{Epoch: -1, Offset: eo.Offset}
		}
	}
	return offsets, nil
}

// ownedOffsets returns the offsets of the partitions this process owns
// (with a group; all of them without one): a partition revoked and given
// to another member must not have its committed offset moved back to this
// process's last position in it. Called with s.mu held.
func (s *KafkaSource) ownedOffsets(offsets map[int32]kgo.EpochOffset) map[int32]kgo.EpochOffset {
	if s.group == "" {
		return offsets
	}
	kept := make(map[int32]kgo.EpochOffset, len(offsets))
	for p, o := range offsets {
		if s.assigned[p] != nil {
			kept[p] = o
		}
	}
	return kept
}

// PartitionKey names a partition of a topic in a RawBatch's Position and
// a checkpoint's offsets: "TOPIC/PARTITION".
func PartitionKey(topic string, partition int32) string {
	return topic + "/" + strconv.Itoa(int(partition))
}

// partitionsOf reads the offsets of this source's topic from a position
// keyed by PartitionKey; a key that is not of this topic is an error.
func (s *KafkaSource) partitionsOf(pos map[string]int64) (map[int32]int64, error) {
	out := make(map[int32]int64, len(pos))
	for key, off := range pos {
		i := strings.LastIndexByte(key, '/')
		p, err := strconv.ParseInt(key[i+1:], 10, 32)
		if i < 0 || key[:i] != s.topic || err != nil || p < 0 || off < 0 {
			return nil, fmt.Errorf("checkpoint: position %q=%d is not one of topic %s", key, off, s.topic)
		}
		out[int32(p)] = off
	}
	return out, nil
}

// Resume makes the source start at the position a checkpoint recorded
// (the Position of its last batch; see KafkaSource). files is ignored. A
// client already consuming (to sample the schema) is closed, and what it
// read dropped: reading starts over at the position.
func (s *KafkaSource) Resume(_ []string, offsets map[string]int64) error {
	if len(offsets) == 0 {
		return fmt.Errorf("checkpoint: it records no Kafka offsets for %s (an older brook wrote it); start with an empty --checkpoint directory", s.topic)
	}
	at, err := s.partitionsOf(offsets)
	if err != nil {
		return err
	}
	if s.cl != nil {
		s.cl.Close()
		s.cl = nil
		s.assignedAt.Store(0)
	}
	s.held, s.replay = nil, nil
	s.mu.Lock()
	s.consumed = make(map[int32]kgo.EpochOffset, len(at))
	for p, off := range at {
		s.consumed[p] = kgo.EpochOffset{Epoch: -1, Offset: off}
	}
	s.unacked = nil
	if s.group != "" { // the group assigns partitions anew to the consuming client
		s.assigned = nil
	}
	s.mu.Unlock()
	if s.stopEnd { // a partition the checkpoint has at its end is done
		for p, off := range at {
			s.from[p] = off
		}
		for p, end := range s.ends {
			if s.from[p] < end {
				s.pending[p] = true
			} else {
				delete(s.pending, p)
			}
		}
	}
	return nil
}

// ReplayUntil makes the first batch after Resume end exactly at ends (a
// Position, keyed by PartitionKey): it holds every record from the
// resumed position up to the offset ends names for its partition, and
// nothing else, however long they take to arrive, the record cap aside.
// A Kafka sink calls for it when it already published the batch the run
// replays first (see sink.KafkaSink): replayed, that batch must read the
// very records it read then. With a group, a partition not assigned to
// this process is not waited for.
func (s *KafkaSource) ReplayUntil(ends map[string]int64) error {
	at, err := s.partitionsOf(ends)
	if err != nil {
		return err
	}
	s.replay = at
	return nil
}

// nextReplay reads the batch ReplayUntil asked for.
func (s *KafkaSource) nextReplay(ctx context.Context) (*RawBatch, error) {
	need := map[int32]int64{}
	s.mu.Lock()
	for p, end := range s.replay {
		if o, ok := s.consumed[p]; !ok || o.Offset < end {
			need[p] = end
		}
	}
	s.mu.Unlock()
	var recs []*kgo.Record
	for len(need) > 0 {
		if s.group != "" && s.assignedAt.Load() != 0 {
			s.mu.Lock()
			for p := range need {
				if s.assigned[p] == nil {
					delete(need, p)
				}
			}
			s.mu.Unlock()
			if len(need) == 0 {
				break
			}
		}
		pctx, cancel := context.WithTimeout(ctx, time.Second) // to look at the assignment again
		fs := s.cl.PollFetches(pctx)
		cancel()
		if err := fetchError(s.topic, fs); err != nil {
			return nil, err
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		got := fs.Records()
		if s.stopEnd {
			got = s.withinBound(got)
		}
		for _, r := range got {
			end, ok := s.replay[r.Partition]
			if !ok || r.Offset >= end {
				s.held = append(s.held, r) // the batches after this one
				continue
			}
			recs = append(recs, r)
			if r.Offset+1 >= end {
				delete(need, r.Partition)
			}
		}
	}
	s.replay = nil
	if len(recs) > 0 {
		s.lastSeen = time.Now()
	}
	s.resetIdle = true
	return s.batch(s.dropMarkers(recs)), nil
}

// fetchError returns the first error of fs that is not the end of a poll's
// context, as Next reports it.
func fetchError(topic string, fs kgo.Fetches) error {
	var ferr error
	fs.EachError(func(_ string, _ int32, err error) {
		if ferr == nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			ferr = err
		}
	})
	if ferr == nil {
		return nil
	}
	if errors.Is(ferr, kgo.ErrClientClosed) {
		return ErrEndOfInput
	}
	return fmt.Errorf("kafka %s: %w", topic, ferr)
}

// checkTopic makes sure the brokers answer and know the topic, so that a
// typo or an unreachable cluster is an error naming them, not a consumer
// waiting forever (or a schema inference that finds no records).
func (s *KafkaSource) checkTopic(adm *kgo.Client, brokers []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), DialTimeout)
	defer cancel()
	topics, err := kadm.NewClient(adm).ListTopics(ctx)
	if err != nil {
		return KafkaBrokerError(adm, err)
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
	for p := range topics[s.topic].Partitions {
		s.parts = append(s.parts, p)
	}
	slices.Sort(s.parts)
	return nil
}

// bound notes, for stop=end, each partition's end and where reading it
// starts (the group's committed offset, else the log start).
func (s *KafkaSource) bound(cl *kgo.Client, brokers []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), DialTimeout)
	defer cancel()
	adm := kadm.NewClient(cl)
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
	s.ends, s.from, s.pending = map[int32]int64{}, map[int32]int64{}, map[int32]bool{}
	for p, e := range ends[s.topic] {
		from := int64(0)
		if st, ok := starts.Lookup(s.topic, p); ok {
			from = st.Offset
		}
		if c, ok := committed.Lookup(s.topic, p); ok && c.At >= 0 {
			from = c.At
		}
		s.ends[p], s.from[p] = e.Offset, from
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
	b, err := s.poll(ctx)
	if b == nil {
		s.setAssembling(false) // nothing polled is held back
	}
	return b, err
}

// poll assembles the batch Next returns.
func (s *KafkaSource) poll(ctx context.Context) (*RawBatch, error) {
	if s.stopEnd && len(s.pending) == 0 && len(s.held) == 0 {
		return nil, ErrEndOfInput
	}
	if s.cl == nil {
		if err := s.connect(); err != nil {
			return nil, err
		}
	}
	if s.replay != nil {
		return s.nextReplay(ctx)
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
		if len(s.held) > 0 { // read past the end of a replayed batch
			n := min(len(s.held), s.max-len(recs))
			s.setAssembling(true)
			recs = append(recs, s.dropMarkers(slices.Clone(s.held[:n]))...)
			s.held = s.held[n:]
			s.lastSeen = time.Now()
			continue
		}
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
		if len(recs) == 0 && len(got) > 0 {
			s.setAssembling(true)
		}
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
	if s.assigned == nil {
		s.assigned = map[int32]*kafkaPart{}
	}
	for _, p := range parts {
		s.assigned[p] = &kafkaPart{seen: now, end: -1}
	}
}

// revoke notes partitions no longer read here.
func (s *KafkaSource) revoke(parts []int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range parts {
		delete(s.assigned, p)
	}
}

// noteFetches notes, for the watermark, which partitions delivered
// records and where their ends were then.
func (s *KafkaSource) noteFetches(fs kgo.Fetches) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	fs.EachPartition(func(p kgo.FetchTopicPartition) {
		st := s.assigned[p.Partition]
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
	h := make([]int32, 0, len(s.assigned))
	for p, st := range s.assigned {
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
	s.mu.Lock()
	defer s.mu.Unlock()
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
	s.mu.Lock()
	defer s.mu.Unlock()
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
	b.Position = make(map[string]int64, len(s.consumed))
	for p, o := range s.consumed {
		b.Position[PartitionKey(s.topic, p)] = o.Offset
	}
	if s.group != "" {
		snap := make(map[int32]kgo.EpochOffset, len(s.consumed))
		for p, o := range s.consumed {
			snap[p] = o
		}
		parts := map[int32]bool{}
		for _, c := range b.Chunks {
			parts[c.Part] = true
		}
		s.unacked = append(s.unacked, kafkaPending{batch: b, offsets: snap, parts: parts})
	}
	if s.assembling {
		s.assembling = false
		s.noteAcked()
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
	offsets := s.ownedOffsets(s.unacked[i].offsets)
	s.unacked = s.unacked[i+1:]
	s.mu.Unlock()
	// A hand-over waiting for this batch gives its partitions up once the
	// commit below is done.
	defer s.noteAcked()
	if len(offsets) == 0 {
		return nil
	}
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
	s.closing.Store(true)
	s.warnIfAtEnd()
	if s.cl != nil {
		s.cl.Close()
	}
	return nil
}

var (
	_ Source = (*KafkaSource)(nil)
	_ Acker  = (*KafkaSource)(nil)
)
