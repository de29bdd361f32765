// Package leakcheck fails a test binary (or a test) that leaves goroutines
// running, for the tests of the modules users import (the root module and
// grpctrace): their tests' dependencies would be their users', so they do
// not use go.uber.org/goleak, which the other modules' tests use.
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
		if leaked := wait(5*time.Second, nil); len(leaked) > 0 {
			fmt.Fprintf(os.Stderr, "leakcheck: %d goroutines outlived the tests:\n\n%s\n", len(leaked), strings.Join(leaked, "\n\n"))
			code = 1
		}
	}
	os.Exit(code)
}

// Check fails t if goroutines that were not running when Check was called
// still run five seconds after t's cleanups. Call it first in the test, so
// that its cleanup runs last, after those that stop servers and close
// connections.
func Check(t testing.TB) {
	before := map[string]bool{}
	for _, g := range others() {
		before[header(g)] = true
	}
	t.Cleanup(func() {
		if leaked := wait(5*time.Second, before); len(leaked) > 0 {
			t.Errorf("leakcheck: %d goroutines outlived the test:\n\n%s", len(leaked), strings.Join(leaked, "\n\n"))
		}
	})
}

// header is a goroutine's first line, "goroutine N [state]:" without the
// state: its identity.
func header(g string) string {
	h, _, _ := strings.Cut(g, " [")
	return h
}

// wait returns the goroutines, other than the caller, the runtime's and
// testing's own and those in skip (by header), still running after d.
func wait(d time.Duration, skip map[string]bool) []string {
	deadline := time.Now().Add(d)
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		var leaked []string
		for _, g := range others() {
			if !skip[header(g)] {
				leaked = append(leaked, g)
			}
		}
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
