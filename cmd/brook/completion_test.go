package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompletionBash sources the bash script brook completion prints and
// asks it to complete command lines as bash would on Tab.
func TestCompletionBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not found")
	}
	code, script, errOut := brook(t, "completion", "bash")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	file := filepath.Join(t.TempDir(), "brook.bash")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		line string // the words typed, the last one being completed
		want string // the completions, space separated
	}{
		{"brook ru", "run"},
		{"brook d", "diff dev-broker"},
		{"brook run --late", "--late-rows --lateness"},
		{"brook diff --tol", "--tolerance"},
		{"brook produce --t", "--to"},
		{"brook completion z", "zsh"},
		{"brook help b", "baseline bench"},
	} {
		words := strings.Fields(c.line)
		args := append([]string{"--norc", "-c", `source "$0"; COMP_WORDS=("${@}"); COMP_CWORD=$(( $# - 1 )); _brook; echo "${COMPREPLY[*]}"`, file}, words...)
		cmd := exec.Command(bash, args...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%q: %v\n%s", c.line, err, out)
		}
		if got := strings.TrimSpace(string(out)); got != c.want {
			t.Errorf("%q completes to %q, want %q", c.line, got, c.want)
		}
	}
}

// TestCompletionScripts: every shell's script names every command and the
// flags each defines; an unknown shell is an error.
func TestCompletionScripts(t *testing.T) {
	_, zsh, _ := brook(t, "completion", "zsh")
	if !strings.HasPrefix(zsh, "#compdef brook\n") || !strings.Contains(zsh, "complete -o default -F _brook brook") {
		t.Errorf("zsh script:\n%s", zsh)
	}
	_, fish, _ := brook(t, "completion", "fish")
	for _, want := range []string{
		"complete -c brook -n __fish_use_subcommand -a run -d 'run a query incrementally, batch by batch'",
		"complete -c brook -n '__fish_seen_subcommand_from run' -l lateness -r -d ",
		"complete -c brook -n '__fish_seen_subcommand_from diff' -l strict -d ",
		"complete -c brook -n '__fish_seen_subcommand_from gen' -l out -r -d ",
	} {
		if !strings.Contains(fish, want) {
			t.Errorf("fish script lacks %q", want)
		}
	}
	if code, _, errOut := brook(t, "completion", "tcsh"); code != exitError || !strings.Contains(errOut, `unknown shell "tcsh": bash, zsh or fish`) {
		t.Errorf("tcsh: exit %d, %q", code, errOut)
	}
	if code, out, _ := brook(t, "completion", "--help"); code != exitOK || !strings.Contains(out, "source <(brook completion bash)") {
		t.Errorf("help: exit %d\n%s", code, out)
	}
}
