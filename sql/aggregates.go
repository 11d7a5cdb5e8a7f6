package sql

import (
	"fmt"
	"sort"
	"strconv"

	"brook/value"
)

// AggSpec describes an aggregate function to the binder and to the
// baseline's renderer. Each aggregate the engine implements registers its
// spec next to its implementation (one file per aggregate in package
// engine), so that its name, type rule and DuckDB spelling are written once.
type AggSpec struct {
	Name    string   // canonical name, lower case
	Aliases []string // other spellings accepted (variance for var_samp)
	// Arg is what the argument must be; Result gives the result type for
	// an argument of type t (value.Null for a NULL literal).
	Arg    ArgKind
	Result func(t value.Type) value.Type
	// Distinct says what DISTINCT does to it.
	Distinct DistinctRule
	// Duck is DuckDB's name for it, when not Name.
	Duck string
	// Fraction says it takes a second argument, a constant fraction
	// between 0 and 1 (quantile_cont(x, 0.9)), kept in AggCall.Fraction.
	Fraction bool
}

// ArgKind is what an aggregate accepts as its argument.
type ArgKind int

// The kinds of argument.
const (
	AnyArg     ArgKind = iota // any type
	NumericArg                // BIGINT or DOUBLE
	BooleanArg                // BOOLEAN
)

// DistinctRule says what an aggregate does with DISTINCT.
type DistinctRule int

// The rules.
const (
	DistinctRefused DistinctRule = iota // an error: not supported
	DistinctCounts                      // distinct values only (COUNT(DISTINCT x))
	DistinctIgnored                     // the same result either way (MIN, MAX, BOOL_AND)
)

var aggSpecs = map[string]*AggSpec{}

// RegisterAggregate makes an aggregate known to the binder, under its name
// and aliases. It panics when a name is taken: registrations happen at
// program start.
func RegisterAggregate(s *AggSpec) {
	for _, n := range append([]string{s.Name}, s.Aliases...) {
		if _, dup := aggSpecs[n]; dup {
			panic(fmt.Sprintf("sql: aggregate %s registered twice", n))
		}
		if _, scalar := ScalarFuncs[n]; scalar {
			panic(fmt.Sprintf("sql: aggregate %s is a scalar function too", n))
		}
		aggSpecs[n] = s
	}
}

// Aggregate returns the spec of the aggregate called name (lower case).
func Aggregate(name string) (*AggSpec, bool) {
	s, ok := aggSpecs[name]
	return s, ok
}

// Aggregates lists the canonical names of the registered aggregates.
func Aggregates() []string {
	var names []string
	for n, s := range aggSpecs {
		if n == s.Name {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// DuckDB renders the call in DuckDB's SQL, given its rendered argument.
func (s *AggSpec) DuckDB(call *AggCall, arg string) string {
	name := s.Name
	if s.Duck != "" {
		name = s.Duck
	}
	if call.Distinct {
		arg = "DISTINCT " + arg
	}
	if s.Fraction {
		arg += ", " + strconv.FormatFloat(call.Fraction, 'g', -1, 64)
	}
	return name + "(" + arg + ")"
}

// SameType is a Result rule: the argument's type.
func SameType(t value.Type) value.Type { return t }

// Always returns a Result rule giving t whatever the argument.
func Always(t value.Type) func(value.Type) value.Type {
	return func(value.Type) value.Type { return t }
}

// aggNames lists every accepted aggregate name, aliases too.
func aggNames() []string {
	var names []string
	for n := range aggSpecs {
		names = append(names, n)
	}
	return names
}

// String says what an aggregate's argument must be, for messages.
func (k ArgKind) String() string {
	switch k {
	case NumericArg:
		return "a number"
	case BooleanArg:
		return "a BOOLEAN"
	}
	return "any value"
}
