package repl

import (
	"sort"
	"strings"
	"unicode"
)

// Keywords are the SQL words completion offers, in upper case (offered in
// lower case when the word typed so far is lower case).
var Keywords = []string{
	"SELECT", "FROM", "WHERE", "GROUP", "BY", "HAVING", "ORDER", "LIMIT", "OFFSET", "AS", "AND", "OR", "NOT",
	"IN", "BETWEEN", "LIKE", "IS", "NULL", "DISTINCT", "ASC", "DESC", "CASE", "WHEN", "THEN", "ELSE", "END",
	"CAST", "TRUE", "FALSE", "COUNT", "SUM", "AVG", "MIN", "MAX", "TUMBLE", "TUMBLE_END", "HOP", "HOP_END",
	"SESSION", "SESSION_END", "WINDOW",
}

// completer completes keywords, backslash commands, tables and columns.
type completer struct{ s *Session }

// Do returns the completions of the word before pos: each candidate's
// remaining characters, and the length of the word typed so far.
func (c *completer) Do(line []rune, pos int) ([][]rune, int) {
	start := pos
	for start > 0 && (isWordRune(line[start-1]) || line[start-1] == '\\') {
		start--
	}
	if start == 1 && line[0] == '.' { // a dot command
		start = 0
	}
	word := string(line[start:pos])
	var cands []string
	if strings.HasPrefix(word, `\`) || strings.HasPrefix(word, ".") {
		cands = commandNames
	} else {
		if word == "" {
			return nil, 0
		}
		lower := strings.ToLower(word) == word
		for _, k := range Keywords {
			if lower {
				k = strings.ToLower(k)
			}
			cands = append(cands, k)
		}
		cands = append(cands, c.s.completionWords()...)
	}
	seen := map[string]bool{}
	var out [][]rune
	for _, cand := range cands {
		if len(cand) < len(word) || !strings.EqualFold(cand[:len(word)], word) || seen[cand] {
			continue
		}
		seen[cand] = true
		out = append(out, []rune(cand[len(word):]))
	}
	sort.Slice(out, func(i, j int) bool { return string(out[i]) < string(out[j]) })
	return out, len([]rune(word))
}

func isWordRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }
