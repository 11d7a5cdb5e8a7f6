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
		term.mu.Lock()
		text := term.out.String()[term.seen:]
		if loc := rx.FindStringIndex(text); loc != nil {
			term.seen += loc[1]
			term.mu.Unlock()
			return text[:loc[1]]
		}
		term.mu.Unlock()
		if time.Now().After(deadline) {
			term.t.Fatalf("waited %s for %q; the screen since the last match:\n%s", timeout, re, text)
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
	term.expect(`brook> `, 10*time.Second)

	// Tab completes "DstDev" to the column DstDevice... (case as in the schema).
	term.typ("SELECT dstdev\t, count(*) AS hits FROM flows\r")
	term.expect(`dstdevice, count`, 5*time.Second)
	term.expect(`\.\.\.> `, 5*time.Second)
	term.typ("GROUP BY dstdevice ORDER BY hits DESC, dstdevice LIMIT 3;\r")
	out := term.expect(`\(3 rows\)`, 10*time.Second)
	want := tableBody(out)
	if len(want) != 3 || !strings.Contains(want[0], "Comp076652") {
		t.Fatalf("top talkers from DuckDB:\n%s", out)
	}

	term.typ("SELECT nope FROM flows;\r")
	out = term.expect(`did you mean|known columns`, 5*time.Second)
	if !strings.Contains(out, `unknown column "nope"`) || !regexp.MustCompile(`\n\s+\^`).MatchString(ansi.ReplaceAllString(out, "")) {
		t.Fatalf("error without a caret:\n%s", out)
	}
	term.expect(`brook> `, 5*time.Second)

	term.typ(`\stream live AS SELECT dstdevice, count(*) AS hits FROM flows GROUP BY dstdevice;` + "\r")
	term.expect(`stream live started`, 5*time.Second)
	// Wait until the stream has caught up with the three files.
	caughtUp := regexp.MustCompile(`\|live\s*\|running\s*\|\s*3\|\s*3\|\s*3000\|`)
	for i := 0; ; i++ {
		term.expect(`brook> `, 5*time.Second)
		term.typ(`\streams` + "\r")
		out = term.expect(`\(1 row\)`, 5*time.Second)
		if caughtUp.MatchString(out) {
			break
		}
		if i == 50 {
			t.Fatalf("the stream did not catch up:\n%s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}

	term.typ("SELECT * FROM live ORDER BY hits DESC, dstdevice LIMIT 3;\r")
	out = term.expect(`\(3 rows\)`, 10*time.Second)
	if got := tableBody(out); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the live table's top rows:\n%s\nwant (from the sources):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	term.typ(`\diff live` + "\r")
	out = term.expect(`doubles equal`, 10*time.Second)
	if !strings.Contains(out, "EQUAL: stream and baseline agree on all 958 result rows") {
		t.Fatalf("\\diff:\n%s", out)
	}

	term.typ(`\quit` + "\r")
	select {
	case <-term.done:
	case <-time.After(10 * time.Second):
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
	term.expect(`brook> `, 20*time.Second)
	// Everything was sent at once; a second look covers a slow delivery.
	var rows []string
	for try := 0; try < 20; try++ {
		term.typ("SELECT count(*) AS n, sum(bytes) AS b FROM flows;\r")
		rows = tableBody(term.expect(`\(1 row\)`, 10*time.Second))
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
		out := term.expect(`\(\d+ rows?\)`, 10*time.Second)
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
