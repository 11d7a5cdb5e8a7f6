package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"brook/baseline"
	"brook/diff"
	"brook/sink"
	"brook/value"
)

// lanlDir is the real data set, beside the repository (../shared).
const lanlDir = "../../../shared/datasets/lanl"

func brook(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = runMain(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestQueriesOnLANL diffs every query in queries/ on the real LANL data:
// the stream, one file per batch, must equal the DuckDB baseline.
func TestQueriesOnLANL(t *testing.T) {
	if _, err := os.Stat(lanlDir); err != nil {
		t.Skipf("LANL data set not found at %s (CI and developers have it in ../shared beside the repo): %v", lanlDir, err)
	}
	queries, err := filepath.Glob("../../queries/*.sql")
	if err != nil || len(queries) == 0 {
		t.Fatalf("no queries found: %v", err)
	}
	for _, q := range queries {
		t.Run(filepath.Base(q), func(t *testing.T) {
			code, out, errOut := brook(t, "diff", "--format", "json", "--source", "flows="+lanlDir, q)
			if code != exitOK {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
			}
			var rep struct {
				Equal  bool `json:"equal"`
				Stream struct {
					RowsRead int64 `json:"rows_read"`
				}
				Baseline struct {
					RowsRead int64 `json:"rows_read"`
				}
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("bad JSON report: %v\n%s", err, out)
			}
			if !rep.Equal || rep.Stream.RowsRead != 500000 || rep.Baseline.RowsRead != 500000 {
				t.Fatalf("want equal results over 500000 rows on both sides, got %s", out)
			}
		})
	}
}

// TestPitchQueryOnLANL is the query from brook's own pitch, typed as a user
// would, with mixed-case identifiers and a numeric IN list on a string field.
func TestPitchQueryOnLANL(t *testing.T) {
	if _, err := os.Stat(lanlDir); err != nil {
		t.Skipf("LANL data set not found at %s: %v", lanlDir, err)
	}
	code, out, errOut := brook(t, "diff", "--source", "flows="+lanlDir, "-e",
		"SELECT DstDevice, COUNT(*) AS hits FROM flows WHERE DstPort IN (443, 8000) GROUP BY DstDevice ORDER BY hits DESC LIMIT 20")
	if code != exitOK || !strings.HasPrefix(out, "EQUAL: stream and baseline agree on all 20 result rows") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
}

// TestExitStatus checks the documented exit statuses: 0 equal, 1 different,
// 2 error.
func TestExitStatus(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "flows")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "a.json"), []byte("{\"x\": 1.5}\n{\"x\": 2.5}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := "flows=" + data
	if code, out, _ := brook(t, "diff", "--source", src, "-e", "SELECT sum(x) AS s FROM flows"); code != exitOK {
		t.Errorf("equal diff: exit %d, want 0\n%s", code, out)
	}
	// A difference maps to exit status 1, in both report formats.
	rep := diff.Compare([]string{"k", "v"}, []int{0},
		[][]value.Value{{value.StringValue("a"), value.IntValue(1)}},
		[][]value.Value{{value.StringValue("a"), value.IntValue(2)}}, 0)
	for _, f := range []sink.Format{sink.Table, sink.JSON} {
		var out bytes.Buffer
		if code, err := writeReport(&out, rep, f, 10); code != exitDifferent || err != nil {
			t.Errorf("different results: exit %d (%v), want 1", code, err)
		}
		if !strings.Contains(out.String(), "DIFFERENT") {
			t.Errorf("report does not say DIFFERENT:\n%s", out.String())
		}
	}
	if code, _, errOut := brook(t, "diff", "--source", src, "-e", "SELECT nope FROM flows"); code != exitError || !strings.Contains(errOut, "unknown column") {
		t.Errorf("bad query: exit %d, want 2\n%s", code, errOut)
	}
	if code, _, _ := brook(t, "frobnicate"); code != exitError {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	// "help help" is the general help, not a recursion without end.
	for _, args := range [][]string{{"help", "help"}, {"help", "--help"}, {"--help", "-h"}} {
		if code, out, _ := brook(t, args...); code != exitOK || !strings.Contains(out, "brook help [COMMAND]") {
			t.Errorf("brook %s: exit %d, stdout %q", strings.Join(args, " "), code, out)
		}
	}
	// A diff over no input compares nothing: not EQUAL, exit 1.
	empty := filepath.Join(dir, "empty")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := brook(t, "diff", "--source", "flows="+empty, "--schema", "x DOUBLE", "-e", "SELECT count(*) AS n FROM flows"); code != exitDifferent || !strings.HasPrefix(out, "NOTHING COMPARED") {
		t.Errorf("diff over an empty directory: exit %d\n%s", code, out)
	}
	// Help asked for is output: stdout, for a pager or grep; a flag
	// mistake shows it on stderr.
	for _, cmd := range []string{"run", "baseline", "diff", "gen", "produce", "bench", "repl"} {
		if code, out, errOut := brook(t, cmd, "--help"); code != exitOK || !strings.Contains(out, "brook "+cmd) || errOut != "" {
			t.Errorf("%s --help: exit %d, stdout %q, stderr %q", cmd, code, out, errOut)
		}
	}
	if code, out, errOut := brook(t, "run", "--nope"); code != exitError || out != "" || !strings.Contains(errOut, "unknown flag: --nope") {
		t.Errorf("run --nope: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// The DuckDB named is the one linked, as it reports itself.
	duck, err := baseline.LibraryVersion()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"version", "--version"} {
		if code, out, _ := brook(t, v); code != exitOK || !strings.HasPrefix(out, "brook ") || !strings.Contains(out, "go1.") || !strings.Contains(out, ", DuckDB "+duck+" (github.com/duckdb/duckdb-go/") {
			t.Errorf("brook %s: exit %d, %q", v, code, out)
		}
	}
	if code, out, errOut := brook(t, "run", "--explain", "--source", "flows=../../testdata/flows", "-e", "SELECT count(*) AS n FROM flows"); code != exitOK || !strings.Contains(out, "-- DuckDB "+duck+" baseline SQL:\n") {
		t.Errorf("run --explain: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
