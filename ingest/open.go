package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"brook/decode"
	"brook/value"
)

// DefaultMaxRecords caps the lines of one micro-batch from a streaming
// source (stdin, TCP, Kafka) when Options.MaxRecords is not set.
const DefaultMaxRecords = 100_000

// Options configure a source opened by Open. Fields that do not apply to a
// kind of source are ignored by it.
type Options struct {
	// StopAtEnd makes a Kafka source read each partition up to its end
	// when the source opens, then end, as stop=end does (unless the URI
	// has a stop parameter of its own).
	StopAtEnd bool
	// FilesPerBatch is how many files make one micro-batch of a directory
	// source (default 1).
	FilesPerBatch int
	// Follow keeps a directory source watching for new files, makes a
	// tcp:// source reconnect when the peer closes, and keeps a
	// tcp-listen:// source accepting producers after the last one left.
	Follow bool
	// Trigger is the processing-time interval between micro-batches: a
	// batch is what arrived in the interval (capped by MaxRecords). Zero
	// delivers whatever has arrived as soon as anything has. For a
	// directory source it is the polling interval.
	Trigger time.Duration
	// MaxRecords caps the lines (records) of one micro-batch of a
	// streaming source (default DefaultMaxRecords); kafka:// URIs may set
	// their own with max=N.
	MaxRecords int
	// ExitIdle ends the source (ErrEndOfInput) once nothing has arrived
	// for this long; zero waits for ever.
	ExitIdle time.Duration
	// PartIdle is how long a part of a parted source (a Kafka partition)
	// that has delivered everything it held goes without new records
	// before it stops holding the watermark back (see RawBatch.Parted;
	// default DefaultPartIdle). A part that still holds unread records is
	// never idle.
	PartIdle time.Duration
	// Stdin is what "-" and "stdin:" read (default: nothing, an error).
	Stdin io.Reader
	// MaxLineBytes bounds how much of one line a line-reading source
	// (standard input, tcp://, tcp-listen://) holds: a longer line is cut
	// to MaxLineBytes+1 bytes (at least MaxRawKept+1) as it is read and the
	// rest dropped unread into memory (see LimitLines; default
	// DefaultMaxLineBytes), so that an
	// endless line cannot exhaust memory. Give decoders the same maximum,
	// and they reject the cut line as too long.
	MaxLineBytes int
	// Settle is how long a followed file must stay unchanged, ending with
	// a newline, before it is read (default 1s; see DirSource).
	Settle time.Duration
	// Waiting, when set, is told once, when a source that may wait for
	// input indefinitely is open, what it waits on: "reading standard
	// input", "listening on tcp-listen://127.0.0.1:4000 for producers"
	// (the address it got, useful with port 0), "following DIR for new
	// files".
	Waiting func(what string)
	// Warn, when set, is told what a source found that the user should
	// know though the run goes on or ends normally: a Kafka group that
	// read nothing because its offsets were at the end of the topic.
	Warn func(msg string)
}

// waiting tells opts.Waiting, if set, what the source waits on.
func (o Options) waiting(format string, args ...any) {
	if o.Waiting != nil {
		o.Waiting(fmt.Sprintf(format, args...))
	}
}

// DefaultPartIdle is Options.PartIdle when not set: a Kafka partition
// read up to its end stops holding the watermark back after 30 seconds
// without a new record.
const DefaultPartIdle = 30 * time.Second

func (o Options) partIdle() time.Duration {
	if o.PartIdle <= 0 {
		return DefaultPartIdle
	}
	return o.PartIdle
}

func (o Options) maxRecords() int {
	if o.MaxRecords <= 0 {
		return DefaultMaxRecords
	}
	return o.MaxRecords
}

// Acker is implemented by sources that must learn when a batch's results
// have been written, such as a Kafka consumer group committing offsets.
// Ack acknowledges b and every batch the source delivered before it; the
// consumer calls it once the batch's results are emitted, in delivery
// order.
type Acker interface {
	Ack(ctx context.Context, b *RawBatch) error
}

// Opener opens a source of one URI scheme.
type Opener func(uri string, opts Options) (Source, error)

var (
	registryMu sync.Mutex
	registry   = map[string]Opener{}
)

// Register makes Open hand URIs of scheme ("tcp", "kafka", ...) to open.
// A later registration of the same scheme replaces the earlier one.
func Register(scheme string, open Opener) {
	registryMu.Lock()
	defer registryMu.Unlock()
	registry[strings.ToLower(scheme)] = open
}

// Schemes lists the registered URI schemes, sorted.
func Schemes() []string {
	registryMu.Lock()
	defer registryMu.Unlock()
	var s []string
	for k := range registry {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

func init() {
	Register("stdin", openStdin)
	Register("tcp", openTCP)
	Register("tcp-listen", openTCPListen)
	Register("kafka", openKafka)
	Register("file", func(uri string, opts Options) (Source, error) {
		return openPath(LocalPath(uri), opts)
	})
}

// LocalPath returns the path a file: URI (file:///data/flows, or
// file:data/flows for a relative one) names; any other --source value is
// returned as it is.
func LocalPath(uri string) string {
	if Scheme(uri) != "file" {
		return uri
	}
	return strings.TrimPrefix(uri[len("file:"):], "//")
}

// Scheme returns the URI scheme of a --source value in lower case: "stdin"
// for "-", "" for a plain path (a directory, glob or file).
func Scheme(uri string) string {
	if uri == "-" {
		return "stdin"
	}
	i := strings.Index(uri, ":")
	if i <= 1 { // "C:\..." or no colon: a path
		return ""
	}
	s := strings.ToLower(uri[:i])
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.') {
			return ""
		}
	}
	registryMu.Lock()
	_, known := registry[s]
	registryMu.Unlock()
	if !known && !strings.HasPrefix(uri[i:], "://") {
		return "" // "data:2024/x.json" is a path; "foo://x" is an unknown scheme
	}
	return s
}

// IsStream reports whether uri names a streaming source (anything but a
// directory, glob or file): its records are not files the baseline can
// read, so they are spooled (see stream.Spool) and its schema is inferred
// from the first records it delivers.
func IsStream(uri string) bool {
	s := Scheme(uri)
	return s != "" && s != "file"
}

// Open opens the source uri names: "-" or "stdin:" (standard input),
// tcp://host:port, tcp-listen://host:port,
// kafka://broker1,broker2/topic?group=G&start=earliest|latest&max=N,
// file:///path or a plain directory, glob or file path.
func Open(uri string, opts Options) (Source, error) {
	if uri == "" {
		return nil, errors.New("empty source")
	}
	s := Scheme(uri)
	if s == "" {
		return openPath(uri, opts)
	}
	registryMu.Lock()
	open, ok := registry[s]
	registryMu.Unlock()
	if !ok {
		return nil, fmt.Errorf("source %s: unknown scheme %q (known: %s, or a directory, glob or file path)", uri, s, strings.Join(Schemes(), ", "))
	}
	return open(uri, opts)
}

// LimitLines returns a reader of r's bytes in which every line longer than
// limit bytes (without its newline) is cut to its first limit+1 bytes: the
// rest, up to the newline, is dropped as it is read. A line reader over it
// holds at most limit+1 bytes of any line, and a Decoder with the same
// maximum rejects the cut line as too long, at its right line number.
// limit <= 0 means DefaultMaxLineBytes.
func LimitLines(r io.Reader, limit int) io.Reader {
	if limit <= 0 {
		limit = DefaultMaxLineBytes
	}
	return &lineLimiter{r: r, limit: limit}
}

type lineLimiter struct {
	r     io.Reader
	limit int
	n     int // bytes of the current line passed on
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	for {
		n, err := l.r.Read(p)
		in, out := p[:n], 0
		for len(in) > 0 {
			seg, nl := in, false
			if i := bytes.IndexByte(in, '\n'); i >= 0 {
				seg, nl = in[:i], true
			}
			keep := min(len(seg), max(l.limit+1-l.n, 0))
			out += copy(p[out:], seg[:keep])
			l.n += keep
			in = in[len(seg):]
			if nl {
				p[out] = '\n'
				out++
				l.n = 0
				in = in[1:]
			}
		}
		if out > 0 || err != nil || n == 0 {
			return out, err
		}
	}
}

func openPath(path string, opts Options) (Source, error) {
	src, err := OpenDir(DirOptions{Path: path, FilesPerBatch: opts.FilesPerBatch, Follow: opts.Follow, Poll: opts.Trigger, Trigger: opts.Trigger,
		Settle: opts.Settle, Note: opts.Waiting})
	if err != nil {
		return nil, err
	}
	if opts.Follow {
		opts.waiting("following %s for new files", path)
	}
	if opts.ExitIdle > 0 && opts.Follow {
		return &idleSource{DirSource: src, idle: opts.ExitIdle}, nil
	}
	return src, nil
}

// idleSource ends a followed directory source once no file has arrived for
// idle. A DirSource's Next either returns a whole batch or nothing, so
// canceling it loses nothing.
type idleSource struct {
	*DirSource
	idle time.Duration
}

func (s *idleSource) Next(ctx context.Context) (*RawBatch, error) {
	ictx, cancel := context.WithTimeout(ctx, s.idle)
	defer cancel()
	b, err := s.DirSource.Next(ictx)
	if err != nil && ctx.Err() == nil && ictx.Err() != nil {
		return nil, ErrEndOfInput
	}
	return b, err
}

// Prefixed returns a source that delivers first, in order, then what src
// delivers. It acknowledges through src when src is an Acker. The schema
// sampler uses it to give back the batches it read.
func Prefixed(src Source, first []*RawBatch) Source {
	return &prefixed{Source: src, first: first}
}

type prefixed struct {
	Source
	first []*RawBatch
}

func (p *prefixed) Next(ctx context.Context) (*RawBatch, error) {
	if len(p.first) > 0 {
		b := p.first[0]
		p.first = p.first[1:]
		return b, nil
	}
	return p.Source.Next(ctx)
}

// Ack acknowledges through the wrapped source, if it takes acks.
func (p *prefixed) Ack(ctx context.Context, b *RawBatch) error {
	if a, ok := p.Source.(Acker); ok {
		return a.Ack(ctx, b)
	}
	return nil
}

// Resume resumes the wrapped source from a checkpoint's position (see
// KafkaSource.Resume): the sampled batches are dropped, since reading
// starts over at the position. A source that cannot resume is an error.
func (p *prefixed) Resume(files []string, offsets map[string]int64) error {
	r, ok := p.Source.(interface {
		Resume(files []string, offsets map[string]int64) error
	})
	if !ok {
		return errors.New("checkpoint: this source cannot resume from a checkpoint")
	}
	for _, b := range p.first {
		b.Release()
	}
	p.first = nil
	return r.Resume(files, offsets)
}

// ReplayUntil passes a replay bound on to the wrapped source (see
// KafkaSource.ReplayUntil), if it takes one.
func (p *prefixed) ReplayUntil(ends map[string]int64) error {
	if r, ok := p.Source.(interface {
		ReplayUntil(ends map[string]int64) error
	}); ok {
		return r.ReplayUntil(ends)
	}
	return nil
}

// SampleQuiet is how long Sample waits for more input, once some has
// arrived, before it infers from what it has.
const SampleQuiet = 500 * time.Millisecond

// Sample reads batches from a streaming source until it holds sampleRows
// records, the source ends, or no more input arrives for SampleQuiet, and
// infers a schema from those records (the first sampleRows, as Infer does
// for files). It returns the schema and a source that delivers the sampled
// batches again before the rest, so nothing read is lost.
func Sample(ctx context.Context, src Source, sampleRows int) (value.Schema, Source, error) {
	if sampleRows <= 0 {
		sampleRows = DefaultSampleRows
	}
	var got []*RawBatch
	lines := 0
	for lines < sampleRows {
		nctx, cancel := ctx, context.CancelFunc(func() {})
		if lines > 0 {
			nctx, cancel = context.WithTimeout(ctx, SampleQuiet)
		}
		b, err := src.Next(nctx)
		cancel()
		if err != nil {
			if errors.Is(err, ErrEndOfInput) || (ctx.Err() == nil && nctx.Err() != nil) {
				break
			}
			return nil, nil, err
		}
		if b == nil {
			continue
		}
		got = append(got, b)
		for _, c := range b.Chunks {
			lines += bytes.Count(c.Data, []byte{'\n'})
		}
	}
	var chunks [][]byte
	for _, b := range got {
		for _, c := range b.Chunks {
			chunks = append(chunks, c.Data)
		}
	}
	s, err := InferData(chunks, sampleRows)
	if err != nil {
		return nil, Prefixed(src, got), err
	}
	return s, Prefixed(src, got), nil
}

// InferData is Infer over NDJSON text already in memory: the chunks are
// read in order as if they were one file.
func InferData(chunks [][]byte, sampleRows int) (value.Schema, error) {
	smp := decode.NewSampler(sampleRowsOr(sampleRows))
	for i, data := range chunks {
		smp.Feed(data, i == 0)
	}
	return smp.Schema(errors.New("no JSON records arrived to infer a schema from; declare one with --schema"))
}
