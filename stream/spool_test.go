package stream

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"brook/ingest"
)

// acking records the batches acknowledged through a wrapper.
type acking struct {
	ingest.Source
	acked int
}

func (a *acking) Ack(context.Context, *ingest.RawBatch) error { a.acked++; return nil }

// TestSpool writes each streamed batch as one NDJSON file, names it in the
// batch, passes acknowledgements through, and refuses a used directory.
func TestSpool(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	data := "{\"a\": 1}\n{\"a\": 2}\n{\"a\": 3}" // the last line has no newline
	inner := &acking{Source: ingest.NewReaderSource("stdin", strings.NewReader(data), ingest.Options{MaxRecords: 2})}
	src, err := Spool(inner, dir)
	if err != nil {
		t.Fatal(err)
	}
	var spooled []byte
	for {
		b, err := src.Next(context.Background())
		if errors.Is(err, ingest.ErrEndOfInput) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Files) != 1 {
			t.Fatalf("batch names %v, want its spool file", b.Files)
		}
		f, err := os.ReadFile(b.Files[0])
		if err != nil {
			t.Fatal(err)
		}
		spooled = append(spooled, f...)
		if err := src.(ingest.Acker).Ack(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	if string(spooled) != data+"\n" {
		t.Errorf("spooled %q, want %q", spooled, data+"\n")
	}
	if inner.acked != 2 {
		t.Errorf("%d acks reached the source, want 2", inner.acked)
	}
	if _, err := Spool(inner, dir); err == nil || !strings.Contains(err.Error(), "earlier run") {
		t.Errorf("reusing a spool directory: %v", err)
	}
}
