package difftest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"brook/value"
)

// Schema is the declared schema of table t, the one every generated query
// reads. Declaring it keeps schema inference out of the comparison.
//
//	id  BIGINT     the record's number, unique (but not always present)
//	ts  DOUBLE     event time in seconds: multiples of a decimal unit such
//	               as 0.1 or 0.3, so many land exactly on window bounds
//	it  BIGINT     event time in whole seconds, small or beyond 2^53
//	at  TIMESTAMP  event time as ISO-8601 text, on sub-second boundaries
//	i   BIGINT     nasty integers: near 2^53, 2^62 and 2^63, -2^63
//	j   BIGINT     small integers
//	f   DOUBLE     nasty doubles: -0.0, 1e308, 5e-324, 0.1, 2^53+1
//	g   DOUBLE     tame doubles: multiples of 1/8 (sums are exact in any order)
//	s   VARCHAR    strings that are, almost are, or are not numbers
//	k   VARCHAR    a group key of few values: unicode, LIKE metacharacters
//	b   BOOLEAN
var Schema = value.Schema{
	{Name: "id", Type: value.Int},
	{Name: "ts", Type: value.Float},
	{Name: "it", Type: value.Int},
	{Name: "at", Type: value.Timestamp},
	{Name: "i", Type: value.Int},
	{Name: "j", Type: value.Int},
	{Name: "f", Type: value.Float},
	{Name: "g", Type: value.Float},
	{Name: "s", Type: value.String},
	{Name: "k", Type: value.String},
	{Name: "b", Type: value.Bool},
}

// Dataset is table t's records, cut into files as a directory source
// reads them: one micro-batch per file by default.
type Dataset struct {
	Files [][]string // each file's lines (NDJSON records), in name order
}

// FileName is the name of file n (0-based) of a dataset; names sort in
// order.
func FileName(n int) string { return fmt.Sprintf("part-%03d.json", n) }

// Lines returns all records in file order.
func (d *Dataset) Lines() []string {
	var all []string
	for _, f := range d.Files {
		all = append(all, f...)
	}
	return all
}

// Write writes the dataset's files into dir (created if needed) and
// returns their paths in order.
func (d *Dataset) Write(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	for n, lines := range d.Files {
		var b bytes.Buffer
		for _, l := range lines {
			b.WriteString(l)
			b.WriteByte('\n')
		}
		p := filepath.Join(dir, FileName(n))
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// decimal is a number written exactly as mantissa * 10^exp, so that times
// such as 0.6 appear in the input as the text "0.6".
type decimal struct {
	mant int64
	exp  int // <= 0
}

func (d decimal) times(n int64) decimal { return decimal{d.mant * n, d.exp} }

// String writes the decimal in plain notation ("0.6", "172800.3").
func (d decimal) String() string {
	neg := d.mant < 0
	m := d.mant
	if neg {
		m = -m
	}
	s := strconv.FormatInt(m, 10)
	if d.exp < 0 {
		for len(s) <= -d.exp {
			s = "0" + s
		}
		cut := len(s) + d.exp
		s = strings.TrimRight(s[:cut]+"."+s[cut:], "0")
		s = strings.TrimSuffix(s, ".")
	}
	if neg {
		s = "-" + s
	}
	return s
}

// timeUnits are the spacings of generated event times: window sizes and
// slides are drawn from the same decimals, so that times fall on window
// bounds that are not exact in binary.
var timeUnits = []decimal{{1, -1}, {3, -1}, {1, -3}, {5, -2}, {1, -2}, {25, -2}, {1, 0}, {2, -1}}

// timeBases offset the times: 0, a LANL-like day offset, and epoch seconds.
var timeBases = []decimal{{0, 0}, {0, 0}, {1728, 2}, {1700000000, 0}}

// intTimeBases are the bases of the BIGINT times: small, just below and
// beyond 2^53 (where a DOUBLE no longer holds every integer), negative.
var intTimeBases = []int64{0, 1 << 53, 1<<53 - 6, 1<<53 + 1, -20, 1e15, 1 << 60}

var nastyInts = []string{
	"0", "1", "-1", "7", "42", "-100", "3",
	"9007199254740992", "9007199254740993", "-9007199254740993", "9007199254740991",
	"9223372036854775807", "-9223372036854775808", "9223372036854775806",
	"4611686018427387904", "4611686018427387905", "-4611686018427387904",
	"1000000000000000000",
}

var nastyFloats = []string{
	"0.0", "-0.0", "0", "1e308", "-1e308", "1.7976931348623157e308", "5e-324", "-5e-324",
	"0.1", "0.3", "0.6", "0.30000000000000004", "2.5", "-2.5", "1.5", "1E3", "1e-7",
	"9007199254740993", "9007199254740992.0", "9.223372036854776e18", "9223372036854775807",
	"-9223372036854775808", "1e16", "123.456", "-7", "2.675", "1e15", "0.5",
}

var nastyStrings = []string{
	"", " ", " 42 ", "42", "1e3", "+7", "007", "-0", "0x1F", "abc", "a_b", "50%", "%", "_",
	`\`, `a\b`, "é", "e\u0301", "Straße", "nan", "inf", "-inf", "9007199254740993", "9223372036854775808",
	"2024-01-01", "2024-01-01 00:00:00.6", "true", "f", "1.5", ".5", "5.", "1_000", "Ab", "ab", "AB",
	"  padded  ", "\t7", "1e400", "-1e-400", "0.1", "\U0001F600", "a%b_c", "'quoted'", `"dq"`,
}

var groupKeys = []string{"a", "b", "A", "é", "e\u0301", "%", "_", "a%b", "", " a", `\x`, "z_", "ß", "10", "9"}

// dataGen generates one dataset.
type dataGen struct {
	r       *rand.Rand
	unit    decimal
	base    decimal
	itBase  int64
	atUnit  int64 // microseconds
	keys    []string
	pNull   float64
	pAbsent float64
	maxN    int64 // times are base + n*unit, n in [0, maxN)
	dupTime bool
}

// NewDataset generates the dataset of a seed: 1 to 5 files (some empty) of
// up to 14 records, with NULLs, missing fields, duplicate and out-of-order
// times and times exactly on window bounds.
func NewDataset(seed uint64) *Dataset {
	r := rand.New(rand.NewPCG(seed, 0x6461746173657473)) // "datasets"
	g := &dataGen{
		r:       r,
		unit:    timeUnits[r.IntN(len(timeUnits))],
		base:    timeBases[r.IntN(len(timeBases))],
		itBase:  intTimeBases[r.IntN(len(intTimeBases))],
		atUnit:  []int64{100_000, 300_000, 1000, 1_000_000, 250_000}[r.IntN(5)],
		pNull:   []float64{0, 0.05, 0.15}[r.IntN(3)],
		pAbsent: []float64{0, 0.05, 0.15}[r.IntN(3)],
		maxN:    int64(4 + r.IntN(40)),
		dupTime: r.IntN(3) == 0,
	}
	nk := 1 + r.IntN(5)
	for _, p := range r.Perm(len(groupKeys))[:nk] {
		g.keys = append(g.keys, groupKeys[p])
	}
	d := &Dataset{}
	files := 1 + r.IntN(5)
	id := int64(1)
	for range files {
		n := r.IntN(15)
		if r.IntN(8) == 0 {
			n = 0
		}
		var lines []string
		for range n {
			lines = append(lines, g.record(id))
			id++
		}
		d.Files = append(d.Files, lines)
	}
	return d
}

// field decides whether a field is written, and whether as null.
func (g *dataGen) field(b *strings.Builder, name string, val func() string) {
	if g.r.Float64() < g.pAbsent {
		return
	}
	if b.Len() > 1 {
		b.WriteString(", ")
	}
	b.WriteString(strconv.Quote(name))
	b.WriteString(": ")
	if g.r.Float64() < g.pNull {
		b.WriteString("null")
		return
	}
	b.WriteString(val())
}

func (g *dataGen) pick(list []string) string { return list[g.r.IntN(len(list))] }

// jsonString encodes s as a JSON string, sometimes with every non-ASCII
// character and some ASCII ones as \u escapes.
func (g *dataGen) jsonString(s string) string {
	if g.r.IntN(4) == 0 {
		var b strings.Builder
		b.WriteByte('"')
		for _, c := range s {
			switch {
			case c > 0xFFFF:
				r1, r2 := utf16Pair(c)
				fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
			case c > 0x7e || c < 0x20 || c == '"' || c == '\\' || c == '%' || c == '_':
				fmt.Fprintf(&b, `\u%04x`, c)
			default:
				b.WriteRune(c)
			}
		}
		b.WriteByte('"')
		return b.String()
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(buf.String(), "\n")
}

func utf16Pair(c rune) (rune, rune) {
	c -= 0x10000
	return 0xD800 + (c>>10)&0x3FF, 0xDC00 + c&0x3FF
}

func (g *dataGen) timeN() int64 {
	n := g.r.Int64N(g.maxN)
	if g.dupTime && g.r.IntN(3) == 0 {
		n = g.maxN / 2
	}
	return n
}

func (g *dataGen) record(id int64) string {
	r := g.r
	var b strings.Builder
	b.WriteByte('{')
	if r.IntN(20) != 0 {
		b.WriteString(`"id": ` + strconv.FormatInt(id, 10))
	}
	g.field(&b, "ts", func() string {
		n := g.timeN()
		if n == 0 && g.r.IntN(3) == 0 {
			return g.pick([]string{"-0.0", "-0", "0.0", "0"}) // time zero, signed or not
		}
		t := g.unit.times(n)
		if g.base.mant != 0 {
			// base + t, both decimals: bring them to one exponent.
			e := min(g.base.exp, t.exp)
			bm, tm := g.base.mant, t.mant
			for x := g.base.exp; x > e; x-- {
				bm *= 10
			}
			for x := t.exp; x > e; x-- {
				tm *= 10
			}
			t = decimal{bm + tm, e}
		}
		return t.String()
	})
	g.field(&b, "it", func() string { return strconv.FormatInt(g.itBase+g.timeN(), 10) })
	g.field(&b, "at", func() string {
		micros := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro() + g.timeN()*g.atUnit
		return `"` + time.UnixMicro(micros).UTC().Format("2006-01-02 15:04:05.999999") + `"`
	})
	g.field(&b, "i", func() string { return g.pick(nastyInts) })
	g.field(&b, "j", func() string { return strconv.Itoa(r.IntN(16) - 5) })
	g.field(&b, "f", func() string { return g.pick(nastyFloats) })
	g.field(&b, "g", func() string {
		if r.IntN(12) == 0 {
			return "-0.0"
		}
		return strconv.FormatFloat(float64(r.IntN(81)-40)/8, 'g', -1, 64)
	})
	g.field(&b, "s", func() string { return g.jsonString(g.pick(nastyStrings)) })
	g.field(&b, "k", func() string { return g.jsonString(g.pick(g.keys)) })
	g.field(&b, "b", func() string { return strconv.FormatBool(r.IntN(2) == 0) })
	if r.IntN(10) == 0 {
		g.field(&b, "extra", func() string { return `{"nested": [1, "two", {"three": null}]}` })
	}
	b.WriteByte('}')
	return b.String()
}
