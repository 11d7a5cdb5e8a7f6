package ingest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReleaseReusesBuffers: a released batch's read buffers serve later
// batches, whose data is their own file's whatever its size; a batch not
// released keeps its data.
func TestReleaseReusesBuffers(t *testing.T) {
	dir := t.TempDir()
	sizes := []int{3, 1, 200, 2, 5000}
	for i, n := range sizes {
		var b strings.Builder
		for k := range n {
			fmt.Fprintf(&b, "{\"file\": %d, \"k\": %d}\n", i, k)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d.json", i)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src, err := OpenDir(DirOptions{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	var kept *RawBatch
	reused := false
	var last []byte
	for i := range sizes {
		b, err := src.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		data := b.Chunks[0].Data
		want, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("f%d.json", i)))
		if string(data) != string(want) {
			t.Fatalf("batch %d holds %d bytes unlike its file's %d", i, len(data), len(want))
		}
		if last != nil && cap(data) >= len(data) && &data[:1][0] == &last[:1][0] {
			reused = true
		}
		if i == 0 {
			kept = b // never released
			continue
		}
		last = data
		b.Release()
		if b.Chunks != nil {
			t.Error("a released batch still has its chunks")
		}
	}
	if !reused {
		t.Error("no batch reused a released buffer")
	}
	if want, _ := os.ReadFile(filepath.Join(dir, "f0.json")); string(kept.Chunks[0].Data) != string(want) {
		t.Error("a batch never released lost its data")
	}
}
