package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"brook/baseline"
	"brook/engine"
	"brook/gen"
	"brook/ingest"
	"brook/sink"
	"brook/sql"
	"brook/stream"
)

const benchUsage = `Usage: brook bench [flags]

Times, in one run on the same files, the full stream of a data set (one file
per batch, complete mode, every batch's result written to a discarding
console sink: what brook run costs) against the DuckDB baseline of the same
query (explicit schema, same process), for each benchmark query; then
per-batch latency with the files handed over one per 25 ms, as in a live
stream (from the source's hand-over to the batch's result written); then a
scaling run on generated data. Prints a Markdown report (BENCHMARKS.md holds
the committed one). Repeated runs report the median and the spread.

Flags:
%s
Examples:
  brook bench                                  # LANL set, default queries
  brook bench --runs 9 --scale-rows 10000000 > /tmp/bench.md
  brook bench --queries queries/webservers.sql --cpuprofile-dir /tmp/prof
  brook bench --queries queries/fanout.sql,queries/all_fields.sql --runs 9 --scale-rows 0
`

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("bench", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	data := fs.String("data", "../shared/datasets/lanl", "directory of NDJSON files to stream (bound as flows)")
	queries := fs.StringSlice("queries", []string{"queries/webservers.sql", "queries/bytes_per_10s.sql", "queries/fanout.sql", "queries/all_fields.sql"}, "benchmark queries, comma-separated or repeated; missing files are skipped with a note")
	runs := fs.Int("runs", 5, "timed repetitions of each measurement")
	scaleRows := fs.Int("scale-rows", 10_000_000, "rows of generated data in the scaling run (0: skip it)")
	scaleGroups := fs.Int("scale-groups", 100_000, "distinct group keys in the scaling run")
	scaleRuns := fs.Int("scale-runs", 3, "repetitions of the scaling run (median and spread of late / early)")
	profDir := fs.String("cpuprofile-dir", "", "write one CPU profile per query's stream runs into this directory")
	fs.Usage = func() { fmt.Fprintf(stderr, benchUsage, fs.FlagUsages()) }
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	dir, err := ingest.OpenDir(ingest.DirOptions{Path: *data})
	var files []string
	if err == nil {
		files, err = dir.List()
	}
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no data files in %s (%v)", *data, err)
	}
	var total int64
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			total += st.Size()
		}
	}
	host, _ := os.Hostname()
	fmt.Fprintf(stdout, "## brook bench, %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(stdout, "Machine: %s, %d cores (GOMAXPROCS %d), %s, %s/%s, host %s.\n", cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), memTotal(), runtime.GOOS, runtime.GOARCH, host)
	fmt.Fprintf(stdout, "Data: %s, %d files, %.1f MB. Runs: %d (median, [min..max]).\n", *data, len(files), float64(total)/1e6, *runs)
	db, err := baseline.Open(0)
	if err != nil {
		return err
	}
	defer db.Close()
	duck, err := db.Version(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "DuckDB: %s, the library linked into brook, run in the same process (all cores).\n\n", duck)
	fmt.Fprintf(stdout, "| query | stream (median) | spread | DuckDB (median) | spread | stream / DuckDB, median of paired runs (spread) | stream CPU time (median, all cores) | latency p50 (paced) | latency p99 (paced) | MB/s | rows/s | stream memory (Go, peak) |\n")
	fmt.Fprintf(stdout, "|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, qf := range *queries {
		text, err := os.ReadFile(qf)
		if err != nil {
			fmt.Fprintf(stdout, "| %s | skipped: %v |\n", filepath.Base(qf), err)
			continue
		}
		cat := stream.NewCatalog()
		cat.Bind("flows", *data, nil)
		plan, err := sql.Build(string(text), cat)
		if err != nil {
			fmt.Fprintf(stdout, "| %s | skipped: %s |\n", filepath.Base(qf), strings.SplitN(err.Error(), "\n", 2)[0])
			continue
		}
		var streamTimes, duckTimes, streamCPU []time.Duration
		var latencies []time.Duration
		var rows int64
		stopProf := func() {}
		if *profDir != "" {
			if err := os.MkdirAll(*profDir, 0o755); err != nil {
				return err
			}
			if stopProf, err = startCPUProfile(filepath.Join(*profDir, strings.TrimSuffix(filepath.Base(qf), ".sql")+".prof")); err != nil {
				return err
			}
		}
		// Stream and DuckDB runs alternate, so that whatever else the
		// machine is doing weighs on both sides of each ratio alike.
		var ratios []float64
		var goMem uint64
		for r := 0; r < *runs; r++ {
			cpu0 := cpuTime()
			elapsed, _, n, err := benchStream(ctx, plan, cat, 0)
			streamCPU = append(streamCPU, cpuTime()-cpu0)
			if err != nil {
				stopProf()
				return fmt.Errorf("%s: %w", qf, err)
			}
			var mst runtime.MemStats
			runtime.ReadMemStats(&mst)
			goMem = max(goMem, mst.Sys)
			streamTimes = append(streamTimes, elapsed)
			rows = n
			res, err := db.Run(ctx, plan, files)
			if err != nil {
				stopProf()
				return fmt.Errorf("%s: %w", qf, err)
			}
			duckTimes = append(duckTimes, res.Elapsed)
			ratios = append(ratios, float64(elapsed)/float64(res.Elapsed))
		}
		stopProf()
		// Latency: the files handed over one per pacedTrigger, as they
		// would arrive in a live stream, so that no batch queues behind
		// the one before it (the catch-up runs above measure throughput).
		for r := 0; r < min(*runs, 3); r++ {
			_, lat, _, err := benchStream(ctx, plan, cat, pacedTrigger)
			if err != nil {
				return fmt.Errorf("%s: %w", qf, err)
			}
			latencies = append(latencies, lat...)
		}
		slices.Sort(ratios)
		sm, dm := median(streamTimes), median(duckTimes)
		fmt.Fprintf(stdout, "| %s | %s | %s | %s | %s | **%.2f** (%.2f..%.2f) | %s | %s | %s | %.0f | %.2fM | %.0f MB |\n",
			filepath.Base(qf), ms(sm), spread(streamTimes), ms(dm), spread(duckTimes), ratios[len(ratios)/2], ratios[0], ratios[len(ratios)-1],
			ms(median(streamCPU)),
			ms(percentile(latencies, 50)), ms(percentile(latencies, 99)),
			float64(total)/1e6/sm.Seconds(), float64(rows)/1e6/sm.Seconds(), float64(goMem)/1e6)
	}
	fmt.Fprintf(stdout, "\nProcess peak RSS, DuckDB included: %s.\n", peakRSS())
	if *scaleRows > 0 {
		return benchScaling(ctx, stdout, *scaleRows, *scaleGroups, max(1, *scaleRuns))
	}
	return nil
}

// pacedTrigger spaces the batches of the latency runs.
const pacedTrigger = 25 * time.Millisecond

// benchStream runs plan over its source once, one file per batch (at most
// one per trigger, when trigger is not 0), in complete mode, writing every
// batch's result to a discarding table sink. It returns the run's time, each
// batch's latency from the source's hand-over to its result written, and
// the rows read.
func benchStream(ctx context.Context, plan *sql.Plan, cat *stream.Catalog, trigger time.Duration) (time.Duration, []time.Duration, int64, error) {
	q, err := engine.New(plan, engine.Options{Mode: engine.Auto})
	if err != nil {
		return 0, nil, 0, err
	}
	src, err := cat.Open(plan.Table, ingest.DirOptions{FilesPerBatch: 1, Trigger: trigger})
	if err != nil {
		return 0, nil, 0, err
	}
	out := sink.NewWriter(io.Discard, sink.Table, plan.OutputSchema())
	var lat []time.Duration
	start := time.Now()
	sum, err := stream.Run(ctx, q, src, stream.Options{}, func(b stream.Batch) error {
		err := out.Batch(sink.BatchInfo{ID: b.ID, Files: len(b.Files), RowsIn: b.RowsIn, Elapsed: b.Elapsed}, b.Rows)
		lat = append(lat, time.Since(b.Arrived))
		return err
	})
	if err != nil {
		return 0, nil, 0, err
	}
	return time.Since(start), lat, sum.RowsIn, nil
}

// benchScaling streams generated data in 10,000-row batches through a
// group-by over many keys in update mode, runs times, and reports per-batch
// time early and late in the run (medians, and the spread of late / early
// over the runs) and the heap early, in the middle and late.
func benchScaling(ctx context.Context, w io.Writer, rows, groups, runs int) error {
	var early, late []time.Duration
	var ratios []float64
	var last scaleRun
	for range runs {
		r, err := scaleOnce(ctx, rows, groups)
		if err != nil {
			return err
		}
		early, late = append(early, r.early), append(late, r.late)
		ratios = append(ratios, float64(r.late)/float64(r.early))
		last = r
	}
	slices.Sort(ratios)
	fmt.Fprintf(w, "\nScaling: %d generated rows in %d batches of %d, %d distinct srcdevice keys (%d held at the end), update mode; %d runs (median, [min..max]):\n\n",
		last.batches*scaleBatchRows, last.batches, scaleBatchRows, groups, last.groups, runs)
	fmt.Fprintf(w, "| per-batch time, first 10%% (median) | last 10%% (median) | late / early | heap at start | middle | end |\n|---|---|---|---|---|---|\n")
	fmt.Fprintf(w, "| %s | %s | **%.2f** (%.2f..%.2f) | %.1f MB | %.1f MB | %.1f MB |\n", ms(median(early)), ms(median(late)),
		ratios[len(ratios)/2], ratios[0], ratios[len(ratios)-1],
		float64(last.heap[0])/1e6, float64(last.heap[1])/1e6, float64(last.heap[2])/1e6)
	return nil
}

// scaleBatchRows is the size of the scaling run's batches.
const scaleBatchRows = 10_000

// scaleRun is one scaling run: the median per-batch time of its first and
// last tenth of batches, the heap in use at its start, middle and end, and
// the groups held at the end.
type scaleRun struct {
	early, late     time.Duration
	heap            [3]uint64
	batches, groups int
}

// scaleOnce streams rows generated rows (groups distinct keys) through
// the scaling query, timing each batch.
func scaleOnce(ctx context.Context, rows, groups int) (scaleRun, error) {
	text := "SELECT srcdevice, count(*) AS flows, sum(srcbytes + dstbytes) AS bytes, max(time) AS last FROM flows GROUP BY srcdevice"
	cat := stream.NewCatalog()
	cat.Bind("flows", "-", gen.Schema)
	plan, err := sql.Build(text, cat)
	if err != nil {
		return scaleRun{}, err
	}
	q, err := engine.New(plan, engine.Options{Mode: engine.Update})
	if err != nil {
		return scaleRun{}, err
	}
	g := gen.New(gen.Options{Seed: 42, Devices: groups})
	dec := ingest.NewDecoder(plan.ColumnSchema())
	dec.HashStrings(q.HashedColumns()) // as the stream's decoders do
	var b ingest.Batch
	r := scaleRun{batches: rows / scaleBatchRows}
	times := make([]time.Duration, 0, r.batches)
	var data []byte
	for i := 0; i < r.batches; i++ {
		if err := ctx.Err(); err != nil {
			return scaleRun{}, err
		}
		data = data[:0]
		for range scaleBatchRows {
			data = g.AppendRow(data)
		}
		t0 := time.Now()
		b.Reset(len(plan.Columns))
		dec.Decode([]ingest.Chunk{{Name: "gen", FirstLine: 1, Data: data}}, &b)
		if _, err := q.Process(&b); err != nil {
			return r, err
		}
		times = append(times, time.Since(t0))
		for k, at := range []int{0, r.batches / 2, r.batches - 1} {
			if i == at {
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				r.heap[k] = ms.HeapInuse
			}
		}
		if ctx.Err() != nil {
			return r, ctx.Err()
		}
	}
	tenth := max(1, r.batches/10)
	r.early, r.late, r.groups = median(times[:tenth]), median(times[len(times)-tenth:]), q.Groups()
	return r, nil
}

func median(ds []time.Duration) time.Duration { return percentile(ds, 50) }

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, (len(s)*p)/100)]
}

func spread(ds []time.Duration) string {
	return fmt.Sprintf("%s..%s", ms(slices.Min(ds)), ms(slices.Max(ds)))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// peakRSS is the process's resident high-water mark (DuckDB included).
func peakRSS() string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
	}
	return "n/a"
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "model name") {
			if _, v, ok := strings.Cut(line, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH
}

func memTotal() string {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "memory n/a"
	}
	line := strings.SplitN(string(data), "\n", 2)[0]
	return strings.Join(strings.Fields(line)[1:], " ") + " RAM"
}

// cpuTime returns the CPU time (user and system, all threads) the process
// has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
