package stream

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"brook/crashpoint"
	"brook/engine"
	"brook/ingest"
)

// Participant is an output that takes part in the commit protocol a run
// follows after every micro-batch that has a checkpoint (see Run):
//
//  1. emit: the batch's rows and side outputs (dead-letter records, late
//     rows) are written to every output;
//  2. pre-commit: every participant makes what it holds durable (flush,
//     fsync) and returns its position, the byte length of an append-only
//     file;
//  3. the checkpoint is committed, holding the source position, the query
//     state and every participant's position;
//  4. commit: every participant is told that the checkpoint holds the
//     batch (the store writes and fsyncs it in the background; it is
//     durable before the source is acknowledged and before the run ends);
//  5. the source is acknowledged (Kafka offsets).
//
// A crash before step 3 leaves the previous checkpoint: on restart each
// file-like output is cut back to the position that checkpoint recorded and
// the batch is replayed, so its output appears once. A crash after step 3
// keeps the batch: the restart resumes after it.
type Participant interface {
	// PreCommit makes everything written so far durable and returns the
	// position to record in the checkpoint (a file's length in bytes).
	PreCommit() (int64, error)
	// Commit says that the checkpoint now records that position.
	Commit() error
}

// Output names a participant; the name keys its position in
// Checkpoint.Outputs and must stay the same across restarts.
type Output struct {
	Name string
	Participant
}

// LoadCheckpointFor loads the checkpoint in dir as LoadCheckpoint does and
// also refuses, with ErrCheckpointMismatch and a message naming both, one
// written over other source bindings than sources (see SourceIdentity):
// resuming would count the files of one directory as done in another.
func LoadCheckpointFor(dir, identity, sources string) (*Checkpoint, error) {
	cp, err := LoadCheckpoint(dir, identity)
	if err != nil || cp == nil {
		return cp, err
	}
	if err := checkSources(dir, cp, sources); err != nil {
		return nil, err
	}
	return cp, nil
}

// checkSources refuses a checkpoint written over other source bindings.
func checkSources(dir string, cp *Checkpoint, sources string) error {
	if cp.Sources != sources {
		return fmt.Errorf("%w: %s holds the state of this query over other sources:\n  checkpoint: %s\n  this run:   %s\n"+
			"use a different --checkpoint directory for these sources, or empty that one to start over",
			ErrCheckpointMismatch, dir, cp.Sources, sources)
	}
	return nil
}

// commitBatch runs steps 2 to 4 of the commit protocol (see Participant)
// for the batch just emitted.
func commitBatch(q *engine.Query, opts Options, sum *Summary) error {
	crashpoint.Hit("after-emit")
	positions := make(map[string]int64, len(opts.Outputs))
	for _, o := range opts.Outputs {
		pos, err := o.PreCommit()
		if err != nil {
			return fmt.Errorf("%s: %w", o.Name, err)
		}
		positions[o.Name] = pos
	}
	crashpoint.Hit("after-precommit")
	sum.synced, sum.syncAt = sum.Batches, time.Now()
	if err := sum.store.Commit(q, &Checkpoint{Identity: opts.Identity, Query: q.Plan().Query, Sources: opts.Sources,
		Batches: sum.Batches, RowsIn: sum.RowsIn, Rejected: sum.Rejected, Files: sum.Files, Offsets: sum.offsets,
		Schema: q.Plan().Schema.String(), Outputs: positions}); err != nil {
		return err
	}
	crashpoint.Hit("after-checkpoint")
	var errs []error
	for _, o := range opts.Outputs {
		if err := o.Commit(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", o.Name, err))
		}
	}
	return errors.Join(errs...)
}

// sortOutputs orders outputs by name, so that every run pre-commits them
// in the same order.
func sortOutputs(outs []Output) []Output {
	outs = slices.Clone(outs)
	slices.SortStableFunc(outs, func(a, b Output) int { return strings.Compare(a.Name, b.Name) })
	return outs
}

// SourceIdentity names the bindings in c of the tables a query reads, for
// a checkpoint: "name=path" pairs sorted by name, a local path made
// absolute so that the same directory reached from another working
// directory is the same source; a Kafka URI without its connection
// parameters (see ingest.KafkaIdentity). Tables without a binding are left
// out.
func SourceIdentity(c *Catalog, tables ...string) string {
	tables = slices.Clone(tables)
	for i := range tables {
		tables[i] = strings.ToLower(tables[i])
	}
	slices.Sort(tables)
	var parts []string
	for _, name := range slices.Compact(tables) {
		s, ok := c.Binding(name)
		if !ok {
			continue
		}
		path := ingest.KafkaIdentity(s.Path)
		if !ingest.IsStream(path) && !strings.Contains(path, "://") {
			if abs, err := filepath.Abs(path); err == nil {
				path = abs
			}
		}
		parts = append(parts, name+"="+path)
	}
	return strings.Join(parts, " ")
}
