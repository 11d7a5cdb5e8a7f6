package engine

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"brook/sql"
	"brook/value"
)

var rewriteSemantics = flag.Bool("rewrite-semantics", false, "rewrite the expectations of testdata/semantics/*.txtar from what the engine gives (review the diff)")

// TestSemantics runs the engine semantics scripts in testdata/semantics.
// Each is a txtar archive whose comment says what it shows, and whose
// sections are read in order:
//
//	-- schema --   the table t's columns: "k VARCHAR, v BIGINT, x DOUBLE"
//	-- query --    one SELECT over t
//	-- options --  optional: "mode append", "lateness 0.5", "final-only"
//	               (one per line; lateness turns the watermark on)
//	-- batch --    NDJSON records, one micro-batch
//	-- emit --     what that batch emits, one row per line, cells " | "
//	               apart as Value.Format writes them; empty: nothing
//	-- close --    what the end of the input emits (windows still open)
//	-- final --    the final result
//	-- error --    instead of an emit: a part of the error the batch (or,
//	               first in the file, planning the query) fails with
//
// Rows compare in the order the engine gives them. Run with
// -rewrite-semantics to write the engine's answers into the scripts, then
// review the diff.
func TestSemantics(t *testing.T) {
	files, err := filepath.Glob("testdata/semantics/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no semantics scripts: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if runSemantics(t, file, ar) && *rewriteSemantics {
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// runSemantics runs one script; it reports whether an expectation was
// rewritten.
func runSemantics(t *testing.T, file string, ar *txtar.Archive) (rewrote bool) {
	var schema value.Schema
	var query string
	var opts Options
	var q *Query
	var p *sql.Plan
	var planErr error
	batches := 0
	var last string // what the last step gave, for the expectation after it
	lastErr := error(nil)
	check := func(i int, name, got string) {
		want := string(ar.Files[i].Data)
		if got == want {
			return
		}
		if *rewriteSemantics {
			ar.Files[i].Data = []byte(got)
			rewrote = true
			return
		}
		t.Errorf("%s: section %d (-- %s --) after %d batches:\n got:\n%s\nwant:\n%s", file, i, name, batches, got, want)
	}
	build := func() {
		if q != nil || planErr != nil {
			return
		}
		if p, planErr = sql.Build(query, catalog(schema)); planErr == nil {
			q, planErr = New(p, opts)
		}
	}
	for i, f := range ar.Files {
		text := string(f.Data)
		switch f.Name {
		case "schema":
			s, err := value.ParseSchema(strings.TrimSpace(text))
			if err != nil {
				t.Fatalf("%s: schema: %v", file, err)
			}
			schema = s
		case "query":
			query = strings.TrimSpace(text)
		case "options":
			for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
				key, val, _ := strings.Cut(strings.TrimSpace(line), " ")
				switch key {
				case "mode":
					switch val {
					case "append":
						opts.Mode = Append
					case "update":
						opts.Mode = Update
					case "complete":
						opts.Mode = Complete
					default:
						t.Fatalf("%s: unknown mode %q", file, val)
					}
				case "lateness":
					l, err := strconv.ParseFloat(val, 64)
					if err != nil {
						t.Fatalf("%s: lateness %q: %v", file, val, err)
					}
					opts.Watermark, opts.Lateness = true, l
				case "final-only":
					opts.FinalOnly = true
				case "":
				default:
					t.Fatalf("%s: unknown option %q", file, key)
				}
			}
		case "batch":
			opts.KeepFinal = true
			build()
			if planErr != nil {
				t.Fatalf("%s: planning: %v", file, planErr)
			}
			lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
			rows, err := q.Process(decodeLines(t, p, lines...))
			batches++
			last, lastErr = render(rows), err
		case "emit", "close", "final":
			if f.Name == "close" || f.Name == "final" {
				opts.KeepFinal = true
				build()
				if planErr != nil {
					t.Fatalf("%s: planning: %v", file, planErr)
				}
			}
			switch f.Name {
			case "close":
				rows, err := q.Close()
				last, lastErr = render(rows), err
			case "final":
				rows, err := q.Final()
				last, lastErr = render(rows), err
			}
			if lastErr != nil {
				t.Errorf("%s: section %d (-- %s --): %v", file, i, f.Name, lastErr)
				continue
			}
			check(i, f.Name, last)
		case "error":
			opts.KeepFinal = true
			build()
			err := planErr
			if err == nil {
				err = lastErr
			}
			if err == nil {
				t.Errorf("%s: section %d (-- error --): no error; the step gave:\n%s", file, i, last)
				continue
			}
			want := strings.TrimSpace(text)
			if !strings.Contains(err.Error(), want) {
				if *rewriteSemantics {
					ar.Files[i].Data = []byte(err.Error() + "\n")
					rewrote = true
					continue
				}
				t.Errorf("%s: section %d (-- error --): got %q, want it to contain %q", file, i, err, want)
			}
		default:
			t.Fatalf("%s: unknown section %q", file, f.Name)
		}
	}
	if query == "" {
		t.Fatalf("%s: no query", file)
	}
	if batches == 0 && planErr == nil {
		t.Fatalf("%s: no batch", file)
	}
	return rewrote
}
