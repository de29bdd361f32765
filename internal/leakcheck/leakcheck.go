// Package leakcheck fails a test binary whose tests leave goroutines running,
// for the root module's tests: the root module requires nothing beyond
// opentracing-go and httpsnoop, so it cannot use go.uber.org/goleak, which
// the other modules' tests use.
package leakcheck

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// VerifyTestMain runs m's tests and then, if they passed, waits up to five
// seconds for every goroutine they started to end. Goroutines that remain are
// printed with their stacks and the binary exits non-zero.
//
//	func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }
func VerifyTestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := wait(5 * time.Second); len(leaked) > 0 {
			fmt.Fprintf(os.Stderr, "leakcheck: %d goroutines outlived the tests:\n\n%s\n", len(leaked), strings.Join(leaked, "\n\n"))
			code = 1
		}
	}
	os.Exit(code)
}

// wait returns the goroutines, other than the caller and the runtime's and
// testing's own, still running after d.
func wait(d time.Duration) []string {
	deadline := time.Now().Add(d)
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		leaked := others()
		if len(leaked) == 0 || time.Now().After(deadline) {
			return leaked
		}
		time.Sleep(delay)
	}
}

// others returns the stacks of goroutines that are not the caller's and not
// known to belong to the runtime or the testing package.
func others() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i == 0 || ignored(g) { // the first is the calling goroutine
			continue
		}
		out = append(out, g)
	}
	return out
}

// ignored reports whether goroutine stack g belongs to the runtime or the
// testing package rather than to code under test: its innermost frame is in
// one of them (runtime.Stack hides the scheduler's own frames).
func ignored(g string) bool {
	lines := strings.SplitN(g, "\n", 3)
	if len(lines) < 2 {
		return true
	}
	for _, p := range []string{"testing.", "runtime.", "os/signal.", "internal/runtime/", "runtime/trace."} {
		if strings.HasPrefix(lines[1], p) {
			return true
		}
	}
	return false
}
