package diff

import (
	"encoding/json"

	"brook/value"
)

type jsonDiff struct {
	Key      map[string]any `json:"key"`
	Column   string         `json:"column"`
	Stream   any            `json:"stream"`
	Baseline any            `json:"baseline"`
}

// MarshalJSON renders the report for machines:
// {"equal": bool, "summary": ..., "stream": {...}, "baseline": {...},
// "key_columns": [...], "tolerance": 1e-9, "missing_in_stream": [{col: v}],
// "extra_in_stream": [...], "value_differs": [{"key", "column", "stream", "baseline"}]}.
func (r *Report) MarshalJSON() ([]byte, error) {
	rows := func(rs [][]value.Value) []map[string]any {
		out := make([]map[string]any, len(rs))
		for i, row := range rs {
			m := map[string]any{}
			for c, v := range row {
				m[r.Columns[c]] = v.JSON()
			}
			out[i] = m
		}
		return out
	}
	diffs := make([]jsonDiff, len(r.Differs))
	for i, d := range r.Differs {
		key := map[string]any{}
		for k, v := range d.Key {
			key[r.KeyColumns[k]] = v.JSON()
		}
		diffs[i] = jsonDiff{Key: key, Column: d.Column, Stream: d.Stream.JSON(), Baseline: d.Baseline.JSON()}
	}
	keys := r.KeyColumns
	if keys == nil {
		keys = []string{}
	}
	notes := r.Notes
	if notes == nil {
		notes = []string{}
	}
	m := map[string]any{
		"equal":             r.Equal,
		"summary":           r.Summary(),
		"stream":            r.Stream,
		"baseline":          r.Baseline,
		"key_columns":       keys,
		"tolerance":         r.Tolerance,
		"missing_in_stream": rows(r.Missing),
		"extra_in_stream":   rows(r.Extra),
		"value_differs":     diffs,
		"notes":             notes,
		"explained":         explained(r),
		"why_explained":     r.Why,
		"strict":            r.Strict,
		"nothing_read":      r.NothingRead,
		"ordered":           r.Ordered,
		"out_of_order":      r.OutOfOrder,
	}
	if r.OutOfOrder > 0 {
		m["first_out_of_order"] = map[string]any{"row": r.OrderAt + 1, "stream": rows([][]value.Value{r.OrderStream})[0], "baseline": rows([][]value.Value{r.OrderBaseline})[0]}
	}
	if r.Equal && r.shown() {
		m["result"] = rows(r.Result)
	}
	return json.Marshal(m)
}

func explained(r *Report) []map[string]any {
	out := []map[string]any{}
	for _, e := range r.Explained {
		row := map[string]any{}
		for c, v := range e.Row {
			row[r.Columns[c]] = v.JSON()
		}
		out = append(out, map[string]any{"what": e.What, "row": row})
	}
	return out
}
