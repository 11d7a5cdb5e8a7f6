package ingest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// testPKI is a throw-away CA with a server certificate for 127.0.0.1 and
// a client certificate, written as PEM files.
type testPKI struct {
	dir                   string
	caFile                string
	serverCert            tls.Certificate
	clientCert, clientKey string
	pool                  *x509.CertPool
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "brook test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	p := &testPKI{dir: dir, caFile: filepath.Join(dir, "ca.pem"), pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	writePEM(t, p.caFile, "CERTIFICATE", caDER)
	leaf := func(serial int64, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "localhost"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, key
	}
	der, key := leaf(2, x509.ExtKeyUsageServerAuth)
	p.serverCert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	der, key = leaf(3, x509.ExtKeyUsageClientAuth)
	p.clientCert, p.clientKey = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")
	writePEM(t, p.clientCert, "CERTIFICATE", der)
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, p.clientKey, "EC PRIVATE KEY", keyDER)
	return p
}

func writePEM(t *testing.T, file, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// The credentials of the test clusters; the passwords must never show in
// an error.
const (
	plainPass  = "pl41n-s3cret-value"
	scram256PW = "scr4m256-s3cret-value"
	scram512PW = "scr4m512-s3cret-value"
)

// newSecureKafka starts a broker taking SASL (PLAIN user alice, SCRAM-SHA-256
// user bob, SCRAM-SHA-512 user carol) and, with tc, TLS; topic "flows" holds
// records 0-99.
func newSecureKafka(t *testing.T, tc *tls.Config, seedTLS string) string {
	t.Helper()
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(3, "flows"), kfake.EnableSASL(),
		kfake.Superuser("PLAIN", "alice", plainPass),
		kfake.Superuser("SCRAM-SHA-256", "bob", scram256PW),
		kfake.Superuser("SCRAM-SHA-512", "carol", scram512PW)}
	if tc != nil {
		opts = append(opts, kfake.TLS(tc))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	addr := c.ListenAddrs()[0]
	k, err := ParseKafkaURI("kafka://" + addr + "/flows?tls=false&sasl=plain&user=alice&password-env=TEST_SEED_PW")
	if tc != nil {
		k, err = ParseKafkaURI("kafka://" + addr + "/flows?" + seedTLS + "&sasl=plain&user=alice&password-env=TEST_SEED_PW")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("TEST_SEED_PW", plainPass)
	conn, err := KafkaClientOpts(k)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(append(conn, kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("flows"))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for i := range 100 {
		recs = append(recs, &kgo.Record{Value: fmt.Appendf(nil, `{"id": %d}`, i)})
	}
	if err := cl.ProduceSync(testCtx(t), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// countAll opens uri bounded (stop=end) and returns how many records it read.
func countAll(t *testing.T, uri string) (int, error) {
	t.Helper()
	src, err := Open(uri, Options{StopAtEnd: true})
	if err != nil {
		return 0, err
	}
	defer src.Close()
	n := 0
	for {
		b, err := src.Next(testCtx(t))
		if errors.Is(err, ErrEndOfInput) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n += len(ids(t, b))
	}
}

// noSecret fails the test if err's text holds any of the test passwords.
func noSecret(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, pw := range []string{plainPass, scram256PW, scram512PW, "wrong-pw-value"} {
		if strings.Contains(err.Error(), pw) {
			t.Errorf("%s: the error shows a password: %v", what, err)
		}
	}
}

// TestKafkaSASLOverTLS reads a topic over TLS (the test CA from tls-ca, and
// a client certificate the broker requires) with each SASL mechanism, the
// password from an environment variable; a wrong password, an unset
// variable, an untrusted certificate and TLS mismatches give errors naming
// the cause, never showing a password.
func TestKafkaSASLOverTLS(t *testing.T) {
	pki := newTestPKI(t)
	clientCert := "&tls-cert=" + pki.clientCert + "&tls-key=" + pki.clientKey
	addr := newSecureKafka(t, &tls.Config{Certificates: []tls.Certificate{pki.serverCert},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pki.pool}, "tls-insecure=true"+clientCert)
	t.Setenv("TEST_PLAIN_PW", plainPass)
	t.Setenv("TEST_SCRAM256_PW", scram256PW)
	t.Setenv(KafkaUserEnv, "carol")
	t.Setenv(KafkaPasswordEnv, scram512PW)
	t.Setenv("TEST_WRONG_PW", "wrong-pw-value")
	base := "kafka://" + addr + "/flows?tls-ca=" + pki.caFile + clientCert
	for _, q := range []string{
		"&sasl=plain&user=alice&password-env=TEST_PLAIN_PW",
		"&sasl=PLAIN&user=alice&password-env=TEST_PLAIN_PW",
		"&sasl=scram-sha-256&user=bob&password-env=TEST_SCRAM256_PW&group=g256",
		"&sasl=scram-sha-512", // user and password from BROOK_KAFKA_USER and BROOK_KAFKA_PASSWORD
		"&tls-server-name=localhost&sasl=plain&user=alice&password-env=TEST_PLAIN_PW",
	} {
		if n, err := countAll(t, base+q); err != nil || n != 100 {
			t.Errorf("%s: read %d records, error %v; want 100", q, n, err)
		}
	}
	for q, want := range map[string]string{
		// kfake closes the connection on wrong credentials, as some
		// brokers do; others answer SASL_AUTHENTICATION_FAILED.
		"&sasl=plain&user=alice&password-env=TEST_WRONG_PW":                               "the Kafka broker at " + addr + ` closed the connection during the SASL PLAIN authentication of user "alice" (password from $TEST_WRONG_PW): a wrong user name or password?`,
		"&sasl=scram-sha-256&user=bob&password-env=TEST_WRONG_PW":                         "the Kafka broker at " + addr + ` closed the connection during the SASL SCRAM-SHA-256 authentication of user "bob" (password from $TEST_WRONG_PW)`,
		"&sasl=scram-sha-512&user=nobody":                                                 "the Kafka broker at " + addr + ` closed the connection during the SASL SCRAM-SHA-512 authentication of user "nobody" (password from $BROOK_KAFKA_PASSWORD)`,
		"&sasl=plain&user=alice&password-env=TEST_UNSET_PW":                               "environment variable TEST_UNSET_PW is not set: it holds the SASL password",
		"&sasl=plain&user=alice&password=" + plainPass:                                    `parameter "password": a password does not go in the URI`,
		"&sasl=plain&user-env=TEST_NO_USER&password-env=TEST_PLAIN_PW":                    "environment variable TEST_NO_USER is not set: it holds the SASL user name",
		"&tls-server-name=other.example&sasl=plain&user=alice&password-env=TEST_PLAIN_PW": "TLS certificate of the Kafka broker at " + addr + " is not trusted",
	} {
		_, err := countAll(t, base+q)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", q, err, want)
		}
		noSecret(t, q, err)
	}
	// Without the client certificate the broker wants.
	_, err := countAll(t, "kafka://"+addr+"/flows?tls-ca="+pki.caFile+"&sasl=plain&user=alice&password-env=TEST_PLAIN_PW")
	if err == nil || !strings.Contains(err.Error(), "the Kafka broker at "+addr+" refused the TLS connection (if it wants a client certificate: tls-cert=FILE and tls-key=FILE)") {
		t.Errorf("no client certificate: %v", err)
	}
	// The system roots do not trust the test CA.
	_, err = countAll(t, "kafka://"+addr+"/flows?tls=true&sasl=plain&user=alice&password-env=TEST_PLAIN_PW"+clientCert)
	if err == nil || !strings.Contains(err.Error(), "is not trusted (tls-ca=FILE names the CA") {
		t.Errorf("system roots: %v", err)
	}
	// Plaintext against the TLS port.
	_, err = countAll(t, "kafka://"+addr+"/flows?tls=false&sasl=plain&user=alice&password-env=TEST_PLAIN_PW")
	if err == nil || !strings.Contains(err.Error(), "the Kafka broker at "+addr+" closed the connection before answering: it may want TLS (tls=true)") {
		t.Errorf("plaintext against TLS: %v", err)
	}
	noSecret(t, "plaintext against TLS", err)
}

// TestKafkaSASLPlaintext: SASL without TLS (tls=false said explicitly for
// PLAIN); no SASL against a SASL broker; TLS against a port that closes
// the connection, as a plaintext Kafka port does on a TLS handshake.
func TestKafkaSASLPlaintext(t *testing.T) {
	addr := newSecureKafka(t, nil, "")
	t.Setenv(KafkaPasswordEnv, plainPass)
	if n, err := countAll(t, "kafka://"+addr+"/flows?sasl=plain&user=alice&tls=false"); err != nil || n != 100 {
		t.Fatalf("read %d records, error %v; want 100", n, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	closing := ln.Addr().String()
	for uri, want := range map[string]string{
		"kafka://" + addr + "/flows":                               "the Kafka broker at " + addr + " closed the connection before answering: it may want TLS (tls=true) or SASL (sasl=...)",
		"kafka://" + closing + "/flows?tls=true":                   "the Kafka broker at " + closing + " closed the connection at once: is it a plaintext port?",
		"kafka://" + addr + "/flows?sasl=scram-sha-256&user=alice": "the Kafka broker at " + addr + ` closed the connection during the SASL SCRAM-SHA-256 authentication of user "alice"`,
	} {
		_, err := countAll(t, uri)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", uri, err, want)
		}
	}
}

// TestKafkaConnParams checks the connection parameters without a broker:
// what each mistake says, that a password in the URI is refused and never
// shown, and how URIs are redacted and named in checkpoints.
func TestKafkaConnParams(t *testing.T) {
	dir := t.TempDir()
	badPEM := filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(badPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(KafkaPasswordEnv, "env-pw")
	t.Setenv(KafkaUserEnv, "")
	for q, want := range map[string]string{
		"tls=yes":                                   `tls wants true or false, got "yes"`,
		"tls=false&tls-ca=/x.pem":                   "tls-ca configures TLS, but tls=false turns it off",
		"tls-ca=" + dir + "/missing.pem":            "tls-ca: open " + dir + "/missing.pem: no such file",
		"tls-ca=" + badPEM:                          "tls-ca " + badPEM + ": no PEM certificate in the file",
		"tls-cert=" + badPEM:                        "tls-cert wants tls-key too",
		"tls-key=" + badPEM:                         "tls-key wants tls-cert too",
		"tls-cert=" + badPEM + "&tls-key=" + badPEM: "tls-cert " + badPEM + ", tls-key " + badPEM + ": tls: failed to find any PEM data",
		"tls-insecure=true&tls-ca=" + badPEM:        "tls-insecure=true verifies no certificate",
		"tls-insecure=maybe":                        `tls-insecure wants true or false`,
		"tls-ca=":                                   "tls-ca wants a value",
		"sasl=gssapi&tls=true":                      `sasl wants plain, scram-sha-256 or scram-sha-512, got "gssapi"`,
		"sasl=plain&user=u":                         "sasl=plain sends the password as it is: add tls=true",
		"sasl=scram-sha-256":                        "environment variable BROOK_KAFKA_USER is empty: it holds the SASL user name",
		"sasl=scram-sha-256&user=u&user-env=V":      "user=NAME or user-env=VAR, not both",
		"user=u":                                    "user is for SASL: add sasl=plain",
		"password-env=V":                            "password-env is for SASL",
		"sasl=scram-sha-512&user=u&password-env=":   "an empty environment variable name for the SASL password",
		"group=g&tsl=true":                          `unknown parameter "tsl" (known: group, start, stop, max, tls, tls-ca, tls-cert, tls-key, tls-server-name, tls-insecure, sasl, user, user-env, password-env)`,
		"sasl=plain&tls=true&user=u&password=hunter2-secret": `parameter "password": a password does not go in the URI`,
		"sasl-password=hunter2-secret":                       `parameter "sasl-password": a password does not go in the URI`,
		"api_secret=hunter2-secret":                          `parameter "api_secret": a password does not go in the URI`,
	} {
		uri := "kafka://127.0.0.1:1/flows?" + q
		_, err := Open(uri, Options{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", q, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error shows the password: %v", q, err)
		}
	}
	// Credentials in the broker address: refused, and not shown.
	_, err := Open("kafka://alice:hunter2-secret@127.0.0.1:1/flows", Options{})
	if err == nil || !strings.Contains(err.Error(), "kafka://REDACTED@127.0.0.1:1/flows: credentials do not go in the broker address") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("user information: %v", err)
	}
	// A Kafka sink or brook produce takes the connection parameters only.
	k, _ := ParseKafkaURI("kafka://b/t?tls=true&group=g")
	if _, err := KafkaClientOpts(k); err == nil || !strings.Contains(err.Error(), `unknown parameter "group" (known: tls, tls-ca,`) {
		t.Errorf("sink parameters: %v", err)
	}
	k, _ = ParseKafkaURI("kafka://b/t?tls=true&sasl=scram-sha-256&user=u&group=g&max=5")
	if opts, err := KafkaClientOpts(k, "group", "max"); err != nil || len(opts) != 2 || len(k.Query) != 2 || k.Query.Get("group") != "g" {
		t.Errorf("KafkaClientOpts: %d options, error %v, left %v; want 2 options, group and max left", len(opts), err, k.Query)
	}

	for uri, want := range map[string]string{
		"kafka://b/t?password=hunter2&group=g":           "kafka://b/t?password=REDACTED&group=g",
		"kafka://b/t?Sasl-Password=hunter2":              "kafka://b/t?Sasl-Password=REDACTED",
		"kafka://b/t?pass%77ord=hunter2":                 "kafka://b/t?password=REDACTED",
		"kafka://u:hunter2@b1,b2/t?password-env=V":       "kafka://REDACTED@b1,b2/t?password-env=V",
		"KAFKA://b/t?token=hunter2":                      "KAFKA://b/t?token=REDACTED",
		"tcp://u:p@host:1":                               "tcp://u:p@host:1",
		"kafka://b/t?tls=true&sasl=plain&user=u&group=g": "kafka://b/t?tls=true&sasl=plain&user=u&group=g",
	} {
		if got := RedactKafkaURI(uri); got != want {
			t.Errorf("RedactKafkaURI(%s) = %s, want %s", uri, got, want)
		}
	}
	for uri, want := range map[string]string{
		"kafka://b/t?tls=true&group=g&sasl=plain&user=u&max=5&password-env=V": "kafka://b/t?group=g&max=5",
		"kafka://b/t?tls-ca=/ca.pem&sasl=scram-sha-512":                       "kafka://b/t",
		"kafka://b/t?group=g&stop=end":                                        "kafka://b/t?group=g&stop=end",
		"kafka://b/t":                                                         "kafka://b/t",
		"/data/flows":                                                         "/data/flows",
	} {
		if got := KafkaIdentity(uri); got != want {
			t.Errorf("KafkaIdentity(%s) = %s, want %s", uri, got, want)
		}
	}
}

// TestKafkaBrokerError: errors kfake does not produce, as real brokers
// give them: SASL_AUTHENTICATION_FAILED, an unsupported mechanism, and a
// non-TLS answer to a TLS handshake.
func TestKafkaBrokerError(t *testing.T) {
	t.Setenv(KafkaPasswordEnv, "pw-value")
	k, err := ParseKafkaURI("kafka://b1:9093,b2:9093/t?tls=true&sasl=scram-sha-256&user=svc")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := KafkaClientOpts(k)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(append(conn, kgo.SeedBrokers(k.Brokers...))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for err, want := range map[error]string{
		fmt.Errorf("authenticating: %w", kerr.SaslAuthenticationFailed):               `the Kafka broker at b1:9093,b2:9093 refused the SASL SCRAM-SHA-256 authentication of user "svc" (password from $BROOK_KAFKA_PASSWORD) (check the user name and the password): authenticating: SASL_AUTHENTICATION_FAILED`,
		kerr.UnsupportedSaslMechanism:                                                 "the Kafka broker at b1:9093,b2:9093 does not take SASL SCRAM-SHA-256 (sasl=)",
		tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}: "the Kafka broker at b1:9093,b2:9093 does not speak TLS on that port",
		errors.New("i/o timeout"):                                                     "no Kafka broker answered at b1:9093,b2:9093 over TLS (is it the brokers' TLS port?): i/o timeout",
	} {
		if got := KafkaBrokerError(cl, err).Error(); !strings.Contains(got, want) || strings.Contains(got, "pw-value") {
			t.Errorf("%v: %s, want %q", err, got, want)
		}
	}
}
