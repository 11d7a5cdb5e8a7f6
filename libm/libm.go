// Package libm calls the C library's math functions, the ones DuckDB's
// functions call (std::log, std::exp, std::pow, std::fmod, ...), so that
// brook's results are DuckDB's to the last bit: Go's math package is
// accurate to within an ulp but rounds some results the other way (ln of
// 5.375), and returns a NaN without the sign bit where C returns the
// processor's default NaN (fmod(x, 0) is -nan on x86-64).
package libm

// #cgo LDFLAGS: -lm
// #include <math.h>
import "C"

// Log is C's log (natural logarithm).
func Log(x float64) float64 { return float64(C.log(C.double(x))) }

// Log10 is C's log10.
func Log10(x float64) float64 { return float64(C.log10(C.double(x))) }

// Log2 is C's log2.
func Log2(x float64) float64 { return float64(C.log2(C.double(x))) }

// Exp is C's exp.
func Exp(x float64) float64 { return float64(C.exp(C.double(x))) }

// Pow is C's pow.
func Pow(x, y float64) float64 { return float64(C.pow(C.double(x), C.double(y))) }

// Fmod is C's fmod: the remainder of x / y with the sign of x.
func Fmod(x, y float64) float64 { return float64(C.fmod(C.double(x), C.double(y))) }
