package baseline

import (
	"context"
	"regexp"
	"testing"
)

// TestLibraryVersion checks that the version brook names is the one the
// linked DuckDB reports through its own pragma, in DuckDB's v-major.minor.patch
// form.
func TestLibraryVersion(t *testing.T) {
	v, err := LibraryVersion()
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^v\d+\.\d+\.\d+`).MatchString(v) {
		t.Fatalf("LibraryVersion() = %q, want DuckDB's vX.Y.Z", v)
	}
	db, err := Open(1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var pragma string
	if err := db.db.QueryRowContext(context.Background(), "SELECT library_version FROM pragma_version()").Scan(&pragma); err != nil {
		t.Fatal(err)
	}
	if pragma != v {
		t.Errorf("LibraryVersion() = %q, PRAGMA version says %q", v, pragma)
	}
}
