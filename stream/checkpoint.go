package stream

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"brook/crashpoint"
	"brook/engine"
)

// checkpointMagic starts every checkpoint file; the number is the layout
// version, bumped whenever Checkpoint or engine.Snapshot changes shape.
const checkpointMagic = "brook checkpoint v3\n"

// checkpointFile is the committed checkpoint inside a checkpoint directory.
const checkpointFile = "checkpoint"

// ErrCheckpointMismatch: the checkpoint directory belongs to another query
// (or another version of brook's state layout).
var ErrCheckpointMismatch = errors.New("checkpoint does not belong to this query")

// Checkpoint is what a run commits after every micro-batch: where the
// source is, and the whole state of the query.
//
// It is written atomically and crash-safely: encoded with gob, prefixed with
// a version line and the SHA-256 of the payload, written to a temporary file
// that is fsync'd, renamed over the previous checkpoint, and the directory
// fsync'd. A crash at any point leaves either the old or the new checkpoint,
// never a torn one; a damaged file is refused by its checksum.
type Checkpoint struct {
	Identity string // what the state belongs to: see Identity
	Query    string // the query text, for messages
	Batches  int64  // micro-batches processed
	RowsIn   int64
	Rejected int64
	Files    []string         // files fully processed, in order (directory sources)
	Offsets  map[string]int64 // per-partition positions of other sources
	// Sources names the source bindings the state was read from (see
	// SourceIdentity); a run over other sources refuses the checkpoint.
	Sources string
	// Outputs holds, by output name, the position (a file's committed
	// length in bytes) of every output taking part in the commit
	// protocol (see Participant): on resume each is cut back to it.
	Outputs map[string]int64
	State   *engine.Snapshot
}

// Identity names what a checkpoint's state is valid for: the plan (which
// fixes the schema, the windows and the aggregates), the output mode and the
// watermark settings. The sources the state was read from are checked apart
// (see SourceIdentity and LoadCheckpointFor), to say which one differs.
func Identity(q *engine.Query, opts engine.Options) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\nmode=%s watermark=%v lateness=%g\n%s", checkpointMagic, q.Plan().String(), q.Mode(), opts.Watermark, opts.Lateness, q.Plan().Schema)
	return hex.EncodeToString(h.Sum(nil))
}

// SaveCheckpoint commits c into dir, replacing the previous checkpoint.
func SaveCheckpoint(dir string, c *Checkpoint) error {
	var payload bytes.Buffer
	if err := gob.NewEncoder(&payload).Encode(c); err != nil {
		return fmt.Errorf("checkpoint: encode: %w", err)
	}
	sum := sha256.Sum256(payload.Bytes())
	tmp, err := os.CreateTemp(dir, ".checkpoint-*")
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err = io.WriteString(tmp, checkpointMagic+hex.EncodeToString(sum[:])+"\n"); err == nil {
		crashpoint.Hit("checkpoint-write") // a torn temporary file, never renamed
		_, err = tmp.Write(payload.Bytes())
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, checkpointFile))
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// LoadCheckpoint reads the checkpoint in dir, creating dir if needed. It
// returns nil and no error when there is none yet. A checkpoint for another
// identity is refused with ErrCheckpointMismatch and a message saying what
// to do; a damaged one with a checksum error.
func LoadCheckpoint(dir, identity string) (*Checkpoint, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	path := filepath.Join(dir, checkpointFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if !bytes.HasPrefix(data, []byte(checkpointMagic)) {
		first, _, _ := bytes.Cut(data, []byte("\n"))
		return nil, fmt.Errorf("%w: %s was written by an incompatible version of brook (%q); start with an empty --checkpoint directory", ErrCheckpointMismatch, path, first)
	}
	rest := data[len(checkpointMagic):]
	sumHex, payload, ok := bytes.Cut(rest, []byte("\n"))
	sum := sha256.Sum256(payload)
	if !ok || hex.EncodeToString(sum[:]) != string(sumHex) {
		return nil, fmt.Errorf("checkpoint: %s is damaged (checksum mismatch); restore it from a backup or start with an empty --checkpoint directory", path)
	}
	var c Checkpoint
	if err := gob.NewDecoder(bytes.NewReader(payload)).Decode(&c); err != nil {
		return nil, fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	if c.Identity != identity {
		return nil, fmt.Errorf("%w: %s holds the state of another query or output mode:\n%s\nuse a different --checkpoint directory for this query, or empty that one to start over", ErrCheckpointMismatch, dir, c.Query)
	}
	return &c, nil
}
