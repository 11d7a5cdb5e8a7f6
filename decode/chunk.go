package decode

// Chunk is raw NDJSON from one origin. Data holds whole lines only.
type Chunk struct {
	Name      string // the origin for error messages: a file path, "stdin", ...
	FirstLine int    // the 1-based line number of Data's first line in Name
	Data      []byte
	// Part is the part of the source the lines came from, for a source
	// read as several parts (see ingest.RawBatch.Parted): a Kafka partition.
	Part int32
}
