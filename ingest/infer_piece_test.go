package ingest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"brook/decode"
)

// TestInferPiecewise: a file sampled a piece at a time gives the schema
// of the whole text fed at once, whatever the piece size: lines cut at a
// piece's end, lines longer than a piece, a byte-order mark, a last line
// without its newline, a sample that ends inside a file (a key only in the
// lines after it must not appear) and a malformed line.
func TestInferPiecewise(t *testing.T) {
	dir := t.TempDir()
	var a, b strings.Builder
	a.WriteString("\xEF\xBB\xBF")
	for i := range 300 {
		fmt.Fprintf(&a, `{"n": %d, "s": "%s", "t": "2024-01-02 03:04:05"}`+"\n", i, strings.Repeat("x", i%97))
		if i == 150 {
			a.WriteString("{broken\n")
			fmt.Fprintf(&a, `{"n": 1.5, "long": "%s"}`+"\n", strings.Repeat("y", 5000))
		}
	}
	a.WriteString(`{"n": 7, "flag": true}`) // no newline at the end
	for i := range 300 {
		fmt.Fprintf(&b, `{"n": %d, "late%d": 1}`+"\n", i, i)
	}
	fa, fb := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	if err := os.WriteFile(fa, []byte(a.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fb, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	defer func(p int) { samplePiece = p }(samplePiece)
	for _, rows := range []int{10, 151, 152, 302, 350, 20480} {
		whole := decode.NewSampler(rows)
		whole.Feed([]byte(a.String()), true)
		if !whole.Full() {
			whole.Feed([]byte(b.String()), true)
		}
		want, err := whole.Schema(fmt.Errorf("none"))
		if err != nil {
			t.Fatal(err)
		}
		for _, piece := range []int{1, 7, 64, 4096, 1 << 20} {
			samplePiece = piece
			got, err := Infer([]string{fa, fb}, rows)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("%d rows, pieces of %d bytes: %s, want %s", rows, piece, got, want)
			}
		}
	}
}
