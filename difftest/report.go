package difftest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"brook/sql"
	"brook/value"
)

// QueriesPerDataset is how many consecutive seeds share a dataset: seed s
// reads the dataset of seed s/QueriesPerDataset, so a run writes each
// dataset's files once.
const QueriesPerDataset = 8

// maxAttempts bounds how many queries a seed draws before one plans.
const maxAttempts = 20

// Generator turns seeds into cases, writing each dataset once under Root.
type Generator struct {
	Root     string
	written  map[uint64][]string
	Refusals int // queries the planner refused (and that were drawn again)
	Queries  int // queries that planned
}

// NewGenerator writes datasets under root.
func NewGenerator(root string) *Generator {
	return &Generator{Root: root, written: map[uint64][]string{}}
}

// Case returns the case of seed: its dataset, written under Root, and the
// first query drawn for the seed that the planner accepts. q is that
// query in parts.
func (g *Generator) Case(seed uint64) (*Case, *Query, error) {
	ds := seed / QueriesPerDataset
	data := NewDataset(ds)
	dir := filepath.Join(g.Root, fmt.Sprintf("data-%d", ds))
	files, ok := g.written[ds]
	if !ok {
		var err error
		if files, err = data.Write(dir); err != nil {
			return nil, nil, err
		}
		g.written[ds] = files
	}
	for attempt := uint64(0); attempt < maxAttempts; attempt++ {
		q := NewQuery(seed*maxAttempts + attempt)
		if _, err := sql.Build(q.String(), Catalog{}); err != nil {
			g.Refusals++
			continue
		}
		g.Queries++
		return &Case{Seed: seed, Query: q.String(), Data: data, Dir: dir, Files: files}, q, nil
	}
	return nil, nil, fmt.Errorf("seed %d: the planner refused %d queries in a row", seed, maxAttempts)
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// Report renders the finding as a reproduction: the seed, the query, the
// data (its directory and its records), both results and a brook diff
// command line.
func (f *Finding) Report() string {
	c := f.Case
	var b strings.Builder
	fmt.Fprintf(&b, "FINDING (%s), seed %d\n", f.Kind, c.Seed)
	fmt.Fprintf(&b, "  run:    %s\n", f.Check)
	fmt.Fprintf(&b, "  query:  %s\n", c.Query)
	fmt.Fprintf(&b, "  schema: %s\n", Schema)
	fmt.Fprintf(&b, "  data:   %s (%d files)\n", c.Dir, len(c.Files))
	for i, lines := range c.Data.Files {
		fmt.Fprintf(&b, "    %s:\n", FileName(i))
		for _, l := range lines {
			fmt.Fprintf(&b, "      %s\n", l)
		}
	}
	fmt.Fprintf(&b, "  what:   %s\n", indent(f.Detail, "    "))
	b.WriteString(showSide("stream", f.Stream, f.SErr))
	b.WriteString(showSide("DuckDB", f.Base, f.BErr))
	flags := f.Flags
	if flags == "" {
		flags = "--files-per-batch 1"
	}
	fmt.Fprintf(&b, "  reproduce:\n    go run ./cmd/brook diff --source t=%s --schema %s %s -e %s\n",
		c.Dir, shellQuote(Schema.String()), flags, shellQuote(c.Query))
	if c.Rerun != "" {
		fmt.Fprintf(&b, "    %s\n", c.Rerun)
	} else {
		fmt.Fprintf(&b, "    go test ./difftest -run 'TestDifferential$' -seed %d -v\n", c.Seed)
	}
	return b.String()
}

func showSide(name string, rows [][]value.Value, err error) string {
	if err != nil {
		return fmt.Sprintf("  %s: error: %s\n", name, indent(err.Error(), "    "))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  %s: %d rows\n", name, len(rows))
	for i, r := range rows {
		if i == 30 {
			fmt.Fprintf(&b, "    ... %d more\n", len(rows)-i)
			break
		}
		fmt.Fprintf(&b, "    %s\n", FormatRow(r))
	}
	return b.String()
}

func indent(s, pad string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+pad)
}

// Keep copies the finding's data files into dir (created) and points the
// case at the copy, so that the reproduction outlives the run.
func (f *Finding) Keep(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	files, err := f.Case.Data.Write(dir)
	if err != nil {
		return err
	}
	f.Case.Dir, f.Case.Files = dir, files
	return os.WriteFile(filepath.Join(dir, "query.sql"), []byte("-- brook: schema "+Schema.String()+"\n"+f.Case.Query+"\n"), 0o644)
}
