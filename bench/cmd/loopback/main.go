// Command loopback serves the trivial handler on 127.0.0.1, bare or through
// one middleware, for the loopback throughput script (../../loopback.sh). It
// prints its address and serves until it is sent SIGTERM or SIGINT.
//
// The jaeger variants report every request for real: jaeger's remote
// reporter sends compact-thrift datagrams to a UDP socket this process opens
// on 127.0.0.1 and drains, so the cost of reporting is in the figures. The
// same jaeger tracer is given to traceplug and to go-stdlib.
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
	"syscall"
	"time"

	"github.com/opentracing-contrib/go-stdlib/nethttp"
	"github.com/opentracing/opentracing-go"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/traceplug/traceplug/backends/jaeger"
	"github.com/traceplug/traceplug/core"
)

var variants = []string{"bare", "traceplug-none", "gostdlib-none", "traceplug-jaeger", "gostdlib-jaeger", "otelhttp"}

func main() {
	variant := flag.String("variant", "bare", fmt.Sprint("one of ", variants))
	flag.Parse()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("ok"))
	})
	h, closeFn, err := build(*variant, handler)
	if err != nil {
		log.Fatalf("loopback: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	fmt.Println(ln.Addr().String())
	go func() { _ = srv.Serve(ln) }()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	closeFn()
}

func build(variant string, h http.Handler) (http.Handler, func(), error) {
	switch variant {
	case "bare":
		return h, func() {}, nil
	case "traceplug-none":
		tr, err := core.Wrap(opentracing.NoopTracer{}, core.WithTraceAll(true))
		return tr.Middleware(h), func() {}, err
	case "gostdlib-none":
		return nethttp.Middleware(opentracing.NoopTracer{}, h), func() {}, nil
	case "traceplug-jaeger", "gostdlib-jaeger":
		jt, agent, err := newJaeger()
		if err != nil {
			return nil, nil, err
		}
		done := func() { _ = jt.Close(); agent.Close() }
		if variant == "gostdlib-jaeger" {
			return nethttp.Middleware(jt, h), done, nil
		}
		tr, err := core.Wrap(jt, core.WithTraceAll(true))
		return tr.Middleware(h), done, err
	case "otelhttp":
		tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
		return otelhttp.NewHandler(h, "server", otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(propagation.TraceContext{})),
			func() { _ = tp.Shutdown(context.Background()) }, nil
	}
	return nil, nil, fmt.Errorf("unknown variant %q (want one of %v)", variant, variants)
}

// newJaeger is traceplug's jaeger backend, sampling everything, reporting
// over UDP to a socket here that drains the datagrams.
func newJaeger() (*jaeger.Tracer, *net.UDPConn, error) {
	agent, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, nil, err
	}
	_ = agent.SetReadBuffer(4 << 20)
	go func() {
		buf := make([]byte, 65536)
		for {
			if _, _, err := agent.ReadFromUDP(buf); err != nil {
				return
			}
		}
	}()
	jt, err := jaeger.New(core.Config{ServiceName: "loopback", SampleRate: 1, Endpoint: "udp://" + agent.LocalAddr().String()})
	if err != nil {
		agent.Close()
		return nil, nil, err
	}
	return jt, agent, nil
}
