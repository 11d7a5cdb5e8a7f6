package main

// The walkthroughs in docs/ are executable: every command they show is run
// by TestDocs and its output compared with the output they show, so that
// the documentation cannot drift from the program.
//
// The markup stays plain Markdown, readable on GitHub:
//
//   - Commands are in ```console blocks: a line "$ COMMAND" (continued by
//     a trailing backslash) is run with bash in a scratch directory holding
//     copies of queries/ and testdata/flows; the lines after it, up to the
//     next "$" line, are what it prints (standard output and error as a
//     terminal shows them). A command block of another kind (```sh, ```bash,
//     ```shell) is an error, so no command escapes the test. An indented
//     block whose first line is "$ COMMAND" is a console block too (the
//     README's tour is written so, and run).
//   - In the shown output, a line "..." (indented or not) stands for any
//     number of lines, and
//     "..." within a line for any text.
//     Durations ("1.3 ms", "3.02 s") are not compared; every other
//     character is.
//   - Lines of a command's output starting with "brook> " are what was typed
//     (the REPL): they are fed to its standard input, not expected back.
//     The REPL's banner ("brook REPL: ..."), which a session at a terminal
//     shows first, is not expected of the piped one either.
//   - An HTML comment just before a block, invisible on GitHub, changes how
//     it runs: <!-- test: background --> starts its one command in the
//     background, waits until it has printed the first line shown (if any)
//     and goes on; when the page ends, it waits until the command has
//     printed all the page shows (it may print more after), then
//     interrupts it (SIGINT). <!-- test: background wait --> waits for all
//     the shown output before going on. <!-- test: exit N --> expects exit status N from each
//     command (else 0). <!-- test: lanl --> needs the LANL data set
//     (../shared/datasets/lanl): it is skipped without it. <!-- test: needs
//     PROGRAM --> is skipped when PROGRAM is not installed. <!-- test: skip
//     REASON --> is not run (the reason is required).
//   - "$ export NAME=VALUE" sets a variable for the page's later commands.
//   - A page's Kafka broker addresses 127.0.0.1:9092 and 127.0.0.1:9093
//     (and "--port 9092", "--port 9093") and dashboard address
//     127.0.0.1:8080 are replaced by free ports, in commands and output.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// docBlock is one ```console block of a page.
type docBlock struct {
	line       int // of the opening fence, 1-based
	background bool
	waitAll    bool // background: wait for all the shown output before going on
	exit       int
	lanl       bool
	needs      string
	skip       string
	cmds       []docCmd
}

// docCmd is one "$ COMMAND" of a block and the output shown after it.
type docCmd struct {
	line  int
	text  string
	input []string // lines after "brook> "
	want  []string
}

// exportRE is a command that sets a variable for the page's later commands.
var exportRE = regexp.MustCompile(`^export ([A-Za-z_][A-Za-z0-9_]*)=('[^']*'|"[^"$\\]*"|[^\s'"$]*)$`)

var directiveRE = regexp.MustCompile(`^<!--\s*test:\s*(.*?)\s*-->$`)

// parseDoc reads the console blocks of a Markdown page.
func parseDoc(text string) ([]docBlock, error) {
	var blocks []docBlock
	lines := strings.Split(text, "\n")
	var pending []string // directives seen just before a fence
	for i := 0; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], " \t\r")
		if m := directiveRE.FindStringSubmatch(l); m != nil {
			pending = append(pending, m[1])
			continue
		}
		var info string
		var body []string
		start := i + 1
		switch {
		case strings.HasPrefix(l, "    $ ") && (i == 0 || strings.TrimSpace(lines[i-1]) == "" || directiveRE.MatchString(strings.TrimSpace(lines[i-1]))):
			// An indented block starting with "$ COMMAND" is a console
			// block too.
			info, start = "console", i
			for ; i < len(lines); i++ {
				t := strings.TrimRight(lines[i], " \t\r")
				if t != "" && !strings.HasPrefix(t, "    ") {
					break
				}
				body = append(body, strings.TrimPrefix(t, "    "))
			}
			i--
			body = trimShown(body)
		case strings.HasPrefix(l, "```"):
			info = strings.TrimSpace(strings.TrimPrefix(l, "```"))
			for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "```"); i++ {
				body = append(body, strings.TrimRight(lines[i], " \t\r"))
			}
			if i == len(lines) {
				return nil, fmt.Errorf("line %d: a code block that never closes", start)
			}
		default:
			if strings.TrimSpace(l) != "" {
				pending = nil
			}
			continue
		}
		switch info {
		case "sh", "bash", "shell", "shell-session", "zsh":
			return nil, fmt.Errorf("line %d: commands go in ```console blocks, which the test runs (\"$ COMMAND\" then the output)", start)
		case "console":
		default:
			pending = nil
			continue
		}
		b := docBlock{line: start}
		for _, d := range pending {
			word, arg, _ := strings.Cut(d, " ")
			arg = strings.TrimSpace(arg)
			switch word {
			case "background":
				b.background = true
				b.waitAll = arg == "wait"
				if arg != "" && arg != "wait" {
					return nil, fmt.Errorf("line %d: <!-- test: background --> or <!-- test: background wait -->, not %q", start, d)
				}
			case "exit":
				n, err := strconv.Atoi(arg)
				if err != nil {
					return nil, fmt.Errorf("line %d: <!-- test: exit N --> takes a number, not %q", start, arg)
				}
				b.exit = n
			case "lanl":
				b.lanl = true
			case "needs":
				b.needs = arg
			case "skip":
				if arg == "" {
					return nil, fmt.Errorf("line %d: <!-- test: skip REASON --> needs its reason", start)
				}
				b.skip = arg
			default:
				return nil, fmt.Errorf("line %d: unknown directive %q (background, exit N, lanl, needs PROGRAM, skip REASON)", start, d)
			}
		}
		pending = nil
		for j := 0; j < len(body); j++ {
			l := body[j]
			if strings.HasPrefix(l, "$ ") {
				c := docCmd{line: start + j + 1, text: strings.TrimPrefix(l, "$ ")}
				for strings.HasSuffix(c.text, `\`) && j+1 < len(body) {
					j++
					c.text += "\n" + body[j]
				}
				b.cmds = append(b.cmds, c)
				continue
			}
			if len(b.cmds) == 0 {
				return nil, fmt.Errorf("line %d: a console block starts with \"$ COMMAND\"", start+j+1)
			}
			c := &b.cmds[len(b.cmds)-1]
			if strings.HasPrefix(l, "brook REPL: ") && len(c.want) == 0 && len(c.input) == 0 {
				continue // the banner of a session at a terminal; piped, it prints none
			}
			if in, ok := strings.CutPrefix(l, "brook> "); ok {
				c.input = append(c.input, in)
				continue
			}
			c.want = append(c.want, l)
		}
		if len(b.cmds) == 0 {
			return nil, fmt.Errorf("line %d: a console block without a \"$ COMMAND\" line", start)
		}
		if b.background && len(b.cmds) != 1 {
			return nil, fmt.Errorf("line %d: a background block holds one command", start)
		}
		blocks = append(blocks, b)
	}
	return blocks, nil
}

var durationRE = regexp.MustCompile(`(, |in )\d+(\.\d+)? ?(ns|µs|ms|s)(\)|$)`)

// normalize is a line as compared: durations blanked, trailing spaces cut.
func normalize(l string) string {
	return strings.TrimRight(durationRE.ReplaceAllString(l, "${1}<duration>${4}"), " \t")
}

// matchLines reports whether got matches the shown lines want (see the
// markup above); with prefix, got may go on after want.
func matchLines(want, got []string, prefix bool) bool {
	if len(want) == 0 {
		return prefix || len(got) == 0
	}
	w := normalize(want[0])
	if strings.TrimSpace(w) == "..." {
		for k := 0; k <= len(got); k++ {
			if matchLines(want[1:], got[k:], prefix) {
				return true
			}
		}
		return false
	}
	if len(got) == 0 {
		return false
	}
	g := normalize(got[0])
	if strings.Contains(w, "...") {
		parts := strings.Split(w, "...")
		for i, p := range parts {
			parts[i] = regexp.QuoteMeta(p)
		}
		if !regexp.MustCompile("^" + strings.Join(parts, ".*") + "$").MatchString(g) {
			return false
		}
	} else if g != w {
		return false
	}
	return matchLines(want[1:], got[1:], prefix)
}

// trimShown drops the blank lines that end a block's shown output.
func trimShown(l []string) []string {
	for len(l) > 0 && strings.TrimSpace(l[len(l)-1]) == "" {
		l = l[:len(l)-1]
	}
	return l
}

func outputLines(s string) []string {
	return trimShown(strings.Split(strings.TrimRight(s, "\n"), "\n"))
}

// syncBuffer is an output buffer written by a process and read by the test.
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

// docGuard bounds how long a command may take: a hang guard, not a
// measurement.
const docGuard = 120 * time.Second

// docRun is the state of one page being run.
type docRun struct {
	t    *testing.T
	page string
	dir  string
	env  []string
	subs *strings.Replacer
	bg   []*bgCmd
}

type bgCmd struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	want []string
	line int
	done chan struct{}
}

// TestDocs runs every command of the walkthroughs in docs/ (see the markup
// above) and checks what each prints.
func TestDocs(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	if _, err := exec.LookPath("brook"); err != nil {
		t.Fatalf("brook is not on PATH (TestMain puts it there): %v", err)
	}
	pages, err := filepath.Glob("../../docs/*.md")
	if err != nil || len(pages) == 0 {
		t.Fatalf("no docs/*.md: %v", err)
	}
	for _, page := range pages {
		t.Run(filepath.Base(page), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(page)
			if err != nil {
				t.Fatal(err)
			}
			runDoc(t, filepath.Base(page), string(data))
		})
	}
	// The README's tour, and only it: its other examples show files of
	// their own (q.sql) that are not in the repository.
	t.Run("README.md", func(t *testing.T) {
		t.Parallel()
		data, err := os.ReadFile("../../README.md")
		if err != nil {
			t.Fatal(err)
		}
		tour := readmeSection(string(data), "## A short tour")
		if tour == "" {
			t.Fatal(`README.md has no section "## A short tour"`)
		}
		runDoc(t, "README.md (tour)", tour)
	})
}

// readmeSection is the text of a section, from its heading to the next
// heading of the same level; lines before it are kept blank, so that line
// numbers stay the file's.
func readmeSection(text, heading string) string {
	lines := strings.Split(text, "\n")
	from := -1
	for i, l := range lines {
		switch {
		case strings.TrimSpace(l) == heading:
			from = i
		case from >= 0 && strings.HasPrefix(l, "## "):
			return strings.Repeat("\n", from) + strings.Join(lines[from:i], "\n")
		}
	}
	if from < 0 {
		return ""
	}
	return strings.Repeat("\n", from) + strings.Join(lines[from:], "\n")
}

func runDoc(t *testing.T, page, text string) {
	blocks, err := parseDoc(text)
	if err != nil {
		t.Fatalf("%s: %v", page, err)
	}
	dir := t.TempDir()
	for _, d := range []string{"queries", "testdata/flows"} {
		copyTree(t, filepath.Join("../..", d), filepath.Join(dir, d))
	}
	lanl, _ := filepath.Abs(lanlDir)
	_, lanlErr := os.Stat(lanl)
	k1, k2 := freePortNumber(t), freePortNumber(t)
	r := &docRun{t: t, page: page, dir: dir,
		env: append(os.Environ(), "HOME="+dir, "BROOK_HISTORY="+filepath.Join(dir, ".brook_history")),
		subs: strings.NewReplacer("127.0.0.1:9092", "127.0.0.1:"+k1, "--port 9092", "--port "+k1,
			"127.0.0.1:9093", "127.0.0.1:"+k2, "--port 9093", "--port "+k2,
			"127.0.0.1:8080", "127.0.0.1:"+freePortNumber(t),
			"../shared/datasets/lanl", lanl)}
	defer r.stopBackground()
	for _, b := range blocks {
		switch {
		case b.skip != "":
			t.Logf("%s:%d: not run: %s", r.page, b.line, b.skip)
			continue
		case b.lanl && lanlErr != nil:
			t.Logf("%s:%d: skipped: the LANL data set is not at %s", r.page, b.line, lanl)
			continue
		case b.needs != "":
			if _, err := exec.LookPath(b.needs); err != nil {
				t.Logf("%s:%d: skipped: %s is not installed", r.page, b.line, b.needs)
				continue
			}
		}
		if b.background {
			r.startBackground(b)
			continue
		}
		for _, c := range b.cmds {
			if m := exportRE.FindStringSubmatch(c.text); m != nil {
				// The page's later commands see the variable, as in a shell.
				r.env = append(r.env, m[1]+"="+strings.Trim(m[2], `'"`))
				continue
			}
			r.run(c, b.exit)
		}
	}
	r.stopBackground()
}

// freePortNumber is a port nothing listens on now.
func freePortNumber(t *testing.T) string {
	addr := freePort(t)
	_, port, _ := strings.Cut(addr, ":")
	return port
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (r *docRun) command(ctx context.Context, c docCmd) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "bash", "-c", r.subs.Replace(c.text))
	cmd.Dir = r.dir
	cmd.Env = r.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if len(c.input) > 0 {
		cmd.Stdin = strings.NewReader(strings.Join(c.input, "\n") + "\n")
	}
	return cmd
}

func (r *docRun) want(c docCmd) []string {
	w := make([]string, len(c.want))
	for i, l := range c.want {
		w[i] = r.subs.Replace(l)
	}
	return trimShown(w)
}

// run runs one command to its end and checks its output and status.
func (r *docRun) run(c docCmd, exit int) {
	t := r.t
	ctx, cancel := context.WithTimeout(context.Background(), docGuard)
	defer cancel()
	cmd := r.command(ctx, c)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s:%d: %s: %v", r.page, c.line, c.text, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%s:%d: %s: still running after %v\n%s", r.page, c.line, c.text, docGuard, out.String())
	}
	if code != exit {
		t.Errorf("%s:%d: %s: exit status %d, the page expects %d\n%s", r.page, c.line, c.text, code, exit, out.String())
	}
	if got := outputLines(out.String()); !matchLines(r.want(c), got, false) {
		t.Errorf("%s:%d: %s: the output differs from the page's\npage:\n%s\ngot:\n%s", r.page, c.line, c.text,
			strings.Join(r.want(c), "\n"), strings.Join(got, "\n"))
	}
}

// startBackground starts a block's command and waits until it has printed
// the output the page shows.
func (r *docRun) startBackground(b docBlock) {
	t := r.t
	c := b.cmds[0]
	cmd := r.command(context.Background(), c)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s:%d: %s: %v", r.page, c.line, c.text, err)
	}
	bg := &bgCmd{cmd: cmd, out: out, want: r.want(c), line: c.line, done: make(chan struct{})}
	go func() { cmd.Wait(); close(bg.done) }()
	r.bg = append(r.bg, bg)
	n := min(1, len(bg.want))
	if b.waitAll {
		n = len(bg.want)
	}
	if !r.awaitShown(bg, n) {
		t.Fatalf("%s:%d: %s: the output differs from the page's\npage:\n%s\ngot:\n%s", r.page, c.line, c.text,
			strings.Join(bg.want, "\n"), out.String())
	}
}

// awaitShown waits until a background command's output starts with the
// first n lines the page shows, or it ended, or the guard ran out; it
// reports whether it matched.
func (r *docRun) awaitShown(bg *bgCmd, n int) bool {
	deadline := time.After(docGuard)
	tick := time.NewTicker(20 * time.Millisecond) // polling the output, not a synchronisation by sleep
	defer tick.Stop()
	for {
		if matchLines(bg.want[:n], outputLines(bg.out.String()), true) {
			return true
		}
		select {
		case <-bg.done:
			return matchLines(bg.want[:n], outputLines(bg.out.String()), true)
		case <-deadline:
			return false
		case <-tick.C:
		}
	}
}

// stopBackground interrupts the background commands still running, last
// started first, and waits for them.
func (r *docRun) stopBackground() {
	for i := len(r.bg) - 1; i >= 0; i-- {
		bg := r.bg[i]
		shown := r.awaitShown(bg, len(bg.want))
		syscall.Kill(-bg.cmd.Process.Pid, syscall.SIGINT)
		select {
		case <-bg.done:
		case <-time.After(docGuard):
			syscall.Kill(-bg.cmd.Process.Pid, syscall.SIGKILL)
			<-bg.done
			r.t.Errorf("%s:%d: still running %v after SIGINT", r.page, bg.line, docGuard)
		}
		if !shown {
			r.t.Errorf("%s:%d: %s: the output differs from the page's\npage:\n%s\ngot:\n%s", r.page, bg.line, bg.cmd.Args[2],
				strings.Join(bg.want, "\n"), bg.out.String())
		}
	}
	r.bg = nil
}

// TestDocMarkup checks the extractor and the matcher on a small page.
func TestDocMarkup(t *testing.T) {
	page := "Text.\n\n<!-- test: exit 1 -->\n```console\n$ brook diff \\\n    -e 'x'\nA\n...\nB ...\n\n```\n\n```sql\nSELECT 1\n```\n" +
		"```console\n$ brook repl\nbrook> SELECT 1;\nout\n```\n"
	blocks, err := parseDoc(page)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 2 || blocks[0].exit != 1 || len(blocks[0].cmds) != 1 || blocks[0].cmds[0].text != "brook diff \\\n    -e 'x'" {
		t.Fatalf("blocks: %+v", blocks)
	}
	if c := blocks[1].cmds[0]; strings.Join(c.input, "|") != "SELECT 1;" || strings.Join(c.want, "|") != "out" {
		t.Fatalf("repl block: %+v", c)
	}
	want := trimShown(blocks[0].cmds[0].want)
	for _, tc := range []struct {
		got string
		ok  bool
	}{
		{"A\nB 1", true},
		{"A\nx\ny\nB 2", true},
		{"A\nB", false},
		{"A\nB 1\nC", false},
		{"Z\nB 1", false},
		{"A\nC 1", false},
	} {
		if got := matchLines(want, outputLines(tc.got), false); got != tc.ok {
			t.Errorf("%q: match %v, want %v", tc.got, got, tc.ok)
		}
	}
	if !matchLines([]string{"Batch: 0  (1 file, 10 rows in, 1.5 ms)", "brook: 1 batches, 3.02 s"},
		[]string{"Batch: 0  (1 file, 10 rows in, 998 µs)", "brook: 1 batches, 0.12 s"}, false) {
		t.Error("durations are compared")
	}
	if !matchLines([]string{"x ... y ... z"}, []string{"x 1 y 2 3 z"}, false) || matchLines([]string{"x ... y"}, []string{"x 1 z"}, false) {
		t.Error("... within a line")
	}
	if matchLines([]string{"Batch: 0  (1 file, 10 rows in, 1.5 ms)"}, []string{"Batch: 0  (1 file, 11 rows in, 1.5 ms)"}, false) {
		t.Error("counts are not compared")
	}
	for _, bad := range []string{"```sh\nbrook run\n```\n", "<!-- test: bogus -->\n```console\n$ x\n```\n", "<!-- test: skip -->\n```console\n$ x\n```\n", "```console\nout\n```\n"} {
		if _, err := parseDoc(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
