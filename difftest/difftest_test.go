package difftest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"brook/baseline"
	"brook/sql"
)

var (
	flagSeeds  = flag.Int("seeds", 2000, "difftest: how many seeds TestDifferential runs")
	flagFirst  = flag.Uint64("first", 0, "difftest: the first seed TestDifferential runs")
	flagSeed   = flag.Int64("seed", -1, "difftest: run only this seed (known bugs included)")
	flagShrink = flag.Bool("shrink", true, "difftest: shrink a finding's records and query before reporting it")
	flagList   = flag.Bool("showknown", false, "difftest: run the seeds of bugSeeds too, and log one line per finding of a known bug")
	flagKeep   = flag.String("keep", "", "difftest: keep the data of findings under this directory (default: a new temporary directory)")
)

func openDB(t *testing.T) *baseline.DB {
	t.Helper()
	db, err := baseline.Open(1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// keepDir returns where a finding's data is kept: outside the test's
// temporary directories, so that the reproduction outlives the run.
func keepDir(t *testing.T, name string) string {
	t.Helper()
	root := *flagKeep
	if root == "" {
		root = filepath.Join(os.TempDir(), "brook-difftest")
	}
	return filepath.Join(root, name)
}

// report keeps a finding's data and fails the test with its reproduction.
func report(t *testing.T, f *Finding, name string) {
	t.Helper()
	if err := f.Keep(keepDir(t, name)); err != nil {
		t.Logf("keeping the data: %v", err)
	}
	t.Error("\n" + f.Report())
}

// TestDifferential runs a fixed range of seeds (-first, -seeds), or one
// (-seed), each a random query over a random dataset, on the stream and on
// DuckDB.
func TestDifferential(t *testing.T) {
	first, n := *flagFirst, uint64(*flagSeeds)
	if *flagSeed >= 0 {
		first, n = uint64(*flagSeed), 1
	}
	if testing.Short() {
		n = min(n, 40)
	}
	db := openDB(t)
	r := &Runner{DB: db}
	gen := NewGenerator(t.TempDir())
	ctx := context.Background()
	counts := map[Outcome]int{}
	skipped, diverged := 0, 0
	known := map[int][]uint64{} // findings of open issues outside bugSeeds
	for seed := first; seed < first+n; seed++ {
		if issue, ok := bugSeeds[seed]; ok && *flagSeed < 0 && !*flagList {
			if _, open := knownBugs[issue]; open {
				skipped++
				t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { t.Skipf("known bug #%d, being fixed", issue) })
				continue
			}
		}
		c, q, err := gen.Case(seed)
		if err != nil {
			t.Fatal(err)
		}
		out, f := r.Check(ctx, c)
		counts[out]++
		if f == nil {
			if *flagSeed >= 0 {
				t.Logf("seed %d: %s\n  query: %s", seed, [...]string{"agreed", "both failed", "refused", ""}[out], c.Query)
			}
			continue
		}
		issue := classify(f)
		if d, ok := duckdbDivergences[issue]; ok {
			diverged++
			if *flagList || *flagSeed >= 0 {
				t.Logf("seed %d: DuckDB divergence #%d, not a brook bug: %s: %s\n  %s", seed, issue, f.Check, c.Query, d.What)
			}
			continue
		}
		if issue != 0 && *flagSeed < 0 {
			known[issue] = append(known[issue], seed)
			if *flagList {
				t.Logf("seed %d: known bug #%d: %s: %s", seed, issue, f.Check, c.Query)
			}
			continue
		}
		if *flagShrink {
			f = Shrink(ctx, r, f, q, func(g *Finding) bool { return classify(g) == issue })
			if issue != 0 {
				t.Logf("seed %d: known bug #%d: %s", seed, issue, knownBugs[issue].What)
			}
		}
		report(t, f, fmt.Sprintf("seed-%d", seed))
	}
	for issue, seeds := range known {
		t.Errorf("known bug #%d (%s) found by %d seeds not in bugSeeds: %v", issue, knownBugs[issue].What, len(seeds), seeds)
	}
	total := gen.Queries + gen.Refusals
	t.Logf("%d seeds: %d agreed, %d both failed, %d findings (%d of them DuckDB divergences), %d skipped as known bugs; planner refused %d of %d queries drawn (%.1f%%)",
		n, counts[Agreed], counts[BothFailed], counts[Disagreed], diverged, skipped, gen.Refusals, total, 100*float64(gen.Refusals)/float64(max(total, 1)))
	if total > 20 && gen.Refusals*4 > total {
		t.Errorf("the planner refused %d of %d generated queries: the generator has drifted from brook's SQL", gen.Refusals, total)
	}
	if n >= 100 && counts[BothFailed]*4 > int(n) {
		t.Errorf("%d of %d queries failed on both sides: the generator makes too many failing queries to test much", counts[BothFailed], n)
	}
}

var flagKnown = flag.Bool("known", false, "difftest: run the cases of known bugs too (they fail until fixed)")

// TestRegressions runs the minimal cases of the issues the tester found.
// Those of open issues (knownBugs) are skipped unless -known is given.
func TestRegressions(t *testing.T) {
	db := openDB(t)
	r := &Runner{DB: db}
	root := t.TempDir()
	for i, reg := range regressions {
		t.Run(fmt.Sprintf("%d/issue-%d", i, reg.Issue), func(t *testing.T) {
			if _, open := knownBugs[reg.Issue]; open && !*flagKnown {
				t.Skipf("known bug #%d, being fixed", reg.Issue)
			}
			c := regressionCase(t, root, i, reg, fmt.Sprintf("go test ./difftest -run 'TestRegressions/%d/' -known -v", i))
			out, f := r.Check(context.Background(), c)
			switch out {
			case Refused:
				t.Fatalf("the planner refuses %s", reg.Query)
			case Disagreed:
				report(t, f, fmt.Sprintf("regression-%d", i))
			}
		})
	}
}

// regressionCase writes the records of case i of a regression list under
// root and returns it as a Case, rerun by the given command.
func regressionCase(t *testing.T, root string, i int, reg regression, rerun string) *Case {
	t.Helper()
	data := &Dataset{Files: reg.Files}
	dir := filepath.Join(root, fmt.Sprint(i))
	files, err := data.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &Case{Seed: uint64(i), Query: reg.Query, Data: data, Dir: dir, Files: files, Rerun: rerun}
}

// TestRefusals: the planner refuses the queries of refusals, which DuckDB
// fails as written, with their errors.
func TestRefusals(t *testing.T) {
	for i, r := range refusals {
		t.Run(fmt.Sprintf("%d/issue-%d", i, r.Issue), func(t *testing.T) {
			if _, open := knownBugs[r.Issue]; open && !*flagKnown {
				t.Skipf("known bug #%d, being fixed", r.Issue)
			}
			_, err := sql.Build(r.Query, Catalog{})
			if err == nil || !strings.Contains(err.Error(), r.Err) {
				t.Errorf("the planner should refuse %s with %q, as DuckDB fails it; got %v", r.Query, r.Err, err)
			}
		})
	}
}

// TestDivergences: DuckDB still contradicts its own rule on the cases of
// the DuckDB divergences, and the finding is recognized as the divergence.
func TestDivergences(t *testing.T) {
	db := openDB(t)
	r := &Runner{DB: db}
	root := t.TempDir()
	for i, reg := range divergences {
		t.Run(fmt.Sprintf("%d/issue-%d", i, reg.Issue), func(t *testing.T) {
			c := regressionCase(t, root, i, reg, fmt.Sprintf("go test ./difftest -run 'TestDivergences/%d/' -v", i))
			out, f := r.Check(context.Background(), c)
			switch {
			case out == Refused:
				t.Fatalf("the planner refuses %s", reg.Query)
			case out != Disagreed:
				t.Fatalf("DuckDB no longer diverges on %s (divergence #%d: %s): remove the divergence", reg.Query, reg.Issue, duckdbDivergences[reg.Issue].What)
			case classify(f) != reg.Issue:
				t.Errorf("divergence #%d does not recognize its case (classified as %d):\n%s", reg.Issue, classify(f), f.Report())
			}
		})
	}
}
