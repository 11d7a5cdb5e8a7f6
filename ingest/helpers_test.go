package ingest

import (
	"reflect"
	"testing"

	"brook/value"
)

// Helpers for the tests of sources that decode what they read.

// Shorthands for expected values.
func vS(s string) value.Value  { return value.StringValue(s) }
func vF(f float64) value.Value { return value.FloatValue(f) }
func vI(i int64) value.Value   { return value.IntValue(i) }
func vB(b bool) value.Value    { return value.BoolValue(b) }

var vNull = value.NullValue

// schema builds a value.Schema from "name", Type pairs.
func schema(pairs ...any) value.Schema {
	var s value.Schema
	for i := 0; i < len(pairs); i += 2 {
		s = append(s, value.Column{Name: pairs[i].(string), Type: pairs[i+1].(value.Type)})
	}
	return s
}

// decodeText decodes data as one chunk named "in.json" starting at line 1.
func decodeText(t testing.TB, cols value.Schema, data string) (*Batch, []Reject, DecodeStats) {
	t.Helper()
	d := NewDecoder(cols)
	b := &Batch{}
	b.Reset(len(cols))
	rejects, stats := d.Decode([]Chunk{{Name: "in.json", FirstLine: 1, Data: []byte(data)}}, b)
	checkShape(t, b)
	return b, rejects, stats
}

// checkShape checks the batch invariant: Rows full rows of Width values.
func checkShape(t testing.TB, b *Batch) {
	t.Helper()
	if len(b.Values) != b.Rows*b.Width {
		t.Fatalf("batch has %d values for %d rows of width %d", len(b.Values), b.Rows, b.Width)
	}
}

func checkRows(t *testing.T, b *Batch, want ...[]value.Value) {
	t.Helper()
	if b.Rows != len(want) {
		t.Fatalf("got %d rows, want %d: %v", b.Rows, len(want), b.Values)
	}
	for i, w := range want {
		if got := b.Row(i); !reflect.DeepEqual(got, w) {
			t.Errorf("row %d = %v, want %v", i, got, w)
		}
	}
}

func row(vs ...value.Value) []value.Value { return vs }

func noRejects(t *testing.T, rejects []Reject) {
	t.Helper()
	for _, r := range rejects {
		t.Errorf("unexpected reject: %v (raw %q)", r, r.Raw)
	}
}

// lanlSchema is the schema of gen's records, as Infer gives it.
var lanlSchema = schema(
	"time", value.Float, "duration", value.Float, "srcdevice", value.String, "dstdevice", value.String,
	"protocol", value.Float, "srcport", value.String, "dstport", value.String, "srcpackets", value.Float,
	"dstpackets", value.Float, "srcbytes", value.Float, "dstbytes", value.Float,
)
