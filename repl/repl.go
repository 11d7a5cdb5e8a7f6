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
	"golang.org/x/term"

	"brook/baseline"
	"brook/ingest"
	"brook/metrics"
	"brook/sql"
	"brook/stream"
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
	// Banner is printed once at the start of an interactive session (nil:
	// the default greeting); a script gets none.
	Banner *string
	// Trigger, when set, makes \stream queries over files start a
	// micro-batch at most once per interval (so that a backlog is read
	// batch by batch, and a live table can be watched growing).
	Trigger time.Duration
	// MaxRows caps tables to their first and last rows (0: the default,
	// DefaultMaxRows; negative: no cap).
	MaxRows int
	// Pager, when set, is the command results taller than the terminal
	// go through (on a terminal only).
	Pager string
}

// ErrFailed is what Run returns after a script (input that is not a
// terminal) in which some statement failed; the errors were printed on
// Stderr.
var ErrFailed = errors.New("the script failed")

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
	dconn  *baseline.Conn    // DuckDB's own dialect (see static.go)
	views  map[string]string // the view definition by table
	disp   display
	term   *os.File  // standard output, when it is a terminal
	errw   io.Writer // where errors go
	script bool      // the input is not a terminal
	failed int       // statements that failed
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
		s.script = true
	}
	if f, ok := cfg.Stdout.(*os.File); ok && metrics.IsTerminal(f) {
		s.term = f
	}
	s.disp = display{mode: "table", maxRows: DefaultMaxRows, pager: cfg.Pager}
	switch {
	case cfg.MaxRows > 0:
		s.disp.maxRows = cfg.MaxRows
	case cfg.MaxRows < 0:
		s.disp.maxRows = 0
	}
	rl, err := readline.NewFromConfig(rcfg)
	if err != nil {
		return err
	}
	s.rl = rl
	s.out = rl.Stdout()
	s.errw = rl.Stderr()
	defer rl.Close()
	// The end of ctx (SIGTERM; Ctrl-C only cancels a statement) ends the
	// session: its statements and live queries stop, and the line being
	// read returns.
	defer context.AfterFunc(ctx, func() {
		s.stop()
		rl.Close()
	})()
	s.refreshWords()
	switch {
	case s.script:
	case cfg.Banner != nil:
		fmt.Fprint(s.out, *cfg.Banner)
	default:
		fmt.Fprintf(s.out, "brook REPL: SQL ending in ';' runs in DuckDB over %s; \\help for commands, \\quit to leave.\n", strings.Join(cfg.Catalog.Tables(), ", "))
	}
	pending := "" // the statement typed so far
	for {
		if pending == "" {
			rl.SetPrompt(Prompt)
		} else {
			rl.SetPrompt(MorePrompt)
		}
		line, err := rl.ReadLine()
		if errors.Is(err, readline.ErrInterrupt) {
			if pending == "" {
				fmt.Fprintln(s.out, "(\\quit or Ctrl-D to leave)")
			}
			pending = ""
			continue
		}
		if errors.Is(err, io.EOF) {
			if pending != "" { // run what was typed, then leave
				s.exec(strings.TrimSpace(pending))
			}
			return s.end()
		}
		if err != nil {
			return err
		}
		if pending == "" {
			trimmed := strings.TrimSpace(line)
			if blank(trimmed) {
				continue
			}
			if isCommand(trimmed) {
				rl.SaveToHistory(trimmed)
				if quit := s.command(stripComment(trimmed)); quit {
					return s.end()
				}
				continue
			}
		}
		pending += line + "\n"
		stmts, rest := splitStatements(pending)
		if len(stmts) > 0 {
			rl.SaveToHistory(strings.Join(strings.Fields(strings.TrimSuffix(strings.TrimSpace(pending[:len(pending)-len(rest)]), ";")), " ") + ";")
		}
		pending = rest
		for _, stmt := range stmts {
			if quit := s.exec(stmt); quit {
				return s.end()
			}
		}
	}
}

// end is what Run returns: ErrFailed after a script in which some
// statement failed.
func (s *Session) end() error {
	if s.script && s.failed > 0 {
		return fmt.Errorf("%w: %s (errors above)", ErrFailed, plural(int64(s.failed), "statement")+" failed")
	}
	return nil
}

// isCommand reports whether a line is a command that ends with the line:
// a dot command, or a backslash command that carries no statement.
func isCommand(line string) bool {
	if len(line) > 1 && line[0] == '.' && (line[1] >= 'a' && line[1] <= 'z' || line[1] >= 'A' && line[1] <= 'Z') {
		return true
	}
	if !strings.HasPrefix(line, `\`) {
		return false
	}
	cmd := strings.ToLower(strings.Fields(line)[0])
	return cmd != `\stream` && cmd != `\explain`
}

// exec runs one complete statement (without its ";") or backslash
// command; it reports whether the session should end.
func (s *Session) exec(stmt string) bool {
	if strings.HasPrefix(stmt, `\`) {
		return s.command(stmt)
	}
	if err := s.statement(stmt); err != nil {
		s.fail(err)
	}
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
	if s.disp.file != nil {
		s.disp.file.Close()
	}
	if s.dconn != nil {
		s.dconn.Close()
	}
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

// errorf prints an error and counts it; it never ends an interactive
// session.
func (s *Session) errorf(format string, args ...any) {
	if s.root.Err() != nil {
		for _, a := range args {
			if err, ok := a.(error); ok && errors.Is(err, context.Canceled) {
				return // cut short by the end of the session (SIGTERM), not failed
			}
		}
	}
	s.failed++
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(s.errw, "error: %s\n", strings.TrimRight(msg, "\n"))
}

// fail prints the error a statement ended with; Ctrl-C is no error, and
// neither is the end of the session cutting a statement short.
func (s *Session) fail(err error) {
	if errors.Is(err, context.Canceled) && s.root.Err() != nil {
		return // the session is ending (SIGTERM): no statement failed
	}
	if errors.Is(err, context.Canceled) && s.root.Err() == nil {
		fmt.Fprintln(s.errw, "cancelled (Ctrl-C)")
		if s.script {
			s.failed++
		}
		return
	}
	s.errorf("%v", err)
}

// termRows is the height of the terminal, 0 when unknown.
func (s *Session) termRows() int {
	if s.term == nil {
		return 0
	}
	_, rows, err := term.GetSize(int(s.term.Fd()))
	if err != nil {
		return 0
	}
	return rows
}

// termCols is the width of the terminal, 0 when unknown or when results
// go through a pager (which scrolls sideways).
func (s *Session) termCols() int {
	if s.term == nil || s.disp.pager != "" {
		return 0
	}
	cols, _, err := term.GetSize(int(s.term.Fd()))
	if err != nil {
		return 0
	}
	return cols
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
