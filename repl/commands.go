package repl

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"brook/baseline"
	"brook/diff"
	"brook/sql"
	"brook/value"
)

// Help lists the commands.
const Help = `SQL ending in ';' (it may span lines) runs at once in DuckDB over the bound
sources and live tables: a SELECT brook can stream as its \stream would be
answered, anything else (SELECT 42, joins, median, SHOW TABLES, DESCRIBE,
COPY ... TO 'file.csv', CREATE TABLE) in DuckDB's own dialect, over views of
them. "-- comments" may end any line.

Live queries
  \stream NAME AS SELECT ...;  start a continuous query in the background; its live
                               result is the table NAME (SELECT * FROM NAME)
  \streams                     list streams: state, batches, files, rows in, result rows
  \wait NAME [N]               wait until stream NAME has run N batches in all (default:
                               one more), or has ended; Ctrl-C stops waiting
  \diff NAME                   compare stream NAME's current result with DuckDB over the
                               files the stream has read
  \stop NAME                   stop stream NAME (its last result stays queryable, and
                               \stream NAME AS ... replaces it)
  \http ADDR [NAME]            serve stream NAME's live dashboard (and /metrics) on ADDR
                               (loopback unless ADDR names a host), e.g. \http :8080
  \explain SELECT ...;         the plan and the DuckDB SQL, without running it

Tables
  .tables                      names of the tables (sources, live tables, DuckDB's)
  \d, \sources                 the tables with their kind and path
  \d TABLE, \schema TABLE      columns and types of a table
  .schema [TABLE]              the tables' columns as CREATE statements

Output
  .mode [MODE]                 table (default), line, csv, tabs, list, json, jsonlines,
                               markdown
  \x [on|off]                  expanded display: one block per record
  .maxrows N                   tables show at most N rows, the first and the last ones
                               (default 40; 0 shows every row)
  .pager [on|off|COMMAND]      results taller than the terminal go through $PAGER
                               (or less), or COMMAND
  \o [FILE], .output [FILE]    results go to FILE (never capped), or back to the screen
  \timing [on|off], .timer     time statements (no argument toggles)

  \help, .help                 this help
  \quit, .quit, Ctrl-D         leave; Ctrl-C stops a running statement or its printing
`

// commandNames are the commands, for completion.
var commandNames = []string{`\stream`, `\streams`, `\wait`, `\diff`, `\stop`, `\http`, `\sources`, `\schema`, `\explain`, `\timing`, `\help`, `\quit`,
	`\d`, `\x`, `\o`, `\pager`, `.tables`, `.schema`, `.mode`, `.timer`, `.maxrows`, `.pager`, `.output`, `.help`, `.quit`, `.exit`}

// onOff reads an on/off argument; "" toggles cur.
func onOff(arg string, cur bool) (bool, error) {
	switch strings.ToLower(arg) {
	case "":
		return !cur, nil
	case "on", "true", "1", "yes":
		return true, nil
	case "off", "false", "0", "no":
		return false, nil
	}
	return cur, fmt.Errorf("want on or off, got %q", arg)
}

// command runs one backslash or dot command; it reports whether to quit.
func (s *Session) command(line string) bool {
	line = strings.TrimSpace(line)
	name, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	arg := strings.TrimSpace(strings.TrimRight(rest, ";"))
	switch strings.ToLower(name) {
	case `\q`, `\quit`, `\exit`, `.quit`, `.exit`, `.q`:
		return true
	case `\h`, `\help`, `\?`, `.help`:
		fmt.Fprint(s.out, Help)
	case `\timing`, `.timer`:
		on, err := onOff(arg, s.disp.timer)
		if err != nil {
			s.errorf("%s: %v", name, err)
			return false
		}
		s.disp.timer = on
		if on {
			fmt.Fprintln(s.out, "Timing is on.")
		} else {
			fmt.Fprintln(s.out, "Timing is off.")
		}
	case `\x`:
		on, err := onOff(arg, s.disp.expanded)
		if err != nil {
			s.errorf(`\x: %v`, err)
			return false
		}
		s.disp.expanded = on
		if on {
			fmt.Fprintln(s.out, "Expanded display is on.")
		} else {
			fmt.Fprintln(s.out, "Expanded display is off.")
		}
	case `.mode`:
		if arg == "" {
			fmt.Fprintf(s.out, "current output mode: %s\n", s.disp.mode)
			return false
		}
		m := strings.ToLower(strings.Fields(arg)[0])
		if a, ok := modeAliases[m]; ok {
			m = a
		}
		if !slices.Contains(modes, m) {
			s.errorf(".mode: unknown mode %q (modes: %s)", arg, strings.Join(modes, ", "))
			return false
		}
		s.disp.mode = m
	case `.maxrows`:
		if arg == "" {
			fmt.Fprintf(s.out, "maxrows: %d\n", s.disp.maxRows)
			return false
		}
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 {
			s.errorf(".maxrows wants a number of rows (0: every row), got %q", arg)
			return false
		}
		s.disp.maxRows = n
	case `.pager`, `\pager`:
		switch strings.ToLower(arg) {
		case "", "on":
			s.disp.pager = os.Getenv("PAGER")
			if s.disp.pager == "" {
				s.disp.pager = "less -SRFX"
			}
		case "off":
			s.disp.pager = ""
		default:
			s.disp.pager = arg
		}
		if s.disp.pager == "" {
			fmt.Fprintln(s.out, "Pager is off.")
		} else if s.term == nil {
			fmt.Fprintf(s.out, "Pager is %s (used only when the output is a terminal).\n", s.disp.pager)
		} else {
			fmt.Fprintf(s.out, "Pager is %s for results taller than the terminal.\n", s.disp.pager)
		}
	case `\o`, `.output`:
		s.output(arg)
	case `.tables`, `\dt`:
		s.tables()
	case `\sources`:
		s.sources()
	case `\d`:
		if arg == "" {
			s.sources()
		} else {
			s.schema(arg)
		}
	case `\schema`:
		s.schema(arg)
	case `.schema`:
		s.createStatements(arg)
	case `\streams`:
		s.listStreams()
	case `\stream`:
		fields := strings.Fields(rest)
		if len(fields) < 3 || !strings.EqualFold(fields[1], "AS") {
			s.errorf(`usage: \stream NAME AS SELECT ...;`)
			return false
		}
		// rest is NAME, then AS, then the statement.
		after := strings.TrimSpace(rest[len(fields[0]):])
		text := strings.TrimSpace(after[2:])
		if err := s.startStream(fields[0], text); err != nil {
			s.errorf("%v", err)
			return false
		}
		fmt.Fprintf(s.out, "stream %s started: SELECT * FROM %s reads its live result; \\streams, \\diff %s, \\stop %s\n", fields[0], fields[0], fields[0], fields[0])
	case `\stop`:
		ls := s.stream(arg)
		if ls == nil {
			return false
		}
		ls.halt()
		fmt.Fprintf(s.out, "stream %s stopped; its last result stays in table %s\n", ls.name, ls.name)
	case `\wait`:
		s.wait(arg)
	case `\diff`:
		s.diff(arg)
	case `\explain`:
		s.explain(arg)
	case `\http`:
		s.http(arg)
	default:
		if strings.HasPrefix(name, ".") {
			s.errorf("unknown command %s; .help lists them", name)
		} else {
			s.errorf("unknown command %s; \\help lists them", name)
		}
	}
	return false
}

// output sends results to a file (\o FILE), or back to the screen.
func (s *Session) output(file string) {
	if s.disp.file != nil {
		if err := s.disp.file.Close(); err != nil {
			s.errorf("%s: %v", s.disp.fileName, err)
		}
		s.disp.file, s.disp.fileName = nil, ""
	}
	if file == "" || file == "stdout" {
		return
	}
	f, err := os.Create(file)
	if err != nil {
		s.errorf("%v", err)
		return
	}
	s.disp.file, s.disp.fileName = f, file
	fmt.Fprintf(s.out, "results go to %s (\\o alone to bring them back)\n", file)
}

// duckTables lists the tables and views the user created in DuckDB.
func (s *Session) duckTables() (names, defs []string) {
	ctx, done := s.statementContext()
	defer done()
	c, err := s.conn(ctx)
	if err != nil {
		return nil, nil
	}
	c.Query(ctx, "SELECT table_name, sql FROM duckdb_tables() UNION ALL SELECT view_name, sql FROM duckdb_views() WHERE NOT internal AND NOT temporary ORDER BY 1",
		func([]baseline.Column) error { return nil },
		func(row []value.Value) error {
			names = append(names, row[0].S)
			defs = append(defs, row[1].S)
			return nil
		})
	return names, defs
}

// tables prints the names of the tables, as the DuckDB CLI's .tables.
func (s *Session) tables() {
	s.mu.Lock()
	names := s.cfg.Catalog.Tables()
	s.mu.Unlock()
	own, _ := s.duckTables()
	seen := map[string]bool{}
	for _, n := range names {
		seen[strings.ToLower(n)] = true
	}
	for _, n := range own {
		if !seen[strings.ToLower(n)] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		fmt.Fprintln(s.out, "no tables; bind a source with --source NAME=PATH")
		return
	}
	fmt.Fprintln(s.out, strings.Join(names, "  "))
}

// createStatements prints the tables' columns as CREATE statements, as
// the DuckDB CLI's .schema does.
func (s *Session) createStatements(table string) {
	s.mu.Lock()
	names := s.cfg.Catalog.Tables()
	s.mu.Unlock()
	found := false
	for _, t := range names {
		if table != "" && !strings.EqualFold(t, table) {
			continue
		}
		found = true
		s.mu.Lock()
		sch, err := s.cfg.Catalog.Schema(t)
		b, _ := s.cfg.Catalog.Binding(t)
		ls := s.streams[strings.ToLower(t)]
		s.mu.Unlock()
		if err != nil {
			fmt.Fprintf(s.out, "-- %s: %v\n", t, oneLine(err.Error()))
			continue
		}
		cols := make([]string, len(sch))
		for i, c := range sch {
			cols[i] = baseline.Ident(c.Name) + " " + c.Type.String()
		}
		from := "-- source " + b.Path + " (" + b.SchemaSource() + ")"
		if ls != nil {
			from = "-- live table of \\stream " + ls.name
		}
		fmt.Fprintf(s.out, "CREATE TABLE %s(%s); %s\n", baseline.Ident(t), strings.Join(cols, ", "), from)
	}
	own, defs := s.duckTables()
	for i, n := range own {
		if table == "" || strings.EqualFold(n, table) {
			found = true
			fmt.Fprintln(s.out, defs[i])
		}
	}
	if !found {
		s.errorf("no table named %q (tables: %s)", table, strings.Join(names, ", "))
	}
}

// stream finds a stream by name, reporting an error when there is none.
func (s *Session) stream(name string) *liveStream {
	s.mu.Lock()
	defer s.mu.Unlock()
	if name == "" && len(s.order) > 0 {
		return s.streams[s.order[len(s.order)-1]]
	}
	ls := s.streams[strings.ToLower(name)]
	if ls == nil {
		var names []string
		for _, k := range s.order {
			names = append(names, s.streams[k].name)
		}
		if len(names) == 0 {
			s.errorf("no stream named %q; none is running (start one with \\stream NAME AS SELECT ...;)", name)
		} else {
			s.errorf("no stream named %q; streams: %s", name, strings.Join(names, ", "))
		}
	}
	return ls
}

// sourceNames lists the bound sources that are not live tables; s.mu held.
func (s *Session) sourceNames() []string {
	var out []string
	for _, t := range s.cfg.Catalog.Tables() {
		if s.streams[strings.ToLower(t)] == nil {
			out = append(out, t)
		}
	}
	return out
}

func (s *Session) sources() {
	schema := value.Schema{{Name: "table", Type: value.String}, {Name: "kind", Type: value.String}, {Name: "path", Type: value.String}, {Name: "schema", Type: value.String}}
	var rows [][]value.Value
	s.mu.Lock()
	for _, t := range s.cfg.Catalog.Tables() {
		b, _ := s.cfg.Catalog.Binding(t)
		if ls := s.streams[strings.ToLower(t)]; ls != nil {
			rows = append(rows, []value.Value{value.StringValue(t), value.StringValue("live table"), value.StringValue("\\stream " + ls.name), value.StringValue("result of the stream")})
			continue
		}
		rows = append(rows, []value.Value{value.StringValue(t), value.StringValue("source"), value.StringValue(b.Path), value.StringValue(b.SchemaSource())})
	}
	s.mu.Unlock()
	if own, defs := s.duckTables(); len(own) > 0 {
		for i, n := range own {
			rows = append(rows, []value.Value{value.StringValue(n), value.StringValue("DuckDB table"), value.StringValue(""), value.StringValue(oneLine(defs[i]))})
		}
	}
	s.table(schema, rows)
}

func (s *Session) schema(table string) {
	if table == "" {
		s.errorf(`usage: \schema TABLE`)
		return
	}
	s.mu.Lock()
	sch, err := s.cfg.Catalog.Schema(table)
	tables := s.cfg.Catalog.Tables()
	s.mu.Unlock()
	if errors.Is(err, sql.ErrUnknownTable) {
		// A table created in DuckDB: DuckDB describes it.
		if own, _ := s.duckTables(); slices.ContainsFunc(own, func(n string) bool { return strings.EqualFold(n, table) }) {
			if err := s.statement("DESCRIBE " + baseline.Ident(table)); err != nil {
				s.fail(err)
			}
			return
		}
	}
	if err != nil {
		s.errorf("%s: %v (tables: %s)", table, err, strings.Join(tables, ", "))
		return
	}
	rows := make([][]value.Value, len(sch))
	for i, c := range sch {
		rows[i] = []value.Value{value.StringValue(c.Name), value.StringValue(c.Type.String())}
	}
	s.table(value.Schema{{Name: "column", Type: value.String}, {Name: "type", Type: value.String}}, rows)
}

func (s *Session) listStreams() {
	s.mu.Lock()
	var rows [][]value.Value
	for _, k := range s.order {
		rows = append(rows, s.streams[k].status())
	}
	s.mu.Unlock()
	if len(rows) == 0 {
		fmt.Fprintln(s.out, "no streams; start one with \\stream NAME AS SELECT ...;")
		return
	}
	s.table(streamStatusSchema, rows)
}

// wait blocks until a stream has run a number of batches in all (by
// default one more than now), or is no longer running, or Ctrl-C.
func (s *Session) wait(arg string) {
	fields := strings.Fields(arg)
	if len(fields) == 0 || len(fields) > 2 {
		s.errorf(`usage: \wait NAME [BATCHES], e.g. \wait talkers 3`)
		return
	}
	ls := s.stream(fields[0])
	if ls == nil {
		return
	}
	ls.mu.Lock()
	want := ls.batches + 1
	ls.mu.Unlock()
	if len(fields) == 2 {
		n, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil || n < 1 {
			s.errorf(`\wait %s %s: the number of batches is a whole number of at least 1`, fields[0], fields[1])
			return
		}
		want = n
	}
	fmt.Fprintf(s.out, "waiting until stream %s has run %s (Ctrl-C stops waiting)\n", ls.name, nBatches(want))
	ctx, done := s.statementContext()
	defer done()
	for {
		ls.mu.Lock()
		batches, state, changed := ls.batches, ls.state, ls.changed
		ls.mu.Unlock()
		if batches >= want {
			fmt.Fprintf(s.out, "stream %s: %s\n", ls.name, nBatches(batches))
			return
		}
		if state != "running" {
			fmt.Fprintf(s.out, "stream %s %s after %s, before batch %d\n", ls.name, state, nBatches(batches), want)
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			fmt.Fprintf(s.out, "stopped waiting: stream %s has run %s\n", ls.name, nBatches(batches))
			return
		}
	}
}

// nBatches is "1 batch" or "n batches".
func nBatches(n int64) string {
	if n == 1 {
		return "1 batch"
	}
	return fmt.Sprintf("%d batches", n)
}

// diff compares a stream's current result with DuckDB over the files it
// has read, as brook diff does at the end of a run.
func (s *Session) diff(name string) {
	ls := s.stream(name)
	if ls == nil {
		return
	}
	ls.mu.Lock()
	rows, files, rowsIn, rejected := ls.rows, append([]string(nil), ls.files...), ls.rowsIn, ls.rejected
	ls.mu.Unlock()
	if len(files) == 0 {
		fmt.Fprintf(s.out, "stream %s has read no file yet\n", ls.name)
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
	base, err := db.Run(ctx, ls.plan, files)
	stop()
	if err != nil {
		s.errorf("%v", err)
		return
	}
	rep := diff.Compare(ls.plan.OutputSchema().Names(), ls.plan.KeyColumns, rows, base.Rows, 0)
	if ls.plan.Sorted() {
		rep.CheckOrder(rows, base.Rows)
	}
	rep.Show = 10
	rep.Stream.RowsRead, rep.Stream.Rejected = rowsIn, rejected
	rep.Baseline.RowsRead = base.RowsRead
	rep.RequireInput()
	rep.Notes = append(rep.Notes, fmt.Sprintf("stream %s after %d files; DuckDB over the same files", ls.name, len(files)))
	fmt.Fprint(s.out, rep.Text(10))
}

func (s *Session) explain(text string) {
	if text == "" {
		s.errorf(`usage: \explain SELECT ...;`)
		return
	}
	p, err := s.plan(text)
	var be *sql.Error
	if errors.As(err, &be) && !errors.Is(be, sql.ErrUnknownColumn) && !errors.Is(be, sql.ErrType) {
		// Not a query brook streams: DuckDB's plan of it, if DuckDB
		// takes it.
		ctx, done := s.statementContext()
		derr := s.static(ctx, "EXPLAIN "+text, time.Now())
		done()
		if derr == nil {
			fmt.Fprintln(s.out, "-- (the plan above is DuckDB's: brook cannot stream this statement)")
			return
		}
	}
	if err != nil {
		s.errorf("%v", err)
		return
	}
	files, err := s.files(p)
	if err != nil {
		s.errorf("%v", err)
		return
	}
	duck := "DuckDB"
	if v, err := baseline.LibraryVersion(); err == nil {
		duck += " " + v
	}
	fmt.Fprintf(s.out, "-- %s: %d files\n-- schema: %s\n-- plan:\n%s-- %s baseline SQL:\n%s;\n", p.Table, len(files), p.Schema, p, duck, baseline.Render(p, files))
}

// http serves a stream's dashboard.
func (s *Session) http(arg string) {
	fields := strings.Fields(arg)
	if len(fields) == 0 || len(fields) > 2 {
		s.errorf(`usage: \http ADDR [STREAM], e.g. \http 127.0.0.1:8080 talkers`)
		return
	}
	name := ""
	if len(fields) == 2 {
		name = fields[1]
	}
	ls := s.stream(name)
	if ls == nil {
		return
	}
	ls.mu.Lock()
	running := ls.url
	ls.mu.Unlock()
	if running != "" {
		fmt.Fprintf(s.out, "stream %s's dashboard is at %s\n", ls.name, running)
		return
	}
	url, err := ls.dash.Start(fields[0])
	if err != nil {
		s.errorf("%v", err)
		return
	}
	ls.mu.Lock()
	ls.url = url
	ls.mu.Unlock()
	fmt.Fprintf(s.out, "dashboard of stream %s at %s (metrics at %smetrics)\n", ls.name, url, url)
}

// refreshWords recomputes the completion candidates: tables and columns.
func (s *Session) refreshWords() {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	var words []string
	for _, t := range s.cfg.Catalog.Tables() {
		words = append(words, t)
		sch, err := s.cfg.Catalog.Schema(t)
		if err != nil {
			continue
		}
		for _, c := range sch {
			if !seen[c.Name] {
				seen[c.Name] = true
				words = append(words, c.Name)
			}
		}
	}
	sort.Strings(words)
	s.words = words
}

// completionWords returns the current table and column names.
func (s *Session) completionWords() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.words
}

// table prints rows under the given column names and types as a table,
// never capped (a listing of tables or columns).
func (s *Session) table(schema value.Schema, rows [][]value.Value) {
	cols := make([]baseline.Column, len(schema))
	for i, c := range schema {
		cols[i] = baseline.Column{Name: c.Name, Type: c.Type.String(), Numeric: c.Type.Numeric()}
	}
	r := &result{cols: cols}
	for _, row := range rows {
		r.add(row)
	}
	renderTable(s.out, r, 0)
}
