package ingest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// HandOverTimeout bounds how long a rebalance waits for the batches in
// flight of the partitions it takes from this process to be processed and
// acknowledged (see KafkaSource.handOver). It stays well inside the
// group's rebalance timeout (60 s), past which the broker would expel the
// member.
const HandOverTimeout = 30 * time.Second

// handOver runs when the group revokes partitions from this process, before
// they are given to another member. Every record of theirs this process
// delivered is counted in its state, so the group's committed offsets must
// move past them before the other member starts reading: handOver waits
// until the batches in flight that hold records of the revoked partitions
// are acknowledged (their results written, and with a checkpoint,
// committed; Ack commits their offsets while the partitions are still
// owned), then gives the partitions up. A wait past HandOverTimeout gives
// them up anyway, with a warning naming what may be counted twice. When
// the source is closing (leaving the group), nothing more will be
// acknowledged and it does not wait.
func (s *KafkaSource) handOver(ctx context.Context, revoked []int32) {
	if len(revoked) == 0 {
		return
	}
	defer s.revoke(revoked)
	if s.closing.Load() {
		return
	}
	timer := time.NewTimer(HandOverTimeout)
	defer timer.Stop()
	announced := false
	for {
		inFlight := s.inFlight(revoked)
		if inFlight == 0 {
			return
		}
		if !announced {
			announced = true
			if s.onHandOver != nil {
				s.onHandOver(revoked)
			}
		}
		select {
		case <-s.acked:
		case <-ctx.Done():
			return // the client is closing
		case <-timer.C:
			if s.opts.Warn != nil {
				s.opts.Warn(fmt.Sprintf("kafka %s: the group took partition(s) %s from this process while %d batch(es) of theirs were still being processed (waited %s): their records after the group's last committed offsets will be read again by the member that takes them, and counted by both processes",
					s.topic, partList(revoked), inFlight, HandOverTimeout))
			}
			return
		}
	}
}

// lose runs when the group expelled this process (its session expired) and
// the partitions already belong to another member: nothing can be committed
// for them any more. The batches in flight that hold their records are
// reported to Options.Warn.
func (s *KafkaSource) lose(lost []int32) {
	if n := s.inFlight(lost); n > 0 && !s.closing.Load() && s.opts.Warn != nil {
		s.opts.Warn(fmt.Sprintf("kafka %s: this process lost partition(s) %s to the group (its session expired) with %d batch(es) of theirs not yet acknowledged: their records after the group's last committed offsets will be read again by the member that takes them",
			s.topic, partList(lost), n))
	}
	s.revoke(lost)
}

// inFlight counts the delivered, unacknowledged batches holding records of
// parts; records polled for a batch not yet delivered count as one.
func (s *KafkaSource) inFlight(parts []int32) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	if s.assembling {
		n++
	}
	for _, p := range s.unacked {
		for _, q := range parts {
			if p.parts[q] {
				n++
				break
			}
		}
	}
	return n
}

// noteAcked wakes a hand-over waiting for batches to be acknowledged.
func (s *KafkaSource) noteAcked() {
	select {
	case s.acked <- struct{}{}:
	default:
	}
}

// setAssembling notes whether Next holds polled records not yet in a
// delivered batch.
func (s *KafkaSource) setAssembling(v bool) {
	s.mu.Lock()
	changed := s.assembling != v
	s.assembling = v
	s.mu.Unlock()
	if changed && !v {
		s.noteAcked()
	}
}

// partList renders partition numbers as "0, 2, 5".
func partList(parts []int32) string {
	sorted := slices.Clone(parts)
	slices.Sort(sorted)
	s := make([]string, len(sorted))
	for i, p := range sorted {
		s[i] = fmt.Sprint(p)
	}
	return strings.Join(s, ", ")
}
