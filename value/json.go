package value

import (
	"encoding/json"
	"math"
)

// JSON converts v to what encoding/json should write for it: a number
// (a HUGEINT as its exact integer, a DOUBLE always with a fraction or an
// exponent, so that it reads back as a DOUBLE), a string, a boolean or null; NaN and
// the infinities, which JSON has no numbers for, as their text ("nan",
// "-inf"); a TIMESTAMP as its text. Sinks, the dashboard, the REPL and
// the diff's JSON report all write values through it.
func (v Value) JSON() any {
	switch v.Kind {
	case Null:
		return nil
	case Bool:
		return v.I != 0
	case Int:
		return v.I
	case Huge:
		return json.Number(v.Format())
	case Float:
		if math.IsNaN(v.F) || math.IsInf(v.F, 0) {
			return v.Format()
		}
		// As DuckDB writes a DOUBLE: 172800.0, not 172800, which a
		// reader would take for a BIGINT.
		return json.Number(v.Format())
	}
	return v.Format()
}
