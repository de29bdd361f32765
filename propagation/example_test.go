package propagation_test

import (
	"fmt"
	"net/http"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/propagation"
)

// A service moving from jaeger to W3C Trace Context reads both and writes
// both, so that neither its old nor its new peers lose the trace.
func Example() {
	p, err := propagation.Parse("tracecontext,baggage,jaeger")
	if err != nil {
		panic(err)
	}

	// An old peer's request.
	in := http.Header{}
	in.Set("Uber-Trace-Id", "a3ce929d0e0e4736:00f067aa0ba902b7:0:1")
	in.Set("Uberctx-User", "alice")
	sc, err := p.Extract(opentracing.HTTPHeadersCarrier(in))
	fmt.Printf("%x %x %v %v %v\n", sc.TraceID, sc.SpanID, sc.Sampling.IsSampled(false), sc.Baggage, err)

	// A call to the next service, from a child span.
	sc.ParentID, sc.SpanID = sc.SpanID, 0x1111111111111111
	out := http.Header{}
	p.Inject(sc, opentracing.HTTPHeadersCarrier(out))
	for _, k := range []string{"Traceparent", "Baggage", "Uber-Trace-Id", "Uberctx-User"} {
		fmt.Printf("%s: %s\n", k, out.Get(k))
	}
	// Output:
	// a3ce929d0e0e4736 f067aa0ba902b7 true [{user alice}] <nil>
	// Traceparent: 00-0000000000000000a3ce929d0e0e4736-1111111111111111-01
	// Baggage: user=alice
	// Uber-Trace-Id: a3ce929d0e0e4736:1111111111111111:00f067aa0ba902b7:1
	// Uberctx-User: alice
}

func ExampleParse() {
	_, err := propagation.Parse("tracecontext,b3-multi")
	fmt.Println(err)
	// Output:
	// propagation: invalid format list: unknown format "b3-multi" (did you mean "b3multi"?); valid formats: b3, b3multi, baggage, jaeger, none, ottrace, tracecontext
}

// A request with baggage and no trace: Extract says so, and returns the
// baggage anyway.
func ExamplePropagator_Extract() {
	p, _ := propagation.Parse("tracecontext,baggage")
	sc, err := p.Extract(opentracing.HTTPHeadersCarrier{"Baggage": {"tenant=acme,region=eu%2Dwest"}})
	fmt.Println(sc.IsValid(), sc.Baggage, err == opentracing.ErrSpanContextNotFound)
	// Output:
	// false [{tenant acme} {region eu-west}] true
}
