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
