package repl

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"brook/baseline"
	"brook/diff"
	"brook/value"
)

// Help lists the backslash commands.
const Help = `SQL ending in ';' (it may span lines) runs at once in DuckDB over the bound sources.

  \stream NAME AS SELECT ...;  start a continuous query in the background; its live
                               result is the table NAME (SELECT * FROM NAME)
  \streams                     list streams: state, batches, files, rows in, result rows
  \diff NAME                   compare stream NAME's current result with DuckDB over the
                               files the stream has read
  \stop NAME                   stop stream NAME (its last result stays queryable)
  \http ADDR [NAME]            serve stream NAME's live dashboard (and /metrics) on ADDR
                               (loopback unless ADDR names a host), e.g. \http :8080
  \sources                     list bound sources and live tables
  \schema TABLE                columns and types of a source or live table
  \explain SELECT ...;         the plan and the DuckDB SQL, without running it
  \timing                      toggle timing of statements
  \help                        this help
  \quit                        leave (Ctrl-D too); Ctrl-C cancels a running statement
`

// commandNames are the backslash commands, for completion.
var commandNames = []string{`\stream`, `\streams`, `\diff`, `\stop`, `\http`, `\sources`, `\schema`, `\explain`, `\timing`, `\help`, `\quit`}

// command runs one backslash command; it reports whether to quit.
func (s *Session) command(line string) bool {
	line = strings.TrimSpace(line)
	name, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	arg := strings.TrimSpace(strings.TrimRight(rest, ";"))
	switch strings.ToLower(name) {
	case `\q`, `\quit`, `\exit`:
		return true
	case `\h`, `\help`, `\?`:
		fmt.Fprint(s.out, Help)
	case `\timing`:
		s.timing = !s.timing
		if s.timing {
			fmt.Fprintln(s.out, "Timing is on.")
		} else {
			fmt.Fprintln(s.out, "Timing is off.")
		}
	case `\sources`:
		s.sources()
	case `\schema`, `\d`:
		s.schema(arg)
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
	case `\diff`:
		s.diff(arg)
	case `\explain`:
		s.explain(arg)
	case `\http`:
		s.http(arg)
	default:
		s.errorf("unknown command %s; \\help lists them", name)
	}
	return false
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
