package value

import (
	"encoding/json"
	"testing"
)

// TestJSONDoubles: a DOUBLE is written as DuckDB writes it, always with a
// fraction or an exponent, so that a reader takes it back as a DOUBLE; a
// BIGINT without; values JSON has no number for as their text.
func TestJSONDoubles(t *testing.T) {
	for _, c := range []struct {
		v    Value
		want string
	}{
		{FloatValue(172800), `172800.0`},
		{FloatValue(-0.0 * -1), `0.0`},
		{FloatValue(2.5), `2.5`},
		{FloatValue(1e21), `1e+21`},
		{FloatValue(5e-324), `5e-324`},
		{IntValue(172800), `172800`},
		{BoolValue(true), `true`},
		{NullValue, `null`},
	} {
		out, err := json.Marshal(c.v.JSON())
		if err != nil || string(out) != c.want {
			t.Errorf("%v: %s (%v), want %s", c.v, out, err, c.want)
			continue
		}
		var back any
		if err := json.Unmarshal(out, &back); err != nil {
			t.Errorf("%s does not read back: %v", out, err)
		}
	}
}
