package stream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"brook/engine"
	"brook/ingest"
	"brook/value"
)

// OnError says what happens to an input line that cannot be decoded.
type OnError uint8

// Policies for undecodable lines.
const (
	Fail OnError = iota // stop with an error naming file:line
	Skip                // count it and go on
)

// ParseOnError reads an --on-error value.
func ParseOnError(s string) (OnError, error) {
	switch s {
	case "fail":
		return Fail, nil
	case "skip":
		return Skip, nil
	}
	return Fail, fmt.Errorf("unknown --on-error policy %q (want fail or skip)", s)
}

// Options configure Run.
type Options struct {
	OnError OnError
	// MaxBatches stops after this many batches (0: until the source ends).
	MaxBatches int64
}

// Batch is what one micro-batch produced.
type Batch struct {
	ID      int64
	Files   []string
	RowsIn  int
	Rejects []ingest.Reject
	Rows    [][]value.Value // emitted rows; valid during the callback only
	Arrived time.Time       // when the source delivered the batch
	Elapsed time.Duration   // decode + process, from arrival to rows ready
	Groups  int
	BytesIn int64
}

// Summary is what a whole run read.
type Summary struct {
	Batches  int64
	RowsIn   int64
	Rejected int64
	Files    []string // every file read, in order
	Elapsed  time.Duration
}

// Run processes micro-batches from src until it is drained (or ctx ends,
// which is a clean stop after the current batch) and calls emit after each
// one. An emit error stops the run and is returned.
func Run(ctx context.Context, q *engine.Query, src ingest.Source, opts Options, emit func(Batch) error) (*Summary, error) {
	sum := &Summary{}
	plan := q.Plan()
	dec := ingest.NewDecoder(plan.ColumnSchema())
	var batch ingest.Batch
	start := time.Now()
	for opts.MaxBatches == 0 || sum.Batches < opts.MaxBatches {
		raw, err := src.Next(ctx)
		if errors.Is(err, ingest.ErrEndOfInput) || (err != nil && ctx.Err() != nil) {
			break
		}
		if err != nil {
			return sum, err
		}
		t0 := time.Now()
		batch.Reset(len(plan.Columns))
		rejects, _ := dec.Decode(raw, &batch)
		if len(rejects) > 0 && opts.OnError == Fail {
			r := rejects[0]
			return sum, fmt.Errorf("%s:%d: %s (use --on-error skip to count such lines and go on)", r.Source, r.Line, r.Reason)
		}
		rows, err := q.Process(&batch)
		if err != nil {
			return sum, fmt.Errorf("batch %d (%s): %w", sum.Batches, describe(raw), err)
		}
		b := Batch{ID: sum.Batches, Files: raw.Files, RowsIn: batch.Rows, Rejects: rejects, Rows: rows, Arrived: t0,
			Elapsed: time.Since(t0), Groups: q.Groups(), BytesIn: raw.Bytes}
		sum.Batches++
		sum.RowsIn += int64(batch.Rows)
		sum.Rejected += int64(len(rejects))
		sum.Files = append(sum.Files, raw.Files...)
		if err := emit(b); err != nil {
			return sum, err
		}
		if ctx.Err() != nil {
			break
		}
	}
	sum.Elapsed = time.Since(start)
	return sum, nil
}

func describe(raw *ingest.RawBatch) string {
	switch len(raw.Chunks) {
	case 0:
		return "empty"
	case 1:
		return raw.Chunks[0].Name
	}
	return fmt.Sprintf("%s and %d more", raw.Chunks[0].Name, len(raw.Chunks)-1)
}
