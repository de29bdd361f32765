package instrument_test

import (
	"fmt"
	"log"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/instrument"
)

// An instrumentation package traces an incoming call of its protocol as the
// middleware traces a request: the caller's trace continues, and the span
// counts in the Tracer's Stats.
func Example() {
	tracer, err := core.New("mock", core.WithTraceAll(true))
	if err != nil {
		log.Fatal(err)
	}
	defer tracer.Close()

	// The call's metadata, as a W3C caller sent it.
	md := map[string][]string{"traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}
	var buf instrument.SpanBuffer // kept in the call's state: no allocation of traceplug's own
	span := instrument.StartServerSpan(tracer, &buf, "/shop.Cart/Add", opentracing.HTTPHeadersCarrier(md))
	span.SetTag("rpc.system", "myproto")
	instrument.FinishSpan(tracer, span)

	s := tracer.Unwrap().(*mock.Tracer).FinishedSpans()[0]
	traceID, _, _ := tracer.SpanContextIDs(span.Context())
	fmt.Println(s.Operation, s.Tags["span.kind"], traceID)
	fmt.Println("finished:", tracer.Stats().Finished)
	// Output:
	// /shop.Cart/Add server 4bf92f3577b34da6a3ce929d0e0e4736
	// finished: 1
}
