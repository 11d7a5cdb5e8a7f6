// Package difftest is brook's random differential tester. It owns the
// generators of random queries and nasty data, the runner that checks each
// query on the stream against DuckDB and against itself, and the table of
// regression cases (known bugs, by issue number) the tester found.
//
// A seed determines a case: a dataset (Schema's table t, written once as a
// few NDJSON files, shared by QueriesPerDataset consecutive seeds) and a
// query drawn from brook's SQL surface, redrawn until the planner accepts
// it. Runner.Check runs the query
//
//   - on DuckDB (baseline.DB.Run), the reference answer;
//   - with stream.Run over the directory, one file per micro-batch (as
//     brook diff does) and all files in one micro-batch;
//   - on an engine.Query directly, over random cuts of the records (empty
//     micro-batches too) and one record per micro-batch;
//   - over the same cuts, checkpointed as the checkpoint store does (a full
//     record, then a change record per batch), replayed after batch k into
//     a fresh engine.Query, restored and continued;
//   - in update mode, applying the emitted rows as upserts by key
//     (aggregations without HAVING or LIMIT), with and without a watermark;
//   - for windowed queries, in append mode under a watermark: the windows
//     emitted, when no row was late, are the final result (also across a
//     checkpoint restart);
//
// and compares every run with DuckDB as brook diff does (diff.Compare,
// keyed by plan.KeyColumns), and position by position when the plan sorts.
// A run that fails agrees with DuckDB only when DuckDB fails too.
//
// The default test runs seeds 0 to 1999 (about 15 s on two cores). A
// longer run is one command:
//
//	go test ./difftest -run 'TestDifferential$' -first 2000 -seeds 20000
//
// and a single seed, with its finding printed in full:
//
//	go test ./difftest -run 'TestDifferential$' -seed 1234 -v
//
// A finding prints the seed, the query, the data files (kept on disk,
// with a query.sql) and their records, both results, and a brook diff
// command line that reproduces it; with -shrink (the default) the records
// and the query's clauses are first cut down while the disagreement
// stays.
//
// Open issues the tester found are listed in knownbugs_test.go: knownBugs
// (by issue number, with a test that recognizes a finding of the issue, so
// that long runs report only new findings; -showknown lists those too),
// regressions (minimal cases, run by TestRegressions) and bugSeeds (the
// seeds of the default range that hit them). Cases of an open issue are
// skipped with "known bug #N, being fixed"; -known runs them anyway.
// Removing an issue from knownBugs makes its cases run, and pass.
// Queries DuckDB fails as written, whatever the data, are listed in
// refusals: the planner must refuse them (TestRefusals).
//
// Disagreements where the linked DuckDB contradicts its own general rule,
// and brook keeps the rule, are not brook bugs: duckdbDivergences lists
// them (by the issue number they were found under, with the reason), a
// seed finding one is counted as a divergence and not reported, and their
// cases (divergences, TestDivergences) must still disagree, so that a
// DuckDB that changes is noticed. The one known with DuckDB 2.0.0 is #21:
// its optimizer moves a negation across a comparison with a constant
// (-i > 0 becomes i < 0), so -9223372036854775808 never overflows there,
// while -i alone does; brook keeps the overflow. (DuckDB 1.1.3's, #14, an
// ASCII substring clamping a start outside the string into it, is gone,
// and its cases are regressions now.)
//
// What it leaves out: sum and avg of the nasty DOUBLE column (summing in
// another order legitimately changes such sums), invalid JSON and bad
// input, TIMESTAMP arithmetic, and sources other than files.
package difftest
