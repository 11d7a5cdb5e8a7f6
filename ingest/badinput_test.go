package ingest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"brook/value"
)

// TestBadInput: every kind of bad input the decoder meets, with the rows it
// yields, the lines it rejects (line number and exact reason) and the blank
// lines it counts.
func TestBadInput(t *testing.T) {
	cols := schema("a", value.Float, "s", value.String)
	type rej struct {
		line   int
		reason string
	}
	long := `{"a": 1.0, "s": "` + strings.Repeat("x", 40) + `"}`
	cases := []struct {
		name    string
		maxLine int
		in      string
		rows    [][]value.Value
		rejects []rej
		blank   int
	}{
		{name: "malformed JSON lines",
			in:   "{\"a\": 1.0}\n{\"a\": 1.0 \"s\": \"x\"}\n{oops}\n{\"a\": [1, }\n{\"a\": 2.0}\n",
			rows: [][]value.Value{row(vF(1), vNull), row(vF(2), vNull)},
			rejects: []rej{{2, `malformed JSON: unexpected '"' after a value`}, {3, "malformed JSON: expected a quoted key"},
				{4, "malformed JSON: unexpected '}'"}}},
		{name: "truncated last line",
			in:      "{\"a\": 1.0}\n{\"a\": 2.0, \"s\": \"ab",
			rows:    [][]value.Value{row(vF(1), vNull)},
			rejects: []rej{{2, "malformed JSON: unterminated string (truncated line?)"}}},
		{name: "truncated last line after a value",
			in:      "{\"a\": 1.0}\n{\"a\": 2.0",
			rows:    [][]value.Value{row(vF(1), vNull)},
			rejects: []rej{{2, "malformed JSON: unterminated object (truncated line?)"}}},
		{name: "blank lines are counted, not rejected",
			in:    "\n{\"a\": 1.0}\n   \n\t\n{\"a\": 2.0}\n\n",
			rows:  [][]value.Value{row(vF(1), vNull), row(vF(2), vNull)},
			blank: 4},
		{name: "CRLF line endings",
			in:      "{\"a\": 1.0, \"s\": \"x\"}\r\n\r\n{\"a\": x}\r\n{\"s\": \"y\"}\r\n",
			rows:    [][]value.Value{row(vF(1), vS("x")), row(vNull, vS("y"))},
			rejects: []rej{{3, "malformed JSON: unexpected 'x'"}},
			blank:   1},
		{name: "UTF-8 byte order mark at the start",
			in:   "\xEF\xBB\xBF{\"a\": 1.0}\n{\"a\": 2.0}\n",
			rows: [][]value.Value{row(vF(1), vNull), row(vF(2), vNull)}},
		{name: "byte order mark inside the file",
			in:      "{\"a\": 1.0}\n\xEF\xBB\xBF{\"a\": 2.0}\n",
			rows:    [][]value.Value{row(vF(1), vNull)},
			rejects: []rej{{2, "not a JSON object"}}},
		{name: "invalid UTF-8",
			in:      "{\"s\": \"ok\"}\n{\"s\": \"b\xffd\"}\n{\"s\": \"esc\\n\xc3\"}\n{\"other\": \"\xfe\", \"s\": \"unread field\"}\n",
			rows:    [][]value.Value{row(vNull, vS("ok")), row(vNull, vS("unread field"))},
			rejects: []rej{{2, `field "s": invalid UTF-8`}, {3, `field "s": invalid UTF-8`}}},
		{name: "a string where a number is declared",
			in:   "{\"a\": \"abc\"}\n{\"a\": \"2.5\"}\n{\"a\": \"\"}\n{\"a\": 3}\n",
			rows: [][]value.Value{row(vF(2.5), vNull), row(vF(3), vNull)},
			rejects: []rej{{1, `field "a": cannot convert "abc" to DOUBLE`},
				{3, `field "a": cannot convert "" to DOUBLE`}}},
		{name: "missing fields are NULL",
			in:   "{\"s\": \"x\"}\n{}\n{\"a\": null, \"s\": null}\n",
			rows: [][]value.Value{row(vNull, vS("x")), row(vNull, vNull), row(vNull, vNull)}},
		{name: "extra and nested fields",
			in: "{\"a\": 1.0, \"x\": {\"y\": [1, {\"z\": null}]}, \"s\": {\"k\": [1, 2]}, \"t\": [true]}\n" +
				"{\"a\": {\"n\": 1}}\n",
			rows:    [][]value.Value{row(vF(1), vS(`{"k":[1,2]}`))},
			rejects: []rej{{2, `field "a": nested JSON where DOUBLE is declared`}}},
		{name: "over-long lines", maxLine: 40,
			in:      "{\"a\": 1.0}\n" + long + "\n{\"a\": 2.0}\n" + long,
			rows:    [][]value.Value{row(vF(1), vNull), row(vF(2), vNull)},
			rejects: []rej{{2, "line longer than 40 bytes (--max-line-bytes)"}, {4, "line longer than 40 bytes (--max-line-bytes)"}}},
		{name: "a line exactly at the limit", maxLine: len(long),
			in:   long + "\r\n",
			rows: [][]value.Value{row(vF(1), vS(strings.Repeat("x", 40)))}},
		{name: "empty input", in: ""},
		{name: "only blank lines", in: "\n \r\n", blank: 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := NewDecoder(cols)
			d.SetMaxLineBytes(c.maxLine)
			b := &Batch{}
			b.Reset(len(cols))
			rejects, stats := d.Decode([]Chunk{{Name: "in.json", FirstLine: 1, Data: []byte(c.in)}}, b)
			checkShape(t, b)
			checkRows(t, b, c.rows...)
			var got []rej
			for _, r := range rejects {
				got = append(got, rej{r.Line, r.Reason})
				if r.Source != "in.json" {
					t.Errorf("reject source %q", r.Source)
				}
			}
			if !reflect.DeepEqual(got, c.rejects) {
				t.Errorf("rejects = %+v\nwant      %+v", got, c.rejects)
			}
			if stats.Blank != c.blank || stats.Lines != len(c.rows)+len(c.rejects) {
				t.Errorf("stats = %+v, want %d blank and %d lines", stats, c.blank, len(c.rows)+len(c.rejects))
			}
		})
	}
}

// TestOverLongLineRaw: a reject for an over-long line keeps only the start
// of it, and says so.
func TestOverLongLineRaw(t *testing.T) {
	line := `{"s": "` + strings.Repeat("y", 3*MaxRawKept) + `"}`
	d := NewDecoder(schema("s", value.String))
	d.SetMaxLineBytes(MaxRawKept)
	var b Batch
	b.Reset(1)
	rejects, _ := d.Decode([]Chunk{{Name: "x", FirstLine: 1, Data: []byte(line + "\n" + `{"s": "z"}` + "\n")}}, &b)
	if len(rejects) != 1 || b.Rows != 1 {
		t.Fatalf("rejects %v, rows %d", rejects, b.Rows)
	}
	if r := rejects[0]; !r.Truncated || r.Raw != line[:MaxRawKept] || r.Error() != "x:1: line longer than 4096 bytes (--max-line-bytes)" {
		t.Errorf("reject = %q (truncated %v, %d bytes of raw)", r.Error(), r.Truncated, len(r.Raw))
	}
	// The default is DuckDB's maximum_object_size.
	if DefaultMaxLineBytes != 16<<20 {
		t.Errorf("DefaultMaxLineBytes = %d", DefaultMaxLineBytes)
	}
}

func TestReasonClass(t *testing.T) {
	for reason, want := range map[string]string{
		"malformed JSON: unterminated string (truncated line?)": "malformed JSON",
		"not a JSON object":                                     "not a JSON object",
		"line longer than 40 bytes (--max-line-bytes)":          "line too long",
		`field "s": invalid UTF-8`:                              `field "s": invalid UTF-8`,
		`field "s": duplicate key`:                              `field "s": duplicate key`,
		"malformed JSON: raw control character in string":       "malformed JSON",
		`field "a": cannot convert "abc" to DOUBLE`:             `field "a": wrong type`,
		`field "a\"b": 1e999 is out of BIGINT range`:            `field "a\"b": wrong type`,
		`field "a": nested JSON where DOUBLE is declared`:       `field "a": wrong type`,
		"corrupt gzip file: gzip: invalid header":               "corrupt .gz file",
		"cannot read the file: permission denied":               "unreadable file",
		"something new":                                         "something new",
		"malformed JSON: unexpected 'x' after a value":          "malformed JSON",
		`field "b": boolean true where TIMESTAMP is declared`:   `field "b": wrong type`,
		`field "n": 1.5e300 does not fit BIGINT`:                `field "n": wrong type`,
		`field "t": cannot convert "2024-13-45" to TIMESTAMP`:   `field "t": wrong type`,
		"malformed JSON: unterminated object (truncated line?)": "malformed JSON",
	} {
		if got := ReasonClass(reason); got != want {
			t.Errorf("ReasonClass(%q) = %q, want %q", reason, got, want)
		}
	}
}

// TestDirBadFiles: an empty file is read as no rows; a corrupt .gz file is
// a *FileError naming it, and SkipFile goes on after it.
func TestDirBadFiles(t *testing.T) {
	dir := t.TempDir()
	empty, bad, good := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json.gz"), filepath.Join(dir, "c.json")
	writeFile(t, empty, "")
	writeFile(t, bad, "not gzip data at all\n")
	writeFile(t, good, "{\"a\": 1.0}\n")
	src := openDir(t, DirOptions{Path: dir})
	ctx := context.Background()

	b, err := src.Next(ctx)
	wantBatch(t, b, err, []string{empty}, []string{""})
	var batch Batch
	batch.Reset(1)
	rejects, stats := NewDecoder(schema("a", value.Float)).Decode(b.Chunks, &batch)
	if batch.Rows != 0 || len(rejects) != 0 || stats != (DecodeStats{}) {
		t.Errorf("empty file: %d rows, rejects %v, stats %+v", batch.Rows, rejects, stats)
	}

	_, err = src.Next(ctx)
	var fe *FileError
	if !errors.As(err, &fe) || fe.Name != bad || err.Error() != bad+": corrupt gzip file: gzip: invalid header" {
		t.Fatalf("corrupt .gz: error %v, want a *FileError naming %s", err, bad)
	}
	if _, err := src.Next(ctx); !errors.As(err, &fe) {
		t.Fatalf("without SkipFile the bad file stays first: %v", err)
	}
	src.SkipFile(bad)
	b, err = src.Next(ctx)
	wantBatch(t, b, err, []string{good}, []string{"{\"a\": 1.0}\n"})
	wantEnd(t, src)

	// A file removed between listing and reading is a *FileError too.
	dir2 := t.TempDir()
	gone := filepath.Join(dir2, "gone.json")
	writeFile(t, gone, "{}\n")
	src2 := openDir(t, DirOptions{Path: dir2})
	if _, err := src2.ready(); err != nil {
		t.Fatal(err)
	}
	os.Remove(gone)
	if _, err := src2.read([]string{gone}); !errors.As(err, &fe) || err.Error() != gone+": cannot read the file: no such file or directory" {
		t.Errorf("removed file: error %v", err)
	}
}

// TestDirChanged: a file removed or rewritten after the source read it is
// reported, with how it changed; untouched files are not.
func TestDirChanged(t *testing.T) {
	dir := t.TempDir()
	names := map[string]string{}
	for _, n := range []string{"a", "b", "c", "d"} {
		names[n] = filepath.Join(dir, n+".json")
		writeFile(t, names[n], "{\"a\": 1.0}\n")
	}
	src := openDir(t, DirOptions{Path: dir, FilesPerBatch: 10})
	b, err := src.Next(context.Background())
	if err != nil || len(b.Files) != 4 {
		t.Fatalf("Next: %v, %v", b, err)
	}
	if ch := src.Changed(b.Files); len(ch) != 0 {
		t.Fatalf("nothing changed yet: %v", ch)
	}
	os.Remove(names["a"])
	writeFile(t, names["b"], "{\"a\": 2.0}\n{\"a\": 3.0}\n")
	later := time.Now().Add(time.Hour)
	writeFile(t, names["c"], "{\"a\": 9.0}\n") // same size
	if err := os.Chtimes(names["c"], later, later); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(src.Changed(append(b.Files, filepath.Join(dir, "never-read.json"))), "\n")
	for _, want := range []string{
		names["a"] + ": removed after it was read",
		names["b"] + ": rewritten after it was read (11 bytes then, 22 now)",
		names["c"] + ": modified after it was read (at ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Changed = %q, want it to hold %q", got, want)
		}
	}
	if strings.Contains(got, names["d"]) || strings.Contains(got, "never-read") {
		t.Errorf("Changed = %q names an unchanged or unread file", got)
	}
	if st, ok := src.Stamp(names["d"]); !ok || st.Size != 11 {
		t.Errorf("Stamp(d) = %+v, %v", st, ok)
	}
}

// TestLimitLines: lines longer than the limit are cut to limit+1 bytes, the
// rest dropped as it streams by, whatever the read sizes; other lines pass
// unchanged.
func TestLimitLines(t *testing.T) {
	in := "short\n" + strings.Repeat("x", 100) + "\nok\n" + strings.Repeat("y", 11) + "\r\n" + strings.Repeat("z", 50)
	want := "short\n" + strings.Repeat("x", 11) + "\nok\n" + strings.Repeat("y", 11) + "\n" + strings.Repeat("z", 11)
	for _, r := range []func() io.Reader{
		func() io.Reader { return strings.NewReader(in) },
		func() io.Reader { return iotest.OneByteReader(strings.NewReader(in)) },
		func() io.Reader { return iotest.HalfReader(strings.NewReader(in)) },
	} {
		got, err := io.ReadAll(LimitLines(r(), 10))
		if err != nil || string(got) != want {
			t.Errorf("LimitLines = %q, %v; want %q", got, err, want)
		}
	}
	// Through a decoder with the same limit, the cut line is rejected at
	// its own line number and the next line is read.
	src := NewReaderSource("stdin", LimitLines(strings.NewReader("{\"a\": 1.0}\n{\"a\": \""+strings.Repeat("w", 1<<20)+"\"}\n{\"a\": 2.0}\n"), 64), Options{})
	defer src.Close()
	var all []byte
	for {
		b, err := src.Next(context.Background())
		if errors.Is(err, ErrEndOfInput) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range b.Chunks {
			all = append(all, c.Data...)
		}
	}
	if len(all) > 200 {
		t.Errorf("the source held %d bytes for a 1 MiB line cut at 64", len(all))
	}
	d := NewDecoder(schema("a", value.Float))
	d.SetMaxLineBytes(64)
	var b Batch
	b.Reset(1)
	rejects, _ := d.Decode([]Chunk{{Name: "stdin", FirstLine: 1, Data: all}}, &b)
	if b.Rows != 2 || len(rejects) != 1 || rejects[0].Line != 2 || !strings.Contains(rejects[0].Reason, "longer than 64 bytes") {
		t.Errorf("rows %d, rejects %v", b.Rows, rejects)
	}
	if !bytes.HasPrefix(all, []byte("{\"a\": 1.0}\n{\"a\": \"www")) {
		t.Errorf("data = %.40q", all)
	}
}

// TestDecodeKeyCache: the per-position key cache (see Decoder.remember)
// never changes what a line decodes to: lines that space their keys
// differently, or whose first key is escaped (and so never cached), decode
// as a fresh decoder would. FuzzDecode found both.
func TestDecodeKeyCache(t *testing.T) {
	cols := schema("a", value.Float, "s", value.String)
	for _, in := range []string{
		"{\"a\":1.0,\"s\":\"x\"}\n{\"a\": 2.0, \"s\":  \"y\"}\n{\"a\":\t3.0,\"s\":\"z\"}\n",
		"{\"a\":1.0}\n{\"a\": 2.0}\n{\"a\":3.0}\n",
		"{\"\\u0061\": 1.0, \"s\": \"x\"}\n{\"\\u0061\": 2.0, \"s\": \"y\"}\n{\"\\u0061\": 3.0, \"s\": \"z\"}\n",
	} {
		b, rejects, _ := decodeText(t, cols, in)
		noRejects(t, rejects)
		if b.Rows != 3 || b.Row(1)[0] != vF(2) || b.Row(2)[0] != vF(3) {
			t.Errorf("%q: %d rows %v", in, b.Rows, b.Values)
		}
	}
}
