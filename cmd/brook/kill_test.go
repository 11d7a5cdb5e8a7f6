package main

import (
	"bytes"
	"encoding/csv"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
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
	for _, query := range []string{"../../queries/webservers.sql", "../../queries/sessions.sql", "../../queries/protocol_mix.sql"} {
		t.Run(filepath.Base(query), func(t *testing.T) {
			_, want, errOut := brook(t, "baseline", "--source", "flows="+data, query)
			if want == "" {
				t.Fatalf("baseline: %s", errOut)
			}
			rng := rand.New(rand.NewPCG(uint64(len(query)), 7))
			ckpt := t.TempDir()
			// --num-rows 0: the whole table, as the baseline prints it.
			args := []string{"run", "--checkpoint", ckpt, "--emit", "final", "--num-rows", "0", "--trigger", "120ms", "--source", "flows=" + data, query}
			if strings.Contains(query, "sessions") {
				args = append(args, "--mode", "append", "--lateness", "0")
			}
			// protocol_mix goes, in update mode, to a CSV file sink: after the
			// kills, the last row of each key in the file is the final result.
			out := filepath.Join(t.TempDir(), "out.csv")
			fileSink := strings.Contains(query, "protocol_mix")
			if fileSink {
				args = []string{"run", "--checkpoint", ckpt, "--mode", "update", "--trigger", "120ms", "--sink", "file://" + out, "--source", "flows=" + data, query}
				_, want, _ = brook(t, "baseline", "--format", "csv", "--source", "flows="+data, query)
			}
			// Twelve runs killed at random points, each after a few
			// batches of progress, so that the kills fall across the
			// stream (not only at its start); then a run left to finish.
			// A run that finishes before its kill is the final one if
			// ten kills came before it, else the test starts over.
			const kills = 12
			var outBuf, errBuf bytes.Buffer
			killed, restarts := 0, 0
			for {
				cmd := exec.Command("brook", args...)
				outBuf.Reset()
				errBuf.Reset()
				cmd.Stdout, cmd.Stderr = &outBuf, &errBuf
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				var err error
				finished := false
				if killed < kills {
					select {
					case err = <-done:
						finished = true
					case <-time.After(time.Duration(150+rng.IntN(450)) * time.Millisecond):
						cmd.Process.Signal(syscall.SIGKILL)
						if err = <-done; err == nil {
							finished = true // it ended just before the kill
						}
					}
				} else {
					err, finished = <-done, true
				}
				if !finished {
					killed++
					continue
				}
				if err != nil {
					t.Fatalf("run after %d kills: %v\n%s", killed, err, errBuf.String())
				}
				if killed >= 10 {
					break
				}
				if restarts++; restarts > 3 {
					t.Fatalf("the run kept finishing before ten kills (%d)", killed)
				}
				t.Logf("the run finished after %d kills; starting over with a fresh checkpoint", killed)
				ckpt = t.TempDir()
				args[2] = ckpt
				killed = 0
			}
			t.Logf("%d kills across the stream", killed)
			got := outBuf.String()
			if fileSink {
				got = lastPerKey(t, out)
			}
			if got != want && !(fileSink && sameCSV(got, want)) {
				t.Fatalf("after %d kills the result differs from the baseline:\n%s\nwant:\n%s", killed, got, want)
			}
			if !strings.Contains(errBuf.String(), "50 batches, 50 files") {
				t.Errorf("final run summary: %s", errBuf.String())
			}
		})
	}
}

// lastPerKey reads an update-mode CSV sink file and returns, as CSV in the
// baseline's order (flows descending), the last row written for each key
// (the first column after batch).
func lastPerKey(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("sink file: %v", err)
	}
	last := map[string][]string{}
	var order []string
	for _, r := range recs[1:] {
		if _, ok := last[r[1]]; !ok {
			order = append(order, r[1])
		}
		last[r[1]] = r[1:]
	}
	sort.Slice(order, func(i, j int) bool {
		a, _ := strconv.Atoi(last[order[i]][1])
		b, _ := strconv.Atoi(last[order[j]][1])
		return a > b
	})
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write(recs[0][1:])
	for _, k := range order {
		w.Write(last[k])
	}
	w.Flush()
	return b.String()
}

// sameCSV compares two CSV texts cell by cell, numbers within a relative
// 1e-9 (DuckDB may add doubles in another order).
func sameCSV(a, b string) bool {
	ra, err1 := csv.NewReader(strings.NewReader(a)).ReadAll()
	rb, err2 := csv.NewReader(strings.NewReader(b)).ReadAll()
	if err1 != nil || err2 != nil || len(ra) != len(rb) {
		return false
	}
	for i := range ra {
		if len(ra[i]) != len(rb[i]) {
			return false
		}
		for j := range ra[i] {
			x, errx := strconv.ParseFloat(ra[i][j], 64)
			y, erry := strconv.ParseFloat(rb[i][j], 64)
			if errx == nil && erry == nil {
				if math.Abs(x-y) > 1e-9*math.Max(math.Abs(x), math.Abs(y)) {
					return false
				}
			} else if ra[i][j] != rb[i][j] {
				return false
			}
		}
	}
	return true
}
