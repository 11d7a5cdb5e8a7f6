package decode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"brook/value"
)

// Batch is decoded rows in row-major order: row i is
// Values[i*Width : (i+1)*Width], one Value per plan column (slot). Strings
// point into the raw batch the rows came from.
type Batch struct {
	Width  int
	Rows   int
	Values []value.Value
	// Filtered counts the lines decoded but left out by the decoder's
	// filter (see Decoder.SetFilter): input rows, but not in Values.
	Filtered int
	// Keys, when the decoder prepares keys (see Decoder.HashStrings), has
	// the layout of Values: for the columns in KeyCols, the key of each
	// string, and no key (zero) for other values; the other columns' keys
	// mean nothing. Empty otherwise.
	Keys []value.StrKey
	// KeyCols marks (bit s for slot s < 64) the columns with keys in Keys.
	KeyCols uint64
	// Runs cuts the rows into runs of rows from one part of the source
	// (see Chunk.Part and RawBatch.Parted), in order: a run ends before
	// row End, where the next begins. Empty unless the decoder marks
	// parts (see Decoder.MarkParts).
	Runs []Run
	// Recycle lets Reset keep the memory the decoder copied strings into
	// (unescaped ones, numbers read as text) for the next rows, instead
	// of leaving it to the garbage collector. Set it only when nothing
	// reads the rows' strings once the batch is reset.
	Recycle bool

	// arena is the block strings are being copied into; blocks holds the
	// full ones, spare the recycled ones.
	arena         []byte
	blocks, spare [][]byte
}

// Row returns row i; valid until the batch is reset.
func (b *Batch) Row(i int) []value.Value { return b.Values[i*b.Width : (i+1)*b.Width] }

// Run is a run of a batch's rows that came from one part of the source.
type Run struct {
	Part int32
	End  int // the row after the run's last
}

// endRun notes that the rows up to b.Rows came from part.
func (b *Batch) endRun(part int32) {
	if n := len(b.Runs); n > 0 && b.Runs[n-1].Part == part {
		b.Runs[n-1].End = b.Rows
		return
	}
	if n := len(b.Runs); (n > 0 && b.Runs[n-1].End == b.Rows) || (n == 0 && b.Rows == 0) {
		return // no rows since the last run
	}
	b.Runs = append(b.Runs, Run{Part: part, End: b.Rows})
}

// Reset empties b for reuse with rows of width columns.
func (b *Batch) Reset(width int) {
	b.Width, b.Rows, b.Filtered = width, 0, 0
	b.Runs = b.Runs[:0]
	b.Values, b.Keys, b.KeyCols = b.Values[:0], b.Keys[:0], 0
	if b.arena == nil {
		return
	}
	if b.Recycle {
		b.spare = append(b.spare, b.arena[:0])
		for _, blk := range b.blocks {
			b.spare = append(b.spare, blk[:0])
		}
	}
	clear(b.blocks)
	b.arena, b.blocks = nil, b.blocks[:0]
}

// Warm makes room for rows rows of width columns (and their keys, with
// keys) and touches that memory, so that decoding them later meets no page
// faults: work to do while waiting for input rather than while a batch
// waits for its result.
func (b *Batch) Warm(rows, width int, keys bool) {
	n := rows * width
	if cap(b.Values) < n {
		b.Values = make([]value.Value, 0, n)
	}
	clear(b.Values[:cap(b.Values)])
	if keys {
		if cap(b.Keys) < cap(b.Values) {
			b.Keys = make([]value.StrKey, 0, cap(b.Values))
		}
		clear(b.Keys[:cap(b.Keys)])
	}
}

// reserve makes room in Values for about rows more rows.
func (b *Batch) reserve(rows int) {
	if n := rows * b.Width; cap(b.Values)-len(b.Values) < n {
		b.Values = slices.Grow(b.Values, n)
	}
}

// Reject is an input line that could not be decoded, or (Line 0) a whole
// file that could not be read, such as a corrupt .gz file.
type Reject struct {
	Source string // file or stream name
	Line   int    // 1-based line number in Source; 0 for a whole file
	Reason string
	Raw    string // the line as read (a copy)
	// Truncated says Raw holds only the first MaxRawKept bytes of a line
	// rejected for being longer than the decoder's maximum.
	Truncated bool
}

func (r Reject) Error() string {
	if r.Line == 0 {
		return fmt.Sprintf("%s: %s", r.Source, r.Reason)
	}
	return fmt.Sprintf("%s:%d: %s", r.Source, r.Line, r.Reason)
}

// DefaultMaxLineBytes is the longest input line the decoder accepts unless
// told otherwise (Decoder.SetMaxLineBytes): 16 MiB, DuckDB's default
// maximum_object_size.
const DefaultMaxLineBytes = 16 << 20

// MaxRawKept is how much of an over-long line a Reject keeps in Raw.
const MaxRawKept = 4 << 10

// DecodeStats counts what a Decode call saw.
type DecodeStats struct {
	Lines int // non-blank lines, decoded or rejected
	Blank int // blank lines, skipped
}

// Decoder extracts the plan's columns from NDJSON lines, skipping every
// other field without building values for it. A Decoder is not safe for
// concurrent use; give each goroutine its own.
type Decoder struct {
	cols    value.Schema
	runs    bool // note the rows' source parts in Batch.Runs (see MarkParts)
	names   [][]byte
	maxLine int    // longer lines are rejected
	cur     *Batch // the batch being decoded into, whose arena holds copied strings
	// seenBytes and seenLines measure the input's lines, so that a batch's
	// rows can be allocated at once.
	seenBytes, seenLines int
	// keys caches, per key position in a line, the raw key text seen
	// there in the previous line and its slot; see remember.
	keys    []cachedKey
	keyCols uint64 // the columns whose strings get their keys prepared (see HashStrings)
	// chunkLo and chunkHi bound the chunk being decoded (its first byte's
	// address and one past its last), to tell strings read in place.
	chunkLo, chunkHi uintptr
	keep             func(row []value.Value) bool // see SetFilter
	// wide marks the columns whose keys a line of more than 64 columns
	// has shown so far, and dup is the first column whose key the line
	// gives twice (-1: none), to reject it (see repeated).
	wide []uint64
	dup  int
}

// SetFilter makes the decoder leave out, right after decoding it, every
// row for which keep returns false, counting it in Batch.Filtered: a
// query's WHERE evaluated while the row is in cache, so that rows that
// cannot match never reach the engine. keep must be the decoder's own (it
// is called from the decoder's goroutine) and must return true for a row
// it cannot judge.
func (d *Decoder) SetFilter(keep func(row []value.Value) bool) { d.keep = keep }

// MarkParts makes the decoder note which source part (Chunk.Part) each
// row came from, in Batch.Runs: for a parted source whose watermark is
// kept per part.
func (d *Decoder) MarkParts() { d.runs = true }

// HashStrings makes the decoder prepare the hash-table key
// (value.StrKey) of every string of the given columns (slots) into the
// batch's Keys, right after decoding the line: while the line is in cache,
// and on every decoder at once. The engine, which hashes these strings for
// every row, then reads the keys in row order instead of the strings
// scattered over the input.
func (d *Decoder) HashStrings(slots []int) {
	d.keyCols = 0
	for _, s := range slots {
		if s >= 0 && s < len(d.cols) && s < 64 && d.cols[s].Type == value.String {
			d.keyCols |= 1 << s
		}
	}
}

// cachedKey is the raw text from a key's opening quote to its value (as in
// `"srcdevice": `) last seen at one key position, with the key's slot (-1:
// not a column). head and tail are the text's first and last eight bytes,
// so that a key of 8 to 16 bytes is matched with two word compares.
type cachedKey struct {
	cachedText
	// after is the same text after the usual separator, `, "key": `, so
	// that the end of one value and the next key are matched at once.
	after cachedText
	slot  int
}

// cachedText is raw text to match, with its first and last eight bytes.
type cachedText struct {
	text       []byte
	head, tail uint64
}

func (t *cachedText) set(text []byte) {
	t.text = text
	if n := len(text); n >= 8 {
		t.head, t.tail = binary.LittleEndian.Uint64(text), binary.LittleEndian.Uint64(text[n-8:])
	}
}

// match reports whether b[i:] starts with the text and holds more after
// it.
func (t *cachedText) match(b []byte, i int) bool {
	n := len(t.text)
	if len(b)-i <= n {
		return false
	}
	if n >= 8 && n <= 16 {
		return binary.LittleEndian.Uint64(b[i:]) == t.head && binary.LittleEndian.Uint64(b[i+n-8:]) == t.tail
	}
	return string(b[i:i+n]) == string(t.text)
}

// NewDecoder returns a decoder for rows of the given columns. JSON keys
// match column names exactly; a key that matches no column is skipped, and a
// column whose key is absent is NULL. As DuckDB's read_json, the decoder
// rejects a line that gives a column's key twice, and any line that is not
// strict JSON (raw control characters in strings, leading zeros, unpaired
// surrogate escapes), whether or not the query reads the offending field.
func NewDecoder(cols value.Schema) *Decoder {
	d := &Decoder{cols: cols, maxLine: DefaultMaxLineBytes}
	for _, c := range cols {
		d.names = append(d.names, []byte(c.Name))
	}
	return d
}

// SetMaxLineBytes sets the longest line (without its line ending) the
// decoder accepts; longer lines are rejected, keeping only their first
// MaxRawKept bytes. n <= 0 restores DefaultMaxLineBytes.
func (d *Decoder) SetMaxLineBytes(n int) {
	if n <= 0 {
		n = DefaultMaxLineBytes
	}
	d.maxLine = n
}

// Decode appends the rows of every chunk of raw to dst and returns the lines
// it rejected, in input order. dst must have been Reset to the decoder's
// width.
func (d *Decoder) Decode(chunks []Chunk, dst *Batch) ([]Reject, DecodeStats) {
	var rejects []Reject
	var stats DecodeStats
	for _, c := range chunks {
		rejects = d.DecodeChunk(c, dst, rejects, &stats)
	}
	return rejects, stats
}

// DecodeChunk decodes one chunk's lines into dst, appending rejects.
func (d *Decoder) DecodeChunk(c Chunk, dst *Batch, rejects []Reject, stats *DecodeStats) []Reject {
	_, rejects = d.DecodeRows(c, dst, rejects, stats, -1)
	return rejects
}

// DecodeRows is DecodeChunk stopping once dst holds maxRows rows (no limit
// when maxRows < 0): it returns the rest of the chunk, with its first line
// number (empty Data when the whole chunk was decoded). A reader that
// processes rows while they are in cache decodes a chunk a few hundred
// rows at a time.
func (d *Decoder) DecodeRows(c Chunk, dst *Batch, rejects []Reject, stats *DecodeStats, maxRows int) (Chunk, []Reject) {
	data := c.Data
	if bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) && c.FirstLine == 1 {
		data = data[3:]
	}
	line := c.FirstLine
	width := len(d.cols)
	d.cur = dst
	d.chunkLo, d.chunkHi = 0, 0
	if len(data) > 0 {
		d.chunkLo = uintptr(unsafe.Pointer(unsafe.SliceData(data)))
		d.chunkHi = d.chunkLo + uintptr(len(data))
	}
	defer func() { d.cur = nil }()
	if d.seenLines > 0 { // room for the chunk's rows, by the lines so far
		est := len(data)/(d.seenBytes/d.seenLines) + 16
		if maxRows >= 0 {
			est = min(est, maxRows-dst.Rows)
		}
		dst.reserve(est)
	}
	for len(data) > 0 {
		var ln []byte
		unterminated := false // the last line, without its newline
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			ln, data = data[:i], data[i+1:]
		} else {
			ln, data, unterminated = data, nil, true
		}
		lineNo := line
		line++
		if len(ln) > 0 && ln[len(ln)-1] == '\r' {
			ln = ln[:len(ln)-1]
		}
		if len(ln) > d.maxLine {
			stats.Lines++
			rejects = append(rejects, Reject{Source: c.Name, Line: lineNo, Raw: string(ln[:min(len(ln), MaxRawKept)]), Truncated: len(ln) > MaxRawKept,
				Reason: fmt.Sprintf("line longer than %d bytes (--max-line-bytes)", d.maxLine)})
			continue
		}
		if isBlank(ln) {
			stats.Blank++
			continue
		}
		stats.Lines++
		d.seenLines++
		d.seenBytes += len(ln) + 1
		if d.seenLines == 1 {
			// The decoder's first line: room for the rest of the chunk by
			// its length, rather than growing the rows (and their keys)
			// again and again through the first batch.
			est := len(data)/(len(ln)+1) + 16
			if maxRows >= 0 {
				est = min(est, maxRows-dst.Rows)
			}
			dst.reserve(est + 1)
		}
		if d.seenLines >= 1<<20 { // keep the average recent
			d.seenLines, d.seenBytes = d.seenLines/2, d.seenBytes/2
		}
		start := len(dst.Values)
		if cap(dst.Values)-start >= width {
			// Memory of earlier rows: decodeLine writes every column the
			// line has and empties the others.
			dst.Values = dst.Values[:start+width]
		} else {
			for k := 0; k < width; k++ {
				dst.Values = append(dst.Values, value.Value{})
			}
		}
		if reason := d.decodeLine(ln, dst.Values[start:]); reason != "" {
			dst.Values = dst.Values[:start]
			if unterminated && strings.HasPrefix(reason, "malformed JSON") && !strings.Contains(reason, "truncated") {
				reason += " (truncated line?)"
			}
			rejects = append(rejects, Reject{Source: c.Name, Line: lineNo, Reason: reason, Raw: string(ln)})
			continue
		}
		if d.keep != nil && !d.keep(dst.Values[start:]) {
			dst.Values = dst.Values[:start]
			dst.Filtered++
			continue
		}
		if d.keyCols != 0 {
			d.prepareKeys(dst, start)
		}
		dst.Rows++
		if dst.Rows == maxRows {
			if d.runs {
				dst.endRun(c.Part)
			}
			return Chunk{Name: c.Name, FirstLine: line, Data: data, Part: c.Part}, rejects
		}
	}
	if d.runs {
		dst.endRun(c.Part)
	}
	return Chunk{Name: c.Name, FirstLine: line, Part: c.Part}, rejects
}

// prepareKeys fills the keys of the row that starts at Values[start].
func (d *Decoder) prepareKeys(dst *Batch, start int) {
	dst.KeyCols = d.keyCols
	if cap(dst.Keys) < len(dst.Values) { // as much room as the rows have
		keys := make([]value.StrKey, len(dst.Keys), cap(dst.Values))
		copy(keys, dst.Keys)
		dst.Keys = keys
	}
	// Only the columns in KeyCols are read: the others' keys are left as
	// they are.
	dst.Keys = dst.Keys[:len(dst.Values)]
	for m := d.keyCols; m != 0; m &= m - 1 {
		slot := bits.TrailingZeros64(m)
		k := &dst.Keys[start+slot]
		if v := &dst.Values[start+slot]; v.Kind == value.String {
			// A string read in place, with 16 bytes of the chunk from its
			// start, is packed without branches; a copied one (unescaped)
			// or one at the chunk's very end the usual way.
			if p := uintptr(unsafe.Pointer(unsafe.StringData(v.S))); p >= d.chunkLo && p+16 <= d.chunkHi {
				*k = value.KeyOfPadded(v.S)
			} else {
				*k = value.KeyOf(v.S)
			}
		} else {
			*k = value.StrKey{}
		}
	}
}

// ReasonClass groups a Reject's reason into a short class for counting:
// "malformed JSON", "not a JSON object", "line too long", `field "x":
// invalid UTF-8`, `field "x": duplicate key`, `field "x": wrong type`,
// "corrupt .gz file" or
// "unreadable file". Other reasons are their own class.
func ReasonClass(reason string) string {
	switch {
	case strings.HasPrefix(reason, "malformed JSON"):
		return "malformed JSON"
	case strings.HasPrefix(reason, "line longer than"):
		return "line too long"
	case strings.HasPrefix(reason, "field "):
		if q, err := strconv.QuotedPrefix(reason[len("field "):]); err == nil {
			if strings.HasSuffix(reason, "invalid UTF-8") {
				return "field " + q + ": invalid UTF-8"
			}
			if strings.HasSuffix(reason, ": duplicate key") {
				return "field " + q + ": duplicate key"
			}
			return "field " + q + ": wrong type"
		}
	case strings.Contains(reason, "corrupt gzip"):
		return "corrupt .gz file"
	case strings.HasPrefix(reason, "not a regular file"):
		return "not a regular file"
	case strings.HasPrefix(reason, "cannot read the file"):
		return "unreadable file"
	}
	return reason
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

func skipWS(b []byte, i int) int {
	if i < len(b) && b[i] > ' ' {
		return i
	}
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// decodeLine fills row from one JSON object; it returns a reason when the
// line is not a well-formed object or a value does not fit its column.
func (d *Decoder) decodeLine(b []byte, row []value.Value) string {
	// set marks the columns written; the others are emptied (NULL) at the
	// end, for row may hold an earlier row's values. Beyond 64 columns,
	// the row is emptied first.
	var set uint64
	d.dup = -1
	if len(row) > 64 {
		clear(row)
		clear(d.wide)
	}
	i := skipWS(b, 0)
	if b[i] != '{' {
		return "not a JSON object"
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		i++
	} else {
		after := false // the key was matched with the separator before it
		for pos := 0; ; pos++ {
			var slot int
			if after {
				slot, after = d.keys[pos].slot, false
			} else if i >= len(b) || b[i] != '"' {
				return "malformed JSON: expected a quoted key"
			} else if pos < len(d.keys) && d.keys[pos].match(b, i) {
				// The same `"key": ` as on the previous line, byte for byte;
				// this line may have more blanks before its value.
				slot, i = d.keys[pos].slot, skipWS(b, i+len(d.keys[pos].text))
			} else {
				keyStart := i
				ks, ke, escaped, next, ok := scanString(b, i)
				if !ok {
					return badString(b, i, "malformed JSON: unterminated string")
				}
				key := b[ks:ke]
				if escaped {
					key = unescape(nil, key)
				}
				i = skipWS(b, next)
				if i >= len(b) || b[i] != ':' {
					return "malformed JSON: expected ':' after a key"
				}
				i = skipWS(b, i+1)
				slot = d.slot(pos, key)
				d.remember(pos, b[keyStart:i], slot, escaped)
			}
			var reason string
			if slot >= 0 {
				// A column's key seen twice: DuckDB's read_json refuses the
				// line (a key the query does not read may repeat), once it
				// has read it whole.
				if set&(1<<(slot&63)) != 0 || len(row) > 64 {
					d.repeated(slot, len(row))
				}
				i, reason = d.decodeValue(b, i, slot, &row[slot])
				set |= 1 << (slot & 63)
			} else if j := skipPlainNumber(b, i); j > i {
				i = j
			} else if j := skipPlainString(b, i); j > i {
				i = j
			} else {
				i, reason = skipValue(b, i, 0)
			}
			if reason != "" {
				return reason
			}
			if k := pos + 1; k < len(d.keys) && d.keys[k].after.match(b, i) {
				// `, "key": ` as on the previous line: the next key too.
				i, after = skipWS(b, i+len(d.keys[k].after.text)), true
				continue
			}
			if i+1 < len(b) && b[i] == ',' && b[i+1] == ' ' { // the usual ", "
				i = skipWS(b, i+2)
				continue
			}
			i = skipWS(b, i)
			if i >= len(b) {
				return "malformed JSON: unterminated object (truncated line?)"
			}
			if b[i] == ',' {
				i = skipWS(b, i+1)
				continue
			}
			if b[i] == '}' {
				i++
				break
			}
			return fmt.Sprintf("malformed JSON: unexpected %q after a value", b[i])
		}
	}
	if i = skipWS(b, i); i < len(b) {
		return "malformed JSON: text after the closing brace"
	}
	if d.dup >= 0 {
		return fmt.Sprintf("field %q: duplicate key", d.cols[d.dup].Name)
	}
	if n := len(row); n <= 64 && set != 1<<n-1 {
		for s := range row {
			if set&(1<<s) == 0 {
				row[s] = value.Value{}
			}
		}
	}
	return ""
}

// repeated notes in d.dup the first column whose key the line gives
// twice, asked about column slot's key in a row of width columns: the
// caller asks only when the slot's bit in the line's set of columns is on
// (then it was seen), or for rows of more than 64 columns, whose keys
// d.wide tracks one bit per column. Rare, so kept out of decodeLine's
// loop.
//
//go:noinline
func (d *Decoder) repeated(slot, width int) {
	seen := true
	if width > 64 {
		if len(d.wide) < (width+63)/64 {
			d.wide = make([]uint64, (width+63)/64)
		}
		w, bit := &d.wide[slot/64], uint64(1)<<(slot%64)
		seen = *w&bit != 0
		*w |= bit
	}
	if seen && d.dup < 0 {
		d.dup = slot
	}
}

// slot returns the column named key, or -1.
func (d *Decoder) slot(pos int, key []byte) int {
	for k, name := range d.names {
		if string(name) == string(key) {
			return k
		}
	}
	return -1
}

// remember caches the raw text from a key's opening quote to its value (as
// in `"srcdevice": `) for key position pos, with the key's slot. Records of
// one stream nearly always list their keys in the same order and spacing,
// so the next line's key is then matched with one comparison.
func (d *Decoder) remember(pos int, prefix []byte, slot int, escaped bool) {
	if escaped || pos >= 1024 {
		return
	}
	for len(d.keys) <= pos {
		// A position not remembered yet must match no key: every key
		// starts with a quote, this placeholder with a NUL.
		d.keys = append(d.keys, cachedKey{cachedText: cachedText{text: []byte{0}}, after: cachedText{text: []byte{0}}, slot: -1})
	}
	k := &d.keys[pos]
	k.set(append(k.text[:0], prefix...))
	k.after.set(append(append(k.after.text[:0], ", "...), prefix...))
	k.slot = slot
}

// scanString scans the string whose opening quote is at b[i]. It returns the
// content bounds, whether it holds escapes, and the index after the closing
// quote.
func scanString(b []byte, i int) (start, end int, escaped bool, next int, ok bool) {
	start, end, escaped, next, ok, _ = scanStringASCII(b, i)
	return
}

// scanStringASCII is scanString also reporting whether an unescaped
// string is plain ASCII (then valid UTF-8 without a second look); it is
// false for an escaped one.
func scanStringASCII(b []byte, i int) (start, end int, escaped bool, next int, ok, ascii bool) {
	start = i + 1
	// Eight bytes at a time: the first quote, backslash or control
	// character in a word is its lowest flagged byte (see stringSpecial); the words' high bits are
	// gathered to tell ASCII.
	const highs = 0x8080808080808080
	var seen uint64
	j := start
	for ; j+8 <= len(b); j += 8 {
		w := binary.LittleEndian.Uint64(b[j:])
		if m := stringSpecial(w); m != 0 {
			n := bits.TrailingZeros64(m) / 8
			k := j + n
			if b[k] == '"' {
				seen |= w & (1<<(8*n) - 1) // the bytes before the quote
				return start, k, false, k + 1, true, seen&highs == 0
			}
			start, end, escaped, next, ok = scanStringSlow(b, start)
			return start, end, escaped, next, ok, false
		}
		seen |= w
	}
	for ; j < len(b); j++ {
		switch c := b[j]; c {
		case '"':
			return start, j, false, j + 1, true, seen&highs == 0
		case '\\':
			start, end, escaped, next, ok = scanStringSlow(b, start)
			return start, end, escaped, next, ok, false
		default:
			if c < 0x20 {
				return 0, 0, false, 0, false, false
			}
			seen |= uint64(c)
		}
	}
	return 0, 0, false, 0, false, false
}

// stringSpecial flags, with its high bit, each byte of w that a string
// scan must stop at: a quote, a backslash, or a control character (below
// 0x20, which JSON allows in a string only escaped). Bytes above the
// lowest flagged one may be flagged wrongly (a borrow), so only the lowest
// flag is exact. The quote and the controls are found at once: XOR 0x02
// turns the quote into 0x20, keeps the controls below 0x20 and every other
// byte at 0x21 or above.
func stringSpecial(w uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := w ^ (ones * 0x02)
	s := w ^ (ones * '\\')
	return ((q-ones*0x21)&^q | (s-ones)&^s) & highs
}

func scanStringSlow(b []byte, start int) (int, int, bool, int, bool) {
	end, escaped, problem := checkString(b, start)
	if problem != strOK {
		return 0, 0, false, 0, false
	}
	return start, end, escaped, end + 1, true
}

// What is wrong with a string, as checkString finds it.
const (
	strOK           = iota
	strUnterminated // no closing quote
	strControl      // a raw control character (below 0x20)
	strEscape       // a backslash not followed by one of "\/bfnrt or u and four hex digits
	strSurrogate    // a \u escape of a UTF-16 surrogate that is not half of a pair
)

// checkString reads the string whose content starts at b[start] as
// DuckDB's JSON reader (yyjson) does, returning the index of its closing
// quote and whether it holds escapes, or what is wrong with it: a raw
// control character, an unknown escape, or a surrogate escape that is not
// a high one (\ud800-\udbff) followed by a low one (\udc00-\udfff).
func checkString(b []byte, start int) (end int, escaped bool, problem int) {
	j := start
	for {
		for ; j+8 <= len(b); j += 8 { // to the next quote, backslash or control character
			w := binary.LittleEndian.Uint64(b[j:])
			if m := stringSpecial(w); m != 0 {
				j += bits.TrailingZeros64(m) / 8
				break
			}
		}
		for j < len(b) && b[j] != '"' && b[j] != '\\' && b[j] >= 0x20 {
			j++
		}
		if j >= len(b) {
			return 0, false, strUnterminated
		}
		switch c := b[j]; {
		case c == '"':
			return j, escaped, strOK
		case c < 0x20:
			return 0, false, strControl
		}
		escaped = true
		n, problem := escapeLen(b, j)
		if problem != strOK {
			return 0, false, problem
		}
		j += n
	}
}

// escapeLen returns the length of the escape at b[j] (a backslash): 2, 6
// for \uXXXX, or 12 for a surrogate pair, or what is wrong with it.
func escapeLen(b []byte, j int) (int, int) {
	if j+1 >= len(b) {
		return 0, strUnterminated
	}
	switch b[j+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, strOK
	case 'u':
	default:
		return 0, strEscape
	}
	if j+6 > len(b) {
		return 0, strEscape
	}
	r, ok := hex4(b[j+2 : j+6])
	switch {
	case !ok:
		return 0, strEscape
	case r < 0xD800 || r > 0xDFFF:
		return 6, strOK
	case r >= 0xDC00: // a low surrogate first
		return 0, strSurrogate
	}
	if j+12 > len(b) || b[j+6] != '\\' || b[j+7] != 'u' {
		return 0, strSurrogate
	}
	if r2, ok := hex4(b[j+8 : j+12]); !ok || r2 < 0xDC00 || r2 > 0xDFFF {
		return 0, strSurrogate
	}
	return 12, strOK
}

// badString is the reason to reject the line for the string at b[i], which
// scanString refused; unterminated is the reason when it has no end.
func badString(b []byte, i int, unterminated string) string {
	switch _, _, problem := checkString(b, i+1); problem {
	case strControl:
		return "malformed JSON: raw control character in string"
	case strEscape:
		return "malformed JSON: invalid escape in string"
	case strSurrogate:
		return "malformed JSON: unpaired UTF-16 surrogate escape in string"
	}
	return unterminated
}

// scanNumber returns the end of the number token starting at b[i] and
// whether it is an integer literal.
func scanNumber(b []byte, i int) (end int, integer bool, ok bool) {
	// The usual shapes, 123 and 123.45, followed by what ends a number.
	j := i
	if j < len(b) && b[j] == '-' {
		j++
	}
	d := j
	for j < len(b) && b[j]-'0' < 10 {
		j++
	}
	if j > d && (b[d] != '0' || j == d+1) { // no leading zero, as in 007
		if j == len(b) || numberChar[b[j]] == 0 {
			return j, true, true
		}
		if b[j] == '.' {
			k := j + 1
			for k < len(b) && b[k]-'0' < 10 {
				k++
			}
			if k > j+1 && (k == len(b) || numberChar[b[k]] == 0) {
				return k, false, true
			}
		}
	}
	return scanNumberSlow(b, i)
}

// skipPlainString returns the index after the string at b[i] when it has
// no escape, or i for anything else (the general way).
func skipPlainString(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return i
	}
	for j := i + 1; j+8 <= len(b); j += 8 {
		w := binary.LittleEndian.Uint64(b[j:])
		if m := stringSpecial(w); m != 0 {
			if k := j + bits.TrailingZeros64(m)/8; b[k] == '"' {
				return k + 1
			}
			return i
		}
	}
	return i
}

// skipPlainNumber returns the end of the unsigned plain number (digits,
// then optionally a point and digits) at b[i], as scanNumber reads it, or
// i when b[i] starts anything else: the usual skipped value, read without
// a call.
func skipPlainNumber(b []byte, i int) int {
	j := i
	for j < len(b) && b[j]-'0' < 10 {
		j++
	}
	if j == i || (b[i] == '0' && j > i+1) { // a leading zero: the general way
		return i
	}
	if j < len(b) && b[j] == '.' {
		k := j + 1
		for k < len(b) && b[k]-'0' < 10 {
			k++
		}
		if k == j+1 {
			return i
		}
		j = k
	}
	if j < len(b) && numberChar[b[j]] != 0 {
		return i // an exponent, or malformed: the general way
	}
	return j
}

// scanDecimal reads a plain decimal at b[i] (digits, optionally a point
// and more digits, then what ends a number) that a float64 holds exactly
// (at most 15 digits), returning its value and end: what scanNumber and
// value.ParseFloatBytes give together, in one pass. ok is false for any
// other number, which the caller reads the general way.
func scanDecimal(b []byte, i int) (f float64, end int, ok bool) {
	var mant uint64
	j := i
	for j < len(b) && b[j]-'0' < 10 {
		mant = mant*10 + uint64(b[j]-'0')
		j++
	}
	intDigits := j - i
	if intDigits == 0 || intDigits > 15 || (intDigits > 1 && b[i] == '0') {
		return 0, 0, false
	}
	if j == len(b) || numberChar[b[j]] == 0 {
		return float64(mant), j, true
	}
	if b[j] != '.' {
		return 0, 0, false
	}
	whole, zeros := mant, true
	k := j + 1
	for k < len(b) && b[k]-'0' < 10 {
		d := b[k] - '0'
		mant = mant*10 + uint64(d)
		zeros = zeros && d == 0
		k++
	}
	frac := k - j - 1
	if frac == 0 || intDigits+frac > 15 || (k < len(b) && numberChar[b[k]] != 0) {
		return 0, 0, false
	}
	if zeros {
		return float64(whole), k, true
	}
	return float64(mant) / value.Pow10[frac], k, true
}

// scanNumberSlow is scanNumber for every other shape: exponents, signs,
// and malformed tokens. It reads JSON's grammar strictly, as DuckDB's JSON
// reader does: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, and not
// followed by another number character; so 007, -01, 1., .5, 1e and
// 1.2.3 are not numbers.
func scanNumberSlow(b []byte, i int) (end int, integer bool, ok bool) {
	digits := func(j int) int {
		for j < len(b) && b[j]-'0' < 10 {
			j++
		}
		return j
	}
	j := i
	if j < len(b) && b[j] == '-' {
		j++
	}
	d := j
	if j = digits(j); j == d || (b[d] == '0' && j > d+1) {
		return j, true, false
	}
	integer = true
	if j < len(b) && b[j] == '.' {
		integer = false
		f := j + 1
		if j = digits(f); j == f {
			return j, false, false
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		integer = false
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		f := j
		if j = digits(f); j == f {
			return j, false, false
		}
	}
	if j < len(b) && numberChar[b[j]] != 0 {
		return j, integer, false
	}
	return j, integer, true
}

// badNumber is the reason to reject the line for the number at b[i],
// which scanNumber refused.
func badNumber(b []byte, i int) string {
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i+1 < len(b) && b[i] == '0' && b[i+1]-'0' < 10 {
		return "malformed JSON: number with a leading zero"
	}
	return "malformed JSON: bad number"
}

// numberChar classifies bytes of a JSON number: 1 digits, 2 other number
// characters (. e E + -), 0 anything else.
var numberChar = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = 1
	}
	for _, c := range ".eE+-" {
		t[c] = 2
	}
	return t
}()

const maxDepth = 512

// skipValue returns the index after the JSON value at b[i], checking its
// shape well enough to reject malformed lines.
func skipValue(b []byte, i int, depth int) (int, string) {
	if i >= len(b) {
		return i, "malformed JSON: missing value (truncated line?)"
	}
	switch c := b[i]; {
	case c == '"':
		_, _, _, next, ok := scanString(b, i)
		if !ok {
			return i, badString(b, i, "malformed JSON: unterminated string (truncated line?)")
		}
		return next, ""
	case c == '{' || c == '[':
		if depth > maxDepth {
			return i, "malformed JSON: nested too deeply"
		}
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == closer {
			return i + 1, ""
		}
		for {
			if c == '{' {
				if i >= len(b) || b[i] != '"' {
					return i, "malformed JSON: expected a quoted key"
				}
				_, _, _, next, ok := scanString(b, i)
				if !ok {
					return i, badString(b, i, "malformed JSON: unterminated string")
				}
				i = skipWS(b, next)
				if i >= len(b) || b[i] != ':' {
					return i, "malformed JSON: expected ':' after a key"
				}
				i = skipWS(b, i+1)
			}
			var reason string
			if i, reason = skipValue(b, i, depth+1); reason != "" {
				return i, reason
			}
			i = skipWS(b, i)
			if i >= len(b) {
				return i, "malformed JSON: unterminated object or array (truncated line?)"
			}
			if b[i] == ',' {
				i = skipWS(b, i+1)
				continue
			}
			if b[i] == closer {
				return i + 1, ""
			}
			return i, fmt.Sprintf("malformed JSON: unexpected %q", b[i])
		}
	case c == '-' || (c >= '0' && c <= '9'):
		end, _, ok := scanNumber(b, i)
		if !ok {
			return i, badNumber(b, i)
		}
		return end, ""
	case bytes.HasPrefix(b[i:], []byte("true")):
		return i + 4, ""
	case bytes.HasPrefix(b[i:], []byte("false")):
		return i + 5, ""
	case bytes.HasPrefix(b[i:], []byte("null")):
		return i + 4, ""
	}
	return i, fmt.Sprintf("malformed JSON: unexpected %q", b[i])
}

// decodeValue decodes the value at b[i] into dst as column slot's type.
func (d *Decoder) decodeValue(b []byte, i int, slot int, dst *value.Value) (int, string) {
	col := d.cols[slot]
	if i >= len(b) {
		return i, "malformed JSON: missing value (truncated line?)"
	}
	c := b[i]
	switch {
	case c == '"':
		s, e, escaped, next, ok, ascii := scanStringASCII(b, i)
		if !ok {
			return i, badString(b, i, "malformed JSON: unterminated string (truncated line?)")
		}
		var str string
		if escaped {
			str = d.intern(unescape(d.scratch(), b[s:e]))
		} else {
			str = value.UnsafeString(b[s:e])
		}
		if !ascii && !utf8.ValidString(str) {
			return i, fmt.Sprintf("field %q: invalid UTF-8", col.Name)
		}
		if col.Type == value.String { // the usual case, without a call
			*dst = value.Value{Kind: value.String, S: str}
			return next, ""
		}
		v, reason := convertString(str, col)
		*dst = v
		return next, reason
	case c == '-' || (c >= '0' && c <= '9'):
		if col.Type == value.Float {
			if f, end, ok := scanDecimal(b, i); ok { // the usual 784.0, in one pass
				*dst = value.FloatValue(f)
				return end, ""
			}
		}
		end, integer, ok := scanNumber(b, i)
		if !ok {
			return i, badNumber(b, i)
		}
		tok := b[i:end]
		switch col.Type {
		case value.Float:
			f, ok := value.ParseFloatBytes(tok)
			if !ok {
				return i, fmt.Sprintf("field %q: bad number %s", col.Name, tok)
			}
			if integer && f == 0 {
				f = 0 // the integer -0 is 0, as read_json reads it; -0.0 stays -0.0
			}
			*dst = value.FloatValue(f)
		case value.Int:
			if integer {
				n, err := strconv.ParseInt(string(tok), 10, 64)
				if err != nil {
					return i, fmt.Sprintf("field %q: %s is out of BIGINT range", col.Name, tok)
				}
				*dst = value.IntValue(n)
			} else {
				f, ok := value.ParseFloatBytes(tok)
				if !ok || f != f || f >= 9.2e18 || f <= -9.2e18 {
					return i, fmt.Sprintf("field %q: %s does not fit BIGINT", col.Name, tok)
				}
				*dst = value.IntValue(int64(value.RoundHalfEven(f)))
			}
		case value.String:
			if integer {
				*dst = value.StringValue(value.UnsafeString(tok))
			} else { // read_json renders the parsed DOUBLE: 1e3 -> "1000.0", 1.50 -> "1.5"
				f, _ := value.ParseFloatBytes(tok)
				*dst = value.StringValue(d.intern(value.AppendFloat(d.scratch(), f)))
			}
		case value.Bool:
			f, _ := value.ParseFloatBytes(tok)
			*dst = value.BoolValue(f != 0)
		default:
			return end, fmt.Sprintf("field %q: number %s where %s is declared", col.Name, tok, col.Type)
		}
		return end, ""
	case c == 't' || c == 'f':
		end, reason := skipValue(b, i, 0)
		if reason != "" {
			return end, reason
		}
		truth := c == 't'
		switch col.Type {
		case value.Bool:
			*dst = value.BoolValue(truth)
		case value.String:
			*dst = value.StringValue(value.UnsafeString(b[i:end]))
		case value.Int:
			*dst = value.IntValue(map[bool]int64{false: 0, true: 1}[truth])
		case value.Float:
			*dst = value.FloatValue(map[bool]float64{false: 0, true: 1}[truth])
		default:
			return end, fmt.Sprintf("field %q: boolean %s where %s is declared", col.Name, b[i:end], col.Type)
		}
		return end, ""
	case c == 'n':
		end, reason := skipValue(b, i, 0)
		*dst = value.NullValue
		return end, reason
	case c == '{' || c == '[':
		end, reason := skipValue(b, i, 0)
		if reason != "" {
			return end, reason
		}
		if col.Type != value.String {
			return end, fmt.Sprintf("field %q: nested JSON where %s is declared", col.Name, col.Type)
		}
		// read_json keeps nested values as minified JSON text.
		*dst = value.StringValue(d.intern(minify(d.scratch(), b[i:end])))
		return end, ""
	}
	return i, fmt.Sprintf("malformed JSON: unexpected %q", c)
}

// convertString converts a JSON string to the column's type with the
// strict casts DuckDB's read_json applies: " 12" is a BIGINT but "2.5" is
// not; "1e3", "inf" and "nan" are DOUBLEs but " 1.5 " and "" are not;
// "true", "t" and "yes" are BOOLEANs but "1" is not.
func convertString(s string, col value.Column) (value.Value, string) {
	switch col.Type {
	case value.String:
		return value.StringValue(s), ""
	case value.Float:
		if s != "" && !strings.ContainsAny(s, " _xX") {
			if f, err := strconv.ParseFloat(s, 64); err == nil || errors.Is(err, strconv.ErrRange) {
				return value.FloatValue(f), ""
			}
		}
	case value.Int:
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			return value.IntValue(n), ""
		}
	case value.Bool:
		switch strings.ToLower(s) {
		case "true", "t", "yes", "y":
			return value.BoolValue(true), ""
		case "false", "f", "no", "n":
			return value.BoolValue(false), ""
		}
	case value.Timestamp:
		if t, ok := value.ParseTimestamp(s); ok {
			return value.TimestampValue(t), ""
		}
	}
	return value.Value{}, fmt.Sprintf("field %q: cannot convert %q to %s", col.Name, truncate(s, 40), col.Type)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// scratch is where a string to keep is built: after the end of the
// current batch's arena.
func (d *Decoder) scratch() []byte { a := d.cur.arena; return a[len(a):] }

// arenaBlock is the size of a batch's arena blocks.
const arenaBlock = 64 << 10

// intern keeps s, which was just appended after the end of the batch's
// arena, by extending the arena over it; when the block is full the batch
// starts another, a spare one if it has one large enough.
func (d *Decoder) intern(s []byte) string {
	if len(s) == 0 {
		return ""
	}
	b := d.cur
	if cap(b.arena)-len(b.arena) >= len(s) && &b.arena[:len(b.arena)+1][len(b.arena)] == &s[0] {
		b.arena = b.arena[:len(b.arena)+len(s)]
		return value.UnsafeString(s)
	}
	var block []byte
	if n := len(b.spare); n > 0 && cap(b.spare[n-1]) >= len(s) {
		block, b.spare[n-1], b.spare = b.spare[n-1], nil, b.spare[:n-1]
	} else {
		block = make([]byte, 0, max(arenaBlock, 2*len(s)))
	}
	if b.arena != nil {
		b.blocks = append(b.blocks, b.arena)
	}
	block = append(block, s...)
	b.arena = block
	return value.UnsafeString(block)
}

// unescape appends the decoded content of a JSON string to dst.
func unescape(dst, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			dst = append(dst, c)
			continue
		}
		i++
		switch s[i] {
		case 'n':
			dst = append(dst, '\n')
		case 't':
			dst = append(dst, '\t')
		case 'r':
			dst = append(dst, '\r')
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'u':
			if i+4 >= len(s) {
				dst = append(dst, '\\', 'u')
				continue
			}
			r, ok := hex4(s[i+1 : i+5])
			i += 4
			if !ok {
				r = utf8.RuneError
			}
			if utf16.IsSurrogate(r) && i+6 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
				// Combine only a valid pair; otherwise the second escape is
				// a character of its own and decodes on the next round.
				if r2, ok := hex4(s[i+3 : i+7]); ok && utf16.DecodeRune(r, r2) != utf8.RuneError {
					r = utf16.DecodeRune(r, r2)
					i += 6
				}
			}
			dst = utf8.AppendRune(dst, r)
		default: // \" \\ \/ and anything else: the character itself
			dst = append(dst, s[i])
		}
	}
	return dst
}

func hex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

// minify appends raw JSON without the blanks outside strings.
func minify(dst, raw []byte) []byte {
	inString := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case inString:
			dst = append(dst, c)
			if c == '\\' && i+1 < len(raw) {
				i++
				dst = append(dst, raw[i])
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
			dst = append(dst, c)
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
