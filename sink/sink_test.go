package sink

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"brook/value"
)

var schema = value.Schema{{Name: "dev", Type: value.String}, {Name: "hits", Type: value.Int}, {Name: "avg", Type: value.Float}}

var rows = [][]value.Value{
	{value.StringValue("web,1 \"x\"\nnext"), value.IntValue(3), value.FloatValue(2.5)},
	{value.NullValue, value.IntValue(-1), value.FloatValue(math.Inf(1))},
}

func TestCSVQuotesAndNulls(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b, CSV, schema)
	if err := w.Batch(BatchInfo{ID: 7}, rows); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"batch", "dev", "hits", "avg"}, {"7", "web,1 \"x\"\nnext", "3", "2.5"}, {"7", "", "-1", "inf"}}
	if len(recs) != 3 {
		t.Fatalf("records %q", recs)
	}
	for i := range want {
		if strings.Join(recs[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("record %d = %q, want %q", i, recs[i], want[i])
		}
	}
}

func TestJSONLines(t *testing.T) {
	var b bytes.Buffer
	if err := NewWriter(&b, JSON, schema).Result(rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %s", len(lines), b.String())
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first["dev"] != "web,1 \"x\"\nnext" || first["hits"] != 3.0 || first["avg"] != 2.5 {
		t.Errorf("first row %v", first)
	}
	if !strings.Contains(lines[1], `"dev":null`) || !strings.Contains(lines[1], `"avg":"inf"`) {
		t.Errorf("second row %s", lines[1])
	}
}

func TestTableAlignsAndEscapes(t *testing.T) {
	var b bytes.Buffer
	if err := NewWriter(&b, Table, schema).Result(rows); err != nil {
		t.Fatal(err)
	}
	want := `+---------------+----+---+
|dev            |hits|avg|
+---------------+----+---+
|web,1 "x"\nnext|   3|2.5|
|NULL           |  -1|inf|
+---------------+----+---+
(2 rows)

`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
