package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestFollowChangedAfterRead: brook run --follow reads a file once it ends
// with a newline and has been still for --settle; when its writer then
// goes on (it had paused longer than --settle), the change is reported
// naming the file: under --on-error fail the run stops with exit 2, under
// skip the run goes on and names the file as skipped when it ends.
func TestFollowChangedAfterRead(t *testing.T) {
	for _, policy := range []string{"fail", "skip"} {
		t.Run(policy, func(t *testing.T) {
			dir := t.TempDir()
			a := filepath.Join(dir, "a.json")
			if err := os.WriteFile(a, []byte("{\"a\": \"x\"}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			ch := startBrook(t, "run", "--follow", "--settle", "20ms", "--on-error", policy, "--source", "flows="+dir,
				"--schema", "a VARCHAR", "--format", "csv", "-e", "SELECT count(*) AS n FROM flows")
			ch.waitForOut(t, "0,1\n") // batch 0 read a.json: one row
			f, err := os.OpenFile(a, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString("{\"a\": \"y\"}\n")
			f.Close()
			says := a + ": rewritten after it was read (11 bytes then, 22 now)"
			if policy == "fail" {
				code := ch.wait(t)
				if code != exitError || !strings.Contains(ch.errText(), "brook run: "+says) {
					t.Errorf("exit %d, stderr:\n%s\nwant exit 2 saying %q", code, ch.errText(), says)
				}
				return
			}
			// b.json comes after a.json in name order: once it is read,
			// the change to a.json was seen (it is reported first).
			if err := os.WriteFile(filepath.Join(dir, "b.json"), []byte("{\"a\": \"z\"}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			ch.waitForOut(t, "1,2\n")
			code := ch.signal(t, syscall.SIGTERM)
			if code != exitOK || !strings.Contains(ch.errText(), "brook: skipped "+says) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 0 naming the changed file as skipped", code, ch.errText())
			}
		})
	}
}
