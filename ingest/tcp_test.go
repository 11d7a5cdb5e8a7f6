package ingest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// drain reads src to its end and returns every line and chunk.
func drain(t *testing.T, ctx context.Context, src Source) ([]string, []Chunk) {
	t.Helper()
	var lines []string
	var chunks []Chunk
	for {
		b, err := src.Next(ctx)
		if errors.Is(err, ErrEndOfInput) {
			return lines, chunks
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range b.Chunks {
			chunks = append(chunks, c)
			lines = append(lines, strings.Split(strings.TrimSuffix(string(c.Data), "\n"), "\n")...)
		}
	}
}

func numbered(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "{\"id\": %d}\n", i)
	}
	return b.String()
}

// TestTCPSource connects to a local listener, reads every line it serves,
// and is drained when the server closes the connection.
func TestTCPSource(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	data := numbered(0, 5000)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		// Two writes that cut a line in half: lines never split.
		half := len(data)/2 + 3
		c.Write([]byte(data[:half]))
		c.Write([]byte(data[half:]))
		c.Close()
	}()
	src, err := Open("tcp://"+ln.Addr().String(), Options{MaxRecords: 700})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	lines, chunks := drain(t, testCtx(t), src)
	if got := strings.Join(lines, "\n") + "\n"; got != data {
		t.Fatalf("read %d lines, not the %d served", len(lines), 5000)
	}
	// Line numbers: each chunk starts where the previous one ended.
	line := 1
	for _, c := range chunks {
		if c.FirstLine != line {
			t.Fatalf("chunk starts at line %d, want %d", c.FirstLine, line)
		}
		line += strings.Count(string(c.Data), "\n")
	}
}

// TestTCPListenSource accepts two producers and ends once both have left.
func TestTCPListenSource(t *testing.T) {
	src, err := Open("tcp-listen://127.0.0.1:0", Options{Trigger: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	addr := src.(*TCPSource).Addr().String()
	c1, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		c1.Write([]byte(numbered(0, 100)))
		c2.Write([]byte(numbered(100, 200)))
		c1.Close()
		c2.Close()
	}()
	lines, chunks := drain(t, testCtx(t), src)
	if len(lines) != 200 {
		t.Fatalf("read %d lines, want 200", len(lines))
	}
	for _, c := range chunks {
		if !strings.Contains(c.Name, "producer") {
			t.Errorf("chunk name %q does not say which producer", c.Name)
		}
	}
}

// TestTCPFollowReconnects reads two connections in turn with Follow, then
// ends at ExitIdle.
func TestTCPFollowReconnects(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for i := 0; i < 2; i++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte(numbered(i*10, i*10+10)))
			c.Close()
		}
	}()
	src, err := Open("tcp://"+ln.Addr().String(), Options{Follow: true, ExitIdle: 700 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	lines, chunks := drain(t, testCtx(t), src)
	if len(lines) != 20 {
		t.Fatalf("read %d lines over two connections, want 20", len(lines))
	}
	if last := chunks[len(chunks)-1]; !strings.Contains(last.Name, "connection 2") || last.FirstLine != 1 {
		t.Errorf("second connection's chunk is %q line %d", last.Name, last.FirstLine)
	}
}

// TestTCPErrors checks that mistakes get clear errors, not hangs.
func TestTCPErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	if _, err := Open("tcp://"+addr, Options{}); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("connecting to a closed port: %v", err)
	}
	for _, uri := range []string{"tcp://nohost", "tcp://h:1/path", "tcp-listen://:x"} {
		if _, err := Open(uri, Options{}); err == nil {
			t.Errorf("%s: no error", uri)
		}
	}
	if _, err := Open("bogus://x", Options{}); err == nil || !strings.Contains(err.Error(), "unknown scheme") {
		t.Errorf("unknown scheme: %v", err)
	}
}

// TestTCPListenParts checks that each producer of a tcp-listen source is a
// part of its own (Chunk.Part), holding the watermark back while its
// connection is open and not idle, and no longer once it has closed.
func TestTCPListenParts(t *testing.T) {
	src, err := Open("tcp-listen://127.0.0.1:0", Options{PartIdle: time.Hour, Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx := testCtx(t)
	addr := src.(*TCPSource).Addr().String()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c1 := dial()
	c1.Write([]byte(numbered(0, 3)))
	seen := map[int32]bool{}
	var b *RawBatch
	for len(seen) == 0 {
		if b, err = src.Next(ctx); err != nil {
			t.Fatal(err)
		}
		for _, c := range b.Chunks {
			seen[c.Part] = true
		}
	}
	if !b.Parted || fmt.Sprint(b.Holding) != "[1]" || !seen[1] {
		t.Fatalf("one producer: parted %v, holding %v, parts %v", b.Parted, b.Holding, seen)
	}
	c2 := dial()
	defer c2.Close()
	c2.Write([]byte(numbered(3, 5)))
	for !seen[2] {
		if b, err = src.Next(ctx); err != nil {
			t.Fatal(err)
		}
		for _, c := range b.Chunks {
			seen[c.Part] = true
		}
	}
	if fmt.Sprint(b.Holding) != "[1 2]" {
		t.Fatalf("two producers: holding %v, want [1 2]", b.Holding)
	}
	c1.Close()
	for i := 0; slices.Contains(b.Holding, 1); i++ {
		c2.Write([]byte(numbered(10+i, 11+i)))
		if b, err = src.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(b.Holding) != "[2]" {
		t.Fatalf("producer 1 gone: holding %v, want [2]", b.Holding)
	}
}
