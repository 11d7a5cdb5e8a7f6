package crashpoint

import (
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
)

// Env is the environment variable that arms a crash point.
const Env = "BROOK_CRASH_AT"

var (
	armed string           // the point's name, "" when none is armed
	after int64        = 1 // crash at this hit
	hits  atomic.Int64     // hits of the armed point so far
)

func init() { arm(os.Getenv(Env)) }

// arm parses a BROOK_CRASH_AT value.
func arm(v string) {
	armed, after = "", 1
	hits.Store(0)
	if v == "" {
		return
	}
	name, n, ok := strings.Cut(v, ":")
	if ok {
		k, err := strconv.ParseInt(n, 10, 64)
		if err != nil || k < 1 {
			return // a malformed value arms nothing
		}
		after = k
	}
	armed = name
}

// Armed reports whether a crash point is armed in this process.
func Armed() bool { return armed != "" }

// Hit marks that the process reached the point name; it does not return if
// that is where the process was told to crash.
func Hit(name string) {
	if armed == "" || name != armed {
		return
	}
	if hits.Add(1) == after {
		crash()
	}
}

// crash is replaced in this package's tests.
var crash = func() {
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // the signal is on its way
}
