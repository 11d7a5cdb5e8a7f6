package ingest

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestKafkaGroupAtEnd: a source whose group had already read the whole
// topic warns, when it closes having read nothing, that the group is at
// the end of every partition (with the offsets) and what to do: after a
// bounded run that ends at once, and after an unbounded one interrupted
// while waiting. A group with records left, a group that read records and
// a group over an empty topic do not warn.
func TestKafkaGroupAtEnd(t *testing.T) {
	addr := newKafka(t, "flows", "empty")
	ctx := testCtx(t)
	// Records 0-99 spread over the 3 partitions.
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("flows"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if err := cl.ProduceSync(ctx, &kgo.Record{Partition: int32(i % 3), Value: fmt.Appendf(nil, `{"id": %d}`, i)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	cl.Close()
	var warnings []string
	opts := Options{Warn: func(msg string) { warnings = append(warnings, msg) }}
	// read opens uri, reads it until it ends (or, with cancel, not at
	// all), acknowledging every batch, closes it and returns how many
	// records it read and what it warned.
	read := func(uri string, stopAtEnd, cancel bool) (int, []string) {
		t.Helper()
		warnings = nil
		o := opts
		o.StopAtEnd = stopAtEnd
		src, err := Open(uri, o)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for !cancel {
			b, err := src.Next(ctx)
			if errors.Is(err, ErrEndOfInput) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			n += len(ids(t, b))
			if err := src.(Acker).Ack(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		if cancel {
			done, stop := context.WithCancel(ctx)
			stop() // interrupted while waiting
			if _, err := src.Next(done); !errors.Is(err, context.Canceled) {
				t.Fatalf("Next after the run was interrupted: %v", err)
			}
		}
		src.Close()
		return n, warnings
	}

	base := "kafka://" + addr + "/flows?group="
	if n, w := read(base+"g", true, false); n != 100 || len(w) != 0 {
		t.Fatalf("first run: read %d records (want 100), warned %q", n, w)
	}
	for _, bounded := range []bool{true, false} {
		n, w := read(base+"g", bounded, !bounded)
		if n != 0 || len(w) != 1 {
			t.Fatalf("bounded %v: read %d records, warned %q; want one warning", bounded, n, w)
		}
		msg := w[0]
		for _, want := range []string{"read 0 records: group g is at the end of every partition of flows (",
			"use a new group (group=NEW)", "kafka-consumer-groups.sh --bootstrap-server " + addr + " --group g --topic flows --reset-offsets --to-earliest --execute"} {
			if !strings.Contains(msg, want) {
				t.Errorf("bounded %v: warning %q lacks %q", bounded, msg, want)
			}
		}
		sum, parts := 0, map[string]bool{}
		for _, m := range regexp.MustCompile(`offset (\d+) on partition (\d+)`).FindAllStringSubmatch(msg, -1) {
			off, _ := strconv.Atoi(m[1])
			sum += off
			parts[m[2]] = true
		}
		if sum != 100 || len(parts) != 3 {
			t.Errorf("bounded %v: warning %q: offsets add up to %d over %d partitions, want 100 over 3", bounded, msg, sum, len(parts))
		}
	}
	// Records left for the group: no warning, whether it read them or not.
	produceIDs(t, addr, "flows", 100, 110)
	if n, w := read(base+"g", false, true); n != 0 || len(w) != 0 {
		t.Errorf("a group with records left, interrupted: read %d, warned %q", n, w)
	}
	if n, w := read(base+"g", true, false); n != 10 || len(w) != 0 {
		t.Errorf("a group with records left: read %d (want 10), warned %q", n, w)
	}
	// Nothing to read again: a new group or a group over an empty topic.
	if n, w := read(base+"new", true, false); n != 110 || len(w) != 0 {
		t.Errorf("a new group: read %d (want 110), warned %q", n, w)
	}
	if n, w := read("kafka://"+addr+"/empty?group=g", true, false); n != 0 || len(w) != 0 {
		t.Errorf("an empty topic: read %d, warned %q", n, w)
	}
	// Without a group there is no group to blame.
	if n, w := read("kafka://"+addr+"/flows?start=latest", false, true); n != 0 || len(w) != 0 {
		t.Errorf("no group: read %d, warned %q", n, w)
	}
}
