// Package engine executes a plan incrementally, one micro-batch at a time.
//
// A Query holds the state of one running query: for an aggregated query a
// hash table of groups, each with the running state of every aggregate
// (counts, sums, distinct sets), updated by the rows of each new batch and
// never recomputed from earlier batches; for a plain query, nothing but what
// LIMIT needs. After each batch the query emits rows according to its output
// mode:
//
//	complete  the whole result table (aggregations, and plain queries with LIMIT)
//	update    only the groups the batch changed
//	append    each batch's own rows (plain filters and projections)
//
// For example, with
//
//	SELECT dstdevice, count(*) AS hits FROM flows GROUP BY dstdevice
//
// a batch holding two flows to Comp1 and one to Comp2, followed by a batch
// with one more flow to Comp2, emits in update mode
//
//	batch 0: (Comp1, 2), (Comp2, 1)
//	batch 1: (Comp2, 2)
//
// and in complete mode batch 1 emits both rows. The work of a batch is
// proportional to its rows plus, in complete mode, a pass over the groups
// (only those the batch changed are projected again); it does not grow with
// the number of batches before it.
//
// Rows reach the state in one of two ways. Add folds a decoded batch. Or,
// for aggregations without sessions or a watermark, the decoders fold their
// share of a batch into a Partial (the same group table, compiled anew for
// their goroutine) while the rows are in their cache, and Merge folds the
// partials into the state in batch order; the result is the same.
//
// Expressions fail (a cast, an overflow) exactly where DuckDB 2.0's would:
// a filter (WHERE, HAVING, a searched WHEN) evaluates AND and OR operands
// and IN's items in the order written, only while undecided, NOT IN's
// items and (but in a WHEN) BETWEEN's bounds all; what
// DuckDB's optimizer folds before reading a row (NULL = -i, a CASE with
// constant conditions, an aggregate nothing reads, LIMIT 0 or a WHERE that
// folds to NULL, an empty BETWEEN range) is never evaluated (see fold.go).
// HAVING conditions on group keys filter rows after WHERE, before the
// aggregates, as DuckDB pushes them down (sql.Plan.KeyFilter).
//
// What the package owns, one place each:
//
//   - the aggregates, one file each (agg_NAME.go): its sql.AggSpec (name,
//     argument and result types, DISTINCT rule, DuckDB spelling) registered
//     by defineAggregate with its state, merge and checkpoint codec;
//   - event-time windows and the watermark (window.go): bounded lateness,
//     and for a source read as several parts (Kafka partitions, tcp-listen
//     producers; see SetParts) the least latest time of the parts that
//     hold it back; window kinds other than the built-in tumbling, hopping
//     and session windows, one file each (window_NAME.go, such as
//     window_cumulate.go): its sql.WindowSpec (call, sizes, DuckDB
//     rendering) registered by defineWindow with the assignment of times
//     to its windows (window_span.go);
//   - the checkpoint records of a query's state (changelog.go, snapshot.go);
//   - the plan-time folding that mirrors DuckDB's optimizer (fold.go).
//
// The engine reads decoded batches (package decode) and imports no source,
// sink or network package.
package engine
