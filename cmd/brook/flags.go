package main

import (
	"brook/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// parseFlags parses a command's flags as fs.Parse does; an unknown flag's
// error names the defined flag closest to it, when one is close enough to
// be a plausible typo: "unknown flag: --lateneess (did you mean
// --lateness?)". A long flag written with one dash (-lateness), which
// pflag reads as a group of shorthands, is pointed to its two-dash
// spelling the same way.
func parseFlags(fs *pflag.FlagSet, args []string) error {
	if collectFlags != nil { // brook completion asks for the flags only
		collectFlags(fs)
		return errFlagsCollected
	}
	err := fs.Parse(args)
	var iv *pflag.InvalidValueError
	if errors.As(err, &iv) && iv.GetFlag().Value.Type() == "duration" {
		return fmt.Errorf("--%s wants a duration such as 1s or 500ms, got %q", iv.GetFlag().Name, iv.GetValue())
	}
	var ne *pflag.NotExistError
	if err == nil || !errors.As(err, &ne) {
		return err
	}
	typed := ne.GetSpecifiedName()
	if group := ne.GetSpecifiedShortnames(); group != "" {
		// -lateness: the group of shorthands was meant as a long flag.
		typed, _, _ = strings.Cut(group, "=")
		if len(typed) < 2 {
			return err
		}
	}
	if best := suggestFlag(fs, typed); best != "" {
		return fmt.Errorf("%w (did you mean --%s?)", err, best)
	}
	return err
}

// suggestFlag returns the name of fs's visible flag closest to typed by
// edit distance (ignoring case), if it is within a third of typed's length
// (at least 2), else "". Of flags as close, the first in fs's order wins.
func suggestFlag(fs *pflag.FlagSet, typed string) string {
	typed = strings.TrimLeft(typed, "-")
	if typed == "" {
		return ""
	}
	var names []string
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Hidden && f.Deprecated == "" {
			names = append(names, f.Name)
		}
	})
	return sql.Suggest(typed, names)
}
