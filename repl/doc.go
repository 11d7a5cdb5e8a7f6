// Package repl is brook's interactive shell: SQL typed at a prompt,
// answered at once by the DuckDB baseline over the bound sources, and
// continuous queries started in the background whose live results are
// tables later queries can read (like Spark's memory sink).
//
//	brook> SELECT protocol, count(*) AS n FROM flows GROUP BY protocol;
//	brook> \stream talkers AS SELECT srcdevice, sum(srcbytes) AS b FROM flows GROUP BY srcdevice;
//	brook> SELECT * FROM talkers ORDER BY b DESC LIMIT 5;
//	brook> \diff talkers
//
// Statements end at ";" outside quotes and comments and may span lines;
// backslash commands (psql's habits: \d, \x, \timing, \o) and dot
// commands (the DuckDB CLI's: .tables, .schema, .mode, .timer, .maxrows)
// end at the end of their line (\stream and \explain, which carry a
// statement, at ";"). A statement brook cannot stream (SELECT 42, joins,
// SHOW TABLES, DESCRIBE, COPY ... TO) runs in DuckDB as written, over views
// of the sources and live tables (see static.go). Tables are capped like
// the DuckDB CLI's: the first and the last rows, "N rows (M shown)".
// Mistakes print with a caret under the problem and never end an
// interactive session; piped input (a script) prints errors on stderr and
// makes Run return ErrFailed. History persists in $BROOK_HISTORY or
// ~/.brook_history.
//
// It owns the prompt, the statement splitter, the commands, the printing
// of results and the live streams of a session; planning is package
// sql's, running package stream's, DuckDB package baseline's.
package repl
