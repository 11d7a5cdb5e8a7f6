package ingest

import (
	"fmt"

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
	for _, f := range files {
		if smp.Full() {
			break // later files are never opened
		}
		data, err := ReadFile(f)
		if err != nil {
			if !skip {
				return nil, skipped, err
			}
			fe, ok := err.(*FileError)
			if !ok {
				fe = &FileError{Name: f, Reason: "cannot read the file: " + pathErrText(err), Err: err}
			}
			skipped = append(skipped, fe)
			continue
		}
		smp.Feed(data, true)
	}
	none := fmt.Errorf("no JSON records to infer a schema from in %d file(s); declare one with --schema", len(files))
	if len(skipped) > 0 {
		none = fmt.Errorf("no JSON records to infer a schema from in %d file(s), %d of them unreadable (first: %v); declare one with --schema", len(files), len(skipped), skipped[0])
	}
	s, err := smp.Schema(none)
	return s, skipped, err
}

// sampleRowsOr returns n, or DefaultSampleRows when n is not positive.
func sampleRowsOr(n int) int {
	if n <= 0 {
		return DefaultSampleRows
	}
	return n
}
