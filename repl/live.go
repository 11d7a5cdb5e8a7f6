package repl

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"brook/dashboard"
	"brook/engine"
	"brook/ingest"
	"brook/metrics"
	"brook/sql"
	"brook/stream"
	"brook/value"
)

// liveStream is a continuous query started with \stream. Its result after
// every micro-batch is kept whole, and is what a SELECT FROM NAME reads.
type liveStream struct {
	name   string
	plan   *sql.Plan
	cancel context.CancelFunc
	done   chan struct{}
	dash   *dashboard.Server
	file   string // the result as NDJSON, for DuckDB

	mu       sync.Mutex
	rows     [][]value.Value // the whole current result
	files    []string        // every file read
	batches  int64
	rowsIn   int64
	rejected int64
	late     int64
	state    string // running, stopped, ended, failed
	err      error
	version  int64         // bumped by every batch
	written  int64         // the version in file
	changed  chan struct{} // closed and replaced after every batch and when the stream ends
	url      string
}

// snapshotFiles returns the live table's file, or nothing when it holds
// no rows (DuckDB then reads an empty relation of the right shape).
func (ls *liveStream) snapshotFiles() []string {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if len(ls.rows) == 0 {
		return nil
	}
	return []string{ls.file}
}

// halt stops the stream and waits for it.
func (ls *liveStream) halt() {
	ls.cancel()
	<-ls.done
	ls.dash.Close()
}

// startStream starts NAME AS SELECT ... in the background.
func (s *Session) startStream(name, text string) error {
	if !isIdent(name) {
		return fmt.Errorf(`a stream name is a plain identifier (letters, digits, _), got %q; write \stream NAME AS SELECT ...`, name)
	}
	key := strings.ToLower(name)
	s.mu.Lock()
	old := s.streams[key]
	_, bound := s.cfg.Catalog.Binding(name)
	s.mu.Unlock()
	if old != nil {
		old.mu.Lock()
		running := old.state == "running"
		old.mu.Unlock()
		if running {
			return fmt.Errorf("a stream named %s is running; \\stop %s first or choose another name", old.name, old.name)
		}
	}
	if bound && old == nil {
		return fmt.Errorf("%s is a bound source; choose another name for the stream", name)
	}
	p, err := s.plan(text)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if src := s.streams[strings.ToLower(p.Table)]; src != nil {
		s.mu.Unlock()
		return fmt.Errorf("%s is a live table; a stream reads a source (%s)", src.name, strings.Join(s.sourceNames(), ", "))
	}
	q, err := engine.New(p, engine.Options{KeepFinal: true})
	if err != nil {
		s.mu.Unlock()
		return err
	}
	src, err := s.cfg.Catalog.Open(p.Table, ingest.DirOptions{FilesPerBatch: s.cfg.FilesPerBatch, Follow: true, Trigger: s.cfg.Trigger})
	s.mu.Unlock()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(s.root)
	dir := filepath.Join(s.tmp, key)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		cancel()
		return err
	}
	ls := &liveStream{name: name, plan: p, cancel: cancel, done: make(chan struct{}), state: "running", changed: make(chan struct{}),
		dash: dashboard.New(p, q.Mode(), metrics.New(metrics.Labels{"stream": name})), file: filepath.Join(dir, name+".json")}
	if old != nil { // a stopped or ended stream of that name: replaced
		old.halt()
	}
	s.mu.Lock()
	if old != nil {
		s.order = slices.DeleteFunc(s.order, func(k string) bool { return k == key })
	}
	s.streams[key] = ls
	s.order = append(s.order, key)
	// The live table: bound to the stream's result file, with the result's
	// schema declared so that it is known before the first batch.
	s.cfg.Catalog.Bind(name, ls.file, p.OutputSchema())
	s.mu.Unlock()
	s.refreshWords()
	go func() {
		defer close(ls.done)
		defer src.Close()
		_, err := stream.Run(ctx, q, src, stream.Options{OnError: s.cfg.OnError}, func(b stream.Batch) error {
			ls.dash.Observe(b)
			rows, err := q.Final()
			if err != nil {
				return err
			}
			ls.mu.Lock()
			defer ls.mu.Unlock()
			ls.rows = rows
			ls.files = append(ls.files, b.Files...)
			if !b.Closing {
				ls.batches++
			}
			ls.rowsIn += int64(b.RowsIn)
			ls.rejected += int64(len(b.Rejects))
			ls.late = b.Late
			ls.version++
			ls.notify()
			return nil
		})
		ls.mu.Lock()
		defer ls.mu.Unlock()
		switch {
		case err != nil && ctx.Err() == nil:
			ls.state, ls.err = "failed", err
			fmt.Fprintf(s.rl, "stream %s failed: %v\n", name, err)
		case ctx.Err() != nil:
			ls.state = "stopped"
		default:
			ls.state = "ended"
		}
		ls.notify()
	}()
	return nil
}

// notify wakes whoever waits for the stream to change; ls.mu held.
func (ls *liveStream) notify() {
	close(ls.changed)
	ls.changed = make(chan struct{})
}

// syncLive writes every live table whose result changed since it was last
// written, so that DuckDB reads the latest result.
func (s *Session) syncLive() error {
	s.mu.Lock()
	streams := make([]*liveStream, 0, len(s.streams))
	for _, ls := range s.streams {
		streams = append(streams, ls)
	}
	s.mu.Unlock()
	for _, ls := range streams {
		if err := ls.write(); err != nil {
			return fmt.Errorf("live table %s: %w", ls.name, err)
		}
	}
	return nil
}

// write writes the current result as NDJSON (write, then rename).
func (ls *liveStream) write() error {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.written == ls.version && ls.version > 0 {
		return nil
	}
	names := ls.plan.OutputSchema().Names()
	var b []byte
	for _, row := range ls.rows {
		rec := make(map[string]any, len(row))
		for i, v := range row {
			rec[names[i]] = v.JSON()
		}
		line, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		b = append(append(b, line...), '\n')
	}
	tmp := filepath.Join(filepath.Dir(ls.file), ".next.json")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, ls.file); err != nil {
		return err
	}
	ls.written = ls.version
	return nil
}

// status is one line of \streams.
func (ls *liveStream) status() []value.Value {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	state := ls.state
	if ls.err != nil {
		state += ": " + ls.err.Error()
	}
	return []value.Value{value.StringValue(ls.name), value.StringValue(state), value.IntValue(ls.batches), value.IntValue(int64(len(ls.files))),
		value.IntValue(ls.rowsIn), value.IntValue(int64(len(ls.rows))), value.IntValue(ls.late), value.StringValue(ls.url), value.StringValue(oneLine(ls.plan.Query))}
}

// streamStatusSchema are the columns of \streams.
var streamStatusSchema = value.Schema{
	{Name: "name", Type: value.String}, {Name: "state", Type: value.String}, {Name: "batches", Type: value.Int},
	{Name: "files", Type: value.Int}, {Name: "rows_in", Type: value.Int}, {Name: "result_rows", Type: value.Int},
	{Name: "late", Type: value.Int}, {Name: "dashboard", Type: value.String}, {Name: "query", Type: value.String},
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 60 {
		return string(r[:59]) + "…"
	}
	return s
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9' {
			continue
		}
		return false
	}
	return true
}
