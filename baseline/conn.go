package baseline

import (
	"context"
	gosql "database/sql"
	"fmt"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"brook/value"
)

// Conn is one connection to the database for statements written in
// DuckDB's own dialect (any statement DuckDB takes: SELECT without FROM,
// joins, SHOW, DESCRIBE, COPY ... TO, CREATE, SET). It keeps its state
// (temporary views and tables, settings) from one statement to the next.
// It is not safe for concurrent use; Close it when done.
type Conn struct{ c *gosql.Conn }

// Conn opens a connection of its own.
func (d *DB) Conn(ctx context.Context) (*Conn, error) {
	c, err := d.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("baseline: DuckDB: %w", err)
	}
	return &Conn{c: c}, nil
}

// Close releases the connection.
func (c *Conn) Close() error { return c.c.Close() }

// Exec runs statements whose results are not wanted.
func (c *Conn) Exec(ctx context.Context, query string) error {
	if err := checkText(query); err != nil {
		return err
	}
	if _, err := c.c.ExecContext(ctx, query); err != nil {
		return fmt.Errorf("DuckDB: %w", cleanErr(err))
	}
	return nil
}

// Column is a result column of a statement run on a Conn.
type Column struct {
	Name string
	// Type is DuckDB's name of the column's type (INTEGER, DECIMAL(18,3),
	// VARCHAR[], ...).
	Type string
	// Numeric columns are aligned right.
	Numeric bool
}

// Query runs one statement and hands its columns to header, then each row
// to each, in order, as they come; an error from either stops the
// statement and is returned. Values of brook's types (BOOLEAN, integers,
// floating point, VARCHAR, TIMESTAMP, HUGEINT) come as such; any other
// (DATE, DECIMAL, INTERVAL, lists, structs, ...) as its text, written as
// DuckDB writes it. The row slice is reused: copy it to keep it.
func (c *Conn) Query(ctx context.Context, query string, header func([]Column) error, each func([]value.Value) error) error {
	if err := checkText(query); err != nil {
		return err
	}
	rows, err := c.c.QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("DuckDB: %w", cleanErr(err))
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return fmt.Errorf("DuckDB: %w", err)
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		return fmt.Errorf("DuckDB: %w", err)
	}
	cols := make([]Column, len(names))
	for i, n := range names {
		t := types[i].DatabaseTypeName()
		cols[i] = Column{Name: n, Type: t, Numeric: numericType(t)}
	}
	if err := header(cols); err != nil {
		return err
	}
	cells := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range cells {
		ptrs[i] = &cells[i]
	}
	row := make([]value.Value, len(cols))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("DuckDB: reading results: %w", err)
		}
		for i, x := range cells {
			row[i] = cellValue(x, cols[i].Type)
		}
		if err := each(row); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("DuckDB: %w", cleanErr(err))
	}
	return nil
}

// checkText refuses text DuckDB cannot take (it reads a C string).
func checkText(query string) error {
	if strings.IndexByte(query, 0) >= 0 {
		return fmt.Errorf("the statement holds a NUL byte, which DuckDB cannot take")
	}
	if !utf8.ValidString(query) {
		return fmt.Errorf("the statement is not valid UTF-8, which DuckDB cannot take")
	}
	return nil
}

// numericType reports whether DuckDB's type t is a number.
func numericType(t string) bool {
	switch {
	case strings.HasPrefix(t, "DECIMAL"):
		return true
	}
	switch t {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
		"FLOAT", "DOUBLE":
		return true
	}
	return false
}

// cellValue maps a scanned value of DuckDB type t to a brook value: the
// value itself for brook's types, its text otherwise.
func cellValue(x any, t string) value.Value {
	switch v := x.(type) {
	case nil:
		return value.NullValue
	case bool:
		return value.BoolValue(v)
	case int8, int16, int32, int64, uint8, uint16, uint32:
		return value.IntValue(toInt64(v))
	case uint64:
		if v > 1<<63-1 {
			return value.BigIntValue(new(big.Int).SetUint64(v))
		}
		return value.IntValue(int64(v))
	case *big.Int:
		return value.BigIntValue(v)
	case float32:
		return value.FloatValue(float64(v))
	case float64:
		return value.FloatValue(v)
	case string:
		return value.StringValue(v)
	case time.Time:
		if t == "TIMESTAMP" {
			return value.TimestampValue(v.UnixMicro())
		}
	}
	return value.StringValue(string(appendCell(nil, x, t)))
}

// appendCell appends DuckDB's text of x, a value of type t.
func appendCell(dst []byte, x any, t string) []byte {
	switch v := x.(type) {
	case nil:
		return append(dst, "NULL"...)
	case bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, *big.Int, float32, float64:
		return cellValue(v, t).AppendText(dst)
	case string:
		return append(dst, v...)
	case []byte:
		if t == "UUID" && len(v) == 16 {
			return append(dst, fmt.Sprintf("%x-%x-%x-%x-%x", v[:4], v[4:6], v[6:8], v[8:10], v[10:])...)
		}
		for _, c := range v { // BLOB: printable ASCII as is, the rest as \xHH
			if c >= 0x20 && c < 0x7f && c != '\\' {
				dst = append(dst, c)
			} else {
				dst = fmt.Appendf(dst, `\x%02X`, c)
			}
		}
		return dst
	case time.Time:
		switch {
		case t == "DATE":
			return v.UTC().AppendFormat(dst, "2006-01-02")
		case strings.HasPrefix(t, "TIME") && !strings.HasPrefix(t, "TIMESTAMP"):
			dst = v.AppendFormat(dst, "15:04:05")
			if ns := v.Nanosecond(); ns != 0 {
				frac := strconv.Itoa(ns/1000 + 1000000)[1:]
				dst = append(append(dst, '.'), strings.TrimRight(frac, "0")...)
			}
			return dst
		case t == "TIMESTAMPTZ" || t == "TIMESTAMP WITH TIME ZONE":
			return append(value.AppendTimestamp(dst, v.UnixMicro()), "+00"...)
		}
		return value.AppendTimestamp(dst, v.UnixMicro())
	case []any:
		elem := strings.TrimSuffix(t, "[]")
		if i := strings.LastIndexByte(t, '['); i > 0 {
			elem = t[:i]
		}
		dst = append(dst, '[')
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = appendCell(dst, e, elem)
		}
		return append(dst, ']')
	case map[string]any:
		fields := structFields(t)
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			pi, oki := fields[keys[i]]
			pj, okj := fields[keys[j]]
			if oki && okj {
				return pi.pos < pj.pos
			}
			return keys[i] < keys[j]
		})
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = append(append(append(dst, '\''), k...), "': "...)
			dst = appendCell(dst, v[k], fields[k].typ)
		}
		return append(dst, '}')
	}
	return appendReflected(dst, x)
}

// appendReflected writes the driver's own types (DECIMAL, INTERVAL, MAP,
// UUID) by their shape, and anything else with %v.
func appendReflected(dst []byte, x any) []byte {
	rv := reflect.ValueOf(x)
	switch rv.Kind() {
	case reflect.Struct:
		scale, val := rv.FieldByName("Scale"), rv.FieldByName("Value")
		if scale.IsValid() && val.IsValid() {
			if n, ok := val.Interface().(*big.Int); ok && scale.CanUint() {
				return appendDecimal(dst, n, int(scale.Uint()))
			}
		}
		months, days, micros := rv.FieldByName("Months"), rv.FieldByName("Days"), rv.FieldByName("Micros")
		if months.CanInt() && days.CanInt() && micros.CanInt() {
			return appendInterval(dst, months.Int(), days.Int(), micros.Int())
		}
	case reflect.Map:
		keys := rv.MapKeys()
		text := make([]string, len(keys))
		for i, k := range keys {
			text[i] = string(appendCell(nil, k.Interface(), "")) + "=" + string(appendCell(nil, rv.MapIndex(k).Interface(), ""))
		}
		sort.Strings(text)
		return append(append(append(dst, '{'), strings.Join(text, ", ")...), '}')
	case reflect.Array:
		if rv.Len() == 16 && rv.Type().Elem().Kind() == reflect.Uint8 {
			b := make([]byte, 16)
			reflect.Copy(reflect.ValueOf(b), rv)
			return appendCell(dst, b, "UUID")
		}
	}
	return fmt.Appendf(dst, "%v", x)
}

// appendDecimal writes n scaled down by 10^scale with all scale digits,
// as DuckDB prints a DECIMAL: 1.50, -0.05.
func appendDecimal(dst []byte, n *big.Int, scale int) []byte {
	digits := new(big.Int).Abs(n).String()
	if n.Sign() < 0 {
		dst = append(dst, '-')
	}
	if scale <= 0 {
		return append(dst, digits...)
	}
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	return append(append(append(dst, digits[:len(digits)-scale]...), '.'), digits[len(digits)-scale:]...)
}

// appendInterval writes an INTERVAL as DuckDB does: "1 year 2 months 3
// days 04:05:06".
func appendInterval(dst []byte, months, days, micros int64) []byte {
	unit := func(n int64, name string) {
		if n == 0 {
			return
		}
		if len(dst) > 0 && dst[len(dst)-1] != ' ' {
			dst = append(dst, ' ')
		}
		dst = strconv.AppendInt(dst, n, 10)
		dst = append(append(dst, ' '), name...)
		if n != 1 && n != -1 {
			dst = append(dst, 's')
		}
	}
	start := len(dst)
	unit(months/12, "year")
	unit(months%12, "month")
	unit(days, "day")
	if micros != 0 || len(dst) == start {
		if len(dst) > start {
			dst = append(dst, ' ')
		}
		if micros < 0 {
			dst = append(dst, '-')
			micros = -micros
		}
		s := micros / 1000000
		dst = fmt.Appendf(dst, "%02d:%02d:%02d", s/3600, s/60%60, s%60)
		if f := micros % 1000000; f != 0 {
			dst = append(append(dst, '.'), strings.TrimRight(fmt.Sprintf("%06d", f), "0")...)
		}
	}
	return dst
}

type structField struct {
	pos int
	typ string
}

// structFields reads the fields of a STRUCT type name, "STRUCT(a INTEGER,
// "b c" VARCHAR[])", in order.
func structFields(t string) map[string]structField {
	out := map[string]structField{}
	if !strings.HasPrefix(t, "STRUCT(") || !strings.HasSuffix(t, ")") {
		return out
	}
	body := t[len("STRUCT(") : len(t)-1]
	depth, start, quoted := 0, 0, false
	var parts []string
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			parts = append(parts, body[start:i])
			start = i + 1
		}
	}
	parts = append(parts, body[start:])
	for i, p := range parts {
		p = strings.TrimSpace(p)
		var name, typ string
		if strings.HasPrefix(p, `"`) {
			end := 1
			for end < len(p) {
				if p[end] == '"' {
					if end+1 < len(p) && p[end+1] == '"' {
						end += 2
						continue
					}
					break
				}
				end++
			}
			name = strings.ReplaceAll(p[1:min(end, len(p))], `""`, `"`)
			typ = strings.TrimSpace(p[min(end+1, len(p)):])
		} else {
			name, typ, _ = strings.Cut(p, " ")
		}
		out[name] = structField{pos: i, typ: typ}
	}
	return out
}
