package ingest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"brook/decode"
	"brook/value"
)

// DefaultSampleRows is how many records Infer reads, as DuckDB's
// read_json_auto samples 20,480 by default.
const DefaultSampleRows = 20480

// Infer samples up to sampleRows records from files (in order) and returns
// the schema DuckDB 2.0's read_json_auto would give them, keys in order of
// first appearance, mapped to brook's types:
//
//   - integers → BIGINT (DuckDB's BIGINT: integers that fit 64 bits signed;
//     one beyond that fits 64 bits unsigned makes the column DuckDB's
//     HUGEINT, which brook has no column type for: VARCHAR holding the
//     number's text; a larger one makes the column DOUBLE);
//   - numbers with a fraction or exponent (6.0, 1e3), alone or with
//     integers → DOUBLE;
//   - booleans → BOOLEAN;
//   - strings that are all ISO dates (2024-01-02, DuckDB's DATE) or all
//     ISO timestamps of one format, 2024-01-02 03:04:05, the same with a
//     fraction of 1 to 6 digits, or 2024-01-02T03:04:05 (DuckDB's
//     TIMESTAMP) → TIMESTAMP. DuckDB fixes the format by the first string:
//     strings in two of these formats, a T with a fraction or an offset
//     (+01:00) leave the column VARCHAR, as in DuckDB; a T with Z
//     (2024-01-02T03:04:05Z) is DuckDB's TIMESTAMP WITH TIME ZONE, which
//     brook has no type for: VARCHAR;
//   - other strings → VARCHAR, including those DuckDB reads as TIME, UUID
//     or a date in another order (01-02-2024), which brook has no type for;
//   - nested values (DuckDB's STRUCT, LIST, MAP), types that mix (DuckDB's
//     JSON: a string and a number, a boolean and a number) and only nulls
//     (JSON) → VARCHAR holding the JSON text.
//
// Malformed lines are skipped while sampling. A file that cannot be read
// (a corrupt .gz file, one removed or unreadable) stops inference with its
// error; InferSkipping can skip it instead.
func Infer(files []string, sampleRows int) (value.Schema, error) {
	s, _, err := InferSkipping(files, sampleRows, false)
	return s, err
}

// InferSkipping is Infer that, with skip, samples past the files it cannot
// read instead of stopping at the first (as a run with --on-error skip or
// quarantine goes past them, counting them). It returns those files, in
// order, each as a *FileError naming it.
func InferSkipping(files []string, sampleRows int, skip bool) (value.Schema, []*FileError, error) {
	smp := decode.NewSampler(sampleRowsOr(sampleRows))
	var skipped []*FileError
	var buf []byte
	for _, f := range files {
		if smp.Full() {
			break // later files are never opened
		}
		var err error
		buf, err = sampleFile(smp, f, buf)
		if err != nil {
			if !skip {
				return nil, skipped, err
			}
			fe, ok := err.(*FileError)
			if !ok {
				fe = &FileError{Name: f, Reason: "cannot read the file: " + pathErrText(err), Err: err}
			}
			skipped = append(skipped, fe)
		}
	}
	none := fmt.Errorf("no JSON records to infer a schema from in %d file(s); declare one with --schema", len(files))
	if len(skipped) > 0 {
		none = fmt.Errorf("no JSON records to infer a schema from in %d file(s), %d of them unreadable (first: %v); declare one with --schema", len(files), len(skipped), skipped[0])
	}
	s, err := smp.Schema(none)
	return s, skipped, err
}

// samplePiece is how much of a file sampleFile reads at a time.
var samplePiece = 1 << 20

// sampleFile feeds the lines of file name to smp until it is full or the
// file ends, reading a plain file a piece at a time into buf (returned for
// the next file): a file is read only as far as the sample needs, into
// memory reused from file to file. A gzipped file is read whole, as
// ReadFile reads it.
func sampleFile(smp *decode.Sampler, name string, buf []byte) ([]byte, error) {
	if strings.HasSuffix(strings.ToLower(name), ".gz") {
		data, err := ReadFile(name)
		if err == nil {
			smp.Feed(data, true)
		}
		return buf, err
	}
	f, err := os.Open(name)
	if err != nil {
		return buf, err
	}
	defer f.Close()
	if cap(buf) < samplePiece {
		buf = make([]byte, samplePiece)
	}
	buf = buf[:cap(buf)]
	start, kept := true, 0 // kept: the bytes of a line not yet fed
	for !smp.Full() {
		if kept == len(buf) { // a line longer than the buffer
			buf = append(buf, make([]byte, len(buf))...)
			buf = buf[:cap(buf)]
		}
		n, err := f.Read(buf[kept:])
		data := buf[:kept+n]
		if err == io.EOF || (err == nil && n == 0) {
			smp.Feed(data, start)
			break
		}
		if err != nil {
			return buf, err
		}
		cut := bytes.LastIndexByte(data, '\n') + 1
		if cut == 0 {
			kept = len(data)
			continue
		}
		smp.Feed(data[:cut], start)
		start = false
		kept = copy(buf, data[cut:])
	}
	return buf, nil
}

// sampleRowsOr returns n, or DefaultSampleRows when n is not positive.
func sampleRowsOr(n int) int {
	if n <= 0 {
		return DefaultSampleRows
	}
	return n
}
