// Command brook runs SQL continuously over arriving newline-delimited JSON,
// runs the same query as a static DuckDB baseline, and diffs the two.
//
// It owns the command line: the commands (run, baseline, diff, repl, gen,
// produce, bench, dev-broker, completion), their flags and help, exit
// statuses and signals, and the wiring of sources, the engine, sinks,
// checkpoints and the dashboard for a run. The work itself is the
// packages'.
//
// See "brook help" and README.md.
package main
