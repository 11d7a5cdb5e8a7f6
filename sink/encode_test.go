package sink

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"

	"brook/value"
)

// trickyStrings are texts whose CSV quoting or JSON escaping differ from
// the plain text.
var trickyStrings = []string{
	"", "plain", " lead", "\tlead", "\u00a0nbsp", "\u0085nel", "\u2003em", "trail ", "a,b", `say "hi"`, "\"", "line\nbreak",
	"cr\rret", `\.`, `\.x`, "<b>&amp;</b>", "\x00\x01\x1f\x7f", "\b\f", "ünïcödé", "\u2028\u2029", "bad\xffutf8\xc3",
	"\xe2\x80", "emoji 🙂", "back\\slash", "\v", "x\u2028y",
}

// oldCSV is what the CSV writer wrote through encoding/csv: NULL as the
// empty field, any other value as its Format text.
func oldCSV(schema value.Schema, rows [][]value.Value, batch *int64, header bool) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if header {
		h := schema.Names()
		if batch != nil {
			h = append([]string{"batch"}, h...)
		}
		w.Write(h)
	}
	for _, row := range rows {
		var rec []string
		if batch != nil {
			rec = append(rec, strconv.FormatInt(*batch, 10))
		}
		for _, v := range row {
			if v.IsNull() {
				rec = append(rec, "")
			} else {
				rec = append(rec, v.Format())
			}
		}
		w.Write(rec)
	}
	w.Flush()
	return b.Bytes()
}

// oldJSON is what the JSON writer wrote through encoding/json.
func oldJSON(t *testing.T, schema value.Schema, rows [][]value.Value, batch *int64) []byte {
	var b []byte
	for _, row := range rows {
		b = append(b, '{')
		if batch != nil {
			b = append(b, `"batch":`...)
			b = strconv.AppendInt(b, *batch, 10)
			if len(row) > 0 {
				b = append(b, ',')
			}
		}
		for c, v := range row {
			if c > 0 {
				b = append(b, ',')
			}
			key, _ := json.Marshal(schema[c].Name)
			b = append(append(b, key...), ':')
			val, err := json.Marshal(v.JSON())
			if err != nil {
				t.Fatal(err)
			}
			b = append(b, val...)
		}
		b = append(b, '}', '\n')
	}
	return b
}

// randomValue draws a value of any kind, strings from trickyStrings or
// random bytes.
func randomValue(r *rand.Rand) value.Value {
	switch r.IntN(9) {
	case 0:
		return value.NullValue
	case 1:
		return value.BoolValue(r.IntN(2) == 0)
	case 2:
		return value.IntValue(r.Int64() >> r.IntN(64))
	case 3:
		fs := []float64{0, -0.0, 784, 1e16, 1.5e-5, math.NaN(), math.Inf(1), math.Inf(-1), r.NormFloat64() * 1e6}
		return value.FloatValue(fs[r.IntN(len(fs))])
	case 4:
		return value.TimestampValue(r.Int64N(4e15) - 2e15)
	case 5:
		x := new(big.Int).Lsh(big.NewInt(r.Int64()), 64)
		return value.BigIntValue(x.Sub(x, big.NewInt(int64(r.IntN(1000)))))
	case 6:
		b := make([]byte, r.IntN(12))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return value.StringValue(string(b))
	}
	return value.StringValue(trickyStrings[r.IntN(len(trickyStrings))])
}

// TestWritersMatchEncoders checks that the CSV and JSON writers write, byte
// for byte, what encoding/csv and encoding/json write for the same rows,
// over several batches into the writer's reused buffer.
func TestWritersMatchEncoders(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var schema value.Schema
	for _, name := range []string{"dev", "a,b", " sp", "q\"", "<k>", "ü"} {
		schema = append(schema, value.Column{Name: name, Type: value.String})
	}
	for round := range 200 {
		var csvOut, jsonOut, csvWant, jsonWant bytes.Buffer
		cw, jw := NewWriter(&csvOut, CSV, schema), NewWriter(&jsonOut, JSON, schema)
		for batch := range int64(3) {
			rows := make([][]value.Value, r.IntN(20))
			for i := range rows {
				rows[i] = make([]value.Value, len(schema))
				for c := range rows[i] {
					rows[i][c] = randomValue(r)
				}
			}
			if round%2 == 0 { // per-batch output
				if err := cw.Batch(BatchInfo{ID: batch}, rows); err != nil {
					t.Fatal(err)
				}
				if err := jw.Batch(BatchInfo{ID: batch}, rows); err != nil {
					t.Fatal(err)
				}
				csvWant.Write(oldCSV(schema, rows, &batch, batch == 0))
				jsonWant.Write(oldJSON(t, schema, rows, &batch))
				continue
			}
			if err := cw.Result(rows); err != nil {
				t.Fatal(err)
			}
			if err := jw.Result(rows); err != nil {
				t.Fatal(err)
			}
			csvWant.Write(oldCSV(schema, rows, nil, batch == 0))
			jsonWant.Write(oldJSON(t, schema, rows, nil))
		}
		if !bytes.Equal(csvOut.Bytes(), csvWant.Bytes()) {
			t.Fatalf("round %d: CSV\n%q\nwant\n%q", round, csvOut.String(), csvWant.String())
		}
		if !bytes.Equal(jsonOut.Bytes(), jsonWant.Bytes()) {
			t.Fatalf("round %d: JSON\n%q\nwant\n%q", round, jsonOut.String(), jsonWant.String())
		}
	}
}

// TestCSVFieldQuoting checks each tricky text as one field against
// encoding/csv.
func TestCSVFieldQuoting(t *testing.T) {
	for _, s := range trickyStrings {
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		w.Write([]string{s})
		w.Flush()
		if got := string(appendCSVField(nil, s)) + "\n"; got != b.String() {
			t.Errorf("%q: got %q, want %q", s, got, b.String())
		}
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("%q: JSON %s, want %s", s, got, want)
		}
	}
}

// FuzzJSONString checks the JSON string escaping against encoding/json.
func FuzzJSONString(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("%q: %s, want %s", s, got, want)
		}
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		w.Write([]string{s, "x"})
		w.Flush()
		if got := string(appendCSVField(nil, s)) + ",x\n"; got != b.String() {
			t.Errorf("%q: CSV %q, want %q", s, got, b.String())
		}
	})
}
