// Package sql is brook's front end: it reads a query in DuckDB's dialect
// and plans it. The text is lexed and rewritten where DuckDB's syntax is
// not MySQL's (rewrite.go: "quoted" identifiers, ||, CAST to any type,
// FILTER, IS [NOT] DISTINCT FROM, NULLS FIRST/LAST, GROUP BY ALL,
// INTERVAL '10 seconds', TIMESTAMP '...'), parsed by
// github.com/xwb1989/sqlparser, and bound against the catalog of sources
// into a Plan: typed expressions over the columns a query reads, the
// aggregates, the event-time window, ordering and limits. Errors carry the
// position in the text the user wrote (line:col and a caret), mapped back
// through the rewrite.
//
// It owns the Plan, the single source of truth that the engine executes and
// the baseline renders for DuckDB; the type rules of expressions and scalar
// functions (functions.go); and the registries the engine fills at start-up
// with what it implements: aggregates (aggregates.go, RegisterAggregate)
// and window kinds beyond the built-in ones (windowkinds.go,
// RegisterWindow). It executes nothing and imports no engine, source or
// sink.
package sql
