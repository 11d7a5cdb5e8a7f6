package stream

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"brook/crashpoint"
	"brook/engine"
)

// A checkpoint directory holds two files (see the package documentation,
// "Checkpoint files"):
//
//	base  the header baseMagic, then one frame: the whole state
//	log   the header logMagic, then one frame per commit since the base:
//	      what the batches since the previous commit changed
//
// A frame is a little-endian uint32 payload length, the CRC-32C of the
// payload (uint32), and the payload: uvarint commit sequence (the batches
// processed), uvarint length and gob encoding of the Checkpoint's metadata
// (State nil), then the engine's record (engine.Query.AppendRecord).
const (
	baseMagic = "brook checkpoint base v3\n"
	logMagic  = "brook checkpoint log v3\n"
	baseFile  = "base"
	logFile   = "log"
	// oldFile is the single-file checkpoint of brook before v3.
	oldFile = "checkpoint"
	// tempPrefix starts the name of every file being written.
	tempPrefix = ".checkpoint-"
)

// compactFactor: the log is compacted into a new base when it grows beyond
// this many times the base and beyond compactMin bytes: recovery then
// replays at most about that much. Variables for tests.
var (
	compactFactor int64 = 4
	compactMin    int64 = 16 << 20
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Store commits a query's checkpoints into a directory: a change record
// per commit appended to the log and fsync'd, the log compacted into a new
// base now and then. See OpenStore.
type Store struct {
	dir      string
	log      *os.File
	logSize  int64
	baseSize int64
	needBase bool // the next commit writes a base (a new query, or a restored one)
	rec      []byte
	meta     bytes.Buffer
	// synced receives the result of a base write running in the
	// background (see writeBase); nil when none is.
	synced chan error
	// The log's fsyncs run in the background, one at a time, each making
	// durable every frame written before it started (see appendLog).
	mu      sync.Mutex
	cond    *sync.Cond
	written int64 // frames appended to the log
	durable int64 // frames an fsync has made durable
	syncing bool  // a syncer goroutine runs
	syncErr error
}

// OpenStore opens the checkpoint directory dir (creating it) for a query
// like q of the given identity. It removes temporary files a killed run
// left, and returns the last committed checkpoint, its State rebuilt from
// the base and the log, or nil when there is none. A torn last log frame
// (a crash while it was written, before its fsync) is not a commit and is
// ignored. The next Commit writes a new base.
func OpenStore(dir, identity string, q *engine.Query) (*Store, *Checkpoint, error) {
	cp, err := loadStore(dir, identity, q)
	if err != nil {
		return nil, nil, err
	}
	removeTemps(dir)
	st := &Store{dir: dir, needBase: true}
	st.cond = sync.NewCond(&st.mu)
	return st, cp, nil
}

// LoadCheckpoint reads the metadata of the last checkpoint committed in
// dir (State nil), creating dir if needed, and changes nothing else in it
// (a run may be writing there). It returns nil and no error
// when there is none yet. A checkpoint of another identity is refused with
// ErrCheckpointMismatch and a message saying what to do, one of another
// layout version likewise, and a damaged one with a message starting
// "damaged".
func LoadCheckpoint(dir, identity string) (*Checkpoint, error) {
	return loadStore(dir, identity, nil)
}

// PeekCheckpoint reads the metadata of the last checkpoint committed in dir
// (State nil) whatever query wrote it, or returns nil when there is none:
// a restarted run reads the schema its source was bound with (Schema) and
// the bindings it was read over (Sources) before it plans the query, so
// that the plan, and with it the Identity, is that of the run it resumes.
// Check the identity with LoadCheckpointFor once the query is planned.
func PeekCheckpoint(dir string) (*Checkpoint, error) {
	return loadStore(dir, "", nil)
}

// frame is one decoded frame.
type frame struct {
	seq   uint64
	meta  []byte
	state []byte
}

func loadStore(dir, identity string, q *engine.Query) (*Checkpoint, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, oldFile)); err == nil {
		return nil, fmt.Errorf("%w: %s was written by an incompatible version of brook (a single-file checkpoint); start with an empty --checkpoint directory", ErrCheckpointMismatch, filepath.Join(dir, oldFile))
	}
	basePath, logPath := filepath.Join(dir, baseFile), filepath.Join(dir, logFile)
	base, err := os.ReadFile(basePath)
	if errors.Is(err, os.ErrNotExist) {
		if _, lerr := os.Stat(logPath); lerr == nil {
			return nil, damaged(logPath, "a log without its base")
		}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if err := checkMagic(basePath, base, baseMagic); err != nil {
		return nil, err
	}
	bf, rest, err := readFrame(base[len(baseMagic):])
	if err != nil || len(rest) != 0 {
		return nil, damaged(basePath, "the base's frame is cut short or its checksum does not match")
	}
	frames := []frame{bf}
	logData, err := os.ReadFile(logPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if err == nil {
		if err := checkMagic(logPath, logData, logMagic); err != nil {
			return nil, err
		}
		src := logData[len(logMagic):]
		for len(src) > 0 {
			f, rest, err := readFrame(src)
			if err != nil {
				if errors.Is(err, errBadSum) && len(rest) > 0 {
					return nil, damaged(logPath, fmt.Sprintf("a frame at byte %d fails its checksum and more follow", len(logData)-len(src)))
				}
				break // a torn tail: never committed
			}
			if f.seq > bf.seq {
				frames = append(frames, f)
			}
			src = rest
		}
	}
	var cp Checkpoint
	last := frames[len(frames)-1]
	if err := gob.NewDecoder(bytes.NewReader(last.meta)).Decode(&cp); err != nil {
		return nil, damaged(basePath, "its metadata cannot be decoded: "+err.Error())
	}
	if identity != "" && cp.Identity != identity {
		return nil, fmt.Errorf("%w: %s holds the state of another query or output mode:\n%s\nuse a different --checkpoint directory for this query, or empty that one to start over", ErrCheckpointMismatch, dir, cp.Query)
	}
	if cp.Batches == 0 { // the empty base of a run that committed no batch
		return nil, nil
	}
	if q == nil {
		return &cp, nil
	}
	r, err := engine.NewReplay(q)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	for i, f := range frames {
		if err := r.Apply(f.state); err != nil {
			name := basePath
			if i > 0 {
				name = logPath
			}
			return nil, damaged(name, err.Error())
		}
	}
	cp.State = r.Snapshot()
	return &cp, nil
}

// damaged is the error for a checkpoint file that is not what brook wrote.
func damaged(path, why string) error {
	return fmt.Errorf("checkpoint: damaged: %s: %s; restore the directory from a backup or start with an empty --checkpoint directory", path, why)
}

// checkMagic checks a file's header: another version of brook's is an
// incompatible version, anything else damage. Foreign bytes are shown
// quoted, at most 24 of them.
func checkMagic(path string, data []byte, magic string) error {
	if bytes.HasPrefix(data, []byte(magic)) {
		return nil
	}
	first, _, _ := bytes.Cut(data, []byte("\n"))
	if bytes.HasPrefix(data, []byte("brook checkpoint ")) && len(first) < 64 {
		return fmt.Errorf("%w: %s was written by an incompatible version of brook (%q); start with an empty --checkpoint directory", ErrCheckpointMismatch, path, first)
	}
	if len(first) > 24 {
		first = first[:24]
	}
	return damaged(path, fmt.Sprintf("it does not start with a brook checkpoint header (it starts %q)", first))
}

var errBadSum = errors.New("checksum mismatch")

// readFrame decodes the frame at the start of src and returns the bytes
// after it. A frame cut short is io.ErrUnexpectedEOF; one whose checksum
// fails errBadSum (rest is then what follows its declared length).
func readFrame(src []byte) (frame, []byte, error) {
	var f frame
	if len(src) < 8 {
		return f, nil, io.ErrUnexpectedEOF
	}
	n, sum := binary.LittleEndian.Uint32(src), binary.LittleEndian.Uint32(src[4:])
	if uint64(n) > uint64(len(src)-8) {
		return f, nil, io.ErrUnexpectedEOF
	}
	payload, rest := src[8:8+n], src[8+n:]
	if crc32.Checksum(payload, crcTable) != sum {
		return f, rest, errBadSum
	}
	seq, k := binary.Uvarint(payload)
	if k <= 0 {
		return f, rest, errBadSum
	}
	payload = payload[k:]
	m, k := binary.Uvarint(payload)
	if k <= 0 || m > uint64(len(payload)-k) {
		return f, rest, errBadSum
	}
	f.seq, f.meta, f.state = seq, payload[k:k+int(m)], payload[k+int(m):]
	return f, rest, nil
}

// removeTemps removes the temporary files of writes a crash interrupted.
func removeTemps(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempPrefix) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// Begin writes a new base holding the query's current state (new, or just
// restored from the checkpoint c describes) in the background, so that
// the commits after it are change records. Call it once, after OpenStore
// and before the first Commit.
func (s *Store) Begin(q *engine.Query, c *Checkpoint) error {
	var err error
	if s.rec, err = s.frame(q, c, true); err != nil {
		return err
	}
	s.synced = make(chan error, 1)
	go func(rec []byte, done chan<- error) { done <- s.writeBase(rec) }(s.rec, s.synced)
	s.rec = nil
	q.StartLog()
	return nil
}

// Commit makes c (its metadata) and the query's state durable: a change
// record appended to the log and fsync'd, or a new base when one is due.
// The query must have been StartLog'ged when the store was opened.
//
// Only the encoding runs here: the writes and fsyncs run in the
// background while the next batch is processed, and the commit is durable
// once Wait (or the next Commit, which waits first) returns. Until then a
// crash recovers the commit before.
func (s *Store) Commit(q *engine.Query, c *Checkpoint) error {
	if err := s.waitBase(); err != nil {
		return err
	}
	due := s.needBase || (s.logSize > compactMin && s.logSize > compactFactor*s.baseSize)
	if due {
		if err := s.Wait(); err != nil {
			return err
		}
	}
	var err error
	if s.rec, err = s.frame(q, c, due); err != nil {
		return err
	}
	if due {
		s.synced = make(chan error, 1)
		go func(rec []byte, done chan<- error) { done <- s.writeBase(rec) }(s.rec, s.synced)
		s.rec = nil // the goroutine owns it
		return nil
	}
	if err = s.appendLog(); err != nil {
		s.needBase = true // the log may end in a torn frame: start anew
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// frame encodes the frame of a commit into s.rec's memory.
func (s *Store) frame(q *engine.Query, c *Checkpoint, full bool) ([]byte, error) {
	meta := *c
	meta.State = nil
	s.meta.Reset()
	if err := gob.NewEncoder(&s.meta).Encode(&meta); err != nil {
		return nil, fmt.Errorf("checkpoint: encode: %w", err)
	}
	rec := append(s.rec[:0], make([]byte, 8)...)
	rec = binary.AppendUvarint(rec, uint64(c.Batches))
	rec = binary.AppendUvarint(rec, uint64(s.meta.Len()))
	rec = append(rec, s.meta.Bytes()...)
	rec, err := q.AppendRecord(rec, full)
	if err != nil {
		return nil, err
	}
	binary.LittleEndian.PutUint32(rec, uint32(len(rec)-8))
	binary.LittleEndian.PutUint32(rec[4:], crc32.Checksum(rec[8:], crcTable))
	return rec, nil
}

// writeHalves writes data to f in two parts, reaching the crash point
// "checkpoint-write" between them.
func writeHalves(f *os.File, data []byte) error {
	half := len(data) / 2
	if _, err := f.Write(data[:half]); err != nil {
		return err
	}
	crashpoint.Hit("checkpoint-write")
	_, err := f.Write(data[half:])
	return err
}

// writeBase replaces the base with s.rec and starts an empty log: each
// written to a temporary file, fsync'd and renamed, and the directory
// fsync'd. A crash between the two leaves the new base and the old log,
// whose frames the base's sequence number makes replay skip.
//
// It runs in the background, on a record the store no longer touches,
// while the next batch is processed (see Wait).
func (s *Store) writeBase(rec []byte) error {
	if s.log != nil {
		s.log.Close()
		s.log = nil
	}
	if err := s.replace(baseFile, append([]byte(baseMagic), rec...)); err != nil {
		return err
	}
	if err := s.replace(logFile, []byte(logMagic)); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(s.dir, logFile), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	s.log, s.logSize, s.baseSize, s.needBase = f, 0, int64(len(rec)), false
	return nil
}

// replace writes data to dir/name atomically and durably.
func (s *Store) replace(name string, data []byte) error {
	tmp, err := os.CreateTemp(s.dir, tempPrefix+"*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	err = writeHalves(tmp, data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(s.dir, name))
	}
	if err == nil {
		err = syncDir(s.dir)
	}
	return err
}

// appendLog appends s.rec to the log and starts its fsync: once that
// returns, it is committed.
func (s *Store) appendLog() error {
	if err := writeHalves(s.log, s.rec); err != nil {
		return err
	}
	s.logSize += int64(len(s.rec))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.syncErr != nil {
		return s.syncErr
	}
	s.written++
	if !s.syncing {
		s.syncing = true
		go s.syncLoop(s.log)
	}
	return nil
}

// syncLoop fsyncs the log until every frame written is durable: frames
// appended while an fsync runs are made durable together by the next.
func (s *Store) syncLoop(f *os.File) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.durable < s.written && s.syncErr == nil {
		target := s.written
		s.mu.Unlock()
		err := f.Sync()
		s.mu.Lock()
		if err != nil {
			s.syncErr = err
		} else {
			s.durable = target
		}
		s.cond.Broadcast()
	}
	s.syncing = false
	s.cond.Broadcast()
}

// waitBase waits for a base being written in the background.
func (s *Store) waitBase() error {
	if s == nil || s.synced == nil {
		return nil
	}
	err := <-s.synced
	s.synced = nil
	if err != nil {
		s.needBase = true
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// Wait waits for the last commit to be durable.
func (s *Store) Wait() error {
	if s == nil {
		return nil
	}
	if err := s.waitBase(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.syncing {
		s.cond.Wait()
	}
	if err := s.syncErr; err != nil {
		s.syncErr, s.needBase = nil, true
		s.written = s.durable
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// Close waits for the last commit and closes the log.
func (s *Store) Close() error {
	if s == nil {
		return nil
	}
	err := s.Wait()
	if s.log != nil {
		if cerr := s.log.Close(); err == nil {
			err = cerr
		}
		s.log = nil
	}
	return err
}
