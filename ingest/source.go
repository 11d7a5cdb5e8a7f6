package ingest

import (
	"context"
	"errors"
)

// ErrEndOfInput is returned by Source.Next when a finite source is drained.
var ErrEndOfInput = errors.New("end of input")

// Chunk is raw NDJSON from one origin. Data holds whole lines only.
type Chunk struct {
	Name      string // the origin for error messages: a file path, "stdin", ...
	FirstLine int    // the 1-based line number of Data's first line in Name
	Data      []byte
}

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

	pooled [][]byte // read buffers to hand back on Release
}

// Source delivers micro-batches of raw input. Next blocks until a batch is
// ready, the context ends, or the source is drained (ErrEndOfInput). A
// Source is used by one goroutine; the caller calls Close once.
type Source interface {
	Next(ctx context.Context) (*RawBatch, error)
	Close() error
}
