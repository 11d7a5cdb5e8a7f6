package sql

import (
	"errors"
	"fmt"
	"strings"
)

// Error kinds. Every *Error wraps exactly one of them, so callers can test
// the category with errors.Is.
var (
	// ErrSyntax: the text is not a SELECT brook can parse.
	ErrSyntax = errors.New("syntax error")
	// ErrUnknownTable: FROM names a table no source is bound to.
	ErrUnknownTable = errors.New("unknown table")
	// ErrUnknownColumn: an identifier matches no column of the source.
	ErrUnknownColumn = errors.New("unknown column")
	// ErrUnknownFunction: a function name brook does not know.
	ErrUnknownFunction = errors.New("unknown function")
	// ErrType: operand types that do not fit the operator or function.
	ErrType = errors.New("type error")
	// ErrUnsupported: valid SQL that brook cannot run as a stream.
	ErrUnsupported = errors.New("unsupported")
	// ErrHeader: a malformed "-- brook:" header line.
	ErrHeader = errors.New("bad header")
)

// Error is a problem in a query, positioned in the text the user wrote.
type Error struct {
	Kind   error  // one of the Err* sentinels above
	Msg    string // what is wrong, without position
	Hint   string // what to do about it; may be empty
	Source string // the whole query text as given
	Pos    int    // byte offset of the problem in Source, or -1 when unknown
}

// Unwrap returns the error kind.
func (e *Error) Unwrap() error { return e.Kind }

// LineCol returns the 1-based line and column (in characters) of Pos, or
// 0, 0 when the position is unknown.
func (e *Error) LineCol() (line, col int) {
	if e.Pos < 0 || e.Pos > len(e.Source) {
		return 0, 0
	}
	before := e.Source[:e.Pos]
	line = strings.Count(before, "\n") + 1
	start := strings.LastIndexByte(before, '\n') + 1
	col = len([]rune(before[start:])) + 1
	return line, col
}

// Error renders "line L:C: message", the source line, a caret under the
// spot, and the hint if any.
func (e *Error) Error() string {
	var b strings.Builder
	line, col := e.LineCol()
	if line > 0 {
		fmt.Fprintf(&b, "line %d:%d: ", line, col)
	}
	b.WriteString(e.Msg)
	if line > 0 {
		src := strings.Split(e.Source, "\n")[line-1]
		src = strings.ReplaceAll(src, "\t", " ")
		fmt.Fprintf(&b, "\n  %s\n  %s^", strings.TrimRight(src, "\r"), strings.Repeat(" ", col-1))
	}
	if e.Hint != "" {
		b.WriteString("\n")
		b.WriteString(e.Hint)
	}
	return b.String()
}

func newError(kind error, src string, pos int, format string, args ...any) *Error {
	return &Error{Kind: kind, Source: src, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (e *Error) withHint(format string, args ...any) *Error {
	e.Hint = fmt.Sprintf(format, args...)
	return e
}
