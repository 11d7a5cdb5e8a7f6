// Package metrics counts what a running query does, in the Prometheus data
// model: rows in, micro-batches, batch latency, state size (groups),
// watermark, late and rejected (quarantined) rows.
//
// Each run has its own registry, never the global default one, so that
// several runs (and tests) can live in one process. Serve it with Handler:
//
//	m := metrics.New()
//	http.Handle("/metrics", m.Handler())
//	... stream.Run(ctx, q, src, opts, func(b stream.Batch) error { m.Observe(b); return nil })
package metrics

import (
	"math"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"brook/stream"
	"brook/value"
)

// LatencyBuckets are the batch latency histogram's upper bounds, in seconds:
// from 100 µs to about 30 s.
var LatencyBuckets = prometheus.ExponentialBuckets(0.0001, 2.5, 14)

// Metrics are one run's instruments and the registry that holds them. The
// methods are safe for concurrent use.
type Metrics struct {
	// Registry holds every brook_* metric (and Go runtime and process
	// metrics); it is this run's own, not prometheus.DefaultRegisterer.
	Registry *prometheus.Registry

	rowsIn    prometheus.Counter
	bytesIn   prometheus.Counter
	batches   prometheus.Counter
	files     prometheus.Counter
	rejected  prometheus.Counter
	late      prometheus.Counter
	latency   prometheus.Histogram
	groups    prometheus.Gauge
	watermark prometheus.Gauge
	resultRow prometheus.Gauge

	mu       sync.Mutex
	lateSeen int64
}

// New returns a fresh set of metrics in a registry of its own. Labels, if
// any, are attached to every brook_* metric (e.g. {"query": "live"} in the
// REPL).
func New(labels prometheus.Labels) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{Registry: reg}
	f := func(name, help string) prometheus.Opts {
		return prometheus.Opts{Namespace: "brook", Name: name, Help: help, ConstLabels: labels}
	}
	m.rowsIn = prometheus.NewCounter(prometheus.CounterOpts(f("rows_in_total", "Input rows decoded and processed.")))
	m.bytesIn = prometheus.NewCounter(prometheus.CounterOpts(f("bytes_in_total", "Input bytes read.")))
	m.batches = prometheus.NewCounter(prometheus.CounterOpts(f("batches_total", "Micro-batches processed (including the closing emission).")))
	m.files = prometheus.NewCounter(prometheus.CounterOpts(f("files_total", "Input files read.")))
	m.rejected = prometheus.NewCounter(prometheus.CounterOpts(f("rejected_rows_total", "Input lines rejected as bad input and left out of the result (--on-error skip or quarantine).")))
	m.late = prometheus.NewCounter(prometheus.CounterOpts(f("late_rows_total", "Rows dropped because they arrived behind the watermark.")))
	m.latency = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "brook", Name: "batch_latency_seconds",
		Help: "Time from a micro-batch's arrival to its rows being ready (decode + process).", ConstLabels: labels, Buckets: LatencyBuckets})
	m.groups = prometheus.NewGauge(prometheus.GaugeOpts(f("state_groups", "Groups held in the query's state.")))
	m.watermark = prometheus.NewGauge(prometheus.GaugeOpts(f("watermark_seconds", "Event-time watermark, in the time column's units (seconds; Unix seconds for TIMESTAMP); NaN before there is one.")))
	m.resultRow = prometheus.NewGauge(prometheus.GaugeOpts(f("emitted_rows", "Rows the last micro-batch emitted.")))
	m.watermark.Set(math.NaN())
	reg.MustRegister(m.rowsIn, m.bytesIn, m.batches, m.files, m.rejected, m.late, m.latency, m.groups, m.watermark, m.resultRow,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Observe records one micro-batch.
func (m *Metrics) Observe(b stream.Batch) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.batches.Inc()
	m.rowsIn.Add(float64(b.RowsIn))
	m.bytesIn.Add(float64(b.BytesIn))
	m.files.Add(float64(len(b.Files)))
	m.rejected.Add(float64(len(b.Rejects)))
	if b.Late > m.lateSeen { // Batch.Late is cumulative
		m.late.Add(float64(b.Late - m.lateSeen))
		m.lateSeen = b.Late
	}
	if !b.Closing {
		m.latency.Observe(b.Elapsed.Seconds())
	}
	m.groups.Set(float64(b.Groups))
	m.resultRow.Set(float64(len(b.Rows)))
	if w, ok := Seconds(b.Watermark); ok {
		m.watermark.Set(w)
	}
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// Seconds converts a window bound or watermark to a number: a TIMESTAMP to
// Unix seconds, a number to itself. NULL and strings give false.
func Seconds(v value.Value) (float64, bool) {
	switch v.Kind {
	case value.Timestamp:
		return float64(v.I) / 1e6, true
	case value.Int:
		return float64(v.I), true
	case value.Float:
		return v.F, true
	}
	return 0, false
}
