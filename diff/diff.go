package diff

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"brook/value"
)

// DefaultTolerance is the relative tolerance for doubles.
const DefaultTolerance = 1e-9

// Side describes what one executor read and produced.
type Side struct {
	RowsRead   int64 `json:"rows_read"`   // input records
	Rejected   int64 `json:"rejected"`    // input lines (and unreadable files) not read as records
	ResultRows int   `json:"result_rows"` // rows in the final result
	// Blank counts blank lines skipped: neither records nor rejected.
	Blank int64 `json:"blank_lines"`
	// Reasons breaks Rejected down by class of reason.
	Reasons []RejectReason `json:"reject_reasons,omitempty"`
	// RejectedHow says how this side came to leave the lines out, e.g.
	// that the baseline read copies without them.
	RejectedHow string `json:"rejected_how,omitempty"`
}

// RejectReason counts the input lines (or files) rejected for one class
// of reason.
type RejectReason struct {
	Reason  string `json:"reason"`
	Count   int64  `json:"count"`
	Example string `json:"example"` // the first one: file:line: the full reason
}

// Difference is one value that differs between the two results.
type Difference struct {
	Key      []value.Value
	Column   string
	Stream   value.Value
	Baseline value.Value
	Row      []value.Value // the baseline's row
}

// Explained is a difference that is expected, with the reason.
type Explained struct {
	What string        // "missing in stream", "extra in stream" or "value differs"
	Row  []value.Value // the row (the baseline's, for a value that differs)
}

// Report is the outcome of a comparison.
type Report struct {
	Equal      bool
	Columns    []string
	KeyColumns []string // empty: rows compared whole
	Tolerance  float64
	Stream     Side
	Baseline   Side
	Missing    [][]value.Value // in the baseline, not in the stream
	Extra      [][]value.Value // in the stream, not in the baseline
	Differs    []Difference
	Notes      []string
	// Explained lists differences expected because of late data: rows the
	// stream dropped behind its watermark, which the baseline counted.
	Explained []Explained
	Why       string // why the Explained differences are expected
	Strict    bool   // explained differences still count as failures

	// Ordered says the rows were compared in order too (CheckOrder);
	// OutOfOrder counts the positions where the stream's row is not the
	// baseline's, the first at OrderAt (-1: none), with both rows there.
	Ordered                    bool
	OutOfOrder                 int
	OrderAt                    int
	OrderStream, OrderBaseline []value.Value
	// NothingRead says the stream read no input rows: nothing was
	// compared, and the report is not equal (see RequireInput).
	NothingRead bool
	// Result is the baseline's result, which the report lists when the
	// two sides agree and it has at most Show rows.
	Result [][]value.Value
	Show   int

	keyCols []int // the columns rows were matched by; nil: whole rows
}

// Compare matches stream rows against baseline rows. keyCols are the
// columns that identify a row; nil compares whole rows as a multiset.
func Compare(columns []string, keyCols []int, stream, baseline [][]value.Value, tol float64) *Report {
	if tol <= 0 {
		tol = DefaultTolerance
	}
	r := &Report{Columns: columns, Tolerance: tol, OrderAt: -1, Result: baseline, Show: 20}
	r.Stream.ResultRows, r.Baseline.ResultRows = len(stream), len(baseline)
	if keyCols != nil && unique(keyCols, stream) && unique(keyCols, baseline) {
		for _, k := range keyCols {
			r.KeyColumns = append(r.KeyColumns, columns[k])
		}
		r.keyCols = keyCols
		r.compareKeyed(keyCols, stream, baseline)
	} else {
		r.compareMultiset(stream, baseline)
	}
	r.settle()
	return r
}

// settle decides whether the report is equal: nothing missing, extra,
// different or out of order, something read, and, when strict, nothing
// explained away either.
func (r *Report) settle() {
	r.Equal = len(r.Missing) == 0 && len(r.Extra) == 0 && len(r.Differs) == 0 && r.OutOfOrder == 0 &&
		!r.NothingRead && (!r.Strict || len(r.Explained) == 0)
}

// CheckOrder compares the two results position by position, for a query
// whose result is ordered (ORDER BY): when both hold the same rows, a row
// in another place is a difference. Rows at the same place agree when
// they have the same key (their values are compared by key already), or,
// compared whole, when they are equal, doubles within the tolerance.
func (r *Report) CheckOrder(stream, baseline [][]value.Value) {
	r.Ordered = true
	if len(r.Missing) > 0 || len(r.Extra) > 0 || len(stream) != len(baseline) {
		return // the rows differ already; their order says nothing more
	}
	var sk, bk []byte
	for i := range stream {
		same := false
		if r.keyCols != nil {
			sk, bk = keyOf(r.keyCols, stream[i], sk[:0]), keyOf(r.keyCols, baseline[i], bk[:0])
			same = string(sk) == string(bk)
		} else {
			same = sameRow(stream[i], baseline[i], r.Tolerance)
		}
		if !same {
			if r.OutOfOrder == 0 {
				r.OrderAt, r.OrderStream, r.OrderBaseline = i, stream[i], baseline[i]
			}
			r.OutOfOrder++
		}
	}
	r.settle()
}

// RequireInput makes a comparison over no input at all unequal: agreeing
// on the result of nothing proves nothing about the stream (an empty
// directory, a Kafka group already at the end of its topic). Call it once
// Stream.RowsRead is set.
func (r *Report) RequireInput() {
	r.NothingRead = r.Stream.RowsRead == 0
	r.settle()
}

func keyOf(keyCols []int, row []value.Value, buf []byte) []byte {
	for _, k := range keyCols {
		buf = value.AppendKey(buf, row[k])
	}
	return buf
}

func unique(keyCols []int, rows [][]value.Value) bool {
	seen := make(map[string]bool, len(rows))
	var buf []byte
	for _, row := range rows {
		buf = keyOf(keyCols, row, buf[:0])
		if seen[string(buf)] {
			return false
		}
		seen[string(buf)] = true
	}
	return true
}

func (r *Report) compareKeyed(keyCols []int, stream, baseline [][]value.Value) {
	byKey := make(map[string][]value.Value, len(stream))
	var buf []byte
	for _, row := range stream {
		buf = keyOf(keyCols, row, buf[:0])
		byKey[string(buf)] = row
	}
	isKey := map[int]bool{}
	for _, k := range keyCols {
		isKey[k] = true
	}
	for _, brow := range baseline {
		buf = keyOf(keyCols, brow, buf[:0])
		srow, ok := byKey[string(buf)]
		if !ok {
			r.Missing = append(r.Missing, brow)
			continue
		}
		delete(byKey, string(buf))
		for c := range brow {
			if !isKey[c] && !Same(srow[c], brow[c], r.Tolerance) {
				key := make([]value.Value, len(keyCols))
				for i, k := range keyCols {
					key[i] = brow[k]
				}
				r.Differs = append(r.Differs, Difference{Key: key, Column: r.Columns[c], Stream: srow[c], Baseline: brow[c], Row: brow})
			}
		}
	}
	for _, row := range stream {
		buf = keyOf(keyCols, row, buf[:0])
		if _, left := byKey[string(buf)]; left {
			r.Extra = append(r.Extra, row)
		}
	}
}

// compareMultiset sorts both sides and walks them together; rows that pair
// up within tolerance are equal, the rest are missing or extra.
func (r *Report) compareMultiset(stream, baseline [][]value.Value) {
	s := append([][]value.Value(nil), stream...)
	b := append([][]value.Value(nil), baseline...)
	sortRows(s)
	sortRows(b)
	i, j := 0, 0
	for i < len(s) && j < len(b) {
		if sameRow(s[i], b[j], r.Tolerance) {
			i++
			j++
			continue
		}
		if rowOrder(s[i], b[j]) < 0 {
			r.Extra = append(r.Extra, s[i])
			i++
		} else {
			r.Missing = append(r.Missing, b[j])
			j++
		}
	}
	r.Extra = append(r.Extra, s[i:]...)
	r.Missing = append(r.Missing, b[j:]...)
}

func sortRows(rows [][]value.Value) {
	sort.SliceStable(rows, func(i, j int) bool { return rowOrder(rows[i], rows[j]) < 0 })
}

func rowOrder(a, b []value.Value) int {
	for i := range a {
		if c := value.Order(a[i], b[i]); c != 0 {
			return c
		}
	}
	return 0
}

func sameRow(a, b []value.Value, tol float64) bool {
	for i := range a {
		if !Same(a[i], b[i], tol) {
			return false
		}
	}
	return true
}

// Same reports whether two result values agree: NULL only with NULL,
// numbers within the relative tolerance, everything else exactly.
func Same(a, b value.Value, tol float64) bool {
	if a.IsNull() || b.IsNull() {
		return a.IsNull() && b.IsNull()
	}
	if a.Kind.Numeric() && b.Kind.Numeric() {
		if (a.Kind == value.Int || a.Kind == value.Huge) && (b.Kind == value.Int || b.Kind == value.Huge) {
			return value.Equal(a, b) // exact, BIGINT and HUGEINT alike
		}
		x, _ := a.AsFloat()
		y, _ := b.AsFloat()
		if math.IsNaN(x) || math.IsNaN(y) {
			return math.IsNaN(x) && math.IsNaN(y)
		}
		if x == y {
			return true
		}
		if math.IsInf(x, 0) || math.IsInf(y, 0) {
			return false // an infinity is within no tolerance of anything else
		}
		return math.Abs(x-y) <= tol*math.Max(math.Abs(x), math.Abs(y))
	}
	return a.Kind == b.Kind && value.Equal(a, b)
}

// Explain moves the differences whose row expected says is expected into
// Explained, with the reason why; unless strict, the report is then equal
// when nothing else differs.
func (r *Report) Explain(expected func(row []value.Value) bool, why string, strict bool) {
	r.Why, r.Strict = why, strict
	keep := func(what string, rows [][]value.Value) [][]value.Value {
		var left [][]value.Value
		for _, row := range rows {
			if expected(row) {
				r.Explained = append(r.Explained, Explained{What: what, Row: row})
			} else {
				left = append(left, row)
			}
		}
		return left
	}
	r.Missing = keep("missing in stream", r.Missing)
	r.Extra = keep("extra in stream", r.Extra)
	var differs []Difference
	for _, d := range r.Differs {
		if d.Row != nil && expected(d.Row) {
			r.Explained = append(r.Explained, Explained{What: "value differs: " + d.Column + " stream=" + d.Stream.Format() + " baseline=" + d.Baseline.Format(), Row: d.Row})
		} else {
			differs = append(differs, d)
		}
	}
	r.Differs = differs
	r.settle()
}

// Summary is a one-line verdict.
func (r *Report) Summary() string {
	if r.NothingRead {
		return "NOTHING COMPARED: the stream read no input rows, so an agreement would prove nothing (an empty source, or a Kafka group already at the end of its topic?)"
	}
	if r.Equal && len(r.Explained) > 0 {
		return fmt.Sprintf("EQUAL except for late data: %d differences are explained by rows the stream dropped as late (--strict counts them)", len(r.Explained))
	}
	if r.Equal {
		if r.Baseline.ResultRows == 1 {
			return "EQUAL: stream and baseline agree on the 1 result row"
		}
		return fmt.Sprintf("EQUAL: stream and baseline agree on all %d result rows", r.Baseline.ResultRows)
	}
	if r.OutOfOrder > 0 {
		return fmt.Sprintf("DIFFERENT: the same rows in another order: %d of %d rows out of place, the first at row %d", r.OutOfOrder, r.Baseline.ResultRows, r.OrderAt+1)
	}
	if r.Strict && len(r.Explained) > 0 && len(r.Missing)+len(r.Extra)+len(r.Differs) == 0 {
		return fmt.Sprintf("DIFFERENT (strict): %d differences caused by late data", len(r.Explained))
	}
	return fmt.Sprintf("DIFFERENT: %d missing in stream, %d extra in stream, %d values differ",
		len(r.Missing), len(r.Extra), len(r.Differs))
}

// Text renders the report for people, listing at most limit rows of each
// kind of difference (0: all).
func (r *Report) Text(limit int) string {
	var b strings.Builder
	b.WriteString(r.Summary() + "\n")
	r.Stream.text(&b, "stream:  ")
	r.Baseline.text(&b, "baseline:")
	if len(r.KeyColumns) > 0 {
		fmt.Fprintf(&b, "  rows matched by key: %s\n", strings.Join(r.KeyColumns, ", "))
	} else {
		b.WriteString("  rows matched whole, as a multiset\n")
	}
	if r.Ordered {
		b.WriteString("  rows compared in order too (the query has ORDER BY)\n")
	}
	fmt.Fprintf(&b, "  doubles equal within relative tolerance %g\n", r.Tolerance)
	for _, n := range r.Notes {
		b.WriteString("  note: " + n + "\n")
	}
	section := func(title string, rows [][]value.Value) {
		if len(rows) == 0 {
			return
		}
		fmt.Fprintf(&b, "%s (%d):\n", title, len(rows))
		for i, row := range rows {
			if limit > 0 && i == limit {
				fmt.Fprintf(&b, "  ... %d more\n", len(rows)-limit)
				break
			}
			b.WriteString("  " + r.formatRow(row) + "\n")
		}
	}
	if len(r.Explained) > 0 {
		fmt.Fprintf(&b, "explained by late data (%d): %s\n", len(r.Explained), r.Why)
		for i, e := range r.Explained {
			if limit > 0 && i == limit {
				fmt.Fprintf(&b, "  ... %d more\n", len(r.Explained)-limit)
				break
			}
			b.WriteString("  " + e.What + ": " + r.formatRow(e.Row) + "\n")
		}
	}
	if r.OutOfOrder > 0 {
		fmt.Fprintf(&b, "out of order (%d rows), first at row %d:\n  stream:   %s\n  baseline: %s\n", r.OutOfOrder, r.OrderAt+1, r.formatRow(r.OrderStream), r.formatRow(r.OrderBaseline))
	}
	if r.Equal && r.shown() {
		fmt.Fprintf(&b, "result (%s, as both sides give it):\n", plural(len(r.Result), "row"))
		for _, row := range r.Result {
			b.WriteString("  " + r.formatRow(row) + "\n")
		}
	}
	section("missing in stream", r.Missing)
	section("extra in stream", r.Extra)
	if len(r.Differs) > 0 {
		fmt.Fprintf(&b, "value differs (%d):\n", len(r.Differs))
		for i, d := range r.Differs {
			if limit > 0 && i == limit {
				fmt.Fprintf(&b, "  ... %d more\n", len(r.Differs)-limit)
				break
			}
			keys := make([]string, len(d.Key))
			for k, v := range d.Key {
				keys[k] = r.KeyColumns[k] + "=" + v.Format()
			}
			fmt.Fprintf(&b, "  %s: %s stream=%s baseline=%s\n", strings.Join(keys, ", "), d.Column, d.Stream.Format(), d.Baseline.Format())
		}
	}
	return b.String()
}

// shown says the result is small enough to list (see Show).
func (r *Report) shown() bool {
	return len(r.Result) > 0 && (r.Show <= 0 || len(r.Result) <= r.Show)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// text writes the side's line of the report, and its rejects by reason.
func (s *Side) text(b *strings.Builder, name string) {
	blank := ""
	if s.Blank > 0 {
		blank = ", 1 blank line skipped"
		if s.Blank > 1 {
			blank = fmt.Sprintf(", %d blank lines skipped", s.Blank)
		}
	}
	rows := "result rows"
	if s.ResultRows == 1 {
		rows = "result row"
	}
	fmt.Fprintf(b, "  %s %d input rows read, %d rejected%s, %d %s\n", name, s.RowsRead, s.Rejected, blank, s.ResultRows, rows)
	if s.RejectedHow != "" { // the reasons are the other side's
		fmt.Fprintf(b, "    rejected: %s\n", s.RejectedHow)
		return
	}
	for _, rr := range s.Reasons {
		fmt.Fprintf(b, "    %d %s (first: %s)\n", rr.Count, rr.Reason, rr.Example)
	}
}

func (r *Report) formatRow(row []value.Value) string {
	parts := make([]string, len(row))
	for i, v := range row {
		parts[i] = r.Columns[i] + "=" + v.Format()
	}
	return strings.Join(parts, ", ")
}
