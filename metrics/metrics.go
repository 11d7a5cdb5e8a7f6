package metrics

import (
	"bufio"
	"bytes"
	"math"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"brook/stream"
	"brook/value"
)

// LatencyBuckets are the batch latency histogram's upper bounds, in seconds:
// from 100 µs to about 15 s, each 2.5 times the one before.
var LatencyBuckets = func() []float64 {
	b := make([]float64, 14)
	for i, x := 0, 0.0001; i < len(b); i, x = i+1, x*2.5 {
		b[i] = x
	}
	return b
}()

// Labels are label names and values attached to every brook_* metric.
type Labels map[string]string

// Metrics are one run's instruments. The methods are safe for concurrent
// use.
type Metrics struct {
	labels string // {name="value",...}, or "" without labels

	mu                                              sync.Mutex
	rowsIn, bytesIn, batches, files, rejected, late float64
	latency                                         []uint64 // per bucket, the last +Inf
	latencySum                                      float64
	latencyCount                                    uint64
	groups, watermark, resultRows                   float64
	lateSeen                                        int64
}

// processStart is when the process started, as near as brook can tell.
var processStart = time.Now()

// New returns a fresh set of metrics. Labels, if any, are attached to
// every brook_* metric (e.g. {"stream": "live"} in the REPL).
func New(labels Labels) *Metrics {
	m := &Metrics{watermark: math.NaN(), latency: make([]uint64, len(LatencyBuckets)+1)}
	if len(labels) > 0 {
		names := make([]string, 0, len(labels))
		for k := range labels {
			names = append(names, k)
		}
		slices.Sort(names)
		var b strings.Builder
		b.WriteByte('{')
		for i, k := range names {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(k + `="` + escapeLabel(labels[k]) + `"`)
		}
		b.WriteByte('}')
		m.labels = b.String()
	}
	return m
}

// escapeLabel escapes a label value as the text format requires.
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`).Replace(s)
}

// Observe records one micro-batch.
func (m *Metrics) Observe(b stream.Batch) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.batches++
	m.rowsIn += float64(b.RowsIn)
	m.bytesIn += float64(b.BytesIn)
	m.files += float64(len(b.Files))
	m.rejected += float64(len(b.Rejects))
	if b.Late > m.lateSeen { // Batch.Late is cumulative
		m.late += float64(b.Late - m.lateSeen)
		m.lateSeen = b.Late
	}
	if !b.Closing {
		s := b.Elapsed.Seconds()
		i, _ := slices.BinarySearch(LatencyBuckets, s) // the first bound >= s
		m.latency[i]++
		m.latencySum += s
		m.latencyCount++
	}
	m.groups = float64(b.Groups)
	m.resultRows = float64(len(b.Rows))
	if w, ok := Seconds(b.Watermark); ok {
		m.watermark = w
	}
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Write(m.AppendText(nil))
	})
}

// AppendText appends the metrics in the Prometheus text exposition format
// to b: every brook_* metric, then Go runtime and process metrics.
func (m *Metrics) AppendText(b []byte) []byte {
	m.mu.Lock()
	one := func(name, kind, help string, v float64) {
		b = appendHeader(b, name, kind, help)
		b = appendSample(b, name, m.labels, v)
	}
	one("brook_batches_total", "counter", "Micro-batches processed (including the closing emission).", m.batches)
	b = appendHeader(b, "brook_batch_latency_seconds", "histogram", "Time from a micro-batch's arrival to its rows being ready (decode + process).")
	var n uint64
	for i, le := range LatencyBuckets {
		n += m.latency[i]
		b = appendSample(b, "brook_batch_latency_seconds_bucket", withLabel(m.labels, "le", formatFloat(le)), float64(n))
	}
	b = appendSample(b, "brook_batch_latency_seconds_bucket", withLabel(m.labels, "le", "+Inf"), float64(m.latencyCount))
	b = appendSample(b, "brook_batch_latency_seconds_sum", m.labels, m.latencySum)
	b = appendSample(b, "brook_batch_latency_seconds_count", m.labels, float64(m.latencyCount))
	one("brook_bytes_in_total", "counter", "Input bytes read.", m.bytesIn)
	one("brook_emitted_rows", "gauge", "Rows the last micro-batch emitted.", m.resultRows)
	one("brook_files_total", "counter", "Input files read.", m.files)
	one("brook_late_rows_total", "counter", "Rows dropped because they arrived behind the watermark.", m.late)
	one("brook_rejected_rows_total", "counter", "Input lines rejected as bad input and left out of the result (--on-error skip or quarantine).", m.rejected)
	one("brook_rows_in_total", "counter", "Input rows decoded and processed.", m.rowsIn)
	one("brook_state_groups", "gauge", "Groups held in the query's state.", m.groups)
	one("brook_watermark_seconds", "gauge", "Event-time watermark, in the time column's units (seconds; Unix seconds for TIMESTAMP); NaN before there is one.", m.watermark)
	m.mu.Unlock()
	return appendRuntime(b)
}

// appendRuntime appends the Go runtime's and the process's metrics, under
// the names Prometheus client libraries give them.
func appendRuntime(b []byte) []byte {
	one := func(name, kind, help string, v float64) {
		b = appendHeader(b, name, kind, help)
		b = appendSample(b, name, "", v)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	one("go_gc_cycles_total", "counter", "Completed garbage collection cycles.", float64(ms.NumGC))
	one("go_goroutines", "gauge", "Number of goroutines that currently exist.", float64(runtime.NumGoroutine()))
	one("go_memstats_alloc_bytes", "gauge", "Number of bytes allocated and still in use.", float64(ms.Alloc))
	one("go_memstats_heap_inuse_bytes", "gauge", "Number of heap bytes that are in use.", float64(ms.HeapInuse))
	one("go_memstats_sys_bytes", "gauge", "Number of bytes obtained from system.", float64(ms.Sys))
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		cpu := float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
		one("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", cpu)
	}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		one("process_open_fds", "gauge", "Number of open file descriptors.", float64(len(fds)))
	}
	if rss, ok := residentBytes(); ok {
		one("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", rss)
	}
	one("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", float64(processStart.UnixNano())/1e9)
	return b
}

// residentBytes reads the process's resident set size from /proc (Linux).
func residentBytes() (float64, bool) {
	f, err := os.Open("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadBytes('\n')
	if err != nil && len(line) == 0 {
		return 0, false
	}
	fields := bytes.Fields(line)
	if len(fields) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseFloat(string(fields[1]), 64)
	if err != nil {
		return 0, false
	}
	return pages * float64(os.Getpagesize()), true
}

func appendHeader(b []byte, name, kind, help string) []byte {
	b = append(b, "# HELP "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = append(b, strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(help)...)
	b = append(b, "\n# TYPE "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = append(b, kind...)
	return append(b, '\n')
}

func appendSample(b []byte, name, labels string, v float64) []byte {
	b = append(b, name...)
	b = append(b, labels...)
	b = append(b, ' ')
	b = append(b, formatFloat(v)...)
	return append(b, '\n')
}

// withLabel adds name="value" to a rendered label set.
func withLabel(labels, name, value string) string {
	pair := name + `="` + value + `"`
	if labels == "" {
		return "{" + pair + "}"
	}
	return labels[:len(labels)-1] + "," + pair + "}"
}

// formatFloat writes a sample value as the text format does: NaN, +Inf,
// -Inf, or the shortest decimal that reads back as v.
func formatFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
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
