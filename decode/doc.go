// Package decode turns raw newline-delimited JSON into rows: the Decoder
// extracts only the fields a plan reads, each converted to its column's
// type as DuckDB's read_json converts it, and rejects a line DuckDB would
// refuse (malformed JSON, a wrong type, invalid UTF-8, a line too long)
// with its origin and line number; a Batch holds the decoded rows
// column-slot by column-slot, with the runs of rows each source part
// delivered. The Sampler infers a schema from sampled lines as DuckDB's
// read_json_auto does.
//
// It depends on package value only: the engine reads Batches without
// depending on any connector (see package ingest for the sources).
package decode
