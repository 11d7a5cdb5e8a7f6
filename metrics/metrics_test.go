package metrics

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"brook/stream"
	"brook/value"
)

// value of the named metric in reg (the first series).
func gather(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		m := f.GetMetric()[0]
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// TestSeparateRegistries: two runs in one process count apart.
func TestSeparateRegistries(t *testing.T) {
	a, b := New(prometheus.Labels{"stream": "a"}), New(nil)
	a.Observe(stream.Batch{RowsIn: 10, Files: []string{"x"}, Elapsed: time.Millisecond, Groups: 4, Late: 2, Watermark: value.TimestampValue(5_000_000)})
	a.Observe(stream.Batch{RowsIn: 5, Elapsed: time.Millisecond, Groups: 6, Late: 3})
	a.Observe(stream.Batch{Closing: true, Late: 3})
	b.Observe(stream.Batch{RowsIn: 1})
	for name, want := range map[string]float64{
		"brook_rows_in_total": 15, "brook_batches_total": 3, "brook_batch_latency_seconds": 2, "brook_state_groups": 0,
		"brook_late_rows_total": 3, "brook_watermark_seconds": 5, "brook_files_total": 1,
	} {
		if got := gather(t, a.Registry, name); got != want {
			t.Errorf("%s = %g, want %g", name, got, want)
		}
	}
	if got := gather(t, b.Registry, "brook_rows_in_total"); got != 1 {
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
