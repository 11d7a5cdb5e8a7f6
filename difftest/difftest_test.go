package difftest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"brook/baseline"
)

var (
	flagSeeds  = flag.Int("seeds", 240, "difftest: how many seeds TestDifferential runs")
	flagFirst  = flag.Uint64("first", 0, "difftest: the first seed TestDifferential runs")
	flagSeed   = flag.Int64("seed", -1, "difftest: run only this seed (known bugs included)")
	flagShrink = flag.Bool("shrink", true, "difftest: shrink a finding's records and query before reporting it")
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
	skipped := 0
	for seed := first; seed < first+n; seed++ {
		if issue, ok := bugSeeds[seed]; ok && *flagSeed < 0 {
			if _, open := knownBugs[issue]; open {
				skipped++
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
		if *flagShrink {
			f = Shrink(ctx, r, f, q)
		}
		report(t, f, fmt.Sprintf("seed-%d", seed))
	}
	total := gen.Queries + gen.Refusals
	t.Logf("%d seeds: %d agreed, %d both failed, %d findings, %d skipped as known bugs; planner refused %d of %d queries drawn (%.1f%%)",
		n, counts[Agreed], counts[BothFailed], counts[Disagreed], skipped, gen.Refusals, total, 100*float64(gen.Refusals)/float64(max(total, 1)))
	if total > 20 && gen.Refusals*4 > total {
		t.Errorf("the planner refused %d of %d generated queries: the generator has drifted from brook's SQL", gen.Refusals, total)
	}
	if n >= 100 && counts[BothFailed]*4 > int(n) {
		t.Errorf("%d of %d queries failed on both sides: the generator makes too many failing queries to test much", counts[BothFailed], n)
	}
}
