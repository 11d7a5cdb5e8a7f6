package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

const (
	flowsDir   = "../../testdata/flows"
	webservers = "../../queries/webservers.sql"
)

// brookIn runs brook with stdin as standard input.
func brookIn(t *testing.T, stdin io.Reader, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = runMainIn(stdin, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// catFiles is what `cat DIR/*.json` writes.
func catFiles(t *testing.T, dir string) []byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no files in %s: %v", dir, err)
	}
	var all []byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, data...)
	}
	return all
}

// stdinEqualsDir checks that the final result read from standard input
// equals the one read from the directory.
func stdinEqualsDir(t *testing.T, dir string) {
	code, fromDir, errOut := brook(t, "run", "--source", "flows="+dir, "--emit", "final", "--format", "json", webservers)
	if code != exitOK {
		t.Fatalf("directory run: exit %d\n%s", code, errOut)
	}
	code, fromStdin, errOut := brookIn(t, bytes.NewReader(catFiles(t, dir)), "run", "--source", "flows=-", "--emit", "final", "--format", "json", webservers)
	if code != exitOK {
		t.Fatalf("stdin run: exit %d\n%s", code, errOut)
	}
	if fromDir == "" || fromStdin != fromDir {
		t.Fatalf("stdin run differs from the directory run:\nstdin:\n%s\ndirectory:\n%s", fromStdin, fromDir)
	}
}

// TestStdinEqualsDirectory: cat testdata/flows/*.json | brook run
// --source flows=- --emit final gives the directory's result.
func TestStdinEqualsDirectory(t *testing.T) { stdinEqualsDir(t, flowsDir) }

// TestStdinEqualsDirectoryLANL is the same on the real data set.
func TestStdinEqualsDirectoryLANL(t *testing.T) {
	if _, err := os.Stat(lanlDir); err != nil {
		t.Skipf("LANL data set not found at %s: %v", lanlDir, err)
	}
	stdinEqualsDir(t, lanlDir)
}

// TestStdinDiff diffs a query fed on standard input: the stream's batches
// are spooled and the baseline reads them.
func TestStdinDiff(t *testing.T) {
	spool := t.TempDir()
	code, out, errOut := brookIn(t, bytes.NewReader(catFiles(t, flowsDir)), "diff", "--source", "flows=-", "--spool", spool, "--max-records", "700", webservers)
	if code != exitOK || !strings.HasPrefix(out, "EQUAL") || !strings.Contains(out, "3000 input rows") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	files, _ := filepath.Glob(filepath.Join(spool, "batch-*.jsonl"))
	if len(files) < 5 { // 3000 lines, at most 700 per batch
		t.Errorf("%d spool files, want one per batch (at least 5)", len(files))
	}
	// A bad line names stdin and its line number.
	bad := append(catFiles(t, flowsDir), "{\"time\": \n"...)
	code, _, errOut = brookIn(t, bytes.NewReader(bad), "run", "--source", "flows=-", "--emit", "final", webservers)
	if code != exitError || !strings.Contains(errOut, "stdin:3001:") {
		t.Errorf("bad line: exit %d, want 2 naming stdin:3001\n%s", code, errOut)
	}
}

// newCluster starts an in-process Kafka-protocol broker on 127.0.0.1.
func newCluster(t *testing.T, topics ...string) string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

// tenPartitions starts a broker with a 10-partition topic, has brook
// produce from into it (one record per line, with the extra flags) and
// returns the broker's address.
func tenPartitions(t *testing.T, topic, from string, extra ...string) string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(10, topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	addr := c.ListenAddrs()[0]
	args := append([]string{"produce", "--from", from, "--to", "kafka://" + addr + "/" + topic}, extra...)
	if code, out, errOut := brook(t, args...); code != exitOK {
		t.Fatalf("produce: exit %d\n%s%s", code, out, errOut)
	}
	return addr
}

// readTopic reads n record values from topic, from the start.
func readTopic(t *testing.T, addr, topic string, n int) []string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // a bound on a broken test, not a measurement
	defer cancel()
	var vals []string
	for len(vals) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read %d of %d records from %s: %v", len(vals), n, topic, err)
		}
		fs.EachRecord(func(r *kgo.Record) { vals = append(vals, string(r.Value)) })
	}
	return vals
}

func lines(s string) []string {
	l := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	slices.Sort(l)
	return l
}

// TestKafkaRoundTrip produces LANL-like flows into a topic, consumes them
// with brook, sinks the result to another topic and a file, reads both
// back, and diffs the Kafka-fed query against DuckDB.
func TestKafkaRoundTrip(t *testing.T) {
	addr := newCluster(t, "flows", "results")
	dir := t.TempDir()
	const from = "gen:rows=6000,seed=7"
	if code, out, errOut := brook(t, "produce", "--from", from, "--to", "kafka://"+addr+"/flows", "--chunk", "1000"); code != exitOK || out != "" ||
		errOut != "brook produce: 6000 records to topic flows on "+addr+"\n" {
		t.Fatalf("produce to Kafka: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := brook(t, "produce", "--from", from, "--to", dir); code != exitOK {
		t.Fatalf("produce to a directory: exit %d\n%s", code, errOut)
	}
	code, want, errOut := brook(t, "run", "--source", "flows="+dir, "--emit", "final", "--format", "json", webservers)
	if code != exitOK {
		t.Fatalf("directory run: exit %d\n%s", code, errOut)
	}
	outFile := filepath.Join(t.TempDir(), "out.jsonl")
	code, out, errOut := brook(t, "run", "--source", "flows=kafka://"+addr+"/flows?group=brook&max=1000", "--exit-idle", "1s", "--emit", "final",
		"--sink", "kafka://"+addr+"/results", "--sink", "file://"+outFile, webservers)
	if code != exitOK || out != "" {
		t.Fatalf("Kafka run: exit %d\n%s%s", code, out, errOut)
	}
	wantRows := lines(want)
	got := readTopic(t, addr, "results", len(wantRows))
	slices.Sort(got)
	if !slices.Equal(got, wantRows) {
		t.Fatalf("results topic:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
	fileOut, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(lines(string(fileOut)), wantRows) {
		t.Fatalf("file sink:\n%s\nwant:\n%s", fileOut, want)
	}
	// The group committed everything: a restart reads nothing more.
	code, out, errOut = brook(t, "run", "--source", "flows=kafka://"+addr+"/flows?group=brook", "--schema", "dstdevice VARCHAR, dstport VARCHAR",
		"--exit-idle", "500ms", "--format", "json", "-e", "SELECT count(*) AS n FROM flows")
	if code != exitOK || out != "" {
		t.Fatalf("restart read something: exit %d\n%s%s", code, out, errOut)
	}
	// brook diff on a Kafka-fed query, with its own group.
	code, out, errOut = brook(t, "diff", "--source", "flows=kafka://"+addr+"/flows?group=check", "--exit-idle", "1s", webservers)
	if code != exitOK || !strings.HasPrefix(out, "EQUAL") || !strings.Contains(out, "6000 input rows") {
		t.Fatalf("diff: exit %d\n%s%s", code, out, errOut)
	}
	// Without --exit-idle a diff reads every partition up to its end
	// (stop=end), a new group and a group-less read alike, every time;
	// records produced later are not waited for.
	for i, src := range []string{"flows=kafka://" + addr + "/flows?group=fresh", "flows=kafka://" + addr + "/flows", "flows=kafka://" + addr + "/flows?group=fresh2&max=700"} {
		code, out, errOut := brook(t, "diff", "--source", src, webservers)
		if code != exitOK || !strings.HasPrefix(out, "EQUAL") || !strings.Contains(out, "6000 input rows") {
			t.Errorf("diff %d without --exit-idle: exit %d\n%s%s", i, code, out, errOut)
		}
	}
}

// TestKafkaRestartCLI stops a consumer after two batches and restarts it:
// the two runs together count every record once.
func TestKafkaRestartCLI(t *testing.T) {
	addr := newCluster(t, "flows")
	if code, _, errOut := brook(t, "produce", "--from", "gen:rows=5000,seed=2", "--to", "kafka://"+addr+"/flows"); code != exitOK {
		t.Fatalf("produce: exit %d\n%s", code, errOut)
	}
	count := func(extra ...string) int {
		args := append([]string{"run", "--source", "flows=kafka://" + addr + "/flows?group=g&max=800", "--exit-idle", "1s",
			"--emit", "final", "--format", "csv", "-e", "SELECT count(*) AS n FROM flows"}, extra...)
		code, out, errOut := brook(t, args...)
		if code != exitOK {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
		var n int
		if _, err := fmt.Sscanf(out, "n\n%d", &n); err != nil {
			t.Fatalf("output %q: %v", out, err)
		}
		return n
	}
	first := count("--max-batches", "2")
	second := count()
	if first == 0 || first > 1600 || first+second != 5000 {
		t.Fatalf("first run counted %d (at most 2 batches of 800), second %d: want 5000 together", first, second)
	}
}

// freePort returns a 127.0.0.1 address nothing listens on.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestProduceTCP feeds brook over TCP both ways: brook listening and
// produce connecting, then produce listening and brook connecting.
func TestProduceTCP(t *testing.T) {
	code, want, errOut := brook(t, "run", "--source", "flows="+flowsDir, "--emit", "final", "--format", "json", webservers)
	if code != exitOK {
		t.Fatalf("directory run: exit %d\n%s", code, errOut)
	}
	type result struct {
		code     int
		out, err string
	}
	for _, way := range []struct{ produce, source string }{
		{"tcp://", "tcp-listen://"},
		{"tcp-listen://", "tcp://"},
	} {
		t.Run(way.produce, func(t *testing.T) {
			addr := freePort(t)
			done := make(chan result, 1)
			go func() {
				var c int
				var o, e string
				if way.produce == "tcp://" { // brook listens; produce connects (retrying)
					c, o, e = brook(t, "run", "--source", "flows="+way.source+addr, "--emit", "final", "--format", "json", webservers)
				} else { // produce listens; brook connects, retrying with --follow
					c, o, e = brook(t, "run", "--source", "flows="+way.source+addr, "--follow", "--exit-idle", "1s", "--emit", "final", "--format", "json", webservers)
				}
				done <- result{c, o, e}
			}()
			if code, _, errOut := brook(t, "produce", "--from", flowsDir, "--to", way.produce+addr, "--rate", "20000", "--interval", "50ms"); code != exitOK {
				t.Fatalf("produce: exit %d\n%s", code, errOut)
			}
			select {
			case r := <-done:
				if r.code != exitOK || r.out != want {
					t.Fatalf("run: exit %d\n%s\nwant:\n%s\n%s", r.code, r.out, want, r.err)
				}
			case <-time.After(8 * time.Second):
				t.Fatal("brook run did not end")
			}
		})
	}
}

// TestProduceDirectory writes one file per chunk, atomically, and brook
// reads the same result from them.
func TestProduceDirectory(t *testing.T) {
	dir := t.TempDir()
	if code, out, errOut := brook(t, "produce", "--from", flowsDir, "--to", "file://"+dir, "--chunk", "700"); code != exitOK || out != "" ||
		errOut != "brook produce: 3000 rows in 5 files to "+dir+"/\n" {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	fresh := filepath.Join(t.TempDir(), "incomin")
	if code, out, errOut := brook(t, "produce", "--from", "gen:rows=1", "--to", fresh); code != exitOK || out != "" ||
		errOut != "brook produce: 1 row in 1 file to "+fresh+"/ (created)\n" {
		t.Fatalf("a new directory: exit %d\n%s%s", code, out, errOut)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 5 { // 3000 rows in chunks of 700
		t.Fatalf("%d files, want 5: %v", len(files), files)
	}
	stdinEqualsDir(t, dir)
	for _, args := range [][]string{
		{"produce"},
		{"produce", "--to", "bogus://x"},
		{"produce", "--to", dir, "--from", "gen:rows=x"},
		{"produce", "--to", dir, "--from", "gen:colour=1"},
		{"produce", "--to", dir, "--from", "/nonexistent"},
		{"produce", "--to", "tcp-listen://nohost"},
		{"produce", "--to", dir, "--rate", "-1"},
	} {
		if code, _, errOut := brook(t, args...); code != exitError || errOut == "" {
			t.Errorf("%v: exit %d, want 2 with a message\n%s", args, code, errOut)
		}
	}
	if code, out, _ := brook(t, "produce", "--help"); code != exitOK || !strings.Contains(out, "Examples:") {
		t.Errorf("--help: exit %d\n%s", code, out)
	}
}

// TestSinks writes CSV and JSON-lines files with a batch column and
// rejects unknown sinks.
func TestSinks(t *testing.T) {
	dir := t.TempDir()
	csvOut, jsonOut := filepath.Join(dir, "out.csv"), filepath.Join(dir, "out.jsonl")
	code, out, errOut := brook(t, "run", "--source", "flows="+flowsDir, "--mode", "update", "--sink", "file://"+csvOut, "--sink", jsonOut,
		"-e", "SELECT protocol, count(*) AS n FROM flows GROUP BY protocol")
	if code != exitOK || out != "" {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	csvData, _ := os.ReadFile(csvOut)
	if !strings.HasPrefix(string(csvData), "batch,protocol,n\n0,") {
		t.Errorf("CSV sink:\n%s", csvData)
	}
	jsonData, _ := os.ReadFile(jsonOut)
	var rec map[string]any
	if err := json.Unmarshal([]byte(strings.SplitN(string(jsonData), "\n", 2)[0]), &rec); err != nil || rec["batch"] != 0.0 {
		t.Errorf("JSON sink: %v\n%s", err, jsonData)
	}
	for _, s := range []string{"bogus://x", "file:///tmp/out.txt", "kafka://"} {
		if code, _, errOut := brook(t, "run", "--sink", s, "--source", "flows="+flowsDir, webservers); code != exitError || errOut == "" {
			t.Errorf("--sink %s: exit %d\n%s", s, code, errOut)
		}
	}
}

// TestParquetSink writes the final result as Parquet through DuckDB.
func TestParquetSink(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.parquet")
	if code, _, errOut := brook(t, "run", "--source", "flows="+flowsDir, "--emit", "final", "--sink", "file://"+out, webservers); code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	data, err := os.ReadFile(out)
	if err != nil || !bytes.HasPrefix(data, []byte("PAR1")) {
		t.Fatalf("no Parquet file: %v", err)
	}
}

// TestKcat produces with kcat, where the Debian package is installed.
func TestKcat(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat is not installed")
	}
	addr := newCluster(t, "flows")
	cmd := exec.Command(kcat, "-b", addr, "-t", "flows", "-P")
	cmd.Stdin = bytes.NewReader(catFiles(t, flowsDir))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat: %v\n%s", err, out)
	}
	code, out, errOut := brook(t, "diff", "--source", "flows=kafka://"+addr+"/flows", "--exit-idle", "1s", webservers)
	if code != exitOK || !strings.Contains(out, "3000 input rows") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
}

// TestKafkaDiffTenPartitions diffs a query over a 10-partition topic again
// and again, each time with a new group: with stop=end every diff reads
// every record the topic holds, never a part the group happened to fetch
// before a quiet spell.
func TestKafkaDiffTenPartitions(t *testing.T) {
	addr := tenPartitions(t, "flows", "gen:rows=5000,seed=3", "--chunk", "500")
	for i := 0; i < 4; i++ {
		src := fmt.Sprintf("flows=kafka://%s/flows?group=diff%d&max=%d", addr, i, 300+i*700)
		code, out, errOut := brook(t, "diff", "--source", src, "-e", "SELECT dstport, count(*) AS n FROM flows GROUP BY dstport")
		if code != exitOK || !strings.HasPrefix(out, "EQUAL") || !strings.Contains(out, "stream:   5000 input rows") {
			t.Fatalf("diff %d: exit %d\n%s%s", i, code, out, errOut)
		}
	}
}

// TestKafkaWatermarkPerPartition reads a backlog spread over ten partitions,
// each in time order but the partitions far apart in time as they are
// read, under a 5 s lateness in append mode. The watermark is kept per
// partition, so no row is late and every window equals the baseline's
// (--strict fails on any late row). Repeated with several batch caps: the
// answer must not depend on how the records fall into batches.
func TestKafkaWatermarkPerPartition(t *testing.T) {
	addr := tenPartitions(t, "flows", "gen:rows=20000,seed=5,rps=50", "--chunk", "700")
	for i, max := range []int{50_000, 1000, 333} {
		src := fmt.Sprintf("flows=kafka://%s/flows?group=wm%d&max=%d", addr, i, max)
		code, out, errOut := brook(t, "diff", "--source", src, "--lateness", "5s", "--mode", "append", "--strict", "../../queries/bytes_per_10s.sql")
		if code != exitOK || !strings.HasPrefix(out, "EQUAL") || !strings.Contains(out, "stream:   20000 input rows") || strings.Contains(out, "late") {
			t.Fatalf("diff with max=%d: exit %d\n%s%s", max, code, out, errOut)
		}
	}
}

// TestKafkaLANLTenPartitions is the yardstick: the LANL flows
// produced into a 10-partition topic, read from the start with a 5 s
// lateness in append mode, give the baseline's windows with no late row.
func TestKafkaLANLTenPartitions(t *testing.T) {
	if _, err := os.Stat(lanlDir); err != nil {
		t.Skipf("LANL data set not found at %s (CI and developers have it in ../shared beside the repo): %v", lanlDir, err)
	}
	addr := tenPartitions(t, "network-traffic", lanlDir)
	src := "flows=kafka://" + addr + "/network-traffic?group=lanl"
	code, out, errOut := brook(t, "diff", "--source", src, "--lateness", "5s", "--mode", "append", "--strict", "../../queries/bytes_per_10s.sql")
	if code != exitOK || !strings.HasPrefix(out, "EQUAL") || !strings.Contains(out, "stream:   500000 input rows") || strings.Contains(out, "late") {
		t.Fatalf("diff: exit %d\n%s%s", code, out, errOut)
	}
	t.Log(strings.SplitN(out, "\n", 4)[:3])
}

// TestKafkaRunWatermarkPerPartition is TestKafkaWatermarkPerPartition for
// brook run over an unbounded read (a group, --exit-idle, no stop=end):
// partitions with records still to read hold the watermark, so the
// backlog drops no row as late, and the windows written are the
// baseline's.
func TestKafkaRunWatermarkPerPartition(t *testing.T) {
	addr := tenPartitions(t, "flows", "gen:rows=20000,seed=5,rps=50", "--chunk", "700")
	dir := t.TempDir()
	late, csv := filepath.Join(dir, "late.ndjson"), filepath.Join(dir, "out.csv")
	src := "flows=kafka://" + addr + "/flows?group=run&max=333"
	code, out, errOut := brook(t, "run", "--source", src, "--exit-idle", "2s", "--lateness", "5s", "--mode", "append",
		"--late-rows", late, "--sink", "file://"+csv, "--format", "csv", "../../queries/bytes_per_10s.sql")
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}
	if data, err := os.ReadFile(late); err != nil || len(data) != 0 {
		t.Fatalf("late rows written (%v):\n%.500s", err, data)
	}
	data, err := os.ReadFile(csv)
	if err != nil {
		t.Fatal(err)
	}
	// Every window once: 20000 rows at 50 a second are 400 s, 40 windows.
	if n := strings.Count(string(data), "\n"); n != 41 {
		t.Fatalf("%d lines written, want a header and 40 windows:\n%s", n, data)
	}
}

// TestProduceSaysWhere: brook produce ends with a line on standard error
// saying what it wrote where, and that a Kafka topic that was not there
// was created by it (a mistyped name shows).
func TestProduceSaysWhere(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "network-traffic"), kfake.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addr := c.ListenAddrs()[0]
	for topic, want := range map[string]string{
		"network-traffic": "brook produce: 3 records to topic network-traffic on " + addr + "\n",
		"network-trafic":  "brook produce: 3 records to topic network-trafic on " + addr + " (created)\n",
	} {
		code, out, errOut := brook(t, "produce", "--from", "gen:rows=3", "--to", "kafka://"+addr+"/"+topic)
		if code != exitOK || out != "" || errOut != want {
			t.Errorf("%s: exit %d\nstdout: %q\nstderr: %q, want %q", topic, code, out, errOut, want)
		}
	}
}
