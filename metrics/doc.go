// Package metrics counts what a running query does, in the Prometheus data
// model: rows in, micro-batches, batch latency, state size (groups),
// watermark, late and rejected (quarantined) rows; and serves them, with a
// few Go runtime and process metrics, in the Prometheus text exposition
// format.
//
// Each run has its own set, never a global one, so that several runs (and
// tests) can live in one process. Serve it with Handler:
//
//	m := metrics.New(nil)
//	http.Handle("/metrics", m.Handler())
//	... stream.Run(ctx, q, src, opts, func(b stream.Batch) error { m.Observe(b); return nil })
//
// The exposition is written here rather than by a Prometheus client
// library: such a library's package initialisation alone cost every brook
// process about 6 ms of CPU time at start, used or not.
//
// It owns the metric names, their buckets and labels, and the text
// exposition; a run feeds it batches (Observe).
package metrics
