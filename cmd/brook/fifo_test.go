package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// mkfifo makes a named pipe at name, with a writer standing ready so that
// code that wrongly opens it reads it as empty instead of hanging the test;
// the writer is released when the test ends.
func mkfifo(t *testing.T, name string) {
	t.Helper()
	if err := syscall.Mkfifo(name, 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	opened := make(chan struct{})
	go func() {
		defer close(opened)
		if f, err := os.OpenFile(name, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
	}()
	t.Cleanup(func() {
		if f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			<-opened
			f.Close()
		}
	})
}

// TestFIFOInSourceSkipped: a named pipe called x.json in the source
// directory is never opened by brook run (schema inference included) or
// brook baseline: it is skipped, said so on stderr and counted in the
// summary, even with --on-error fail.
func TestFIFOInSourceSkipped(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.json"), []byte("{\"a\": \"g\", \"b\": 1.0}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "x.json")
	mkfifo(t, fifo)
	msg := "brook: skipped " + fifo + ": not a regular file (a named pipe): skipped, never opened"
	for _, cmd := range []string{"run", "baseline"} {
		code, out, errOut := brook(t, cmd, "--source", "flows="+dir, "-e", "SELECT a, count(*) AS n FROM flows GROUP BY a")
		if code != exitOK || !strings.Contains(out, "g") || !strings.Contains(errOut, msg) {
			t.Fatalf("%s: exit %d\nstdout: %s\nstderr: %s\nwant stderr to hold %q", cmd, code, out, errOut, msg)
		}
		if cmd == "run" && !strings.Contains(errOut, "1 unreadable file skipped") {
			t.Fatalf("run: the summary does not count the pipe:\n%s", errOut)
		}
	}
}
