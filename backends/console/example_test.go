package console_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"

	_ "github.com/traceplug/traceplug/backends/console" // registers "console"
	"github.com/traceplug/traceplug/core"
)

// A service on the console backend prints each trace when its local root
// finishes: here a request that came with a W3C trace context, whose
// handler's child span failed. (Real spans take real time; these have set
// times, so that the output is always the same.)
func Example() {
	tracer, err := core.New("console", core.WithServiceName("shop"), core.WithEndpoint("stdout"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tracer.Close()

	incoming := http.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}
	parent, _ := tracer.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(incoming))
	t0 := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

	root := tracer.StartSpan("POST /checkout", ext.RPCServerOption(parent), opentracing.StartTime(at(0)),
		opentracing.Tags{"http.method": "POST", "http.url": "/checkout"})
	child := tracer.StartSpan("charge card", opentracing.ChildOf(root.Context()), opentracing.StartTime(at(2)))
	child.SetTag("card", "visa")
	ext.Error.Set(child, true)
	child.FinishWithOptions(opentracing.FinishOptions{FinishTime: at(7), LogRecords: []opentracing.LogRecord{
		{Timestamp: at(6), Fields: []log.Field{log.String("message", "card declined"), log.String("event", "error")}},
	}})
	root.SetTag("http.status_code", 502)
	root.FinishWithOptions(opentracing.FinishOptions{FinishTime: at(10)})
	// Output:
	// trace 4bf92f3577b34da6a3ce929d0e0e4736 (service shop, 2 spans, 10ms)
	//   POST /checkout [server]      10ms |████████████████████████████████████████|
	//       http.method=POST http.status_code=502 http.url=/checkout
	//     charge card ERROR           5ms |        ████████████████████            |
	//         card=visa
	//         +4ms event=error message="card declined"
}
