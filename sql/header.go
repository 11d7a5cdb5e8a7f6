package sql

import (
	"strings"
)

// HeaderPrefix starts a directive line in a query file's leading comments:
//
//	-- brook: source flows=../shared/datasets/lanl
//	-- brook: schema time DOUBLE, srcdevice VARCHAR, dstport VARCHAR
//	-- brook: mode update
//	-- brook: lateness 10s
//
// Directives give defaults for the command-line flags of the same name;
// a flag given on the command line wins.
const HeaderPrefix = "-- brook:"

// HeaderKeys are the directives a query file may set.
var HeaderKeys = []string{"source", "schema", "mode", "files-per-batch", "lateness", "idle-timeout"}

// Directive is one "-- brook: key value" line.
type Directive struct {
	Key, Value string
	Pos        int // byte offset of the key in the query text
}

// ParseHeader reads the directives from the comment lines at the top of a
// query file. It stops at the first line that is neither blank nor a
// comment. An unknown key is an error positioned at the key.
func ParseHeader(text string) ([]Directive, error) {
	var dirs []Directive
	offset := 0
	for _, line := range strings.SplitAfter(text, "\n") {
		start := offset
		offset += len(line)
		trimmed := strings.TrimSpace(line)
		if trimmed == "" {
			continue
		}
		if !strings.HasPrefix(trimmed, "--") {
			break
		}
		if !strings.HasPrefix(trimmed, HeaderPrefix) {
			continue
		}
		lead := strings.Index(line, HeaderPrefix) + len(HeaderPrefix)
		rest := line[lead:]
		keyStart := start + lead + (len(rest) - len(strings.TrimLeft(rest, " \t")))
		rest = strings.TrimSpace(rest)
		key, val, _ := strings.Cut(rest, " ")
		key = strings.ToLower(strings.TrimSpace(key))
		known := false
		for _, k := range HeaderKeys {
			known = known || k == key
		}
		if !known {
			return nil, newError(ErrHeader, text, keyStart, "unknown directive %q", key).
				withHint("known directives: %s", strings.Join(HeaderKeys, ", "))
		}
		val = strings.TrimSpace(val)
		if val == "" {
			return nil, newError(ErrHeader, text, keyStart, "directive %q has no value", key)
		}
		dirs = append(dirs, Directive{Key: key, Value: val, Pos: keyStart})
	}
	return dirs, nil
}
