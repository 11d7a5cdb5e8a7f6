package ingest

// A consumer group already at the end of its topic reads nothing: a run
// over it waits (or, with --exit-idle or stop=end, ends with no rows)
// without saying why. When a Kafka source that read no record closes, it
// checks whether that is the reason and, if so, says so through
// Options.Warn, with what to do about it.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// kafkaEndNote is what a KafkaSource keeps for the warning: how many
// records it delivered, and whether the warning was considered already.
type kafkaEndNote struct {
	delivered atomic.Int64
	done      atomic.Bool
	warned    atomic.Bool // the warning was given
}

// GroupAtEnd reports whether the source, when it closed, warned that its
// group had read nothing because it was at the end of every partition.
func (s *KafkaSource) GroupAtEnd() bool { return s.end.warned.Load() }

// warnIfAtEnd tells opts.Warn, once, when the source delivered no record
// and its group's committed offsets are at the end of every partition of
// the topic that holds records. Called by Close, before the client closes.
func (s *KafkaSource) warnIfAtEnd() {
	if s.group == "" || s.opts.Warn == nil || s.end.delivered.Load() > 0 || s.end.done.Swap(true) {
		return
	}
	cl := s.cl
	if cl == nil { // a bounded read that found every partition at its end never connected
		var err error
		if cl, err = kgo.NewClient(s.conn...); err != nil {
			return
		}
		defer cl.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), DialTimeout)
	defer cancel()
	if msg := groupAtEnd(ctx, cl, s.group, s.topic); msg != "" {
		s.opts.Warn(msg)
		s.end.warned.Store(true)
	}
}

// groupAtEnd returns, when group's committed offsets are at the end (the
// last stable offset) of every partition of topic and some partition holds
// records the group could read again, a message saying so and what to do;
// "" otherwise, or when the offsets cannot be listed.
func groupAtEnd(ctx context.Context, cl *kgo.Client, group, topic string) string {
	adm := kadm.NewClient(cl)
	committed, err := adm.FetchOffsetsForTopics(ctx, group, topic)
	if err == nil {
		err = committed.Error()
	}
	if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		return ""
	}
	ends, err := adm.ListCommittedOffsets(ctx, topic)
	if err != nil || ends.Error() != nil {
		return ""
	}
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil || starts.Error() != nil {
		return ""
	}
	parts := make([]int32, 0, len(ends[topic]))
	for p := range ends[topic] {
		parts = append(parts, p)
	}
	slices.Sort(parts)
	var at []string
	rereadable := false
	for _, p := range parts {
		end := ends[topic][p].Offset
		start := int64(0)
		if st, ok := starts.Lookup(topic, p); ok {
			start = st.Offset
		}
		c, ok := committed.Lookup(topic, p)
		switch {
		case ok && c.At >= 0 && c.At >= end:
			rereadable = rereadable || end > start
			at = append(at, fmt.Sprintf("offset %d on partition %d", c.At, p))
		case end == start: // empty, committed or not: nothing to read here
		default:
			return "" // this partition has records the group has not read
		}
	}
	if !rereadable {
		return ""
	}
	if len(at) > 6 {
		at = append(at[:5], fmt.Sprintf("... %d partitions in all", len(parts)))
	}
	brokers, _ := cl.OptValue(kgo.SeedBrokers).([]string)
	return fmt.Sprintf("read 0 records: group %s is at the end of every partition of %s (%s), so it had nothing left to read; "+
		"to read the topic again use a new group (group=NEW), or reset this one to the start while no consumer is in it: "+
		"kafka-consumer-groups.sh --bootstrap-server %s --group %s --topic %s --reset-offsets --to-earliest --execute",
		group, topic, strings.Join(at, ", "), strings.Join(brokers, ","), group, topic)
}
