package ingest

// Connecting to real Kafka clusters: TLS and SASL, set by parameters of the
// kafka:// URI, read the same way by the Kafka source, the Kafka sink and
// brook produce (KafkaClientOpts). Passwords never go in the URI: they come
// from environment variables, so that a URI can be shown in messages,
// --explain output and checkpoints as it is.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// The environment variables holding the SASL user name and password when
// the URI names no others (user=, user-env=, password-env=).
const (
	KafkaUserEnv     = "BROOK_KAFKA_USER"
	KafkaPasswordEnv = "BROOK_KAFKA_PASSWORD"
)

// KafkaConnParams are the connection parameters of a kafka:// URI, which
// KafkaClientOpts reads:
//
//	tls=true            connect over TLS, trusting the system's CA roots
//	tls-ca=FILE         trust the CA certificates in this PEM file instead
//	tls-cert=FILE       present this client certificate (PEM; with tls-key)
//	tls-key=FILE        the client certificate's private key (PEM)
//	tls-server-name=H   the name the broker certificates must carry, when
//	                    it is not the host name dialed (a tunnel, an IP)
//	tls-insecure=true   do not verify the broker certificates (tests only)
//	sasl=MECH           authenticate with SASL: plain, scram-sha-256 or
//	                    scram-sha-512
//	user=NAME           the SASL user name (Confluent Cloud: the API key)
//	user-env=VAR        read the user name from $VAR instead (default
//	                    $BROOK_KAFKA_USER when neither is given)
//	password-env=VAR    read the password from $VAR (default
//	                    $BROOK_KAFKA_PASSWORD)
//
// Any tls-* parameter turns TLS on; tls=false with one of them is an error.
// sasl=plain sends the password as it is, so it wants TLS, or an explicit
// tls=false (a local test broker).
var KafkaConnParams = []string{"tls", "tls-ca", "tls-cert", "tls-key", "tls-server-name", "tls-insecure", "sasl", "user", "user-env", "password-env"}

// redactedValue replaces a secret in a URI that is shown.
const redactedValue = "REDACTED"

// KafkaClientOpts returns the franz-go options that connect to k's brokers
// as its connection parameters (KafkaConnParams) say: TLS, SASL, or none
// (plaintext, no authentication). It takes those parameters out of
// k.Query; a parameter that is neither one of them nor in own (the
// caller's own parameter names) is an error listing the known ones, and a
// password in the URI is refused. Environment variables are read now, so a
// missing one is an error naming it. Errors do not name the URI: the caller
// prefixes it (RedactKafkaURI hides any secret it holds).
func KafkaClientOpts(k *KafkaURI, own ...string) ([]kgo.Opt, error) {
	keys := make([]string, 0, len(k.Query))
	for key := range k.Query {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		switch {
		case secretParam(key):
			return nil, fmt.Errorf("parameter %q: a password does not go in the URI, where process lists, shell history, logs and checkpoints would show it; put it in an environment variable and name that with password-env=VAR (default %s)", key, KafkaPasswordEnv)
		case !slices.Contains(KafkaConnParams, key) && !slices.Contains(own, key):
			return nil, fmt.Errorf("unknown parameter %q (known: %s)", key, strings.Join(append(slices.Clone(own), KafkaConnParams...), ", "))
		}
	}
	get := func(key string) (string, bool) {
		vals, ok := k.Query[key]
		if !ok {
			return "", false
		}
		return vals[len(vals)-1], true
	}
	defer func() {
		for _, key := range KafkaConnParams {
			k.Query.Del(key)
		}
	}()
	var opts []kgo.Opt
	tlsCfg, tlsOff, err := kafkaTLS(get)
	if err != nil {
		return nil, err
	}
	if tlsCfg != nil {
		opts = append(opts, kgo.DialTLSConfig(tlsCfg))
	}
	mech, err := kafkaSASL(get, tlsCfg != nil, tlsOff)
	if err != nil {
		return nil, err
	}
	if mech != nil {
		opts = append(opts, kgo.SASL(mech))
	}
	return opts, nil
}

// kafkaTLS builds the TLS configuration the tls* parameters ask for: nil
// for none; off reports an explicit tls=false.
func kafkaTLS(get func(string) (string, bool)) (cfg *tls.Config, off bool, err error) {
	on, asked := false, ""
	if v, ok := get("tls"); ok {
		if on, err = strconv.ParseBool(v); err != nil {
			return nil, false, fmt.Errorf("tls wants true or false, got %q", v)
		}
		off = !on
	}
	for _, key := range []string{"tls-ca", "tls-cert", "tls-key", "tls-server-name", "tls-insecure"} {
		if v, ok := get(key); ok {
			if v == "" {
				return nil, false, fmt.Errorf("%s wants a value", key)
			}
			if asked == "" {
				asked = key
			}
		}
	}
	if asked != "" && off {
		return nil, false, fmt.Errorf("%s configures TLS, but tls=false turns it off", asked)
	}
	if !on && asked == "" {
		return nil, off, nil
	}
	cfg = &tls.Config{MinVersion: tls.VersionTLS12}
	if v, ok := get("tls-insecure"); ok {
		insecure, err := strconv.ParseBool(v)
		if err != nil {
			return nil, false, fmt.Errorf("tls-insecure wants true or false, got %q", v)
		}
		if insecure {
			if _, ok := get("tls-ca"); ok {
				return nil, false, errors.New("tls-insecure=true verifies no certificate, so tls-ca would not be used: give one or the other")
			}
			cfg.InsecureSkipVerify = true
		}
	}
	if file, ok := get("tls-ca"); ok {
		pem, err := os.ReadFile(file)
		if err != nil {
			return nil, false, fmt.Errorf("tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, false, fmt.Errorf("tls-ca %s: no PEM certificate in the file (want one or more -----BEGIN CERTIFICATE----- blocks)", file)
		}
		cfg.RootCAs = pool
	}
	certFile, hasCert := get("tls-cert")
	keyFile, hasKey := get("tls-key")
	switch {
	case hasCert && !hasKey:
		return nil, false, errors.New("tls-cert wants tls-key too: the file with the certificate's private key")
	case hasKey && !hasCert:
		return nil, false, errors.New("tls-key wants tls-cert too: the file with the client certificate")
	case hasCert:
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, false, fmt.Errorf("tls-cert %s, tls-key %s: %w", certFile, keyFile, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	if name, ok := get("tls-server-name"); ok {
		cfg.ServerName = name
	}
	return cfg, false, nil
}

// kafkaSASL builds the SASL mechanism the sasl, user* and password-env
// parameters ask for: nil for none.
func kafkaSASL(get func(string) (string, bool), overTLS, tlsOff bool) (sasl.Mechanism, error) {
	name, ok := get("sasl")
	if !ok {
		for _, key := range []string{"user", "user-env", "password-env"} {
			if _, ok := get(key); ok {
				return nil, fmt.Errorf("%s is for SASL: add sasl=plain, sasl=scram-sha-256 or sasl=scram-sha-512", key)
			}
		}
		return nil, nil
	}
	mech := strings.ToLower(name)
	switch mech {
	case "plain", "scram-sha-256", "scram-sha-512":
	default:
		return nil, fmt.Errorf("sasl wants plain, scram-sha-256 or scram-sha-512, got %q", name)
	}
	if mech == "plain" && !overTLS && !tlsOff {
		return nil, errors.New("sasl=plain sends the password as it is: add tls=true (clusters such as Confluent Cloud take SASL over TLS), or tls=false to send it unencrypted anyway (a local test broker)")
	}
	user, hasUser := get("user")
	userVar, hasUserVar := get("user-env")
	switch {
	case hasUser && hasUserVar:
		return nil, errors.New("give user=NAME or user-env=VAR, not both")
	case hasUser && user == "":
		return nil, errors.New("user wants a name")
	case !hasUser:
		if !hasUserVar {
			userVar = KafkaUserEnv
		}
		var err error
		if user, err = fromEnv(userVar, "the SASL user name", "user=NAME gives it in the URI, user-env=VAR names another variable"); err != nil {
			return nil, err
		}
	}
	passVar, ok := get("password-env")
	if !ok {
		passVar = KafkaPasswordEnv
	}
	pass, err := fromEnv(passVar, "the SASL password", "password-env=VAR names another variable")
	if err != nil {
		return nil, err
	}
	a := &saslAuth{user: user, passVar: passVar}
	switch mech {
	case "plain":
		a.Mechanism = plain.Auth{User: user, Pass: pass}.AsMechanism()
	case "scram-sha-256":
		a.Mechanism = scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()
	default:
		a.Mechanism = scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()
	}
	return a, nil
}

// fromEnv returns the value of the environment variable name, which holds
// what; unset or empty is an error naming it (never showing a value).
func fromEnv(name, what, hint string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("an empty environment variable name for %s", what)
	}
	v, ok := os.LookupEnv(name)
	switch {
	case !ok:
		return "", fmt.Errorf("environment variable %s is not set: it holds %s (%s)", name, what, hint)
	case v == "":
		return "", fmt.Errorf("environment variable %s is empty: it holds %s (%s)", name, what, hint)
	}
	return v, nil
}

// secretParam reports whether a URI parameter looks like it holds a secret
// itself (password=, sasl-password=, secret=, token=, ...); one naming an
// environment variable (password-env=) does not.
func secretParam(key string) bool {
	key = strings.ToLower(key)
	if strings.HasSuffix(key, "-env") {
		return false
	}
	for _, s := range []string{"pass", "pwd", "secret", "token", "credential"} {
		if strings.Contains(key, s) {
			return true
		}
	}
	return false
}

// RedactKafkaURI returns uri as messages may show it: the value of any
// parameter that looks like a secret (see secretParam) and any user
// information before a broker's "@" replaced by REDACTED. Other URIs are
// returned as they are. The URIs brook accepts hold no secret (it refuses
// them), so this matters for the messages refusing them.
func RedactKafkaURI(uri string) string {
	if Scheme(uri) != "kafka" {
		return uri
	}
	head, query, hasQuery := strings.Cut(uri, "?")
	if scheme, rest, ok := strings.Cut(head, "://"); ok {
		hosts, path, hasPath := strings.Cut(rest, "/")
		parts := strings.Split(hosts, ",")
		for i, h := range parts {
			if at := strings.LastIndex(h, "@"); at >= 0 {
				parts[i] = redactedValue + h[at:]
			}
		}
		head = scheme + "://" + strings.Join(parts, ",")
		if hasPath {
			head += "/" + path
		}
	}
	if !hasQuery {
		return head
	}
	params := strings.Split(query, "&")
	for i, p := range params {
		key, _, _ := strings.Cut(p, "=")
		if k, err := url.QueryUnescape(key); err == nil {
			key = k
		}
		if secretParam(key) {
			params[i] = key + "=" + redactedValue
		}
	}
	return head + "?" + strings.Join(params, "&")
}

// KafkaIdentity returns a kafka:// URI as a checkpoint names its source:
// without the connection parameters (KafkaConnParams), which say how to
// reach the brokers, not what is read, so that turning on TLS or rotating
// credentials keeps the checkpoint; the other parameters stay as written,
// in their order, and secrets are redacted. Other URIs are returned as
// they are.
func KafkaIdentity(uri string) string {
	if Scheme(uri) != "kafka" {
		return uri
	}
	uri = RedactKafkaURI(uri)
	head, query, hasQuery := strings.Cut(uri, "?")
	if !hasQuery {
		return uri
	}
	var kept []string
	for _, p := range strings.Split(query, "&") {
		key, _, _ := strings.Cut(p, "=")
		if k, err := url.QueryUnescape(key); err == nil {
			key = k
		}
		if !slices.Contains(KafkaConnParams, key) {
			kept = append(kept, p)
		}
	}
	if len(kept) == 0 {
		return head
	}
	return head + "?" + strings.Join(kept, "&")
}

// KafkaPing makes sure a client reaches one of its brokers and, with SASL,
// authenticates: an error says which (see KafkaBrokerError). The Kafka
// source checks its topic instead, which does the same.
func KafkaPing(cl *kgo.Client) error {
	ctx, cancel := context.WithTimeout(context.Background(), DialTimeout)
	defer cancel()
	if err := cl.Ping(ctx); err != nil {
		return KafkaBrokerError(cl, err)
	}
	return nil
}

// KafkaBrokerError says what went wrong reaching the brokers of cl, for an
// error from its first request: the SASL authentication refused (or the
// connection closed during it, as some brokers do), a broker certificate
// not trusted, TLS against a plaintext port or plaintext against a TLS or
// SASL port, or no answer at all.
func KafkaBrokerError(cl *kgo.Client, err error) error {
	brokers, _ := cl.OptValue(kgo.SeedBrokers).([]string)
	at := strings.Join(brokers, ",")
	overTLS := cl.OptValue(kgo.DialTLSConfig) != (*tls.Config)(nil)
	var auth *saslAuth
	if mechs, ok := cl.OptValue(kgo.SASL).([]sasl.Mechanism); ok && len(mechs) > 0 {
		auth, _ = mechs[0].(*saslAuth)
	}
	var (
		unknownCA *x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		verify    *tls.CertificateVerificationError
		header    tls.RecordHeaderError
		firstEOF  *kgo.ErrFirstReadEOF
		opErr     *net.OpError // a TLS alert from the broker: Op "remote error"
	)
	switch {
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid), errors.As(err, &verify):
		return fmt.Errorf("the TLS certificate of the Kafka broker at %s is not trusted (tls-ca=FILE names the CA that signed it; tls-server-name=NAME the name it carries): %w", at, err)
	case errors.As(err, &opErr) && opErr.Op == "remote error":
		return fmt.Errorf("the Kafka broker at %s refused the TLS connection (if it wants a client certificate: tls-cert=FILE and tls-key=FILE): %w", at, err)
	case errors.As(err, &header):
		return fmt.Errorf("the Kafka broker at %s does not speak TLS on that port (drop tls and the tls-* parameters, or use its TLS port): %w", at, err)
	case auth != nil && errors.Is(err, kerr.SaslAuthenticationFailed):
		return fmt.Errorf("the Kafka broker at %s refused the %s (check the user name and the password): %w", at, auth, err)
	case auth != nil && errors.Is(err, kerr.UnsupportedSaslMechanism):
		return fmt.Errorf("the Kafka broker at %s does not take SASL %s (sasl=): %w", at, auth.Name(), err)
	case auth != nil && auth.failed():
		return fmt.Errorf("the Kafka broker at %s closed the connection during the %s: a wrong user name or password? (%w)", at, auth, err)
	case overTLS && (errors.As(err, &firstEOF) || errors.Is(err, syscall.ECONNRESET)):
		// A plaintext listener closes the connection on a TLS hello, or
		// resets it (which of the two depends on timing).
		return fmt.Errorf("the Kafka broker at %s closed the connection at once: is it a plaintext port? (use the brokers' TLS port, or drop tls and the tls-* parameters): %w", at, err)
	case errors.As(err, &firstEOF) && auth == nil:
		return fmt.Errorf("the Kafka broker at %s closed the connection before answering: it may want TLS (tls=true) or SASL (sasl=...): %w", at, err)
	case errors.As(err, &firstEOF):
		return fmt.Errorf("the Kafka broker at %s closed the connection before answering: it may want TLS (tls=true): %w", at, err)
	case overTLS:
		return fmt.Errorf("no Kafka broker answered at %s over TLS (is it the brokers' TLS port?): %w", at, err)
	}
	return fmt.Errorf("no Kafka broker answered at %s: %w", at, err)
}

// saslAuth is a SASL mechanism that remembers whether an authentication
// ever succeeded, so that a connection closed by a broker refusing the
// credentials (rather than answering with an error) is reported as such.
type saslAuth struct {
	sasl.Mechanism
	user, passVar string
	started, done atomic.Int64 // authentications begun, and completed
}

// String describes the authentication for messages: mechanism, user and
// where the password came from, never the password.
func (a *saslAuth) String() string {
	return fmt.Sprintf("SASL %s authentication of user %q (password from $%s)", a.Name(), a.user, a.passVar)
}

// failed reports whether authentications were begun and none completed.
func (a *saslAuth) failed() bool { return a.started.Load() > 0 && a.done.Load() == 0 }

func (a *saslAuth) Authenticate(ctx context.Context, host string) (sasl.Session, []byte, error) {
	a.started.Add(1)
	s, first, err := a.Mechanism.Authenticate(ctx, host)
	if err != nil {
		return nil, nil, err
	}
	return &saslSession{Session: s, auth: a}, first, nil
}

// saslSession notes its authentication complete once the broker accepted
// the last step.
type saslSession struct {
	sasl.Session
	auth *saslAuth
}

func (s *saslSession) Challenge(resp []byte) (bool, []byte, error) {
	done, next, err := s.Session.Challenge(resp)
	if done && err == nil {
		s.auth.done.Add(1)
	}
	return done, next, err
}
