package sink

import (
	"strings"
	"testing"

	"brook/value"
)

// TestKafkaKey renders group keys: none, one value as text, several as a
// JSON array.
func TestKafkaKey(t *testing.T) {
	row := []value.Value{value.StringValue("Comp1"), value.IntValue(443), value.NullValue}
	for _, c := range []struct {
		keys []int
		want string
	}{
		{nil, ""},
		{[]int{0}, "Comp1"},
		{[]int{1}, "443"},
		{[]int{2}, "null"},
		{[]int{0, 1}, `["Comp1",443]`},
	} {
		s := &KafkaSink{keys: c.keys}
		if got := string(s.key(row)); got != c.want {
			t.Errorf("keys %v: %q, want %q", c.keys, got, c.want)
		}
	}
}

// TestOpenErrors checks that bad sink URIs get clear errors.
func TestOpenErrors(t *testing.T) {
	for uri, want := range map[string]string{
		"bogus://x":            "unknown kind",
		"file:///tmp/out.txt":  "unknown extension",
		"file://":              "no path",
		"kafka://b:1":          "want kafka://",
		"kafka://b:1/t?x=1":    `unknown parameter "x" (known: tls, tls-ca,`,
		"/nonexistent/d/o.csv": "file sink",
	} {
		if _, err := Open(uri, Target{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error containing %q", uri, err, want)
		}
	}
}
