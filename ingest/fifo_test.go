package ingest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
)

// mkfifo makes a named pipe at name. A writer stands ready on it, so that
// code that wrongly opens it reads it as empty instead of blocking the
// test for ever; the writer is released when the test ends.
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
		// A non-blocking reader lets a writer still waiting open and go.
		if f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			<-opened
			f.Close()
		}
	})
}

// TestDirSkipsFIFO: a named pipe called x.json is listed by none of List,
// Infer or the baseline's listing, and a run's Next reports it as a
// *FileError marked NotRegular, never opening it, then reads the rest.
func TestDirSkipsFIFO(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.json"), "{\"x\": 1}\n")
	fifo := filepath.Join(dir, "b.json")
	mkfifo(t, fifo)
	writeFile(t, filepath.Join(dir, "c.json"), "{\"x\": 2}\n")

	src, err := OpenDir(DirOptions{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	files, skipped, err := src.ListSkipping()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join(dir, "a.json"), filepath.Join(dir, "c.json")}; !reflect.DeepEqual(files, want) {
		t.Fatalf("listed %v, want %v", files, want)
	}
	if len(skipped) != 1 || skipped[0].Name != fifo || !skipped[0].NotRegular || skipped[0].Reason != "not a regular file (a named pipe): skipped, never opened" {
		t.Fatalf("skipped %v", skipped)
	}
	if _, err := Infer(files, 0); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{filepath.Join(dir, "*.json"): 2, fifo: 0} {
		g, err := OpenDir(DirOptions{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		if files, _ := g.List(); len(files) != want {
			t.Fatalf("List(%s) = %v, want %d files", path, files, want)
		}
	}

	ctx := context.Background()
	var read []string
	for {
		b, err := src.Next(ctx)
		if errors.Is(err, ErrEndOfInput) {
			break
		}
		var fe *FileError
		if errors.As(err, &fe) {
			if fe.Name != fifo || !fe.NotRegular || ReasonClass(fe.Reason) != "not a regular file" {
				t.Fatalf("error %v", err)
			}
			src.SkipFile(fe.Name)
			read = append(read, "skipped "+filepath.Base(fe.Name))
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		read = append(read, filepath.Base(b.Files[0]))
	}
	if want := []string{"a.json", "skipped b.json", "c.json"}; !reflect.DeepEqual(read, want) {
		t.Fatalf("read %v, want %v", read, want)
	}

}
