package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInferenceFollowsOnError: a corrupt .gz file first in the source,
// with no --schema. Under --on-error fail, inference stops naming it, as
// before; under skip and quarantine it samples the other files and the run
// goes on, counting the corrupt file as an unreadable file skipped.
func TestInferenceFollowsOnError(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "a.json.gz")
	for name, data := range map[string]string{
		"a.json.gz": "\x1f\x8b\x08\x00 this is not gzip",
		"b.json":    "{\"a\": \"g\", \"b\": 1.0}\n{\"a\": \"g\", \"b\": 2.0}\n",
		"c.json":    "{\"a\": \"h\", \"b\": 3.0}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	query := []string{"--source", "flows=" + dir, "-e", "SELECT a, sum(b) AS b FROM flows GROUP BY a ORDER BY a"}

	code, out, errOut := brook(t, append([]string{"run"}, query...)...)
	if code != exitError || out != "" || !strings.Contains(errOut, corrupt+": corrupt gzip file") {
		t.Errorf("--on-error fail: exit %d\nstdout %q\nstderr %q\nwant exit 2 naming the corrupt file", code, out, errOut)
	}

	dead := filepath.Join(t.TempDir(), "dead.jsonl")
	for _, policy := range [][]string{{"--on-error", "skip"}, {"--on-error", "quarantine", "--dead-letter", dead}} {
		code, out, errOut := brook(t, append(append([]string{"run"}, policy...), query...)...)
		if code != exitOK || !strings.Contains(out, "|g|3.0|\n|h|3.0|") || !strings.Contains(errOut, "3 rows in, 1 rejected, 1 unreadable file skipped") || !strings.Contains(errOut, corrupt) {
			t.Errorf("%v: exit %d\nstdout %q\nstderr %q\nwant the two good files' result, the corrupt file named and counted", policy, code, out, errOut)
		}
	}
}
