package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// signalWriter collects what is written and closes seen once it holds
// want.
type signalWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return n, err
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestFollowEmptyDirectory: --follow on a directory that holds no file yet
// waits for the first one to infer the schema from, saying so, as stdin,
// TCP and Kafka sources wait for their first records; the file that
// arrives is then read.
func TestFollowEmptyDirectory(t *testing.T) {
	dir := t.TempDir()
	matches, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "flows", "*.json"))
	if len(matches) == 0 {
		t.Fatal("no testdata/flows file")
	}
	data, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	errOut := &signalWriter{want: "waiting for its first", seen: make(chan struct{})}
	var out bytes.Buffer
	done := make(chan int)
	go func() {
		done <- runMainIn(bytes.NewReader(nil), []string{"run", "--follow", "--max-batches", "1", "--source", "flows=" + dir,
			"--format", "csv", "-e", "SELECT count(*) AS n FROM flows"}, &out, errOut)
	}()
	select {
	case <-errOut.seen:
	case code := <-done:
		t.Fatalf("the run ended (exit %d) instead of waiting for a file:\n%s", code, errOut)
	}
	// Written under a hidden name and renamed, as a producer hands a file over.
	tmp := filepath.Join(dir, ".part.tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "part.json")); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut)
	}
	if want := "batch,n\n0," + strconv.Itoa(strings.Count(string(data), "\n")) + "\n"; out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
	if !strings.Contains(errOut.String(), "brook: following "+dir+": waiting for its first") {
		t.Errorf("stderr does not say what the run waits for:\n%s", errOut)
	}
}

// TestDefaultSourceMissing: outside brook's repository the default flows
// binding (testdata/flows) does not exist; using the table says to bind it,
// with or without a declared schema, instead of a stat error about the
// default's path.
func TestDefaultSourceMissing(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, args := range [][]string{
		{"run", "-e", "SELECT count(*) FROM flows"},
		{"diff", "--schema", "x DOUBLE", "-e", "SELECT count(*) FROM flows"},
		{"run", "--schema", "x DOUBLE", "-e", "SELECT count(*) FROM flows"},
	} {
		code, _, errOut := brook(t, args...)
		if code != exitError || !strings.Contains(errOut, "not bound to a source: bind one with --source flows=DIR") || strings.Contains(errOut, "stat ") {
			t.Errorf("%v: exit %d\n%s", args, code, errOut)
		}
	}
}

// TestFollowMissingDirectory: --follow on a directory that does not exist
// says to create it, whether the schema is inferred or declared.
func TestFollowMissingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "incoming")
	for _, extra := range [][]string{nil, {"--schema", "dstport VARCHAR"}} {
		args := append([]string{"run", "--follow", "--source", "flows=" + dir, "-e", "SELECT count(*) FROM flows"}, extra...)
		code, out, errOut := brook(t, args...)
		if code != exitError || !strings.Contains(errOut, "source "+dir+": no such directory; create it (mkdir -p "+dir+") and --follow reads the files that arrive in it") {
			t.Errorf("%v: exit %d\n%s%s", extra, code, out, errOut)
		}
	}
}

// TestMissingDirectory: a source bound by the user to a directory that does
// not exist, read once by run, baseline, diff or the REPL, says there is no
// such directory and how to make one, not a stat error nor that the table
// is unbound.
func TestMissingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not-yet")
	want := "source " + dir + ": no such directory; check the path, or create it (mkdir -p " + dir + ")"
	for _, cmd := range []string{"run", "baseline", "diff"} {
		code, _, errOut := brook(t, cmd, "--source", "flows="+dir, "-e", "SELECT count(*) FROM flows")
		if code != exitError || !strings.Contains(errOut, want) || strings.Contains(errOut, "stat ") {
			t.Errorf("%s: exit %d\n%s", cmd, code, errOut)
		}
	}
	code, _, errOut := brookIn(t, strings.NewReader("SELECT count(*) FROM flows;\n"), "repl", "--source", "flows="+dir, "--history", "-")
	if code != exitError || !strings.Contains(errOut, want) || strings.Contains(errOut, "not bound") || strings.Contains(errOut, "default") {
		t.Errorf("repl: exit %d\n%s", code, errOut)
	}
}
