// Package crashpoint lets tests crash a brook process at a named point of
// its work, exactly, instead of killing it after a random sleep.
//
// A point is a name such as "after-emit" or "checkpoint-write". When the
// environment variable BROOK_CRASH_AT holds "NAME" or "NAME:N", the Nth time
// (1 when N is left out) the process reaches Hit(NAME), it kills itself with
// SIGKILL: no deferred function runs, no buffer is flushed, exactly as if
// the machine had lost power at that line. Without the variable Hit costs a
// load and a compare.
//
// The variable is read once, at start-up. It is a test hook: nothing in
// brook's documentation for users mentions it.
//
// It owns the named crash points and the BROOK_CRASH_AT hook; the points
// themselves are placed by the packages whose work they cut.
package crashpoint
