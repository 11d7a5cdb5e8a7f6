package sink

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"brook/value"
)

// Format is an output format.
type Format uint8

// Output formats.
const (
	Table Format = iota
	CSV
	JSON
)

// ParseFormat reads a --format value.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "table":
		return Table, nil
	case "csv":
		return CSV, nil
	case "json":
		return JSON, nil
	}
	return Table, fmt.Errorf("unknown format %q (want table, csv or json)", s)
}

// BatchInfo describes one micro-batch for its header.
type BatchInfo struct {
	ID       int64
	Files    int
	RowsIn   int
	Rejected int
	Elapsed  time.Duration
	// Closing marks the emission made when the input ended and every open
	// window closed.
	Closing   bool
	Late      int64       // late rows dropped so far (windowed queries)
	Watermark value.Value // NULL when there is none
	// Position is where the source stood after the batch (Kafka offsets,
	// see ingest.RawBatch.Position); nil for other sources.
	Position map[string]int64
}

// Writer writes results in one format. It is not safe for concurrent use.
type Writer struct {
	w       io.Writer
	format  Format
	schema  value.Schema
	started bool // the CSV header was written
	// lead is the CSV rows' batch number; keys the JSON objects' keys,
	// quoted, each with its colon.
	lead []byte
	keys [][]byte
	// batchCol is the name of the batch number's column (see
	// BatchColumn), batchKey its JSON key, quoted, with the colon.
	batchCol, batchKey string
	// text, ends and out are the table format's buffers, kept for the
	// next batch: the cells' text, where each cell ends, the output; CSV
	// and JSON render into out too.
	text []byte
	ends []int
	out  []byte
	// maxRows and truncate cap the table format (see SetTableLimits);
	// 0 is no cap.
	maxRows, truncate int
	// stable says rows are stable (see SetStableRows). prevOut is then the
	// last batch's CSV or JSON output, prevRows its rows (each one's first
	// value) and prevCells where each row's cells' text lies in prevOut;
	// curRows and curCells are the same of the batch being written.
	stable              bool
	prevOut             []byte
	prevRows, curRows   []*value.Value
	prevCells, curCells [][2]int
}

// NewWriter returns a writer of rows shaped by schema.
func NewWriter(w io.Writer, f Format, schema value.Schema) *Writer {
	col := BatchColumn(schema)
	key, _ := json.Marshal(col)
	return &Writer{w: w, format: f, schema: schema, batchCol: col, batchKey: string(key) + ":"}
}

// BatchColumn is the name of the column CSV and JSON output add with the
// batch number: "batch", or when the result has a column of that name
// (ignoring case, as DuckDB and SQL do) "_batch", "__batch", ..., the
// first name no result column has. A result column is never shadowed or
// doubled, and the name stays the same for a query's whole run.
func BatchColumn(schema value.Schema) string {
	name := "batch"
	for slices.ContainsFunc(schema, func(c value.Column) bool { return strings.EqualFold(c.Name, name) }) {
		name = "_" + name
	}
	return name
}

// SetTableLimits caps what the table format prints, as Spark's console
// sink does: at most maxRows rows of each table (the first ones, in the
// result's order), followed by a line saying how many there were, and cell
// texts longer than truncate characters cut to truncate characters, the
// last one an ellipsis. 0 is no cap. CSV and JSON are never capped: they
// are read by programs, and every row is always written.
func (w *Writer) SetTableLimits(maxRows, truncate int) {
	w.maxRows, w.truncate = max(maxRows, 0), max(truncate, 0)
}

// Batch writes the rows one micro-batch emitted.
func (w *Writer) Batch(info BatchInfo, rows [][]value.Value) error {
	switch w.format {
	case Table:
		files := "files"
		if info.Files == 1 {
			files = "file"
		}
		extra := ""
		if info.Rejected > 0 {
			extra = fmt.Sprintf(", %d rejected", info.Rejected)
		}
		if !info.Watermark.IsNull() {
			extra += ", watermark " + info.Watermark.Format()
		}
		if info.Late > 0 {
			extra += fmt.Sprintf(", %d late so far", info.Late)
		}
		line := strings.Repeat("-", 43)
		if info.Closing {
			fmt.Fprintf(w.w, "%s\nEnd of input: every window closes%s\n%s\n", line, extra, line)
		} else {
			from := fmt.Sprintf("%d %s, ", info.Files, files)
			if info.Files == 0 { // a streaming source: no files
				from = ""
			}
			fmt.Fprintf(w.w, "%s\nBatch: %d  (%s%d rows in%s, %s)\n%s\n", line, info.ID, from, info.RowsIn, extra, FormatDuration(info.Elapsed), line)
		}
		return w.table(rows)
	case CSV:
		return w.csvRows(rows, &info.ID)
	}
	return w.jsonRows(rows, &info.ID)
}

// Result writes a final result.
func (w *Writer) Result(rows [][]value.Value) error {
	switch w.format {
	case Table:
		return w.table(rows)
	case CSV:
		return w.csvRows(rows, nil)
	}
	return w.jsonRows(rows, nil)
}

// FormatDuration prints a duration with a sensible precision.
func FormatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%d µs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

// escapeCell shows the line breaks and tabs of a table cell's text (the
// bytes of buf from start) as escapes, so that the cell keeps to one line.
func escapeCell(buf []byte, start int) []byte {
	cell := buf[start:]
	if !slices.ContainsFunc(cell, func(c byte) bool { return c == '\n' || c == '\r' || c == '\t' }) {
		return buf
	}
	text := string(cell)
	buf = buf[:start]
	for i := 0; i < len(text); i++ {
		switch c := text[i]; c {
		case '\n':
			buf = append(buf, `\n`...)
		case '\r':
			buf = append(buf, `\r`...)
		case '\t':
			buf = append(buf, `\t`...)
		default:
			buf = append(buf, c)
		}
	}
	return buf
}

// truncateCell cuts a cell's text (the bytes of buf from start) longer
// than n characters to its first n-1 characters and an ellipsis, so that
// it is n characters wide.
func truncateCell(buf []byte, start, n int) []byte {
	if width(buf[start:]) <= n {
		return buf
	}
	end, kept := start, 0
	for kept < n-1 {
		_, size := utf8.DecodeRune(buf[end:])
		end += size
		kept++
	}
	return append(buf[:end], "…"...)
}

// groupDigits writes n with its thousands separated by commas: 10,495.
func groupDigits(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// width is the number of characters of a cell's text.
func width(text []byte) int {
	for _, c := range text {
		if c >= utf8.RuneSelf {
			return utf8.RuneCount(text)
		}
	}
	return len(text)
}

// table renders rows as a table whose columns are as wide as their widest
// cell, numbers aligned right. The cells' text goes into one buffer kept
// from batch to batch (a complete-mode result is rendered whole after
// every batch).
func (w *Writer) table(rows [][]value.Value) error {
	n := len(w.schema)
	widths := make([]int, n)
	for c, col := range w.schema {
		widths[c] = utf8.RuneCountInString(col.Name)
	}
	total := len(rows)
	if w.maxRows > 0 && total > w.maxRows {
		rows = rows[:w.maxRows] // only these are rendered, or measured
	}
	text, ends := w.text[:0], w.ends[:0] // every cell's text; where each ends
	for _, row := range rows {
		for c, v := range row {
			at := len(text)
			text = escapeCell(v.AppendText(text), at)
			if w.truncate > 0 {
				text = truncateCell(text, at, w.truncate)
			}
			ends = append(ends, len(text))
			widths[c] = max(widths[c], width(text[at:]))
		}
	}
	line := 1 // the length of a row's line
	for _, wd := range widths {
		line += wd + 1
	}
	b := slices.Grow(w.out[:0], (len(rows)+4)*(line+1)+32)
	pad := func(k int) {
		for ; k > 0; k-- {
			b = append(b, ' ')
		}
	}
	sep := func() {
		b = append(b, '+')
		for _, wd := range widths {
			for range wd {
				b = append(b, '-')
			}
			b = append(b, '+')
		}
		b = append(b, '\n')
	}
	sep()
	b = append(b, '|')
	for c, col := range w.schema {
		b = append(b, col.Name...)
		pad(widths[c] - utf8.RuneCountInString(col.Name))
		b = append(b, '|')
	}
	b = append(b, '\n')
	sep()
	from := 0
	for r := range rows {
		b = append(b, '|')
		for c := range n {
			cell := text[from:ends[r*n+c]]
			from = ends[r*n+c]
			if k := widths[c] - width(cell); w.schema[c].Type.Numeric() {
				pad(k)
				b = append(b, cell...)
			} else {
				b = append(b, cell...)
				pad(k)
			}
			b = append(b, '|')
		}
		b = append(b, '\n')
	}
	sep()
	switch {
	case len(rows) < total:
		b = fmt.Appendf(b, "only showing top %s of %s rows\n\n", groupDigits(len(rows)), groupDigits(total))
	case total == 1:
		b = append(b, "(1 row)\n\n"...)
	default:
		b = fmt.Appendf(b, "(%d rows)\n\n", len(rows))
	}
	w.text, w.ends, w.out = text, ends, b
	_, err := w.w.Write(b)
	return err
}

// csvRows writes rows as CSV (as encoding/csv writes them, LF line
// ends), the header first on the first call, each row led by the batch
// number when batch is not nil. The batch's text is rendered into one
// buffer kept for the next batch and written at once.
func (w *Writer) csvRows(rows [][]value.Value, batch *int64) error {
	b := w.out[:0]
	if !w.started {
		w.started = true
		if batch != nil {
			b = appendCSVField(b, w.batchCol)
		}
		for c, col := range w.schema {
			if c > 0 || batch != nil {
				b = append(b, ',')
			}
			b = appendCSVField(b, col.Name)
		}
		b = append(b, '\n')
	}
	var lead []byte // the batch number and its comma, the same on every row
	if batch != nil {
		lead = strconv.AppendInt(w.lead[:0], *batch, 10)
		w.lead = lead
	}
	kept := w.keeping(batch != nil, len(rows))
	for i, row := range rows {
		b = append(b, lead...)
		at := len(b)
		if !kept || !w.rendered(&b, i, row) {
			for c, v := range row {
				if c > 0 || batch != nil {
					b = append(b, ',')
				}
				b = appendCSVValue(b, v)
			}
		}
		if kept {
			w.keep(row, at, len(b))
		}
		b = append(b, '\n')
	}
	return w.write(b, kept)
}

// SetStableRows says the rows given to Batch are stable (see
// engine.Query.StableRows): a row that appears again in a later batch
// unchanged is the same slice, and no row ever changes once given. The
// CSV and JSON writers then copy the text of a row that stands where it
// stood in the batch before from that batch's output instead of rendering
// its cells again: in complete mode, the groups a batch did not touch.
func (w *Writer) SetStableRows(stable bool) { w.stable = stable }

// keeping reports whether this batch's rows are looked up in the last
// batch's output and kept for the next: stable rows, per-batch output.
func (w *Writer) keeping(perBatch bool, rows int) bool {
	if !w.stable || !perBatch {
		return false
	}
	w.curRows, w.curCells = slices.Grow(w.curRows[:0], rows), slices.Grow(w.curCells[:0], rows)
	return true
}

// rendered appends the cells' text of row, the i-th of its batch, from the
// last batch's output when that batch's i-th row was the same row, and
// reports whether it did.
func (w *Writer) rendered(b *[]byte, i int, row []value.Value) bool {
	if len(row) == 0 || i >= len(w.prevRows) || w.prevRows[i] != &row[0] {
		return false
	}
	span := w.prevCells[i]
	*b = append(*b, w.prevOut[span[0]:span[1]]...)
	return true
}

// keep records where row's cells' text lies in the output being written.
func (w *Writer) keep(row []value.Value, from, to int) {
	var first *value.Value
	if len(row) > 0 {
		first = &row[0]
	}
	w.curRows, w.curCells = append(w.curRows, first), append(w.curCells, [2]int{from, to})
}

// write writes a batch's output b. When its rows were kept, b and the
// rows become the last batch's, and the next batch is rendered into the
// buffer the last one used.
func (w *Writer) write(b []byte, kept bool) error {
	if kept {
		w.out, w.prevOut = w.prevOut, b
		w.prevRows, w.curRows = w.curRows, w.prevRows
		w.prevCells, w.curCells = w.curCells, w.prevCells
		clear(w.curRows[:cap(w.curRows)]) // rows no longer looked up are not kept alive
	} else {
		w.out = b
	}
	if len(b) == 0 {
		return nil
	}
	_, err := w.w.Write(b)
	return err
}

// jsonRows writes rows as JSON lines, one object per row keyed by column
// name, led by the batch number when batch is not nil: the text
// encoding/json writes for value.Value.JSON, rendered into one buffer kept
// for the next batch and written at once.
func (w *Writer) jsonRows(rows [][]value.Value, batch *int64) error {
	if w.keys == nil {
		w.keys = make([][]byte, len(w.schema))
		for c, col := range w.schema {
			w.keys[c] = append(appendJSONString(nil, col.Name), ':')
		}
	}
	b := w.out[:0]
	kept := w.keeping(batch != nil, len(rows))
	for i, row := range rows {
		b = append(b, '{')
		if batch != nil {
			b = append(b, w.batchKey...)
			b = strconv.AppendInt(b, *batch, 10)
			if len(row) > 0 {
				b = append(b, ',')
			}
		}
		at := len(b)
		if !kept || !w.rendered(&b, i, row) {
			for c, v := range row {
				if c > 0 {
					b = append(b, ',')
				}
				b = append(b, w.keys[c]...)
				b = appendJSONValue(b, v)
			}
		}
		if kept {
			w.keep(row, at, len(b))
		}
		b = append(b, '}', '\n')
	}
	return w.write(b, kept)
}
