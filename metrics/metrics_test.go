package metrics

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"brook/stream"
	"brook/value"
)

// gather returns the value of the named metric (its first sample) in m's
// text exposition; a histogram's sample count.
func gather(t *testing.T, m *Metrics, name string) float64 {
	t.Helper()
	text := string(m.AppendText(nil))
	if strings.Contains(text, "# TYPE "+name+" histogram\n") {
		name += "_count"
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		series, v, ok := strings.Cut(line, " ")
		if metric, _, _ := strings.Cut(series, "{"); !ok || metric != name {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		return f
	}
	t.Fatalf("no metric %s in\n%s", name, text)
	return 0
}

// TestSeparateRegistries: two runs in one process count apart.
func TestSeparateRegistries(t *testing.T) {
	a, b := New(Labels{"stream": "a"}), New(nil)
	a.Observe(stream.Batch{RowsIn: 10, Files: []string{"x"}, Elapsed: time.Millisecond, Groups: 4, Late: 2, Watermark: value.TimestampValue(5_000_000)})
	a.Observe(stream.Batch{RowsIn: 5, Elapsed: time.Millisecond, Groups: 6, Late: 3})
	a.Observe(stream.Batch{Closing: true, Late: 3})
	b.Observe(stream.Batch{RowsIn: 1})
	for name, want := range map[string]float64{
		"brook_rows_in_total": 15, "brook_batches_total": 3, "brook_batch_latency_seconds": 2, "brook_state_groups": 0,
		"brook_late_rows_total": 3, "brook_watermark_seconds": 5, "brook_files_total": 1,
	} {
		if got := gather(t, a, name); got != want {
			t.Errorf("%s = %g, want %g", name, got, want)
		}
	}
	if got := gather(t, b, "brook_rows_in_total"); got != 1 {
		t.Errorf("second registry: rows in %g, want 1", got)
	}
}

// TestProgressQuietOffTerminal: a status line never reaches a pipe or file.
func TestProgressQuietOffTerminal(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf)
	p.Set("batch %d", 1)
	stop := p.Busy("DuckDB", 0)
	time.Sleep(20 * time.Millisecond)
	stop()
	p.Clear()
	if p.Active() || buf.Len() != 0 {
		t.Fatalf("progress wrote %q off a terminal", buf.String())
	}
	if r := Rate(12345, time.Second); !strings.HasSuffix(r, "k/s") {
		t.Errorf("Rate = %q", r)
	}
}

// TestExposition checks the text format: labels on every brook_* sample
// (the le of a bucket after them), cumulative buckets bounded inclusively,
// NaN for a watermark not yet seen, a HELP and TYPE line per metric, the Go
// and process metrics.
func TestExposition(t *testing.T) {
	m := New(Labels{"stream": `a"b`, "query": "q"})
	text := string(m.AppendText(nil))
	if !strings.Contains(text, "brook_watermark_seconds{query=\"q\",stream=\"a\\\"b\"} NaN\n") {
		t.Errorf("watermark before any:\n%s", text)
	}
	m.Observe(stream.Batch{Elapsed: 250 * time.Microsecond}) // exactly the second bound
	m.Observe(stream.Batch{Elapsed: 40 * time.Second})       // past the last
	text = string(m.AppendText(nil))
	for _, want := range []string{
		"# HELP brook_rows_in_total Input rows decoded and processed.\n# TYPE brook_rows_in_total counter\n",
		`brook_batch_latency_seconds_bucket{query="q",stream="a\"b",le="0.0001"} 0` + "\n",
		`brook_batch_latency_seconds_bucket{query="q",stream="a\"b",le="0.00025"} 1` + "\n",
		`brook_batch_latency_seconds_bucket{query="q",stream="a\"b",le="+Inf"} 2` + "\n",
		`brook_batch_latency_seconds_sum{query="q",stream="a\"b"} 40.00025` + "\n",
		`brook_batch_latency_seconds_count{query="q",stream="a\"b"} 2` + "\n",
		"# TYPE go_goroutines gauge\ngo_goroutines ",
		"# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("exposition lacks %q:\n%s", want, text)
		}
	}
	if n := strings.Count(text, "brook_batch_latency_seconds_bucket"); n != len(LatencyBuckets)+1 {
		t.Errorf("%d buckets, want %d", n, len(LatencyBuckets)+1)
	}
	if last := LatencyBuckets[len(LatencyBuckets)-1]; last < 14.9 || last > 14.91 {
		t.Errorf("last bucket %g s, want 14.9 s", last)
	}
}
