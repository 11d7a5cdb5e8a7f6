package stream

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"brook/crashpoint"
	"brook/diff"
	"brook/engine"
	"brook/ingest"
	"brook/value"
)

// OnError says what happens to an input line that cannot be decoded.
type OnError uint8

// Policies for undecodable lines and unreadable files (such as corrupt .gz
// files).
const (
	Fail       OnError = iota // stop with an error naming file:line
	Skip                      // count it and go on
	Quarantine                // count it, write it to Options.DeadLetter and go on
)

// ParseOnError reads an --on-error value.
func ParseOnError(s string) (OnError, error) {
	switch s {
	case "fail":
		return Fail, nil
	case "skip":
		return Skip, nil
	case "quarantine":
		return Quarantine, nil
	}
	return Fail, fmt.Errorf("unknown --on-error policy %q (want fail, skip or quarantine)", s)
}

// String returns the policy's --on-error name.
func (o OnError) String() string {
	switch o {
	case Skip:
		return "skip"
	case Quarantine:
		return "quarantine"
	}
	return "fail"
}

// Options configure Run.
type Options struct {
	OnError OnError
	// DeadLetter receives, with Quarantine, every rejected line as one
	// NDJSON record: {"file", "line", "reason", "raw", "batch"}, plus
	// "raw_base64" (the exact bytes) when the line is not valid UTF-8 and
	// "raw_truncated" when raw is only the start of an over-long line. An
	// unreadable file is a record with line 0 and an empty raw. A batch
	// replayed after a crash (see CheckpointDir) writes its records again,
	// with the same batch number: with a checkpoint, the dead-letter file
	// must be one of Outputs, cut back on resume, so that each record
	// appears once.
	DeadLetter io.Writer
	// MaxLineBytes is the longest line the decoders accept; longer lines
	// are rejected (0: ingest.DefaultMaxLineBytes).
	MaxLineBytes int
	// MaxGroups bounds the query's state: the run stops with an error when,
	// after a batch, the query holds more groups (group keys, windows)
	// than this (0: no limit).
	MaxGroups int
	// CleanDir, when set, receives a cleaned copy of every file of a batch
	// in which lines were rejected, or which holds what DuckDB refuses but
	// the stream accepts (a UTF-8 byte order mark; invalid UTF-8 in fields
	// the query does not read, replaced with U+FFFD): the lines the stream
	// accepted, in order, nothing else. Summary.BaselineFiles names them in place of
	// the originals, so that a baseline reads exactly what the stream
	// read.
	CleanDir string
	// MaxBatches stops after this many batches processed by this run (0:
	// until the source ends); batches restored from a checkpoint do not
	// count.
	MaxBatches int64
	// IdleTimeout closes every open window when no batch has arrived for
	// this long (processing time); 0 never does.
	IdleTimeout time.Duration
	// CheckpointDir, when set, makes the run resume from the checkpoint in
	// that directory (if any) and commit one after every micro-batch, once
	// its output has been emitted. Identity (see stream.Identity) guards
	// against resuming another query's state.
	CheckpointDir string
	Identity      string
	// CheckpointInterval commits only every this many batches, and
	// CheckpointPeriod only once this long has passed since the last
	// commit (when both are set, whichever comes first); with neither,
	// every batch is committed. A crash then replays the batches since
	// the last commit, and a source that is acknowledged still commits
	// every batch.
	CheckpointInterval int64
	CheckpointPeriod   time.Duration
	// Sources names the source bindings (see SourceIdentity): a
	// checkpoint written over other sources is refused.
	Sources string
	// Outputs are the outputs taking part in the commit protocol after
	// every batch (see Participant): file sinks and side outputs such as
	// DeadLetter and LateRows. Their positions are recorded in the
	// checkpoint; the caller opens them cut back to the positions of the
	// checkpoint it resumes from (see LoadCheckpointFor).
	Outputs []Output
	// LateRows receives every row the watermark dropped, as NDJSON:
	// {"time": ..., "windows": [[start, end], ...], "row": {...}}. With a
	// checkpoint it must be one of Outputs, like DeadLetter.
	LateRows io.Writer
	// Replay, when set, is the Position (see ingest.RawBatch) at which the
	// first batch after a resume must end: an output already holds that
	// batch as the run before made it (see sink.KafkaSink), so the replay
	// must read the very same records. It is passed to a source that can
	// bound a batch (Replayer); other sources replay their batches as they
	// were anyway (a directory's files).
	Replay map[string]int64
	// DeferAck holds back acknowledging batches to a source that takes
	// acks (ingest.Acker, e.g. Kafka offsets) until the caller calls
	// Summary.Ack, for callers that write results only at the end (--emit
	// final). Otherwise each batch is acknowledged as soon as emit returns
	// nil for it.
	DeferAck bool
}

// Batch is what one micro-batch produced.
type Batch struct {
	ID      int64
	Files   []string
	RowsIn  int
	Rejects []ingest.Reject
	Rows    [][]value.Value // emitted rows; valid during the callback only
	Arrived time.Time       // when the source delivered the batch
	Elapsed time.Duration   // decode + process, from arrival to rows ready
	Groups  int
	BytesIn int64
	Blank   int // blank lines skipped
	// Closing is true for the last emission of a run, made when the input
	// ended (or went idle) and every open window closed; it read no input.
	Closing   bool
	Late      int64       // late rows dropped so far
	Watermark value.Value // after the batch; NULL without one
	// Position is where the source stands after the batch (see
	// ingest.RawBatch.Position); nil for sources without offsets.
	Position map[string]int64
}

// Summary is what a whole run read.
type Summary struct {
	Batches  int64
	RowsIn   int64
	Rejected int64
	Blank    int64    // blank lines skipped (not rows, not rejected)
	Files    []string // every file read, in order (including before a resume)
	Resumed  bool     // the run started from a checkpoint
	Elapsed  time.Duration
	// Reasons counts the rejects of this run by class of reason (see
	// ingest.ReasonClass), in order of first appearance, each with its
	// first occurrence.
	Reasons []diff.RejectReason
	// Skipped lists the files that could not be read and were skipped
	// (Skip and Quarantine, and whatever OnError says for names that are
	// not regular files); they are not in Files. SkippedWhy holds each
	// one's reason.
	Skipped    []string
	SkippedWhy []string
	// Cleaned maps each file copied to Options.CleanDir to its copy,
	// LeftOut counts the rejected lines the copies leave out, and Repaired
	// the accepted lines whose invalid UTF-8, in fields the query does not
	// read, the copies replace with U+FFFD.
	Cleaned  map[string]string
	LeftOut  int64
	Repaired int64

	acker   ingest.Acker
	store   *Store           // the checkpoint store (CheckpointDir)
	offsets map[string]int64 // the source's position after the last batch (see Checkpoint.Offsets)
	synced  int64            // batches committed to it
	syncAt  time.Time        // when they were
	lastRaw *ingest.RawBatch // the last batch not yet acknowledged (DeferAck)
}

// BaselineFiles returns Files with each cleaned file replaced by its copy
// (see Options.CleanDir): the input a baseline must read to see exactly the
// records the stream accepted.
func (s *Summary) BaselineFiles() []string {
	out := make([]string, len(s.Files))
	for i, f := range s.Files {
		if c, ok := s.Cleaned[f]; ok {
			f = c
		}
		out[i] = f
	}
	return out
}

// maxReasons bounds the classes Summary.Reasons keeps apart.
const maxReasons = 50

// tally counts a reject in s.Rejected and s.Reasons.
func (s *Summary) tally(r ingest.Reject) {
	s.Rejected++
	class := ingest.ReasonClass(r.Reason)
	if len(s.Reasons) >= maxReasons {
		class = "other reasons"
	}
	for i := range s.Reasons {
		if s.Reasons[i].Reason == class {
			s.Reasons[i].Count++
			return
		}
	}
	s.Reasons = append(s.Reasons, diff.RejectReason{Reason: class, Count: 1, Example: r.Error()})
}

// Ack acknowledges to the source every batch the run processed and left
// unacknowledged (with Options.DeferAck); call it once their results are
// written. It does nothing for sources that take no acks.
func (s *Summary) Ack(ctx context.Context) error {
	if s.acker == nil || s.lastRaw == nil {
		return nil
	}
	raw := s.lastRaw
	s.lastRaw = nil
	return s.acker.Ack(ctx, raw)
}

// ackTimeout bounds one acknowledgement, which runs even while the run is
// being stopped so that emitted results are not read again.
const ackTimeout = 30 * time.Second

func ack(ctx context.Context, a ingest.Acker, raw *ingest.RawBatch) error {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ackTimeout)
	defer cancel()
	return a.Ack(actx, raw)
}

// Run processes micro-batches from src until it is drained (or ctx ends,
// which is a clean stop after the current batch) and calls emit after each
// one. An emit error stops the run and is returned. With
// Options.CheckpointDir, each emitted batch is then committed by the commit
// protocol (see Participant): Options.Outputs pre-committed, the
// checkpoint written with their positions, the outputs committed. When src
// is an ingest.Acker, each batch is acknowledged after that (or, with
// Options.DeferAck, when the caller calls Summary.Ack).
//
// Reading and decoding run ahead of the engine: while the engine folds
// batch n, batch n+1 is read and decoded, its lines split across
// GOMAXPROCS decoders whose outputs are folded in input order. Only batches
// the engine has processed count in the Summary.
func Run(ctx context.Context, q *engine.Query, src ingest.Source, opts Options, emit func(Batch) error) (*Summary, error) {
	sum := &Summary{}
	sum.acker, _ = src.(ingest.Acker)
	opts.Outputs = sortOutputs(opts.Outputs)
	start := time.Now()
	if opts.CheckpointDir != "" {
		if err := resume(q, src, opts, sum); err != nil {
			return sum, err
		}
		defer sum.store.Close()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches, warm := decodeAhead(ctx, src, q, runtime.GOMAXPROCS(0), opts)
	warmed := false // see warm below
	defer func() {
		cancel()
		for range batches { // let the reader finish before returning
		}
	}()
	closing := func() error { // every window closes: emit what that yields
		rows, err := q.Close()
		if err != nil || len(rows) == 0 {
			return err
		}
		late, _ := q.Late()
		return emit(Batch{ID: sum.Batches, Rows: rows, Arrived: time.Now(), Closing: true, Late: late, Watermark: q.Watermark(), Groups: q.Groups()})
	}
	var idle <-chan time.Time
	var pending []ingest.Reject // unreadable files, shown with the next batch
	var processed int64         // batches of this run (MaxBatches)
	for opts.MaxBatches == 0 || processed < opts.MaxBatches {
		if opts.IdleTimeout > 0 {
			idle = time.After(opts.IdleTimeout)
		}
		var d *decoded
		var ok bool
		select {
		case d, ok = <-batches:
		case <-idle:
			rows, err := q.Flush()
			if err != nil {
				return sum, err
			}
			if len(rows) > 0 {
				late, _ := q.Late()
				if err := emit(Batch{ID: sum.Batches, Rows: rows, Arrived: time.Now(), Closing: true, Late: late, Watermark: q.Watermark(), Groups: q.Groups()}); err != nil {
					return sum, err
				}
			}
			continue
		}
		if !ok {
			break
		}
		if d.err != nil {
			if errors.Is(d.err, ingest.ErrEndOfInput) {
				if err := closing(); err != nil {
					return sum, err
				}
				break
			}
			if ctx.Err() != nil {
				break
			}
			var fe *ingest.FileError
			if !errors.As(d.err, &fe) {
				return sum, d.err
			}
			if opts.OnError == Fail && !fe.NotRegular { // a pipe or device is never read: always skipped
				return sum, fmt.Errorf("%w (use --on-error skip or quarantine to count such files and go on)", d.err)
			}
			r := ingest.Reject{Source: fe.Name, Reason: fe.Reason}
			d.release()
			sum.tally(r)
			sum.Skipped = append(sum.Skipped, fe.Name)
			sum.SkippedWhy = append(sum.SkippedWhy, fe.Reason)
			pending = append(pending, r)
			if err := quarantine(opts, sum.Batches, []ingest.Reject{r}); err != nil {
				return sum, err
			}
			continue
		}
		if len(d.rejects) > 0 && opts.OnError == Fail {
			r := d.rejects[0]
			return sum, fmt.Errorf("%s:%d: %s (use --on-error skip or quarantine to count such lines and go on)", r.Source, r.Line, r.Reason)
		}
		if opts.CleanDir != "" {
			if err := sum.clean(opts.CleanDir, d.raw, d.rejects); err != nil {
				return sum, err
			}
		}
		if err := quarantine(opts, sum.Batches, d.rejects); err != nil {
			return sum, err
		}
		if d.raw.Parted {
			q.SetParts(d.raw.Holding)
		}
		rowsIn := 0
		for i, part := range d.parts {
			if d.preAgg {
				if err := d.shareErr[i]; err != nil {
					return sum, fmt.Errorf("batch %d (%s): %w", sum.Batches, describe(d.raw), err)
				}
				rowsIn += int(d.partials[i].Rows())
				q.Merge(d.partials[i])
				if !q.PreAggregates() && !warmed && i == len(d.parts)-1 {
					// Pre-aggregation just stopped: the decoders' next
					// batches hold whole shares of rows. Their memory is
					// made ready now, while the source is awaited.
					warm(rowsIn/len(d.parts) + rowsIn/len(d.parts)/4)
					warmed = true
				}
				continue
			}
			if err := q.Add(part); err != nil {
				return sum, fmt.Errorf("batch %d (%s): %w", sum.Batches, describe(d.raw), err)
			}
			rowsIn += part.Rows + part.Filtered
		}
		rows, err := q.Emit()
		if err != nil {
			return sum, fmt.Errorf("batch %d (%s): %w", sum.Batches, describe(d.raw), err)
		}
		if n := q.Groups(); opts.MaxGroups > 0 && n > opts.MaxGroups {
			return sum, fmt.Errorf("batch %d (%s): the query's state holds %d groups, more than --max-groups %d allows: "+
				"every distinct group key (and window) is a group kept in memory; raise the limit, group by fewer distinct values, "+
				"or bound the state with event-time windows and --lateness", sum.Batches, describe(d.raw), n, opts.MaxGroups)
		}
		if err := writeLate(opts.LateRows, q); err != nil {
			return sum, err
		}
		late, _ := q.Late()
		rejects := d.rejects
		if len(pending) > 0 {
			rejects = append(pending, rejects...)
			pending = nil
		}
		b := Batch{ID: sum.Batches, Files: d.raw.Files, RowsIn: rowsIn, Rejects: rejects, Rows: rows, Arrived: d.arrived,
			Elapsed: time.Since(d.arrived), Groups: q.Groups(), BytesIn: d.raw.Bytes, Blank: d.blank, Late: late, Watermark: q.Watermark(),
			Position: d.raw.Position}
		sum.Batches++
		processed++
		sum.RowsIn += int64(rowsIn)
		for _, r := range d.rejects {
			sum.tally(r)
		}
		sum.Blank += int64(d.blank)
		sum.Files = append(sum.Files, d.raw.Files...)
		if d.raw.Position != nil {
			sum.offsets = d.raw.Position
		}
		err = emit(b)
		raw := d.raw
		d.release()
		if err != nil {
			return sum, err
		}
		if opts.CheckpointDir != "" && commitDue(opts, sum) {
			if err := commitBatch(q, opts, sum); err != nil {
				return sum, err
			}
			if sum.acker != nil { // acknowledged once durable
				if err := sum.store.Wait(); err != nil {
					return sum, err
				}
			}
		}
		crashpoint.Hit("before-ack")
		if sum.acker != nil { // after the checkpoint: its state holds the batch
			if opts.DeferAck {
				sum.lastRaw = raw
			} else if err := ack(ctx, sum.acker, raw); err != nil {
				return sum, err
			}
		}
		if q.Detached() && raw != sum.lastRaw {
			raw.Release() // nothing points into its buffers any more
		}
		if ctx.Err() != nil {
			break
		}
	}
	if opts.CheckpointDir != "" && sum.synced != sum.Batches {
		if err := commitBatch(q, opts, sum); err != nil {
			return sum, err
		}
	}
	if err := sum.store.Wait(); err != nil { // the last commit is durable
		return sum, err
	}
	sum.Elapsed = time.Since(start)
	return sum, nil
}

// Resumer is a source that can skip what a checkpoint says was processed:
// the files it holds (directory sources) or the offsets it records (Kafka,
// see Checkpoint.Offsets).
type Resumer interface {
	Resume(files []string, offsets map[string]int64) error
}

// Replayer is a source that can end its first batch after a resume at a
// given position (see Options.Replay and ingest.KafkaSource.ReplayUntil).
type Replayer interface {
	ReplayUntil(ends map[string]int64) error
}

// resume restores the query and the source from the checkpoint, if any.
func resume(q *engine.Query, src ingest.Source, opts Options, sum *Summary) error {
	store, cp, err := OpenStore(opts.CheckpointDir, opts.Identity, q)
	if err == nil && cp != nil {
		err = checkSources(opts.CheckpointDir, cp, opts.Sources)
	}
	if err != nil {
		return err
	}
	sum.store, sum.syncAt = store, time.Now()
	if cp == nil {
		return store.Begin(q, &Checkpoint{Identity: opts.Identity, Query: q.Plan().Query, Sources: opts.Sources, Schema: q.Plan().Schema.String()})
	}
	r, ok := src.(Resumer)
	if !ok {
		return fmt.Errorf("checkpoint: this source cannot resume from a checkpoint")
	}
	if err := r.Resume(cp.Files, cp.Offsets); err != nil {
		return err
	}
	if rp, ok := src.(Replayer); ok && len(opts.Replay) > 0 {
		if err := rp.ReplayUntil(opts.Replay); err != nil {
			return err
		}
	}
	if err := q.Restore(cp.State); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	sum.Batches, sum.RowsIn, sum.Rejected, sum.Files = cp.Batches, cp.RowsIn, cp.Rejected, cp.Files
	sum.synced, sum.offsets = cp.Batches, cp.Offsets
	sum.Resumed = true
	if cp.Schema == "" { // an older brook's: record it from now on
		cp.Schema = q.Plan().Schema.String()
	}
	return store.Begin(q, cp)
}

// commitDue reports whether the batch just processed is to be committed
// (see Options.CheckpointInterval).
func commitDue(opts Options, sum *Summary) bool {
	if sum.acker != nil || (opts.CheckpointInterval <= 1 && opts.CheckpointPeriod <= 0) {
		return true
	}
	if opts.CheckpointInterval > 0 && sum.Batches-sum.synced >= opts.CheckpointInterval {
		return true
	}
	return opts.CheckpointPeriod > 0 && time.Since(sum.syncAt) >= opts.CheckpointPeriod
}

// writeLate writes the late rows the query recorded in its last batch.
func writeLate(w io.Writer, q *engine.Query) error {
	rows, _ := q.LateLog()
	if w == nil || len(rows) == 0 {
		return nil
	}
	names := q.Plan().ColumnSchema().Names()
	var buf []byte
	for _, r := range rows {
		rec := map[string]any{"time": r.Time.JSON()}
		wins := make([][2]any, len(r.Windows))
		for i, win := range r.Windows {
			wins[i] = [2]any{win[0].JSON(), win[1].JSON()}
		}
		rec["windows"] = wins
		row := map[string]any{}
		for i, v := range r.Row {
			row[names[i]] = v.JSON()
		}
		rec["row"] = row
		line, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		buf = append(append(buf, line...), '\n')
	}
	_, err := w.Write(buf)
	return err
}

// quarantine writes rejects to opts.DeadLetter under Quarantine.
func quarantine(opts Options, batch int64, rejects []ingest.Reject) error {
	if opts.OnError != Quarantine || opts.DeadLetter == nil || len(rejects) == 0 {
		return nil
	}
	type record struct {
		File         string `json:"file"`
		Line         int    `json:"line"`
		Reason       string `json:"reason"`
		Raw          string `json:"raw"`
		RawBase64    string `json:"raw_base64,omitempty"`
		RawTruncated bool   `json:"raw_truncated,omitempty"`
		Batch        int64  `json:"batch"`
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, r := range rejects {
		rec := record{File: r.Source, Line: r.Line, Reason: r.Reason, Raw: r.Raw, RawTruncated: r.Truncated, Batch: batch}
		if !utf8.ValidString(r.Raw) {
			rec.RawBase64 = base64.StdEncoding.EncodeToString([]byte(r.Raw))
		}
		if err := enc.Encode(rec); err != nil {
			return err
		}
	}
	if _, err := opts.DeadLetter.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("dead letter: %w", err)
	}
	return nil
}

// utf8BOM is the byte order mark DuckDB's read_json refuses.
var utf8BOM = []byte("\xEF\xBB\xBF")

// clean writes a cleaned copy (see Options.CleanDir) of every file of raw
// that had lines rejected or starts with a byte order mark. A file's lines
// are those of the chunks named after it, or all the chunks when the batch
// read one file (a spooled stream), in order.
func (s *Summary) clean(dir string, raw *ingest.RawBatch, rejects []ingest.Reject) error {
	type lineKey struct {
		src  string
		line int
	}
	bad := make(map[lineKey]bool, len(rejects))
	for _, r := range rejects {
		if r.Line > 0 {
			bad[lineKey{r.Source, r.Line}] = true
		}
	}
	fileOf := func(c ingest.Chunk) string {
		if slices.Contains(raw.Files, c.Name) {
			return c.Name
		}
		if len(raw.Files) == 1 {
			return raw.Files[0]
		}
		return ""
	}
	needs := map[string]bool{}
	for _, c := range raw.Chunks {
		if (c.FirstLine == 1 && bytes.HasPrefix(c.Data, utf8BOM)) || !utf8.Valid(c.Data) {
			needs[fileOf(c)] = true
		}
	}
	if len(bad) > 0 {
		for _, c := range raw.Chunks {
			lines := bytes.Count(c.Data, []byte{'\n'})
			if len(c.Data) > 0 && c.Data[len(c.Data)-1] != '\n' {
				lines++ // the last line, without its newline
			}
			for _, r := range rejects {
				if r.Source == c.Name && r.Line >= c.FirstLine && r.Line < c.FirstLine+lines {
					needs[fileOf(c)] = true
					break
				}
			}
		}
	}
	if len(needs) == 0 {
		return nil
	}
	if needs[""] {
		return fmt.Errorf("batch %d (%s): cannot tell which file holds the rejected lines, so the baseline cannot leave them out", s.Batches, describe(raw))
	}
	if s.Cleaned == nil {
		s.Cleaned = map[string]string{}
	}
	for _, f := range raw.Files {
		if !needs[f] {
			continue
		}
		var out []byte
		for _, c := range raw.Chunks {
			if fileOf(c) != f {
				continue
			}
			data, line := c.Data, c.FirstLine
			if line == 1 {
				data = bytes.TrimPrefix(data, utf8BOM)
			}
			for len(data) > 0 {
				ln := data
				if i := bytes.IndexByte(data, '\n'); i >= 0 {
					ln, data = data[:i], data[i+1:]
				} else {
					data = nil
				}
				switch {
				case bad[lineKey{c.Name, line}]:
					s.LeftOut++
				case !utf8.Valid(ln):
					// Accepted, so the bad bytes are in fields the query
					// does not read; DuckDB refuses the whole line.
					out = append(append(out, bytes.ToValidUTF8(ln, []byte("\uFFFD"))...), '\n')
					s.Repaired++
				default:
					out = append(append(out, ln...), '\n')
				}
				line++
			}
		}
		name := filepath.Join(dir, fmt.Sprintf("clean-%06d.jsonl", len(s.Cleaned)))
		if err := os.WriteFile(name, out, 0o644); err != nil {
			return fmt.Errorf("writing a cleaned copy of %s for the baseline: %w", f, err)
		}
		s.Cleaned[f] = name
	}
	return nil
}

// decoded is one micro-batch read and decoded ahead of the engine.
type decoded struct {
	raw     *ingest.RawBatch
	parts   []*ingest.Batch // one per share of the batch's lines, in input order
	rejects []ingest.Reject
	blank   int
	arrived time.Time
	err     error
	free    chan *decoded

	// What the decoders fill in, share by share; pending counts the
	// shares not decoded yet. With partials (a query pre-aggregated by the
	// decoders, see engine.Partial) each share's rows are folded into its
	// partial, parts stay empty, and shareErr holds a share's evaluation
	// error.
	shareRejects [][]ingest.Reject
	shareBlank   []int
	preAgg       bool
	partials     []*engine.Partial
	shareErr     []error
	pending      sync.WaitGroup
}

// release returns the batch's buffers for reuse.
func (d *decoded) release() {
	if d.free != nil {
		d.free <- d
	}
}

// prepare sizes d for n shares of rows of the given width, with a partial
// per share (made by newPartial) when preAgg.
func (d *decoded) prepare(n, width int, newPartial func() *engine.Partial, preAgg, recycle bool) {
	for len(d.parts) < n {
		d.parts = append(d.parts, &ingest.Batch{})
		d.shareRejects = append(d.shareRejects, nil)
		d.shareBlank = append(d.shareBlank, 0)
		d.shareErr = append(d.shareErr, nil)
	}
	d.parts = d.parts[:n]
	d.shareRejects, d.shareBlank, d.shareErr = d.shareRejects[:n], d.shareBlank[:n], d.shareErr[:n]
	if !preAgg {
		d.partials = nil // pre-aggregation stopped: its tables are garbage
	}
	for preAgg && len(d.partials) < n {
		d.partials = append(d.partials, newPartial())
	}
	for i := range n {
		d.parts[i].Recycle = recycle // nothing reads a part's strings after the batch
		d.parts[i].Reset(width)
		d.shareRejects[i], d.shareBlank[i], d.shareErr[i] = d.shareRejects[i][:0], 0, nil
		if preAgg {
			d.partials[i].Reset() // rows of a batch that was never merged
		}
	}
}

// tileRows is how many rows a decoder decodes before it folds them into a
// share's partial, so that they are still in its cache.
const tileRows = 256

// minSplit is the smallest chunk worth splitting across decoders.
const minSplit = 64 << 10

// fileSkipper is a source that can go on after a file it could not read.
type fileSkipper interface{ SkipFile(name string) }

// decodeAhead reads src and decodes its batches on workers goroutines,
// ahead of the consumer, handing them over in input order. A batch's lines
// are cut into shares (see split) and every share is a task for whichever
// decoder is free, so the decoders never wait for each other: while the
// engine folds batch n, the decoders work through the shares of batches
// n+1 and n+2. While the query is pre-aggregated (see
// engine.Query.PreAggregates) a decoder folds each tile of rows it decodes
// into the share's partial at once, and the engine merges the partials.
// The channel closes after an error (including
// ErrEndOfInput) or when ctx ends; an unreadable file (*ingest.FileError)
// is passed on and skipped when opts.OnError skips bad input and src can
// skip files.
func decodeAhead(ctx context.Context, src ingest.Source, q *engine.Query, workers int, opts Options) (<-chan *decoded, func(rowsPerShare int)) {
	cols := q.Plan().ColumnSchema()
	hashed, filter := q.HashedColumns(), q.PushdownFilter()
	// A detached query keeps no string of its input (see engine.Query.Detached):
	// the memory the decoders copy strings into is reused batch after batch.
	detached := q.Detached()
	skipper, _ := src.(fileSkipper)
	skippable := func(err error) bool {
		var fe *ingest.FileError
		return skipper != nil && errors.As(err, &fe) && (opts.OnError != Fail || fe.NotRegular)
	}
	width := len(cols)
	inFlight := workers + 1 // one with the engine, the rest being decoded (a batch is shared among the decoders)
	free := make(chan *decoded, inFlight)
	for range inFlight {
		free <- &decoded{free: free}
	}
	type task struct {
		d      *decoded
		share  int
		chunks []ingest.Chunk
		// all: decode every row, the WHERE pushdown off, and note each
		// row's part: a parted source's watermark needs each part's every
		// event time.
		all bool
	}
	tasks := make(chan task, 2*workers)
	for range workers {
		// dec decodes rows for the engine; pre decodes rows it folds into
		// a partial at once, while they are in cache (no strings copied).
		dec, pre := ingest.NewDecoder(cols), ingest.NewDecoder(cols)
		dec.HashStrings(hashed)
		for _, d := range []*ingest.Decoder{dec, pre} {
			d.SetMaxLineBytes(opts.MaxLineBytes)
			if filter != nil {
				d.SetFilter(filter())
			}
		}
		filtered := [2]*ingest.Decoder{dec, pre}
		var parted [2]*ingest.Decoder // made when first needed: no filter, parts marked
		go func() {
			for t := range tasks {
				dec, pre = filtered[0], filtered[1]
				if t.all {
					if parted[0] == nil {
						parted = [2]*ingest.Decoder{ingest.NewDecoder(cols), ingest.NewDecoder(cols)}
						parted[0].HashStrings(hashed)
						for _, d := range parted {
							d.SetMaxLineBytes(opts.MaxLineBytes)
							d.MarkParts()
						}
					}
					dec, pre = parted[0], parted[1]
				}
				var stats ingest.DecodeStats
				rejects := t.d.shareRejects[t.share]
				part := t.d.parts[t.share]
				if !t.d.preAgg {
					for _, c := range t.chunks {
						rejects = dec.DecodeChunk(c, part, rejects, &stats)
					}
				} else {
					partial := t.d.partials[t.share]
					for _, c := range t.chunks {
						for len(c.Data) > 0 {
							part.Reset(width)
							c, rejects = pre.DecodeRows(c, part, rejects, &stats, tileRows)
							if t.d.shareErr[t.share] == nil { // after an error, only rejects matter
								t.d.shareErr[t.share] = partial.Add(part)
							}
						}
					}
					part.Reset(width) // the partial holds the rows
				}
				t.d.shareRejects[t.share], t.d.shareBlank[t.share] = rejects, stats.Blank
				t.d.pending.Done()
			}
		}()
	}
	// The reader queues each batch in order, then its shares as tasks.
	ordered := make(chan *decoded, inFlight)
	go func() {
		defer close(ordered)
		defer close(tasks)
		for {
			// A batch is read only once there is room for it: no read
			// buffer waits for a batch to finish.
			var d *decoded
			select {
			case d = <-free:
			case <-ctx.Done():
				return
			}
			raw, err := src.Next(ctx)
			d.raw, d.err, d.rejects, d.blank, d.arrived = raw, err, d.rejects[:0], 0, time.Now()
			var shares [][]ingest.Chunk
			all := false
			if err == nil {
				shares = split(raw.Chunks, workers, raw.Bytes)
				all = raw.Parted && q.WatermarkByPart()
			}
			d.preAgg = q.PreAggregates()
			d.prepare(len(shares), width, q.NewPartial, d.preAgg, detached)
			d.pending.Add(len(shares))
			select {
			case ordered <- d:
			case <-ctx.Done():
				d.pending.Add(-len(shares))
				return
			}
			for i, sh := range shares {
				select {
				case tasks <- task{d, i, sh, all}:
				case <-ctx.Done():
					d.pending.Add(-(len(shares) - i))
					return
				}
			}
			if err != nil {
				var fe *ingest.FileError
				if !skippable(err) || !errors.As(err, &fe) {
					return
				}
				skipper.SkipFile(fe.Name)
			}
		}
	}()
	// warm readies the batches not in use for shares of rowsPerShare rows
	// each (see ingest.Batch.Warm), in the background.
	warm := func(rowsPerShare int) {
		go func() {
			var idle []*decoded
		take:
			for {
				select {
				case d := <-free:
					idle = append(idle, d)
				default:
					break take
				}
			}
			for _, d := range idle {
				d.prepare(workers, width, q.NewPartial, false, detached)
				for _, p := range d.parts {
					p.Warm(rowsPerShare, width, len(hashed) > 0)
				}
				free <- d
			}
		}()
	}
	// The sequencer hands batches over in order once they are decoded.
	out := make(chan *decoded)
	go func() {
		defer close(out)
		for d := range ordered {
			d.pending.Wait()
			for i, r := range d.shareRejects {
				d.rejects = append(d.rejects, r...)
				d.blank += d.shareBlank[i]
			}
			select {
			case out <- d:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, warm
}

// split cuts chunks at line boundaries into n contiguous shares of about
// equal size, keeping line numbers right.
func split(chunks []ingest.Chunk, n int, total int64) [][]ingest.Chunk {
	if n == 1 || total < minSplit {
		return [][]ingest.Chunk{chunks}
	}
	shares := make([][]ingest.Chunk, n)
	target := (total + int64(n) - 1) / int64(n)
	w, filled := 0, int64(0)
	for _, c := range chunks {
		data, line := c.Data, c.FirstLine
		for len(data) > 0 {
			room := target - filled
			if w == n-1 || int64(len(data)) <= room {
				shares[w] = append(shares[w], ingest.Chunk{Name: c.Name, FirstLine: line, Data: data, Part: c.Part})
				filled += int64(len(data))
				break
			}
			cut := bytes.IndexByte(data[room:], '\n')
			if cut < 0 {
				cut = len(data)
			} else {
				cut += int(room) + 1
			}
			piece := data[:cut]
			shares[w] = append(shares[w], ingest.Chunk{Name: c.Name, FirstLine: line, Data: piece, Part: c.Part})
			line += bytes.Count(piece, []byte{'\n'})
			data = data[cut:]
			w, filled = w+1, 0
		}
		if filled >= target && w < n-1 {
			w, filled = w+1, 0
		}
	}
	return shares
}

func describe(raw *ingest.RawBatch) string {
	switch len(raw.Chunks) {
	case 0:
		return "empty"
	case 1:
		return raw.Chunks[0].Name
	}
	return fmt.Sprintf("%s and %d more", raw.Chunks[0].Name, len(raw.Chunks)-1)
}
