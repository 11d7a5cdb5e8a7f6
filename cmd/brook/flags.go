package main

import (
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
	err := fs.Parse(args)
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
	typed = strings.ToLower(strings.TrimLeft(typed, "-"))
	if typed == "" {
		return ""
	}
	best, bestDist := "", len(typed)+1
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Deprecated != "" {
			return
		}
		if d := editDistance(typed, strings.ToLower(f.Name)); d < bestDist {
			best, bestDist = f.Name, d
		}
	})
	if bestDist <= max(2, len(typed)/3) {
		return best
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
