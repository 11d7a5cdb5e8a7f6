package value

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// The expected results below are DuckDB 2.0.0's; baseline/parity_test.go
// checks many more against DuckDB itself.

func TestParseNumber(t *testing.T) {
	cases := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"443", 443, true}, {" 80 ", 80, true}, {"\t7\n", 7, true}, {"1e3", 1000, true}, {"+7", 7, true},
		{"1_000", 1000, true}, {"1.5_5", 1.55, true}, {"1_0e1_0", 1e11, true}, {".5", 0.5, true}, {"5.", 5, true},
		{"-.5", -0.5, true}, {"+-1", -1, true}, {"1e400", math.Inf(1), true}, {"-inf", math.Inf(-1), true},
		{"Infinity", math.Inf(1), true}, {"+inf", math.Inf(1), true}, {"1e-400", 0, true},
		{"", 0, false}, {" ", 0, false}, {"Port05507", 0, false}, {"0x1F", 0, false}, {"1__000", 0, false},
		{"_1", 0, false}, {"1_", 0, false}, {"1._5", 0, false}, {"1_.5", 0, false}, {"1e_1", 0, false},
		{".", 0, false}, {"1e", 0, false}, {"1.5e", 0, false}, {"++1", 0, false}, {"-+1", 0, false},
		{"- 1", 0, false}, {"1 2", 0, false}, {"infin", 0, false}, {"nan(", 0, false}, {"abc", 0, false},
	}
	for _, c := range cases {
		got, ok := ParseNumber(c.in)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("ParseNumber(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	for _, s := range []string{"nan", "NaN", "nan(123)", "nan()", "-nan"} {
		if f, ok := ParseNumber(s); !ok || !math.IsNaN(f) {
			t.Errorf("ParseNumber(%q) = %v, %v; want NaN", s, f, ok)
		}
	}
}

func TestParseBigint(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"42", 42, true}, {" 42 ", 42, true}, {"+7", 7, true}, {"-12", -12, true}, {"3.7", 4, true},
		{"2.5", 3, true}, {"-2.5", -3, true}, {"-0.5", -1, true}, {"2.49", 2, true}, {"2.95", 3, true},
		{"1e3", 1000, true}, {"1e+2", 100, true}, {"1e-1", 0, true}, {"5e-5", 0, true}, {"95e-3", 0, true}, {"0.5e-1", 0, true}, {"5e-20", 0, true}, {"95e-2", 1, true}, {"-95e-2", -1, true}, {"49e-1", 5, true}, {"1234567e-3", 1235, true}, {"25e-1", 3, true},
		{"145e-2", 1, true}, {"1.5e1", 15, true}, {"1.25e1", 13, true}, {"0.5e1", 5, true}, {".5", 1, true},
		{"5.", 5, true}, {"1.e2", 100, true}, {"1e1 ", 10, true}, {"1_000", 1000, true}, {"1_0e1_0", 100000000000, true},
		{"0x1F", 31, true}, {"0X1f", 31, true}, {"0x1_F", 31, true}, {"0b101", 5, true}, {"0B1_0", 2, true},
		{"-9223372036854775808", math.MinInt64, true}, {"9223372036854775807", math.MaxInt64, true},
		{"1e18", 1000000000000000000, true},
		{"", 0, false}, {"abc", 0, false}, {"1__000", 0, false}, {"1_", 0, false}, {"1._5", 0, false},
		{" 0x10 ", 0, false}, {"-0x1", 0, false}, {"+0x1", 0, false}, {"0x", 0, false}, {"00x1", 0, false},
		{".", 0, false}, {"1e", 0, false}, {"e3", 0, false}, {"1e2.5", 0, false}, {"1e 1", 0, false},
		{"9223372036854775808", 0, false}, {"9223372036854775807.5", 0, false}, {"1e19", 0, false},
		{"+-1", 0, false}, {"- 1", 0, false}, {"inf", 0, false}, {"nan", 0, false},
	}
	for _, c := range cases {
		got, ok := ParseBigint(c.in)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("ParseBigint(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{"t": true, "T": true, "y": true, "1": true, "yes": true, "TRUE": true,
		"f": false, "n": false, "0": false, "no": false, "False": false} {
		if got, ok := ParseBool(in); !ok || got != want {
			t.Errorf("ParseBool(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "on", "off", " true", "true ", "tru", "2"} {
		if _, ok := ParseBool(in); ok {
			t.Errorf("ParseBool(%q) accepted", in)
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	cases := []struct{ in, want string }{
		{"2024-01-02 03:04:05", "2024-01-02 03:04:05"},
		{" 2024-01-02T03:04:05Z ", "2024-01-02 03:04:05"},
		// a time zone is read and ignored
		{"2024-01-02 03:04:05+02:30", "2024-01-02 03:04:05"},
		{"2024-01-02 03:04:05-0130", "2024-01-02 03:04:05"},
		{"2024-01-02 03:04:05+02:30:10", "2024-01-02 03:04:05"},
		{"2024-01-02 03:04:05+99", "2024-01-02 03:04:05"},
		{"2024-01-02 03:04:05 +02:00", "2024-01-02 03:04:05"},
		{"2024-01-02 03:04:05 CET", "2024-01-02 03:04:05"},
		{"2024-01-02 03:04:05 Europe/Paris", "2024-01-02 03:04:05"},
		{"2024-01-02 03:04:05 Z", "2024-01-02 03:04:05"},
		{"2024-01-02 03:04:05  ", "2024-01-02 03:04:05"},
		{"inf", "infinity"}, {"-INF", "-infinity"},
		{"2024-01-02 03:04:05.1234567", "2024-01-02 03:04:05.123456"},
		{"2024-01-02 03:04", "2024-01-02 03:04:00"},
		{"2024-1-2", "2024-01-02 00:00:00"},
		{"2024/01/02 3:4:5", "2024-01-02 03:04:05"},
		{"24-01-02", "0024-01-02 00:00:00"},
		{"-2024-01-02", "2025-01-02 (BC) 00:00:00"},
		{"2024-01-02 (BC)", "2024-01-02 (BC) 00:00:00"},
		{"2024-01-02 24:00:00", "2024-01-03 00:00:00"},
		{"2024-01-02 03:04:05 UTC", "2024-01-02 03:04:05"},
		{"1969-12-31 23:59:59.999999", "1969-12-31 23:59:59.999999"},
		{"12024-01-02 00:00:00", "12024-01-02 00:00:00"},
		{"infinity", "infinity"}, {"-infinity", "-infinity"}, {"Epoch ", "1970-01-01 00:00:00"},
	}
	for _, c := range cases {
		us, ok := ParseTimestamp(c.in)
		if got := string(AppendTimestamp(nil, us)); !ok || got != c.want {
			t.Errorf("ParseTimestamp(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
	for _, in := range []string{"", "abc", "2024-01-02 ", " 2024-01-02 ", "2024-01-02T", "2024-02-30", "2023-02-29",
		"2024-01-02 24:00:01", "2024-01-02 23:59:60", "2024-01-02 03", "2024-01-02 03:04:05 abc def",
		"2024-01-02 03:04:05  +02", "2024-01-02 03:04:05+2", "2024-01-02 03:04:05+023", "2024-01-02 03:04:05+02:3",
		"2024-01-02 03:04:05z", "2024-01-02 03:04:05UTC", "2024-01-02 03:04:05Z+02", "2024-01-02 03:04:05+02 UTC",
		"2024-01-02 03:04:05 !", "2024-01-0203:04:05", "2024-01/02",
		"294247-01-10 04:00:54.775807", "+infinity", "+inf", " inf ", "infin", "nan"} {
		if us, ok := ParseTimestamp(in); ok {
			t.Errorf("ParseTimestamp(%q) accepted as %s", in, AppendTimestamp(nil, us))
		}
	}
}

func TestAppendFloat(t *testing.T) {
	cases := []struct {
		in   float64
		want string
	}{
		{0, "0.0"}, {math.Copysign(0, -1), "-0.0"}, {100, "100.0"}, {2.5, "2.5"}, {0.1, "0.1"},
		{0.0001, "0.0001"}, {0.00001, "1e-05"}, {-1e-7, "-1e-07"}, {1e15, "1000000000000000.0"},
		{9.999999999999998e15, "9999999999999998.0"}, {1e16, "1e+16"}, {123456789.123, "123456789.123"},
		{1234567.5, "1234567.5"}, {1.2345678901234567e19, "1.2345678901234567e+19"}, {1e300, "1e+300"},
		{5e-324, "5e-324"}, {math.Inf(1), "inf"}, {math.Inf(-1), "-inf"}, {math.NaN(), "nan"},
		{math.Copysign(math.NaN(), -1), "-nan"},
	}
	for _, c := range cases {
		if got := string(AppendFloat(nil, c.in)); got != c.want {
			t.Errorf("AppendFloat(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestParseSimpleFloatExact: the fast path for plain decimals gives exactly
// what strconv.ParseFloat gives, whenever it takes a string at all.
func TestParseSimpleFloatExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []string{"0", "0.0", "784.0", "172800.0", "1.5", "0.1", "5.", ".5", "12.3400", "999999999999999", "1.000000000000001", "7.0000"}
	for range 20000 {
		intPart := strconv.FormatUint(rng.Uint64N(1_000_000_000), 10)
		frac := strconv.FormatUint(rng.Uint64N(100_000), 10)
		if rng.IntN(3) == 0 {
			frac = strings.Repeat("0", 1+rng.IntN(4))
		}
		cases = append(cases, intPart+"."+frac, intPart)
	}
	taken := 0
	for _, s := range cases {
		got, ok := parseSimpleFloat(s)
		if !ok {
			continue
		}
		taken++
		want, err := strconv.ParseFloat(s, 64)
		if err != nil || got != want {
			t.Errorf("parseSimpleFloat(%q) = %v, strconv gives %v (%v)", s, got, want, err)
		}
	}
	if taken < len(cases)*9/10 {
		t.Errorf("the fast path took only %d of %d plain decimals", taken, len(cases))
	}
	for _, s := range []string{"", ".", "1e5", "-1", "1.2.3", "12a", "1234567890123456"} {
		if _, ok := parseSimpleFloat(s); ok {
			t.Errorf("parseSimpleFloat(%q) took a string it must leave to strconv", s)
		}
	}
}
