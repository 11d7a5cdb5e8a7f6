// Package libm calls the C library's math functions, the ones DuckDB's
// functions call (std::log, std::exp, std::pow, std::fmod, ...), so that
// brook's results are DuckDB's to the last bit: Go's math package is
// accurate to within an ulp but rounds some results the other way (ln of
// 5.375), and returns a NaN without the sign bit where C returns the
// processor's default NaN (fmod(x, 0) is -nan on x86-64).
//
// It owns the cgo calls into the C math library and nothing else.
package libm
