package stream

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"brook/ingest"
)

// Spool wraps a streaming source so that every batch it delivers is first
// written to dir as one NDJSON file, batch-000000.jsonl, batch-000001.jsonl,
// ... (written under a temporary name, then renamed), and the batch's Files
// name that file. The baseline then reads exactly the records the stream
// consumed, batch-aligned, whatever the source: this is how brook diff
// checks stdin, TCP and Kafka sources. Batches that already name their
// files (directory sources) pass through untouched. Acknowledgements pass
// through to src.
//
// dir is created if needed; it must not hold batch files of an earlier run.
func Spool(src ingest.Source, dir string) (ingest.Source, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if old, _ := filepath.Glob(filepath.Join(dir, "batch-*.jsonl")); len(old) > 0 {
		return nil, fmt.Errorf("spool directory %s already holds %d batch files of an earlier run; give an empty directory", dir, len(old))
	}
	return &spool{Source: src, dir: dir}, nil
}

type spool struct {
	ingest.Source
	dir string
	n   int
}

// Next reads a batch from the wrapped source and writes it to the spool.
func (s *spool) Next(ctx context.Context) (*ingest.RawBatch, error) {
	b, err := s.Source.Next(ctx)
	if err != nil || len(b.Files) > 0 || len(b.Chunks) == 0 {
		return b, err
	}
	var data []byte
	for _, c := range b.Chunks {
		data = append(data, c.Data...)
		if len(c.Data) > 0 && c.Data[len(c.Data)-1] != '\n' {
			data = append(data, '\n')
		}
	}
	name := filepath.Join(s.dir, fmt.Sprintf("batch-%06d.jsonl", s.n))
	tmp := filepath.Join(s.dir, fmt.Sprintf(".batch-%06d.jsonl.tmp", s.n))
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := os.Rename(tmp, name); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s.n++
	b.Files = []string{name}
	return b, nil
}

// Ack acknowledges through the wrapped source, if it takes acks.
func (s *spool) Ack(ctx context.Context, b *ingest.RawBatch) error {
	if a, ok := s.Source.(ingest.Acker); ok {
		return a.Ack(ctx, b)
	}
	return nil
}
