package main

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestUnknownFlagSuggests: every command names the flag a mistyped one
// was probably meant to be, and says nothing more when none is close.
func TestUnknownFlagSuggests(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"run", "--lateneess", "5s"}, "unknown flag: --lateneess (did you mean --lateness?)"},
		{[]string{"run", "--lateneess=5s"}, "unknown flag: --lateneess (did you mean --lateness?)"},
		{[]string{"run", "--Lateness", "5s"}, "unknown flag: --Lateness (did you mean --lateness?)"},
		{[]string{"run", "--num-row", "5"}, "unknown flag: --num-row (did you mean --num-rows?)"},
		{[]string{"run", "-lateness", "5s"}, "unknown shorthand flag: 'l' in -lateness (did you mean --lateness?)"},
		{[]string{"baseline", "--shema", "x DOUBLE"}, "unknown flag: --shema (did you mean --schema?)"},
		{[]string{"diff", "--sorce", "flows=x"}, "unknown flag: --sorce (did you mean --source?)"},
		{[]string{"gen", "--rowz", "5"}, "unknown flag: --rowz (did you mean --rows?)"},
		{[]string{"produce", "--form", "gen:rows=1"}, "unknown flag: --form (did you mean --from?)"},
		{[]string{"bench", "--quries", "x"}, "unknown flag: --quries (did you mean --queries?)"},
		{[]string{"repl", "--sourc", "flows=x"}, "unknown flag: --sourc (did you mean --source?)"},
		{[]string{"run", "--xyzzy"}, "unknown flag: --xyzzy\n"},
		{[]string{"run", "-q"}, "unknown shorthand flag: 'q' in -q\n"},
	}
	for _, c := range cases {
		code, out, errOut := brook(t, c.args...)
		if code != exitError || out != "" || !strings.Contains(errOut, "brook "+c.args[0]+": "+c.want) {
			t.Errorf("brook %s: exit %d, stdout %q, stderr %q; want %q", strings.Join(c.args, " "), code, out, errOut, c.want)
		}
	}
}

func TestSuggestFlag(t *testing.T) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.String("lateness", "", "")
	fs.String("late-rows", "", "")
	fs.String("source", "", "")
	fs.String("secret", "", "")
	fs.MarkHidden("secret")
	for typed, want := range map[string]string{
		"lateness": "lateness", "latenes": "lateness", "late-row": "late-rows", "SOURCE": "source",
		"sourcce": "source", "secret": "", "x": "", "": "", "--lateneess": "lateness", "completely-different": "",
	} {
		if got := suggestFlag(fs, typed); got != want {
			t.Errorf("suggestFlag(%q) = %q, want %q", typed, got, want)
		}
	}
}

// TestDurationFlagHint: a duration flag given a bare number (or other
// non-duration) says what it wants, for every command's duration flags.
func TestDurationFlagHint(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--trigger", "1", "-e", "SELECT 1"},
		{"run", "--exit-idle=5", "-e", "SELECT 1"},
		{"diff", "--idle-timeout", "soon", "-e", "SELECT 1"},
		{"repl", "--trigger", "1", "--history", "-"},
		{"produce", "--interval", "3"},
	} {
		code, _, errOut := brook(t, args...)
		name := strings.TrimPrefix(strings.SplitN(args[1], "=", 2)[0], "--")
		if code != exitError || !strings.Contains(errOut, "--"+name+" wants a duration such as 1s or 500ms, got ") || strings.Contains(errOut, "missing unit") {
			t.Errorf("%v: exit %d\n%s", args, code, errOut)
		}
	}
}
