package main

import (
	"strings"
	"testing"
)

// TestDevBrokerFlags: bad flags of brook dev-broker are errors that say
// what to give (the broker itself runs in TestDocs, under the Kafka
// walkthrough).
func TestDevBrokerFlags(t *testing.T) {
	t.Setenv("BROOK_KAFKA_USER", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--topic", "a:0"}, "the partitions after the colon are a number from 1 to 1000"},
		{[]string{"--topic", "a b"}, "a topic name holds only letters, digits"},
		{[]string{"--topic", "a", "--topic", "a:2"}, "--topic a is given twice"},
		{[]string{"--partitions", "0"}, "--partitions 0: give 1 to 1000"},
		{[]string{"--port", "70000"}, "a port is 0 to 65535"},
		{[]string{"--sasl", "gssapi"}, "give plain, scram-sha-256 or scram-sha-512"},
		{[]string{"--sasl", "plain"}, "set the user in $BROOK_KAFKA_USER"},
		{[]string{"extra"}, "topics are given with --topic NAME[:PARTITIONS]"},
	} {
		code, out, errOut := brook(t, append([]string{"dev-broker", "--port", "0"}, tc.args...)...)
		if code != exitError || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, want 2 and %q\n%s%s", tc.args, code, tc.want, out, errOut)
		}
	}
}
