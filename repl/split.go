package repl

import "strings"

// scan walks SQL text and calls at for every byte that lies outside
// string literals ('...'), quoted identifiers ("..."), line comments
// (-- to the end of the line) and block comments (/* ... */),
// with its offset; at returns false to stop. scan reports whether the text
// ends inside a quote or a block comment.
func scan(text string, at func(i int) bool) (open bool) {
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '\'' || c == '"':
			j := i + 1
			for ; j < len(text); j++ {
				if text[j] == c {
					if j+1 < len(text) && text[j+1] == c { // a doubled quote
						j++
						continue
					}
					break
				}
			}
			if j >= len(text) {
				return true
			}
			i = j
		case c == '-' && i+1 < len(text) && text[i+1] == '-':
			end := strings.IndexByte(text[i:], '\n')
			if end < 0 {
				return false
			}
			i += end
		case c == '/' && i+1 < len(text) && text[i+1] == '*':
			end := strings.Index(text[i+2:], "*/")
			if end < 0 {
				return true
			}
			i += 2 + end + 1
		default:
			if !at(i) {
				return false
			}
		}
	}
	return false
}

// splitStatements cuts text at every ";" outside quotes and comments: it
// returns the complete statements (without their ";", trimmed, empty ones
// left out) and the text after the last ";", which is "" when it holds
// nothing but spaces and comments.
func splitStatements(text string) (stmts []string, rest string) {
	start := 0
	scan(text, func(i int) bool {
		if text[i] == ';' {
			if s := strings.TrimSpace(text[start:i]); !blank(s) {
				stmts = append(stmts, s)
			}
			start = i + 1
		}
		return true
	})
	rest = text[start:]
	if blank(rest) {
		rest = ""
	}
	return stmts, rest
}

// blank reports whether text holds nothing but spaces and complete
// comments.
func blank(text string) bool {
	empty := true
	open := scan(text, func(i int) bool {
		switch text[i] {
		case ' ', '\t', '\n', '\r':
			return true
		}
		empty = false
		return false
	})
	return empty && !open
}

// stripComment removes a trailing "-- comment" (outside quotes) from a
// command line, and the spaces before it.
func stripComment(line string) string {
	var q byte // the quote open, if any
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '\'' || c == '"':
			q = c
		case c == '-' && i+1 < len(line) && line[i+1] == '-':
			return strings.TrimSpace(line[:i])
		}
	}
	return strings.TrimSpace(line)
}
