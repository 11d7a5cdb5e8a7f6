// Package ingest turns arriving newline-delimited JSON into batches of
// decoded rows: sources deliver raw bytes in micro-batches, the decoder
// extracts only the fields a plan reads, and Infer samples records for a
// schema with the types DuckDB's read_json_auto would give them.
//
// A directory source reads files in name order, FilesPerBatch at a time:
//
//	src, _ := ingest.OpenDir(ingest.DirOptions{Path: "testdata/flows", FilesPerBatch: 1})
//	for {
//		raw, err := src.Next(ctx) // one file's bytes, with its name
//		if errors.Is(err, ingest.ErrEndOfInput) {
//			break
//		}
//		batch, rejects := dec.Decode(raw) // rows of the plan's columns
//		...
//	}
//
// The decoder's strings point into the raw batch's buffers: they are valid
// until the raw batch is dropped, and state that outlives a batch copies them.
package ingest
