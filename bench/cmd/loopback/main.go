// Command loopback serves a trivial handler (200 "ok") on 127.0.0.1, bare or
// through one middleware and tracer, for the loopback benchmark
// (../../loopback.sh). It prints its address, serves until it is sent SIGTERM
// or SIGINT (or for -for), then closes its tracer (which flushes it) and prints "served N"
// and, for traceplug's variants, the backend's span accounting.
//
// Every tracing variant but the -1pct ones samples every request; each
// exports every span it samples for real to the sink (../sink, another
// process) at -udp (its jaeger agent address) and -http. Each traceplug variant has a peer on the same client
// library or SDK (see [loop.Variants]):
//
//	traceplug-jaeger       core.New("jaeger"), UDP        gostdlib-jaeger       nethttp + jaeger-client-go, stock UDP remote reporter
//	traceplug-jaeger-http  core.New("jaeger"), HTTP       gostdlib-jaeger-http  nethttp + jaeger-client-go, stock HTTP remote reporter
//	traceplug-zipkin       core.New("zipkin")             gostdlib-zipkin       nethttp + zipkin-go-opentracing, zipkin-go's HTTP reporter
//	traceplug-otel         core.New("otel"), OTLP/HTTP    otelhttp              otelhttp + the SDK's batch span processor and otlptracehttp
//	                                                      otelhttp-backend      otelhttp + the otel backend's TracerProvider (its processor and encoder)
//	traceplug-mock         core.New("mock")               gostdlib-mock         nethttp + the same in-memory mock tracer (no export)
//	traceplug-none         no-op tracer                   gostdlib-none         nethttp + the no-op tracer
//
// The -1pct variants sample 1% of new traces and follow an incoming trace's
// decision ([loop.Sampling]): traceplug-jaeger-1pct and traceplug-otel-1pct
// (core.WithSampleRate(0.01)) beside gostdlib-jaeger-1pct (jaeger-client-go's
// probabilistic sampler) and otelhttp-1pct (ParentBased(TraceIDRatioBased)),
// and traceplug-mock-1pct.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/traceplug/traceplug/bench/internal/loop"
)

func main() {
	name := flag.String("variant", "bare", "the variant (see the package documentation)")
	udp := flag.String("udp", "", "the sink's UDP address (jaeger agent)")
	httpAddr := flag.String("http", "", "the sink's HTTP address")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the serving (until SIGTERM) to this file")
	memprofile := flag.String("memprofile", "", "write a heap profile (what is live, and what the serving allocated) to this file at the stop")
	serveFor := flag.Duration("for", 0, "stop after serving this long, as on SIGTERM (callgrind does not survive the signal: ../../loopback-instructions.sh)")
	flag.Parse()
	if *memprofile != "" {
		runtime.MemProfileRate = 4096 // fine enough to see what stays live
	}
	v, err := loop.Lookup(*name)
	if err != nil {
		log.Fatalf("loopback: %v", err)
	}
	var served atomic.Uint64
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("ok"))
	})
	b, err := v.Build(loop.Addrs{UDP: *udp, HTTP: *httpAddr}, handler)
	if err != nil {
		log.Fatalf("loopback: %s: %v", *name, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: b.Handler, ReadHeaderTimeout: 5 * time.Second}
	fmt.Println(ln.Addr().String())
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
	}
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	go func() { _ = srv.Serve(ln) }()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	var stopAfter <-chan time.Time
	if *serveFor > 0 {
		stopAfter = time.After(*serveFor)
	}
	select {
	case <-stop:
	case <-stopAfter:
	}
	pprof.StopCPUProfile()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if n := served.Load(); n > 0 {
		// What the collector works with: bytes allocated per request, and
		// how often it ran (a larger live heap leaves less room before the
		// next cycle, so it runs more often).
		fmt.Fprintf(os.Stderr, "memory: %d B allocated per request, %d allocations per request, %d GC cycles, %d requests per cycle\n",
			(after.TotalAlloc-before.TotalAlloc)/n, (after.Mallocs-before.Mallocs)/n, after.NumGC-before.NumGC, n/uint64(max(1, after.NumGC-before.NumGC)))
	}
	if *memprofile != "" {
		f, err := os.Create(*memprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			log.Fatal(err)
		}
		f.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	stats := b.Close()
	fmt.Printf("served %d %s\n", served.Load(), stats)
}
