package baseline

import (
	"context"
	"fmt"
	"sync"
)

// Version asks the database which DuckDB it is, as DuckDB's version()
// reports it (for example "v2.0.0").
func (d *DB) Version(ctx context.Context) (string, error) {
	var v string
	if err := d.db.QueryRowContext(ctx, "SELECT version()").Scan(&v); err != nil {
		return "", fmt.Errorf("baseline: DuckDB version: %w", cleanErr(err))
	}
	return v, nil
}

// libraryVersion opens a one-thread in-memory DuckDB, once per process and
// only when first asked, and keeps the version it reports.
var libraryVersion = sync.OnceValues(func() (string, error) {
	db, err := Open(1)
	if err != nil {
		return "", err
	}
	defer db.Close()
	return db.Version(context.Background())
})

// LibraryVersion is the version of the DuckDB library linked into this
// binary, asked of DuckDB itself (SELECT version()). The first call starts
// an in-memory database; callers that never ask never start one.
func LibraryVersion() (string, error) { return libraryVersion() }
