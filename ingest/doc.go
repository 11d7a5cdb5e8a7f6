// Package ingest holds brook's sources: the connectors that deliver
// arriving newline-delimited JSON in micro-batches (a directory of files,
// standard input, tcp:// and tcp-listen://, Kafka), each batch's raw bytes
// with their origin for error messages, the parts a source is read as
// (Kafka partitions, tcp-listen producers) for per-part watermarks, and
// acknowledgement for sources that commit offsets. Infer and Sample find a
// schema with the types DuckDB's read_json_auto would give. Decoding the
// bytes into rows is package decode's; the names Chunk, Batch and Decoder
// here are its types.
//
// A directory source reads files in name order, FilesPerBatch at a time:
//
//	src, _ := ingest.OpenDir(ingest.DirOptions{Path: "testdata/flows", FilesPerBatch: 1})
//	for {
//		raw, err := src.Next(ctx) // one file's bytes, with its name
//		if errors.Is(err, ingest.ErrEndOfInput) {
//			break
//		}
//		rejects, _ := dec.Decode(raw.Chunks, &batch) // rows of the plan's columns
//		...
//	}
//
// The decoder's strings point into the raw batch's buffers: they are valid
// until the raw batch is released, and state that outlives a batch copies
// them.
package ingest
