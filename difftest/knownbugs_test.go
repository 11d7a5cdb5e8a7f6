package difftest

import (
	"math"
	"regexp"
	"strings"

	"brook/value"
)

// knownBug is an open issue the tester finds: what goes wrong, and how to
// recognize a finding of it (so that long runs list only new findings).
type knownBug struct {
	What    string
	Matches func(f *Finding) bool
}

// knownBugs are the open issues the tester finds, by issue number. A seed
// (bugSeeds) or regression case (regressions) of an issue listed here is
// skipped; delete the entry when the fix is merged, and its cases run
// again (and must pass).
var knownBugs = map[int]knownBug{
	// Found by the tester.
}

// duckdbDivergence is a disagreement the tester finds where the DuckDB linked
// contradicts its own general rule and brook keeps the rule: DuckDB's
// inconsistency, not a brook bug, so it is never fixed. What describes it,
// Why says why brook does not follow DuckDB there, and Matches recognizes
// a finding of it. Its cases (divergences) must still disagree, and be
// recognized, so that a DuckDB that changes is noticed.
type duckdbDivergence struct {
	What, Why string
	Matches   func(f *Finding) bool
}

// duckdbDivergences are the DuckDB divergences the tester finds, by the
// issue number they were found under. A seed finding one is skipped and
// counted as a divergence, not as a known bug.
var duckdbDivergences = map[int]duckdbDivergence{
	// DuckDB 1.1.3 diverged under #14 (its ASCII substring clamped a start
	// outside the string into it); 2.0 follows its general rule there, and
	// those cases are regressions now.
	21: {
		What: "the negation of -9223372036854775808 compared with a constant: DuckDB 2.0 moves the minus across the comparison " +
			"(-i > 0 becomes i < 0, nullif(0, -i) tests i = 0) and answers; the stream fails, as SELECT -i does in DuckDB",
		Why: "DuckDB's optimizer rewrites -x op constant as x op' -constant, which cannot overflow, only where x meets a constant; " +
			"its rule, which -x alone and -x compared with a column follow, is that negating -9223372036854775808 overflows",
		Matches: func(f *Finding) bool {
			return f.BErr == nil && f.SErr != nil && strings.Contains(f.SErr.Error(), "BIGINT overflow in -(-9223372036854775808)")
		},
	},
}

// integerMinusZero matches a field holding the JSON integer -0.
var integerMinusZero = regexp.MustCompile(`": -0[,}]`)

// negativeZero matches a field holding -0.0 (or -0) in a record.
var negativeZero = regexp.MustCompile(`": -0(\.0+)?[,}]`)

// aggInError matches an error raised by an expression over an aggregate.
var aggInError = regexp.MustCompile(`(sum|avg|min|max|count)\(`)

// bigInList matches an IN list of integers only, one of them large.
var bigInList = regexp.MustCompile(`IN \((-?\d+, |NULL, )*(9007199254740993|9007199254740992|9223372036854775807|4611686018427387904)(, -?\d+|, NULL)*\)`)

// mixedInList matches an IN list holding a large integer and a DOUBLE.
var mixedInList = regexp.MustCompile(`IN \([^)]*(9007199254740993|9007199254740992|9223372036854775807|4611686018427387904)[^)]*\)`)

// dyadic reports whether x is a multiple of a power of two no smaller than
// 2^-30: such window sizes are exact in binary.
func dyadic(x float64) bool { return x*(1<<30) == math.Trunc(x*(1<<30)) }

// bothZeros reports whether some column holds -0.0 in one row and 0.0 in
// another.
func bothZeros(rows [][]value.Value) bool {
	if len(rows) == 0 {
		return false
	}
	for c := range rows[0] {
		neg, pos := false, false
		for _, r := range rows {
			if v := r[c]; v.Kind == value.Float && v.F == 0 {
				if math.Signbit(v.F) {
					neg = true
				} else {
					pos = true
				}
			}
		}
		if neg && pos {
			return true
		}
	}
	return false
}

// classify returns the open issue or DuckDB divergence a finding is an
// instance of, or 0.
func classify(f *Finding) int {
	for _, n := range []int{17, 18, 16, 6, 3, 5, 4, 9, 2, 1, 7, 8, 12, 13, 15, 19, 14, 21} {
		if b, ok := knownBugs[n]; ok && b.Matches(f) {
			return n
		}
		if d, ok := duckdbDivergences[n]; ok && d.Matches(f) {
			return n
		}
	}
	return 0
}

// bugSeeds maps the seeds of TestDifferential's default range (0 to 1999)
// that find a known bug to its issue (seed: issue), as classify sorted
// them; a seed may find another open issue once its own is fixed (the
// test then names it). The generator changes what a seed means: after
// changing it, or after a fix, list the seeds again with
//
//	go test ./difftest -run 'TestDifferential$' -shrink=false -showknown
var bugSeeds = map[uint64]int{
	15: 3, 26: 3, 37: 2, 42: 3, 45: 3, 49: 2, 87: 2, 94: 2, 104: 2, 112: 2, 130: 9, 133: 2, 194: 2,
	224: 2, 227: 2, 231: 2, 233: 2, 238: 2, 246: 9, 276: 3, 283: 2, 294: 2, 342: 1, 357: 2, 363: 2,
	364: 2, 365: 2, 371: 2, 373: 2, 386: 2, 406: 2, 408: 2, 409: 2, 426: 3, 429: 3, 462: 2, 489: 2,
	501: 9, 528: 2, 539: 2, 546: 2, 557: 2, 580: 2, 629: 1, 647: 1, 659: 2, 688: 3, 689: 3, 710: 2,
	736: 3, 739: 5, 750: 2, 753: 2, 767: 3, 772: 6, 773: 16, 777: 16, 789: 2, 790: 2, 794: 18,
	796: 18, 810: 2, 817: 2, 826: 2, 844: 1, 865: 2, 876: 2, 892: 2, 908: 1, 923: 4, 940: 2, 948: 2,
	965: 2, 966: 2, 967: 2, 970: 2, 976: 2, 978: 2, 995: 18, 1000: 3, 1022: 2,
	1044: 2, 1063: 1, 1064: 2, 1074: 2, 1081: 12, 1089: 2, 1099: 2, 1103: 2, 1119: 3, 1122: 18,
	1156: 2, 1160: 2, 1177: 2, 1189: 2, 1206: 2, 1208: 2, 1223: 2, 1238: 2, 1239: 2,
	1245: 2, 1246: 3, 1267: 2, 1308: 18, 1318: 16, 1319: 2, 1329: 2, 1330: 16, 1370: 2, 1377: 16,
	1380: 2, 1383: 2, 1389: 2, 1400: 1, 1401: 3, 1407: 2, 1414: 1, 1427: 2, 1429: 1,
	1430: 3, 1472: 16, 1481: 1, 1483: 3, 1500: 2, 1504: 2, 1513: 18, 1518: 18, 1526: 2, 1531: 1,
	1548: 2, 1553: 2, 1556: 3, 1564: 2, 1566: 2, 1570: 5, 1577: 2, 1604: 2, 1608: 2,
	1617: 2, 1643: 2, 1668: 2, 1697: 2, 1707: 18, 1708: 18, 1764: 2, 1768: 2, 1775: 3, 1801: 2,
	1827: 2, 1861: 12, 1881: 3, 1884: 2, 1957: 2, 1958: 2, 1995: 18, 1997: 18,
}

// regression is a minimal case of an issue, found by the tester (and cut
// down by Shrink or by hand). Its records are files of table t (Schema).
type regression struct {
	Issue int
	Query string
	Files [][]string
}

// divergences are minimal cases of the DuckDB divergences: the stream
// and DuckDB must still disagree on each, and the finding must be
// recognized as the divergence.
var divergences = []regression{
	// 21: DuckDB's optimizer moves a negation across a comparison with a
	// constant.
	{21, `SELECT count(*) AS n FROM t WHERE -i > 0`,
		[][]string{{`{"i": -9223372036854775808}`}}},
	{21, `SELECT nullif(0, -i) AS c3 FROM t`, // seed 3544
		[][]string{{`{"i": -9223372036854775808}`}}},
}

// refusal is a query of an issue that DuckDB fails as written (whatever
// the data): the planner must refuse it, with an error containing Err.
type refusal struct {
	Issue      int
	Query, Err string
}

var refusals = []refusal{
	// 15: a string literal that is not a number in an IN list of numbers.
	{15, `SELECT count(*) AS n FROM t GROUP BY k HAVING NULL IN ('', 1e308)`, // seed 5768
		"IN compares DOUBLE values, and the string '' is not a number"},
	{15, `SELECT count(*) AS n FROM t WHERE i NOT IN (1, 'abc')`,
		"IN compares BIGINT values, and the string 'abc' is not a number"},
}

var regressions = []regression{
	// 20: SELECT DISTINCT with a NULL constant: the baseline grouped by
	// CAST(NULL AS NULL), which DuckDB cannot parse (seed 4273).
	{20, `SELECT DISTINCT k AS c0, NULL AS c1 FROM t`,
		[][]string{{`{"k": "a"}`, `{"k": "b"}`}, {`{"k": "a"}`}}},
	// 1: the bounds of windows of 0.1 s are not exact in binary.
	{1, `SELECT TUMBLE(ts, 0.1) AS ws, count(*) AS n FROM t GROUP BY TUMBLE(ts, 0.1)`,
		[][]string{{`{"ts": 0.6}`, `{"ts": 0.65}`}}},
	{1, `SELECT window(ts, 0.1) AS ws, window_end(ts, 0.1) AS we, count(*) AS n FROM t GROUP BY window(ts, 0.1)`,
		[][]string{{`{"ts": 0.6}`, `{"ts": 0.65}`}}},
	{1, `SELECT sign(i) AS c2 FROM t GROUP BY TUMBLE(it, 1), i`, // seed 12
		[][]string{{`{"id": 26, "it": 9007199254741001, "i": 7}`}}},
	{1, `SELECT TUMBLE(it, 1) AS ws, count(*) AS n FROM t GROUP BY TUMBLE(it, 1)`,
		[][]string{{`{"it": 9007199254740993}`}, {`{"it": 9007199254740995}`}}},
	// 2: sorted within each micro-batch only.
	{2, `SELECT j FROM t ORDER BY j`,
		[][]string{{`{"j": 2}`, `{"j": 3}`}, {`{"j": 1}`}}},
	// 3: -0.0 and 0.0.
	{3, `SELECT TUMBLE(g, 0.5) AS ws, count(*) AS n FROM t GROUP BY TUMBLE(g, 0.5)`,
		[][]string{{`{"g": -0.0}`}, {`{"g": 0.0}`}}},
	{3, `SELECT HOP(g, 0.5, 1) AS ws, count(*) AS n FROM t GROUP BY HOP(g, 0.5, 1)`,
		[][]string{{`{"g": -0.0}`}, {`{"g": 0.0}`}}},
	{3, `SELECT TUMBLE(ts, 1) AS ws, count(*) AS n FROM t GROUP BY TUMBLE(ts, 1)`,
		[][]string{{`{"ts": 0}`}, {`{"ts": -0.0}`}}},
	// 4: BIGINT IN (BIGINT) through DOUBLE.
	{4, `SELECT id FROM t WHERE i IN (9007199254740993)`,
		[][]string{{`{"id": 1, "i": 9007199254740992}`, `{"id": 2, "i": 9007199254740993}`}}},
	// 5: SUM of BIGINT.
	{5, `SELECT sum(i) + 1 AS s FROM t`, // fails after the first file alone, not over both at once
		[][]string{{`{"i": 9223372036854775807}`}, {`{"i": 1}`}}},
	{5, `SELECT -sum(i) AS c4 FROM t GROUP BY HOP(ts, 0.1, 0.3)`, // seed 739
		[][]string{{`{"id": 10, "ts": 3.4, "i": -9223372036854775808}`}}},
	// 6: sessions over BIGINT times beyond 2^53.
	{6, `SELECT count(k) AS c4 FROM t GROUP BY SESSION(it, 1)`, // seed 643
		[][]string{{`{"id": 20, "it": 1152921504606846993, "k": "a"}`, `{"id": 22, "it": 1152921504606846993, "k": "a"}`}}},
	// 7: sessions with a gap not exact in binary.
	{7, `SELECT max(substr(k, 1, 10)) AS c3 FROM t GROUP BY SESSION(ts, 0.1)`, // seed 26
		[][]string{{`{"id": 25, "ts": 0.6, "k": " a"}`, `{"id": 27, "ts": 0.5, "k": "9"}`}}},
	// 8: a NaN with its sign bit set, as text.
	{8, `SELECT concat(min(substr(s, 0)), min((CAST(g AS DOUBLE) % f))) AS c3 FROM t GROUP BY TUMBLE(at, 10), b`, // seed 407
		[][]string{{`{"id": 7, "at": "2024-01-01 00:00:03", "f": -0.0, "g": -2.75, "s": "2024-01-01 00:00:00.6", "b": true}`}}},
	// 9: BIGINT IN a list holding a DOUBLE.
	{9, `SELECT min(NOT (b)) AS c2 FROM t WHERE i IN (0.3, 9223372036854775807, 1.5e15) GROUP BY i`, // seed 130
		[][]string{{`{"id": 16, "i": 9223372036854775806, "b": true}`}}},
	// 10: BETWEEN's bound evaluated where DuckDB does not evaluate it.
	{10, `SELECT count(*) AS n FROM t WHERE TRY_CAST(k AS BIGINT) BETWEEN -1 AND (i + it)`, // seed 1391
		[][]string{{`{"id": 26, "it": 9007199254740999, "i": 9223372036854775807, "k": "z_"}`}}},
	// 11: errors DuckDB never raises: LIMIT 0, a HAVING that folds to NULL.
	{11, `SELECT coalesce(CAST(NULL AS VARCHAR), k) AS c0 FROM t WHERE CAST(substr(k, 1, 0) AS BIGINT) <= least(k, substring(s, 0, 10)) LIMIT 0`, // seed 956
		[][]string{{`{"id": 40, "s": "abc", "k": "\\x"}`}}},
	{11, `SELECT max(CAST(f AS BIGINT)) AS c5 FROM t GROUP BY TUMBLE(at, INTERVAL 0.05 SECOND), i HAVING 'abc' <> CASE count(DISTINCT g) WHEN 42 THEN i WHEN 7 THEN count(DISTINCT length(k)) ELSE 42 END`, // seed 1217
		[][]string{{`{"at": "2024-01-01 00:00:01.2", "i": -4611686018427387904, "f": -1e308, "g": -0.625}`}}},
	// 12: sums beyond BIGINT sorted through DOUBLE.
	{12, `SELECT j AS c1, sum(i) AS c3 FROM t GROUP BY j ORDER BY c3`, // seed 1861
		[][]string{{`{"i": 9223372036854775807, "j": 2}`, `{"i": 9223372036854775806, "j": 9}`, `{"i": 1, "j": 2}`}}},
	// 13: an output expression failing on a group's state midway.
	{13, `SELECT CAST(avg(i) AS BIGINT) AS c1 FROM t GROUP BY HOP(at, 0.3, 1)`, // seed 2026
		[][]string{{`{"id": 1, "at": "2024-01-01 00:00:00.029", "i": 9223372036854775806}`}, {`{"id": 2, "at": "2024-01-01 00:00:00.015", "i": -100}`}}},
	// 14: substr from a start before the beginning follows DuckDB's
	// general rule.
	{14, `SELECT substring(k, j, 2) AS c1, substr(k, -5, 2) AS c2, substr(k, j) AS c3 FROM t`,
		[][]string{{`{"j": -5, "k": "abc"}`, `{"j": -4, "k": "abc"}`, `{"j": 0, "k": "abc"}`}}},
	{14, `SELECT substring('abc', -5, 2) AS c1, substr('abc', -4, 3) AS c2, substr('abc', j) AS c3 FROM t`,
		[][]string{{`{"j": -5}`}}},
	{14, `SELECT substring('é€b', j, 2) AS c1, substring(concat(k, 'c'), j, 2) AS c2 FROM t`,
		[][]string{{`{"j": -5, "k": "ab"}`, `{"j": -4, "k": "ab"}`}}},
	// 14: a start outside a string DuckDB proves ASCII (DuckDB 1.1.3 ran
	// an ASCII substring that clamped it into the string; 2.0 does not).
	{14, `SELECT substring('abc', j, 2) AS c1 FROM t`, // seed 2177
		[][]string{{`{"j": -5}`}}},
	{14, `SELECT substr('abc', -5, j) AS c1 FROM t`,
		[][]string{{`{"j": 2}`}}},
	{14, `SELECT substr('42', 10, j) AS c1 FROM t`, // seed 8588
		[][]string{{`{"j": -8}`}}},
	{14, `SELECT substr(CASE WHEN b THEN 'abc' ELSE 'xyz' END, -5, 2) AS c1 FROM t`,
		[][]string{{`{"b": true}`}}},
	// 15: the baseline casts a string in a numeric IN list, and fails.
	// 15: string literals in an IN list of numbers are cast to its type,
	// as in DuckDB (refusals holds the ones that are not numbers).
	{15, `SELECT count(*) AS n FROM t GROUP BY k HAVING NULL IN (' 7 ', 1e308)`,
		[][]string{{`{"k": "a"}`}}},
	{15, `SELECT id FROM t WHERE i IN ('1.5', '1e3', 3) OR j NOT IN ('42', 2.5)`,
		[][]string{{`{"id": 1, "i": 2, "j": 42}`, `{"id": 2, "i": 1, "j": 3}`, `{"id": 3, "i": 1000, "j": 42}`, `{"id": 4, "i": 7}`}}},
	// 17: SELECT DISTINCT of a constant, rendered as GROUP BY 7.
	{17, `SELECT DISTINCT 100 AS c0 FROM t WHERE FALSE ORDER BY c0 DESC`, // seed 9591
		[][]string{{`{"j": 1}`}}},
	// 18: the JSON integer -0 in a DOUBLE field.
	{18, `SELECT CAST(g AS VARCHAR) AS s, 1 / g AS r FROM t`,
		[][]string{{`{"g": -0}`}}},
	// 19: ln's last bit.
	{19, `SELECT concat(replace(k, '%', 'é'), ln(abs(g) + 1)) AS c0 FROM t`, // seed 15797
		[][]string{{`{"g": -4.375, "k": "\u00e9"}`}}},
	{19, `SELECT HOP_END(ts, 1, 3) AS we, ln(abs(g) + 1) AS c3 FROM t GROUP BY HOP(ts, 1, 3), ln(abs(g) + 1)`, // seed 7022
		[][]string{{`{"ts": 1700000000.09, "g": -4.125}`}}},
	// 10, again: IN evaluates items after a match.
	{10, `SELECT count(*) AS n FROM t WHERE sign(ts) IN (CAST(k AS BIGINT), 1.0)`, // seed 13357
		[][]string{{`{"ts": 172800.02, "k": " a"}`}}},
	// 13, again: HAVING passes midway, and the SELECT list fails.
	{13, `SELECT concat(min(right(s, -2)), CAST(k AS BIGINT)) AS c3 FROM t GROUP BY k HAVING sign(sum(g * 2)) IN (7, 1, NULL, 2)`, // seed 15461
		[][]string{{`{"g": 0.75, "s": " ", "k": "A"}`}, {`{"g": -2, "s": "f", "k": "A"}`}}},
	// 16: a checkpoint loses the sign of -0.0 (gob leaves out zero values).
	{16, `SELECT CAST(g AS VARCHAR) AS gs, count(*) AS n FROM t GROUP BY g`,
		[][]string{{`{"g": -0.0}`}, {`{"g": 1}`}}},
	{16, `SELECT coalesce(CASE min(CASE WHEN b THEN k WHEN b THEN k ELSE '' END) WHEN '\' THEN min(left(k, 0)) WHEN '+7' THEN 'é' END, concat(min(concat(s, 'é')), g)) AS c4 FROM t GROUP BY TUMBLE(at, 1), g`, // seed 4085
		[][]string{{`{"id": 2, "ts": 4.8, "at": "2024-01-01 00:00:08.7", "i": 9007199254740993, "j": 0, "g": -0.0, "s": "a_b", "k": "\u00e9", "b": false}`, `{"at": "2024-01-01 00:00:09.5", "g": 1}`}}},
}
