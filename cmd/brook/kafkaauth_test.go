package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"brook/ingest"
)

const cliPass = "cl1-s3cret-value"

// TestKafkaSASLCLI runs brook produce, run (a SASL source and a SASL sink)
// and diff against a broker that wants SASL, the credentials in
// BROOK_KAFKA_USER and BROOK_KAFKA_PASSWORD; a wrong password ends
// produce and run with an error naming the broker and SASL, never showing
// the password.
func TestKafkaSASLCLI(t *testing.T) {
	addr := newSASLCluster(t)
	t.Setenv("TEST_WRONG_PW", "wrong-pw-value")
	plain := "?sasl=plain&tls=false"
	if code, out, errOut := brook(t, "produce", "--from", "gen:rows=3000,seed=4", "--to", "kafka://"+addr+"/flows"+plain); code != exitOK {
		t.Fatalf("produce: exit %d\n%s%s", code, out, errOut)
	}
	outFile := filepath.Join(t.TempDir(), "out.jsonl")
	code, out, errOut := brook(t, "run", "--source", "flows=kafka://"+addr+"/flows?sasl=scram-sha-512&group=g&stop=end",
		"--emit", "final", "--sink", "kafka://"+addr+"/results?sasl=scram-sha-512", "--sink", "file://"+outFile, webservers)
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}
	data, err := os.ReadFile(outFile)
	if err != nil || len(data) == 0 {
		t.Fatalf("file sink: %v, %d bytes", err, len(data))
	}
	want := string(data)
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("results"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.SASL(scram.Auth{User: "svc", Pass: cliPass}.AsSha512Mechanism()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	wantRows := lines(want)
	var got []string
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // a bound on a broken test, not a measurement
	defer cancel()
	for len(got) < len(wantRows) && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	slices.Sort(got)
	if !slices.Equal(got, wantRows) {
		t.Fatalf("results topic:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
	code, out, errOut = brook(t, "diff", "--source", "flows=kafka://"+addr+"/flows"+plain+"&group=check", webservers)
	if code != exitOK || !strings.HasPrefix(out, "EQUAL") || !strings.Contains(out, "3000 input rows") {
		t.Fatalf("diff: exit %d\n%s%s", code, out, errOut)
	}

	wrong := plain + "&password-env=TEST_WRONG_PW"
	for _, args := range [][]string{
		{"produce", "--from", "gen:rows=10", "--to", "kafka://" + addr + "/flows" + wrong},
		{"run", "--source", "flows=kafka://" + addr + "/flows" + wrong, webservers},
		{"run", "--source", "flows=kafka://" + addr + "/flows" + plain, "--sink", "kafka://" + addr + "/results" + wrong, webservers},
	} {
		code, out, errOut := brook(t, args...)
		want := "the Kafka broker at " + addr + ` closed the connection during the SASL PLAIN authentication of user "svc" (password from $TEST_WRONG_PW)`
		if code != exitError || out != "" || !strings.Contains(errOut, want) {
			t.Errorf("%v: exit %d\n%s%s\nwant an error containing %q", args, code, out, errOut, want)
		}
		if strings.Contains(errOut, "wrong-pw-value") || strings.Contains(errOut, cliPass) {
			t.Errorf("%v: a password shows:\n%s", args, errOut)
		}
	}
	// A password in the URI is refused, and not echoed; neither is one in
	// --explain output.
	os.Unsetenv(ingest.KafkaPasswordEnv)
	for _, args := range [][]string{
		{"produce", "--from", "gen:rows=10", "--to", "kafka://" + addr + "/flows" + plain + "&password=" + cliPass},
		{"run", "--source", "flows=kafka://" + addr + "/flows" + plain + "&password=" + cliPass, webservers},
		{"run", "--source", "flows=kafka://svc:" + cliPass + "@" + addr + "/flows", webservers},
		{"run", "--explain", "--schema", "dstdevice VARCHAR, dstport VARCHAR", "--source", "flows=kafka://" + addr + "/flows" + plain + "&password=" + cliPass, webservers},
		{"run", "--source", "flows=kafka://" + addr + "/flows" + plain, webservers},
	} {
		code, out, errOut := brook(t, args...)
		if strings.Contains(out+errOut, cliPass) {
			t.Errorf("%v: the password shows:\n%s%s", args, out, errOut)
		}
		if args[1] != "--explain" && (code != exitError || !strings.Contains(errOut, "password") && !strings.Contains(errOut, "credentials")) {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	if code, _, errOut := brook(t, "run", "--source", "flows=kafka://"+addr+"/flows"+plain, webservers); code != exitError ||
		!strings.Contains(errOut, "environment variable BROOK_KAFKA_PASSWORD is not set: it holds the SASL password") {
		t.Errorf("no password: exit %d\n%s", code, errOut)
	}
}

// newSASLCluster starts a broker with topics flows and results that takes
// user svc with PLAIN and SCRAM-SHA-512, and sets BROOK_KAFKA_USER and
// BROOK_KAFKA_PASSWORD for it.
func newSASLCluster(t *testing.T) string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "flows", "results"), kfake.EnableSASL(),
		kfake.Superuser("PLAIN", "svc", cliPass), kfake.Superuser("SCRAM-SHA-512", "svc", cliPass))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	t.Setenv(ingest.KafkaUserEnv, "svc")
	t.Setenv(ingest.KafkaPasswordEnv, cliPass)
	return c.ListenAddrs()[0]
}

// TestKafkaSASLCheckpoint: a checkpoint names a SASL source and sink
// without their connection parameters: it holds no credential, and a run
// whose credentials come from other variables, or with another mechanism,
// is not refused as a run over other sources (one with another group is).
func TestKafkaSASLCheckpoint(t *testing.T) {
	addr := newSASLCluster(t)
	if code, out, errOut := brook(t, "produce", "--from", "gen:rows=3000,seed=6", "--to", "kafka://"+addr+"/flows?sasl=scram-sha-512", "--chunk", "500"); code != exitOK {
		t.Fatalf("produce: exit %d\n%s%s", code, out, errOut)
	}
	ckpt := filepath.Join(t.TempDir(), "ckpt")
	t.Setenv("TEST_USER", "svc")
	t.Setenv("TEST_PW", cliPass)
	run := func(group, conn string) (int, string) {
		t.Helper()
		code, out, errOut := brook(t, "run", "--checkpoint", ckpt, "--max-batches", "2", "--mode", "update",
			"--source", "flows=kafka://"+addr+"/flows?group="+group+"&max=1000&stop=end&"+conn, "--sink", "kafka://"+addr+"/results?"+conn,
			"-e", "SELECT dstport, count(*) AS n FROM flows GROUP BY dstport")
		return code, out + errOut
	}
	if code, out := run("ck", "sasl=scram-sha-512"); code != exitOK {
		t.Fatalf("first run: exit %d\n%s", code, out)
	}
	files, err := filepath.Glob(filepath.Join(ckpt, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no checkpoint files in %s: %v", ckpt, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), cliPass) || strings.Contains(string(data), "sasl") {
			t.Errorf("%s holds connection parameters or the password", f)
		}
	}
	if code, out := run("ck", "sasl=plain&tls=false&user-env=TEST_USER&password-env=TEST_PW"); code != exitOK || strings.Contains(out, "does not belong") {
		t.Errorf("other credentials: the checkpoint is refused: exit %d\n%s", code, out)
	}
	if code, out := run("other", "sasl=scram-sha-512"); code == exitOK || !strings.Contains(out, "other sources") {
		t.Errorf("another group: exit %d\n%s", code, out)
	}
}

// TestKafkaGroupAtEndCLI: a run whose group already read the whole topic
// ends with 0 rows and a warning that says why and what to do; brook diff
// over it compares nothing and fails (NOTHING COMPARED) with the same
// warning; without --schema, inference finds nothing and the warning comes
// with the error.
func TestKafkaGroupAtEndCLI(t *testing.T) {
	addr := newCluster(t, "flows")
	if code, _, errOut := brook(t, "produce", "--from", "gen:rows=2000,seed=5", "--to", "kafka://"+addr+"/flows"); code != exitOK {
		t.Fatalf("produce: exit %d\n%s", code, errOut)
	}
	src := "flows=kafka://" + addr + "/flows?group=g&stop=end"
	query := []string{"--format", "csv", "--emit", "final", "-e", "SELECT count(*) AS n FROM flows"}
	schema := []string{"--schema", "dstdevice VARCHAR, dstport VARCHAR"}
	if code, out, errOut := brook(t, append([]string{"run", "--source", src}, query...)...); code != exitOK || out != "n\n2000\n" || strings.Contains(errOut, "warning") {
		t.Fatalf("first run: exit %d\n%s%s", code, out, errOut)
	}
	warning := "brook: warning: read 0 records: group g is at the end of every partition of flows ("
	hint := "use a new group (group=NEW), or reset this one to the start while no consumer is in it: kafka-consumer-groups.sh --bootstrap-server " + addr + " --group g --topic flows --reset-offsets --to-earliest --execute\n"
	code, out, errOut := brook(t, append(append([]string{"run", "--source", src}, schema...), query...)...)
	if code != exitOK || out != "n\n0\n" || !strings.Contains(errOut, warning) || !strings.Contains(errOut, hint) {
		t.Errorf("second run: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = brook(t, append(append([]string{"diff", "--source", "flows=kafka://" + addr + "/flows?group=g"}, schema...), "-e", "SELECT count(*) AS n FROM flows")...)
	if code != exitDifferent || !strings.HasPrefix(out, "NOTHING COMPARED") || !strings.Contains(errOut, warning) {
		t.Errorf("diff: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = brook(t, append([]string{"run", "--source", src}, query...)...)
	if code != exitError || !strings.Contains(errOut, warning) || !strings.Contains(errOut, "no record to infer a schema from: the group had nothing left to read (see the warning above); give a new group (group=NEW)") {
		t.Errorf("inferring: exit %d\n%s%s", code, out, errOut)
	}
}
