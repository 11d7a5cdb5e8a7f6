package difftest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// Shrink cuts a finding down while a disagreement of the same kind (and,
// when same is given, one that same accepts) stays:
// first the query's clauses and SELECT items (when q, the query in parts,
// is given), then the records, file by file, in halves and one by one,
// and empty files. It returns the smallest finding; its case's data is
// written under a new directory next to the original's.
func Shrink(ctx context.Context, r *Runner, f *Finding, q *Query, same func(*Finding) bool) *Finding {
	dir, err := os.MkdirTemp(filepath.Dir(f.Case.Dir), "shrink-")
	if err != nil {
		return f
	}
	n := 0
	try := func(query string, data *Dataset) *Finding {
		n++
		d := filepath.Join(dir, fmt.Sprint(n))
		files, err := data.Write(d)
		if err != nil {
			return nil
		}
		c := &Case{Seed: f.Case.Seed, Query: query, Data: data, Dir: d, Files: files, Rerun: f.Case.Rerun}
		out, g := r.Check(ctx, c)
		if out != Disagreed || g.Kind != f.Kind || (same != nil && !same(g)) {
			os.RemoveAll(d)
			return nil
		}
		return g
	}
	best := f
	// The query: drop clauses and items.
	if q != nil {
		cur := *q
		for changed := true; changed; {
			changed = false
			for _, cand := range queryCandidates(&cur) {
				if g := try(cand.String(), best.Case.Data); g != nil {
					best, cur, changed = g, *cand, true
					break
				}
			}
		}
	}
	// The records: remove chunks of each file, halving the chunk size.
	files := best.Case.Data.Files
	for size := max(1, len(best.Case.Data.Lines())/2); ; size /= 2 {
		for fi := 0; fi < len(files); fi++ {
			for at := 0; at < len(files[fi]); {
				cand := cloneFiles(files)
				cand[fi] = slices.Delete(cand[fi], at, min(at+size, len(cand[fi])))
				if g := try(best.Case.Query, &Dataset{Files: cand}); g != nil {
					best, files = g, cand
					continue
				}
				at += size
			}
		}
		if size == 1 {
			break
		}
	}
	// Empty files, and files merged into one.
	for fi := 0; fi < len(files) && len(files) > 1; {
		cand := slices.Delete(cloneFiles(files), fi, fi+1)
		if g := try(best.Case.Query, &Dataset{Files: cand}); g != nil {
			best, files = g, cand
			continue
		}
		fi++
	}
	return best
}

func cloneFiles(files [][]string) [][]string {
	out := make([][]string, len(files))
	for i, f := range files {
		out[i] = slices.Clone(f)
	}
	return out
}

// queryCandidates returns smaller versions of q, each with one part gone.
func queryCandidates(q *Query) []*Query {
	var out []*Query
	with := func(edit func(c *Query)) {
		c := *q
		c.Select = slices.Clone(q.Select)
		c.GroupBy = slices.Clone(q.GroupBy)
		c.OrderBy = slices.Clone(q.OrderBy)
		edit(&c)
		out = append(out, &c)
	}
	if q.Where != "" {
		with(func(c *Query) { c.Where = "" })
	}
	if q.Having != "" {
		with(func(c *Query) { c.Having = "" })
	}
	if q.Limit >= 0 {
		with(func(c *Query) { c.Limit, c.Offset = -1, 0 })
	}
	if q.Offset > 0 {
		with(func(c *Query) { c.Offset = 0 })
	}
	for i := range q.OrderBy {
		with(func(c *Query) { c.OrderBy = slices.Delete(c.OrderBy, i, i+1) })
	}
	for i := range q.Select {
		if len(q.Select) > 1 {
			with(func(c *Query) { c.Select = slices.Delete(c.Select, i, i+1) })
		}
	}
	start := 0
	if q.Windowed {
		start = 1
	}
	for i := start; i < len(q.GroupBy); i++ {
		with(func(c *Query) { c.GroupBy = slices.Delete(c.GroupBy, i, i+1) })
	}
	return out
}
