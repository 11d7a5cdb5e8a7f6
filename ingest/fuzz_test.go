package ingest

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"brook/value"
)

// fuzzTypes are the column types FuzzDecode picks from.
var fuzzTypes = []value.Type{value.Float, value.Int, value.String, value.Bool, value.Timestamp}

// FuzzDecode: no input makes the decoder panic; every non-blank line is
// either decoded or rejected with its line number, in order, with its raw
// text; and decoding the same input cut into other chunks (at line ends),
// by a fresh decoder or by one that has seen other lines, gives the same
// rows, rejects and counts.
//
// Run: go test -run '^$' -fuzz FuzzDecode -fuzztime 30s ./ingest
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		"{\"a\": 1.5, \"s\": \"x\", \"n\": 7}\n{\"n\": 8, \"s\": \"y\", \"a\": 2.5}\n",
		"{\"a\": 1.0}\n\n  \n{broken\n{\"a\": 2.0}",
		"\xEF\xBB\xBF{\"a\": 1.0}\r\n{\"s\": \"caf\\u00e9 \\ud83d\\ude00\"}\r\n",
		"{\"s\": \"\xff\"}\n{\"x\": \"\xfe\", \"s\": \"ok\"}\n",
		"{\"a\": \"12\", \"n\": \"abc\", \"s\": {\"k\": [1, 2, {\"z\": null}]}}\n",
		"{\"a\": 1e400, \"n\": 9223372036854775808, \"s\": true}\n{\"n\": -0.5, \"a\": \"inf\"}\n",
		"{\"s\": \"2024-01-02T03:04:05Z\", \"a\": \"2024-01-02 03:04:05.123\"}\n",
		"[1, 2]\n\"str\"\n42\nnull\n{}\n{\"a\": 1.0}}\n",
		"{\"a\": 1.0, \"s\": \"" + strings.Repeat("long", 100) + "\"}\n{\"a\": 2.0}\n",
		"{\"a\":1,\"a\":2,\"s\":\"\\\"\\\\\"}\n{\"s\\u0000\": 1, \"\": 2}\n",
		"{\"a\": " + strings.Repeat("[", 600) + strings.Repeat("]", 600) + "}\n",
		"{\"a\": tru}\n{\"a\": -}\n{\"a\": 1.}\n{\"a\": 01}\n{\"a\": 1e}\n",
	} {
		f.Add([]byte(seed), uint16(20), uint16(40), uint8(2), uint16(0))
	}
	f.Add([]byte("{\"a\": 1.0}\n{\"s\": \"0123456789012345678901234567890123456789\"}\n"), uint16(5), uint16(0), uint8(7), uint16(30))
	f.Fuzz(func(t *testing.T, data []byte, cut1, cut2 uint16, types uint8, maxLine uint16) {
		cols := value.Schema{
			{Name: "a", Type: fuzzTypes[int(types)%5]},
			{Name: "s", Type: fuzzTypes[int(types)/5%5]},
			{Name: "n", Type: fuzzTypes[int(types)/25%5]},
		}
		whole := NewDecoder(cols)
		whole.SetMaxLineBytes(int(maxLine))
		var b1 Batch
		b1.Reset(len(cols))
		rej1, st1 := whole.Decode([]Chunk{{Name: "f", FirstLine: 1, Data: data}}, &b1)
		checkShape(t, &b1)
		checkLines(t, data, b1.Rows, rej1, st1, int(maxLine))

		// The same lines in up to three chunks, by a fresh decoder and by
		// the one that decoded them already (its key cache warm).
		chunks := cutLines(data, int(cut1), int(cut2))
		for i, d := range []*Decoder{NewDecoder(cols), whole} {
			d.SetMaxLineBytes(int(maxLine))
			var b2 Batch
			b2.Reset(len(cols))
			rej2, st2 := d.Decode(chunks, &b2)
			checkShape(t, &b2)
			if st1 != st2 || b1.Rows != b2.Rows || len(rej1) != len(rej2) {
				t.Fatalf("decoder %d, %d chunks: stats %+v vs %+v, rows %d vs %d, rejects %d vs %d", i, len(chunks), st1, st2, b1.Rows, b2.Rows, len(rej1), len(rej2))
			}
			for r := range rej1 {
				if rej1[r] != rej2[r] {
					t.Fatalf("decoder %d: reject %+v vs %+v", i, rej1[r], rej2[r])
				}
			}
			for k := range b1.Values {
				if !sameValue(b1.Values[k], b2.Values[k]) {
					t.Fatalf("decoder %d: row %d column %d: %#v vs %#v", i, k/len(cols), k%len(cols), b1.Values[k], b2.Values[k])
				}
			}
		}
	})
}

// checkLines checks decoded counts and rejects against the lines of data.
func checkLines(t *testing.T, data []byte, rows int, rejects []Reject, st DecodeStats, maxLine int) {
	t.Helper()
	if maxLine <= 0 {
		maxLine = DefaultMaxLineBytes
	}
	// The decoder drops a byte order mark before it splits lines: a file
	// of only a BOM has no line at all.
	lines := bytes.Split(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")), []byte{'\n'})
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1] // the newline ends the last line
	}
	blank := 0
	for _, ln := range lines {
		ln = bytes.TrimSuffix(ln, []byte{'\r'})
		if len(ln) <= maxLine && len(bytes.Trim(ln, " \t\r")) == 0 {
			blank++
		}
	}
	if st.Blank != blank || st.Lines != len(lines)-blank || st.Lines != rows+len(rejects) {
		t.Fatalf("stats %+v, rows %d, rejects %d; data has %d lines, %d blank", st, rows, len(rejects), len(lines), blank)
	}
	prev := 0
	for _, r := range rejects {
		if r.Source != "f" || r.Line <= prev || r.Line > len(lines) || r.Reason == "" {
			t.Fatalf("reject %+v after line %d of %d", r, prev, len(lines))
		}
		prev = r.Line
		raw := string(bytes.TrimSuffix(lines[r.Line-1], []byte{'\r'}))
		if r.Truncated {
			if len(raw) <= MaxRawKept || r.Raw != raw[:MaxRawKept] {
				t.Fatalf("line %d: truncated raw of %d bytes for a line of %d", r.Line, len(r.Raw), len(raw))
			}
		} else if r.Raw != raw {
			t.Fatalf("line %d: raw %q, want %q", r.Line, r.Raw, raw)
		}
		if len(raw) > maxLine && !strings.HasPrefix(r.Reason, "line longer than") {
			t.Fatalf("line %d of %d bytes over %d: reason %q", r.Line, len(raw), maxLine, r.Reason)
		}
	}
}

// cutLines cuts data into up to three chunks at line ends near the two
// offsets, numbering their first lines.
func cutLines(data []byte, cut1, cut2 int) []Chunk {
	var chunks []Chunk
	line, start := 1, 0
	for _, at := range []int{min(cut1, cut2), max(cut1, cut2)} {
		if at <= start || at >= len(data) {
			continue
		}
		i := bytes.IndexByte(data[at:], '\n')
		if i < 0 {
			break
		}
		end := at + i + 1
		chunks = append(chunks, Chunk{Name: "f", FirstLine: line, Data: data[start:end]})
		line += bytes.Count(data[start:end], []byte{'\n'})
		start = end
	}
	return append(chunks, Chunk{Name: "f", FirstLine: line, Data: data[start:]})
}

// sameValue is value identity, with NaN equal to NaN.
func sameValue(a, b value.Value) bool {
	if a.Kind != b.Kind || a.I != b.I || a.S != b.S {
		return false
	}
	return a.F == b.F || (math.IsNaN(a.F) && math.IsNaN(b.F))
}
