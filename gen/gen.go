package gen

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"math/bits"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// Defaults applied by New and WriteDir to zero (or negative) Options fields.
const (
	DefaultFiles         = 1
	DefaultRowsPerFile   = 1000
	DefaultStartTime     = 172800
	DefaultRowsPerSecond = 3200
	DefaultDevices       = 20000

	// MaxDevices is the largest accepted Options.Devices; larger values are
	// clamped, because ordinary device names carry exactly six digits.
	MaxDevices = 1_000_000

	// MaxFiles is the largest Options.Files accepted by WriteDir; file names
	// carry exactly four digits so that name order equals time order.
	MaxFiles = 9999

	// MaxRowLen is an upper bound on the length in bytes of one row produced
	// by AppendRow, including the trailing newline.
	MaxRowLen = 512
)

// pcgStream is the fixed second PCG seed word ("brookgen"); changing it
// changes every generated data set.
const pcgStream = 0x62726f6f6b67656e

// Options configures a generated data set.
//
// Zero-valued fields take the documented defaults (New also applies the
// defaults to negative values). The same Options always yield the same
// bytes.
type Options struct {
	Files         int     // number of files (default 1 when 0); WriteDir only
	RowsPerFile   int     // rows per file (default 1000 when 0); WriteDir only
	Seed          uint64  // RNG seed (0 is a valid seed)
	StartTime     float64 // first event time in seconds (default 172800 when 0); fractional part is discarded, must lie within ±2^53
	RowsPerSecond int     // rows per event-time second (default 3200 when 0)
	Devices       int     // distinct ordinary devices (default 20000 when 0, clamped to MaxDevices)
}

// withDefaults returns opts with non-positive fields replaced by defaults.
func (o Options) withDefaults() Options {
	if o.Files <= 0 {
		o.Files = DefaultFiles
	}
	if o.RowsPerFile <= 0 {
		o.RowsPerFile = DefaultRowsPerFile
	}
	if o.StartTime == 0 || math.IsNaN(o.StartTime) {
		o.StartTime = DefaultStartTime
	}
	if o.RowsPerSecond <= 0 {
		o.RowsPerSecond = DefaultRowsPerSecond
	}
	if o.Devices <= 0 {
		o.Devices = DefaultDevices
	}
	if o.Devices > MaxDevices {
		o.Devices = MaxDevices
	}
	return o
}

// Device codes: values below MaxDevices are ordinary "CompNNNNNN" devices;
// values from namedBase up index namedHosts.
const (
	namedBase    = MaxDevices
	hostApp      = namedBase + 0
	hostAD       = namedBase + 1
	hostVPN      = namedBase + 2
	hostMail     = namedBase + 3
	anonPorts    = 100000 // anonymised ports are "Port" + 5 digits
	wkBase       = anonPorts
	anonPortBits = 16 // anonymised port ranks are drawn from [0, 1<<anonPortBits)
)

var namedHosts = [...]string{"EnterpriseAppServer", "ActiveDirectory", "VPN", "Mail"}

// wellKnown lists the numeric ports with their cumulative per-mille share
// of all rows' dstport; the last entry's share (450) is the numeric total.
var wellKnown = [...]struct {
	name string
	cum  uint64
}{
	{"80", 120},
	{"443", 260},
	{"53", 330},
	{"8000", 350},
	{"22", 365},
	{"445", 395},
	{"3389", 405},
	{"123", 420},
	{"137", 435},
	{"389", 450},
}

// Indices into wellKnown, as port codes (wkBase + index).
const (
	p80 = wkBase + iota
	p443
	p53
	p8000
	p22
	p445
	p3389
	p123
	p137
	p389
)

// webRanks are the popularity ranks of the heavy web servers and webCum
// their cumulative per-cent share of the web traffic they receive.
var (
	webRanks = [...]int{1, 4, 9, 23, 57}
	webCum   = [...]uint64{40, 65, 80, 92, 100}
)

// Generator produces rows one at a time, deterministically: a Generator
// made by New with given Options always yields the same sequence of rows.
// Row i (counting from 0) has time floor(StartTime) + i/RowsPerSecond.
// A Generator is not safe for concurrent use.
type Generator struct {
	rng   rand.PCG
	row   int64
	start int64
	rps   int64
	cum   []uint64 // cum[r] = total Zipf weight of ranks 0..r
	guide []int32  // guide[j] = rank of the smallest draw in bucket j (see device)
	ids   []uint32 // ids[r] = device number of popularity rank r
	web   [len(webRanks)]uint32
}

// New returns a Generator for opts (after applying the defaults; Files and
// RowsPerFile are ignored). Its output depends only on opts.Seed,
// opts.StartTime, opts.RowsPerSecond and opts.Devices, and uses integer
// arithmetic only, so it is byte-identical on every platform.
func New(opts Options) *Generator {
	opts = opts.withDefaults()
	g := &Generator{
		start: int64(math.Floor(opts.StartTime)),
		rps:   int64(opts.RowsPerSecond),
	}
	g.rng.Seed(opts.Seed, pcgStream)

	n := opts.Devices
	// Zipf (s=1) over popularity ranks with integer weights 2^40/(r+1).
	g.cum = make([]uint64, n)
	var total uint64
	for r := range n {
		total += (1 << 40) / uint64(r+1)
		g.cum[r] = total
	}
	// Ranks map to device numbers through a seed-dependent bijection of
	// [0, MaxDevices) (7919 is coprime to 10^6), spreading the ids out.
	off := g.below(MaxDevices)
	g.ids = make([]uint32, n)
	for r := range n {
		g.ids[r] = uint32((uint64(r)*7919 + off) % MaxDevices)
	}
	g.guide = make([]int32, guideBuckets+1)
	total = g.cum[n-1]
	for j := range guideBuckets {
		g.guide[j] = int32(g.rank(0, n-1, (uint64(j)*total+guideBuckets-1)/guideBuckets))
	}
	g.guide[guideBuckets] = int32(n - 1)
	for i, r := range webRanks {
		g.web[i] = g.ids[r%n]
	}
	return g
}

// below returns a pseudo-random integer in [0, n) (n > 0).
func (g *Generator) below(n uint64) uint64 {
	hi, _ := bits.Mul64(g.rng.Uint64(), n)
	return hi
}

// guideBuckets is the number of equal slices of the Zipf weight range that
// the guide table indexes, narrowing each device search to a few ranks.
const guideBuckets = 8192

// device returns a Zipf-distributed ordinary device.
func (g *Generator) device() uint32 {
	total := g.cum[len(g.cum)-1]
	u := g.below(total)
	j := u * guideBuckets / total // u < 2^44, so no overflow
	return g.ids[g.rank(int(g.guide[j]), int(g.guide[j+1]), u)]
}

// rank returns the smallest r in [lo, hi] with cum[r] > u, given that it
// lies in that range.
func (g *Generator) rank(lo, hi int, u uint64) int {
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if g.cum[m] > u {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// anonPort returns a skewed anonymised port number in [0, anonPorts). Ranks
// are log-uniform over [minBits, anonPortBits] bit lengths (density ~1/x) and
// mapped injectively into [0, 100000).
func (g *Generator) anonPort(minBits uint64) uint32 {
	b := minBits + g.below(anonPortBits-minBits)
	r := uint64(1)<<b - 1 + g.below(uint64(1)<<b)
	return uint32((r*7927 + 5507) % anonPorts)
}

// wellKnownPort returns a numeric port code drawn with the wellKnown mix.
func (g *Generator) wellKnownPort() uint32 {
	u := g.below(wellKnown[len(wellKnown)-1].cum)
	i := 0
	for wellKnown[i].cum <= u {
		i++
	}
	return uint32(wkBase + i)
}

// packets returns a heavy-tailed (Pareto, alpha ~1) positive packet count.
func (g *Generator) packets() uint64 {
	b := uint64(bits.TrailingZeros64(g.rng.Uint64() | 1<<20))
	return 1<<b + g.below(1<<b)
}

// bytesFor returns a byte count for p packets: p times a per-flow packet
// size in [40, 1500], biased towards small packets.
func (g *Generator) bytesFor(p uint64) uint64 {
	if p == 0 {
		return 0
	}
	if g.below(10) < 6 {
		return p * (40 + g.below(61))
	}
	return p * (40 + g.below(1461))
}

// AppendRow appends the next row to dst as one JSON object followed by
// '\n' and returns the extended slice. It appends at most MaxRowLen bytes
// and allocates only if dst lacks the capacity.
func (g *Generator) AppendRow(dst []byte) []byte {
	t := g.start + g.row/g.rps
	g.row++

	// dstport and protocol.
	var dport uint32
	var proto uint64 = 6
	if g.below(1000) < wellKnown[len(wellKnown)-1].cum {
		dport = g.wellKnownPort()
		switch dport {
		case p53:
			if g.below(100) < 95 {
				proto = 17
			}
		case p123, p137:
			proto = 17
		}
	} else {
		dport = g.anonPort(0)
		switch u := g.below(1000); {
		case u < 15:
			proto = 1
		case u < 130:
			proto = 17
		}
	}

	// dstdevice.
	var dst0 uint32
	u := g.below(100)
	switch dport {
	case p80, p443, p8000:
		switch {
		case u < 85:
			w := g.below(100)
			i := 0
			for webCum[i] <= w {
				i++
			}
			dst0 = g.web[i]
		case dport == p443 && u < 90:
			dst0 = hostVPN
		default:
			dst0 = g.device()
		}
	case p389, p445, p137, p53:
		if u < 50 {
			dst0 = hostAD
		} else {
			dst0 = g.device()
		}
	case p123:
		if u < 30 {
			dst0 = hostAD
		} else {
			dst0 = g.device()
		}
	case p22, p3389:
		dst0 = g.device()
	default:
		switch {
		case u < 6:
			dst0 = hostApp
		case u < 8:
			dst0 = hostMail
		case u < 9:
			dst0 = hostVPN
		case u < 10:
			dst0 = hostAD
		default:
			dst0 = g.device()
		}
	}

	// srcdevice, never equal to dstdevice when avoidable.
	var src uint32
	switch v := g.below(1000); {
	case v < 10:
		src = hostApp
	case v < 15:
		src = hostVPN
	default:
		src = g.device()
	}
	for i := 0; src == dst0 && i < 16; i++ {
		src = g.device()
	}
	if src == dst0 { // only with very few Devices; dst0 is then ordinary
		src = hostApp
	}

	// srcport: mostly anonymised ephemeral ports, sometimes numeric.
	var sport uint32
	switch v := g.below(100); {
	case (dport == p123 || dport == p137) && v < 50:
		sport = dport
	case v < 6:
		sport = g.wellKnownPort()
	default:
		sport = g.anonPort(8)
	}

	// Packets and bytes.
	var sp, dp uint64
	switch v := g.below(100); {
	case v < 25:
		dp = g.packets()
	case v < 35 || proto == 1:
		sp = g.packets()
	default:
		sp, dp = g.packets(), g.packets()
	}
	sb, db := g.bytesFor(sp), g.bytesFor(dp)

	// Duration: mostly 0, else small, plus time to move big flows.
	var dur uint64
	switch v := g.below(100); {
	case v < 70:
	case v < 90:
		dur = 1 + g.below(5)
	case v < 98:
		dur = 6 + g.below(55)
	default:
		dur = 61 + g.below(3540)
	}
	dur += (sp + dp) / 1000

	dst = append(dst, `{"time": `...)
	dst = appendFloat(dst, t)
	dst = append(dst, `, "duration": `...)
	dst = appendFloatU(dst, dur)
	dst = append(dst, `, "srcdevice": "`...)
	dst = appendDevice(dst, src)
	dst = append(dst, `", "dstdevice": "`...)
	dst = appendDevice(dst, dst0)
	dst = append(dst, `", "protocol": `...)
	dst = appendFloatU(dst, proto)
	dst = append(dst, `, "srcport": "`...)
	dst = appendPort(dst, sport)
	dst = append(dst, `", "dstport": "`...)
	dst = appendPort(dst, dport)
	dst = append(dst, `", "srcpackets": `...)
	dst = appendFloatU(dst, sp)
	dst = append(dst, `, "dstpackets": `...)
	dst = appendFloatU(dst, dp)
	dst = append(dst, `, "srcbytes": `...)
	dst = appendFloatU(dst, sb)
	dst = append(dst, `, "dstbytes": `...)
	dst = appendFloatU(dst, db)
	dst = append(dst, "}\n"...)
	return dst
}

// appendFloat appends the whole number v as a JSON double ("12.0").
func appendFloat(dst []byte, v int64) []byte {
	if v < 0 {
		dst = append(dst, '-')
		return appendFloatU(dst, uint64(-v))
	}
	return appendFloatU(dst, uint64(v))
}

// appendFloatU appends the whole number v as a JSON double ("12.0").
func appendFloatU(dst []byte, v uint64) []byte {
	if v < 10 {
		return append(dst, byte('0'+v), '.', '0')
	}
	var b [24]byte
	i := len(b)
	b[i-1], b[i-2] = '0', '.'
	i -= 2
	for v >= 100 {
		q := v / 100
		k := (v - q*100) * 2
		i -= 2
		b[i], b[i+1] = digitPairs[k], digitPairs[k+1]
		v = q
	}
	if v >= 10 {
		i -= 2
		b[i], b[i+1] = digitPairs[v*2], digitPairs[v*2+1]
	} else {
		i--
		b[i] = byte('0' + v)
	}
	return append(dst, b[i:]...)
}

// digitPairs holds "00" through "99".
const digitPairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// appendPadded appends v as exactly width decimal digits (v < 10^width,
// width <= 8).
func appendPadded(dst []byte, v uint32, width int) []byte {
	var b [8]byte
	i := width
	for i >= 2 {
		q := v / 100
		k := (v - q*100) * 2
		i -= 2
		b[i], b[i+1] = digitPairs[k], digitPairs[k+1]
		v = q
	}
	if i == 1 {
		b[0] = byte('0' + v)
	}
	return append(dst, b[:width]...)
}

func appendDevice(dst []byte, d uint32) []byte {
	if d >= namedBase {
		return append(dst, namedHosts[d-namedBase]...)
	}
	return appendPadded(append(dst, "Comp"...), d, 6)
}

func appendPort(dst []byte, p uint32) []byte {
	if p >= wkBase {
		return append(dst, wellKnown[p-wkBase].name...)
	}
	return appendPadded(append(dst, "Port"...), p, 5)
}

// Write writes the next n rows of g to w, buffered, and returns the first
// write error. n == 0 writes nothing; negative n is an error. It does not
// allocate per row.
func Write(w io.Writer, g *Generator, n int) error {
	if n < 0 {
		return fmt.Errorf("gen: negative row count %d", n)
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	for range n {
		if bw.Available() < MaxRowLen {
			if err := bw.Flush(); err != nil {
				return err
			}
		}
		// The row fits in the available buffer, so append never reallocates.
		if _, err := bw.Write(g.AppendRow(bw.AvailableBuffer())); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// FileName returns the name of the i-th (1-based) file written by WriteDir:
// "flows_0001.json" for i == 1.
func FileName(i int) string {
	return fmt.Sprintf("flows_%04d.json", i)
}

// WriteDir writes opts.Files files named flows_0001.json, flows_0002.json,
// ... (4 digits, name order = time order) into dir (created if missing),
// each with opts.RowsPerFile rows; each file is written to a temporary name
// starting with "." in the same dir and renamed into place (atomic),
// replacing any existing file of that name. Returns the list of written
// paths in order.
//
// All files come from one Generator, so their concatenation equals
// Write(w, New(opts), opts.Files*opts.RowsPerFile). Negative Files or
// RowsPerFile, or Files > MaxFiles, is an error. On error no temporary file
// is left behind; files already renamed into place stay.
func WriteDir(dir string, opts Options) ([]string, error) {
	return WriteDirContext(context.Background(), dir, opts)
}

// WriteDirContext is WriteDir that stops, with ctx's error, once ctx ends:
// the file being written is abandoned (its temporary file removed) and the
// files already renamed into place stay.
func WriteDirContext(ctx context.Context, dir string, opts Options) ([]string, error) {
	if opts.Files < 0 || opts.RowsPerFile < 0 {
		return nil, fmt.Errorf("gen: negative Files (%d) or RowsPerFile (%d)", opts.Files, opts.RowsPerFile)
	}
	opts = opts.withDefaults()
	if opts.Files > MaxFiles {
		return nil, fmt.Errorf("gen: Files %d exceeds %d", opts.Files, MaxFiles)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	g := New(opts)
	paths := make([]string, 0, opts.Files)
	for i := 1; i <= opts.Files; i++ {
		p := filepath.Join(dir, FileName(i))
		if err := ctx.Err(); err != nil {
			return paths, err
		}
		if err := writeFile(ctx, p, g, opts.RowsPerFile); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// writeFile writes n rows of g to a ".name.*.tmp" file next to path, syncs
// it and renames it to path, removing the temporary file on failure.
func writeFile(ctx context.Context, path string, g *Generator, n int) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = Write(ctxWriter{ctx, f}, g, n); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return nil
}

// ctxWriter writes to w until ctx ends, then fails with ctx's error.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
