package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// TestStdinSource reads lines from a reader, capped per batch, with line
// numbers and a last line without its newline.
func TestStdinSource(t *testing.T) {
	data := numbered(0, 2500) + `{"id": 2500}`
	src, err := Open("-", Options{Stdin: strings.NewReader(data), MaxRecords: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx := testCtx(t)
	line := 1
	var got strings.Builder
	for {
		b, err := src.Next(ctx)
		if errors.Is(err, ErrEndOfInput) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range b.Chunks {
			if c.Name != "stdin" || c.FirstLine != line {
				t.Fatalf("chunk %s:%d, want stdin:%d", c.Name, c.FirstLine, line)
			}
			k := strings.Count(string(c.Data), "\n")
			line += k
			n += k
			got.Write(c.Data)
		}
		if n > 1000 {
			t.Fatalf("batch of %d lines, capped at 1000", n)
		}
	}
	if got.String() != data {
		t.Fatal("stdin read differs from what was written")
	}
}

// TestStdinTriggerAndIdle: with a trigger, lines written within one
// interval make one batch; ExitIdle ends a source that stays open.
func TestStdinTriggerAndIdle(t *testing.T) {
	r, w := io.Pipe()
	defer w.Close()
	src, err := Open("stdin:", Options{Stdin: r, Trigger: 500 * time.Millisecond, ExitIdle: 400 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	go func() {
		for i := 0; i < 3; i++ {
			w.Write([]byte(numbered(i, i+1)))
		}
	}()
	ctx := testCtx(t)
	b, err := src.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for _, c := range b.Chunks {
		lines += strings.Count(string(c.Data), "\n")
	}
	if lines != 3 {
		t.Errorf("one trigger interval gave %d lines, want the 3 written", lines)
	}
	if _, err := src.Next(ctx); !errors.Is(err, ErrEndOfInput) {
		t.Errorf("after the idle time: %v, want end of input", err)
	}
}

// TestSample infers a schema from the first records of a stream and hands
// them back.
func TestSample(t *testing.T) {
	data := "{\"a\": 1, \"b\": \"x\"}\n{\"a\": 2.5, \"c\": true}\n"
	src, err := Open("-", Options{Stdin: strings.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	schema, rest, err := Sample(context.Background(), src, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := schema.String(); !strings.Contains(got, "a DOUBLE") || !strings.Contains(got, "b VARCHAR") || !strings.Contains(got, "c BOOLEAN") {
		t.Errorf("schema %s", got)
	}
	lines, _ := drain(t, testCtx(t), rest)
	if len(lines) != 2 {
		t.Errorf("replayed %d lines, want 2", len(lines))
	}
	if _, err := Open("-", Options{}); err == nil {
		t.Error("stdin without a reader: no error")
	}
	if _, err := Open("stdin:x", Options{Stdin: strings.NewReader("")}); err == nil {
		t.Error("stdin:x: no error")
	}
	if _, _, err := Sample(context.Background(), mustOpen(t, "-", Options{Stdin: strings.NewReader("\n")}), 0); err == nil {
		t.Error("sampling no records: no error")
	}
}

func mustOpen(t *testing.T, uri string, opts Options) Source {
	t.Helper()
	s, err := Open(uri, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestScheme tells URIs from paths.
func TestScheme(t *testing.T) {
	for in, want := range map[string]string{
		"-": "stdin", "stdin:": "stdin", "tcp://h:1": "tcp", "KAFKA://b/t": "kafka",
		"testdata/flows": "", "C:\\data": "", "data:2024/x.json": "", "file:///x": "file", "tcp-listen://:1": "tcp-listen",
	} {
		if got := Scheme(in); got != want {
			t.Errorf("Scheme(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLocalPath: a file: URI stands for its path, absolute or relative;
// other values pass through.
func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"file:///data/flows": "/data/flows", "file:data/flows": "data/flows", "FILE:///x.json": "/x.json",
		"testdata/flows": "testdata/flows", "kafka://b/t": "kafka://b/t", "-": "-",
	} {
		if got := LocalPath(in); got != want {
			t.Errorf("LocalPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTriggerPacesCappedBatches: with a trigger and a record cap, a batch
// that fills up early still waits for its tick: one batch per interval,
// the rest left for the next, nothing lost.
func TestTriggerPacesCappedBatches(t *testing.T) {
	const trigger = 150 * time.Millisecond
	src, err := Open("-", Options{Stdin: strings.NewReader(numbered(0, 25)), Trigger: trigger, MaxRecords: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ls := src.(*LineSource)
	ctx := testCtx(t)
	var sizes []int
	var ticks []time.Time
	for {
		b, err := src.Next(ctx)
		if errors.Is(err, ErrEndOfInput) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		returned := time.Now()
		n := 0
		for _, c := range b.Chunks {
			n += strings.Count(string(c.Data), "\n")
		}
		// The tick the batch was handed over at: the schedule has moved
		// one interval past it. Its timer fired at it or later, so the
		// batch never comes before its tick (a load on the machine only
		// delays it; no duration is measured).
		tick := ls.next.Add(-trigger)
		if returned.Before(tick) {
			t.Errorf("batch %d handed over before its tick (%v early)", len(sizes), tick.Sub(returned))
		}
		sizes, ticks = append(sizes, n), append(ticks, tick)
	}
	if fmt.Sprint(sizes) != "[10 10 5]" {
		t.Fatalf("batch sizes %v, want [10 10 5]", sizes)
	}
	for i := 1; i < len(ticks); i++ { // at most one batch per interval of the schedule
		if d := ticks[i].Sub(ticks[i-1]); d < trigger || d%trigger != 0 {
			t.Errorf("batch %d was handed over %v of schedule after the one before, want whole intervals of %v", i, d, trigger)
		}
	}
}
