package interop_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/traceplug/traceplug/backends/jaeger/jaegertest"
	"github.com/traceplug/traceplug/backends/lightstep/lightsteptest"
	"github.com/traceplug/traceplug/backends/mock/mocktest"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/backends/zipkin/zipkintest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/sampling"

	_ "github.com/traceplug/traceplug/backends/jaeger"
	_ "github.com/traceplug/traceplug/backends/lightstep"
	_ "github.com/traceplug/traceplug/backends/mock"
	_ "github.com/traceplug/traceplug/backends/otel"
	_ "github.com/traceplug/traceplug/backends/zipkin"
)

// backends are traceplug's backends under test, each with the harness of its
// in-process collector, which decodes what the backend really sends.
func backends() []conformance.Harness {
	return []conformance.Harness{
		mocktest.Harness(),
		jaegertest.Harness("http"),
		zipkintest.Harness(),
		lightsteptest.Harness("http"),
		oteltest.Harness("http"),
	}
}

// nativeFormats are each backend's formats when WithPropagation is not given.
var nativeFormats = map[string]string{
	"mock":      "tracecontext,baggage",
	"otel":      "tracecontext,baggage",
	"jaeger":    "jaeger",
	"zipkin":    "b3multi",
	"lightstep": "ottrace",
}

// traceplug is a service traced by traceplug on backend h, its spans sent to
// the backend's in-process collector, with WithPropagation(list) ("" for the
// backend's native formats). Its server is tracer.Middleware with trace-all
// on, its client tracer.Transport. The origin samples nothing
// (WithSampleRate(0)) when the world is not sampled.
func traceplug(h conformance.Harness, list string) mk {
	return func(w *world, origin bool) *node {
		t := w.t
		t.Helper()
		formats, label := list, list
		if list == "" {
			formats, label = nativeFormats[h.Backend], "native"
		}
		n := &node{name: "traceplug/" + h.Backend + " [" + label + "]", trace64: h.Backend == "lightstep"}
		for _, f := range strings.Split(formats, ",") {
			var bag []string
			switch f {
			case "baggage":
				bag = []string{"baggage"}
			case "b3", "b3multi":
				bag = []string{"baggage-", "ot-baggage-"}
			case "jaeger":
				bag = []string{"uberctx-"}
			case "ottrace":
				bag = []string{"ot-baggage-"}
			}
			if f != "baggage" {
				n.writes = append(n.writes, f)
			}
			for _, b := range bag {
				if !slices.Contains(n.bagOut, b) {
					n.bagOut = append(n.bagOut, b)
				}
			}
		}

		col := h.Start(t)
		opts := append(append(col.Options(), h.Options...), core.WithServiceName("interop-"+h.Backend), core.WithTraceAll(true))
		if list != "" {
			opts = append(opts, core.WithPropagation(list))
		}
		if origin && !w.sampled {
			opts = append(opts, core.WithSampleRate(0))
		}
		tr, err := core.New(h.Backend, opts...)
		if err != nil {
			t.Fatalf("%s: core.New: %v", n.name, err)
		}
		t.Cleanup(func() { _ = tr.Close() })
		client := &http.Client{Transport: tr.Transport(w.base)}

		n.wrap = tr.Middleware
		n.call = func(r *http.Request, url string) error { return get(client, r, url) }
		n.setBaggage = func(r *http.Request) *http.Request {
			if span := tr.GetSpan(r); span != nil {
				span.SetBaggageItem(bagKey, bagValue)
			} else {
				t.Errorf("%s: GetSpan is nil in the handler", n.name)
			}
			return r
		}
		n.view = func(r *http.Request) view {
			var v view
			if trace, span, ok := tr.ContextIDs(r.Context()); ok {
				v.trace, v.span = conformance.NormalizeID(trace), conformance.NormalizeID(span)
			}
			if span := tr.GetSpan(r); span != nil {
				v.baggage = span.BaggageItem(bagKey)
			}
			return v
		}
		n.spans = func(t *testing.T) []conformance.Span { return drain(t, h, col, tr) }
		return n
	}
}

// sentinelOp names the span drain sends last.
const sentinelOp = "interop.sentinel"

// drain closes tr, which flushes it, and returns every span the collector
// decoded from it. To know that all have arrived, it sends a sentinel span
// through a fresh tracer on the same collector last and waits for it, as the
// conformance fixture does: collectors decode in arrival order.
func drain(t *testing.T, h conformance.Harness, col conformance.Collector, tr *core.Tracer) []conformance.Span {
	t.Helper()
	if err := tr.Close(); err != nil {
		t.Errorf("traceplug/%s: Close: %v", h.Backend, err)
	}
	// The sentinel is always sampled, whatever sampler the environment of
	// the test names.
	sentinel, err := core.New(h.Backend, append(append(col.Options(), h.Options...), core.WithServiceName("interop-sentinel"), core.WithSampler(sampling.AlwaysOn()))...)
	if err != nil {
		t.Fatalf("traceplug/%s: the sentinel tracer: %v", h.Backend, err)
	}
	sentinel.StartSpan(sentinelOp).Finish()
	if err := sentinel.Close(); err != nil {
		t.Fatalf("traceplug/%s: closing the sentinel tracer: %v", h.Backend, err)
	}
	for deadline := time.Now().Add(15 * time.Second); ; {
		all := col.Spans()
		for i, s := range all {
			if strings.EqualFold(s.Operation, sentinelOp) {
				return append(all[:i:i], all[i+1:]...)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("traceplug/%s: the collector never received the sentinel span (it has %d spans)", h.Backend, len(all))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// get sends a GET to url with client, in the context of r (the request being
// served), and reads the whole response, so that the client span finishes.
func get(client *http.Client, r *http.Request, url string) error {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	return nil
}
