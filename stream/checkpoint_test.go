package stream

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"brook/engine"
	"brook/value"
)

func TestCheckpointRefusesOtherQueriesAndDamage(t *testing.T) {
	schema := value.Schema{{Name: "v", Type: value.Int}, {Name: "k", Type: value.String}}
	qa, _ := engine.New(planFor(t, "SELECT k, count(*) AS n FROM t GROUP BY k", schema), engine.Options{})
	qb, _ := engine.New(planFor(t, "SELECT k, sum(v) AS n FROM t GROUP BY k", schema), engine.Options{})
	idA, idB := Identity(qa, engine.Options{}), Identity(qb, engine.Options{})
	if idA == idB {
		t.Fatal("two different queries have the same checkpoint identity")
	}
	qc, _ := engine.New(planFor(t, "SELECT k, count(*) AS n FROM t GROUP BY k", schema), engine.Options{Mode: engine.Update})
	if Identity(qc, engine.Options{Mode: engine.Update}) == idA {
		t.Error("another output mode has the same checkpoint identity")
	}
	dir := t.TempDir()
	if c, err := LoadCheckpoint(dir, idA); c != nil || err != nil {
		t.Fatalf("empty directory: %v, %v", c, err)
	}
	snap, _ := qa.Snapshot()
	if err := SaveCheckpoint(dir, &Checkpoint{Identity: idA, Query: "SELECT k, count(*) ...", Batches: 3, Files: []string{"a.json"}, State: snap}); err != nil {
		t.Fatal(err)
	}
	c, err := LoadCheckpoint(dir, idA)
	if err != nil || c.Batches != 3 || c.Files[0] != "a.json" {
		t.Fatalf("round trip: %+v, %v", c, err)
	}
	if _, err := LoadCheckpoint(dir, idB); !errors.Is(err, ErrCheckpointMismatch) || !strings.Contains(err.Error(), "use a different --checkpoint directory") {
		t.Errorf("another query's checkpoint: %v", err)
	}
	path := filepath.Join(dir, "checkpoint")
	data, _ := os.ReadFile(path)
	data[len(data)-3] ^= 0xff
	os.WriteFile(path, data, 0o600)
	if _, err := LoadCheckpoint(dir, idA); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("damaged checkpoint: %v", err)
	}
	os.WriteFile(path, []byte("brook checkpoint v0\n..."), 0o600)
	if _, err := LoadCheckpoint(dir, idA); !errors.Is(err, ErrCheckpointMismatch) || !strings.Contains(err.Error(), "incompatible version") {
		t.Errorf("old layout: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}
