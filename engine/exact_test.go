package engine

import (
	"bytes"
	"encoding/gob"
	"math"
	"math/big"
	"slices"
	"strings"
	"testing"

	"brook/sql"
	"brook/value"
)

// exactSchema is the table of the tests of this file: a group key k, a
// BIGINT v, a DOUBLE x and a VARCHAR s.
var exactSchema = catalog{
	{Name: "k", Type: value.String}, {Name: "v", Type: value.Int},
	{Name: "x", Type: value.Float}, {Name: "s", Type: value.String},
}

// everyCut calls fn with every way of cutting n rows into consecutive
// non-empty batches, as the batches' lengths.
func everyCut(n int, fn func(lens []int)) {
	for mask := 0; mask < 1<<(n-1); mask++ { // bit i: a cut after row i
		var lens []int
		last := 0
		for i := 0; i < n-1; i++ {
			if mask&(1<<i) != 0 {
				lens = append(lens, i+1-last)
				last = i + 1
			}
		}
		lens = append(lens, n-last)
		fn(lens)
	}
}

// sortedLines renders rows one per line, sorted.
func sortedLines(rows [][]value.Value) string {
	lines := strings.Split(strings.TrimSuffix(render(rows), "\n"), "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}

// unsignZeros turns the cells -0.0 of rendered rows into 0.0.
func unsignZeros(text string) string {
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		cells := strings.Split(line, " | ")
		for j, c := range cells {
			if c == "-0.0" {
				cells[j] = "0.0"
			}
		}
		lines[i] = strings.Join(cells, " | ")
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// requireEveryCut runs query over lines cut into batches in every possible
// way, in complete mode (so that every batch's result is computed, and any
// error on the way surfaces), three ways: Add, pre-aggregating each batch
// in Partials (one per row) merged in order, and Add with the state
// checkpointed (Snapshot, gob, Restore into a new query) after every batch.
// The final result must be want (rows sorted) every time.
func requireEveryCut(t *testing.T, query string, lines []string, want string) {
	t.Helper()
	p, err := sql.Build(query, exactSchema)
	if err != nil {
		t.Fatal(err)
	}
	everyCut(len(lines), func(lens []int) {
		for _, how := range []string{"add", "partials", "checkpoints"} {
			q, err := New(p, Options{Mode: Complete, KeepFinal: true})
			if err != nil {
				t.Fatal(err)
			}
			if how == "partials" && q.NewPartial() == nil {
				continue
			}
			at := 0
			for _, n := range lens {
				batch := lines[at : at+n]
				at += n
				switch how {
				case "partials":
					for _, line := range batch {
						part := q.NewPartial()
						if err := part.Add(decodeLines(t, p, line)); err != nil {
							t.Fatalf("%s, batches of %v rows, partials: %v", query, lens, err)
						}
						q.Merge(part)
					}
					_, err = q.Emit()
				default:
					_, err = q.Process(decodeLines(t, p, batch...))
				}
				if err != nil {
					t.Fatalf("%s, batches of %v rows, %s: %v", query, lens, how, err)
				}
				if how == "checkpoints" {
					q = restored(t, p, q)
				}
			}
			rows, err := q.Final()
			if err != nil {
				t.Fatalf("%s, batches of %v rows, %s: %v", query, lens, how, err)
			}
			got, want := sortedLines(rows), want
			if how == "checkpoints" {
				// gob leaves out a field that is zero, -0 included: a
				// restored -0.0 reads back as 0.0, the same value.
				got, want = unsignZeros(got), unsignZeros(want)
			}
			if got != want {
				t.Errorf("%s, batches of %v rows, %s: got\n%swant\n%s", query, lens, how, got, want)
			}
		}
	})
}

// restored returns a new query holding q's state, taken through gob as a
// checkpoint takes it.
func restored(t *testing.T, p *sql.Plan, q *Query) *Query {
	t.Helper()
	s, err := q.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(s); err != nil {
		t.Fatal(err)
	}
	var back Snapshot
	if err := gob.NewDecoder(&buf).Decode(&back); err != nil {
		t.Fatal(err)
	}
	r, err := New(p, Options{Mode: Complete, KeepFinal: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Restore(&back); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSignedZeroAndNaNGroups: -0.0 and 0.0 are one group, one window and
// one distinct value, and so are all NaNs, as in DuckDB (which keeps the
// first value it met as the group's key), however the rows are cut into
// batches.
func TestSignedZeroAndNaNGroups(t *testing.T) {
	zeros := []string{
		`{"k": "A", "x": -0.0, "s": "-nan"}`, `{"k": "A", "x": 5.0, "s": "nan"}`,
		`{"k": "A", "x": 0.0, "s": "NaN"}`, `{"k": "B", "x": 0.0, "s": "1"}`, `{"k": "A", "x": -0.0, "s": "nan"}`,
	}
	for _, c := range []struct{ query, want string }{
		{"SELECT k, x, count(*) AS n FROM t GROUP BY k, x", "A | -0.0 | 3\nA | 5.0 | 1\nB | 0.0 | 1\n"},
		{"SELECT x, count(*) AS n FROM t GROUP BY x", "-0.0 | 4\n5.0 | 1\n"},
		{"SELECT k, count(DISTINCT x) AS n FROM t GROUP BY k", "A | 2\nB | 1\n"},
		{"SELECT count(DISTINCT x) AS n, count(DISTINCT TRY_CAST(s AS DOUBLE)) AS nans FROM t", "2 | 2\n"},
		{"SELECT TRY_CAST(s AS DOUBLE) AS d, count(*) AS n FROM t GROUP BY 1", "-nan | 4\n1.0 | 1\n"},
		{"SELECT TUMBLE(x, 10) AS w, count(*) AS n FROM t GROUP BY TUMBLE(x, 10)", "-0.0 | 5\n"},
		{"SELECT TUMBLE(x, 1) AS w, count(*) AS n FROM t GROUP BY TUMBLE(x, 1)", "-0.0 | 4\n5.0 | 1\n"},
		{"SELECT k, TUMBLE(x, 10) AS w, count(*) AS n FROM t GROUP BY k, TUMBLE(x, 10)", "A | -0.0 | 4\nB | 0.0 | 1\n"},
		{"SELECT k, HOP(x, 5, 10) AS w, count(*) AS n FROM t GROUP BY k, HOP(x, 5, 10)", "A | -0.0 | 4\nA | -5.0 | 3\nA | 5.0 | 1\nB | -5.0 | 1\nB | 0.0 | 1\n"},
	} {
		requireEveryCut(t, c.query, zeros, c.want)
	}
}

// TestInExactIntegers: a BIGINT IN a list of BIGINTs compares exactly, as =
// does, and IN a list holding a DOUBLE compares every item as a DOUBLE, as
// DuckDB casts the list to its common type; the same for the decoders'
// filter, the general path and every cut of the input.
func TestInExactIntegers(t *testing.T) {
	lines := []string{
		`{"k": "a", "v": 9007199254740992, "x": 2.5}`, `{"k": "a", "v": 9007199254740993, "x": 9007199254740993}`,
		`{"k": "b", "v": 9007199254740991}`, `{"k": "b", "v": -9007199254740992}`, `{"k": "a", "v": 1}`,
	}
	for _, c := range []struct{ query, want string }{
		// exact: only 9007199254740993 itself
		{"SELECT k, count(*) AS n FROM t WHERE v IN (9007199254740993, 7) GROUP BY k", "a | 1\n"},
		{"SELECT k, count(*) AS n FROM t WHERE v NOT IN (9007199254740993) GROUP BY k", "a | 2\nb | 2\n"},
		{"SELECT k, count(*) AS n FROM t WHERE v IN (9007199254740993 + 0, NULL, 7) GROUP BY k", "a | 1\n"},
		{"SELECT k, count(*) AS n FROM t WHERE v IN (-9007199254740993, 1, 2, 3, 4, 5, 6, 7, 8, 9) GROUP BY k", "a | 1\n"},
		// as DOUBLEs: 9007199254740992 and 9007199254740993 are both 2^53
		{"SELECT k, count(*) AS n FROM t WHERE v IN (9007199254740993, 2.5) GROUP BY k", "a | 2\n"},
		{"SELECT k, count(*) AS n FROM t WHERE v NOT IN (9007199254740993, 0.5) GROUP BY k", "a | 1\nb | 2\n"},
		{"SELECT k, count(*) AS n FROM t WHERE v IN (9007199254740993 + 0, x) GROUP BY k", "a | 2\n"},
		{"SELECT sum(CASE WHEN v IN (9007199254740993) THEN 1 ELSE 0 END) AS e, sum(CASE WHEN v IN (9007199254740993, 1.5) THEN 1 ELSE 0 END) AS d FROM t", "1 | 2\n"},
	} {
		requireEveryCut(t, c.query, lines, c.want)
	}

	// the decoders' filter keeps what the general path keeps
	vals := []value.Value{value.IntValue(9007199254740992), value.IntValue(9007199254740993), value.IntValue(9007199254740994),
		value.IntValue(-9007199254740992), value.IntValue(-9007199254740993), value.IntValue(1), value.IntValue(math.MaxInt64),
		value.IntValue(math.MinInt64), value.NullValue}
	for _, query := range []string{
		"SELECT v FROM t WHERE v IN (9007199254740993, 7)", "SELECT v FROM t WHERE v NOT IN (9007199254740993)",
		"SELECT v FROM t WHERE v IN (-9007199254740993, 1, 2, 3, 4, 5, 6, 7, 8, 9223372036854775807)",
		"SELECT v FROM t WHERE v IN (9007199254740993, 2.5)", "SELECT v FROM t WHERE v NOT IN (-9007199254740993, 2.5)",
		"SELECT v FROM t WHERE v IN (9223372036854775807, 1.5)",
	} {
		p, err := sql.Build(query, exactSchema)
		if err != nil {
			t.Fatal(err)
		}
		in := p.Where.(*sql.In)
		keep := inNumbersFilter(in)
		if keep == nil {
			t.Fatalf("%s: no fast filter", query)
		}
		// the same list with an item that is not a literal: the general path
		general := &sql.In{X: in.X, List: append([]sql.Expr{&sql.Binary{Op: "+", L: in.List[0], R: &sql.Literal{Val: value.IntValue(0)}, Typ: in.List[0].Type()}}, in.List[1:]...), Not: in.Not}
		f, err := (&compiler{st: &evalState{}}).compileFilter(general, whereFilter)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			row := make([]value.Value, len(p.Columns))
			row[in.X.(*sql.ColumnRef).Slot] = v
			if got, want := keep(row), f(row).True(); got != want {
				t.Errorf("%s with %s: the decoders' filter keeps %v, the general path %v", query, v.Format(), got, want)
			}
		}
	}
}

// TestSumHugeint: SUM over BIGINT is a HUGEINT, as in DuckDB: a sum that
// some prefix of the input takes beyond BIGINT's range, and arithmetic on
// it, never fail, and the final answer is the same however the input is cut
// into batches (pre-aggregated in partials, checkpointed). A result beyond
// BIGINT is the exact integer (a value.Huge).
func TestSumHugeint(t *testing.T) {
	const max, negMax = `9223372036854775807`, `-9223372036854775807`
	lines := []string{
		`{"k": "a", "v": ` + max + `}`, `{"k": "b", "v": ` + negMax + `}`, `{"k": "a", "v": ` + max + `}`,
		`{"k": "a", "v": ` + negMax + `}`, `{"k": "b", "v": ` + negMax + `}`, `{"k": "a", "v": ` + negMax + `}`, `{"k": "a", "v": 7}`,
	}
	for _, c := range []struct{ query, want string }{
		{"SELECT k, sum(v) AS s, sum(v) + 1 AS s1, sum(v) - 1 AS s2, -sum(v) AS s3, abs(sum(v)) AS s4, sum(v) * 2 AS s5, avg(v) AS a FROM t GROUP BY k",
			"a | 7 | 8 | 6 | -7 | 7 | 14 | 1.4\n" +
				"b | -18446744073709551614 | -18446744073709551613 | -18446744073709551615 | 18446744073709551614 | 18446744073709551614 | -36893488147419103228 | -9.223372036854776e+18\n"},
		{"SELECT k, sum(v) % 4 AS m, sum(v) % -1 AS m1 FROM t WHERE k = 'a' GROUP BY k", "a | 3 | 0\n"},
		{"SELECT k, count(*) AS n FROM t GROUP BY k HAVING sum(v) + 1 > 0", "a | 5\n"},
		{"SELECT sum(v) + 1 AS s, coalesce(sum(v), 0) - 1 AS c, sum(v) * 3 AS m FROM t WHERE k = 'a'", "8 | 6 | 21\n"},
		// arithmetic on a sum beyond BIGINT is exact HUGEINT arithmetic,
		// and a result back within BIGINT is a BIGINT again
		{"SELECT k, sum(v) + 9223372036854775807 AS s, sum(v) - 9223372036854775807 AS d, sum(v) - 9223372036854775807 - 9223372036854775807 AS e FROM t WHERE v > 0 GROUP BY k", "a | 27670116110564327428 | 9223372036854775814 | 7\n"},
		// a Huge value sorts, groups and compares exactly
		{"SELECT k, sum(v) AS s FROM t GROUP BY k HAVING sum(v) + 9223372036854775807 < 0 ORDER BY s", "b | -18446744073709551614\n"},
	} {
		requireEveryCut(t, c.query, lines, c.want)
	}
}

// TestInt128: the 128-bit sums, differences, products and negations of
// BIGINTs at and about their limits are exact.
func TestInt128(t *testing.T) {
	vals := []int64{0, 1, -1, 2, -2, 7, -7, 1 << 32, -(1 << 32), 1<<53 + 1, math.MaxInt64, math.MaxInt64 - 1, math.MinInt64, math.MinInt64 + 1}
	big128 := func(x int128) *big.Int {
		b := new(big.Int).Lsh(big.NewInt(x.hi), 64)
		return b.Add(b, new(big.Int).SetUint64(x.lo))
	}
	for _, x := range vals {
		for _, y := range vals {
			bx, by := big.NewInt(x), big.NewInt(y)
			s := wide(x)
			s.add(y)
			d := wide(x)
			d.addWide(wide(y).neg())
			for _, c := range []struct {
				op        string
				got, want *big.Int
			}{
				{"+", big128(s), new(big.Int).Add(bx, by)},
				{"-", big128(d), new(big.Int).Sub(bx, by)},
				{"*", big128(mul64(x, y)), new(big.Int).Mul(bx, by)},
				{"neg", big128(wide(x).neg()), new(big.Int).Neg(bx)},
			} {
				if c.got.Cmp(c.want) != 0 {
					t.Errorf("%d %s %d = %v, want %v", x, c.op, y, c.got, c.want)
				}
			}
			if v := hugeValue(mul64(x, y)); new(big.Int).Mul(bx, by).IsInt64() != (v.Kind == value.Int) {
				t.Errorf("%d * %d: %s, a BIGINT exactly when it fits one", x, y, v.Format())
			}
		}
	}
}
