package decode

import (
	"bytes"
	"strconv"

	"brook/value"
)

// kinds of JSON values seen for one key while sampling.
type seenKinds struct {
	null, boolean, integer, float, str, nested bool
	huge                                       bool // an integer beyond BIGINT that fits 64 bits unsigned: DuckDB's HUGEINT
	// times is the date or timestamp format of the key's first string, or
	// noTime; a later string in another format makes it noTime.
	times timeFormat
}

// Sampler accumulates the kinds of values seen per key over NDJSON text,
// to infer a schema as DuckDB's read_json_auto does (see ingest.Infer).
type Sampler struct {
	order []string
	kinds map[string]*seenKinds
	rows  int
	limit int
	// seq is the keys of the last line, in its order, with their kinds:
	// lines of one source mostly repeat their keys in one order, and the
	// key at a position is then matched without a map lookup.
	seq []seqKey
}

// seqKey is a key at one position of the last line sampled.
type seqKey struct {
	name string
	k    *seenKinds
}

// NewSampler returns a Sampler that is full after sampleRows records.
func NewSampler(sampleRows int) *Sampler {
	return &Sampler{kinds: map[string]*seenKinds{}, limit: sampleRows}
}

// Full reports whether the sample holds its records.
func (s *Sampler) Full() bool { return s.rows >= s.limit }

// Feed samples the lines of data until the sample is full; start says data
// begins a file (where a UTF-8 BOM may stand).
func (s *Sampler) Feed(data []byte, start bool) {
	if start {
		data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	}
	for len(data) > 0 && !s.Full() {
		var ln []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			ln, data = data[:i], data[i+1:]
		} else {
			ln, data = data, nil
		}
		if !isBlank(ln) && s.sampleLine(ln) {
			s.rows++
		}
	}
}

// Schema resolves the sampled kinds, or returns none when nothing was seen.
func (s *Sampler) Schema(none error) (value.Schema, error) {
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
	case k.nested || (k.str && (k.integer || k.huge || k.float || k.boolean)):
		return value.String
	case k.str && k.times != noTime:
		return value.Timestamp
	case k.str:
		return value.String
	case k.boolean && (k.integer || k.huge || k.float):
		return value.String
	case k.boolean:
		return value.Bool
	case k.float:
		return value.Float
	case k.huge:
		return value.String // HUGEINT, which brook has no column type for
	case k.integer:
		return value.Int
	}
	return value.String // only nulls seen
}

// sampleLine records the kind of every top-level field of one object. It
// reports false for a line that is not a well-formed object.
func (s *Sampler) sampleLine(b []byte) bool {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	if end, reason := skipValue(b, i, 0); reason != "" || skipWS(b, end) < len(b) {
		return false // as the decoder, reject text after the object too
	}
	i = skipWS(b, i+1)
	for at := 0; i < len(b) && b[i] == '"'; at++ {
		ks, ke, escaped, next, _ := scanString(b, i)
		key := b[ks:ke]
		if escaped {
			key = unescape(nil, key)
		}
		i = skipWS(b, skipWS(b, next)+1)
		end, _ := skipValue(b, i, 0)
		var k *seenKinds
		if at < len(s.seq) && s.seq[at].name == string(key) {
			k = s.seq[at].k
		} else {
			var ok bool
			if k, ok = s.kinds[string(key)]; !ok {
				k = &seenKinds{times: unseenTime}
				s.kinds[string(key)] = k
				s.order = append(s.order, string(key))
			}
			if at < len(s.seq) {
				s.seq[at] = seqKey{string(key), k}
			} else if at == len(s.seq) {
				s.seq = append(s.seq, seqKey{string(key), k})
			}
		}
		switch c := b[i]; {
		case c == '"':
			k.str = true
			s, e, esc, _, _ := scanString(b, i)
			str := b[s:e]
			if esc {
				str = unescape(nil, str)
			}
			if k.times != noTime {
				if f := timeFormatOf(str); f != k.times && k.times != unseenTime {
					k.times = noTime
				} else {
					k.times = f
				}
			}
		case c == 'n':
			k.null = true
		case c == 't' || c == 'f':
			k.boolean = true
		case c == '{' || c == '[':
			k.nested = true
		default:
			end, integer, _ := scanNumber(b, i)
			switch {
			case !integer:
				k.float = true
			case fitsInt64(b[i:end]):
				k.integer = true
			case fitsUint64(b[i:end]):
				k.huge = true
			default:
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

// fitsInt64 reports whether the integer literal tok fits a BIGINT.
// read_json_auto takes a larger one that fits 64 bits unsigned for a
// HUGEINT (fitsUint64), and a larger one still for a DOUBLE.
func fitsInt64(tok []byte) bool {
	if len(tok) < 19 {
		return true
	}
	_, err := strconv.ParseInt(string(tok), 10, 64)
	return err == nil
}

// fitsUint64 reports whether the integer literal tok fits 64 bits
// unsigned.
func fitsUint64(tok []byte) bool {
	_, err := strconv.ParseUint(string(tok), 10, 64)
	return err == nil
}

// timeFormat is the date or timestamp format read_json_auto detects in a
// string, of those brook reads.
type timeFormat uint8

const (
	noTime       timeFormat = iota // none: the string is VARCHAR
	unseenTime                     // no string seen yet
	isoDate                        // %Y-%m-%d (DuckDB's DATE)
	isoTimestamp                   // %Y-%m-%d %H:%M:%S
	isoFraction                    // %Y-%m-%d %H:%M:%S.%f, 1 to 6 digits
	isoT                           // %Y-%m-%dT%H:%M:%S
)

// timeFormatOf returns the format of s, as DuckDB's strptime matches it
// (blanks around, one- or two-digit fields but a four-digit year, valid
// dates and times), or noTime; and noTime for any string brook's TIMESTAMP
// cast does not read as read_json_auto does.
func timeFormatOf(s []byte) timeFormat {
	i, j := 0, len(s)
	for i < j && isBlankByte(s[i]) {
		i++
	}
	for j > i && isBlankByte(s[j-1]) {
		j--
	}
	t := s[i:j]
	num := func(min, max int) (int, bool) { // digits at t's start
		n, k := 0, 0
		for k < len(t) && k < max && t[k]-'0' < 10 {
			n = n*10 + int(t[k]-'0')
			k++
		}
		t = t[k:]
		return n, k >= min
	}
	sep := func(c byte) bool {
		if len(t) > 0 && t[0] == c {
			t = t[1:]
			return true
		}
		return false
	}
	y, ok := num(4, 4)
	if !ok || !sep('-') {
		return noTime
	}
	m, ok := num(1, 2)
	if !ok || m < 1 || m > 12 || !sep('-') {
		return noTime
	}
	d, ok := num(1, 2)
	if !ok || d < 1 || d > daysIn(y, m) {
		return noTime
	}
	f := isoDate
	if len(t) > 0 {
		zulu := t[0] == 'T'
		if !sep('T') && !sep(' ') {
			return noTime
		}
		h, ok1 := num(1, 2)
		c1 := sep(':')
		mi, ok2 := num(1, 2)
		c2 := sep(':')
		sec, ok3 := num(1, 2)
		if !ok1 || !ok2 || !ok3 || !c1 || !c2 || h > 23 || mi > 59 || sec > 59 {
			return noTime
		}
		switch {
		case zulu && (sep('Z') || sep('.')):
			return noTime // DuckDB's TIMESTAMP WITH TIME ZONE, or VARCHAR
		case zulu:
			f = isoT
		case sep('.'):
			if _, ok := num(1, 6); !ok {
				return noTime
			}
			f = isoFraction
		default:
			f = isoTimestamp
		}
		if len(t) > 0 {
			return noTime
		}
	}
	if _, ok := value.ParseTimestamp(string(s)); !ok {
		return noTime
	}
	return f
}

// isBlankByte is DuckDB's CharacterIsSpace.
func isBlankByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// daysIn returns the number of days of month m of year y.
func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
