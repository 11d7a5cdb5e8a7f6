package sink

import (
	"bufio"
	"bytes"
	"context"
	gosql "database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/marcboeker/go-duckdb" // the Parquet sink writes through DuckDB

	"brook/diff"
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
//     JSON lines by --format, on standard output.
//   - file:///path/out.jsonl (or .json, .ndjson): one JSON object per row,
//     with a leading "batch" key for per-batch output; the file is created
//     (or truncated) when the run starts and every batch is appended, so in
//     complete mode the latest batch holds the whole result, in update mode
//     the last row of a key is its current value, and in append mode every
//     row appears once.
//   - file:///path/out.csv: the same as CSV, header first, with a leading
//     "batch" column for per-batch output.
//   - file:///path/out.parquet: the same rows (and batch column) written as
//     one Parquet file by DuckDB when the run ends.
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
	// Resume, with ResumeBatch, says the run resumes from a checkpoint
	// after batch ResumeBatch-1: a file sink keeps the rows of batches
	// before ResumeBatch and drops the rest (the output of batches that
	// were written but not committed, about to be replayed), so a replayed
	// batch replaces its earlier output instead of duplicating it. A Kafka
	// sink skips a replayed batch that its topic already holds (see
	// KafkaSink).
	Resume      bool
	ResumeBatch int64
	// Final says the run emits only its final result (--emit final): a
	// file sink then holds nothing else, so a resumed run writes the file
	// anew rather than keeping earlier rows.
	Final bool
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
		return &console{NewWriter(t.Stdout, t.Format, t.Schema)}, nil
	case strings.HasPrefix(strings.ToLower(uri), "kafka://"):
		return OpenKafka(uri, t)
	case strings.HasPrefix(strings.ToLower(uri), "file://"):
		return OpenFile(uri[len("file://"):], t)
	case !strings.Contains(uri, "://"):
		return OpenFile(uri, t)
	}
	return nil, fmt.Errorf("sink %s: unknown kind (want console, file:///path/out.jsonl|.csv|.parquet or kafka://brokers/topic)", uri)
}

type console struct{ *Writer }

func (console) Close() error { return nil }

// OpenFile opens a file sink; the format follows the extension: .jsonl,
// .json or .ndjson (JSON lines), .csv, or .parquet. The file is created or
// truncated.
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
	var file *os.File
	var err error
	kept := false
	if t.Resume && !t.Final {
		kept, err = keepCommitted(path, f, t.ResumeBatch)
		if err != nil {
			return nil, fmt.Errorf("file sink: %w", err)
		}
		file, err = os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	} else {
		file, err = os.Create(path)
	}
	if err != nil {
		return nil, fmt.Errorf("file sink: %w", err)
	}
	bw := bufio.NewWriterSize(file, 64<<10)
	w := NewWriter(bw, f, t.Schema)
	w.started = kept // the CSV header is already there
	return &fileSink{file: file, buf: bw, w: w}, nil
}

// keepCommitted rewrites the file at path (write, then rename) keeping the
// header and the rows of batches before batch, and reports whether it kept
// anything. A missing file is not an error.
func keepCommitted(path string, f Format, batch int64) (bool, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var out bytes.Buffer
	if f == CSV {
		r := csv.NewReader(bytes.NewReader(data))
		r.FieldsPerRecord = -1
		w := csv.NewWriter(&out)
		for i := 0; ; i++ {
			rec, err := r.Read()
			if err != nil {
				break // io.EOF, or a torn last record from the crash
			}
			if n, err := strconv.ParseInt(rec[0], 10, 64); i == 0 || (err == nil && n < batch) {
				w.Write(rec)
			}
		}
		w.Flush()
	} else {
		for _, line := range strings.SplitAfter(string(data), "\n") {
			if !strings.HasSuffix(line, "\n") {
				continue // a torn last line from the crash
			}
			var n int64
			if _, err := fmt.Sscanf(strings.TrimPrefix(line, `{"batch":`), "%d", &n); err == nil && n < batch {
				out.WriteString(line)
			}
		}
	}
	tmp := path + ".resume"
	if err := os.WriteFile(tmp, out.Bytes(), 0o644); err != nil {
		return false, err
	}
	return out.Len() > 0, os.Rename(tmp, path)
}

// fileSink writes JSON lines or CSV to a file, flushed after every batch.
type fileSink struct {
	file *os.File
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

func (s *fileSink) Close() error {
	err := s.buf.Flush()
	if serr := s.file.Sync(); err == nil {
		err = serr
	}
	if cerr := s.file.Close(); err == nil {
		err = cerr
	}
	return err
}

// parquetSink spools rows as JSON lines next to the target and has DuckDB
// write them as Parquet, with the result's column types, on Close.
type parquetSink struct {
	fileSink
	path, tmp string
	schema    value.Schema
	batches   bool // rows carry a batch column
}

func openParquet(path string, t Target) (Sink, error) {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".jsonl.tmp")
	file, err := os.Create(tmp)
	if err != nil {
		return nil, fmt.Errorf("parquet sink: %w", err)
	}
	bw := bufio.NewWriterSize(file, 64<<10)
	return &parquetSink{fileSink: fileSink{file: file, buf: bw, w: NewWriter(bw, JSON, t.Schema)}, path: path, tmp: tmp, schema: t.Schema}, nil
}

func (s *parquetSink) Batch(info BatchInfo, rows [][]value.Value) error {
	s.batches = true
	return s.fileSink.Batch(info, rows)
}

func (s *parquetSink) Close() error {
	defer os.Remove(s.tmp)
	if err := s.fileSink.Close(); err != nil {
		return err
	}
	var cols []string
	if s.batches {
		cols = append(cols, "'batch': 'BIGINT'")
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
		val, err := json.Marshal(diff.JSONValue(v))
		if err != nil {
			return nil, err
		}
		b = append(b, val...)
	}
	return append(b, '}'), nil
}
