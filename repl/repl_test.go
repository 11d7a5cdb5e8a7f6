package repl

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"brook/stream"
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

// TestPipedSession runs a session from a pipe (no terminal: no line
// editing, the same statements and commands).
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
	cat := stream.NewCatalog()
	cat.Bind("flows", "../testdata/flows", nil)
	var out bytes.Buffer
	banner := ""
	err := Run(context.Background(), Config{Catalog: cat, HistoryFile: filepath.Join(t.TempDir(), "h"), Stdin: io.NopCloser(strings.NewReader(in)),
		Stdout: &out, Stderr: &out, Banner: &banner})
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{"|     6.0|2488|", `unknown column "nope"`, "         ^", `unknown command \bogus`, "|srcdevice ", "no streams"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "not reached") {
		t.Errorf("statements after \\quit ran:\n%s", text)
	}
	if _, err := os.Stat(filepath.Join(t.TempDir(), "h")); err == nil {
		t.Log("history written")
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
		deadline := time.Now().Add(10 * time.Second)
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
		if i > 100 {
			t.Fatalf("the stream did not catch up:\n%s", out.String())
		}
		send(`\streams`)
		time.Sleep(50 * time.Millisecond)
	}
	send("SELECT n FROM p WHERE protocol = 17;")
	waitFor("|489|")
	send(`\diff p`)
	waitFor("EQUAL: stream and baseline agree on all 3 result rows")
	send(`\stop p`)
	waitFor("stream p stopped")
	send(`\stream p AS SELECT nope FROM flows;`)
	waitFor(`error: a stream named p exists`)
	send(`\quit`)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	w.Close()
}

// TestWait: \wait NAME N returns once the stream has run N batches, so a
// piped session reads its live table at a known point; on a stream that no
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
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"stream p: 3 batches\n", "|489|", "stream p stopped after 3 batches, before batch 9\n",
		`\wait p x: the number of batches is a whole number of at least 1`, `usage: \wait NAME [BATCHES]`, `no stream named "nosuch"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}
