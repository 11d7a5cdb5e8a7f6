package stream

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"

	"brook/engine"
)

// checkpointMagic names the checkpoint layout in identities; the number is
// the layout version (see store.go), bumped whenever the files change shape.
const checkpointMagic = "brook checkpoint v3\n"

// ErrCheckpointMismatch: the checkpoint directory belongs to another query
// (or another version of brook's state layout).
var ErrCheckpointMismatch = errors.New("checkpoint does not belong to this query")

// Checkpoint is what a run commits after a micro-batch: where the source
// is, and the state of the query.
//
// A Store writes it: the metadata (every field but State) gob-encoded, and
// the state as the engine's binary record of what changed since the last
// commit, appended to a log and fsync'd; the log is compacted into a base
// holding the whole state now and then. A crash at any point leaves the
// last commit whose fsync returned; a damaged file is refused by its
// checksum. State is only set when a Store loads a checkpoint.
type Checkpoint struct {
	Identity string // what the state belongs to: see Identity
	Query    string // the query text, for messages
	Batches  int64  // micro-batches processed
	RowsIn   int64
	Rejected int64
	Files    []string // files fully processed, in order (directory sources)
	// Offsets is the position of a source that resumes by offsets
	// (Kafka) after the last batch: the next offset of every partition
	// read, keyed "TOPIC/PARTITION" (see ingest.RawBatch.Position).
	Offsets map[string]int64
	// Schema is the schema of the source the state was built with
	// (value.Schema.String): a restarted run binds its source with it
	// rather than sampling the source again (see PeekCheckpoint). Empty in
	// checkpoints written before brook recorded it.
	Schema string
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

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
