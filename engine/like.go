package engine

import "strings"

// compileLike returns a matcher for a constant LIKE pattern, with fast paths
// for the common shapes 'abc', 'abc%', '%abc' and '%abc%'.
func compileLike(pattern string) func(string) bool {
	if !strings.ContainsAny(pattern, "_") {
		inner := strings.Trim(pattern, "%")
		if !strings.Contains(inner, "%") {
			lead, trail := strings.HasPrefix(pattern, "%"), strings.HasSuffix(pattern, "%") && len(pattern) > len(inner)
			switch {
			case pattern == "":
				return func(s string) bool { return s == "" }
			case inner == "":
				return func(string) bool { return true }
			case lead && trail:
				return func(s string) bool { return strings.Contains(s, inner) }
			case lead:
				return func(s string) bool { return strings.HasSuffix(s, inner) }
			case trail:
				return func(s string) bool { return strings.HasPrefix(s, inner) }
			default:
				return func(s string) bool { return s == inner }
			}
		}
	}
	return func(s string) bool { return likeMatch(s, pattern) }
}

// likeMatch reports whether s matches a LIKE pattern: % is any run of
// characters, _ exactly one character; matching is case-sensitive and there
// is no escape character.
func likeMatch(s, p string) bool {
	sr, pr := []rune(s), []rune(p)
	si, pi := 0, 0
	star, mark := -1, 0
	for si < len(sr) {
		switch {
		case pi < len(pr) && pr[pi] == '%':
			star, mark = pi, si
			pi++
		case pi < len(pr) && (pr[pi] == '_' || pr[pi] == sr[si]):
			si++
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pr) && pr[pi] == '%' {
		pi++
	}
	return pi == len(pr)
}
