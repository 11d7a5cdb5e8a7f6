package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"brook/crashpoint"
	"brook/gen"
)

// TestCrashInCheckpointWrite crashes `brook run --checkpoint` in the middle
// of writing checkpoint data (the base at the start, then log frames of
// later commits), restarts it, and checks that the resumed run ends with
// the result of an uninterrupted one and leaves no temporary file behind.
func TestCrashInCheckpointWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	data := filepath.Join(t.TempDir(), "flows")
	if _, err := gen.WriteDir(data, gen.Options{Files: 12, RowsPerFile: 500, Seed: 3, RowsPerSecond: 40}); err != nil {
		t.Fatal(err)
	}
	query := filepath.Join(t.TempDir(), "q.sql")
	text := "SELECT dstdevice, COUNT(*) AS n, COUNT(DISTINCT srcdevice) AS d, SUM(dstbytes) AS b FROM flows GROUP BY dstdevice ORDER BY n DESC, dstdevice LIMIT 15"
	if err := os.WriteFile(query, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	_, want, errOut := brook(t, "run", "--emit", "final", "--source", "flows="+data, query)
	if want == "" {
		t.Fatalf("uninterrupted run: %s", errOut)
	}
	for _, at := range []string{"1", "2", "6", "11"} {
		ckpt := t.TempDir()
		args := []string{"run", "--checkpoint", ckpt, "--emit", "final", "--source", "flows=" + data, query}
		cmd := exec.Command("brook", args...)
		cmd.Env = append(os.Environ(), crashpoint.Env+"=checkpoint-write:"+at)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		if err == nil || !strings.Contains(err.Error(), "killed") {
			t.Fatalf("crash at write %s: the run was not killed: %v\n%s", at, err, stderr.String())
		}
		_, got, errOut := brook(t, args...)
		if got != want {
			t.Fatalf("crash at write %s: resumed result\n%s\nwant\n%s\n%s", at, got, want, errOut)
		}
		entries, _ := os.ReadDir(ckpt)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".checkpoint-") {
				t.Errorf("crash at write %s: %s left behind", at, e.Name())
			}
		}
	}
}
