package repl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"brook/baseline"
	"brook/stream"
	"brook/value"
)

func session(t *testing.T) *Session {
	t.Helper()
	cat := stream.NewCatalog()
	cat.Bind("flows", "../testdata/flows", nil)
	s := &Session{cfg: Config{Catalog: cat}, streams: map[string]*liveStream{}}
	s.refreshWords()
	return s
}

func TestCompletion(t *testing.T) {
	c := &completer{s: session(t)}
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"SEL", []string{"ECT"}},
		{"sel", []string{"ect"}},
		{"SELECT srcdev", []string{"ice"}},
		{"SELECT * FROM fl", []string{"ows"}},
		{`\str`, []string{"eam", "eams"}},
		{`.ta`, []string{"bles"}},
		{`.m`, []string{"axrows", "ode"}},
		{"SELECT ", nil},
	} {
		got, n := c.Do([]rune(tc.line), len([]rune(tc.line)))
		var words []string
		for _, g := range got {
			words = append(words, string(g))
		}
		if strings.Join(words, ",") != strings.Join(tc.want, ",") {
			t.Errorf("complete %q: %q (length %d), want %q", tc.line, words, n, tc.want)
		}
	}
}

// script runs a session over in (not a terminal) and returns its
// standard output, its standard error and Run's error.
func script(t *testing.T, in string, cat *stream.Catalog) (string, string, error) {
	t.Helper()
	if cat == nil {
		cat = stream.NewCatalog()
		cat.Bind("flows", "../testdata/flows", nil)
	}
	var out, errOut bytes.Buffer
	err := Run(context.Background(), Config{Catalog: cat, HistoryFile: "-", Stdin: io.NopCloser(strings.NewReader(in)),
		Stdout: &out, Stderr: &errOut})
	return out.String(), errOut.String(), err
}

// TestPipedSession runs a session from a pipe (no terminal: no line
// editing, the same statements and commands): no banner, results on
// stdout, errors on stderr, and Run fails after the script when a
// statement failed.
func TestPipedSession(t *testing.T) {
	in := strings.Join([]string{
		"SELECT protocol, count(*) AS n FROM flows",
		"GROUP BY protocol ORDER BY n DESC;",
		"SELECT nope FROM flows;",
		`\bogus`,
		`\schema flows`,
		`\streams`,
		`\quit`,
		"SELECT 'not reached' FROM flows;",
	}, "\n") + "\n"
	text, errText, err := script(t, in, nil)
	if !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), "2 statements failed") {
		t.Errorf("Run after two failed statements: %v", err)
	}
	for _, want := range []string{"|     6.0|2488|", "|srcdevice ", "no streams"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	for _, want := range []string{`unknown column "nope"`, "         ^", `unknown command \bogus`} {
		if !strings.Contains(errText, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errText)
		}
		if strings.Contains(text, want) {
			t.Errorf("stdout has the error %q:\n%s", want, text)
		}
	}
	if strings.HasPrefix(text, "brook REPL") {
		t.Errorf("a script got the banner:\n%s", text)
	}
	if strings.Contains(text, "not reached") {
		t.Errorf("statements after \\quit ran:\n%s", text)
	}
	// A script without errors ends cleanly.
	if _, errText, err := script(t, "SELECT 42;\n", nil); err != nil || errText != "" {
		t.Errorf("a clean script: %v\n%s", err, errText)
	}
}

// TestSplitStatements: statements end at ";" outside quotes and comments,
// and what follows the last ";" waits for more, unless it is only spaces
// and comments.
func TestSplitStatements(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		rest string
	}{
		{"SELECT 1;", []string{"SELECT 1"}, ""},
		{"SELECT 1; -- a comment\n", []string{"SELECT 1"}, ""},
		{"SELECT 1; SELECT 2;", []string{"SELECT 1", "SELECT 2"}, ""},
		{"SELECT ';' AS s, \"a;b\" -- not the end;\nFROM t", nil, "SELECT ';' AS s, \"a;b\" -- not the end;\nFROM t"},
		{"SELECT 'it''s;' /* ; */;", []string{"SELECT 'it''s;' /* ; */"}, ""},
		{"SELECT 1 /* open", nil, "SELECT 1 /* open"},
		{"-- only a comment\n", nil, ""},
		{";;", nil, ""},
	} {
		got, rest := splitStatements(tc.in)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") || rest != tc.rest {
			t.Errorf("split %q: %q, rest %q; want %q, rest %q", tc.in, got, rest, tc.want, tc.rest)
		}
	}
	for in, want := range map[string]string{
		`\diff talkers          -- the live result`: `\diff talkers`,
		`\http :8080 talkers    -- its dashboard`:   `\http :8080 talkers`,
		`.mode csv--x`:  `.mode csv`,
		`\o 'a--b.txt'`: `\o 'a--b.txt'`,
	} {
		if got := stripComment(in); got != want {
			t.Errorf("stripComment(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestStaticStatements: what brook cannot stream runs in DuckDB's own
// dialect over views of the sources, with the DuckDB CLI's and psql's
// habits around it.
func TestStaticStatements(t *testing.T) {
	dir := t.TempDir()
	csvFile := filepath.Join(dir, "udp.csv")
	in := strings.Join([]string{
		"SELECT 42;",
		"SHOW TABLES;",
		"DESCRIBE flows;",
		"SELECT median(srcbytes) AS m, count(*) AS n FROM flows; -- a comment after the statement",
		"SELECT count(*) AS pairs FROM flows a JOIN flows b ON a.srcdevice = b.dstdevice AND a.protocol = 17;",
		"COPY (SELECT protocol, count(*) AS n FROM flows GROUP BY protocol ORDER BY protocol) TO '" + csvFile + "' (HEADER);",
		"CREATE TABLE mine AS SELECT * FROM range(3) t(i);",
		".tables",
		".schema flows",
		`\d mine`,
		`\timing on   -- sets, not toggles`,
		`\timing on`,
		`\timing off`,
		".mode csv",
		"SELECT i, i * 2 AS twice FROM mine ORDER BY i;",
		".mode line",
		"SELECT 1 AS a, 'x' AS bee;",
		".mode table",
		`\x`,
		"SELECT 1 AS a, 'x' AS bee;",
		`\x off`,
		"SELECT i FROM range(100) t(i) ORDER BY i;",
		".maxrows 4",
		"SELECT i FROM range(100) t(i) ORDER BY i;",
		".maxrows 0",
		"SELECT count(*) AS lines FROM (SELECT i FROM range(100) t(i));",
		`\explain SELECT 42;`,
	}, "\n") + "\n"
	text, errText, err := script(t, in, nil)
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, errText, text)
	}
	blocks := map[string]string{
		"SELECT 42":        "+--+\n|42|\n+--+\n|42|\n+--+\n(1 row)\n",
		"SHOW TABLES":      "|name |\n+-----+\n|flows|\n+-----+\n(1 row)\n",
		"DESCRIBE":         "|srcbytes   |DOUBLE     |YES |",
		"median":           "|m    |n   |\n+-----+----+\n|126.0|3000|",
		"COPY":             "COPY: 3 rows\n",
		"CREATE":           "CREATE: 3 rows\n",
		".tables":          "flows  mine\n",
		".schema":          `CREATE TABLE "flows"("time" DOUBLE, "duration" DOUBLE, "srcdevice" VARCHAR,`,
		`\d mine`:          "|i          |BIGINT     |",
		"timing":           "Timing is on.\nTiming is on.\nTiming is off.\n",
		".mode csv":        "i,twice\n0,0\n1,2\n2,4\n",
		".mode line":       "  a = 1\nbee = x\n",
		`\x`:               "-[ RECORD 1 ]-----\na   | 1\nbee | x\n",
		"capped at 40":     "|19|\n| ·|\n| ·|\n| ·|\n|80|\n",
		"capped footer":    "100 rows (40 shown)\n",
		"capped at 4":      "| 0|\n| 1|\n| ·|\n| ·|\n| ·|\n|98|\n|99|\n+--+\n100 rows (4 shown)\n",
		"uncapped (count)": "|  100|\n",
		`\explain`:         "Dummy Scan", // DuckDB 2.0 spells its operators so
	}
	for what, want := range blocks {
		if !strings.Contains(text, want) {
			t.Errorf("%s: output lacks %q:\n%s", what, want, text)
		}
	}
	if strings.Contains(text, "|20|") {
		t.Errorf("the capped table shows row 20:\n%s", text)
	}
	// The join, counted here from the files: pairs of a UDP flow and any
	// flow whose destination is the UDP flow's source.
	var recs []map[string]any
	files, _ := filepath.Glob("../testdata/flows/*.json")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var r map[string]any
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatal(err)
			}
			recs = append(recs, r)
		}
	}
	dst := map[any]int{}
	for _, r := range recs {
		dst[r["dstdevice"]]++
	}
	pairs := 0
	for _, r := range recs {
		if r["protocol"] == 17.0 {
			pairs += dst[r["srcdevice"]]
		}
	}
	if want := fmt.Sprintf("|pairs|\n+-----+\n|%5d|\n", pairs); pairs == 0 || !strings.Contains(text, want) {
		t.Errorf("the join: want %q in\n%s", want, text)
	}
	got, err := os.ReadFile(csvFile)
	if err != nil || string(got) != "protocol,n\n1.0,23\n6.0,2488\n17.0,489\n" {
		t.Errorf("COPY TO: %q, %v", got, err)
	}
}

// TestStaticErrors: a statement that fails in both brook and DuckDB gets
// the error of the one it was written for.
func TestStaticErrors(t *testing.T) {
	_, errText, err := script(t, strings.Join([]string{
		"SELECT nope FROM flows;",
		"SELEC 1;",
		"SELECT count(*) FROM flows GROUP BY TUMBLE(time, 'x');",
		"SELECT * FROM flows JOIN nosuch USING (protocol);",
	}, "\n")+"\n", nil)
	if !errors.Is(err, ErrFailed) {
		t.Errorf("Run: %v", err)
	}
	lines := strings.Split(errText, "error: ")
	if len(lines) != 5 {
		t.Fatalf("want 4 errors:\n%s", errText)
	}
	for i, want := range []string{`unknown column "nope" in flows`, `syntax error at or near "SELEC"`, `TUMBLE`, `nosuch`} {
		if !strings.Contains(lines[i+1], want) {
			t.Errorf("error %d lacks %q: %s", i+1, want, lines[i+1])
		}
	}
	if strings.Contains(lines[3], "DuckDB") {
		t.Errorf("an error in a window query is brook's: %s", lines[3])
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestLiveTable starts a stream, waits for it to read the three files,
// reads its live table, diffs and stops it, in-process (under -race too).
func TestLiveTable(t *testing.T) {
	cat := stream.NewCatalog()
	cat.Bind("flows", "../testdata/flows", nil)
	r, w := io.Pipe()
	out := &syncBuffer{}
	banner := ""
	errc := make(chan error, 1)
	go func() {
		errc <- Run(context.Background(), Config{Catalog: cat, HistoryFile: "-", Stdin: r, Stdout: out, Stderr: out, Banner: &banner})
	}()
	send := func(line string) { io.WriteString(w, line+"\n") }
	waitFor := func(what string) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second) // a hang guard only
		for !strings.Contains(out.String(), what) {
			if time.Now().After(deadline) {
				t.Fatalf("waited for %q:\n%s", what, out.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	send(`\stream p AS SELECT protocol, count(*) AS n FROM flows GROUP BY protocol;`)
	waitFor("stream p started")
	for i := 0; !strings.Contains(out.String(), "|p   |running|      3|    3|   3000|"); i++ {
		if i > 1200 {
			t.Fatalf("the stream did not catch up:\n%s", out.String())
		}
		send(`\streams`)
		time.Sleep(50 * time.Millisecond)
	}
	send("SELECT n FROM p WHERE protocol = 17;")
	waitFor("|489|")
	send(`\diff p`)
	waitFor("EQUAL: stream and baseline agree on all 3 result rows")
	// A static statement (a join, which brook cannot stream) over the
	// live table and its source, in DuckDB.
	send("SELECT p.n, count(*) AS c FROM p JOIN flows USING (protocol) WHERE p.protocol = 17 GROUP BY p.n;")
	waitFor("|489|489|")
	send(`\stream p AS SELECT count(*) AS total FROM flows;`)
	waitFor(`error: a stream named p is running; \stop p first`)
	send(`\stop p -- stops it`)
	waitFor("stream p stopped")
	// The name of a stopped stream is free again.
	send(`\stream p AS SELECT count(*) AS total FROM flows;`)
	waitFor("stream p started")
	for i := 0; !strings.Contains(out.String(), "| 3000|"); i++ {
		if i > 1200 {
			t.Fatalf("the restarted stream did not catch up:\n%s", out.String())
		}
		send("SELECT total FROM p;")
		time.Sleep(50 * time.Millisecond)
	}
	send(`\quit`)
	if err := <-errc; !errors.Is(err, ErrFailed) { // the refused \stream
		t.Fatal(err)
	}
	w.Close()
}

// TestWait: \wait NAME N says what it waits for and returns once the
// stream has run N batches, so a piped session reads its live table at a
// known point; on a stream that no
// longer runs it says so instead of waiting.
func TestWait(t *testing.T) {
	in := strings.Join([]string{
		`\stream p AS SELECT protocol, count(*) AS n FROM flows GROUP BY protocol;`,
		`\wait p 3`,
		"SELECT n FROM p WHERE protocol = 17;",
		`\stop p`,
		`\wait p 9`,
		`\wait p x`,
		`\wait`,
		`\wait nosuch`,
		`\quit`,
	}, "\n") + "\n"
	cat := stream.NewCatalog()
	cat.Bind("flows", "../testdata/flows", nil)
	var out bytes.Buffer
	banner := ""
	err := Run(context.Background(), Config{Catalog: cat, HistoryFile: "-", Stdin: io.NopCloser(strings.NewReader(in)),
		Stdout: &out, Stderr: &out, Banner: &banner})
	if !errors.Is(err, ErrFailed) { // the three wrong \wait commands
		t.Fatalf("a script with failed commands: %v", err)
	}
	text := out.String()
	for _, want := range []string{
		"waiting until stream p has run 3 batches (Ctrl-C stops waiting)\nstream p: 3 batches\n", "|489|", "stream p stopped after 3 batches, before batch 9\n",
		`\wait p x: the number of batches is a whole number of at least 1`, `usage: \wait NAME [BATCHES]`, `no stream named "nosuch"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}

// TestTrigger: with a trigger, a stream over files starts a micro-batch
// at most once per interval: with an hour's trigger it has read one file
// of three after its first batch (and is still so when looked at), and
// \stop ends it while it waits.
func TestTrigger(t *testing.T) {
	cat := stream.NewCatalog()
	cat.Bind("flows", "../testdata/flows", nil)
	r, w := io.Pipe()
	out := &syncBuffer{}
	errc := make(chan error, 1)
	go func() {
		errc <- Run(context.Background(), Config{Catalog: cat, HistoryFile: "-", Stdin: r, Stdout: out, Stderr: out, Trigger: time.Hour})
	}()
	send := func(line string) { io.WriteString(w, line+"\n") }
	send(`\stream p AS SELECT count(*) AS n FROM flows;`)
	first := regexp.MustCompile(`\|p +\|running\| +1\| +1\| +1000\|`)
	for i := 0; !first.MatchString(out.String()); i++ {
		if i > 1200 { // a hang guard only
			t.Fatalf("no first batch:\n%s", out.String())
		}
		send(`\streams`)
		time.Sleep(50 * time.Millisecond)
	}
	send("SELECT n FROM p;")
	send(`\diff p`)
	send(`\stop p`)
	send(`\quit`)
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(90 * time.Second):
		t.Fatalf("the session did not end:\n%s", out.String())
	}
	text := out.String()
	for _, want := range []string{"|1000|", "stream p after 1 files", "stream p stopped"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}

// TestOutputFile: \o FILE sends results to a file, whole (never capped),
// and \o alone brings them back.
func TestOutputFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "out.txt")
	text, errText, err := script(t, strings.Join([]string{
		".maxrows 4",
		`\o ` + file,
		"SELECT i FROM range(10) t(i) ORDER BY i;",
		`\o`,
		"SELECT 'back' AS s;",
	}, "\n")+"\n", nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, errText)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), "|5|\n") || !strings.Contains(string(got), "(10 rows)") {
		t.Errorf("the file:\n%s", got)
	}
	if strings.Contains(text, "|5|") || !strings.Contains(text, "|back|") {
		t.Errorf("stdout:\n%s", text)
	}
}

// TestWideTable: a table wider than the terminal shows its first and last
// columns that fit, a "…" column between them, and says so.
func TestWideTable(t *testing.T) {
	var cols []baseline.Column
	row := make([]value.Value, 8)
	for i := range row {
		cols = append(cols, baseline.Column{Name: fmt.Sprintf("column%d", i)})
		row[i] = value.StringValue(strings.Repeat(string(rune('a'+i)), 8))
	}
	r := &result{cols: cols}
	r.add(row)
	var b strings.Builder
	renderTable(&b, r, 40)
	want := "+--------+--------+-+--------+--------+\n" + // 39 wide
		"|column0 |column1 |…|column6 |column7 |\n" +
		"+--------+--------+-+--------+--------+\n" +
		"|aaaaaaaa|bbbbbbbb|…|gggggggg|hhhhhhhh|\n" +
		"+--------+--------+-+--------+--------+\n" +
		"(1 row), 8 columns (4 shown)\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	renderTable(&b, r, 0)
	if !strings.Contains(b.String(), "|column0 |column1 |column2 |column3 |column4 |column5 |column6 |column7 |\n") || strings.Contains(b.String(), "shown") {
		t.Errorf("with no width:\n%s", b.String())
	}
}
