package baseline_test

// The parity tests run the same queries through the streaming engine and
// through DuckDB (the baseline) over small NDJSON files of edge-case values
// and require the same answer: for every expression of a SELECT list, row by
// row, both sides succeed with equal values or both fail (a CAST that does
// not convert, an overflow, the square root of a negative number); for a
// WHERE condition, the same rows; for an aggregation, the same groups.
// Every function of sql.ScalarFuncs must be exercised by at least one case.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"brook/baseline"
	"brook/diff"
	"brook/engine"
	"brook/ingest"
	"brook/sql"
	"brook/value"
)

// parityCatalog binds table t to a declared schema.
type parityCatalog struct{ schema value.Schema }

func (c parityCatalog) Schema(table string) (value.Schema, error) {
	if strings.EqualFold(table, "t") {
		return c.schema, nil
	}
	return nil, fmt.Errorf("unknown table %q", table)
}

func (c parityCatalog) Tables() []string { return []string{"t"} }

var paritySchema = value.Schema{
	{Name: "id", Type: value.Int},
	{Name: "i", Type: value.Int},
	{Name: "j", Type: value.Int},
	{Name: "f", Type: value.Float},
	{Name: "g", Type: value.Float},
	{Name: "s", Type: value.String},
	{Name: "p", Type: value.String},
	{Name: "b", Type: value.Bool},
	{Name: "ts", Type: value.Timestamp},
	{Name: "k", Type: value.String},
}

// parityRows are the test records: every column has NULLs and missing keys
// somewhere; s holds strings that are, are almost, or are not numbers,
// booleans and timestamps; p holds LIKE patterns.
var parityRows = []string{
	`{"id": 1, "i": 0, "j": 0, "f": 2.5, "g": 0.0, "s": "", "p": "%", "b": true, "ts": "2024-01-02 03:04:05", "k": "a"}`,
	`{"id": 2, "i": 1, "j": 2, "f": -2.5, "g": -0.0, "s": "443", "p": "4%", "b": false, "ts": "2024-01-02T03:04:05", "k": "a"}`,
	`{"id": 3, "i": -1, "j": -3, "f": 0.5, "g": 2.0, "s": " 80 ", "p": "_8%", "b": null, "ts": "2023-12-31 23:59:59.5", "k": "b"}`,
	`{"id": 4, "i": 7, "j": null, "f": -0.5, "g": null, "s": "Port05507", "p": "Port%", "ts": "1970-01-01 00:00:00"}`,
	`{"id": 5, "i": -7, "j": 3, "f": 1.5, "g": -4.0, "s": "1e3", "p": "1_3", "b": true, "ts": "2024-02-29", "k": "b"}`,
	`{"id": 6, "i": 9223372036854775807, "j": 1, "f": 1e300, "g": 1e300, "s": "abc", "p": "a_c", "b": false, "ts": null, "k": "c"}`,
	`{"id": 7, "i": -9223372036854775808, "j": -1, "f": 1e-300, "g": 1e-300, "s": "héllo wörld", "p": "h_llo%", "b": true, "k": "c"}`,
	`{"id": 8, "i": 100, "j": 7, "f": 5e-324, "g": 3.0, "s": "50%_off", "p": "50%", "b": false, "ts": "2000-06-15 12:00:00.123456", "k": null}`,
	`{"id": 9, "i": null, "j": 5, "f": -0.0, "g": 0.5, "s": "a_b", "p": "a\\_b", "b": true, "k": "a"}`,
	`{"id": 10, "j": -2, "f": 0.0, "g": -1.5, "s": "ABC", "p": "abc", "b": false, "k": "a"}`,
	`{"id": 11, "i": 42, "j": -5, "f": 3.0, "g": 2.5, "s": "  padded  ", "p": "%padded%", "k": "b"}`,
	`{"id": 12, "i": -12, "j": 4, "f": -3.0, "g": -2.5, "s": "-12", "p": "-%", "b": true, "k": "c"}`,
	`{"id": 13, "i": 3, "j": 0, "f": 1234.5678, "g": 0.0, "s": "+7", "p": "+_", "b": false, "k": "b"}`,
	`{"id": 14, "i": 10, "j": 3, "f": 0.125, "g": 0.1, "s": "3.7", "p": "3._", "b": true, "k": null}`,
	`{"id": 15, "i": -100, "j": 7, "f": 1.005, "g": 1.0, "s": "2.5", "p": "%.%", "b": null, "k": "a"}`,
	`{"id": 16, "i": 25, "j": -7, "f": 2.675, "g": 2.0, "s": "-2.5", "p": "-2.5", "b": true, "k": "b"}`,
	`{"id": 17, "i": 2, "j": 62, "f": 1e15, "g": 10.0, "s": " 42 ", "p": "% 42 %", "b": false, "k": "c"}`,
	`{"id": 18, "i": -2, "j": 63, "f": 123456789.123, "g": -3.5, "s": "yes", "p": "y%", "b": true, "k": "a"}`,
	`{"id": 19, "i": 15, "j": -1, "f": 0.1, "g": 0.2, "s": "no", "p": "N%", "k": "b"}`,
	`{"id": 20, "i": -15, "j": 2, "f": null, "g": 4.0, "s": "true", "p": "t_ue", "b": false, "k": "c"}`,
	`{"id": 21, "i": 5, "j": -2, "g": -0.5, "s": "t", "p": "_", "b": true, "k": "a"}`,
	`{"id": 22, "i": -5, "j": 2, "f": 1e16, "g": 1e16, "s": "1", "p": "1%", "b": false}`,
	`{"id": 23, "i": 999, "j": 10, "f": -1e-7, "g": 7.0, "s": "0", "p": "", "b": true, "k": "b"}`,
	`{"id": 24, "i": -999, "j": -10, "f": 0.30000000000000004, "g": 3.0, "s": "off", "p": "o%f", "b": false, "k": "c"}`,
	`{"id": 25, "i": 6, "j": 4, "f": 12345678901234567890.0, "g": 2.0, "s": "nan", "p": "n_n", "b": true, "k": "a"}`,
	`{"id": 26, "i": -6, "j": -4, "f": 1e-5, "g": 100.0, "s": "inf", "p": "%f", "b": false, "k": "b"}`,
	`{"id": 27, "i": 1000000, "j": 1000000, "f": 100.0, "g": 0.001, "s": "-inf", "p": "-%", "b": true, "k": "c"}`,
	`{"id": 28, "i": -1000000, "j": 3, "f": -7.5, "g": 2.0, "s": "0x1F", "p": "0x%", "b": false, "k": "a"}`,
	`{"id": 29, "i": 4611686018427387904, "j": 2, "f": 3.5, "g": -1.0, "s": "1_000", "p": "1\\_%", "b": true, "k": "b"}`,
	`{"id": 30, "i": 8, "j": 8, "f": 4.5, "g": 4.5, "s": "2024-01-02 03:04:05", "p": "2024%", "b": false, "ts": "2024-01-02 03:04:05", "k": "c"}`,
	`{"id": 31, "i": 9, "j": -9, "f": -4.5, "g": 1.5, "s": "9223372036854775808", "p": "9%8", "b": true, "k": "a"}`,
	`{"id": 32}`,
	`{"id": 33, "i": null, "j": null, "f": null, "g": null, "s": null, "p": null, "b": null, "ts": null, "k": null}`,
	`{"id": 34, "i": 11, "j": 3, "f": 7.0, "g": 2.0, "s": "Straße ǅ", "p": "Stra%", "b": true, "k": "b"}`,
	`{"id": 35, "i": -11, "j": 3, "f": -7.0, "g": 2.0, "s": "e\u0301x", "p": "__x", "b": false, "k": "c"}`,
	`{"id": 36, "i": 12, "j": 5, "f": 0.049999999999999996, "g": 0.25, "s": "   ", "p": "% %", "b": true, "k": "a"}`,
	`{"id": 37, "i": 13, "j": -13, "f": 12.5, "g": -12.5, "s": "12abc", "p": "12%", "b": false, "k": "b"}`,
	`{"id": 38, "i": 14, "j": 7, "f": -12.5, "g": 12.5, "s": ".5", "p": ".%", "b": true, "k": "c"}`,
	`{"id": 39, "i": 16, "j": 3, "f": 0.0001, "g": 0.00001, "s": "5.", "p": "%.", "b": false, "k": "a"}`,
	`{"id": 40, "i": 17, "j": 4, "f": 1.5e15, "g": 9.999999999999998e15, "s": "1.5e1", "p": "1.5e_", "b": true, "k": "b"}`,
}

// scalarCases are expressions over t's columns, each run as
// SELECT <expr> AS v, id FROM t.
var scalarCases = []string{
	`i IS DISTINCT FROM j`, `i IS NOT DISTINCT FROM j`, `s IS DISTINCT FROM k AND b`, `f IS NOT DISTINCT FROM NULL`,
	`b IS TRUE`, `b IS NOT TRUE`, `b IS FALSE`, `b IS NOT FALSE`, `(i > j) IS NOT FALSE OR s IS DISTINCT FROM 'a'`,
	`CASE WHEN ts IS DISTINCT FROM '2024-01-02' THEN 1 ELSE 0 END`,
	// columns as they are
	`i`, `f`, `s`, `b`, `ts`,

	// string functions
	`lower(s)`, `upper(s)`, `length(s)`, `char_length(p)`,
	`trim(s)`, `ltrim(s)`, `rtrim(s)`, `reverse(s)`,
	`substr(s, 2)`, `substr(s, 0)`, `substr(s, -3)`, `substr(s, 2, 3)`, `substr(s, 0, 2)`,
	`substr(s, -3, 2)`, `substr(s, 10, 5)`, `substr(s, 2, -1)`, `substr(s, -10, 3)`, `substr(s, 3, -5)`,
	`substr(s, 1, 0)`, `substring(s, i, j)`, `substr(s, j)`, `substr(s, 9223372036854775807)`,
	`substr(s, -9223372036854775808, 3)`, `substr(s, 2, 9223372036854775807)`, `substr(CAST(i AS VARCHAR), -25, 22)`,
	`substr(lower(s), -10, 3)`, `substr('hello', -10, 3)`, `substr(s || 'xy', -3, 2)`,
	`left(s, 2)`, `left(s, -2)`, `left(s, 0)`, `left(s, 100)`, `left(s, j)`,
	`right(s, 3)`, `right(s, -2)`, `right(s, 0)`, `right(s, 100)`, `right(s, j)`,
	`replace(s, 'a', 'X')`, `replace(s, '', 'X')`, `replace(s, s, p)`, `replace(s, 'l', '')`,
	`strpos(s, 'l')`, `strpos(s, '')`, `strpos(s, 'ö')`, `instr(s, p)`, `epoch_ms(i)`, `epoch_ms(i * 1000) < '1970-01-01 00:16:40'`,
	`starts_with(s, '')`, `starts_with(s, p)`, `ends_with(s, 'c')`, `contains(s, '')`, `contains(s, p)`,
	`regexp_matches(s, '^[0-9]+$')`, `regexp_matches(s, '\d')`, `regexp_matches(s, 'L')`, `regexp_matches(s, '(?i)l')`,
	`regexp_matches(s, '^.{3}$')`, `s REGEXP 'a.c'`, `s NOT REGEXP 'a'`,
	`concat(s, i, f, b, NULL)`, `concat(f)`, `concat(ts)`, `concat(NULL)`, `concat(s, p)`,

	// numeric functions
	`abs(i)`, `abs(f)`, `abs(-f)`, `sign(i)`, `sign(f)`, `sign(g)`,
	`floor(i)`, `floor(f)`, `ceil(i)`, `ceil(f)`, `ceiling(g)`,
	`round(f)`, `round(f, 1)`, `round(f, 2)`, `round(f, -1)`, `round(f, j)`, `round(g, 400)`, `round(f, -400)`,
	`round(i)`, `round(i, -1)`, `round(i, -2)`, `round(i, 2)`, `round(i, -20)`, `round(i, j)`,
	`round(2.5)`, `round(-2.5)`, `round(0.5)`, `round(1.005, 2)`, `round(2.675, 2)`,
	`sqrt(f)`, `sqrt(i)`, `sqrt(g)`, `sqrt(abs(f))`, `ln(f)`, `ln(g)`, `ln(abs(f) + 1)`, `log10(g)`, `log10(abs(g) + 1)`,
	`log2(g)`, `log2(abs(i) + 1)`, `exp(g)`, `exp(f)`, `exp(i)`, `exp(709.5)`, `exp(709.78)`, `exp(-745.0)`, `exp(-740.0 + g)`,
	`ln(5e-324 * g)`, `log10(1000)`, `log10(g * 1000)`, `log2(1e-310)`,
	`pow(g, 2)`, `pow(f, 0.5)`, `pow(2, j)`, `pow(0.0, -1.0)`, `power(i, 0)`, `pow(g, j)`,

	// NULL handling and choice functions
	`coalesce(i, j, 0)`, `coalesce(s, p, 'none')`, `coalesce(f, i)`, `coalesce(NULL, b)`, `ifnull(g, -1)`,
	`greatest(i, j)`, `greatest(s, p)`, `greatest(f, i, g)`, `greatest(NULL, i)`, `least(i, j)`,
	`least(f, i)`, `least(s, p, 'm')`, `least(NULL, NULL, f)`, `greatest(b, FALSE)`, `least(ts, CAST('2020-01-01 00:00:00' AS TIMESTAMP))`,
	`nullif(i, 0)`, `nullif(s, '')`, `nullif(f, g)`, `nullif(i, f)`, `nullif(b, TRUE)`, `nullif(s, p)`,

	// arithmetic
	`i + j`, `i - j`, `i * j`, `i / j`, `i % j`, `f + g`, `f - g`, `f * g`, `f / g`, `f % g`,
	`i + f`, `i / g`, `f % j`, `i % 0`, `i / 0`, `f / 0`, `f % 0`, `f / 0.0`, `0.0 / 0.0`,
	`i % -1`, `-i`, `-f`, `-(-f)`, `+i`, `i * 2`, `i + 1`, `i - 1`, `j * 1000000000000`, `i * i`,
	`1 - i`, `f * 1e300`, `(i + j) * (f - g)`, `7 % -2`, `-7 % 2`, `f % -2`,

	// casts
	`CAST(s AS BIGINT)`, `TRY_CAST(s AS BIGINT)`, `TRY_CAST(s AS DOUBLE)`, `CAST(s AS DOUBLE)`,
	`TRY_CAST(s AS BOOLEAN)`, `CAST(s AS BOOLEAN)`, `TRY_CAST(s AS TIMESTAMP)`, `CAST(s AS TIMESTAMP)`,
	`TRY_CAST(p AS BIGINT)`, `TRY_CAST(p AS DOUBLE)`, `TRY_CAST(p AS BOOLEAN)`,
	`CAST(f AS BIGINT)`, `TRY_CAST(f AS BIGINT)`, `TRY_CAST(g AS BIGINT)`, `CAST(f AS VARCHAR)`, `CAST(g AS VARCHAR)`,
	`CAST(i AS VARCHAR)`, `CAST(i AS DOUBLE)`, `CAST(i AS BOOLEAN)`, `CAST(b AS VARCHAR)`, `CAST(b AS BIGINT)`,
	`CAST(f AS BOOLEAN)`, `CAST(ts AS VARCHAR)`, `CAST(i AS INTEGER)`, `TRY_CAST(i AS INTEGER)`,
	`CAST('3.7' AS BIGINT)`, `CAST(2.5 AS BIGINT)`, `CAST(-2.5 AS BIGINT)`, `CAST(0.5 AS BIGINT)`,
	`CAST('yes' AS BOOLEAN)`, `CAST(' 42 ' AS BIGINT)`, `TRY_CAST('abc' AS BIGINT)`, `CAST(s AS VARCHAR)`,
	`CAST(f AS DOUBLE)`, `CAST(i AS BIGINT)`, `TRY_CAST(NULL AS BIGINT)`, `CAST(CAST(f AS VARCHAR) AS DOUBLE) = f`,

	// comparisons: numbers, strings, and strings with numbers on either side
	`i = j`, `i < j`, `i >= f`, `f = g`, `f <> g`, `f < g`, `s = p`, `s < p`, `s >= 'a'`,
	`s = 443`, `443 = s`, `s > 100`, `100 < s`, `s <= 1000.0`, `s = f`, `f = s`, `s = i`, `s <> 443`,
	`s = '443'`, `b = TRUE`, `b <> FALSE`, `ts > '2024-01-01'`, `'2024-01-01' < ts`, `ts = s`, `ts <= '2023-12-31 23:59:59.5'`,
	`i IN (1, 7, NULL)`, `i NOT IN (1, 7, NULL)`, `i IN (1, 7)`, `i NOT IN (1, 7)`, `i IN (j, 0)`, `f IN (2.5, i)`,
	`s IN (443, 'abc')`, `s NOT IN (443)`, `s IN (80, 1000, 31)`, `s NOT IN (80, NULL)`, `s IN ('abc', p)`, `NULL IN (1, 2)`,
	`i BETWEEN -10 AND 10`, `i NOT BETWEEN -10 AND 10`, `i BETWEEN j AND 10`, `f BETWEEN NULL AND 1`,
	`f NOT BETWEEN 0 AND NULL`, `s BETWEEN 1 AND 500`, `s BETWEEN 'a' AND 'b'`, `f BETWEEN g AND i`,

	// LIKE
	`s LIKE '%l%'`, `s LIKE '_'`, `s LIKE ''`, `s LIKE '%'`, `s LIKE 'h_llo%'`, `s LIKE '%\_%'`, `s LIKE '50%'`,
	`s LIKE p`, `s NOT LIKE p`, `s NOT LIKE 'a%'`, `s LIKE '__'`, `s LIKE '%o%o%'`, `s LIKE 'A%'`, `p LIKE s`,

	// CASE
	`CASE i WHEN 1 THEN 'one' WHEN 7 THEN 'seven' ELSE 'other' END`,
	`CASE i WHEN NULL THEN 'null' ELSE 'not' END`,
	`CASE s WHEN 443 THEN 'https' WHEN 80 THEN 'http' END`,
	`CASE WHEN f > 0 THEN i ELSE f END`, `CASE WHEN b THEN 1 END`, `CASE WHEN b THEN 'yes' WHEN NOT b THEN 'no' ELSE 'unknown' END`,
	`CASE WHEN i > 0 THEN 'pos' WHEN i < 0 THEN 'neg' END`, `CASE f WHEN g THEN 'same' ELSE 'diff' END`,
	`CASE WHEN j <> 0 THEN i % j END`, `CASE WHEN f >= 0 THEN sqrt(f) ELSE 0 END`,

	// concatenation and logic
	`s || p`, `s || i`, `i || f`, `f || NULL`, `s || b`, `ts || s`, `NULL || s`, `g || ''`,
	`b AND i > 0`, `b OR i > 0`, `NOT b`, `b AND NULL`, `b OR NULL`, `s IS NULL`, `f IS NOT NULL`, `(i > j) = b`,

	// which operands are evaluated: AND and OR in a SELECT list evaluate both
	// sides, CASE and coalesce only what they need
	`f >= 0 AND sqrt(f) > 1`, `f < 0 OR sqrt(f) > 1`, `CASE WHEN f >= 0 AND sqrt(f) > 1 THEN 'big' ELSE 'small' END`,
	`CASE WHEN f < 0 OR ln(f) > 0 THEN 1 ELSE 0 END`, `coalesce(f, 1, sqrt(-1.0))`, `coalesce(TRY_CAST(s AS BIGINT), CAST(s AS BIGINT))`,
	`coalesce(b, sqrt(f) > 1)`, `i IN (0, 7, i % j)`, `f BETWEEN 0 AND sqrt(f)`,

	// regular expressions as RE2 reads them
	`regexp_matches(s, '(?<n>a)')`, `regexp_matches(s, '[(?<]')`, `regexp_matches(s, 'a\pL')`, `regexp_matches(s, '^\s')`,
}

// filterCases are WHERE conditions, run as SELECT id FROM t WHERE <cond>.
var filterCases = []string{
	`f >= 0 AND sqrt(f) > 1`, `sqrt(f) > 1 AND f >= 0`, `f < 0 OR sqrt(f) > 1`, `sqrt(f) > 1 OR f < 0`,
	`s = 443`, `s IN (443, 80)`, `s NOT IN (443, NULL)`, `i BETWEEN 0 AND 10`, `b`, `NOT b`, `s LIKE '%a%'`,
	`ts > '2024-01-01'`, `CASE WHEN j <> 0 THEN i % j = 0 END`, `coalesce(f, -1) < 0`, `TRY_CAST(s AS BIGINT) > 0`,
	`j <> 0 AND i % j = 0`, `i % j = 0`, `(f > 0 AND ln(f) < 0) OR (f <= 0 AND j > 0)`, `NOT (f >= 0 AND sqrt(f) > 1)`,
	`b AND CAST(s AS BIGINT) > 0`, `s IS NOT NULL AND TRY_CAST(s AS DOUBLE) IS NULL`, `i * j > 100`,
}

// aggregateCases are whole queries with aggregates, compared with diff.
var aggregateCases = []string{
	`SELECT k, sum(i) AS si, sum(f) AS sf, avg(i) AS ai, avg(f) AS af, min(i) AS mini, max(i) AS maxi, count(i) AS ci, count(*) AS n FROM t GROUP BY k`,
	`SELECT k, min(s) AS mins, max(s) AS maxs, min(f) AS minf, max(f) AS maxf, count(DISTINCT s) AS ds, count(DISTINCT f) AS df, count(s) AS cs FROM t GROUP BY k`,
	`SELECT b, count(*) AS n, sum(j) AS sj, avg(j) AS aj, count(DISTINCT j) AS dj, min(ts) AS mints, max(ts) AS maxts FROM t GROUP BY b`,
	`SELECT sum(i) AS si, avg(i) AS ai, sum(f) AS sf, avg(f) AS af, min(s) AS mins, count(DISTINCT k) AS dk, count(*) AS n FROM t`,
	`SELECT sum(i) AS si, avg(i) AS ai FROM t WHERE i > 0`,
	`SELECT f, count(*) AS n FROM t GROUP BY f`,
	`SELECT g, count(*) AS n, sum(j) AS sj FROM t GROUP BY g`,
	`SELECT k, count(DISTINCT g) AS dg, count(DISTINCT b) AS db, sum(g) AS sg FROM t WHERE s <> '' GROUP BY k`,
	`SELECT sum(j) AS sj, avg(j) AS aj, min(j) AS minj, max(j) AS maxj FROM t WHERE i IS NULL`,
	`SELECT k, count(*) AS n FROM t GROUP BY k HAVING count(*) > 8 OR sum(i) < 0`,
	`SELECT k, sum(f) AS sf FROM t GROUP BY k HAVING min(f) >= 0 AND sqrt(min(f)) >= 0`,
	`SELECT round(f) AS r, count(*) AS n, sum(i) AS si FROM t WHERE f BETWEEN -10 AND 10 GROUP BY round(f)`,
	`SELECT lower(s) AS ls, count(*) AS n FROM t GROUP BY lower(s)`,
	// -0.0 and 0.0 are one group, one window and one distinct value; all
	// NaNs ("nan", "-nan") are one group
	`SELECT k, g, count(*) AS n, count(DISTINCT g) AS dg FROM t GROUP BY k, g`,
	`SELECT TRY_CAST(s AS DOUBLE) AS d, count(*) AS n FROM t GROUP BY 1`,
	`SELECT count(DISTINCT TRY_CAST(s AS DOUBLE)) AS d, count(DISTINCT g) AS dg FROM t`,
	`SELECT TUMBLE(g, 10) AS w, count(*) AS n FROM t WHERE abs(g) < 1000 GROUP BY TUMBLE(g, 10)`,
	`SELECT TUMBLE(g, 1) AS w, k, count(*) AS n FROM t WHERE abs(g) < 1000 GROUP BY TUMBLE(g, 1), k`,
	`SELECT HOP(g, 1, 2) AS w, k, count(*) AS n FROM t WHERE abs(g) < 1000 GROUP BY HOP(g, 1, 2), k`,
	`SELECT k, bool_and(b) AS ba, bool_or(b) AS bo, bool_and(i > 0) AS bai, bool_or(DISTINCT f < 0) AS bof, bool_and(NULL) AS bn FROM t GROUP BY k`,
	`SELECT k, var_samp(i) AS vs, var_pop(i) AS vp, stddev_samp(j) AS ss, stddev_pop(j) AS sp, variance(g) AS v, stddev(g) AS sd, mean(i) AS m FROM t WHERE abs(g) < 1e100 GROUP BY k`,
	`SELECT var_samp(i) AS vs, var_pop(f) AS vp, stddev_samp(f) AS ss, stddev_pop(i) AS sp, bool_or(b) AS bo FROM t WHERE abs(f) < 1e100`,
	`SELECT TUMBLE(g, 10) AS w, stddev_samp(i) AS s, var_pop(j) AS v, bool_and(b) AS ba FROM t WHERE abs(g) < 1000 GROUP BY TUMBLE(g, 10)`,
	`SELECT k, count(*) FILTER (WHERE b) AS n, sum(i) FILTER (WHERE i > 0) AS si, count(DISTINCT s) FILTER (WHERE f > 0) AS ds, avg(f) FILTER (WHERE NOT b) AS af, max(s) FILTER (WHERE s LIKE '%a%') AS ms FROM t GROUP BY k`,
	`SELECT count(*) FILTER (WHERE i IS NULL) AS n, stddev_pop(j) FILTER (WHERE j > 1) AS sd FROM t`,
	// A negated comparison that is a group key (DuckDB rewrites NOT (a > b)
	// before it matches group keys: the baseline writes (key = false)).
	`SELECT k, i > j AS c, count(*) AS n FROM t GROUP BY k, i > j HAVING NOT (i > j)`,
	`SELECT NOT (i > j) AS c, count(*) AS n FROM t GROUP BY i > j`,
	// HAVING on group keys is applied before the aggregates, as DuckDB
	// pushes it down: the CAST never meets the rows of other groups.
	`SELECT k, min(CAST(s AS BIGINT)) AS m, count(*) AS n FROM t GROUP BY k HAVING k = 'no such key' AND count(*) > 0`,
	// GROUP BY ALL: the SELECT items without aggregates that read a column
	`SELECT k, b, 'x' AS c, count(*) AS n, sum(i) + 1 AS si FROM t GROUP BY ALL`,
	`SELECT lower(s) AS ls, i % 3 AS m, max(f) AS mf FROM t GROUP BY ALL HAVING count(*) > 1`,
	`SELECT 1 + 1 AS c, count(*) AS n, avg(f) AS af FROM t GROUP BY ALL`,
	`SELECT * FROM t GROUP BY ALL`,
	// HAVING reads SELECT aliases outside aggregates; a column of the
	// name wins
	`SELECT k AS kk, count(*) AS n, sum(i) AS si FROM t GROUP BY k HAVING n > 2 AND (si IS NULL OR si / n > 0) AND kk IS NOT NULL`,
	`SELECT b AS x, count(*) AS i FROM t GROUP BY b, i HAVING x OR i > 12`,
	`SELECT count(*) AS n, avg(f) AS af FROM t HAVING n > 0 AND af IS NOT NULL`,
	// DISTINCT sums and averages: each distinct value once (-0.0 is 0.0).
	`SELECT k, sum(DISTINCT i) AS si, avg(DISTINCT j) AS aj, sum(DISTINCT j) FILTER (WHERE b) AS sj, count(DISTINCT i) AS ci FROM t GROUP BY k`,
	`SELECT sum(DISTINCT g) AS sg, avg(DISTINCT g) AS ag, mean(DISTINCT i) AS mi FROM t WHERE abs(g) < 1000`,
	`SELECT TUMBLE(g, 10) AS w, sum(DISTINCT j) AS sj, avg(DISTINCT CAST(g AS BIGINT)) AS ag FROM t WHERE abs(g) < 1000 GROUP BY TUMBLE(g, 10)`,
	// Exact quantiles: interpolation at the edges of DOUBLE (infinities,
	// -0.0, NaN sorted last), BIGINTs beyond 2^53 kept exact by
	// quantile_disc, fractions 0 and 1.
	`SELECT k, median(i) AS mi, median(f) AS mf, median(g) AS mg, quantile_cont(j, 0.9) AS cj, quantile_cont(f, 0.1) AS cf FROM t GROUP BY k`,
	`SELECT k, quantile_disc(i, 0.5) AS di, quantile_disc(f, 0.25) AS df, quantile(j, 1) AS q1, quantile_disc(g, 0) AS q0, quantile_cont(i, 0.333) AS c3 FROM t GROUP BY k`,
	`SELECT median(i) AS m, quantile_cont(f, 0.75) FILTER (WHERE b) AS c, quantile_disc(j, 0.5) AS d FROM t WHERE abs(f) < 1e300`,
	`SELECT TUMBLE(g, 10) AS w, median(f) AS m, quantile_disc(i, 0.9) AS d FROM t WHERE abs(g) < 1000 GROUP BY TUMBLE(g, 10)`,
}

// TestParityCoversEveryAggregate checks that every registered aggregate
// is called by some aggregate case.
func TestParityCoversEveryAggregate(t *testing.T) {
	seen := map[string]bool{}
	ds := &dataset{schema: paritySchema, rows: parityRows}
	for _, q := range aggregateCases {
		for _, a := range ds.build(t, q).Aggs {
			seen[a.Func] = true
		}
	}
	for _, name := range sql.Aggregates() {
		if !seen[name] {
			t.Errorf("no aggregate parity case calls %s", name)
		}
	}
}

// dataset is a table t: a declared schema and NDJSON records, each with a
// unique BIGINT id from 1 up.
type dataset struct {
	schema value.Schema
	rows   []string
	path   string
	data   []byte
}

// write puts the records in a file in t.TempDir.
func (ds *dataset) write(t *testing.T) {
	t.Helper()
	ds.path = filepath.Join(t.TempDir(), "parity.json")
	ds.data = []byte(strings.Join(ds.rows, "\n") + "\n")
	if err := os.WriteFile(ds.path, ds.data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (ds *dataset) build(t *testing.T, query string) *sql.Plan {
	t.Helper()
	plan, err := sql.Build(query, parityCatalog{ds.schema})
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return plan
}

// runStream decodes the records with the plan's columns and runs the plan
// through the engine, returning its final rows.
func (ds *dataset) runStream(plan *sql.Plan) ([][]value.Value, error) {
	q, err := engine.New(plan, engine.Options{KeepFinal: true})
	if err != nil {
		return nil, err
	}
	cols := plan.ColumnSchema()
	dec := ingest.NewDecoder(cols)
	var batch ingest.Batch
	batch.Reset(len(cols))
	raw := &ingest.RawBatch{Chunks: []ingest.Chunk{{Name: ds.path, FirstLine: 1, Data: ds.data}}}
	rejects, _ := dec.Decode(raw.Chunks, &batch)
	if len(rejects) > 0 {
		return nil, fmt.Errorf("decoder rejected %d lines, first: %v", len(rejects), rejects[0])
	}
	if _, err := q.Process(&batch); err != nil {
		return nil, err
	}
	return q.Final()
}

func openDB(t *testing.T) *baseline.DB {
	t.Helper()
	db, err := baseline.Open(1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// checkScalars runs SELECT <expr> AS v, id FROM t for every expression on
// both sides and compares the results row by row. When a query fails on
// both sides (a runtime error on some row), every row is run on its own, so
// that the rows that fail, and the values of the others, are compared too.
func checkScalars(t *testing.T, ds *dataset, exprs []string) {
	ds.write(t)
	db := openDB(t)
	for _, e := range exprs {
		t.Run(e, func(t *testing.T) {
			plan := ds.build(t, "SELECT "+e+" AS v, id FROM t")
			typ := plan.Output[0].Expr.Type()
			stream, serr := ds.runStream(plan)
			res, berr := db.Run(context.Background(), plan, []string{ds.path})
			switch {
			case serr != nil && berr != nil:
				checkRowByRow(t, ds, db, e)
				return
			case serr != nil:
				t.Fatalf("stream fails but DuckDB does not: %v\n  SQL: %s", serr, baseline.Render(plan, []string{ds.path}))
			case berr != nil:
				t.Fatalf("DuckDB fails but the stream does not: %v\n  SQL: %s", berr, baseline.Render(plan, []string{ds.path}))
			}
			if res.RowsRead != int64(len(ds.rows)) {
				t.Fatalf("DuckDB read %d records, want %d", res.RowsRead, len(ds.rows))
			}
			sv, bv := byID(t, "stream", stream), byID(t, "DuckDB", res.Rows)
			if len(sv) != len(ds.rows) || len(bv) != len(ds.rows) {
				t.Fatalf("%d stream rows and %d DuckDB rows, want %d", len(sv), len(bv), len(ds.rows))
			}
			for id := int64(1); id <= int64(len(ds.rows)); id++ {
				compareValue(t, ds, e, typ, id, sv[id], bv[id])
			}
		})
	}
}

// checkRowByRow runs expression e over each record alone.
func checkRowByRow(t *testing.T, ds *dataset, db *baseline.DB, e string) {
	failed := 0
	for id := int64(1); id <= int64(len(ds.rows)); id++ {
		plan := ds.build(t, fmt.Sprintf("SELECT %s AS v, id FROM t WHERE id = %d", e, id))
		stream, serr := ds.runStream(plan)
		res, berr := db.Run(context.Background(), plan, []string{ds.path})
		switch {
		case serr != nil && berr != nil:
			failed++
			continue
		case serr != nil:
			t.Errorf("%s: row id=%d (%s): stream fails (%v) but DuckDB gives %v", e, id, ds.rows[id-1], serr, res.Rows)
			continue
		case berr != nil:
			t.Errorf("%s: row id=%d (%s): DuckDB fails (%v) but the stream gives %v", e, id, ds.rows[id-1], berr, stream)
			continue
		}
		if len(stream) != 1 || len(res.Rows) != 1 {
			t.Errorf("%s: row id=%d: %d stream rows and %d DuckDB rows, want 1", e, id, len(stream), len(res.Rows))
			continue
		}
		compareValue(t, ds, e, plan.Output[0].Expr.Type(), id, stream[0][0], res.Rows[0][0])
	}
	if failed == 0 {
		t.Errorf("%s: fails on the whole table on both sides but on no row alone", e)
	}
}

func compareValue(t *testing.T, ds *dataset, e string, typ value.Type, id int64, sv, bv value.Value) {
	t.Helper()
	if !sv.IsNull() && sv.Kind != typ {
		t.Errorf("%s: row id=%d: stream value %s is %s, the plan says %s", e, id, show(sv), sv.Kind, typ)
	}
	if !diff.Same(sv, bv, 1e-12) {
		t.Errorf("%s: row id=%d (%s): stream=%s DuckDB=%s", e, id, ds.rows[id-1], show(sv), show(bv))
	}
}

func TestScalarParity(t *testing.T) {
	checkScalars(t, &dataset{schema: paritySchema, rows: parityRows}, scalarCases)
}

// byID indexes rows of (v, id) by id.
func byID(t *testing.T, side string, rows [][]value.Value) map[int64]value.Value {
	t.Helper()
	m := make(map[int64]value.Value, len(rows))
	for _, r := range rows {
		if len(r) != 2 || r[1].Kind != value.Int {
			t.Fatalf("%s: bad row %v", side, r)
		}
		if _, dup := m[r[1].I]; dup {
			t.Fatalf("%s: id %d twice", side, r[1].I)
		}
		m[r[1].I] = r[0]
	}
	return m
}

// show renders a value with its type, strings quoted.
func show(v value.Value) string {
	switch v.Kind {
	case value.Null:
		return "NULL"
	case value.String:
		return fmt.Sprintf("%q", v.S)
	}
	return v.Format() + "::" + v.Kind.String()
}

func TestAggregateParity(t *testing.T) {
	ds := &dataset{schema: paritySchema, rows: parityRows}
	ds.write(t)
	db := openDB(t)
	for _, query := range aggregateCases {
		t.Run(query, func(t *testing.T) {
			plan := ds.build(t, query)
			stream, serr := ds.runStream(plan)
			res, berr := db.Run(context.Background(), plan, []string{ds.path})
			if serr != nil || berr != nil {
				t.Fatalf("stream error: %v; DuckDB error: %v", serr, berr)
			}
			cols := make([]string, len(plan.Output))
			for i, o := range plan.Output {
				cols[i] = o.Name
			}
			if r := diff.Compare(cols, plan.KeyColumns, stream, res.Rows, 1e-12); !r.Equal {
				t.Errorf("%s\n%s\nSQL: %s", query, r.Text(0), res.SQL)
			}
		})
	}
}

// castStrings are texts that are, almost are, or are not numbers,
// booleans and timestamps, and texts whose characters combine.
var castStrings = []string{
	"", " ", "0", "1", "-1", "+1", "42", " 42 ", "\t7", "7\n", "007", "-0", "+0", "1_000", "1__000", "_1", "1_",
	"1._5", "1.5_5", "1_.5", "0x1F", "0X1f", "0x", "0x_1", "0x1_F", "-0x1", "+0x1", " 0x10 ", "0b101", "0B1_1",
	"0b2", "1e3", "1E3", "1e+2", "1e-1", "5e-1", "5e-5", "25e-1", "35e-1", "-25e-1", "145e-2", "1.5e1", "1.25e1",
	"1.e2", ".5e1", "0.5e1", "1e", "1e+", "e3", "1e2.5", "1e1_0", "1_0e1_0", "1e 1", "1e1 ", "1.5e", "3.7",
	"2.5", "-2.5", "0.5", "-0.5", "2.49", "2.95", "-.5", ".5", "5.", ".", "-", "+", "+-1", "-+1", "++1", "- 1",
	"1 2", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
	"9223372036854775807.4", "9223372036854775807.5", "1e18", "1e19", "12345678901234567890e-5",
	"0.0000000000000000000000000001", "inf", "-inf", "+inf", "Infinity", "INF", "infin", "nan", "NaN", "-nan",
	"nan(123)", "nan(", "1e400", "-1e400", "1e-400", "0.1", "123456789.123", "1e15", "1e16", "1e-5",
	"true", "false", "TRUE", "False", "t", "f", "T", "y", "n", "yes", "no", "YES", "on", "off", " true", "true ",
	"tru", "2024-01-02 03:04:05", "2024-01-02T03:04:05", "2024-01-02T03:04:05Z", "2024-01-02 03:04:05+02",
	"2024-01-02 03:04:05+02:30", "2024-01-02 03:04:05-0130", "2024-01-02 03:04:05 +02:00", "2024-01-02 03:04:05.1234567",
	"2024-01-02 03:04:05.", "2024-01-02 03:04", "2024-01-02 3:4:5", "2024-1-2", "2024-01-02", " 2024-01-02 ",
	"2024/01/02 03:04:05", "2024 01 02", "2024-01/02", "24-01-02", "0024-01-02", "12024-01-02 00:00:00",
	"-2024-01-02", "2024-01-02 (BC)", "2024-01-02 (bc) 03:04:05", "2024-02-29", "2024-02-30", "2023-02-29",
	"2024-01-02 24:00:00", "2024-01-02 24:00:01", "2024-01-02 23:59:60", "2024-01-02 25:00:00", "2024-01-02 03:04:05 UTC",
	"2024-01-02 03:04:05 utc", "2024-01-02 03:04:05 CET", "2024-01-02 03:04:05Z ", "2024-01-02  03:04:05",
	"2024-01-02T", "2024-01-02 ", "2024-01-0203:04:05", "2024-01-02x", "infinity", "-infinity", "epoch", "Epoch ",
	"2024-01-02 03:04:05+2", "2024-01-02 03:04:05+0230", "2024-01-02 003:04:05", "1969-12-31 23:59:59.999999",
	"294247-01-10 04:00:54.775806", "294247-01-10 04:00:54.775807", "290309-12-22 (BC) 00:00:00",
	"héllo wörld", "Straße", "e\u0301x", "a\u0308o\u0308u", "\U0001F1E9\U0001F1EA\U0001F1EB\U0001F1F7\U0001F1EE",
	"\U0001F468\u200d\U0001F469\u200d\U0001F467!", "\U0001F44D\U0001F3FD", "\u1100\u1161\u11A8\uAC00",
	"a\r\nb", "\u0915\u094d\u0937\u093f", "\u0e01\u0e33", "x\u200dy", "\u0600a", "\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F",
	"\uAC00\u11A8\u11A8x", "\u1100\u1100\uAC01\u1161\u11A8", "é\U0001F1E6\U0001F1E8\U0001F1E6", "\U0001F600\u0301\u200d\U0001F600",
	"é\u200d\U0001F600", "\u0915\u093c\u094d\u200d\u0937", "%_%", "a%b_c",
}

// castDoubles are DOUBLE values at the edges of the casts to BIGINT and
// VARCHAR.
var castDoubles = []float64{
	0, 0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 0.49999999999999994, 9.2e18, 9.223372036854775e18, 9.3e18,
	-9.223372036854775808e18, -9.3e18, 1e-7, 0.0001, 0.00012345, 123456.789, 1e15, 1.5e15, 9.999999999999998e15,
	1e16, 1e21, 1.7976931348623157e308, 5e-324, 2.2250738585072014e-308, 0.1, 0.30000000000000004, 100, -1e-300,
	1234567.5, 12345678901234567890,
}

func castDataset() *dataset {
	ds := &dataset{schema: value.Schema{
		{Name: "id", Type: value.Int}, {Name: "x", Type: value.String}, {Name: "d", Type: value.Float},
	}}
	n := max(len(castStrings), len(castDoubles))
	for i := 0; i < n; i++ {
		row := fmt.Sprintf(`{"id": %d`, i+1)
		if i < len(castStrings) {
			x, _ := json.Marshal(castStrings[i])
			row += `, "x": ` + string(x)
		}
		if i < len(castDoubles) {
			row += fmt.Sprintf(`, "d": %s`, strconv.FormatFloat(castDoubles[i], 'g', -1, 64))
		}
		ds.rows = append(ds.rows, row+"}")
	}
	return ds
}

// TestCastParity checks the conversions of many texts and doubles.
func TestCastParity(t *testing.T) {
	checkScalars(t, castDataset(), []string{
		`TRY_CAST(x AS BIGINT)`, `TRY_CAST(x AS DOUBLE)`, `TRY_CAST(x AS BOOLEAN)`, `TRY_CAST(x AS TIMESTAMP)`,
		`CAST(TRY_CAST(x AS TIMESTAMP) AS VARCHAR)`, `CAST(TRY_CAST(x AS DOUBLE) AS VARCHAR)`, `CAST(x AS BIGINT)`,
		`x = 0`, `x > 100`, `x IN (1, 2.5, 1000)`, `x = TRY_CAST(x AS DOUBLE)`, `x > '2024-01-01'`,
		`TRY_CAST(d AS BIGINT)`, `CAST(d AS BIGINT)`, `CAST(d AS VARCHAR)`, `CAST(-d AS VARCHAR)`, `CAST(d AS BOOLEAN)`,
		`d || ''`, `concat(d, x)`, `round(d)`, `round(d, 2)`, `round(d, -2)`, `floor(d)`, `ceil(-d)`,
		`reverse(x)`, `upper(x)`, `lower(x)`, `length(x)`, `substr(x, -3)`, `substr(x, 2, 3)`, `left(x, -1)`, `right(x, 2)`,
		`strpos(x, '0')`, `x LIKE '%0%'`, `x LIKE '_'`, `trim(x)`,
	})
}

// TestFilterParity checks that WHERE keeps the same rows on both sides, or
// fails on both.
func TestFilterParity(t *testing.T) {
	ds := &dataset{schema: paritySchema, rows: parityRows}
	ds.write(t)
	db := openDB(t)
	for _, cond := range filterCases {
		t.Run(cond, func(t *testing.T) {
			plan := ds.build(t, "SELECT id FROM t WHERE "+cond)
			stream, serr := ds.runStream(plan)
			res, berr := db.Run(context.Background(), plan, []string{ds.path})
			switch {
			case serr != nil && berr != nil:
				return
			case serr != nil:
				t.Fatalf("stream fails but DuckDB does not: %v", serr)
			case berr != nil:
				t.Fatalf("DuckDB fails but the stream does not: %v\n  SQL: %s", berr, baseline.Render(plan, []string{ds.path}))
			}
			ids := func(rows [][]value.Value) string {
				var out []string
				for _, r := range rows {
					out = append(out, r[0].Format())
				}
				sort.Strings(out)
				return strings.Join(out, ",")
			}
			if got, want := ids(stream), ids(res.Rows); got != want {
				t.Errorf("stream keeps ids %s, DuckDB %s", got, want)
			}
		})
	}
}

// TestParityCoversEveryFunction keeps the case list in step with
// sql.ScalarFuncs.
func TestParityCoversEveryFunction(t *testing.T) {
	seen := map[string]bool{}
	ds := &dataset{schema: paritySchema, rows: parityRows}
	for _, e := range scalarCases {
		plan := ds.build(t, "SELECT "+e+" AS v FROM t")
		sql.Walk(plan.Output[0].Expr, func(x sql.Expr) {
			if c, ok := x.(*sql.Call); ok {
				seen[c.Name] = true
			}
		})
	}
	var missing []string
	for name := range sql.ScalarFuncs {
		if !seen[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no parity case calls %s", strings.Join(missing, ", "))
	}
}

// bigIntDataset holds BIGINTs about 2^53, where DOUBLEs are no longer
// exact, and at BIGINT's limits, in i and j, and DOUBLEs in f.
func bigIntDataset() *dataset {
	ds := &dataset{schema: value.Schema{
		{Name: "id", Type: value.Int}, {Name: "i", Type: value.Int}, {Name: "j", Type: value.Int},
		{Name: "f", Type: value.Float}, {Name: "k", Type: value.String},
	}}
	for n, r := range []string{
		`"i": 9007199254740992, "j": 9007199254740993, "f": 2.5, "k": "a"`,
		`"i": 9007199254740993, "j": 9007199254740992, "f": 9007199254740993, "k": "a"`,
		`"i": 9007199254740991, "j": -1, "k": "b"`,
		`"i": -9007199254740992, "j": -9007199254740993, "f": -9007199254740993, "k": "b"`,
		`"i": -9007199254740993, "j": 1, "f": 0.5, "k": "c"`,
		`"i": 9223372036854775807, "j": 9223372036854775807, "f": 9223372036854775807, "k": "c"`,
		`"i": -9223372036854775808, "j": -9223372036854775807, "f": 1, "k": "d"`,
		`"i": 1, "j": 2, "f": 1.0, "k": "d"`,
		`"i": null, "j": 0, "f": null, "k": "d"`,
		`"i": 9223372036854775807, "j": 9223372036854775807, "f": 1, "k": "e"`,
		`"i": 9223372036854775807, "j": 9223372036854775807, "f": 2, "k": "e"`,
		`"i": -9223372036854775807, "j": -9223372036854775807, "f": 3, "k": "e"`,
	} {
		ds.rows = append(ds.rows, fmt.Sprintf(`{"id": %d, %s}`, n+1, r))
	}
	return ds
}

// TestExactIntegerParity: IN compares BIGINTs exactly when its list is of
// BIGINTs, and as DOUBLEs when the list holds a DOUBLE, as DuckDB casts the
// list to its common type.
func TestExactIntegerParity(t *testing.T) {
	checkScalars(t, bigIntDataset(), []string{
		`i IN (9007199254740993)`, `i NOT IN (9007199254740993)`, `i IN (9007199254740993, 7)`, `i IN (-9007199254740993, 1)`,
		`i IN (9007199254740993, 2.5)`, `i NOT IN (9007199254740993, 2.5)`, `i IN (1, 2.5)`, `i IN (9007199254740993, NULL)`,
		`i NOT IN (9007199254740993, NULL)`, `i IN (j, 0)`, `i NOT IN (j)`, `i IN (j, 0.5)`, `i IN (f)`, `i IN (f, 7)`,
		`i IN (9007199254740993 + 0, 5)`, `i IN (-9007199254740993, 1, 2, 3, 4, 5, 6, 7, 8, 9223372036854775807)`,
		`i IN (9007199254740992.0)`, `f IN (9007199254740993)`, `i = 9007199254740993`, `i = f`,
	})
}

// TestSumHugeintParity: SUM over BIGINT is DuckDB's HUGEINT, and so is
// arithmetic on it: no BIGINT overflow, and the same answer whether the
// stream reads the rows in one batch or in many.
func TestSumHugeintParity(t *testing.T) {
	ds := bigIntDataset()
	ds.write(t)
	db := openDB(t)
	for _, query := range []string{
		`SELECT k, sum(i) AS s, sum(i) + 1 AS s1, sum(i) - 1 AS s2, -sum(i) AS s3, abs(sum(i)) AS s4, sum(i) * 2 AS s5, sum(i) % 7 AS s6, avg(i) AS a, avg(j) AS aj FROM t GROUP BY k`,
		`SELECT k, sum(j) AS s, sum(j) + 1 AS s1, sum(j) * -3 AS s2, coalesce(sum(j), 0) - 1 AS s3, avg(j) AS a FROM t WHERE j > 0 GROUP BY k`,
		`SELECT k, count(*) AS n FROM t GROUP BY k HAVING sum(i) + 1 > 0`,
		`SELECT sum(i) + 1 AS s, sum(j) - 9223372036854775807 AS d, avg(i) AS a FROM t`,
		// An empty range keeps nothing, and DuckDB evaluates nothing: the
		// overflowing i + j is never computed, on either side.
		`SELECT k, max(i + j) AS m FROM t GROUP BY k HAVING max(i + j) BETWEEN 3 AND 1`,
		`SELECT max(i + j) AS m, count(*) AS n FROM t WHERE j BETWEEN 9 AND -9`,
	} {
		t.Run(query, func(t *testing.T) {
			plan := ds.build(t, query)
			res, err := db.Run(context.Background(), plan, []string{ds.path})
			if err != nil {
				t.Fatal(err)
			}
			cols := make([]string, len(plan.Output))
			for i, o := range plan.Output {
				cols[i] = o.Name
			}
			for _, perBatch := range []int{len(ds.rows), 1, 2, 5} {
				stream, err := ds.runStreamBatches(plan, perBatch)
				if err != nil {
					t.Fatalf("%d rows per batch: %v", perBatch, err)
				}
				if r := diff.Compare(cols, plan.KeyColumns, stream, res.Rows, 1e-12); !r.Equal {
					t.Errorf("%d rows per batch:\n%s\nSQL: %s", perBatch, r.Text(0), res.SQL)
				}
			}
		})
	}
}

// runStreamBatches is runStream with the records cut into batches of
// perBatch, each processed in complete mode (its result computed).
func (ds *dataset) runStreamBatches(plan *sql.Plan, perBatch int) ([][]value.Value, error) {
	q, err := engine.New(plan, engine.Options{Mode: engine.Complete, KeepFinal: true})
	if err != nil {
		return nil, err
	}
	cols := plan.ColumnSchema()
	dec := ingest.NewDecoder(cols)
	for at := 0; at < len(ds.rows); at += perBatch {
		lines := ds.rows[at:min(at+perBatch, len(ds.rows))]
		var batch ingest.Batch
		batch.Reset(len(cols))
		data := []byte(strings.Join(lines, "\n") + "\n")
		raw := &ingest.RawBatch{Chunks: []ingest.Chunk{{Name: ds.path, FirstLine: at + 1, Data: data}}}
		if rejects, _ := dec.Decode(raw.Chunks, &batch); len(rejects) > 0 {
			return nil, fmt.Errorf("decoder rejected %d lines, first: %v", len(rejects), rejects[0])
		}
		if _, err := q.Process(&batch); err != nil {
			return nil, err
		}
	}
	return q.Final()
}

// orderCases are sorted and cut queries, compared row by row in order:
// NULLS FIRST and LAST per key decide which rows a LIMIT keeps.
var orderCases = []string{
	`SELECT id, i FROM t ORDER BY i NULLS FIRST LIMIT 5`,
	`SELECT id, i FROM t ORDER BY i DESC NULLS FIRST LIMIT 5`,
	`SELECT id, i FROM t ORDER BY i DESC NULLS LAST LIMIT 5`,
	`SELECT id, i FROM t ORDER BY i ASC NULLS LAST, id DESC LIMIT 6 OFFSET 2`,
	`SELECT id, s, f FROM t ORDER BY s NULLS FIRST, f DESC NULLS FIRST, id`,
	`SELECT id, b, k FROM t ORDER BY b DESC NULLS FIRST, k NULLS FIRST LIMIT 7`,
	`SELECT f AS x, id FROM t ORDER BY x NULLS FIRST, 2 DESC NULLS FIRST LIMIT 4`,
	`SELECT k, count(*) AS n, sum(i) AS si FROM t GROUP BY k ORDER BY k NULLS FIRST LIMIT 2`,
	`SELECT k, count(*) AS n, sum(i) AS si FROM t GROUP BY k ORDER BY si DESC NULLS FIRST LIMIT 2`,
	`SELECT b, max(s) AS ms FROM t GROUP BY b ORDER BY max(s) NULLS FIRST, b DESC NULLS FIRST`,
	`SELECT i, count(*) AS n FROM t GROUP BY i ORDER BY i DESC NULLS FIRST LIMIT 3`,
	`SELECT DISTINCT k FROM t ORDER BY k NULLS FIRST LIMIT 1`,
	`SELECT k, b, count(*) AS n FROM t GROUP BY ALL ORDER BY n DESC, k NULLS FIRST, b NULLS FIRST LIMIT 4`,
	`SELECT 'x' AS c, id FROM t WHERE i > 0 GROUP BY ALL ORDER BY id DESC LIMIT 3`,
}

func TestOrderParity(t *testing.T) {
	ds := &dataset{schema: paritySchema, rows: parityRows}
	ds.write(t)
	db := openDB(t)
	for _, query := range orderCases {
		t.Run(query, func(t *testing.T) {
			plan := ds.build(t, query)
			stream, serr := ds.runStream(plan)
			res, berr := db.Run(context.Background(), plan, []string{ds.path})
			if serr != nil || berr != nil {
				t.Fatalf("stream error: %v; DuckDB error: %v", serr, berr)
			}
			cols := make([]string, len(plan.Output))
			for i, o := range plan.Output {
				cols[i] = o.Name
			}
			r := diff.Compare(cols, plan.KeyColumns, stream, res.Rows, 1e-12)
			r.CheckOrder(stream, res.Rows)
			if !r.Equal {
				t.Errorf("%s\n%s\nSQL: %s", query, r.Text(0), res.SQL)
			}
			if len(stream) == 0 {
				t.Errorf("%s: no rows", query)
			}
		})
	}
}
