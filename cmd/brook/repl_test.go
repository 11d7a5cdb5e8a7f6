package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// terminal is a brook process on a pseudo-terminal: keystrokes in, screen
// out.
type terminal struct {
	t    *testing.T
	pty  *os.File
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	seen int // output consumed by expect
	done chan struct{}
	// held, while set, stops the reading of the screen (see hold), so
	// that brook's writes to the terminal block once its buffer is full.
	held chan struct{}
}

// hold stops reading brook's output until release; writes to the
// terminal then block once the terminal's buffer is full.
func (term *terminal) hold() {
	term.mu.Lock()
	term.held = make(chan struct{})
	term.mu.Unlock()
}

// release resumes reading brook's output.
func (term *terminal) release() {
	term.mu.Lock()
	close(term.held)
	term.held = nil
	term.mu.Unlock()
}

func startTerminal(t *testing.T, args ...string) *terminal {
	t.Helper()
	cmd := exec.Command("brook", args...) // on $PATH: TestMain (testscript.Main) puts it there
	cmd.Env = append(os.Environ(), "BROOK_HISTORY="+filepath.Join(t.TempDir(), "history"), "TERM=xterm")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 60, Cols: 200})
	if err != nil {
		t.Fatalf("starting brook on a pty: %v", err)
	}
	term := &terminal{t: t, pty: f, cmd: cmd, done: make(chan struct{})}
	go func() {
		defer close(term.done)
		buf := make([]byte, 4096)
		for {
			term.mu.Lock()
			held := term.held
			term.mu.Unlock()
			if held != nil {
				<-held
			}
			n, err := f.Read(buf)
			// Answer cursor position queries as a terminal does.
			for i := 0; i < bytes.Count(buf[:n], []byte("\x1b[6n")); i++ {
				f.Write([]byte("\x1b[1;1R"))
			}
			term.mu.Lock()
			term.out.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		f.Close()
	})
	return term
}

// typ types keys ("\r" is Enter, "\t" Tab).
func (term *terminal) typ(keys string) {
	term.t.Helper()
	if _, err := term.pty.Write([]byte(keys)); err != nil {
		term.t.Fatalf("typing %q: %v", keys, err)
	}
}

// expect waits until the screen output after the last match matches re,
// and returns that output.
func (term *terminal) expect(re string, timeout time.Duration) string {
	term.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(timeout)
	for {
		exited := false // checked first: output read before the exit is in text
		select {
		case <-term.done:
			exited = true
		default:
		}
		term.mu.Lock()
		text := term.out.String()[term.seen:]
		if loc := rx.FindStringIndex(text); loc != nil {
			term.seen += loc[1]
			term.mu.Unlock()
			return text[:loc[1]]
		}
		term.mu.Unlock()
		if exited || time.Now().After(deadline) {
			term.t.Fatalf("waited %s for %q (brook exited: %v); the screen since the last match:\n%s", timeout, re, exited, text)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]|\r`)

// tableBody returns the data lines of the first result table in text.
func tableBody(text string) []string {
	var rows []string
	for _, l := range strings.Split(ansi.ReplaceAllString(text, ""), "\n") {
		if strings.HasPrefix(l, "|") {
			rows = append(rows, l)
		}
	}
	if len(rows) > 0 {
		rows = rows[1:] // the header
	}
	return rows
}

// TestReplSession drives brook repl through a pseudo-terminal: a query
// (typed over two lines, with tab completion), an error with a caret that
// does not end the session, \stream, a SELECT of the live table, \diff and
// \quit.
func TestReplSession(t *testing.T) {
	term := startTerminal(t, "repl", "--source", "flows=../../testdata/flows")
	term.expect(`brook> `, 90*time.Second)

	// Tab completes "DstDev" to the column DstDevice... (case as in the schema).
	term.typ("SELECT dstdev\t, count(*) AS hits FROM flows\r")
	term.expect(`dstdevice, count`, 90*time.Second)
	term.expect(`\.\.\.> `, 90*time.Second)
	term.typ("GROUP BY dstdevice ORDER BY hits DESC, dstdevice LIMIT 3;\r")
	out := term.expect(`\(3 rows\)`, 90*time.Second)
	want := tableBody(out)
	if len(want) != 3 || !strings.Contains(want[0], "Comp076652") {
		t.Fatalf("top talkers from DuckDB:\n%s", out)
	}

	term.typ("SELECT nope FROM flows;\r")
	out = term.expect(`did you mean|known columns`, 90*time.Second)
	if !strings.Contains(out, `unknown column "nope"`) || !regexp.MustCompile(`\n\s+\^`).MatchString(ansi.ReplaceAllString(out, "")) {
		t.Fatalf("error without a caret:\n%s", out)
	}
	term.expect(`brook> `, 90*time.Second)

	term.typ(`\stream live AS SELECT dstdevice, count(*) AS hits FROM flows GROUP BY dstdevice;` + "\r")
	term.expect(`stream live started`, 90*time.Second)
	// Wait until the stream has caught up with the three files.
	caughtUp := regexp.MustCompile(`\|live\s*\|running\s*\|\s*3\|\s*3\|\s*3000\|`)
	for i := 0; ; i++ {
		term.expect(`brook> `, 90*time.Second)
		term.typ(`\streams` + "\r")
		out = term.expect(`\(1 row\)`, 90*time.Second)
		if caughtUp.MatchString(out) {
			break
		}
		if i == 50 {
			t.Fatalf("the stream did not catch up:\n%s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}

	term.typ("SELECT * FROM live ORDER BY hits DESC, dstdevice LIMIT 3;\r")
	out = term.expect(`\(3 rows\)`, 90*time.Second)
	if got := tableBody(out); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the live table's top rows:\n%s\nwant (from the sources):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	term.typ(`\diff live` + "\r")
	out = term.expect(`doubles equal`, 90*time.Second)
	if !strings.Contains(out, "EQUAL: stream and baseline agree on all 958 result rows") {
		t.Fatalf("\\diff:\n%s", out)
	}

	term.typ(`\quit` + "\r")
	select {
	case <-term.done:
	case <-time.After(90 * time.Second):
		t.Fatal("brook repl did not exit after \\quit")
	}
	if err := term.cmd.Wait(); err != nil {
		t.Fatalf("brook repl exited with %v", err)
	}
}

// TestReplStreamSource: a TCP source is read in the background as it
// arrives; SELECTs see what came, and \stream follows it. Standard input,
// the REPL's own keyboard, is refused with what to do instead.
func TestReplStreamSource(t *testing.T) {
	if code, _, errOut := brook(t, "repl", "--source", "flows=-"); code != exitError || !strings.Contains(errOut, "the REPL reads its statements from standard input") {
		t.Errorf("--source flows=-: exit %d\n%s", code, errOut)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var data strings.Builder
	for i := range 120 {
		fmt.Fprintf(&data, "{\"dev\": \"d%d\", \"bytes\": %d.0}\n", i%3, i)
	}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Write([]byte(data.String()))
		c.Close()
	}()
	term := startTerminal(t, "repl", "--source", "flows=tcp://"+ln.Addr().String())
	term.expect(`brook> `, 90*time.Second)
	// Everything was sent at once; a second look covers a slow delivery.
	var rows []string
	for try := 0; try < 20; try++ {
		term.typ("SELECT count(*) AS n, sum(bytes) AS b FROM flows;\r")
		rows = tableBody(term.expect(`\(1 row\)`, 90*time.Second))
		if len(rows) == 1 && strings.Contains(rows[0], "|120|") {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(rows) != 1 || !strings.Contains(rows[0], "|120|7140.0|") {
		t.Fatalf("SELECT over the TCP source: %q", rows)
	}
	term.typ("\\stream per AS SELECT dev, count(*) AS n FROM flows GROUP BY dev;\r")
	for try := 0; try < 50; try++ {
		term.typ("SELECT * FROM per ORDER BY dev;\r")
		out := term.expect(`\(\d+ rows?\)`, 90*time.Second)
		if rows = tableBody(out); len(rows) == 3 {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	if strings.Join(rows, " ") != "|d0 |40| |d1 |40| |d2 |40|" {
		t.Fatalf("the live table over the TCP source: %q", rows)
	}
	term.typ("\\quit\r")
}

// TestReplHabits drives the DuckDB CLI's and psql's habits through a
// pseudo-terminal: a SELECT without FROM, .tables (no continuation
// prompt), a capped table, \x, .mode csv, and Ctrl-C stopping a running
// query and then the printing of a long result without leaving the REPL.
func TestReplHabits(t *testing.T) {
	const wait = 90 * time.Second // hang guards only
	term := startTerminal(t, "repl", "--source", "flows=../../testdata/flows")
	term.expect(`brook> `, wait)

	term.typ("SELECT 42 AS answer;\r")
	if out := term.expect(`\(1 row\)`, wait); !strings.Contains(out, "|    42|") {
		t.Fatalf("SELECT 42:\n%s", out)
	}
	term.expect(`brook> `, wait)

	term.typ(".tables\r")
	out := term.expect(`brook> |\.\.\.> `, wait)
	if strings.Contains(out, "...> ") || !strings.Contains(out, "flows") {
		t.Fatalf(".tables:\n%s", out)
	}

	term.typ("SELECT * FROM flows ORDER BY time, srcdevice, dstdevice, srcport;\r")
	out = term.expect(`rows \(\d+ shown\)`, wait)
	if !strings.Contains(out, "3,000 rows (40 shown)") || len(tableBody(out)) != 43 { // 20 + 3 dots + 20
		t.Fatalf("a capped table (%d lines):\n%s", len(tableBody(out)), out)
	}
	term.expect(`brook> `, wait)

	term.typ("\\x on -- expanded\r")
	term.expect(`Expanded display is on\.`, wait)
	term.typ("SELECT 1 AS a, 'two' AS b;\r")
	out = term.expect(`b +\| two`, wait)
	if !strings.Contains(ansi.ReplaceAllString(out, ""), "-[ RECORD 1 ]") {
		t.Fatalf("\\x:\n%s", out)
	}
	term.typ("\\x off\r")
	term.expect(`Expanded display is off\.`, wait)

	// Ctrl-C stops a query that would run for hours, once DuckDB is busy
	// with it (the progress line says so).
	term.typ("SELECT sum(i) AS s FROM range(1000000000000000) t(i);\r")
	term.expect(`DuckDB…`, wait)
	term.typ("\x03")
	term.expect(`cancelled \(Ctrl-C\)`, wait)
	term.expect(`brook> `, wait)

	// Ctrl-C stops printing: with the screen not read, brook's writes
	// block; Ctrl-C, then reading again, shows that printing stopped
	// far short of the ten million lines.
	term.typ(".mode csv\r")
	term.expect(`brook> `, wait)
	term.typ("SELECT i FROM range(10000000) t(i);\r")
	term.expect(`\n1000\r?\n`, wait)
	term.hold()
	term.typ("\x03")
	term.release()
	out = term.expect(`cancelled \(Ctrl-C\)`, wait)
	if strings.Contains(out, "9999999") {
		t.Fatalf("printing went on to the end after Ctrl-C")
	}
	term.expect(`brook> `, wait)
	term.typ(".mode table\r")
	term.expect(`brook> `, wait)
	term.typ("SELECT 'still here' AS s;\r")
	term.expect(`still here`, wait)

	// A pager takes results taller than the screen (60 lines) only.
	term.typ(".pager sed s/^/PAGED:/\r")
	term.expect(`Pager is sed .* for results taller than the terminal\.`, wait)
	term.typ("SELECT 'short' AS s;\r")
	if out := term.expect(`\(1 row\)`, wait); strings.Contains(out, "PAGED:") {
		t.Fatalf("a short result went through the pager:\n%s", out)
	}
	term.typ(".maxrows 0\r")
	term.expect(`brook> `, wait)
	term.typ("SELECT i FROM range(100) t(i) ORDER BY i;\r")
	out = term.expect(`PAGED:\(100 rows\)`, wait)
	if !strings.Contains(out, "PAGED:| 0|") || !strings.Contains(out, "PAGED:|50|") {
		t.Fatalf("the pager's output:\n%s", out)
	}
	term.typ(".pager off\r")
	term.expect(`Pager is off`, wait)

	term.typ(".quit\r")
	select {
	case <-term.done:
	case <-time.After(wait):
		t.Fatal("brook repl did not exit after .quit")
	}
	if err := term.cmd.Wait(); err != nil {
		t.Fatalf("brook repl exited with %v", err)
	}
}

// TestReplScript: piped statements (a script) print results on stdout,
// errors on stderr, and the exit status says that a statement failed.
func TestReplScript(t *testing.T) {
	code, out, errOut := brookIn(t, strings.NewReader("SELECT 42 AS answer;\nSELECT nope FROM flows;\nSELECT 'after' AS s;\n"), "repl", "--source", "flows=../../testdata/flows", "--history", "-")
	if code != exitError || !strings.Contains(errOut, `unknown column "nope"`) || !strings.Contains(errOut, "1 statement failed") {
		t.Errorf("a script with an error: exit %d\nstderr:\n%s", code, errOut)
	}
	if !strings.Contains(out, "|    42|") || !strings.Contains(out, "|after|") || strings.Contains(out, "nope") {
		t.Errorf("stdout:\n%s", out)
	}
	for _, bad := range [][]string{{"--max-rows", "-1"}, {"--trigger", "-1s"}} {
		if code, _, errOut := brook(t, append([]string{"repl", "--history", "-"}, bad...)...); code != exitError || !strings.Contains(errOut, bad[0]) {
			t.Errorf("repl %s: exit %d\n%s", strings.Join(bad, " "), code, errOut)
		}
	}
	if code, out, errOut := brookIn(t, strings.NewReader("SELECT 42 AS answer;\n"), "repl", "--source", "flows=../../testdata/flows", "--history", "-"); code != exitOK || errOut != "" || strings.Contains(out, "brook REPL") {
		t.Errorf("a clean script: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
