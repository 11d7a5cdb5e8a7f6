package diff

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"brook/value"
)

func row(vs ...any) []value.Value {
	r := make([]value.Value, len(vs))
	for i, v := range vs {
		switch x := v.(type) {
		case nil:
			r[i] = value.NullValue
		case string:
			r[i] = value.StringValue(x)
		case int:
			r[i] = value.IntValue(int64(x))
		case float64:
			r[i] = value.FloatValue(x)
		}
	}
	return r
}

func TestKeyedComparison(t *testing.T) {
	cols := []string{"dev", "hits", "bytes"}
	stream := [][]value.Value{row("a", 3, 1.0), row("b", 2, 2.0), row("x", 1, 0.5), row("n", nil, 1.0)}
	base := [][]value.Value{row("b", 2, 2.0+1e-13), row("a", 4, 1.0), row("c", 1, 9.0), row("n", nil, 1.0)}
	r := Compare(cols, []int{0}, stream, base, 0)
	if r.Equal {
		t.Fatal("reported equal")
	}
	if len(r.Missing) != 1 || r.Missing[0][0].S != "c" {
		t.Errorf("missing: %v", r.Missing)
	}
	if len(r.Extra) != 1 || r.Extra[0][0].S != "x" {
		t.Errorf("extra: %v", r.Extra)
	}
	if len(r.Differs) != 1 || r.Differs[0].Column != "hits" || r.Differs[0].Stream.I != 3 || r.Differs[0].Baseline.I != 4 {
		t.Errorf("differs: %+v", r.Differs)
	}
	text := r.Text(0)
	for _, want := range []string{"DIFFERENT: 1 missing in stream, 1 extra in stream, 1 values differ", "dev=c, hits=1, bytes=9.0", "dev=a: hits stream=3 baseline=4"} {
		if !strings.Contains(text, want) {
			t.Errorf("text report lacks %q:\n%s", want, text)
		}
	}
	var js map[string]any
	b, _ := json.Marshal(r)
	if err := json.Unmarshal(b, &js); err != nil || js["equal"] != false {
		t.Errorf("json: %s (%v)", b, err)
	}
}

func TestTolerance(t *testing.T) {
	cases := []struct {
		a, b value.Value
		same bool
	}{
		{value.FloatValue(1e6), value.FloatValue(1e6 * (1 + 1e-10)), true},
		{value.FloatValue(1e6), value.FloatValue(1e6 * (1 + 1e-8)), false},
		{value.FloatValue(0), value.FloatValue(1e-300), false},
		{value.IntValue(3), value.FloatValue(3), true},
		{value.IntValue(3), value.IntValue(4), false},
		{value.FloatValue(math.NaN()), value.FloatValue(math.NaN()), true},
		{value.NullValue, value.NullValue, true},
		{value.NullValue, value.IntValue(0), false},
		{value.StringValue("1"), value.IntValue(1), false},
		{value.FloatValue(math.Inf(1)), value.FloatValue(0), false},
		{value.FloatValue(1e308), value.FloatValue(math.Inf(1)), false},
		{value.FloatValue(math.Inf(-1)), value.FloatValue(math.Inf(1)), false},
		{value.FloatValue(math.Inf(-1)), value.FloatValue(math.Inf(-1)), true},
	}
	for _, c := range cases {
		if got := Same(c.a, c.b, DefaultTolerance); got != c.same {
			t.Errorf("Same(%v, %v) = %v, want %v", c.a, c.b, got, c.same)
		}
	}
}

func TestMultiset(t *testing.T) {
	cols := []string{"a", "b"}
	stream := [][]value.Value{row("x", 1), row("x", 1), row("y", 2)}
	if r := Compare(cols, nil, stream, [][]value.Value{row("y", 2), row("x", 1), row("x", 1)}, 0); !r.Equal {
		t.Errorf("same multiset reported different: %s", r.Text(0))
	}
	r := Compare(cols, nil, stream, [][]value.Value{row("y", 2), row("x", 1), row("z", 3)}, 0)
	if r.Equal || len(r.Missing) != 1 || len(r.Extra) != 1 || r.Missing[0][0].S != "z" || r.Extra[0][0].S != "x" {
		t.Errorf("duplicate row not caught: %s", r.Text(0))
	}
	// Keys that are not unique fall back to whole-row comparison.
	if r := Compare(cols, []int{0}, stream, stream, 0); !r.Equal || len(r.KeyColumns) != 0 {
		t.Errorf("non-unique keys: %s", r.Text(0))
	}
}

// TestCheckOrder: the same rows in another order are a difference for an
// ordered result, and the report names the first row out of place.
func TestCheckOrder(t *testing.T) {
	cols := []string{"a"}
	stream := [][]value.Value{row(1), row(3), row(0), row(2)}
	base := [][]value.Value{row(0), row(1), row(2), row(3)}
	r := Compare(cols, nil, stream, base, 0)
	if !r.Equal {
		t.Fatal("the same multiset compared unequal")
	}
	r.CheckOrder(stream, base)
	if r.Equal || r.OutOfOrder != 4 || r.OrderAt != 0 {
		t.Fatalf("equal=%v out of order=%d at %d", r.Equal, r.OutOfOrder, r.OrderAt)
	}
	text := r.Text(0)
	if !strings.Contains(text, "the same rows in another order: 4 of 4 rows out of place, the first at row 1") ||
		!strings.Contains(text, "stream:   a=1") || !strings.Contains(text, "baseline: a=0") {
		t.Errorf("report:\n%s", text)
	}
	sorted := [][]value.Value{row(0), row(1.0 + 1e-12), row(2), row(3)}
	r = Compare(cols, nil, sorted, base, 1e-9)
	r.CheckOrder(sorted, base)
	if !r.Equal {
		t.Errorf("rows in the same order, within the tolerance, compared unequal:\n%s", r.Text(0))
	}
}

// TestRequireInput: a stream that read nothing compared nothing, even when
// both results agree (a count of 0 on both sides).
func TestRequireInput(t *testing.T) {
	r := Compare([]string{"n"}, nil, [][]value.Value{row(0)}, [][]value.Value{row(0)}, 0)
	r.RequireInput()
	if r.Equal || !strings.HasPrefix(r.Summary(), "NOTHING COMPARED") {
		t.Fatalf("equal=%v: %s", r.Equal, r.Summary())
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"nothing_read":true`) || !strings.Contains(string(b), `"equal":false`) {
		t.Errorf("json: %s", b)
	}
	r.Stream.RowsRead = 5
	r.RequireInput()
	if !r.Equal {
		t.Errorf("a stream that read 5 rows: %s", r.Summary())
	}
}

// TestResultShown: an agreed result of at most Show rows is listed, in the
// text and the JSON; a larger one is not.
func TestResultShown(t *testing.T) {
	rows := [][]value.Value{row("a", 3), row("b", 2)}
	r := Compare([]string{"dev", "n"}, []int{0}, rows, rows, 0)
	r.Show = 2
	if text := r.Text(0); !strings.Contains(text, "result (2 rows, as both sides give it):\n  dev=a, n=3\n  dev=b, n=2\n") {
		t.Errorf("report:\n%s", text)
	}
	if b, _ := json.Marshal(r); !strings.Contains(string(b), `"result":[{"dev":"a","n":3},{"dev":"b","n":2}]`) {
		t.Errorf("json: %s", b)
	}
	r.Show = 1
	if text := r.Text(0); strings.Contains(text, "result (") {
		t.Errorf("a result of 2 rows listed with Show 1:\n%s", text)
	}
}
