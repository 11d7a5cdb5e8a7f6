// Package value is brook's scalar data model: the SQL types a column can
// have, the Value that carries one datum through every stage, and the rules
// that make the streaming engine and the DuckDB baseline agree on what a
// comparison, a cast or an ordering means.
//
// One rule deserves its own paragraph because network data needs it: a
// VARCHAR compared with a number is read as a number when its text is one
// (after trimming spaces, in the syntax DuckDB's TRY_CAST to DOUBLE accepts),
// and otherwise the comparison is NULL, so the row does not match, whichever
// side of the operator the string is on. With the LANL field dstport holding
// "443" and "Port05507",
//
//	dstport IN (443, 8000)   -- "443" matches; "Port05507" never does
//	dstport NOT IN (443)     -- "Port05507" does not match either
//
// The baseline renders the same rule as TRY_CAST(col AS DOUBLE). A string
// literal in an IN list of numbers is no such value: the planner casts it
// to the list's numeric type as DuckDB does, and refuses one that is not a
// number (package sql).
package value
