package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"github.com/twmb/franz-go/pkg/kfake"
)

const devBrokerUsage = `Usage: brook dev-broker [flags]

A DEVELOPMENT Kafka broker, for trying brook's Kafka source and sink on one
machine without installing Kafka: an in-memory broker that speaks the Kafka
protocol (franz-go's kfake), listening on 127.0.0.1 only. It is not for
production: it keeps its records in memory and loses them when it stops, has
no replication, no authentication and no tuning. Point brook at a real
cluster for anything else (README, "Kafka on real clusters").

It creates each --topic with --partitions partitions (NAME:N gives one topic
its own count), prints its bootstrap address and the topics, and runs until
interrupted (Ctrl-C). A topic a producer writes to that does not exist yet is
created too, with --partitions partitions.

Flags:
%s
With --sasl the broker requires SASL authentication of one user, named in
$BROOK_KAFKA_USER, with the password in $BROOK_KAFKA_PASSWORD: the variables
brook's Kafka clients read, to try the settings of a real cluster (without TLS,
so clients say tls=false).

Examples:
  brook dev-broker --topic network-traffic --topic processed-data:1
  brook dev-broker --port 19092 --partitions 8 --topic flows
  brook produce --to kafka://127.0.0.1:9092/network-traffic
`

func cmdDevBroker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("dev-broker", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	port := fs.Int("port", 9092, "port to listen on, on 127.0.0.1 (0: any free port, printed)")
	var topics []string
	fs.StringArrayVar(&topics, "topic", nil, "create this topic: NAME, or NAME:PARTITIONS (repeatable)")
	partitions := fs.Int("partitions", 4, "partitions of each topic that does not say, and of topics created when first written to")
	sasl := fs.String("sasl", "", "require SASL authentication: plain, scram-sha-256 or scram-sha-512, of the user $BROOK_KAFKA_USER with the password $BROOK_KAFKA_PASSWORD (to try a client's settings; no TLS)")
	fs.Usage = func() { fmt.Fprintf(stderr, devBrokerUsage, fs.FlagUsages()) }
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v (topics are given with --topic NAME[:PARTITIONS])", fs.Args())
	}
	if *port < 0 || *port > 65535 {
		return fmt.Errorf("--port %d: a port is 0 to 65535", *port)
	}
	if *partitions < 1 || *partitions > 1000 {
		return fmt.Errorf("--partitions %d: give 1 to 1000", *partitions)
	}
	type topic struct {
		name  string
		parts int
	}
	var list []topic
	seen := map[string]bool{}
	for _, t := range topics {
		name, n, hasN := strings.Cut(t, ":")
		parts := *partitions
		if hasN {
			p, err := strconv.Atoi(n)
			if err != nil || p < 1 || p > 1000 {
				return fmt.Errorf("--topic %q: the partitions after the colon are a number from 1 to 1000", t)
			}
			parts = p
		}
		if err := validTopic(name); err != nil {
			return fmt.Errorf("--topic %q: %v", t, err)
		}
		if seen[name] {
			return fmt.Errorf("--topic %s is given twice", name)
		}
		seen[name] = true
		list = append(list, topic{name, parts})
	}
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(*partitions)}
	user := ""
	if *sasl != "" {
		mech := strings.ToUpper(*sasl)
		if mech != "PLAIN" && mech != "SCRAM-SHA-256" && mech != "SCRAM-SHA-512" {
			return fmt.Errorf("--sasl %s: give plain, scram-sha-256 or scram-sha-512", *sasl)
		}
		user = os.Getenv("BROOK_KAFKA_USER")
		pass := os.Getenv("BROOK_KAFKA_PASSWORD")
		if user == "" || pass == "" {
			return fmt.Errorf("--sasl %s: set the user in $BROOK_KAFKA_USER and the password in $BROOK_KAFKA_PASSWORD, as brook's clients read them", *sasl)
		}
		opts = append(opts, kfake.EnableSASL(), kfake.Superuser(mech, user, pass))
	}
	if *port != 0 {
		opts = append(opts, kfake.Ports(*port))
	}
	for _, t := range list {
		opts = append(opts, kfake.SeedTopics(int32(t.parts), t.name))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		if *port != 0 {
			return fmt.Errorf("cannot listen on 127.0.0.1:%d: %v (another broker may be running there; give --port with another port, or --port 0 for any free one)", *port, err)
		}
		return err
	}
	defer c.Close()
	addr := c.ListenAddrs()[0]
	fmt.Fprintf(stdout, "brook dev-broker: a development Kafka broker, in memory (not for production)\n")
	fmt.Fprintf(stdout, "bootstrap address: %s\n", addr)
	if user != "" {
		fmt.Fprintf(stdout, "SASL %s: user %s, the password in $BROOK_KAFKA_PASSWORD\n", strings.ToUpper(*sasl), user)
	}
	for _, t := range list {
		fmt.Fprintf(stdout, "topic %s: %s\n", t.name, plural(int64(t.parts), "partition"))
	}
	fmt.Fprintf(stdout, "other topics are created when first written to, with %s; Ctrl-C stops the broker (its records are lost)\n",
		plural(int64(*partitions), "partition"))
	if f, ok := stdout.(interface{ Sync() error }); ok {
		f.Sync()
	}
	<-ctx.Done()
	return nil
}

// validTopic checks a topic name as Kafka does: 1 to 249 characters of
// ASCII letters, digits, '.', '_' and '-', and not "." or "..".
func validTopic(name string) error {
	if name == "" || name == "." || name == ".." || len(name) > 249 {
		return fmt.Errorf("a topic name is 1 to 249 characters, not %q", name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("a topic name holds only letters, digits, '.', '_' and '-', not %q", r)
		}
	}
	return nil
}
