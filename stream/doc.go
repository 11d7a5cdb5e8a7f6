// Package stream wires the stages together for one continuous query: it
// binds table names to sources (Catalog), and Run pulls micro-batches from
// a source, decodes the plan's columns, folds them into the engine's state
// and hands each batch's output to a callback.
//
//	cat := stream.NewCatalog()
//	cat.Bind("flows", "testdata/flows", nil) // schema inferred by sampling
//	plan, _ := sql.Build(query, cat)
//	q, _ := engine.New(plan, engine.Options{})
//	src, _ := cat.Open("flows", ingest.DirOptions{FilesPerBatch: 1})
//	sum, err := stream.Run(ctx, q, src, stream.Options{}, func(b stream.Batch) error {
//		return out.Batch(b.Info, b.Rows)
//	})
//
// # Checkpoint files
//
// With Options.CheckpointDir a run commits its position and its query's
// state after each micro-batch (or every Options.CheckpointInterval
// batches) through a Store. The directory holds:
//
//   - base: the line "brook checkpoint base v3", then one frame holding
//     the whole state at some commit (written at the start of a run and
//     when the log is compacted).
//   - log: the line "brook checkpoint log v3", then one frame per commit
//     since the base, each holding what the batches since the commit
//     before changed: the groups and windows they touched or created
//     (their key values, window bounds and every aggregate's state), the
//     groups they evicted, and the values new to each COUNT(DISTINCT) set
//     (not the whole set).
//   - .checkpoint-*: files being written; removed when a run starts.
//
// A frame is: payload length (uint32, little-endian), the payload's
// CRC-32C (Castagnoli, uint32), the payload. The payload is: the commit's
// sequence number (uvarint: batches processed), the length (uvarint) and
// gob encoding of the Checkpoint's metadata (every field but State), then
// the engine's binary record (see engine.Query.AppendRecord for its
// layout: no gob, no reflection; floats as their IEEE bits, so -0.0 and
// NaN payloads survive, 128-bit sums as both halves, strings byte for
// byte).
//
// The metadata holds the source's position (Checkpoint.Files for a
// directory, Checkpoint.Offsets for Kafka: the next offset of each
// partition) and the schema the query was planned with (Checkpoint.Schema),
// which a restarted run binds its source with instead of inferring it
// again. Both Offsets and Schema were added within v3: gob leaves a field
// a checkpoint lacks at its zero value, so a checkpoint an older brook
// wrote over files resumes as before, and one over Kafka (no offsets) is
// refused, asking for an empty directory.
//
// A commit appends its frame to the log; it is durable once the log's
// fsync after it returns (fsyncs run in the background, one at a time,
// each covering every frame written before it; a run waits for the last
// before it ends or acknowledges a source). Recovery reads the base and
// replays the log's frames with a greater sequence number in order. A
// last frame that is cut short or fails its checksum is a commit a crash
// interrupted before its fsync: it is ignored. A frame failing its
// checksum with more frames after it, a base that is cut or fails its
// checksum, or a header that is not brook's are damage, reported as
// "damaged: ..." (foreign bytes quoted, at most 24).
//
// A new base is written (to a temporary file, fsync'd, renamed, the
// directory fsync'd; then an empty log likewise) when a run starts and
// when the log has grown past 16 MB and 4 times the base. A crash between
// the two renames leaves the new base and the old log, whose frames are
// all at or below the base's sequence number and skipped.
//
// Version rule: the number in the header lines is the layout version. It
// is bumped whenever the frame layout, the metadata or the engine's
// record layout changes in a way an older brook would misread (a new
// aggregate's state, a new field); a brook reading another version's
// header refuses it as written by an incompatible version and asks for an
// empty directory. The Identity of a checkpoint (the plan, output mode
// and watermark settings, and the version) must also match the query.
package stream
