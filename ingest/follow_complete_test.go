package ingest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDirFollowWaitsForLastNewline: a followed file whose writer paused
// in the middle of a line, for far longer than Settle, is not read (nor
// are the files after it) until its last line ends; Note says once what
// it waits for. Then it is read whole.
func TestDirFollowWaitsForLastNewline(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	writeFile(t, a, "{\"n\": 1}\n{\"n\": ")
	writeFile(t, b, "{\"n\": 3}\n")
	var notes []string
	src, clk := openFollow(t, DirOptions{Path: dir})
	src.opts.Note = func(msg string) { notes = append(notes, msg) }
	wantWaiting(t, src)
	for range 10 {
		clk.Advance(testSettle)
		wantWaiting(t, src)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "waiting for "+a) || !strings.Contains(notes[0], "no newline yet") {
		t.Errorf("notes %q, want one saying it waits for %s's last newline", notes, a)
	}
	appendFile(t, a, "2}\n")
	wantWaiting(t, src) // it changed: it settles again
	clk.Advance(testSettle)
	got, err := nextWithin(src, 5*time.Second)
	wantBatch(t, got, err, []string{a}, []string{"{\"n\": 1}\n{\"n\": 2}\n"})
	got, err = nextWithin(src, 5*time.Second)
	wantBatch(t, got, err, []string{b}, []string{"{\"n\": 3}\n"})
}

// TestDirFollowChangedAfterRead: a followed file that grows or is
// rewritten after it was read (its writer paused after a newline for
// longer than Settle) is reported by the next Next, as a *FileError naming
// it, once per change; a file removed after it was read is not an error.
func TestDirFollowChangedAfterRead(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.json")
	writeFile(t, a, "{\"n\": 1}\n")
	src, clk := openFollow(t, DirOptions{Path: dir})
	clk.Advance(testSettle)
	wantWaiting(t, src) // first seen now
	clk.Advance(testSettle)
	got, err := nextWithin(src, 5*time.Second)
	wantBatch(t, got, err, []string{a}, []string{"{\"n\": 1}\n"})

	appendFile(t, a, "{\"n\": 2}\n") // the writer went on after the pause
	_, err = nextWithin(src, 5*time.Second)
	var fe *FileError
	if !errors.As(err, &fe) || fe.Name != a || !strings.Contains(fe.Reason, "rewritten after it was read (9 bytes then, 18 now)") || !strings.Contains(fe.Reason, "--settle") {
		t.Fatalf("Next after the file grew = %v; want a *FileError naming %s as rewritten after it was read", err, a)
	}
	src.SkipFile(a) // as a run under --on-error skip does
	wantWaiting(t, src)
	clk.Advance(time.Hour)
	wantWaiting(t, src) // reported once, not at every poll

	appendFile(t, a, "{\"n\": 3}\n") // another change: reported again
	if _, err := nextWithin(src, 5*time.Second); !errors.As(err, &fe) || !strings.Contains(fe.Reason, "(9 bytes then, 27 now)") {
		t.Fatalf("Next after the second change = %v", err)
	}
	if err := os.Remove(a); err != nil {
		t.Fatal(err)
	}
	wantWaiting(t, src)
}
