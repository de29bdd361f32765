// Command profshare splits a CPU profile of a traced server by component:
// the middleware, the tracer's span on the request path, the reporter (what
// exports spans, on its own goroutines), GC, the server (net/http, syscalls,
// the handler) and the scheduler. It reads `go tool pprof -traces` output:
//
//	go tool pprof -traces cpu.out | go run ./cmd/profshare -n REQUESTS
//
// With -n, each component's CPU is also given in µs per request.
//
// Each sample goes to the first of these that fits: GC (any GC frame:
// background marking, assists, sweeping); the reporter (a frame of a
// reporter's goroutine, or of net/http's client connections, which only
// exporters use); the sink (the in-process benchmark's, not the server's);
// else the package of the innermost frame that is not the standard
// library's decides: the tracer's packages (opentracing-go, the client
// library or SDK, traceplug's backends and propagation), the middleware's
// (traceplug's core, httpsnoop, go-stdlib's nethttp, otelhttp), or any other
// (the handler, the benchmark's loop): the server. A stack of the standard
// library alone is the server's (net/http, syscalls) or the scheduler's.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// rules name components by frame: the first matching prefix or substring.
var (
	gcFrames = []string{"runtime.gc", "runtime.bgsweep", "runtime.bgscavenge", "runtime.markroot", "runtime.scanobject",
		"runtime.sweepone", "runtime.(*sweepLocked)", "runtime.greyobject", "internal/runtime/gc/", "runtime.(*gcWork)", "runtime.wbBuf"}
	reporterFrames = []string{
		"jaeger-client-go.(*remoteReporter).processQueue",
		"zipkin-go/reporter/http.(*httpReporter)",
		"traceplug/backends/zipkin.(*queue).run",
		"traceplug/backends/zipkin.(*reporter).run",
		"traceplug/backends/otel.(*processor).run",
		"otel/sdk/trace.(*batchSpanProcessor).processQueue",
		"net/http.(*persistConn)",
	}
	sinkFrames   = []string{"bench/internal/loop.(*Sink)"}
	tracerPkgs   = []string{"github.com/uber/jaeger-client-go", "github.com/openzipkin/", "github.com/openzipkin-contrib/", "go.opentelemetry.io/otel", "github.com/opentracing/opentracing-go", "github.com/traceplug/traceplug/backends/", "github.com/traceplug/traceplug/propagation"}
	middlePkgs   = []string{"github.com/traceplug/traceplug/core", "github.com/felixge/httpsnoop", "github.com/opentracing-contrib/go-stdlib", "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"}
	serverFrames = []string{"net/http.", "net.", "internal/poll.", "syscall.", "bufio."}
)

// order is the components, as printed.
var order = []string{"middleware", "tracer span (request path)", "reporter (export goroutines)", "GC", "server (net/http, syscalls, handler)", "scheduler and runtime", "sink (in-process benchmark only)", "other"}

func main() {
	requests := flag.Float64("n", 0, "requests served during the profile, for µs per request")
	flag.Parse()
	total, by, err := read(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "profshare:", err)
		os.Exit(1)
	}
	if total == 0 {
		fmt.Fprintln(os.Stderr, "profshare: no samples")
		os.Exit(1)
	}
	fmt.Printf("| component | share of CPU |%s\n", map[bool]string{true: " µs per request |", false: ""}[*requests > 0])
	fmt.Printf("| --- | --- |%s\n", map[bool]string{true: " --- |", false: ""}[*requests > 0])
	for _, c := range order {
		d, ok := by[c]
		if !ok {
			continue
		}
		fmt.Printf("| %s | %.0f%% |", c, 100*float64(d)/float64(total))
		if *requests > 0 {
			fmt.Printf(" %.2f |", d.Seconds()*1e6 / *requests)
		}
		fmt.Println()
	}
	fmt.Printf("| total | 100%% |")
	if *requests > 0 {
		fmt.Printf(" %.2f |", total.Seconds()*1e6 / *requests)
	}
	fmt.Println()
}

// read sums the samples of a -traces listing by component.
func read(r io.Reader) (time.Duration, map[string]time.Duration, error) {
	by := map[string]time.Duration{}
	var total, value time.Duration
	var frames []string
	flush := func() {
		if value > 0 {
			by[classify(frames)] += value
			total += value
		}
		value, frames = 0, frames[:0]
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "-----------+") {
			flush()
			continue
		}
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.Contains(line, ":") && !strings.HasPrefix(line, " ") {
			continue // the header
		}
		if !strings.HasPrefix(line, "             ") && len(fields) >= 2 { // "      10ms   runtime.memmove"
			d, err := time.ParseDuration(fields[0])
			if err != nil {
				continue // a label line
			}
			value = d
			frames = append(frames, fields[1])
			continue
		}
		frames = append(frames, fields[0])
	}
	flush()
	return total, by, sc.Err()
}

// classify names the component a stack (innermost frame first) belongs to.
func classify(frames []string) string {
	switch {
	case anyFrame(frames, gcFrames, strings.HasPrefix):
		return "GC"
	case anyFrame(frames, reporterFrames, strings.Contains):
		return "reporter (export goroutines)"
	case anyFrame(frames, sinkFrames, strings.Contains):
		return "sink (in-process benchmark only)"
	}
	// The innermost frame that is not the standard library's decides.
	for _, f := range frames {
		switch {
		case stdlib(f):
		case matches(f, tracerPkgs, strings.HasPrefix):
			return "tracer span (request path)"
		case matches(f, middlePkgs, strings.HasPrefix):
			return "middleware"
		default:
			return "server (net/http, syscalls, handler)" // the handler, the benchmark's loop
		}
	}
	if anyFrame(frames, serverFrames, strings.HasPrefix) {
		return "server (net/http, syscalls, handler)"
	}
	if len(frames) > 0 && strings.HasPrefix(frames[len(frames)-1], "runtime.") {
		return "scheduler and runtime"
	}
	return "other"
}

// stdlib reports whether function f is the standard library's: its import
// path's first element has no dot. The command's own package, main, is not.
func stdlib(f string) bool {
	first, _, slash := strings.Cut(f, "/")
	if !slash {
		return !strings.HasPrefix(f, "main.")
	}
	return !strings.Contains(first, ".")
}

func anyFrame(frames, patterns []string, match func(s, p string) bool) bool {
	for _, f := range frames {
		if matches(f, patterns, match) {
			return true
		}
	}
	return false
}

func matches(f string, patterns []string, match func(s, p string) bool) bool {
	for _, p := range patterns {
		if match(f, p) {
			return true
		}
	}
	return false
}
