package metrics

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"
)

// Progress is a one-line status for long work on a terminal: it rewrites
// itself in place ("\r" and erase to end of line) at most ten times a
// second, and is silent when its writer is not a terminal, so pipes, files
// and tests see nothing of it. The methods are safe for concurrent use.
type Progress struct {
	w     io.Writer
	on    bool
	mu    sync.Mutex
	last  time.Time
	shown bool
}

// NewProgress returns a status line on w, active only when w is a
// terminal (an *os.File for which term.IsTerminal holds).
func NewProgress(w io.Writer) *Progress {
	return &Progress{w: w, on: IsTerminal(w)}
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Active reports whether the line is drawn at all.
func (p *Progress) Active() bool { return p != nil && p.on }

// Set shows the status text (no newline), unless the last update was less
// than 100 ms ago.
func (p *Progress) Set(format string, args ...any) {
	if !p.Active() {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	text := fmt.Sprintf(format, args...)
	if w := width(p.w); w > 1 && utf8.RuneCountInString(text) >= w {
		text = string([]rune(text)[:w-2]) + "…"
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s", text)
	p.shown = true
}

// Clear erases the line, leaving the cursor at its start.
func (p *Progress) Clear() {
	if !p.Active() {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		io.WriteString(p.w, "\r\x1b[K")
		p.shown = false
	}
	p.last = time.Time{}
}

// Busy shows "label… 1.2 s" with a spinner while blocking work runs, once
// it has run for delay (quick work shows nothing), and returns the function
// that stops and erases it.
func (p *Progress) Busy(label string, delay time.Duration) (stop func()) {
	if !p.Active() {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		start := time.Now()
		select {
		case <-done:
			return
		case <-time.After(delay):
		}
		spin := []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for i := 0; ; i++ {
			p.Set("%s %s… %.1f s", spin[i%len(spin)], label, time.Since(start).Seconds())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		p.Clear()
	}
}

// Rate formats a count per second compactly: 950/s, 12.3k/s, 4.1M/s.
func Rate(n float64, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	r := n / d.Seconds()
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.1fM/s", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.1fk/s", r/1e3)
	}
	return strings.TrimSuffix(fmt.Sprintf("%.0f/s", r), ".0")
}

func width(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil {
			return cols
		}
	}
	return 0
}
