package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// hangGuard bounds how long a test waits for a child brook to print a line
// or to exit. It only keeps a broken build from hanging the test: nothing
// is asserted about how long anything takes.
const hangGuard = 60 * time.Second

// child is a brook process started by a test, with its standard input held
// open (nothing is ever written to it) and its standard error collected.
type child struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr strings.Builder
	stdout strings.Builder
	grew   chan struct{} // receives after stderr grows
	exited chan error
	stdin  io.WriteCloser
}

// startBrook starts `brook args...` in its own process.
func startBrook(t *testing.T, args ...string) *child {
	t.Helper()
	c := &child{cmd: exec.Command("brook", args...), grew: make(chan struct{}, 1), exited: make(chan error, 1)}
	stdin, err := c.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := c.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c.stdin = stdin
	t.Cleanup(func() {
		stdin.Close()
		c.cmd.Process.Kill()
	})
	var read sync.WaitGroup
	collect := func(r io.Reader, into *strings.Builder) {
		defer read.Done()
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			c.mu.Lock()
			into.WriteString(sc.Text() + "\n")
			c.mu.Unlock()
			select {
			case c.grew <- struct{}{}:
			default:
			}
		}
	}
	read.Add(2)
	go collect(stderr, &c.stderr)
	go collect(stdout, &c.stdout)
	go func() {
		read.Wait() // Wait closes the pipes: read them to their end first
		c.exited <- c.cmd.Wait()
	}()
	return c
}

func (c *child) errText() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stderr.String()
}

func (c *child) outText() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stdout.String()
}

// waitFor waits until the child printed want on standard error.
func (c *child) waitFor(t *testing.T, want string) {
	t.Helper()
	c.waitText(t, want, c.errText)
}

// waitForOut waits until the child printed want on standard output.
func (c *child) waitForOut(t *testing.T, want string) {
	t.Helper()
	c.waitText(t, want, c.outText)
}

func (c *child) waitText(t *testing.T, want string, text func() string) {
	t.Helper()
	guard := time.After(hangGuard)
	for !strings.Contains(text(), want) {
		select {
		case <-c.grew:
		case err := <-c.exited:
			c.exited <- err
			if !strings.Contains(text(), want) {
				t.Fatalf("brook exited (%v) without printing %q:\n%s", err, want, c.errText())
			}
		case <-guard:
			t.Fatalf("brook did not print %q:\n%s", want, c.errText())
		}
	}
}

// signal sends sig and waits for the child to exit, returning its status.
func (c *child) signal(t *testing.T, sig syscall.Signal) int {
	t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	return c.wait(t)
}

// wait waits for the child to exit and returns its status.
func (c *child) wait(t *testing.T) int {
	t.Helper()
	select {
	case err := <-c.exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(hangGuard):
		t.Fatalf("brook still running\n%s", c.errText())
		return -1
	}
}

// TestSignalEndsWaitingCommands sends SIGTERM or SIGINT to brook commands
// while they wait for input that never comes, once they said what they
// wait on. Each must end with a short message: a run stopped between
// batches exits 0 ("stopped by SIGTERM", after its summary), as does the
// REPL (which takes Ctrl-C as "cancel the statement"); a command cut
// short before it finished (a run still inferring its schema, a diff, a
// producer, gen) exits 2 ("interrupted by SIGTERM before it finished").
func TestSignalEndsWaitingCommands(t *testing.T) {
	idle := t.TempDir()
	query := []string{"-e", "SELECT count(*) AS n FROM flows"}
	schema := []string{"--schema", "a VARCHAR"}
	cases := []struct {
		name    string
		args    []string
		waitFor string
		sig     syscall.Signal
		code    int
		says    string
	}{
		{"run inferring from idle stdin", append([]string{"run", "--source", "flows=-"}, query...),
			"brook: reading standard input", syscall.SIGTERM, exitError, "brook run: interrupted by SIGTERM before it finished"},
		{"run on idle stdin", append(append([]string{"run", "--source", "flows=-"}, schema...), query...),
			"brook: reading standard input", syscall.SIGINT, exitOK, "brook run: stopped by SIGINT"},
		{"run on tcp-listen without producers", append(append([]string{"run", "--source", "flows=tcp-listen://127.0.0.1:0"}, schema...), query...),
			"brook: listening on tcp-listen://127.0.0.1:", syscall.SIGTERM, exitOK, "brook run: stopped by SIGTERM"},
		{"run following an idle directory", append(append([]string{"run", "--follow", "--source", "flows=" + idle}, schema...), query...),
			"brook: following " + idle + " for new files", syscall.SIGTERM, exitOK, "brook run: stopped by SIGTERM"},
		{"diff on idle stdin", append(append([]string{"diff", "--source", "flows=-"}, schema...), query...),
			"brook: reading standard input", syscall.SIGTERM, exitError, "brook diff: interrupted by SIGTERM before it finished"},
		{"produce from idle stdin", []string{"produce", "--from", "-", "--to", t.TempDir()},
			"brook produce: reading standard input", syscall.SIGTERM, exitError, "brook produce: interrupted by SIGTERM before it finished"},
		{"repl waiting for a statement", []string{"repl", "--source", "flows=../../testdata/flows"},
			"", syscall.SIGTERM, exitOK, "brook repl: stopped by SIGTERM"},
		{"produce to tcp-listen without consumers", []string{"produce", "--from", "gen:rows=10", "--to", "tcp-listen://127.0.0.1:0"},
			"brook produce: waiting for a consumer on tcp-listen://127.0.0.1:", syscall.SIGTERM, exitError, "brook produce: interrupted by SIGTERM before it finished"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := startBrook(t, c.args...)
			if c.waitFor == "" { // the REPL: the answer to a first statement
				io.WriteString(ch.stdin, "SELECT 'waiting' AS state;\n")
				ch.waitForOut(t, "|waiting|")
			} else {
				ch.waitFor(t, c.waitFor)
			}
			code := ch.signal(t, c.sig)
			if errText := ch.errText(); code != c.code || !strings.Contains(errText, c.says) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d saying %q", code, errText, c.code, c.says)
			}
		})
	}
}

// TestSignalEndsGen: SIGTERM while brook gen writes many files ends it
// before it wrote them all, with no temporary file left behind.
func TestSignalEndsGen(t *testing.T) {
	out := t.TempDir()
	const files = 3000
	ch := startBrook(t, "gen", "--out", out, "--files", "3000", "--rows", "2000")
	first := filepath.Join(out, "flows_0001.json")
	guard := time.After(hangGuard)
	for {
		if _, err := os.Stat(first); err == nil {
			break
		}
		select {
		case err := <-ch.exited:
			t.Fatalf("gen exited (%v) before its first file:\n%s", err, ch.errText())
		case <-guard:
			t.Fatalf("gen wrote no file:\n%s", ch.errText())
		case <-time.After(5 * time.Millisecond): // polling the directory
		}
	}
	code := ch.signal(t, syscall.SIGTERM)
	entries, _ := os.ReadDir(out)
	tmp := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			tmp++
		}
	}
	if code != exitError || !strings.Contains(ch.errText(), "brook gen: interrupted by SIGTERM before it finished") || len(entries) >= files || tmp > 0 {
		t.Errorf("exit %d, %d of %d files written, %d temporary files left; stderr:\n%s\nwant exit 2, interrupted, no temporary file", code, len(entries), files, tmp, ch.errText())
	}
}

// TestSignalEndsProduceToStalledConsumer: a consumer connects to brook
// produce --to tcp-listen:// and stops reading after one byte, so
// produce's write of its first chunk blocks; SIGTERM still ends it.
func TestSignalEndsProduceToStalledConsumer(t *testing.T) {
	ch := startBrook(t, "produce", "--from", "gen:rows=100000000", "--chunk", "100000", "--to", "tcp-listen://127.0.0.1:0")
	const says = "brook produce: waiting for a consumer on tcp-listen://"
	ch.waitFor(t, says)
	text := ch.errText()
	addr, _, _ := strings.Cut(text[strings.Index(text, says)+len(says):], "\n")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// One byte read shows produce is writing its first chunk, about 13 MB
	// in one write: far more than the socket buffers hold, so with nothing
	// more read, that write cannot finish.
	if _, err := io.ReadFull(conn, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	code := ch.signal(t, syscall.SIGTERM)
	if code != exitError || !strings.Contains(ch.errText(), "brook produce: interrupted by SIGTERM before it finished") {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 2, interrupted", code, ch.errText())
	}
}
