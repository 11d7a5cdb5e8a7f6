package ingest

import (
	"brook/decode"
	"brook/value"
)

// The decoded forms of a source's input live in package decode, which the
// engine reads without depending on any connector; these names let the
// connectors and their users speak of them as part of a source's batch.
type (
	// Chunk is raw NDJSON from one origin (see decode.Chunk).
	Chunk = decode.Chunk
	// Batch is decoded rows (see decode.Batch).
	Batch = decode.Batch
	// Decoder decodes NDJSON into a Batch (see decode.Decoder).
	Decoder = decode.Decoder
	// Reject is an input line the decoder rejected (see decode.Reject).
	Reject = decode.Reject
	// DecodeStats counts what decoding met (see decode.DecodeStats).
	DecodeStats = decode.DecodeStats
)

// Limits of the decoder (see package decode).
const (
	DefaultMaxLineBytes = decode.DefaultMaxLineBytes
	MaxRawKept          = decode.MaxRawKept
)

// NewDecoder returns a decoder of rows of the given columns (see
// decode.NewDecoder).
func NewDecoder(cols value.Schema) *Decoder { return decode.NewDecoder(cols) }

// ReasonClass groups a reject reason into its class (see
// decode.ReasonClass).
func ReasonClass(reason string) string { return decode.ReasonClass(reason) }
