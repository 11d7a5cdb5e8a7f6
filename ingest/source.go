package ingest

import (
	"context"
	"errors"
)

// ErrEndOfInput is returned by Source.Next when a finite source is drained.
var ErrEndOfInput = errors.New("end of input")

// RawBatch is what a source delivers for one micro-batch.
type RawBatch struct {
	Chunks []Chunk
	// Files lists the files the batch read whole, in order, for the
	// baseline to read the very same input.
	Files []string
	Bytes int64 // total size of Chunks' data
	// Position is where a source that resumes by offsets (Kafka) stands
	// after this batch: the next offset of every partition it has read,
	// keyed "TOPIC/PARTITION" (see PartitionKey). A checkpoint records the
	// position of its last batch, and the source resumes from it.
	Position map[string]int64

	// Parted says the source is read as several parts, each in its own
	// order (a topic's partitions), which its chunks name (Chunk.Part):
	// the watermark is then kept per part. Holding lists the parts that,
	// after this batch, hold the watermark back: the watermark is the
	// least of their latest event times, less the lateness. A part stops
	// holding it back when it is no longer read here (revoked, or read to
	// its end under a bounded read) or when it is idle: it has delivered
	// everything it held and nothing new for the idle timeout (see
	// Options.PartIdle).
	Parted  bool
	Holding []int32

	pooled [][]byte // read buffers to hand back on Release
}

// Source delivers micro-batches of raw input. Next blocks until a batch is
// ready, the context ends, or the source is drained (ErrEndOfInput). A
// Source is used by one goroutine; the caller calls Close once.
type Source interface {
	Next(ctx context.Context) (*RawBatch, error)
	Close() error
}
