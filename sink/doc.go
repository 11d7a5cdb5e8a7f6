// Package sink writes query results for people and programs: aligned
// tables (the console sink, shaped like Spark's), CSV, and JSON lines.
//
// With one table per micro-batch, the console sink prints
//
//	-------------------------------------------
//	Batch: 3  (1 file, 10000 rows in, 2.1 ms)
//	-------------------------------------------
//	+-----------+----+
//	|DstDevice  |hits|
//	+-----------+----+
//	|Comp370444 |  41|
//	+-----------+----+
//	(1 row)
//
// A table may be capped (see Writer.SetTableLimits): then it ends with
// "only showing top 20 of 10,495 rows".
//
// CSV and JSON carry the batch number in a leading "batch" column or key so
// that a program can tell micro-batches apart; a final result has none. A
// result with a column of that name keeps it: the batch number then goes
// in "_batch" (or "__batch", ..., the first name no column has; see
// BatchColumn).
//
// It owns the output formats (table, CSV, JSON lines, Parquet) and the
// places results go (files, Kafka with transactions, the console); what a
// batch holds is the engine's.
package sink
