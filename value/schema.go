package value

import (
	"fmt"
	"strings"
)

// Column is one named, typed field of a source.
type Column struct {
	Name string
	Type Type
}

// Schema is the ordered list of a source's fields. Names are matched
// case-insensitively, as DuckDB matches identifiers.
type Schema []Column

// Lookup returns the index of the column called name, ignoring case.
func (s Schema) Lookup(name string) (int, bool) {
	for i, c := range s {
		if c.Name == name {
			return i, true
		}
	}
	for i, c := range s {
		if strings.EqualFold(c.Name, name) {
			return i, true
		}
	}
	return -1, false
}

// Names returns the column names in order.
func (s Schema) Names() []string {
	names := make([]string, len(s))
	for i, c := range s {
		names[i] = c.Name
	}
	return names
}

// String renders s in the form ParseSchema reads: "time DOUBLE, srcdevice VARCHAR".
func (s Schema) String() string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteName(c.Name))
		b.WriteByte(' ')
		b.WriteString(c.Type.String())
	}
	return b.String()
}

// ParseSchema reads a declared schema: comma-separated "name TYPE" pairs,
// for example "time DOUBLE, srcdevice VARCHAR, dstport VARCHAR". A name may
// be double-quoted to hold spaces or commas (and "" for a quote in it).
func ParseSchema(text string) (Schema, error) {
	var s Schema
	seen := map[string]bool{}
	rest := strings.TrimSpace(text)
	for rest != "" {
		var name string
		if rest[0] == '"' { // "" inside stands for one ", as String writes it
			end := 1
			for {
				i := strings.IndexByte(rest[end:], '"')
				if i < 0 {
					return nil, fmt.Errorf("schema: unterminated quoted name in %q", text)
				}
				end += i
				if !strings.HasPrefix(rest[end:], `""`) {
					break
				}
				end += 2
			}
			name, rest = strings.ReplaceAll(rest[1:end], `""`, `"`), strings.TrimSpace(rest[end+1:])
		} else {
			fields := strings.FieldsFunc(rest, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' || r == ':' })
			if len(fields) == 0 {
				break
			}
			name = fields[0]
			rest = strings.TrimSpace(rest[strings.Index(rest, name)+len(name):])
		}
		rest = strings.TrimPrefix(rest, ":")
		typeText := rest
		if i := strings.IndexByte(rest, ','); i >= 0 {
			typeText, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		rest = strings.TrimSpace(rest)
		typ, ok := ParseType(typeText)
		if !ok {
			if strings.TrimSpace(typeText) == "" {
				return nil, fmt.Errorf("schema: column %q has no type (write \"%s DOUBLE\", \"%s VARCHAR\", ...)", name, name, name)
			}
			return nil, fmt.Errorf("schema: column %q: unknown type %q (known: BOOLEAN, BIGINT, DOUBLE, VARCHAR, TIMESTAMP)", name, strings.TrimSpace(typeText))
		}
		key := strings.ToLower(name)
		if seen[key] {
			return nil, fmt.Errorf("schema: column %q is declared twice", name)
		}
		seen[key] = true
		s = append(s, Column{Name: name, Type: typ})
	}
	if len(s) == 0 {
		return nil, fmt.Errorf("schema: no columns in %q", text)
	}
	return s, nil
}

// quoteName double-quotes a column name that is not a plain word.
func quoteName(name string) string {
	if name == "" {
		return `""`
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9')) {
			return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
		}
	}
	return name
}
