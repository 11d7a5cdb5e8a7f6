// Package dashboard serves a live web page for one running query: its
// result table, a line chart of every numeric column over window start (for
// windowed queries), and a progress strip (rows/s, batch latency,
// watermark, late and rejected rows). The page is updated on every
// micro-batch through server-sent events; /metrics serves the run's
// Prometheus registry.
//
// Everything the page needs is embedded in the binary (one HTML file with
// its own CSS and JavaScript, drawing SVG): no CDN, it works offline.
//
// Routes:
//
//	/         the page
//	/events   text/event-stream: an "state" event with the whole state as
//	          JSON on connect and after every micro-batch
//	/state    the same JSON, once
//	/metrics  Prometheus text format
//
// It owns the page, its routes and the JSON state it shows; the numbers
// come from the run's batches (stream) and its metrics (package metrics).
package dashboard
