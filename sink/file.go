package sink

import (
	"bufio"
	"context"
	gosql "database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/duckdb/duckdb-go/v2" // the Parquet sink writes through DuckDB

	"brook/value"
)

// Sink receives a query's results: Batch once per emitted micro-batch (the
// rows the output mode emitted: the whole result in complete mode, the
// changed rows in update mode, new rows in append mode), or Result once
// with the final result (brook run --emit final). Close flushes and
// releases it.
//
// The sinks, by URI (see Open):
//
//   - console (the default): tables like Spark's console sink, or CSV or
//     JSON lines by --format, on standard output; a table shows at most
//     Target.NumRows rows (CSV and JSON show every row). It cannot be
//     exactly-once: standard output cannot be taken back, so after a crash
//     the batches written since the last checkpoint are printed again.
//   - file:///path/out.jsonl (or .json, .ndjson): one JSON object per row,
//     with a leading "batch" key for per-batch output (see BatchColumn
//     for a result with a column of that name); every batch is
//     appended, so in complete mode the latest batch holds the whole
//     result, in update mode the last row of a key is its current value,
//     and in append mode every row appears once. The file is created (or
//     truncated) when a run starts afresh; a run resumed from a checkpoint
//     cuts it back to the length the checkpoint committed and appends (see
//     OpenFile and stream.Participant), so each batch appears exactly once
//     whatever the crash.
//   - file:///path/out.csv: the same as CSV, header first, with a leading
//     "batch" column for per-batch output.
//   - file:///path/out.parquet: the same rows (and batch column) written as
//     one Parquet file by DuckDB when the run ends, from a spool file that
//     takes part in the commit protocol like the other file sinks.
//   - kafka://brokers/topic: one JSON record per emitted row, keyed by the
//     row's group key (see KafkaSink).
type Sink interface {
	Batch(info BatchInfo, rows [][]value.Value) error
	Result(rows [][]value.Value) error
	Close() error
}

// Target is what a sink needs to know about the results it receives.
type Target struct {
	Schema value.Schema // result columns
	Keys   []int        // output columns of the group key (may be empty)
	Format Format       // the console sink's format
	Stdout io.Writer    // where the console sink writes
	// NumRows and Truncate cap the console sink's tables (see
	// Writer.SetTableLimits; 0: no cap). Only the table format on the
	// console is capped: CSV and JSON on the console, and every file and
	// Kafka sink, always get every row.
	NumRows, Truncate int
	// Resume, with ResumeBatch, says the run resumes from a checkpoint
	// after batch ResumeBatch-1: a file sink keeps what the checkpoint
	// committed (see Committed) and drops the rest (the output of batches
	// that were written but not committed, about to be replayed), so a replayed
	// batch replaces its earlier output instead of duplicating it. A Kafka
	// sink skips a replayed batch that its topic already holds (see
	// KafkaSink).
	Resume      bool
	ResumeBatch int64
	// Committed, when HasCommitted, is the length in bytes the checkpoint
	// resumed from recorded for this sink's file (its position in the
	// commit protocol, see stream.Participant): a resumed file sink cuts
	// its file back to it and appends.
	Committed    int64
	HasCommitted bool
	// Final says the run emits only its final result (--emit final): a
	// file sink then holds nothing else, so a resumed run writes the file
	// anew rather than keeping earlier rows.
	Final bool
	// StableRows says the rows given to Batch are stable (see
	// Writer.SetStableRows and engine.Query.StableRows).
	StableRows bool
	// Checkpoint is the run's checkpoint directory, "" for a run without
	// one. It makes a Kafka sink transactional, under an id derived from
	// the directory and the topic that stays the same across restarts.
	Checkpoint string
}

// Open opens the sink uri names: "console", file:///path.{jsonl,json,
// ndjson,csv,parquet} (a plain path with one of those extensions too) or
// kafka://brokers/topic.
func Open(uri string, t Target) (Sink, error) {
	switch {
	case uri == "console" || uri == "console:" || uri == "-":
		w := NewWriter(t.Stdout, t.Format, t.Schema)
		w.SetTableLimits(t.NumRows, t.Truncate) // the table format only
		w.SetStableRows(t.StableRows)
		return &console{w}, nil
	case strings.HasPrefix(strings.ToLower(uri), "kafka://"):
		return OpenKafka(uri, t)
	case strings.HasPrefix(strings.ToLower(uri), "file://"):
		return OpenFile(uri[len("file://"):], t)
	case !strings.Contains(uri, "://"):
		return OpenFile(uri, t)
	}
	return nil, fmt.Errorf("sink %s: unknown kind (want console, file:///path/out.jsonl|.csv|.parquet or kafka://brokers/topic)", uri)
}

// console is the console sink. It takes no part in the commit protocol: it
// cannot be exactly-once, since what it printed cannot be taken back; a
// batch replayed after a crash is printed again.
type console struct{ *Writer }

func (console) Close() error { return nil }

// OpenFile opens a file sink; the format follows the extension: .jsonl,
// .json or .ndjson (JSON lines), .csv, or .parquet. A run resumed from a
// checkpoint that recorded the file's committed length (t.Resume and
// t.HasCommitted) cuts the file back to that length and appends to it:
// whatever a crashed run wrote after its last checkpoint, a torn row
// included, is dropped and written again by the replayed batches. Any other
// run, and every run with --emit final, creates (or truncates) the file.
func OpenFile(path string, t Target) (Sink, error) {
	if path == "" {
		return nil, fmt.Errorf("file sink: no path (want file:///path/out.jsonl)")
	}
	var f Format
	parquet := false
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".jsonl", ".json", ".ndjson":
		f = JSON
	case ".csv":
		f = CSV
	case ".parquet":
		f, parquet = JSON, true
	default:
		return nil, fmt.Errorf("file sink %s: unknown extension %q (want .jsonl, .json, .ndjson, .csv or .parquet)", path, ext)
	}
	if parquet {
		return openParquet(path, t)
	}
	file, err := OpenAppendFile(path, t.Committed, t.Resume && t.HasCommitted && !t.Final)
	if err != nil {
		return nil, fmt.Errorf("file sink: %w", err)
	}
	bw := bufio.NewWriterSize(file, 64<<10)
	w := NewWriter(bw, f, t.Schema)
	w.SetStableRows(t.StableRows)
	w.started = file.Size() > 0 // the CSV header is already there
	return &fileSink{file: file, buf: bw, w: w}, nil
}

// AppendFile is an append-only output file that takes part in a run's
// commit protocol (it implements stream.Participant): PreCommit syncs it
// and returns its length, which the checkpoint records; a resumed run
// reopens it cut back to that length. The file sinks and the --dead-letter
// and --late-rows side outputs are AppendFiles.
type AppendFile struct {
	f    *os.File
	size int64
}

// OpenAppendFile opens path for appending. With resume it cuts the file
// back to committed bytes (an error if it holds fewer: it was changed
// outside brook) and appends after them; without, it creates or truncates
// the file.
func OpenAppendFile(path string, committed int64, resume bool) (*AppendFile, error) {
	if !resume {
		f, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		return &AppendFile{f: f}, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && st.Size() < committed {
		err = fmt.Errorf("%s holds %d bytes, fewer than the %d its checkpoint committed: it was changed outside brook; "+
			"restore it or start over with an empty --checkpoint directory", path, st.Size(), committed)
	}
	if err == nil {
		err = f.Truncate(committed)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return &AppendFile{f: f, size: committed}, nil
}

// Write appends p.
func (a *AppendFile) Write(p []byte) (int, error) {
	n, err := a.f.Write(p)
	a.size += int64(n)
	return n, err
}

// Size is the file's length: what was there when it was opened plus what
// was written since.
func (a *AppendFile) Size() int64 { return a.size }

// PreCommit syncs the file to disk and returns its length.
func (a *AppendFile) PreCommit() (int64, error) {
	return a.size, a.f.Sync()
}

// Commit does nothing: the synced bytes are the output, and the checkpoint
// that records their length is what makes them committed.
func (a *AppendFile) Commit() error { return nil }

// Close syncs and closes the file.
func (a *AppendFile) Close() error {
	err := a.f.Sync()
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// fileSink writes JSON lines or CSV to a file, flushed after every batch.
type fileSink struct {
	file *AppendFile
	buf  *bufio.Writer
	w    *Writer
}

func (s *fileSink) Batch(info BatchInfo, rows [][]value.Value) error {
	if err := s.w.Batch(info, rows); err != nil {
		return err
	}
	return s.buf.Flush()
}

func (s *fileSink) Result(rows [][]value.Value) error {
	if err := s.w.Result(rows); err != nil {
		return err
	}
	return s.buf.Flush()
}

// PreCommit flushes and syncs the file and returns its length (see
// AppendFile).
func (s *fileSink) PreCommit() (int64, error) {
	if err := s.buf.Flush(); err != nil {
		return 0, err
	}
	return s.file.PreCommit()
}

// Commit does nothing (see AppendFile.Commit).
func (s *fileSink) Commit() error { return nil }

func (s *fileSink) Close() error {
	err := s.buf.Flush()
	if cerr := s.file.Close(); err == nil {
		err = cerr
	}
	return err
}

// parquetSink spools rows as JSON lines next to the target and has DuckDB
// write them as Parquet, with the result's column types, on Close. The
// spool is an AppendFile: with a checkpoint it is kept after the run and
// cut back on resume like any file sink, so the Parquet file written when a
// resumed run ends holds every batch once, those of earlier runs included.
type parquetSink struct {
	fileSink
	path, tmp string
	schema    value.Schema
	batches   bool // rows carry a batch column
	keep      bool // keep the spool (the run has a checkpoint)
}

func openParquet(path string, t Target) (Sink, error) {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".jsonl.tmp")
	file, err := OpenAppendFile(tmp, t.Committed, t.Resume && t.HasCommitted && !t.Final)
	if err != nil {
		return nil, fmt.Errorf("parquet sink: %w", err)
	}
	bw := bufio.NewWriterSize(file, 64<<10)
	return &parquetSink{fileSink: fileSink{file: file, buf: bw, w: NewWriter(bw, JSON, t.Schema)}, path: path, tmp: tmp, schema: t.Schema,
		batches: file.Size() > 0, keep: t.Checkpoint != "" && !t.Final}, nil
}

func (s *parquetSink) Batch(info BatchInfo, rows [][]value.Value) error {
	s.batches = true
	return s.fileSink.Batch(info, rows)
}

func (s *parquetSink) Close() error {
	if !s.keep {
		defer os.Remove(s.tmp)
	}
	if err := s.fileSink.Close(); err != nil {
		return err
	}
	var cols []string
	if s.batches {
		cols = append(cols, quote(BatchColumn(s.schema))+": 'BIGINT'")
	}
	for _, c := range s.schema {
		t := c.Type.String()
		if c.Type == value.Null {
			t = "VARCHAR"
		}
		cols = append(cols, quote(c.Name)+": "+quote(t))
	}
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return fmt.Errorf("parquet sink: %w", err)
	}
	db := gosql.OpenDB(connector)
	defer db.Close()
	q := fmt.Sprintf("COPY (SELECT * FROM read_json(%s, format = 'newline_delimited', columns = {%s})) TO %s (FORMAT PARQUET)",
		quote(s.tmp), strings.Join(cols, ", "), quote(s.path))
	if _, err := db.ExecContext(context.Background(), q); err != nil {
		return fmt.Errorf("parquet sink %s: DuckDB: %w", s.path, err)
	}
	return nil
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// rowJSON renders one row as a JSON object keyed by column name.
func rowJSON(schema value.Schema, row []value.Value) ([]byte, error) {
	b := []byte{'{'}
	for c, v := range row {
		if c > 0 {
			b = append(b, ',')
		}
		key, _ := json.Marshal(schema[c].Name)
		b = append(append(b, key...), ':')
		val, err := json.Marshal(v.JSON())
		if err != nil {
			return nil, err
		}
		b = append(b, val...)
	}
	return append(b, '}'), nil
}
