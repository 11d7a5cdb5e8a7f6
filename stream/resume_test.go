package stream

import (
	"context"
	"fmt"
	"maps"
	"testing"

	"brook/engine"
	"brook/ingest"
)

// offsetSource delivers batches of lines, each with a position, as a
// Kafka source does, and records how it is resumed and bounded.
type offsetSource struct {
	next    int
	batches []string
	resumed map[string]int64
	replay  map[string]int64
}

func (s *offsetSource) Next(context.Context) (*ingest.RawBatch, error) {
	if s.next >= len(s.batches) {
		return nil, ingest.ErrEndOfInput
	}
	s.next++
	data := s.batches[s.next-1]
	return &ingest.RawBatch{Chunks: []ingest.Chunk{{Name: "kafka t/0", FirstLine: 1, Data: []byte(data)}}, Bytes: int64(len(data)),
		Position: map[string]int64{"t/0": int64(s.next * 10), "t/1": 7}}, nil
}

func (s *offsetSource) Close() error { return nil }

func (s *offsetSource) Resume(_ []string, offsets map[string]int64) error {
	s.resumed = offsets
	s.next = int(offsets["t/0"] / 10)
	return nil
}

func (s *offsetSource) ReplayUntil(ends map[string]int64) error {
	s.replay = ends
	return nil
}

// TestCheckpointRecordsPosition: a run's checkpoint records the position
// of its last batch and the plan's schema; a run resumed from it hands the
// source that position and the replay bound it was given, and ends with the
// state of a run that never stopped.
func TestCheckpointRecordsPosition(t *testing.T) {
	var lines []string
	for i := range 5 {
		lines = append(lines, fmt.Sprintf(`{"v":%d,"k":"a","f":1.5}`+"\n", i))
	}
	plan := planFor(t, ckQuery, ckSchema)
	run := func(dir string, src *offsetSource, max int64, replay map[string]int64) (*engine.Query, *Summary) {
		q, err := engine.New(plan, engine.Options{})
		if err != nil {
			t.Fatal(err)
		}
		opts := Options{CheckpointDir: dir, Identity: Identity(q, engine.Options{}), Sources: "t=kafka://b/t", MaxBatches: max, Replay: replay}
		sum, err := Run(context.Background(), q, src, opts, func(Batch) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		return q, sum
	}
	whole, _ := run(t.TempDir(), &offsetSource{batches: lines}, 0, nil)

	dir := t.TempDir()
	run(dir, &offsetSource{batches: lines}, 2, nil)
	cp, err := PeekCheckpoint(dir)
	if err != nil || cp == nil {
		t.Fatalf("no checkpoint: %v", err)
	}
	if want := map[string]int64{"t/0": 20, "t/1": 7}; !maps.Equal(cp.Offsets, want) {
		t.Fatalf("checkpoint offsets %v, want %v", cp.Offsets, want)
	}
	if cp.Schema != ckSchema.String() {
		t.Fatalf("checkpoint schema %q, want %q", cp.Schema, ckSchema.String())
	}
	src := &offsetSource{batches: lines}
	bound := map[string]int64{"t/0": 30, "t/1": 7}
	q, sum := run(dir, src, 0, bound)
	if !maps.Equal(src.resumed, cp.Offsets) || !maps.Equal(src.replay, bound) {
		t.Fatalf("resumed at %v with replay bound %v; want %v and %v", src.resumed, src.replay, cp.Offsets, bound)
	}
	if !sum.Resumed || sum.Batches != 5 {
		t.Fatalf("resumed run: %d batches, resumed %v", sum.Batches, sum.Resumed)
	}
	if got, want := snapText(t, q), snapText(t, whole); got != want {
		t.Fatalf("resumed state:\n%s\nwant:\n%s", got, want)
	}
	if cp, _ = PeekCheckpoint(dir); cp.Offsets["t/0"] != 50 {
		t.Fatalf("final checkpoint offsets %v", cp.Offsets)
	}
}
