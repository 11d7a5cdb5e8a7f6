package sql

import (
	"strings"
)

// tokKind classifies the tokens of brook's own pre-lexer.
type tokKind uint8

const (
	tokSpace  tokKind = iota // blanks and comments
	tokWord                  // keyword, bare identifier or number
	tokIdent                 // "quoted" or `quoted` identifier
	tokString                // 'string literal'
	tokPunct                 // operator or punctuation
)

// token is one lexeme of the original query text.
type token struct {
	kind       tokKind
	start, end int    // byte offsets in the original text
	text       string // the raw text
	value      string // decoded content of a string or quoted identifier
}

// lex splits src into tokens with DuckDB's lexical rules: ” escapes a quote
// inside a string and backslashes are ordinary characters; "..." is an
// identifier with "" escaping a quote; -- and /* */ are comments.
func lex(src string) ([]token, *Error) {
	var toks []token
	for i := 0; i < len(src); {
		c := src[i]
		start := i
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			for i < len(src) && strings.IndexByte(" \t\n\r\f", src[i]) >= 0 {
				i++
			}
			toks = append(toks, token{kind: tokSpace, start: start, end: i, text: src[start:i]})
		case c == '-' && strings.HasPrefix(src[i:], "--"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
			toks = append(toks, token{kind: tokSpace, start: start, end: i, text: src[start:i]})
		case c == '/' && strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, newError(ErrSyntax, src, start, "unterminated /* comment")
			}
			i += end + 4
			toks = append(toks, token{kind: tokSpace, start: start, end: i, text: src[start:i]})
		case c == '\'' || c == '"' || c == '`':
			var val strings.Builder
			i++
			closed := false
			for i < len(src) {
				if src[i] == c {
					if i+1 < len(src) && src[i+1] == c {
						val.WriteByte(c)
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				val.WriteByte(src[i])
				i++
			}
			if !closed {
				what := "string"
				if c != '\'' {
					what = "quoted identifier"
				}
				return nil, newError(ErrSyntax, src, start, "unterminated %s", what)
			}
			kind := tokIdent
			if c == '\'' {
				kind = tokString
			}
			toks = append(toks, token{kind: kind, start: start, end: i, text: src[start:i], value: val.String()})
		case isWordByte(c) || c >= 0x80:
			for i < len(src) && (isWordByte(src[i]) || src[i] >= 0x80 || (src[i] == '.' && isDigit(c) && i+1 < len(src) && isDigit(src[i+1]))) {
				// exponents: 1e-3, 2E+5
				if (src[i] == 'e' || src[i] == 'E') && isDigit(c) && i+1 < len(src) && (src[i+1] == '-' || src[i+1] == '+') {
					i++
				}
				i++
			}
			toks = append(toks, token{kind: tokWord, start: start, end: i, text: src[start:i]})
		default:
			n := 1
			for _, op := range []string{"||", "::", "<=>", "<=", ">=", "<>", "!=", "->>", "->", "<<", ">>"} {
				if strings.HasPrefix(src[i:], op) {
					n = len(op)
					break
				}
			}
			i += n
			toks = append(toks, token{kind: tokPunct, start: start, end: i, text: src[start:i]})
		}
	}
	return toks, nil
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || isDigit(c)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// is reports whether t is the word w, ignoring case.
func (t token) is(w string) bool { return t.kind == tokWord && strings.EqualFold(t.text, w) }
