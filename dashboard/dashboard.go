package dashboard

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"brook/engine"
	"brook/metrics"
	"brook/sql"
	"brook/stream"
	"brook/value"
)

//go:embed index.html
var indexHTML []byte

// MaxRows is how many result rows the dashboard keeps for a plain append
// query (the most recent ones) and sends to the page.
const MaxRows = 2000

// Server is the dashboard of one query. Feed it every micro-batch with
// Observe; its methods are safe for concurrent use.
type Server struct {
	plan    *sql.Plan
	mode    engine.Mode
	metrics *metrics.Metrics
	chart   *chartSpec

	mu       sync.Mutex
	rows     [][]value.Value
	index    map[string]int // row key -> position in rows (update and append modes)
	progress Progress
	started  time.Time
	state    []byte // the latest state, as JSON
	version  int64
	subs     map[chan struct{}]struct{}
	closed   chan struct{}
	http     *http.Server
	// loopbackOnly is set when the server listens on loopback: it then
	// answers to loopback Host names only (see guard).
	loopbackOnly atomic.Bool
}

// Progress is the progress strip's content.
type Progress struct {
	Batches    int64   `json:"batches"`
	Files      int64   `json:"files"`
	RowsIn     int64   `json:"rows_in"`
	RowsPerSec float64 `json:"rows_per_sec"` // rows in over the time since the first batch arrived
	LatencyMS  float64 `json:"latency_ms"`   // the last batch's
	Watermark  string  `json:"watermark"`    // empty: none yet
	Late       int64   `json:"late"`
	Rejected   int64   `json:"rejected"`
	Groups     int     `json:"groups"`
	Closed     bool    `json:"closed"` // the input ended and every window closed
}

// chartSpec says which columns the chart draws.
type chartSpec struct {
	X      int   `json:"x"`      // the window start (or end) column
	Series []int `json:"series"` // numeric columns, one panel each
	Labels []int `json:"labels"` // other group keys: one line per distinct value
}

// New returns the dashboard of a query running plan in the resolved output
// mode (engine.Query.Mode). m may be nil, in which case a registry of its
// own is made.
func New(plan *sql.Plan, mode engine.Mode, m *metrics.Metrics) *Server {
	if m == nil {
		m = metrics.New(nil)
	}
	s := &Server{plan: plan, mode: mode, metrics: m, index: map[string]int{},
		subs: map[chan struct{}]struct{}{}, closed: make(chan struct{}), chart: chartOf(plan)}
	s.publish()
	return s
}

// Metrics returns the run's metrics.
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

// chartOf picks the chart's columns: x is the window start (or end), each
// numeric column that is neither a window bound nor a group key is a
// series, and the remaining group keys label lines.
func chartOf(p *sql.Plan) *chartSpec {
	if p.Window == nil {
		return nil
	}
	c := &chartSpec{X: p.WindowStartColumn, Series: []int{}, Labels: []int{}}
	if c.X < 0 {
		c.X = p.WindowEndColumn
	}
	if c.X < 0 {
		return nil
	}
	for i, o := range p.Output {
		switch o.Expr.(type) {
		case *sql.WindowRef:
			continue
		case *sql.GroupRef:
			c.Labels = append(c.Labels, i)
			continue
		}
		if i == p.WindowStartColumn || i == p.WindowEndColumn {
			continue
		}
		if o.Expr.Type().Numeric() {
			c.Series = append(c.Series, i)
		}
	}
	if len(c.Series) == 0 {
		return nil
	}
	return c
}

// Observe records one micro-batch: metrics, progress, and the dashboard's
// own copy of the full result (replaced in complete mode; merged by the
// plan's key columns in update and append mode).
func (s *Server) Observe(b stream.Batch) {
	s.metrics.Observe(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apply(b.Rows)
	p := &s.progress
	if s.started.IsZero() {
		s.started = b.Arrived
	}
	if !b.Closing {
		p.Batches++
		p.LatencyMS = float64(b.Elapsed.Microseconds()) / 1000
	}
	p.Closed = p.Closed || b.Closing
	p.Files += int64(len(b.Files))
	p.RowsIn += int64(b.RowsIn)
	p.Rejected += int64(len(b.Rejects))
	p.Late = b.Late
	p.Groups = b.Groups
	if !b.Watermark.IsNull() {
		p.Watermark = b.Watermark.Format()
	}
	if d := time.Since(s.started); d > 0 {
		p.RowsPerSec = float64(p.RowsIn) / d.Seconds()
	}
	s.publishLocked()
}

// apply merges one batch's rows into the kept result.
func (s *Server) apply(rows [][]value.Value) {
	switch {
	case s.mode == engine.Complete:
		s.rows = s.rows[:0]
		for _, r := range rows {
			s.rows = append(s.rows, clone(r))
		}
		return
	case !s.plan.Aggregated: // plain append: a window of the latest rows
		for _, r := range rows {
			s.rows = append(s.rows, clone(r))
		}
		if n := len(s.rows) - MaxRows; n > 0 {
			s.rows = append(s.rows[:0], s.rows[n:]...)
		}
		return
	}
	var buf []byte
	for _, r := range rows {
		buf = s.key(r, buf[:0])
		if i, ok := s.index[string(buf)]; ok {
			s.rows[i] = clone(r)
			continue
		}
		s.index[string(buf)] = len(s.rows)
		s.rows = append(s.rows, clone(r))
	}
	if s.plan.Window != nil && s.chart != nil { // keep windows in time order
		x := s.chart.X
		sort.SliceStable(s.rows, func(i, j int) bool { return value.Order(s.rows[i][x], s.rows[j][x]) < 0 })
		for i, r := range s.rows {
			buf = s.key(r, buf[:0])
			s.index[string(buf)] = i
		}
	}
}

func (s *Server) key(row []value.Value, buf []byte) []byte {
	if s.plan.KeyColumns == nil {
		for _, v := range row {
			buf = value.AppendKey(buf, v)
		}
		return buf
	}
	for _, k := range s.plan.KeyColumns {
		buf = value.AppendKey(buf, row[k])
	}
	return buf
}

func clone(r []value.Value) []value.Value {
	c := make([]value.Value, len(r))
	for i, v := range r {
		c[i] = v.Clone()
	}
	return c
}

// Rows returns a copy of the dashboard's current result.
func (s *Server) Rows() [][]value.Value {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]value.Value, len(s.rows))
	for i, r := range s.rows {
		out[i] = clone(r)
	}
	return out
}

// column is a result column as the page sees it.
type column struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Numeric bool   `json:"numeric"`
}

// state is what the page renders.
type state struct {
	Version  int64      `json:"version"`
	Query    string     `json:"query"`
	Mode     string     `json:"mode"`
	Columns  []column   `json:"columns"`
	Rows     [][]any    `json:"rows"`
	Total    int        `json:"total"` // result rows kept (Rows may show fewer)
	Chart    *chartSpec `json:"chart"`
	Xs       []*float64 `json:"xs,omitempty"` // the chart's x of each row, as a number
	Progress Progress   `json:"progress"`
}

func (s *Server) publish() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.publishLocked()
}

// publishLocked rebuilds the state JSON and wakes every subscriber.
func (s *Server) publishLocked() {
	s.version++
	st := state{Version: s.version, Query: s.plan.Query, Mode: s.mode.String(), Chart: s.chart, Progress: s.progress, Total: len(s.rows)}
	for _, c := range s.plan.OutputSchema() {
		st.Columns = append(st.Columns, column{Name: c.Name, Type: c.Type.String(), Numeric: c.Type.Numeric()})
	}
	rows := s.rows
	if len(rows) > MaxRows {
		rows = rows[len(rows)-MaxRows:]
	}
	st.Rows = make([][]any, len(rows))
	for i, r := range rows {
		cells := make([]any, len(r))
		for c, v := range r {
			cells[c] = v.JSON()
		}
		st.Rows[i] = cells
	}
	if s.chart != nil {
		st.Xs = make([]*float64, len(rows))
		for i, r := range rows {
			if x, ok := metrics.Seconds(r[s.chart.X]); ok {
				st.Xs[i] = &x
			}
		}
	}
	data, err := json.Marshal(st)
	if err != nil { // NaN and infinities are strings already; this is a bug
		data = []byte(fmt.Sprintf(`{"version":%d,"error":%q}`, s.version, err.Error()))
	}
	s.state = data
	for ch := range s.subs {
		select {
		case ch <- struct{}{}:
		default: // already signalled: it will read the latest state
		}
	}
}

// State returns the latest state as JSON.
func (s *Server) State() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Handler serves the page, /events, /state and /metrics.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(indexHTML)
	})
	mux.HandleFunc("GET /state", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(s.State())
	})
	mux.HandleFunc("GET /events", s.events)
	mux.Handle("GET /metrics", s.metrics.Handler())
	return s.guard(mux)
}

// contentPolicy lets the page run its own inline script and style and talk
// to its own server only, and never be framed.
const contentPolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// guard adds the security headers to every answer and, for a server bound
// to loopback, refuses requests whose Host is not a loopback name: a web
// page elsewhere that points a name of its own at 127.0.0.1 (DNS rebinding)
// must not read the results. A server bound beyond loopback was asked to
// be reached by other names, which it cannot know, and takes any.
func (s *Server) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("Referrer-Policy", "no-referrer")
		hdr.Set("Content-Security-Policy", contentPolicy)
		if s.loopbackOnly.Load() && !loopbackHost(r.Host) {
			http.Error(w, fmt.Sprintf("brook dashboard: host %q is not served: this dashboard listens on loopback and answers to localhost, 127.0.0.1 or [::1] only", r.Host), http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether a Host header names this machine's loopback:
// localhost (or a name under .localhost), 127.0.0.0/8 or ::1, with any port.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// events streams the state as server-sent events: once on connect, then
// after every micro-batch (coalesced: a slow client gets the latest state,
// never a backlog), with a comment every 15 s to keep proxies awake.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Connection", "keep-alive")
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	s.subs[ch] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.subs, ch)
		s.mu.Unlock()
	}()
	send := func() error {
		_, err := fmt.Fprintf(w, "event: state\ndata: %s\n\n", s.State())
		flusher.Flush()
		return err
	}
	if send() != nil {
		return
	}
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.closed:
			return
		case <-ch:
			if send() != nil {
				return
			}
		case <-ping.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return
			}
			flusher.Flush()
		}
	}
}

// ListenAddr makes addr a loopback address when it names no host: "8080"
// and ":8080" become "127.0.0.1:8080". Any explicit host (0.0.0.0 too) is
// kept: binding beyond loopback must be asked for.
func ListenAddr(addr string) string {
	if addr == "" {
		return "127.0.0.1:0"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil { // a bare port
		return net.JoinHostPort("127.0.0.1", addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// Start listens on addr (see ListenAddr) and serves the dashboard in the
// background. It returns the page's URL.
func (s *Server) Start(addr string) (string, error) {
	l, err := net.Listen("tcp", ListenAddr(addr))
	if errors.Is(err, syscall.EADDRINUSE) {
		return "", fmt.Errorf("dashboard: %w; another process uses %s: pick another port, or :0 for a free one", err, ListenAddr(addr))
	}
	if err != nil {
		return "", fmt.Errorf("dashboard: %w", err)
	}
	if tcp, ok := l.Addr().(*net.TCPAddr); ok && tcp.IP.IsLoopback() {
		s.loopbackOnly.Store(true)
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	s.http = srv
	s.mu.Unlock()
	go srv.Serve(l) // returns http.ErrServerClosed after Close
	return "http://" + l.Addr().String() + "/", nil
}

// Close ends every event stream and stops the server Start started.
func (s *Server) Close() error {
	s.mu.Lock()
	select {
	case <-s.closed:
	default:
		close(s.closed)
	}
	srv := s.http
	s.http = nil
	s.mu.Unlock()
	if srv != nil {
		return srv.Close()
	}
	return nil
}
