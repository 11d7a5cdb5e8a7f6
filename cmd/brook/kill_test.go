package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"brook/gen"
)

// TestKillAndResume runs `brook run --checkpoint` over 50 files, slowed with
// --trigger, kills it with SIGKILL at random points at least 10 times across
// the stream, restarts it each time with the same checkpoint directory, and
// checks that the final result equals the DuckDB baseline every time: no
// row counted twice, none lost. It uses the LANL data where present and 50
// generated files otherwise.
func TestKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("kill test skipped in -short mode")
	}
	data := lanlDir
	if _, err := os.Stat(lanlDir); err != nil {
		data = filepath.Join(t.TempDir(), "flows")
		if _, err := gen.WriteDir(data, gen.Options{Files: 50, RowsPerFile: 2000, Seed: 9, RowsPerSecond: 40}); err != nil {
			t.Fatal(err)
		}
		t.Logf("LANL data not found at %s: using 50 generated files", lanlDir)
	}
	for _, query := range []string{"../../queries/webservers.sql", "../../queries/sessions.sql"} {
		t.Run(filepath.Base(query), func(t *testing.T) {
			_, want, errOut := brook(t, "baseline", "--source", "flows="+data, query)
			if want == "" {
				t.Fatalf("baseline: %s", errOut)
			}
			rng := rand.New(rand.NewPCG(uint64(len(query)), 7))
			ckpt := t.TempDir()
			args := []string{"run", "--checkpoint", ckpt, "--emit", "final", "--trigger", "120ms", "--source", "flows=" + data, query}
			if strings.Contains(query, "sessions") {
				args = append(args, "--mode", "append", "--lateness", "0")
			}
			kills := 0
			for kills < 10 {
				cmd := exec.Command("brook", args...)
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				select {
				case err := <-done:
					t.Fatalf("run ended before the kill (%v): %s", err, out.String())
				case <-time.After(time.Duration(100+rng.IntN(300)) * time.Millisecond):
				}
				cmd.Process.Signal(syscall.SIGKILL)
				<-done
				kills++
			}
			cmd := exec.Command("brook", args...)
			var out, errBuf bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errBuf
			if err := cmd.Run(); err != nil {
				t.Fatalf("final run: %v\n%s", err, errBuf.String())
			}
			if out.String() != want {
				t.Fatalf("after %d kills the result differs from the baseline:\n%s\nwant:\n%s", kills, out.String(), want)
			}
			if !strings.Contains(errBuf.String(), "50 batches, 50 files") {
				t.Errorf("final run summary: %s", errBuf.String())
			}
		})
	}
}
