package ingest

import (
	"bytes"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"

	"brook/value"
)

// longLine is a reader of `{"id": 1}`, then one line of size bytes of 'x'
// made up as it is read (never held whole), then `{"id": 3}`. It hands out
// at most step bytes per Read, as a pipe or socket does.
type longLine struct {
	size, step int
	pos        int // bytes of the long line handed out so far
	head, tail *strings.Reader
}

func newLongLine(size, step int) *longLine {
	return &longLine{size: size, step: step, head: strings.NewReader("{\"id\": 1}\n"), tail: strings.NewReader("\n{\"id\": 3}\n")}
}

func (l *longLine) Read(p []byte) (int, error) {
	if l.head.Len() > 0 {
		return l.head.Read(p)
	}
	if l.pos < l.size {
		n := min(len(p), l.step, l.size-l.pos)
		for i := range p[:n] {
			p[i] = 'x'
		}
		l.pos += n
		return n, nil
	}
	return l.tail.Read(p)
}

// drainAllocated reads src to its end, dropping what it delivers, and
// returns the bytes allocated meanwhile (by every goroutine: the reader's
// buffers included).
func drainAllocated(t *testing.T, src Source) uint64 {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ctx := testCtx(t)
	for {
		_, err := src.Next(ctx)
		if errors.Is(err, ErrEndOfInput) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestLongLineBoundedMemory: a 64 MiB line from standard input or a TCP
// producer is held only up to the line bound (1 MiB here), the rest read
// and dropped, so reading it allocates a few times the bound, not the
// line; the cut line still reaches the decoder, which rejects it as too
// long at its line number, and the lines around it are read as usual.
func TestLongLineBoundedMemory(t *testing.T) {
	const size, bound = 64 << 20, 1 << 20
	open := map[string]func(t *testing.T, opts Options) Source{
		"stdin": func(t *testing.T, opts Options) Source {
			opts.Stdin = newLongLine(size, 64<<10)
			src, err := Open("-", opts)
			if err != nil {
				t.Fatal(err)
			}
			return src
		},
		"reader": func(t *testing.T, opts Options) Source {
			return NewReaderSource("reader", newLongLine(size, 64<<10), opts)
		},
		"tcp-listen": func(t *testing.T, opts Options) Source {
			src, err := Open("tcp-listen://127.0.0.1:0", opts)
			if err != nil {
				t.Fatal(err)
			}
			conn, err := net.Dial("tcp", src.(*TCPSource).Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			go func() {
				defer conn.Close()
				buf := make([]byte, 64<<10)
				r := newLongLine(size, len(buf))
				for {
					n, err := r.Read(buf)
					if _, werr := conn.Write(buf[:n]); werr != nil || err != nil {
						return
					}
				}
			}()
			return src
		},
	}
	for name, open := range open {
		t.Run(name, func(t *testing.T) {
			src := open(t, Options{MaxLineBytes: bound})
			defer src.Close()
			allocated := drainAllocated(t, src)
			if allocated > 16*bound {
				t.Errorf("reading a %d-byte line with a %d-byte bound allocated %d bytes; want at most %d", size, bound, allocated, 16*bound)
			}
		})
	}

	// What is delivered: the cut line, rejected by a decoder with the
	// same bound, between the two good lines.
	src := NewReaderSource("reader", newLongLine(size, 64<<10), Options{MaxLineBytes: bound})
	defer src.Close()
	var all []byte
	ctx := testCtx(t)
	for {
		b, err := src.Next(ctx)
		if errors.Is(err, ErrEndOfInput) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range b.Chunks {
			all = append(all, c.Data...)
		}
	}
	if want := 10 + bound + 1 + 1 + 10; len(all) != want {
		t.Fatalf("delivered %d bytes, want %d (the long line cut to %d bytes)", len(all), want, bound+1)
	}
	d := NewDecoder(value.Schema{{Name: "id", Type: value.Int}})
	d.SetMaxLineBytes(bound)
	var dst Batch
	dst.Reset(1)
	rejects, _ := d.Decode([]Chunk{{Name: "stdin", FirstLine: 1, Data: all}}, &dst)
	if dst.Rows != 2 || len(rejects) != 1 || rejects[0].Line != 2 || !strings.Contains(rejects[0].Reason, "--max-line-bytes") || !bytes.HasPrefix([]byte(rejects[0].Raw), []byte("xxx")) {
		t.Errorf("decoded %d rows, rejects %+v; want rows 1 and 3 and line 2 rejected as longer than the bound", dst.Rows, rejects)
	}
}

var _ io.Reader = (*longLine)(nil)
