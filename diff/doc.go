// Package diff compares a stream's final result with the baseline's, row by
// row and key by key, and reports every difference: rows missing in the
// stream, extra rows in the stream, and values that differ beyond the float
// tolerance.
//
// Rows are matched by the plan's key columns (the selected group keys). A
// query whose result has no such key (a plain projection, or one that does
// not select every group key) is compared as a multiset of whole rows. A
// query with ORDER BY is also compared in order (CheckOrder): the same rows
// in another order are a difference.
//
// A comparison of nothing is no proof: when the stream read no input rows
// (RequireInput), the report says so and is not equal.
//
// Numbers compare by value across BIGINT and DOUBLE. Two doubles are equal
// when |a-b| <= Tolerance * max(|a|, |b|) (default 1e-9, relative) or both
// are NaN (an infinity equals only itself); summing the same doubles in another order can change the last
// bits, and nothing more is forgiven.
//
// It owns the comparison rules (keys, multisets, order, tolerance) and the
// report's text and JSON forms (json.go: brook's one JSON encoding of
// result values). Running the two sides is the caller's (cmd/brook's
// diff, the REPL's \diff).
package diff
