package repl

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"brook/baseline"
	"brook/value"
)

// Output modes (.mode), as the DuckDB CLI names them.
var modes = []string{"table", "line", "csv", "tabs", "list", "json", "jsonlines", "markdown"}

// modeAliases are other names of the modes.
var modeAliases = map[string]string{"duckbox": "table", "box": "table", "ndjson": "jsonlines", "md": "markdown", "tsv": "tabs"}

// DefaultMaxRows is how many rows a table shows at most by default (the
// first half and the last half of them), as the DuckDB CLI does.
const DefaultMaxRows = 40

// display holds the settings that shape results.
type display struct {
	mode     string // one of modes
	expanded bool   // \x: one record per block, "column | value"
	maxRows  int    // 0: every row
	pager    string // "": none; else a shell command
	timer    bool
	// file, when set (\o FILE, .output FILE), receives results instead
	// of the terminal; results sent there are never capped.
	file     *os.File
	fileName string
}

// capped reports whether results are capped to maxRows.
func (d *display) capped() bool {
	return d.maxRows > 0 && d.file == nil && (d.mode == "table" || d.mode == "line")
}

// result collects a statement's rows for printing: all of them, or, when
// capped, the first and the last rows (at most limit in all) and how many
// there were, so that a result of any size costs little memory.
type result struct {
	cols  []baseline.Column
	limit int // 0: keep every row
	head  [][]value.Value
	tail  [][]value.Value // a ring of the last rows once head is full
	next  int             // the oldest row of tail
	total int64
}

func (r *result) add(row []value.Value) {
	r.total++
	row = append([]value.Value(nil), row...)
	if r.limit <= 0 || len(r.head) < (r.limit+1)/2 {
		r.head = append(r.head, row)
		return
	}
	if len(r.tail) < r.limit/2 {
		r.tail = append(r.tail, row)
		return
	}
	if len(r.tail) == 0 {
		return
	}
	r.tail[r.next] = row
	r.next = (r.next + 1) % len(r.tail)
}

// rows returns the rows to show, in order, and whether some were left out
// between the first and the last ones.
func (r *result) rows() (head, tail [][]value.Value, gap bool) {
	tail = append(append([][]value.Value(nil), r.tail[r.next:]...), r.tail[:r.next]...)
	return r.head, tail, int64(len(r.head)+len(tail)) < r.total
}

// cellText is a cell as a table shows it: NULL for nulls, line breaks and
// tabs escaped so that a row keeps to one line.
func cellText(v value.Value) string {
	s := v.Format()
	if strings.ContainsAny(s, "\n\r\t") {
		s = strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s)
	}
	return s
}

// renderTable writes r as an aligned table: columns as wide as their
// widest cell, numbers to the right; when rows were left out, a row of
// dots marks where, and the footer says how many rows there were. With a
// width (the terminal's; 0: none), a table wider than that shows, as the
// DuckDB CLI does, the first and the last columns that fit with a "…"
// column between them, and says how many columns there were.
func renderTable(w io.Writer, r *result, width int) {
	head, tail, gap := r.rows()
	n := len(r.cols)
	widths := make([]int, n)
	for c, col := range r.cols {
		widths[c] = max(utf8.RuneCountInString(col.Name), 1)
	}
	text := func(rows [][]value.Value) [][]string {
		out := make([][]string, len(rows))
		for i, row := range rows {
			out[i] = make([]string, n)
			for c := range n {
				out[i][c] = cellText(row[c])
				widths[c] = max(widths[c], utf8.RuneCountInString(out[i][c]))
			}
		}
		return out
	}
	top, bottom := text(head), text(tail)
	show := fitColumns(widths, width) // column indexes, -1 for "…"
	var b strings.Builder
	sep := func() {
		b.WriteByte('+')
		for _, c := range show {
			if c < 0 {
				b.WriteByte('-')
			} else {
				b.WriteString(strings.Repeat("-", widths[c]))
			}
			b.WriteByte('+')
		}
		b.WriteByte('\n')
	}
	line := func(cell func(c int) string, right bool) {
		b.WriteByte('|')
		for _, c := range show {
			if c < 0 {
				b.WriteString("…|")
				continue
			}
			text := cell(c)
			pad := strings.Repeat(" ", widths[c]-utf8.RuneCountInString(text))
			if right && r.cols[c].Numeric {
				b.WriteString(pad + text)
			} else {
				b.WriteString(text + pad)
			}
			b.WriteByte('|')
		}
		b.WriteByte('\n')
	}
	sep()
	line(func(c int) string { return r.cols[c].Name }, false)
	sep()
	for _, cells := range top {
		line(func(c int) string { return cells[c] }, true)
	}
	if gap {
		for range 3 {
			line(func(int) string { return "·" }, true)
		}
	}
	for _, cells := range bottom {
		line(func(c int) string { return cells[c] }, true)
	}
	sep()
	fmt.Fprint(w, b.String())
	footer := rowCount(r.total, len(head)+len(tail), gap)
	if slices.Contains(show, -1) {
		footer += fmt.Sprintf(", %d columns (%d shown)", n, len(show)-1)
	}
	fmt.Fprintln(w, footer)
}

// fitColumns chooses the columns of a table no wider than width: all of
// them when they fit (or width is 0), else as many of the first and the
// last as fit, alternately, with -1 (a "…" column) between them.
func fitColumns(widths []int, width int) []int {
	all := make([]int, len(widths))
	total := 1
	for c, wd := range widths {
		all[c] = c
		total += wd + 1
	}
	if width <= 0 || total <= width || len(widths) < 2 {
		return all
	}
	used := 1 + 2 // the borders and the "…" column
	var left, right []int
	for l, r := 0, len(widths)-1; l <= r; {
		c := l
		if len(right) < len(left) {
			c = r
		}
		if used+widths[c]+1 > width && len(left)+len(right) > 0 {
			break
		}
		used += widths[c] + 1
		if c == l {
			left = append(left, c)
			l++
		} else {
			right = append(right, c)
			r--
		}
	}
	slices.Reverse(right)
	return append(append(left, -1), right...)
}

// rowCount is a result's footer: "(3 rows)", or "500,000 rows (40 shown)"
// when rows were left out.
func rowCount(total int64, shown int, gap bool) string {
	if gap {
		return fmt.Sprintf("%s rows (%d shown)", groupDigits(total), shown)
	}
	if total == 1 {
		return "(1 row)"
	}
	return fmt.Sprintf("(%d rows)", total)
}

// groupDigits writes n with its thousands separated by commas.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// renderRecords writes r one record per block, as psql's expanded display
// (\x) does ("-[ RECORD 1 ]", then "column | value" lines), or, in line
// mode, as the DuckDB CLI does ("column = value", a blank line between
// records).
func renderRecords(w io.Writer, r *result, lineMode bool) {
	head, tail, gap := r.rows()
	width := 0
	for _, c := range r.cols {
		width = max(width, utf8.RuneCountInString(c.Name))
	}
	record := func(num int64, row []value.Value) {
		if lineMode {
			if num > 1 {
				fmt.Fprintln(w)
			}
			for c, col := range r.cols {
				fmt.Fprintf(w, "%*s = %s\n", width, col.Name, cellText(row[c]))
			}
			return
		}
		fmt.Fprintf(w, "-[ RECORD %d ]%s\n", num, strings.Repeat("-", max(width+3-len(strconv.FormatInt(num, 10)), 1)))
		for c, col := range r.cols {
			fmt.Fprintf(w, "%-*s | %s\n", width, col.Name, cellText(row[c]))
		}
	}
	for i, row := range head {
		record(int64(i+1), row)
	}
	if gap {
		fmt.Fprintf(w, "%s\n", "·\n·\n·")
	}
	for i, row := range tail {
		record(r.total-int64(len(tail)-i)+1, row)
	}
	if len(r.cols) > 0 && r.total == 0 {
		fmt.Fprintln(w, "(0 rows)")
	} else if gap {
		fmt.Fprintln(w, rowCount(r.total, len(head)+len(tail), gap))
	}
}

// streamWriter prints the rows of the export modes (csv, tabs, list, json,
// jsonlines, markdown) one by one as they come, never capped.
type streamWriter struct {
	w    *bufio.Writer
	mode string
	cols []baseline.Column
	csv  *csv.Writer
	rows int64
}

func newStreamWriter(w io.Writer, mode string, cols []baseline.Column) *streamWriter {
	sw := &streamWriter{w: bufio.NewWriterSize(w, 64<<10), mode: mode, cols: cols}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	switch mode {
	case "csv", "tabs":
		sw.csv = csv.NewWriter(sw.w)
		if mode == "tabs" {
			sw.csv.Comma = '\t'
		}
		sw.csv.Write(names)
	case "list":
		fmt.Fprintln(sw.w, strings.Join(names, "|"))
	case "markdown":
		fmt.Fprintf(sw.w, "| %s |\n|%s\n", strings.Join(names, " | "), strings.Repeat("---|", len(names)))
	case "json":
		sw.w.WriteString("[")
	}
	return sw
}

// row writes one row.
func (sw *streamWriter) row(row []value.Value) error {
	sw.rows++
	switch sw.mode {
	case "csv", "tabs":
		rec := make([]string, len(row))
		for i, v := range row {
			if !v.IsNull() {
				rec[i] = v.Format()
			}
		}
		return sw.csv.Write(rec)
	case "list":
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = cellText(v)
		}
		_, err := fmt.Fprintln(sw.w, strings.Join(cells, "|"))
		return err
	case "markdown":
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = strings.ReplaceAll(cellText(v), "|", `\|`)
		}
		_, err := fmt.Fprintf(sw.w, "| %s |\n", strings.Join(cells, " | "))
		return err
	}
	var b []byte
	if sw.mode == "json" {
		if sw.rows > 1 {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	b = append(b, '{')
	for i, v := range row {
		if i > 0 {
			b = append(b, ',')
		}
		key, _ := json.Marshal(sw.cols[i].Name)
		b = append(append(b, key...), ':')
		val, err := json.Marshal(v.JSON())
		if err != nil {
			return err
		}
		b = append(b, val...)
	}
	b = append(b, '}')
	if sw.mode == "jsonlines" {
		b = append(b, '\n')
	}
	_, err := sw.w.Write(b)
	return err
}

// end finishes the output.
func (sw *streamWriter) end() error {
	if sw.csv != nil {
		sw.csv.Flush()
	}
	if sw.mode == "json" {
		if sw.rows > 0 {
			sw.w.WriteString("\n")
		}
		sw.w.WriteString("]\n")
	}
	return sw.w.Flush()
}

// ctxWriter writes to w until ctx ends (Ctrl-C), in pieces small enough
// that printing stops soon after.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (cw ctxWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if err := cw.ctx.Err(); err != nil {
			return n, err
		}
		k := min(len(p), 4096)
		m, err := cw.w.Write(p[:k])
		n += m
		if err != nil {
			return n, err
		}
		p = p[k:]
	}
	return n, nil
}

// page writes text through the pager command when it is taller than the
// screen (rows lines), and straight to w otherwise. It reports whether the
// pager took it.
func page(ctx context.Context, command string, text string, rows int, w io.Writer, stdout *os.File) (bool, error) {
	if command == "" || stdout == nil || rows <= 0 || strings.Count(text, "\n") < rows-1 {
		return false, nil
	}
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	cmd.Stdin = strings.NewReader(text)
	cmd.Stdout, cmd.Stderr = stdout, stdout
	if err := cmd.Run(); err != nil && ctx.Err() == nil {
		return true, fmt.Errorf("pager %q: %w", command, err)
	}
	return true, nil
}
