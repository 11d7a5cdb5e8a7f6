package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"brook/diff"
)

// TestDiffBadInput: for every kind of bad input, --on-error fail stops
// naming file:line (or the file), and --on-error skip counts it while the
// baseline reads the same records (like with like): the diff is EQUAL,
// both sides read the same number of rows, and both report the rejects.
func TestDiffBadInput(t *testing.T) {
	const good = "{\"a\": \"g\", \"b\": 1.0}\n{\"a\": \"h\", \"b\": 2.0}\n"
	long := `{"a": "long", "b": 1.0, "pad": "` + strings.Repeat("p", 300) + `"}`
	cases := []struct {
		name     string
		files    map[string]string
		query    string // default: every column read
		args     []string
		rows     int64  // input rows both sides read
		rejected int64  // lines (or files) rejected
		failErr  string // what --on-error fail says ("": no error)
		reasons  string // reason classes with counts
		note     string // a note the report must hold
	}{
		{name: "malformed JSON", files: map[string]string{"x.json": good + "{\"a\": \"m\" \"b\": 3.0}\n{oops}\n" + good},
			rows: 4, rejected: 2, failErr: "x.json:3: malformed JSON: unexpected '\"' after a value", reasons: "2 malformed JSON"},
		{name: "truncated last line", files: map[string]string{"x.json": good + "{\"a\": \"t\", \"b\": 4"},
			rows: 2, rejected: 1, failErr: "x.json:3: malformed JSON: unterminated object (truncated line?)", reasons: "1 malformed JSON"},
		{name: "blank lines", files: map[string]string{"x.json": "\n" + good + "  \n\t\n" + good + "\n"},
			rows: 4},
		{name: "CRLF", files: map[string]string{"x.json": strings.ReplaceAll(good, "\n", "\r\n") + "\r\n" + good},
			rows: 4},
		{name: "byte order mark", files: map[string]string{"x.json": "\xEF\xBB\xBF" + good, "y.json": good},
			rows: 4},
		{name: "invalid UTF-8 in a column read", files: map[string]string{"x.json": good + "{\"a\": \"\xff\", \"b\": 5.0}\n"},
			rows: 2, rejected: 1, failErr: `x.json:3: field "a": invalid UTF-8`, reasons: `1 field "a": invalid UTF-8`},
		{name: "invalid UTF-8 in a field not read", files: map[string]string{"x.json": good + "{\"a\": \"u\", \"b\": 5.0, \"c\": \"\xff\"}\n"},
			rows: 3, note: "the stream accepted 1 line with invalid UTF-8 in fields the query does not read"},
		{name: "a string where a number is declared", files: map[string]string{"x.json": good + "{\"a\": \"w\", \"b\": \"many\"}\n{\"a\": \"w\", \"b\": \"6.5\"}\n"},
			rows: 3, rejected: 1, failErr: `x.json:3: field "b": cannot convert "many" to DOUBLE`, reasons: `1 field "b": wrong type`},
		{name: "missing fields", files: map[string]string{"x.json": good + "{\"a\": \"only a\"}\n{}\n"},
			rows: 4},
		{name: "extra and nested fields", files: map[string]string{"x.json": good + "{\"a\": \"n\", \"b\": 7.0, \"x\": {\"y\": [1, {\"z\": null}]}, \"z\": [true]}\n"},
			rows: 3},
		{name: "nested value where a number is declared", files: map[string]string{"x.json": good + "{\"a\": \"n\", \"b\": {\"v\": 1}}\n"},
			rows: 2, rejected: 1, failErr: `x.json:3: field "b": nested JSON where DOUBLE is declared`, reasons: `1 field "b": wrong type`},
		{name: "over-long line", files: map[string]string{"x.json": good + long + "\n" + good}, args: []string{"--max-line-bytes", "200"},
			rows: 4, rejected: 1, failErr: "x.json:3: line longer than 200 bytes (--max-line-bytes)", reasons: "1 line too long"},
		{name: "empty file", files: map[string]string{"x.json": "", "y.json": good},
			rows: 2},
		{name: "corrupt .gz file", files: map[string]string{"x.json.gz": "this is not gzip\n", "y.json": good},
			rows: 2, rejected: 1, failErr: "x.json.gz: corrupt gzip file: gzip: invalid header", reasons: "1 corrupt .gz file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, text := range c.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			query := c.query
			if query == "" {
				query = "SELECT a, count(*) AS n, sum(b) AS b FROM flows GROUP BY a"
				if strings.Contains(c.name, "not read") {
					query = "SELECT a, sum(b) AS b FROM flows GROUP BY a"
				}
			}
			args := append([]string{"--source", "flows=" + dir, "--schema", "a VARCHAR, b DOUBLE", "-e", query}, c.args...)

			code, out, errOut := brook(t, append([]string{"diff"}, args...)...)
			if c.failErr != "" {
				if code != exitError || !strings.Contains(errOut, filepath.Join(dir, c.failErr)) || !strings.Contains(errOut, "use --on-error skip or quarantine") {
					t.Fatalf("--on-error fail: exit %d, stderr %q; want 2 and %q", code, errOut, c.failErr)
				}
			} else if code != exitOK {
				t.Fatalf("--on-error fail on good input: exit %d\n%s%s", code, out, errOut)
			}

			code, out, errOut = brook(t, append([]string{"diff", "--on-error", "skip", "--format", "json"}, args...)...)
			if code != exitOK {
				t.Fatalf("--on-error skip: exit %d, want 0 (equal)\n%s%s", code, out, errOut)
			}
			var rep struct {
				Equal    bool      `json:"equal"`
				Stream   diff.Side `json:"stream"`
				Baseline diff.Side `json:"baseline"`
				Notes    []string  `json:"notes"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("bad report %v: %s", err, out)
			}
			s, b := rep.Stream, rep.Baseline
			if s.RowsRead != c.rows || b.RowsRead != c.rows || s.Rejected != c.rejected || b.Rejected != c.rejected {
				t.Errorf("rows read %d/%d, rejected %d/%d (stream/baseline); want %d rows and %d rejected on both sides\n%s",
					s.RowsRead, b.RowsRead, s.Rejected, b.Rejected, c.rows, c.rejected, out)
			}
			var reasons []string
			for _, r := range s.Reasons {
				reasons = append(reasons, strings.TrimSpace(strings.Join([]string{itoa(r.Count), r.Reason}, " ")))
			}
			if got := strings.Join(reasons, ", "); got != c.reasons {
				t.Errorf("reasons %q, want %q", got, c.reasons)
			}
			if c.rejected > 0 && (!strings.Contains(b.RejectedHow, "like with like") || len(b.Reasons) != len(s.Reasons)) {
				t.Errorf("the baseline does not say how it left the rejected lines out: %+v", b)
			}
			if notes := strings.Join(rep.Notes, "\n"); (c.note == "") != (notes == "") || !strings.Contains(notes, c.note) {
				t.Errorf("notes %q, want %q", notes, c.note)
			}
		})
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestDiffInputChanged: a file removed or rewritten between the stream
// and the baseline is reported as such, and no comparison is made.
func TestDiffInputChanged(t *testing.T) {
	defer func() { testHookBeforeBaseline = nil }()
	for _, c := range []struct {
		name   string
		change func(t *testing.T, file string)
		want   string
	}{
		{"rewritten", func(t *testing.T, f string) {
			os.WriteFile(f, []byte("{\"a\": \"other\", \"b\": 99.0}\n"), 0o644)
		}, "rewritten after it was read (32 bytes then, 26 now)"},
		{"removed", func(t *testing.T, f string) { os.Remove(f) }, "removed after it was read"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "x.json")
			os.WriteFile(file, []byte("{\"a\": \"g\", \"b\": 1.0}\n{\"a\": \"h\"}\n"), 0o644)
			os.WriteFile(filepath.Join(dir, "y.json"), []byte("{\"a\": \"g\", \"b\": 1.0}\n"), 0o644)
			testHookBeforeBaseline = func(files []string) { c.change(t, file) }
			code, out, errOut := brook(t, "diff", "--source", "flows="+dir, "--schema", "a VARCHAR, b DOUBLE", "-e", "SELECT a, sum(b) AS b FROM flows GROUP BY a")
			if code != exitError || out != "" || !strings.Contains(errOut, "the input changed after the stream read it") || !strings.Contains(errOut, file+": "+c.want) {
				t.Errorf("exit %d\nstdout %q\nstderr %q\nwant exit 2 naming %s: %s", code, out, errOut, file, c.want)
			}
			if strings.Contains(errOut, "y.json") {
				t.Errorf("the unchanged file is named: %s", errOut)
			}
		})
	}
}

// TestRunQuarantineFlags: quarantine needs a dead letter file and writes
// it; the dead letter file goes with quarantine only.
func TestRunQuarantineFlags(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x.json"), []byte("{\"a\": \"g\"}\n{bad\n"), 0o644)
	dead := filepath.Join(t.TempDir(), "dead.jsonl")
	base := []string{"run", "--source", "flows=" + dir, "--schema", "a VARCHAR", "-e", "SELECT count(*) AS n FROM flows"}
	for _, c := range []struct {
		args []string
		err  string
	}{
		{[]string{"--on-error", "quarantine"}, "--on-error quarantine needs --dead-letter FILE"},
		{[]string{"--dead-letter", dead}, "--dead-letter is written with --on-error quarantine, not fail"},
		{[]string{"--on-error", "ignore"}, `unknown --on-error policy "ignore" (want fail, skip or quarantine)`},
		{[]string{"--max-line-bytes", "0"}, "--max-line-bytes must be at least 1"},
	} {
		if code, _, errOut := brook(t, append(base, c.args...)...); code != exitError || !strings.Contains(errOut, c.err) {
			t.Errorf("%v: exit %d, stderr %q; want %q", c.args, code, errOut, c.err)
		}
	}
	code, _, errOut := brook(t, append(base, "--on-error", "quarantine", "--dead-letter", dead)...)
	data, _ := os.ReadFile(dead)
	want := `{"file":"` + filepath.Join(dir, "x.json") + `","line":2,"reason":"malformed JSON: expected a quoted key","raw":"{bad","batch":0}` + "\n"
	if code != exitOK || string(data) != want || !strings.Contains(errOut, "1 rejected (rejected lines quarantined in "+dead+")") {
		t.Errorf("exit %d, stderr %q\ndead letter %q\nwant        %q", code, errOut, data, want)
	}
}
