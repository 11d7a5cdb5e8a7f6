package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"brook/gen"
	"brook/ingest"
	"brook/metrics"
	"brook/sink"
)

const produceUsage = `Usage: brook produce [--from SOURCE] --to TARGET [flags]

Replays a data set into a place brook reads from, at a rate (rows per second)
or as fast as possible: it stands in for the Python producers of streaming
exercises.

SOURCE is a directory, glob or file of NDJSON (default testdata/flows), or the
generator: gen: or gen:rows=N,seed=S,devices=D,rps=R (LANL-like flows, as
brook gen writes them; rows defaults to 10000).

TARGET is one of
  DIR or file://DIR         one file per chunk (per --interval with --rate),
                            written under a temporary name, then renamed
  tcp://host:port           connect to a listener (brook run --source
                            NAME=tcp-listen://host:port; retried for 5 s
                            while it is not up yet) and send the lines
  tcp-listen://host:port    listen, and send the lines to the first client
                            that connects (brook run --source NAME=tcp://...)
  kafka://brokers/topic     one record per line (the topic is created if the
                            brokers allow it); a real cluster takes TLS and
                            SASL parameters as a source does:
                            ?tls=true&sasl=plain&user=NAME, the password in
                            $BROOK_KAFKA_PASSWORD (password-env=VAR for
                            another variable)

With --rate R, every --interval carries R x interval rows; without, chunks of
--chunk rows go as fast as the target takes them. A progress line is shown
when standard error is a terminal; otherwise brook produce is quiet.

Flags:
%s
Examples:
  brook produce --from gen:rows=100000 --to /tmp/incoming --rate 5000
  brook produce --from ../shared/datasets/lanl --to 'kafka://localhost:9092/network-traffic'
  brook produce --to tcp-listen://127.0.0.1:9999 --rate 1000 &
  brook run --source flows=tcp://127.0.0.1:9999 --trigger 1s --mode update queries/protocol_mix.sql
`

func cmdProduce(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("produce", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	from := fs.String("from", "testdata/flows", "what to replay: a directory, glob or file of NDJSON, - (standard input), or gen:rows=N,seed=S,devices=D,rps=R")
	to := fs.String("to", "", "where to: DIR, tcp://host:port, tcp-listen://host:port or kafka://brokers/topic (required)")
	rate := fs.Float64("rate", 0, "rows per second (0: as fast as possible)")
	interval := fs.Duration("interval", time.Second, "with --rate: how often a chunk (a file, for a directory) goes out")
	chunk := fs.Int("chunk", 10000, "without --rate: rows per chunk (per file, for a directory)")
	fs.Usage = func() { fmt.Fprintf(stderr, produceUsage, fs.FlagUsages()) }
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v (give --from and --to)", fs.Args())
	}
	if *to == "" {
		return fmt.Errorf("--to is required: a directory, tcp://host:port, tcp-listen://host:port or kafka://brokers/topic")
	}
	if *rate < 0 || *interval <= 0 || *chunk < 1 {
		return fmt.Errorf("--rate must be >= 0, --interval > 0 and --chunk >= 1")
	}
	per := *chunk
	if *rate > 0 {
		per = max(1, int(*rate*interval.Seconds()))
	}
	feed, err := openFeed(ctx, *from, stdin, stderr)
	if err != nil {
		return err
	}
	out, err := openTarget(ctx, *to, stderr)
	if err != nil {
		return err
	}
	prog := metrics.NewProgress(stderr)
	start := time.Now()
	rows := 0
	for {
		data, n, err := feed(per)
		if err != nil {
			out.close()
			return err
		}
		if n == 0 {
			break
		}
		if *rate > 0 {
			due := start.Add(time.Duration(float64(rows) / *rate * float64(time.Second)))
			select {
			case <-ctx.Done():
			case <-time.After(time.Until(due)):
			}
		}
		if ctx.Err() != nil {
			break
		}
		if err := out.write(ctx, data, n); err != nil {
			out.close()
			return fmt.Errorf("%s: %w", *to, err)
		}
		rows += n
		prog.Set("brook produce: %d rows, %s", rows, metrics.Rate(float64(rows), time.Since(start)))
	}
	timing := ""
	if prog.Active() {
		prog.Clear()
		timing = fmt.Sprintf(" in %s, %s", sink.FormatDuration(time.Since(start)), metrics.Rate(float64(rows), time.Since(start)))
	}
	if err := out.close(); err != nil {
		return fmt.Errorf("%s: %w", *to, err)
	}
	// Said at the end, on standard error, so that a mistyped --to shows.
	fmt.Fprintf(stderr, "brook produce: %s%s\n", out.wrote(rows), timing)
	return nil
}

// feed returns up to n whole lines (and how many); 0 lines at the end.
type feed func(n int) ([]byte, int, error)

// openFeed opens what brook produce replays.
func openFeed(ctx context.Context, from string, stdin io.Reader, stderr io.Writer) (feed, error) {
	if spec, ok := strings.CutPrefix(from, "gen:"); ok {
		opts, total, err := parseGen(spec)
		if err != nil {
			return nil, err
		}
		g := gen.New(opts)
		left := total
		return func(n int) ([]byte, int, error) {
			n = min(n, left)
			var buf bytes.Buffer
			if err := gen.Write(&buf, g, n); err != nil {
				return nil, 0, err
			}
			left -= n
			return buf.Bytes(), n, nil
		}, nil
	}
	var files []string
	var pending []byte
	if from == "-" {
		// Read in the background: a read of standard input cannot be
		// canceled, and a signal must end produce while it waits.
		type read struct {
			data []byte
			err  error
		}
		got := make(chan read, 1)
		fmt.Fprintln(stderr, "brook produce: reading standard input to its end")
		go func() {
			data, err := io.ReadAll(stdin)
			got <- read{data, err}
		}()
		select {
		case r := <-got:
			if r.err != nil {
				return nil, fmt.Errorf("--from -: %w", r.err)
			}
			pending = r.data
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	} else {
		src, err := ingest.OpenDir(ingest.DirOptions{Path: from})
		if err != nil {
			return nil, fmt.Errorf("--from: %w", err)
		}
		if files, err = src.List(); err != nil {
			return nil, fmt.Errorf("--from %s: %w", from, err)
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("--from %s: no %s files", from, strings.Join(ingest.Extensions, "/"))
		}
	}
	return func(n int) ([]byte, int, error) {
		var out []byte
		got := 0
		for got < n {
			if len(pending) == 0 {
				if len(files) == 0 {
					break
				}
				data, err := ingest.ReadFile(files[0])
				if err != nil {
					return nil, 0, err
				}
				files = files[1:]
				if len(data) > 0 && data[len(data)-1] != '\n' {
					data = append(data, '\n')
				}
				pending = data
				continue
			}
			i := bytes.IndexByte(pending, '\n')
			if i < 0 {
				i = len(pending)
				pending = append(pending, '\n')
			}
			line := pending[:i+1]
			pending = pending[i+1:]
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			out = append(out, line...)
			got++
		}
		return out, got, nil
	}, nil
}

// parseGen reads rows=N,seed=S,devices=D,rps=R.
func parseGen(spec string) (gen.Options, int, error) {
	opts := gen.Options{Seed: 1}
	rows := 10000
	for _, kv := range strings.Split(spec, ",") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return opts, 0, fmt.Errorf("--from gen: %s wants a non-negative integer, got %q", k, v)
		}
		switch k {
		case "rows":
			rows = int(n)
		case "seed":
			opts.Seed = n
		case "devices":
			opts.Devices = int(n)
		case "rps":
			opts.RowsPerSecond = int(n)
		default:
			return opts, 0, fmt.Errorf("--from gen: unknown parameter %q (known: rows, seed, devices, rps)", k)
		}
	}
	return opts, rows, nil
}

// target is where brook produce writes.
type target struct {
	write func(ctx context.Context, data []byte, rows int) error
	close func() error
	wrote func(rows int) string // what went where, for the closing line
}

func openTarget(ctx context.Context, to string, stderr io.Writer) (*target, error) {
	switch ingest.Scheme(to) {
	case "", "file":
		dir := strings.TrimPrefix(strings.TrimPrefix(to, "file:"), "//")
		return dirTarget(dir)
	case "tcp":
		addr, err := targetHostPort(to)
		if err != nil {
			return nil, err
		}
		// The listener may be starting too: retry for a while.
		deadline := time.Now().Add(ingest.DialTimeout)
		for wait := 20 * time.Millisecond; ; wait = min(2*wait, 500*time.Millisecond) {
			conn, err := net.DialTimeout("tcp", addr, ingest.DialTimeout)
			if err == nil {
				return connTarget(conn, "tcp://"+addr), nil
			}
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("--to %s: %w", to, err)
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(wait):
			}
		}
	case "tcp-listen":
		addr, err := targetHostPort(to)
		if err != nil {
			return nil, err
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("--to %s: %w", to, err)
		}
		fmt.Fprintf(stderr, "brook produce: waiting for a consumer on tcp-listen://%s\n", ln.Addr())
		var conn net.Conn
		accepted := make(chan error, 1)
		go func() {
			var err error
			conn, err = ln.Accept()
			accepted <- err
		}()
		select {
		case err := <-accepted:
			ln.Close()
			if err != nil {
				return nil, fmt.Errorf("--to %s: %w", to, err)
			}
		case <-ctx.Done():
			ln.Close()
			<-accepted
			return nil, ctx.Err()
		}
		return connTarget(conn, "the consumer on tcp-listen://"+addr), nil
	case "kafka":
		k, err := ingest.ParseKafkaURI(to)
		if err != nil {
			return nil, fmt.Errorf("--to %w", err)
		}
		conn, err := ingest.KafkaClientOpts(k) // TLS and SASL, its only parameters
		if err != nil {
			return nil, fmt.Errorf("--to %s: %w", ingest.RedactKafkaURI(to), err)
		}
		cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(k.Brokers...), kgo.DefaultProduceTopic(k.Topic),
			kgo.AllowAutoTopicCreation(), kgo.DialTimeout(ingest.DialTimeout), kgo.ProducerLinger(0)}, conn...)...)
		if err != nil {
			return nil, fmt.Errorf("--to %s: %w", to, err)
		}
		if err := ingest.KafkaPing(cl); err != nil {
			cl.Close()
			return nil, fmt.Errorf("--to %s: %w", to, err)
		}
		// A topic missing now is created by the first record: say so, as a
		// mistyped topic name would be.
		created := ""
		if topics, err := kadm.NewClient(cl).ListTopics(ctx); err == nil && !topics.Has(k.Topic) {
			created = " (created)"
		}
		return &target{
			write: func(ctx context.Context, data []byte, rows int) error {
				recs := make([]*kgo.Record, 0, rows)
				for len(data) > 0 {
					i := bytes.IndexByte(data, '\n')
					recs = append(recs, &kgo.Record{Value: data[:i]})
					data = data[i+1:]
				}
				return cl.ProduceSync(ctx, recs...).FirstErr()
			},
			close: func() error { cl.Close(); return nil },
			wrote: func(rows int) string {
				return fmt.Sprintf("%s to topic %s on %s%s", plural(int64(rows), "record"), k.Topic, strings.Join(k.Brokers, ","), created)
			},
		}, nil
	}
	return nil, fmt.Errorf("--to %s: unknown target (want a directory, tcp://host:port, tcp-listen://host:port or kafka://brokers/topic)", to)
}

func targetHostPort(uri string) (string, error) {
	_, rest, _ := strings.Cut(uri, "://")
	if _, _, err := net.SplitHostPort(rest); err != nil || strings.ContainsAny(rest, "/?") {
		return "", fmt.Errorf("--to %s: want host:port after the scheme", uri)
	}
	return rest, nil
}

func connTarget(conn net.Conn, where string) *target {
	return &target{
		wrote: func(rows int) string { return plural(int64(rows), "row") + " to " + where },
		write: func(ctx context.Context, data []byte, _ int) error {
			// A consumer that stops reading blocks the write: ending ctx
			// ends it (the deadline fails the write at once).
			unwatch := context.AfterFunc(ctx, func() { conn.SetWriteDeadline(time.Now()) })
			_, err := conn.Write(data)
			if !unwatch() && ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		},
		close: conn.Close,
	}
}

// dirTarget writes each chunk as a new file, produce-<start>-<n>.json, so
// that name order is arrival order, under a temporary name first.
func dirTarget(dir string) (*target, error) {
	if dir == "" {
		return nil, errors.New("--to: empty directory name")
	}
	created := ""
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		created = " (created)"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("--to: %w", err)
	}
	stamp := time.Now().UTC().Format("20060102T150405.000")
	n := 0
	return &target{
		write: func(_ context.Context, data []byte, _ int) error {
			n++
			name := fmt.Sprintf("produce-%s-%06d.json", stamp, n)
			tmp := filepath.Join(dir, "."+name+".tmp")
			if err := os.WriteFile(tmp, data, 0o644); err != nil {
				return err
			}
			return os.Rename(tmp, filepath.Join(dir, name))
		},
		close: func() error { return nil },
		wrote: func(rows int) string {
			return fmt.Sprintf("%s in %s to %s%s", plural(int64(rows), "row"), plural(int64(n), "file"), strings.TrimSuffix(dir, "/")+"/", created)
		},
	}, nil
}
