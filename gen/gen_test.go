package gen

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var keys = []string{
	"time", "duration", "srcdevice", "dstdevice", "protocol", "srcport",
	"dstport", "srcpackets", "dstpackets", "srcbytes", "dstbytes",
}

// numeric reports whether key holds a JSON number (else a string).
func numeric(key string) bool {
	switch key {
	case "srcdevice", "dstdevice", "srcport", "dstport":
		return false
	}
	return true
}

var (
	doubleRE  = regexp.MustCompile(`^-?(0|[1-9][0-9]*)\.[0-9]+$`)
	deviceRE  = regexp.MustCompile(`^(Comp[0-9]{6}|EnterpriseAppServer|ActiveDirectory|VPN|Mail)$`)
	anonRE    = regexp.MustCompile(`^Port[0-9]{5}$`)
	numPortRE = regexp.MustCompile(`^(80|443|53|8000|22|445|3389|123|137|389)$`)
)

// row is one parsed record: numbers as float64, strings as string.
type row struct {
	num map[string]float64
	str map[string]string
}

// parseLine checks one line's shape strictly (key order, JSON types,
// number spelling) and returns its values.
func parseLine(t testing.TB, line []byte) row {
	t.Helper()
	if !json.Valid(line) {
		t.Fatalf("invalid JSON: %s", line)
	}
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatalf("unmarshal %s: %v", line, err)
	}
	if len(m) != len(keys) {
		t.Fatalf("got %d keys, want %d: %s", len(m), len(keys), line)
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("want '{', got %v %v: %s", tok, err, line)
	}
	r := row{num: map[string]float64{}, str: map[string]string{}}
	for _, want := range keys {
		tok, err := dec.Token()
		if err != nil || tok != want {
			t.Fatalf("want key %q, got %v %v: %s", want, tok, err, line)
		}
		v, err := dec.Token()
		if err != nil {
			t.Fatalf("value of %q: %v: %s", want, err, line)
		}
		if numeric(want) {
			n, ok := v.(json.Number)
			if !ok {
				t.Fatalf("%q: want number, got %T: %s", want, v, line)
			}
			if !doubleRE.MatchString(string(n)) {
				t.Fatalf("%q: number %q not written as a double: %s", want, n, line)
			}
			f, err := n.Float64()
			if err != nil {
				t.Fatal(err)
			}
			r.num[want] = f
		} else {
			s, ok := v.(string)
			if !ok {
				t.Fatalf("%q: want string, got %T: %s", want, v, line)
			}
			r.str[want] = s
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		t.Fatalf("want '}', got %v %v: %s", tok, err, line)
	}
	return r
}

func generate(t testing.TB, opts Options, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, New(opts), n); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func lines(b []byte) [][]byte {
	return bytes.SplitAfter(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
}

func parseAll(t testing.TB, b []byte) []row {
	t.Helper()
	var rows []row
	for _, l := range lines(b) {
		rows = append(rows, parseLine(t, l))
	}
	return rows
}

// record is a row decoded quickly (type-checked by encoding/json); the
// strict shape checks live in parseLine.
type record struct {
	Time       float64 `json:"time"`
	Duration   float64 `json:"duration"`
	SrcDevice  string  `json:"srcdevice"`
	DstDevice  string  `json:"dstdevice"`
	Protocol   float64 `json:"protocol"`
	SrcPort    string  `json:"srcport"`
	DstPort    string  `json:"dstport"`
	SrcPackets float64 `json:"srcpackets"`
	DstPackets float64 `json:"dstpackets"`
	SrcBytes   float64 `json:"srcbytes"`
	DstBytes   float64 `json:"dstbytes"`
}

func decodeAll(t testing.TB, b []byte) []record {
	t.Helper()
	var recs []record
	for _, l := range lines(b) {
		var r record
		if err := json.Unmarshal(l, &r); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		recs = append(recs, r)
	}
	return recs
}

func TestSampleFormat(t *testing.T) {
	// Exact spelling of one line, matching the LANL sample's spacing.
	line := string(New(Options{Seed: 1}).AppendRow(nil))
	want := `{"time": 172800.0, "duration": 0.0, "srcdevice": "Comp290465", "dstdevice": "Comp100409", "protocol": 6.0, "srcport": "53", "dstport": "53", "srcpackets": 0.0, "dstpackets": 1.0, "srcbytes": 0.0, "dstbytes": 89.0}` + "\n"
	if line != want {
		t.Fatalf("got  %s\nwant %s", line, want)
	}
}

func TestDeterminism(t *testing.T) {
	opts := Options{Seed: 7, Devices: 5000}
	a := generate(t, opts, 20000)
	b := generate(t, opts, 20000)
	if !bytes.Equal(a, b) {
		t.Fatal("same options produced different bytes")
	}
	c := generate(t, Options{Seed: 8, Devices: 5000}, 20000)
	if bytes.Equal(a, c) {
		t.Fatal("different seeds produced identical bytes")
	}
	// Seed 0 is valid and distinct from seed 1.
	if bytes.Equal(generate(t, Options{}, 100), generate(t, Options{Seed: 1}, 100)) {
		t.Fatal("seeds 0 and 1 produced identical bytes")
	}
	// AppendRow one at a time equals Write.
	g := New(opts)
	var d []byte
	for range 20000 {
		d = g.AppendRow(d)
	}
	if !bytes.Equal(a, d) {
		t.Fatal("AppendRow sequence differs from Write")
	}
	// Write in pieces continues the same stream.
	var buf bytes.Buffer
	g = New(opts)
	for _, n := range []int{1, 0, 999, 19000} {
		if err := Write(&buf, g, n); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a, buf.Bytes()) {
		t.Fatal("split Write differs from one Write")
	}
}

// TestGolden pins the exact output so any change to the algorithm (or to
// math/rand/v2's PCG) is caught: committed test data depends on it.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{}, "ed5401dc2aac5fd44c3baef1db6a884be9bbe99beaad76e03bd2d7c662909c1c"},
		{Options{Seed: 42, StartTime: 1000, RowsPerSecond: 10, Devices: 300}, "93e941b07d08388180cad1de4c66b9068ca8386ac9e1cf03f26ab33a1e2918aa"},
	} {
		sum := sha256.Sum256(generate(t, tc.opts, 10000))
		if got := hex.EncodeToString(sum[:]); got != tc.want {
			t.Errorf("%+v: sha256 = %s, want %s", tc.opts, got, tc.want)
		}
	}
}

func TestShape(t *testing.T) {
	b := generate(t, Options{Seed: 3}, 30000)
	if !bytes.HasSuffix(b, []byte("}\n")) {
		t.Fatal("output does not end with a newline-terminated object")
	}
	for i, l := range lines(b) {
		if len(l) > MaxRowLen {
			t.Fatalf("line %d longer than MaxRowLen: %d", i, len(l))
		}
		r := parseLine(t, l)
		for _, k := range []string{"srcdevice", "dstdevice"} {
			if !deviceRE.MatchString(r.str[k]) {
				t.Fatalf("line %d: bad %s %q", i, k, r.str[k])
			}
		}
		for _, k := range []string{"srcport", "dstport"} {
			if !anonRE.MatchString(r.str[k]) && !numPortRE.MatchString(r.str[k]) {
				t.Fatalf("line %d: bad %s %q", i, k, r.str[k])
			}
		}
		if r.str["srcdevice"] == r.str["dstdevice"] {
			t.Fatalf("line %d: srcdevice == dstdevice: %s", i, l)
		}
		switch r.num["protocol"] {
		case 1, 6, 17:
		default:
			t.Fatalf("line %d: bad protocol: %s", i, l)
		}
		if r.num["duration"] < 0 {
			t.Fatalf("line %d: negative duration: %s", i, l)
		}
		for _, dir := range []string{"src", "dst"} {
			p, by := r.num[dir+"packets"], r.num[dir+"bytes"]
			if by < 40*p || by > 1500*p || (p == 0) != (by == 0) {
				t.Fatalf("line %d: %s bytes %v not consistent with packets %v", i, dir, by, p)
			}
		}
		if r.num["srcpackets"]+r.num["dstpackets"] == 0 {
			t.Fatalf("line %d: no packets at all: %s", i, l)
		}
	}
}

func TestDistributions(t *testing.T) {
	const n = 100000
	rows := decodeAll(t, generate(t, Options{Seed: 11}, n))
	var numDst, anonDst, numSrc, anonSrc, zeroDur, zeroSrc int
	proto := map[float64]int{}
	named := map[string]int{}
	var maxPackets float64
	for _, r := range rows {
		if numPortRE.MatchString(r.DstPort) {
			numDst++
		} else {
			anonDst++
		}
		if numPortRE.MatchString(r.SrcPort) {
			numSrc++
		} else {
			anonSrc++
		}
		proto[r.Protocol]++
		if !strings.HasPrefix(r.DstDevice, "Comp") {
			named[r.DstDevice]++
		}
		if r.Duration == 0 {
			zeroDur++
		}
		if r.SrcPackets == 0 {
			zeroSrc++
		}
		maxPackets = max(maxPackets, r.SrcPackets, r.DstPackets)
	}
	frac := func(k int) float64 { return float64(k) / n }
	if f := frac(numDst); f < 0.40 || f > 0.50 {
		t.Errorf("numeric dstport fraction %.3f, want about 0.45", f)
	}
	if f := frac(anonDst); f < 0.50 || f > 0.60 {
		t.Errorf("anonymised dstport fraction %.3f, want about 0.55", f)
	}
	if f := frac(anonSrc); f < 0.85 || numSrc == 0 {
		t.Errorf("srcport: anonymised fraction %.3f, numeric %d; want mostly anonymised, some numeric", f, numSrc)
	}
	if f := frac(proto[6]); f < 0.6 {
		t.Errorf("TCP fraction %.3f, want most", f)
	}
	if f := frac(proto[17]); f < 0.05 || f > 0.35 {
		t.Errorf("UDP fraction %.3f", f)
	}
	if f := frac(proto[1]); f == 0 || f > 0.03 {
		t.Errorf("ICMP fraction %.4f, want rare but present", f)
	}
	for _, h := range []string{"EnterpriseAppServer", "ActiveDirectory", "VPN", "Mail"} {
		if frac(named[h]) < 0.005 {
			t.Errorf("named host %s is dstdevice in only %d rows", h, named[h])
		}
	}
	if f := frac(zeroDur); f < 0.5 || f > 0.9 {
		t.Errorf("zero-duration fraction %.3f, want mostly zero", f)
	}
	if f := frac(zeroSrc); f < 0.1 || f > 0.5 {
		t.Errorf("zero-srcpackets fraction %.3f", f)
	}
	if maxPackets < 10000 {
		t.Errorf("max packets %v: want a heavy tail", maxPackets)
	}
}

func TestSkew(t *testing.T) {
	rows := decodeAll(t, generate(t, Options{Seed: 5}, 100000))
	count := map[string]int{}
	web := map[string]int{}
	for _, r := range rows {
		switch r.DstPort {
		case "443":
			count[r.DstDevice]++
			fallthrough
		case "80", "8000":
			web[r.DstDevice]++
		}
	}
	if len(count) < 50 {
		t.Fatalf("only %d distinct dstdevices for 443", len(count))
	}
	counts := make([]int, 0, len(count))
	for _, c := range count {
		counts = append(counts, c)
	}
	slices.Sort(counts)
	top, median := counts[len(counts)-1], counts[len(counts)/2]
	if top < 50*median {
		t.Errorf("dstport 443: top device has %d rows, median %d; want heavy skew", top, median)
	}
	// A handful of servers take most web traffic.
	webCounts := make([]int, 0, len(web))
	total := 0
	for _, c := range web {
		webCounts = append(webCounts, c)
		total += c
	}
	slices.Sort(webCounts)
	top5 := 0
	for _, c := range webCounts[len(webCounts)-5:] {
		top5 += c
	}
	if float64(top5) < 0.7*float64(total) {
		t.Errorf("top 5 web servers receive %d of %d web rows, want most", top5, total)
	}
	// Ordinary devices are Zipf-skewed too.
	src := map[string]int{}
	for _, r := range rows {
		src[r.SrcDevice]++
	}
	best := 0
	for _, c := range src {
		best = max(best, c)
	}
	if best < len(rows)/50 {
		t.Errorf("most common srcdevice has %d of %d rows, want skew", best, len(rows))
	}
}

func TestDevicesOption(t *testing.T) {
	rows := decodeAll(t, generate(t, Options{Seed: 2, Devices: 10}, 20000))
	seen := map[string]bool{}
	for _, r := range rows {
		for _, d := range []string{r.SrcDevice, r.DstDevice} {
			if strings.HasPrefix(d, "Comp") {
				seen[d] = true
			}
		}
	}
	if len(seen) != 10 {
		t.Errorf("Devices: 10 gave %d distinct ordinary devices", len(seen))
	}
}

func TestTime(t *testing.T) {
	// Defaults: starts at 172800, 3200 rows per second.
	rows := parseAll(t, generate(t, Options{}, 6401))
	for i, want := range map[int]float64{0: 172800, 3199: 172800, 3200: 172801, 6400: 172802} {
		if got := rows[i].num["time"]; got != want {
			t.Errorf("default options: row %d time %v, want %v", i, got, want)
		}
	}

	dir := t.TempDir()
	opts := Options{Files: 3, RowsPerFile: 1000, Seed: 9, StartTime: 5000, RowsPerSecond: 700}
	paths, err := WriteDir(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	prev := -1.0
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range parseAll(t, b) {
			tm := r.num["time"]
			if want := 5000 + float64(i/700); tm != want {
				t.Fatalf("row %d (%s): time %v, want %v", i, filepath.Base(p), tm, want)
			}
			if tm < prev {
				t.Fatalf("row %d: time decreased from %v to %v", i, prev, tm)
			}
			prev = tm
			i++
		}
	}
	if i != 3000 || prev != 5004 {
		t.Fatalf("read %d rows ending at %v, want 3000 ending at 5004", i, prev)
	}
}

func TestWriteDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b") // created if missing
	opts := Options{Files: 4, RowsPerFile: 250, Seed: 4}
	paths, err := WriteDir(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"flows_0001.json", "flows_0002.json", "flows_0003.json", "flows_0004.json"}
	var gotPaths []string
	for _, w := range want {
		gotPaths = append(gotPaths, filepath.Join(dir, w))
	}
	if !slices.Equal(paths, gotPaths) {
		t.Fatalf("paths %v, want %v", paths, gotPaths)
	}
	assertDir := func(want []string) {
		t.Helper()
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		if !slices.Equal(names, want) {
			t.Fatalf("dir holds %v, want %v (no temporary files)", names, want)
		}
	}
	assertDir(want)

	// The files concatenated equal one stream of Files*RowsPerFile rows.
	var all []byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(b, []byte("\n")); n != 250 {
			t.Fatalf("%s: %d rows, want 250", p, n)
		}
		all = append(all, b...)
	}
	if !bytes.Equal(all, generate(t, opts, 1000)) {
		t.Fatal("WriteDir files differ from Write of the same stream")
	}

	// Rewriting replaces the files with identical content.
	if _, err := WriteDir(dir, opts); err != nil {
		t.Fatal(err)
	}
	assertDir(want)
	b, _ := os.ReadFile(paths[0])
	if !bytes.Equal(b, all[:len(b)]) {
		t.Fatal("rewrite changed content")
	}

	// Defaults: one file of 1000 rows.
	dir2 := t.TempDir()
	paths, err = WriteDir(dir2, Options{})
	if err != nil || len(paths) != 1 || filepath.Base(paths[0]) != "flows_0001.json" {
		t.Fatalf("defaults: %v %v", paths, err)
	}
	if b, _ := os.ReadFile(paths[0]); bytes.Count(b, []byte("\n")) != 1000 {
		t.Fatal("defaults: want 1000 rows")
	}

	// Invalid options.
	for _, o := range []Options{{Files: MaxFiles + 1}, {Files: -1}, {RowsPerFile: -1}} {
		if _, err := WriteDir(t.TempDir(), o); err == nil {
			t.Errorf("%+v: want error", o)
		}
	}
}

func TestWriteDirFailureLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	// A directory squats on the second file's name, so its rename fails.
	if err := os.Mkdir(filepath.Join(dir, "flows_0002.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "flows_0002.json", "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	paths, err := WriteDir(dir, Options{Files: 3, RowsPerFile: 10})
	if err == nil {
		t.Fatal("want error when the target name is a non-empty directory")
	}
	if len(paths) != 1 || filepath.Base(paths[0]) != "flows_0001.json" {
		t.Fatalf("paths written before the failure: %v", paths)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Fatalf("temporary file %s left behind", e.Name())
		}
	}
	if len(ents) != 2 {
		t.Fatalf("dir holds %d entries, want flows_0001.json and flows_0002.json", len(ents))
	}
}

func TestNumberFormatting(t *testing.T) {
	for _, v := range []uint64{0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 172800, 1<<53 + 1, math.MaxUint64} {
		want := strconv.FormatUint(v, 10) + ".0"
		if got := string(appendFloatU([]byte("x"), v)); got != "x"+want {
			t.Errorf("appendFloatU(%d) = %q, want %q", v, got, "x"+want)
		}
	}
	for _, v := range []int64{0, 5, -5, -172800, math.MinInt64 + 1, math.MaxInt64} {
		want := strconv.FormatInt(v, 10) + ".0"
		if got := string(appendFloat(nil, v)); got != want {
			t.Errorf("appendFloat(%d) = %q, want %q", v, got, want)
		}
	}
	for _, tc := range []struct {
		v     uint32
		width int
		want  string
	}{{0, 5, "00000"}, {5507, 5, "05507"}, {99999, 5, "99999"}, {0, 6, "000000"}, {123, 6, "000123"}, {999999, 6, "999999"}, {348305, 6, "348305"}} {
		if got := string(appendPadded(nil, tc.v, tc.width)); got != tc.want {
			t.Errorf("appendPadded(%d, %d) = %q, want %q", tc.v, tc.width, got, tc.want)
		}
	}
}

// TestGuide checks the guide-table device search against a full binary
// search, including bucket edges.
func TestGuide(t *testing.T) {
	for _, n := range []int{1, 2, 10, 20000} {
		g := New(Options{Devices: n, Seed: uint64(n)})
		total := g.cum[n-1]
		check := func(u uint64) {
			j := u * guideBuckets / total
			got := g.rank(int(g.guide[j]), int(g.guide[j+1]), u)
			if want := g.rank(0, n-1, u); got != want {
				t.Fatalf("n=%d u=%d: guided rank %d, want %d", n, u, got, want)
			}
		}
		for j := range uint64(guideBuckets) {
			edge := j * total / guideBuckets
			for _, u := range []uint64{edge, edge + 1, max(edge, 1) - 1} {
				if u < total {
					check(u)
				}
			}
		}
		for _, r := range g.cum {
			check(r - 1)
			if r < total {
				check(r)
			}
		}
		check(total - 1)
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n += len(p); f.n > 1<<20 {
		return 0, io.ErrShortWrite
	}
	return len(p), nil
}

func TestWriteErrors(t *testing.T) {
	if err := Write(io.Discard, New(Options{}), -1); err == nil {
		t.Error("negative n: want error")
	}
	if err := Write(&failWriter{}, New(Options{}), 100000); err == nil {
		t.Error("failing writer: want error")
	}
}

func TestNoAllocs(t *testing.T) {
	g := New(Options{})
	buf := make([]byte, 0, 4096)
	if a := testing.AllocsPerRun(1000, func() { buf = g.AppendRow(buf[:0]) }); a != 0 {
		t.Errorf("AppendRow allocates %v times per row", a)
	}
	bw := bufio.NewWriter(io.Discard)
	if a := testing.AllocsPerRun(10, func() { _ = Write(bw, g, 1000) }); a > 2 {
		t.Errorf("Write of 1000 rows allocates %v times, want only its buffer", a)
	}
}

func ExampleNew() {
	g := New(Options{Seed: 1})
	var line []byte
	for range 3 {
		line = g.AppendRow(line[:0])
		fmt.Print(string(line))
	}
	// Output:
	// {"time": 172800.0, "duration": 0.0, "srcdevice": "Comp290465", "dstdevice": "Comp100409", "protocol": 6.0, "srcport": "53", "dstport": "53", "srcpackets": 0.0, "dstpackets": 1.0, "srcbytes": 0.0, "dstbytes": 89.0}
	// {"time": 172800.0, "duration": 31.0, "srcdevice": "Comp425088", "dstdevice": "Comp710738", "protocol": 6.0, "srcport": "Port16654", "dstport": "Port35995", "srcpackets": 3.0, "dstpackets": 1.0, "srcbytes": 3414.0, "dstbytes": 344.0}
	// {"time": 172800.0, "duration": 3.0, "srcdevice": "Comp736701", "dstdevice": "Comp185312", "protocol": 6.0, "srcport": "Port65531", "dstport": "Port50158", "srcpackets": 4.0, "dstpackets": 1.0, "srcbytes": 228.0, "dstbytes": 691.0}
}

func BenchmarkAppendRow(b *testing.B) {
	// Bytes per row, averaged over a sample of the same stream.
	sample := generate(b, Options{}, 10000)
	b.SetBytes(int64(len(sample) / 10000))
	b.ReportAllocs()
	g := New(Options{})
	buf := make([]byte, 0, MaxRowLen)
	for b.Loop() {
		buf = g.AppendRow(buf[:0])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkWrite(b *testing.B) {
	const rows = 100000
	sample := generate(b, Options{}, rows)
	b.SetBytes(int64(len(sample)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, New(Options{}), rows); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*rows/b.Elapsed().Seconds(), "rows/s")
}
