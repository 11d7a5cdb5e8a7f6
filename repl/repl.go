// Package repl is brook's interactive shell: SQL typed at a prompt,
// answered at once by the DuckDB baseline over the bound sources, and
// continuous queries started in the background whose live results are
// tables later queries can read (like Spark's memory sink).
//
//	brook> SELECT protocol, count(*) AS n FROM flows GROUP BY protocol;
//	brook> \stream talkers AS SELECT srcdevice, sum(srcbytes) AS b FROM flows GROUP BY srcdevice;
//	brook> SELECT * FROM talkers ORDER BY b DESC LIMIT 5;
//	brook> \diff talkers
//
// Statements end at ";" and may span lines; backslash commands end at the
// end of their line (\stream and \explain, which carry a statement, at
// ";"). Mistakes print with a caret under the problem and never end the
// session. History persists in $BROOK_HISTORY or ~/.brook_history.
package repl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ergochat/readline"

	"brook/baseline"
	"brook/ingest"
	"brook/metrics"
	"brook/sink"
	"brook/sql"
	"brook/stream"
	"brook/value"
)

// Config configures a session.
type Config struct {
	// Catalog holds the bound sources (--source flags).
	Catalog *stream.Catalog
	// FilesPerBatch is the micro-batch size of \stream queries (default 1).
	FilesPerBatch int
	// OnError is what \stream queries do with undecodable lines.
	OnError stream.OnError
	// Threads is DuckDB's thread count (0: all cores).
	Threads int
	// HistoryFile keeps the statement history; "" uses $BROOK_HISTORY or
	// ~/.brook_history, and "-" keeps none.
	HistoryFile string
	// Stdin, Stdout and Stderr default to the process's. When Stdin is a
	// terminal the session has line editing, history and completion.
	Stdin          io.ReadCloser
	Stdout, Stderr io.Writer
	// Banner is printed once at the start (nil: the default greeting).
	Banner *string
}

// DefaultHistoryFile is where history goes when Config.HistoryFile is "".
func DefaultHistoryFile() string {
	if p := os.Getenv("BROOK_HISTORY"); p != "" {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".brook_history")
}

// Prompts for a new statement and for its continuation lines.
const (
	Prompt     = "brook> "
	MorePrompt = "  ...> "
)

// Session is one interactive session.
type Session struct {
	cfg      Config
	out      io.Writer
	rl       *readline.Instance
	progress *metrics.Progress

	mu      sync.Mutex // guards the catalog, streams, and words
	streams map[string]*liveStream
	order   []string // stream names in start order
	words   []string // completion candidates beyond keywords
	cols    map[string][]string

	db     *baseline.DB
	timing bool
	tmp    string
	root   context.Context
	stop   context.CancelFunc
}

// Run runs an interactive session until \quit or end of input.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Stdin == nil {
		cfg.Stdin = os.Stdin
	}
	if cfg.Stdout == nil {
		cfg.Stdout = os.Stdout
	}
	if cfg.Stderr == nil {
		cfg.Stderr = os.Stderr
	}
	if cfg.FilesPerBatch < 1 {
		cfg.FilesPerBatch = 1
	}
	if cfg.Catalog == nil {
		cfg.Catalog = stream.NewCatalog()
	}
	tmp, err := os.MkdirTemp("", "brook-repl-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	// Interrupts cancel the running statement, not the session.
	root, stop := context.WithCancel(context.WithoutCancel(ctx))
	s := &Session{cfg: cfg, out: cfg.Stdout, streams: map[string]*liveStream{}, tmp: tmp, root: root, stop: stop,
		progress: metrics.NewProgress(cfg.Stderr), cols: map[string][]string{}}
	defer s.close()
	hist := cfg.HistoryFile
	if hist == "" {
		hist = DefaultHistoryFile()
	}
	if hist == "-" {
		hist = ""
	}
	rcfg := &readline.Config{
		Prompt:                 Prompt,
		HistoryFile:            hist,
		DisableAutoSaveHistory: true,
		AutoComplete:           &completer{s: s},
		Stdin:                  cfg.Stdin,
		Stdout:                 cfg.Stdout,
		Stderr:                 cfg.Stderr,
		HistorySearchFold:      true,
	}
	if f, ok := cfg.Stdin.(*os.File); !ok || !metrics.IsTerminal(f) {
		rcfg.FuncIsTerminal = func() bool { return false }
	}
	rl, err := readline.NewFromConfig(rcfg)
	if err != nil {
		return err
	}
	s.rl = rl
	s.out = rl.Stdout()
	defer rl.Close()
	// The end of ctx (SIGTERM; Ctrl-C only cancels a statement) ends the
	// session: its statements and live queries stop, and the line being
	// read returns.
	defer context.AfterFunc(ctx, func() {
		s.stop()
		rl.Close()
	})()
	s.refreshWords()
	if cfg.Banner != nil {
		fmt.Fprint(s.out, *cfg.Banner)
	} else {
		fmt.Fprintf(s.out, "brook REPL: SQL ending in ';' runs in DuckDB over %s; \\help for commands, \\quit to leave.\n", strings.Join(cfg.Catalog.Tables(), ", "))
	}
	var buf []string
	for {
		if len(buf) == 0 {
			rl.SetPrompt(Prompt)
		} else {
			rl.SetPrompt(MorePrompt)
		}
		line, err := rl.ReadLine()
		if errors.Is(err, readline.ErrInterrupt) {
			if len(buf) == 0 {
				fmt.Fprintln(s.out, "(\\quit or Ctrl-D to leave)")
			}
			buf = buf[:0]
			continue
		}
		if errors.Is(err, io.EOF) {
			if len(buf) > 0 { // run what was typed, then leave
				s.exec(strings.Join(buf, "\n"))
			}
			return nil
		}
		if err != nil {
			return err
		}
		trimmed := strings.TrimSpace(line)
		if len(buf) == 0 && trimmed == "" {
			continue
		}
		if len(buf) == 0 && strings.HasPrefix(trimmed, `\`) && !needsSemicolon(trimmed) {
			rl.SaveToHistory(trimmed)
			if quit := s.command(trimmed); quit {
				return nil
			}
			continue
		}
		buf = append(buf, line)
		if !strings.HasSuffix(trimmed, ";") {
			continue
		}
		stmt := strings.Join(buf, "\n")
		buf = buf[:0]
		rl.SaveToHistory(strings.Join(strings.Fields(stmt), " "))
		if quit := s.exec(stmt); quit {
			return nil
		}
	}
}

// needsSemicolon reports whether a backslash command carries a statement
// that ends at ";" and has not ended yet.
func needsSemicolon(line string) bool {
	cmd := strings.ToLower(strings.Fields(line)[0])
	return (cmd == `\stream` || cmd == `\explain`) && !strings.HasSuffix(line, ";")
}

// exec runs one complete statement or backslash command; it reports
// whether the session should end.
func (s *Session) exec(stmt string) bool {
	t := strings.TrimSpace(stmt)
	if strings.HasPrefix(t, `\`) {
		return s.command(t)
	}
	s.query(t)
	return false
}

// close stops every stream and releases DuckDB.
func (s *Session) close() {
	s.mu.Lock()
	streams := make([]*liveStream, 0, len(s.streams))
	for _, ls := range s.streams {
		streams = append(streams, ls)
	}
	s.mu.Unlock()
	for _, ls := range streams {
		ls.halt()
	}
	s.stop()
	if s.db != nil {
		s.db.Close()
	}
}

// statementContext returns a context that an interrupt (Ctrl-C) cancels,
// for one statement.
func (s *Session) statementContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(s.root)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt)
	go func() {
		select {
		case <-ch:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel()
	}
}

// baselineDB opens DuckDB on first use.
func (s *Session) baselineDB() (*baseline.DB, error) {
	if s.db == nil {
		db, err := baseline.Open(s.cfg.Threads)
		if err != nil {
			return nil, err
		}
		s.db = db
	}
	return s.db, nil
}

// errorf prints an error; it never ends the session.
func (s *Session) errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(s.out, "error: %s\n", strings.TrimRight(msg, "\n"))
}

// plan builds a statement against the catalog, live tables included.
func (s *Session) plan(text string) (*sql.Plan, error) {
	text = strings.TrimRight(strings.TrimSpace(text), "; \t\n")
	if err := s.syncLive(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return sql.Build(text, s.cfg.Catalog)
}

// files lists the files a plan reads: a live table's snapshot or the
// source's files now.
func (s *Session) files(p *sql.Plan) ([]string, error) {
	s.mu.Lock()
	ls := s.streams[strings.ToLower(p.Table)]
	s.mu.Unlock()
	if ls != nil {
		return ls.snapshotFiles(), nil
	}
	s.mu.Lock()
	src, err := s.cfg.Catalog.Open(p.Table, ingest.DirOptions{})
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return src.List()
}

// query answers a SELECT from the baseline.
func (s *Session) query(text string) {
	start := time.Now()
	p, err := s.plan(text)
	if err != nil {
		s.errorf("%v", err)
		return
	}
	files, err := s.files(p)
	if err != nil {
		s.errorf("%v", err)
		return
	}
	db, err := s.baselineDB()
	if err != nil {
		s.errorf("%v", err)
		return
	}
	ctx, done := s.statementContext()
	defer done()
	stop := s.progress.Busy("DuckDB", 400*time.Millisecond)
	res, err := db.Run(ctx, p, files)
	stop()
	if err != nil {
		if ctx.Err() != nil {
			s.errorf("cancelled")
			return
		}
		s.errorf("%v", err)
		return
	}
	sink.NewWriter(s.out, sink.Table, res.Schema).Result(res.Rows)
	if s.timing {
		fmt.Fprintf(s.out, "Time: %s (DuckDB %s, %d rows read from %d files)\n", sink.FormatDuration(time.Since(start)), sink.FormatDuration(res.Elapsed), res.RowsRead, len(files))
	}
}

// table prints rows under the given column names and types as an aligned
// table.
func (s *Session) table(schema value.Schema, rows [][]value.Value) {
	sink.NewWriter(s.out, sink.Table, schema).Result(rows)
}
