package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"
)

// openStdin opens "-" or "stdin:": NDJSON on opts.Stdin, drained at end of
// file.
func openStdin(uri string, opts Options) (Source, error) {
	if uri != "-" && uri != "stdin:" && uri != "stdin://" {
		return nil, fmt.Errorf("source %s: standard input is \"-\" or \"stdin:\", with nothing after it", uri)
	}
	if opts.Stdin == nil {
		return nil, errors.New("source -: no standard input to read")
	}
	src := NewReaderSource("stdin", opts.Stdin, opts)
	opts.waiting("reading standard input")
	return src, nil
}

// NewReaderSource returns a streaming source of the NDJSON lines read from
// r, named name in error messages; it is drained when r reports end of
// file. Micro-batches follow opts.Trigger, opts.MaxRecords and
// opts.ExitIdle.
func NewReaderSource(name string, r io.Reader, opts Options) *LineSource {
	s := newLineSource(opts)
	s.readers.Add(1)
	go func() {
		defer s.readers.Done()
		if err := s.readLines(name, 0, r); err != nil && !errors.Is(err, errStopped) {
			s.fail(fmt.Errorf("%s: %w", name, err))
		}
	}()
	go s.closeWhenRead()
	return s
}

// blockSize is how much a line reader asks for at once.
const blockSize = 256 << 10

// block is whole lines read from one origin.
type block struct {
	name      string
	part      int32 // the reader's part, for a parted source
	firstLine int
	data      []byte
	lines     int // newlines in data
}

var errStopped = errors.New("source closed")

// LineSource turns lines arriving from one or more readers (standard input,
// TCP connections) into micro-batches: what arrived in a trigger interval,
// at most MaxRecords lines, never splitting a line, with each origin's line
// numbers kept for error messages. It is the engine of the stdin, tcp and
// tcp-listen sources.
type LineSource struct {
	opts    Options
	blocks  chan block
	quit    chan struct{} // closed by Close
	stop    sync.Once
	readers sync.WaitGroup // reader goroutines; blocks closes after them
	hold    sync.WaitGroup // kept above zero while more readers may come
	errMu   sync.Mutex
	err     error

	// parts, for a source read as several parts (tcp-listen: one per
	// producer connection; see RawBatch.Parted), holds the parts open now
	// and when each last sent lines; nil for other sources.
	partsMu sync.Mutex
	parts   map[int32]time.Time

	pending  *block    // the rest of a block cut at the record cap
	next     time.Time // the next trigger deadline
	lastSeen time.Time // when input last arrived, for ExitIdle
	closeFn  func()    // closes connections and listeners, once
}

func newLineSource(opts Options) *LineSource {
	return &LineSource{opts: opts, blocks: make(chan block, 8), quit: make(chan struct{}), lastSeen: time.Now()}
}

// closeWhenRead closes blocks once every reader finished.
func (s *LineSource) closeWhenRead() {
	s.hold.Wait()
	s.readers.Wait()
	close(s.blocks)
}

func (s *LineSource) fail(err error) {
	s.errMu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.errMu.Unlock()
}

// send hands a block to Next, or gives up when the source is closed.
func (s *LineSource) send(b block) error {
	select {
	case s.blocks <- b:
		return nil
	case <-s.quit:
		return errStopped
	}
}

// readLines reads r into blocks of whole lines until end of file; a last
// line without a newline is delivered as it is.
//
// Memory stays bounded whatever r sends: a line longer than the source's
// MaxLineBytes (default DefaultMaxLineBytes) is cut as it arrives, to its
// first MaxLineBytes+1 bytes, or MaxRawKept+1 when that is more, and the
// rest of it, up to its newline, is read and dropped without being held
// (see LimitLines). A decoder with the same maximum rejects the cut line as
// too long at its own line number, keeping its first MaxRawKept bytes
// marked as truncated, as for a file. The read buffer only grows, by
// doubling, while one unfinished line fills it, so it never exceeds about
// max(blockSize, 2*(the cut+1)).
func (s *LineSource) readLines(name string, part int32, r io.Reader) error {
	limit := s.opts.MaxLineBytes
	if limit <= 0 {
		limit = DefaultMaxLineBytes
	}
	r = LimitLines(r, max(limit, MaxRawKept))
	line := 1
	buf := make([]byte, 0, blockSize)
	for {
		if len(buf) == cap(buf) {
			// Full: move the unfinished line (all of buf, as sent lines
			// are cut off) to a fresh buffer, with room to grow.
			nb := make([]byte, len(buf), max(blockSize, 2*len(buf)))
			copy(nb, buf)
			buf = nb
		}
		from := len(buf)
		n, err := r.Read(buf[from:cap(buf)])
		buf = buf[:from+n]
		if cut := bytes.LastIndexByte(buf[from:], '\n'); cut >= 0 {
			cut += from
			// The block is capped at its length: the bytes after it are
			// the next lines', written by later reads, never seen by the
			// block's reader.
			data := buf[: cut+1 : cut+1]
			buf = buf[cut+1:]
			lines := bytes.Count(data, []byte{'\n'})
			s.touchPart(part)
			if serr := s.send(block{name: name, part: part, firstLine: line, data: data, lines: lines}); serr != nil {
				return serr
			}
			line += lines
		}
		if err == io.EOF {
			if len(bytes.TrimSpace(buf)) > 0 {
				s.touchPart(part)
				return s.send(block{name: name, part: part, firstLine: line, data: buf})
			}
			return nil
		}
		if err != nil {
			select {
			case <-s.quit:
				return errStopped
			default:
			}
			return err
		}
	}
}

// Next returns the next micro-batch: with no Trigger, everything that has
// arrived (at least one line, waiting for it); with a Trigger, what
// arrived by the next deadline. A batch holds at most MaxRecords lines.
// It returns ErrEndOfInput when every reader has finished and all was
// delivered, or ExitIdle passed with nothing arriving. If ctx ends while
// lines are held, they are returned rather than lost.
func (s *LineSource) Next(ctx context.Context) (*RawBatch, error) {
	b, err := s.nextBatch(ctx)
	if b != nil && s.parts != nil {
		b.Parted, b.Holding = true, s.holding(time.Now())
	}
	return b, err
}

// openPart notes a part (a producer's connection) that opened; its lines
// hold the watermark back until it closes or goes idle.
func (s *LineSource) openPart(p int32) {
	s.partsMu.Lock()
	s.parts[p] = time.Now()
	s.partsMu.Unlock()
}

// closePart notes a part that closed: nothing more comes from it.
func (s *LineSource) closePart(p int32) {
	s.partsMu.Lock()
	delete(s.parts, p)
	s.partsMu.Unlock()
}

// touchPart notes that part p sent lines.
func (s *LineSource) touchPart(p int32) {
	s.partsMu.Lock()
	if _, ok := s.parts[p]; ok {
		s.parts[p] = time.Now()
	}
	s.partsMu.Unlock()
}

// holding lists the open parts that sent lines within the idle timeout
// (Options.PartIdle): those that hold the watermark back.
func (s *LineSource) holding(now time.Time) []int32 {
	idle := s.opts.partIdle()
	s.partsMu.Lock()
	defer s.partsMu.Unlock()
	h := make([]int32, 0, len(s.parts))
	for p, seen := range s.parts {
		if now.Sub(seen) < idle {
			h = append(h, p)
		}
	}
	slices.Sort(h)
	return h
}

func (s *LineSource) nextBatch(ctx context.Context) (*RawBatch, error) {
	b := &RawBatch{}
	lines, capN := 0, s.opts.maxRecords()
	// add appends blk, cutting it at the cap; it reports a full batch.
	add := func(blk block) bool {
		if room := capN - lines; blk.lines > room {
			cut := 0
			for k := 0; k < room; k++ {
				cut += bytes.IndexByte(blk.data[cut:], '\n') + 1
			}
			rest := block{name: blk.name, part: blk.part, firstLine: blk.firstLine + room, data: blk.data[cut:], lines: blk.lines - room}
			s.pending = &rest
			blk.data, blk.lines = blk.data[:cut], room
		}
		if len(blk.data) > 0 {
			b.Chunks = append(b.Chunks, Chunk{Name: blk.name, FirstLine: blk.firstLine, Data: blk.data, Part: blk.part})
			b.Bytes += int64(len(blk.data))
			lines += max(blk.lines, 1)
		}
		return lines >= capN
	}
	var deadline <-chan time.Time
	if t := s.opts.Trigger; t > 0 {
		now := time.Now()
		if s.next.IsZero() {
			s.next = now.Add(t)
		}
		for !s.next.After(now) && s.pending == nil && len(s.blocks) == 0 {
			s.next = s.next.Add(t) // nothing queued: wait for the next tick
		}
		timer := time.NewTimer(time.Until(s.next))
		defer timer.Stop()
		deadline = timer.C
	}
	// handOver hands over a batch that reached the cap, or the last one
	// of the input: at once without a trigger, else at the trigger's
	// deadline (one batch per interval); what arrives meanwhile waits for
	// the next batch.
	handOver := func() (*RawBatch, error) {
		if deadline != nil {
			select {
			case <-deadline:
				s.next = s.next.Add(s.opts.Trigger)
			case <-ctx.Done():
			}
		}
		return b, nil
	}
	if s.pending != nil {
		p := *s.pending
		s.pending = nil
		if add(p) {
			return handOver()
		}
	}
	var idle <-chan time.Time
	if s.opts.ExitIdle > 0 {
		timer := time.NewTimer(time.Until(s.lastSeen.Add(s.opts.ExitIdle)))
		defer timer.Stop()
		idle = timer.C
	}
	for {
		if lines > 0 && deadline == nil { // no trigger: take what is queued
			select {
			case blk, ok := <-s.blocks:
				if !ok {
					return b, nil
				}
				s.lastSeen = time.Now()
				if add(blk) {
					return b, nil
				}
				continue
			default:
				return b, nil
			}
		}
		select {
		case blk, ok := <-s.blocks:
			if !ok {
				if lines > 0 {
					return handOver()
				}
				s.errMu.Lock()
				err := s.err
				s.errMu.Unlock()
				if err != nil {
					return nil, err
				}
				return nil, ErrEndOfInput
			}
			s.lastSeen = time.Now()
			if add(blk) {
				return handOver()
			}
		case <-deadline:
			if lines > 0 {
				s.next = s.next.Add(s.opts.Trigger)
				return b, nil
			}
			s.next = s.next.Add(s.opts.Trigger)
			deadline = time.After(time.Until(s.next))
		case <-idle:
			if lines > 0 { // input arrived: not idle; wait for the trigger
				idle = nil
				continue
			}
			return nil, ErrEndOfInput
		case <-ctx.Done():
			if lines > 0 {
				return b, nil
			}
			return nil, ctx.Err()
		}
	}
}

// Close stops the readers and releases connections; lines not yet
// delivered are dropped.
func (s *LineSource) Close() error {
	s.stop.Do(func() {
		close(s.quit)
		if s.closeFn != nil {
			s.closeFn()
		}
	})
	return nil
}

var _ Source = (*LineSource)(nil)
