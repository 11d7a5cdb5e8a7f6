package ingest

import (
	"bytes"
	"fmt"

	"brook/value"
)

// DefaultSampleRows is how many records Infer reads, as DuckDB's
// read_json_auto samples 20,480 by default.
const DefaultSampleRows = 20480

// kinds of JSON values seen for one key while sampling.
type seenKinds struct {
	null, boolean, integer, float, str, nested bool
	allTimestamps                              bool
}

// Infer samples up to sampleRows records from files (in order) and returns
// the schema DuckDB's read_json_auto would give them, keys in order of first
// appearance: only integers → BIGINT, numbers with a fraction or exponent
// (6.0) → DOUBLE, booleans → BOOLEAN, strings that all parse as ISO-8601
// timestamps → TIMESTAMP, other strings → VARCHAR. Where DuckDB would build
// a STRUCT or LIST (nested values) or types mix, brook uses VARCHAR holding
// the JSON text. Malformed lines are skipped while sampling.
func Infer(files []string, sampleRows int) (value.Schema, error) {
	smp := newSampler(sampleRows)
	for _, f := range files {
		if smp.full() {
			break // later files are never opened
		}
		data, err := ReadFile(f)
		if err != nil {
			return nil, err
		}
		smp.feed(data, true)
	}
	return smp.schema(fmt.Errorf("no JSON records to infer a schema from in %d file(s); declare one with --schema", len(files)))
}

// sampler accumulates the kinds of values seen per key over NDJSON text.
type sampler struct {
	order []string
	kinds map[string]*seenKinds
	rows  int
	limit int
}

func newSampler(sampleRows int) *sampler {
	if sampleRows <= 0 {
		sampleRows = DefaultSampleRows
	}
	return &sampler{kinds: map[string]*seenKinds{}, limit: sampleRows}
}

func (s *sampler) full() bool { return s.rows >= s.limit }

// feed samples the lines of data until the sample is full; start says data
// begins a file (where a UTF-8 BOM may stand).
func (s *sampler) feed(data []byte, start bool) {
	if start {
		data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	}
	for len(data) > 0 && !s.full() {
		var ln []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			ln, data = data[:i], data[i+1:]
		} else {
			ln, data = data, nil
		}
		if !isBlank(ln) && sampleLine(ln, s.kinds, &s.order) {
			s.rows++
		}
	}
}

// schema resolves the sampled kinds, or returns none when nothing was seen.
func (s *sampler) schema(none error) (value.Schema, error) {
	if len(s.order) == 0 {
		return nil, none
	}
	schema := make(value.Schema, len(s.order))
	for i, name := range s.order {
		schema[i] = value.Column{Name: name, Type: s.kinds[name].resolve()}
	}
	return schema, nil
}

func (k *seenKinds) resolve() value.Type {
	switch {
	case k.nested || (k.str && (k.integer || k.float || k.boolean)):
		return value.String
	case k.str && k.allTimestamps:
		return value.Timestamp
	case k.str:
		return value.String
	case k.boolean && (k.integer || k.float):
		return value.String
	case k.boolean:
		return value.Bool
	case k.float:
		return value.Float
	case k.integer:
		return value.Int
	}
	return value.String // only nulls seen
}

// sampleLine records the kind of every top-level field of one object. It
// reports false for a line that is not a well-formed object.
func sampleLine(b []byte, kinds map[string]*seenKinds, order *[]string) bool {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	if end, reason := skipValue(b, i, 0); reason != "" || skipWS(b, end) < len(b) {
		return false // as the decoder, reject text after the object too
	}
	i = skipWS(b, i+1)
	for i < len(b) && b[i] == '"' {
		ks, ke, escaped, next, _ := scanString(b, i)
		key := b[ks:ke]
		if escaped {
			key = unescape(nil, key)
		}
		i = skipWS(b, skipWS(b, next)+1)
		end, _ := skipValue(b, i, 0)
		k, ok := kinds[string(key)]
		if !ok {
			k = &seenKinds{allTimestamps: true}
			kinds[string(key)] = k
			*order = append(*order, string(key))
		}
		switch c := b[i]; {
		case c == '"':
			k.str = true
			s, e, esc, _, _ := scanString(b, i)
			str := b[s:e]
			if esc {
				str = unescape(nil, str)
			}
			if _, ok := value.ParseTimestamp(string(str)); !ok {
				k.allTimestamps = false
			}
		case c == 'n':
			k.null = true
		case c == 't' || c == 'f':
			k.boolean = true
		case c == '{' || c == '[':
			k.nested = true
		default:
			if _, integer, _ := scanNumber(b, i); integer {
				k.integer = true
			} else {
				k.float = true
			}
		}
		i = skipWS(b, end)
		if i < len(b) && b[i] == ',' {
			i = skipWS(b, i+1)
		}
	}
	return true
}
