package stream

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"brook/engine"
	"brook/ingest"
	"brook/value"
)

// recorder is a participant that logs each call of the commit protocol
// with the number of batches the committed checkpoint held at that moment.
type recorder struct {
	name string
	dir  string
	log  *[]string
	pos  int64
}

func (r *recorder) committed() int64 {
	cp, err := LoadCheckpoint(r.dir, "id")
	if err != nil || cp == nil {
		return -1
	}
	return cp.Batches
}

func (r *recorder) PreCommit() (int64, error) {
	r.pos++
	*r.log = append(*r.log, fmt.Sprintf("precommit %s (checkpoint at %d)", r.name, r.committed()))
	return r.pos * 10, nil
}

func (r *recorder) Commit() error {
	*r.log = append(*r.log, fmt.Sprintf("commit %s (checkpoint at %d)", r.name, r.committed()))
	return nil
}

// TestCommitProtocolOrder: after each batch Run emits, pre-commits every
// output (in name order) before the checkpoint that holds the batch is
// written, records their positions in it, and commits them after it.
func TestCommitProtocolOrder(t *testing.T) {
	data, ckpt := t.TempDir(), t.TempDir()
	for i := range 3 {
		if err := os.WriteFile(filepath.Join(data, fmt.Sprintf("%d.json", i)), []byte(`{"p": "a"}`+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	schema := value.Schema{{Name: "p", Type: value.String}}
	q, err := engine.New(planFor(t, "SELECT count(*) AS n FROM t", schema), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	src, err := ingest.OpenDir(ingest.DirOptions{Path: data})
	if err != nil {
		t.Fatal(err)
	}
	var log []string
	outs := []Output{{Name: "z", Participant: &recorder{name: "z", dir: ckpt, log: &log}}, {Name: "a", Participant: &recorder{name: "a", dir: ckpt, log: &log}}}
	opts := Options{CheckpointDir: ckpt, Identity: "id", Sources: "t=" + data, Outputs: outs}
	_, err = Run(context.Background(), q, src, opts, func(b Batch) error {
		if !b.Closing {
			log = append(log, fmt.Sprintf("emit %d", b.ID))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for b := range 3 {
		want = append(want, fmt.Sprintf("emit %d", b),
			fmt.Sprintf("precommit a (checkpoint at %d)", prev(b)), fmt.Sprintf("precommit z (checkpoint at %d)", prev(b)),
			fmt.Sprintf("commit a (checkpoint at %d)", b+1), fmt.Sprintf("commit z (checkpoint at %d)", b+1))
	}
	if !slices.Equal(log, want) {
		t.Errorf("protocol:\n%s\nwant:\n%s", strings.Join(log, "\n"), strings.Join(want, "\n"))
	}
	cp, err := LoadCheckpointFor(ckpt, "id", "t="+data)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Outputs["a"] != 30 || cp.Outputs["z"] != 30 || len(cp.Outputs) != 2 {
		t.Errorf("checkpoint outputs %v, want a and z at 30", cp.Outputs)
	}
	if _, err := LoadCheckpointFor(ckpt, "id", "t=/elsewhere"); !errors.Is(err, ErrCheckpointMismatch) || !strings.Contains(err.Error(), "t=/elsewhere") {
		t.Errorf("other sources: %v", err)
	}
}

// prev is the batches the checkpoint holds before batch b commits (-1: none yet).
func prev(b int) int {
	if b == 0 {
		return -1
	}
	return b
}
