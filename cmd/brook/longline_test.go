package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// endlessLine reads as `{"a": "g"}`, then a line of size bytes of 'x' made
// up as it is read, then `{"a": "h"}`.
func endlessLine(size int64) io.Reader {
	return io.MultiReader(strings.NewReader("{\"a\": \"g\"}\n"),
		io.LimitReader(repeatReader('x'), size),
		strings.NewReader("\n{\"a\": \"h\"}\n"))
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// TestRunLongLineFromStdin: a 32 MiB line on standard input, with
// --max-line-bytes 1000, is one rejected line under every --on-error
// policy: fail names stdin:2, the bound and the flag; skip counts it;
// quarantine writes its first 4 KiB, marked truncated.
func TestRunLongLineFromStdin(t *testing.T) {
	const size = 32 << 20
	base := []string{"run", "--source", "flows=-", "--schema", "a VARCHAR", "--max-line-bytes", "1000", "--emit", "final", "--format", "csv", "-e", "SELECT count(*) AS n FROM flows"}

	code, _, errOut := brookIn(t, endlessLine(size), base...)
	if want := "stdin:2: line longer than 1000 bytes (--max-line-bytes)"; code != exitError || !strings.Contains(errOut, want) {
		t.Errorf("fail: exit %d, stderr %q; want exit 2 saying %q", code, errOut, want)
	}
	code, out, errOut := brookIn(t, endlessLine(size), append(base, "--on-error", "skip")...)
	if code != exitOK || !strings.HasSuffix(out, "n\n2\n") {
		t.Errorf("skip: exit %d, stdout %q, stderr %q; want the two short lines counted", code, out, errOut)
	}
	dead := filepath.Join(t.TempDir(), "dead.jsonl")
	code, _, errOut = brookIn(t, endlessLine(size), append(base, "--on-error", "quarantine", "--dead-letter", dead)...)
	data, _ := os.ReadFile(dead)
	var rec map[string]any
	if err := json.Unmarshal(data, &rec); code != exitOK || err != nil || rec["line"] != 2.0 || rec["raw_truncated"] != true ||
		rec["raw"] != strings.Repeat("x", 4096) || rec["reason"] != "line longer than 1000 bytes (--max-line-bytes)" {
		t.Errorf("quarantine: exit %d, stderr %q\ndead letter (%d bytes) %.300s", code, errOut, len(data), data)
	}
}
