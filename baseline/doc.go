// Package baseline runs a plan as one static DuckDB query over the very
// files a stream read, so the stream's answer can be checked against an
// independent engine.
//
// Render turns the plan, never the user's text, into DuckDB SQL: every
// identifier is double-quoted, every literal single-quoted or typed, and
// the files are read with read_json and an explicit columns= schema, the one
// the stream decoded with. For the pitch query it produces
//
//	SELECT "c0" AS "DstDevice", "c1" AS "hits"
//	FROM (
//	  SELECT "src"."dstdevice" AS "c0", count(*) AS "c1"
//	  FROM read_json(['flows_0001.json'], format = 'newline_delimited',
//	       columns = {'dstdevice': 'VARCHAR', 'dstport': 'VARCHAR'}) AS "src"
//	  WHERE (TRY_CAST("src"."dstport" AS DOUBLE) IN (443, 8000))
//	  GROUP BY "src"."dstdevice"
//	) AS "q"
//	ORDER BY "c1" DESC NULLS LAST, "c0" ASC NULLS LAST, "c1" ASC NULLS LAST
//	LIMIT 20
//
// Column references are qualified with the source alias so that no SELECT
// alias can capture them, and ORDER BY reads the inner query's columns so
// that the tie-breaking order is exactly the stream's (sql.Plan.TotalOrder).
//
// DuckDB sums BIGINTs into a HUGEINT, and arithmetic on the sum stays
// HUGEINT: such a result is read as a BIGINT when it fits one and as an
// exact value.Huge beyond, the values the stream gives (see the engine's
// hugeint.go). An IN list of numbers is rendered as DuckDB's IN, which
// compares x and every item in their common type: exactly when all are
// BIGINTs, as DOUBLEs when one is a DOUBLE; the stream does the same. A
// string literal in such a list has been cast to the list's type by the
// planner (a query where one is not a number is refused), so DuckDB never
// has a string to convert there.
package baseline
