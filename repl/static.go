package repl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"

	"brook/baseline"
	"brook/ingest"
	"brook/sink"
	"brook/sql"
	"brook/value"
)

// A statement brook can run as a stream (one SELECT over one source) is
// answered as its \stream would be: brook plans it and DuckDB runs the
// plan's baseline query over the files, so that the answer is the one
// \diff compares with. Any other statement (SELECT 42, joins, median,
// SHOW TABLES, DESCRIBE, COPY ... TO, CREATE TABLE, SET) runs in DuckDB as
// written, on a connection of the session's own, where every table brook
// knows is a temporary view:
//
//   - a bound source is a view over read_json of the files the source
//     holds when the statement starts, with the same explicit schema brook
//     reads them with (declared or inferred);
//   - a live table (\stream NAME) is a view over a snapshot of the
//     stream's result as it stands when the statement starts: the result
//     is written to a file (only when it changed) before every statement,
//     and the view reads that file, so that one statement sees one
//     consistent result, and the stream goes on meanwhile.
//
// The views are created again only when the files change, and tables the
// user creates in DuckDB live alongside them for the session.

// conn returns the session's DuckDB connection, opening it on first use.
func (s *Session) conn(ctx context.Context) (*baseline.Conn, error) {
	if s.dconn != nil {
		return s.dconn, nil
	}
	db, err := s.baselineDB()
	if err != nil {
		return nil, err
	}
	c, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	s.dconn, s.views = c, map[string]string{}
	return c, nil
}

// syncViews (re)creates the view of every bound source and live table
// whose files changed. It returns, by lower-case table name, why a table
// has no view (a source that cannot be read now).
func (s *Session) syncViews(ctx context.Context, c *baseline.Conn) map[string]error {
	broken := map[string]error{}
	if err := s.syncLive(); err != nil {
		broken[""] = err
	}
	s.mu.Lock()
	tables := s.cfg.Catalog.Tables()
	s.mu.Unlock()
	for _, t := range tables {
		key := strings.ToLower(t)
		s.mu.Lock()
		schema, err := s.cfg.Catalog.Schema(t)
		ls := s.streams[key]
		s.mu.Unlock()
		var files []string
		switch {
		case err != nil:
		case ls != nil:
			files = ls.snapshotFiles()
		default:
			files, err = s.sourceFiles(t)
		}
		if err != nil {
			broken[key] = err
			continue
		}
		def := "CREATE OR REPLACE TEMP VIEW " + baseline.Ident(t) + " AS " + viewQuery(schema, files)
		if s.views[key] == def {
			continue
		}
		if err := c.Exec(ctx, def); err != nil {
			broken[key] = err
			continue
		}
		s.views[key] = def
	}
	return broken
}

// viewQuery reads files with schema as brook reads them, or is an empty
// relation of the same columns when there is no file.
func viewQuery(schema value.Schema, files []string) string {
	if len(files) == 0 {
		parts := make([]string, len(schema))
		for i, c := range schema {
			parts[i] = "CAST(NULL AS " + c.Type.String() + ") AS " + baseline.Ident(c.Name)
		}
		return "SELECT " + strings.Join(parts, ", ") + " WHERE FALSE"
	}
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = baseline.Str(baseline.FilePattern(f))
	}
	cols := make([]string, len(schema))
	for i, c := range schema {
		cols[i] = baseline.Str(c.Name) + ": " + baseline.Str(c.Type.String())
	}
	return "SELECT * FROM read_json([" + strings.Join(quoted, ", ") + "], format = 'newline_delimited', columns = {" + strings.Join(cols, ", ") + "})"
}

// sourceFiles lists the files of a bound source now.
func (s *Session) sourceFiles(table string) ([]string, error) {
	s.mu.Lock()
	src, err := s.cfg.Catalog.Open(table, ingest.DirOptions{})
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return src.List()
}

// windowSyntax spots brook's streaming window functions, which DuckDB
// does not have: an error in such a statement is brook's to explain.
var windowSyntax = regexp.MustCompile(`(?i)\b(tumble|hop|session)(_end)?\s*\(`)

// statement runs one SQL statement: as brook plans it when it can be
// streamed, else in DuckDB's own dialect.
func (s *Session) statement(text string) error {
	start := time.Now()
	p, perr := s.plan(text)
	if perr == nil {
		return s.planned(p, start)
	}
	ctx, done := s.statementContext()
	defer done()
	derr := s.static(ctx, text, start)
	if derr == nil || ctx.Err() != nil {
		return derr
	}
	// Both failed: brook's error when the statement is brook's (a window)
	// or names something unknown among brook's sources, DuckDB's when
	// the statement is DuckDB's to run.
	var be *sql.Error
	if errors.As(perr, &be) && (errors.Is(be, sql.ErrUnknownColumn) || errors.Is(be, sql.ErrUnknownTable) || errors.Is(be, sql.ErrType) ||
		windowSyntax.MatchString(text)) {
		return perr
	}
	if !errors.As(perr, &be) { // a source that cannot be read
		return perr
	}
	return derr
}

// planned answers a streamable SELECT with the DuckDB baseline of its plan.
func (s *Session) planned(p *sql.Plan, start time.Time) error {
	files, err := s.files(p)
	if err != nil {
		return err
	}
	db, err := s.baselineDB()
	if err != nil {
		return err
	}
	ctx, done := s.statementContext()
	defer done()
	stop := s.progress.Busy("DuckDB", 400*time.Millisecond)
	res, err := db.Run(ctx, p, files)
	stop()
	if err != nil {
		return err
	}
	cols := make([]baseline.Column, len(res.Schema))
	for i, c := range res.Schema {
		cols[i] = baseline.Column{Name: c.Name, Type: c.Type.String(), Numeric: c.Type.Numeric()}
	}
	out := s.newOutput(ctx, cols)
	for _, row := range res.Rows {
		if err := out.row(row); err != nil {
			return err
		}
	}
	if err := out.end(); err != nil {
		return err
	}
	if s.disp.timer {
		fmt.Fprintf(s.out, "Time: %s (DuckDB %s, %d rows read from %d files)\n", sink.FormatDuration(time.Since(start)), sink.FormatDuration(res.Elapsed), res.RowsRead, len(files))
	}
	return nil
}

// static runs text in DuckDB over views of brook's tables.
func (s *Session) static(ctx context.Context, text string, start time.Time) error {
	c, err := s.conn(ctx)
	if err != nil {
		return err
	}
	broken := s.syncViews(ctx, c)
	stop := sync.OnceFunc(s.progress.Busy("DuckDB", 400*time.Millisecond))
	var out *output
	verb := strings.ToUpper(firstWord(text))
	err = c.Query(ctx, text, func(cols []baseline.Column) error {
		stop()
		out = s.newOutput(ctx, cols)
		out.verb = verb
		return nil
	}, func(row []value.Value) error { return out.row(row) })
	stop()
	if err != nil {
		if ctx.Err() == nil {
			// A table that has no view: say why, rather than that DuckDB
			// knows no such table.
			for key, berr := range broken {
				if key != "" && regexp.MustCompile(`(?i)\b`+regexp.QuoteMeta(key)+`\b`).MatchString(text) {
					return fmt.Errorf("%s: %w", key, berr)
				}
			}
		}
		return err
	}
	if err := out.end(); err != nil {
		return err
	}
	if s.disp.timer {
		fmt.Fprintf(s.out, "Time: %s (DuckDB)\n", sink.FormatDuration(time.Since(start)))
	}
	return nil
}

func firstWord(text string) string {
	f := strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == '\n' || r == '\t' || r == '\r' || r == '(' || r == ';' })
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// output prints one statement's result as the display settings say.
type output struct {
	s      *Session
	ctx    context.Context
	cols   []baseline.Column
	res    *result       // table and line modes, and \x
	stream *streamWriter // the export modes
	buf    *bytes.Buffer // what goes to the pager, if any
	w      io.Writer
	verb   string // the statement's first word, for statements with no rows to show
	width  int    // the terminal's width, for tables on it; 0: none
}

func (s *Session) newOutput(ctx context.Context, cols []baseline.Column) *output {
	o := &output{s: s, ctx: ctx, cols: cols}
	var w io.Writer = s.out
	if s.disp.file != nil {
		w = s.disp.file
	} else if s.disp.pager != "" && s.term != nil {
		o.buf = &bytes.Buffer{}
		w = o.buf
	}
	o.w = ctxWriter{ctx: ctx, w: w}
	if s.disp.file == nil {
		o.width = s.termCols()
	}
	if s.disp.mode == "table" || s.disp.mode == "line" {
		o.res = &result{cols: cols}
		if s.disp.capped() {
			o.res.limit = s.disp.maxRows
		}
	} else {
		o.stream = newStreamWriter(o.w, s.disp.mode, cols)
	}
	return o
}

// row takes one row; it fails once Ctrl-C was pressed.
func (o *output) row(row []value.Value) error {
	if err := o.ctx.Err(); err != nil {
		return err
	}
	if o.stream != nil {
		return o.stream.row(row)
	}
	o.res.add(row)
	return nil
}

// end prints what was collected.
func (o *output) end() error {
	if o.stream != nil {
		if err := o.stream.end(); err != nil {
			return err
		}
	} else {
		r := o.res
		switch {
		case len(r.cols) == 1 && r.cols[0].Name == "Count" && r.total == 1 && o.verb != "" && o.verb != "SELECT" && o.verb != "WITH" && o.verb != "FROM":
			// CREATE TABLE AS, INSERT, COPY ...: how many rows.
			fmt.Fprintf(o.w, "%s: %s\n", o.verb, plural(r.head[0][0].I, "row"))
		case len(r.cols) == 2 && r.cols[0].Name == "explain_key" && r.cols[1].Name == "explain_value":
			for _, row := range r.head {
				fmt.Fprint(o.w, row[1].S)
			}
		case len(r.cols) == 1 && r.cols[0].Name == "Success" && r.total == 0:
			// SET and the like: nothing to show.
		case o.s.disp.mode == "line":
			renderRecords(o.w, r, true)
		case o.s.disp.expanded:
			renderRecords(o.w, r, false)
		default:
			renderTable(o.w, r, o.width)
		}
	}
	if err := o.ctx.Err(); err != nil {
		return err
	}
	if o.buf != nil {
		paged, err := page(o.ctx, o.s.disp.pager, o.buf.String(), o.s.termRows(), o.s.out, o.s.term)
		if err != nil {
			return err
		}
		if !paged {
			_, err := ctxWriter{ctx: o.ctx, w: o.s.out}.Write(o.buf.Bytes())
			return err
		}
	}
	return nil
}

func plural(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return groupDigits(n) + " " + what + "s"
}
