package sink

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"brook/ingest"
)

const sinkPass = "s1nk-s3cret-value"

// TestKafkaSinkSASL publishes through a broker that wants SASL: with the
// right password (PLAIN, then SCRAM-SHA-256 in transactions) the rows
// arrive; a wrong one, an unset variable or a password in the URI fail
// when the sink opens, saying why, never showing the password.
func TestKafkaSinkSASL(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "out"), kfake.EnableSASL(),
		kfake.Superuser("PLAIN", "writer", sinkPass), kfake.Superuser("SCRAM-SHA-256", "writer256", sinkPass))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addr := c.ListenAddrs()[0]
	t.Setenv("TEST_SINK_PW", sinkPass)
	t.Setenv("TEST_WRONG_PW", "wrong-pw-value")

	for i, uri := range []string{
		"kafka://" + addr + "/out?sasl=plain&tls=false&user=writer&password-env=TEST_SINK_PW",
		"kafka://" + addr + "/out?sasl=scram-sha-256&user=writer256&password-env=TEST_SINK_PW",
	} {
		tg := Target{Schema: schema, Keys: []int{0}}
		if i == 1 {
			tg.Checkpoint = t.TempDir() // transactional
		}
		s, err := OpenKafka(uri, tg)
		if err != nil {
			t.Fatalf("%s: %v", uri, err)
		}
		if err := s.Batch(BatchInfo{ID: int64(i)}, batchRows(int64(i), "")); err != nil {
			t.Fatalf("%s: %v", uri, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("out"), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.SASL(plain.Auth{User: "writer", Pass: sinkPass}.AsMechanism()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // a bound on a broken test, not a measurement
	defer cancel()
	n := 0
	for n < 8 && ctx.Err() == nil {
		n += cl.PollFetches(ctx).NumRecords()
	}
	if n != 8 {
		t.Fatalf("read %d records back, want the 8 rows of two batches", n)
	}

	t.Setenv(ingest.KafkaPasswordEnv, "") // restored when the test ends
	os.Unsetenv(ingest.KafkaPasswordEnv)
	for uri, want := range map[string]string{
		"kafka://" + addr + "/out?sasl=plain&tls=false&user=writer&password-env=TEST_WRONG_PW": "the Kafka broker at " + addr +
			` closed the connection during the SASL PLAIN authentication of user "writer" (password from $TEST_WRONG_PW): a wrong user name or password?`,
		"kafka://" + addr + "/out?sasl=scram-sha-512&user=writer": "environment variable BROOK_KAFKA_PASSWORD is not set",
		"kafka://" + addr + "/out?sasl=plain&tls=false&user=writer&password=" + sinkPass: "sink kafka://" + addr +
			`/out?sasl=plain&tls=false&user=writer&password=REDACTED: parameter "password": a password does not go in the URI`,
		"kafka://writer:" + sinkPass + "@" + addr + "/out": "sink kafka://REDACTED@" + addr + "/out: credentials do not go in the broker address",
		"kafka://" + addr + "/out":                         "the Kafka broker at " + addr + " closed the connection before answering: it may want TLS (tls=true) or SASL (sasl=...)",
	} {
		_, err := OpenKafka(uri, Target{Schema: schema})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", uri, err, want)
		}
		if err != nil && (strings.Contains(err.Error(), sinkPass) || strings.Contains(err.Error(), "wrong-pw-value")) {
			t.Errorf("%s: the error shows a password: %v", uri, err)
		}
	}
}
