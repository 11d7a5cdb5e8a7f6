package ingest

import (
	"io"
	"os"
	"sync"
)

// Read buffers are reused across micro-batches: a fresh buffer per file
// costs a zeroed allocation and the page faults of touching it, more than
// the read itself. A batch's buffers come back through RawBatch.Release.

// maxPooled bounds the buffers kept for reuse: the batches in flight (one
// read ahead, one decoding, one in the engine) and a spare.
const maxPooled = 8

var pool struct {
	sync.Mutex
	free [][]byte
}

// getBuf returns an empty buffer with room for at least n bytes.
func getBuf(n int) []byte {
	pool.Lock()
	defer pool.Unlock()
	for i := len(pool.free) - 1; i >= 0; i-- {
		if b := pool.free[i]; cap(b) >= n {
			pool.free = append(pool.free[:i], pool.free[i+1:]...)
			return b[:0]
		}
	}
	return make([]byte, 0, n+n/8)
}

// putBuf keeps b for reuse unless the pool is full.
func putBuf(b []byte) {
	pool.Lock()
	defer pool.Unlock()
	if len(pool.free) < maxPooled {
		pool.free = append(pool.free, b)
	}
}

// readPooled reads a whole uncompressed file into a pooled buffer.
func readPooled(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := 0
	if info, err := f.Stat(); err == nil {
		size = int(info.Size())
	}
	buf := getBuf(size + 1) // one more, to see the end without growing
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // the file grew: make room
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			putBuf(buf)
			return nil, err
		}
	}
}

// Release hands the batch's read buffers back for reuse by later batches.
// Call it only once nothing refers to Chunks' data any more (decoded
// strings point into it); the batch's Chunks are then emptied. A batch
// never released is simply garbage collected.
func (b *RawBatch) Release() {
	if len(b.pooled) == 0 {
		return // nothing of the pool's: the batch stays as it is
	}
	for _, buf := range b.pooled {
		putBuf(buf)
	}
	b.pooled, b.Chunks = nil, nil
}
