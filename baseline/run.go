package baseline

import (
	"context"
	gosql "database/sql"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2"

	"brook/sql"
	"brook/value"
)

// Result is the baseline's answer.
type Result struct {
	SQL      string       // the query DuckDB ran
	Schema   value.Schema // result columns, typed as the plan types them
	Rows     [][]value.Value
	RowsRead int64         // input records DuckDB read
	Elapsed  time.Duration // time of the result query alone
}

// DB is an in-process DuckDB database for baseline queries. It is safe for
// concurrent use; Close it when done.
type DB struct{ db *gosql.DB }

// Open starts an in-memory DuckDB with the given number of threads (0: all
// cores). External file access stays enabled, since read_json needs it; the
// rendered SQL names only the bound files.
func Open(threads int) (*DB, error) {
	dsn := ""
	if threads > 0 {
		dsn = fmt.Sprintf("?threads=%d", threads)
	}
	connector, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		return nil, fmt.Errorf("baseline: open DuckDB: %w", err)
	}
	return &DB{db: gosql.OpenDB(connector)}, nil
}

// Close releases the database.
func (d *DB) Close() error { return d.db.Close() }

// Run executes p over files and returns its result, with the number of
// input records (counted by a second, cheap query).
func (d *DB) Run(ctx context.Context, p *sql.Plan, files []string) (*Result, error) {
	res := &Result{SQL: Render(p, files), Schema: p.OutputSchema()}
	if strings.IndexByte(res.SQL, 0) >= 0 {
		// DuckDB takes the text as a C string: it would end at the NUL.
		return nil, fmt.Errorf("baseline: a name, string or file path holds a NUL byte, which DuckDB cannot take")
	}
	if !utf8.ValidString(res.SQL) {
		return nil, fmt.Errorf("baseline: a name, string or file path is not valid UTF-8, which DuckDB cannot take")
	}
	start := time.Now()
	rows, err := d.db.QueryContext(ctx, res.SQL)
	if err != nil {
		return nil, fmt.Errorf("baseline: DuckDB: %w", cleanErr(err))
	}
	defer rows.Close()
	width := len(res.Schema)
	cells := make([]any, width)
	ptrs := make([]any, width)
	for i := range cells {
		ptrs[i] = &cells[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("baseline: reading results: %w", err)
		}
		row := make([]value.Value, width)
		for i, c := range cells {
			v, err := convert(c, res.Schema[i].Type)
			if err != nil {
				return nil, fmt.Errorf("baseline: column %s: %w", res.Schema[i].Name, err)
			}
			row[i] = v
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("baseline: DuckDB: %w", cleanErr(err))
	}
	res.Elapsed = time.Since(start)
	if len(files) > 0 {
		countSQL := "SELECT count(*) FROM " + Source(p, files)
		if err := d.db.QueryRowContext(ctx, countSQL).Scan(&res.RowsRead); err != nil {
			return nil, fmt.Errorf("baseline: DuckDB: %w", cleanErr(err))
		}
	}
	return res, nil
}

// cleanErr trims DuckDB's multi-line error text to its first lines.
func cleanErr(err error) error {
	msg := err.Error()
	if lines := strings.Split(msg, "\n"); len(lines) > 4 {
		return fmt.Errorf("%s", strings.Join(lines[:4], "\n"))
	}
	return err
}

// convert maps a value scanned from DuckDB to brook's type t.
func convert(c any, t value.Type) (value.Value, error) {
	switch x := c.(type) {
	case nil:
		return value.NullValue, nil
	case bool:
		return value.BoolValue(x), nil
	case int8, int16, int32, int64, uint8, uint16, uint32:
		n := toInt64(x)
		if t == value.Float {
			return value.FloatValue(float64(n)), nil
		}
		return value.IntValue(n), nil
	case uint64:
		return value.IntValue(int64(x)), nil
	case *big.Int: // HUGEINT: exact, as the stream carries it
		if t == value.Float || x.BitLen() > 127 {
			f, _ := new(big.Float).SetInt(x).Float64()
			return value.FloatValue(f), nil
		}
		return value.BigIntValue(x), nil
	case float32:
		return value.FloatValue(float64(x)), nil
	case float64:
		if t == value.Int {
			return value.IntValue(int64(x)), nil
		}
		return value.FloatValue(x), nil
	case duckdb.Decimal:
		f, _ := new(big.Float).Quo(new(big.Float).SetInt(x.Value), new(big.Float).SetFloat64(pow10(x.Scale))).Float64()
		return value.FloatValue(f), nil
	case string:
		return value.StringValue(x), nil
	case []byte:
		return value.StringValue(string(x)), nil
	case time.Time:
		return value.TimestampValue(x.UnixMicro()), nil
	}
	return value.NullValue, fmt.Errorf("unexpected DuckDB value %T", c)
}

func pow10(n uint8) float64 {
	f := 1.0
	for i := uint8(0); i < n; i++ {
		f *= 10
	}
	return f
}

func toInt64(x any) int64 {
	switch n := x.(type) {
	case int8:
		return int64(n)
	case int16:
		return int64(n)
	case int32:
		return int64(n)
	case int64:
		return n
	case uint8:
		return int64(n)
	case uint16:
		return int64(n)
	case uint32:
		return int64(n)
	}
	return 0
}
