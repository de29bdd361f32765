package otel_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"
	otelapi "go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
	tpprop "github.com/traceplug/traceplug/propagation"
)

// userGlobals sets OpenTelemetry's globals to a provider and a propagator
// of the test's own, as an application may have before it builds a
// Tracer, and puts back the process's at the end of the test.
func userGlobals(t *testing.T) (trace.TracerProvider, propagation.TextMapPropagator) {
	t.Helper()
	oldTP, oldProp := otelapi.GetTracerProvider(), otelapi.GetTextMapPropagator()
	t.Cleanup(func() {
		otelapi.SetTracerProvider(oldTP)
		otelapi.SetTextMapPropagator(oldProp)
	})
	tp := sdktrace.NewTracerProvider() // no processor: no goroutine
	prop := propagation.NewCompositeTextMapPropagator(propagation.Baggage{})
	otelapi.SetTracerProvider(tp)
	otelapi.SetTextMapPropagator(prop)
	return tp, prop
}

// TestWithGlobalOpenTelemetryCode: with WithGlobal, OpenTelemetry API code in
// a traced handler, with nothing else set up, makes children of the
// request's span, the global propagator (which otelhttp's transport and
// otelgrpc's client use) writes them as traceparent, and the request's W3C
// baggage is OpenTelemetry's baggage: on the wire and in the collector.
func TestWithGlobalOpenTelemetryCode(t *testing.T) {
	userGlobals(t)
	c := oteltest.New(t)
	tr, _ := newTracer(t, c, core.WithTraceAll(true), core.WithGlobal())
	var sent http.Header
	var bag string
	srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bag = baggage.FromContext(r.Context()).String()
		ctx, span := otelapi.Tracer("lib").Start(r.Context(), "otel.child")
		defer span.End()
		sent = http.Header{}
		otelapi.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(sent))
	})))
	defer srv.Close()
	const incoming = "4bf92f3577b34da6a3ce929d0e0e4736"
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("traceparent", "00-"+incoming+"-00f067aa0ba902b7-01")
	req.Header.Set("baggage", "user=ann")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	spans := c.Spans()
	server, child := byName(t, spans, "GET"), byName(t, spans, "otel.child")
	wantChild(t, child, server)
	if server.TraceID != conformance.NormalizeID(incoming) {
		t.Errorf("server span %v does not continue the incoming trace", server)
	}
	wantParent := "00-" + incoming + "-" + padID(child.SpanID) + "-01"
	if got := sent.Get("traceparent"); got != wantParent {
		t.Errorf("the global propagator wrote traceparent %q, want %q (the OpenTelemetry span's)", got, wantParent)
	}
	if got := sent.Get("baggage"); got != "user=ann" {
		t.Errorf("the global propagator wrote baggage %q, want user=ann", got)
	}
	if bag != "user=ann" {
		t.Errorf("baggage.FromContext in the handler: %q, want user=ann", bag)
	}
}

// padID is a span id of the conformance model as W3C writes it.
func padID(id string) string {
	for len(id) < 16 {
		id = "0" + id
	}
	return id
}

// TestWithGlobalRestoredAtShutdown: OpenTelemetry's globals are the
// Tracer's while it is live, and what they were before once it is shut
// down; a global that someone replaced in between stays.
func TestWithGlobalRestoredAtShutdown(t *testing.T) {
	t.Run("restored", func(t *testing.T) {
		tp, prop := userGlobals(t)
		c := oteltest.New(t)
		tr, ot := newTracer(t, c, core.WithGlobal())
		if otelapi.GetTracerProvider() == tp {
			t.Error("the tracer provider is still the application's")
		}
		if got, want := fields(otelapi.GetTextMapPropagator()), fields(ot.TextMapPropagator()); !slices.Equal(got, want) {
			t.Errorf("the global propagator's fields are %v, want the tracer's %v", got, want)
		}
		if err := tr.Close(); err != nil {
			t.Fatal(err)
		}
		if otelapi.GetTracerProvider() != tp {
			t.Errorf("after Shutdown the tracer provider is %T, want the application's back", otelapi.GetTracerProvider())
		}
		if got, want := fields(otelapi.GetTextMapPropagator()), fields(prop); !slices.Equal(got, want) {
			t.Errorf("after Shutdown the propagator's fields are %v, want the application's %v", got, want)
		}
	})
	t.Run("replaced in between", func(t *testing.T) {
		userGlobals(t)
		c := oteltest.New(t)
		tr, _ := newTracer(t, c, core.WithGlobal())
		tp, prop := sdktrace.NewTracerProvider(), propagation.TraceContext{}
		otelapi.SetTracerProvider(tp)
		otelapi.SetTextMapPropagator(prop)
		if err := tr.Close(); err != nil {
			t.Fatal(err)
		}
		if otelapi.GetTracerProvider() != tp || otelapi.GetTextMapPropagator() != propagation.TextMapPropagator(prop) {
			t.Errorf("Shutdown replaced globals it had not set: %T, %T", otelapi.GetTracerProvider(), otelapi.GetTextMapPropagator())
		}
	})
	t.Run("without WithGlobal", func(t *testing.T) {
		tp, _ := userGlobals(t)
		c := oteltest.New(t)
		newTracer(t, c)
		if otelapi.GetTracerProvider() != tp {
			t.Error("a Tracer built without WithGlobal set OpenTelemetry's tracer provider")
		}
	})
}

// TestWithGlobalFollowsTheLastTracer: a tracer and a propagator taken from
// OpenTelemetry's globals while one Tracer is global (a library's
// package-level otel.Tracer, an otelhttp transport's propagator) follow the
// last Tracer built WithGlobal, keep working when an earlier one shuts down,
// and trace and propagate nothing once the last one has: they never feed a
// Tracer that was shut down.
func TestWithGlobalFollowsTheLastTracer(t *testing.T) {
	tp, _ := userGlobals(t)
	ca, cb := oteltest.New(t), oteltest.New(t)
	a, _ := newTracer(t, ca, core.WithGlobal())
	lib, prop := otelapi.Tracer("lib"), otelapi.GetTextMapPropagator()
	b, _ := newTracer(t, cb, core.WithGlobal(), core.WithPropagation("b3multi"))

	start := func(name string) http.Header {
		ctx, span := lib.Start(context.Background(), name)
		h := http.Header{}
		prop.Inject(ctx, propagation.HeaderCarrier(h))
		span.End()
		return h
	}
	if h := start("while b"); h.Get("X-B3-TraceId") == "" || h.Get("traceparent") != "" {
		t.Errorf("the propagator taken while a was global wrote %v: want b's format (b3multi)", h)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	start("after a")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if otelapi.GetTracerProvider() != tp {
		t.Error("the application's tracer provider is not back once the last Tracer shut down")
	}
	if h := start("after both"); len(h) != 0 {
		t.Errorf("with no Tracer global the propagator wrote %v", h)
	}
	if spans := ca.Spans(); len(spans) != 0 {
		t.Errorf("a's collector received %v", spans)
	}
	if spans := cb.Spans(); len(spans) != 2 {
		t.Errorf("b's collector received %v, want the spans started while b was global", spans)
	} else {
		byName(t, spans, "while b")
		byName(t, spans, "after a")
	}
	for name, tr := range map[string]*core.Tracer{"a": a, "b": b} {
		if s := tr.Stats(); s.Dropped != 0 {
			t.Errorf("%s dropped %v", name, s.DroppedBy)
		}
	}
}

// TestBaggageBetweenTheAPIs: a request's W3C baggage is OpenTelemetry's
// baggage in the handler, with or without WithGlobal, and in the context of
// an OpenTracing child span; what OpenTelemetry code adds is what
// ContextBaggage returns, for traceplug's instrumentation to send.
func TestBaggageBetweenTheAPIs(t *testing.T) {
	userGlobals(t)
	c := oteltest.New(t)
	tr, ot := newTracer(t, c, core.WithTraceAll(true))
	var inHandler, inChild string
	var items []tpprop.BaggageItem
	srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inHandler = baggage.FromContext(r.Context()).String()
		span := tr.GetSpan(r)
		span.SetBaggageItem("step", "1")
		child, ctx := opentracing.StartSpanFromContextWithTracer(r.Context(), tr, "child")
		defer child.Finish()
		inChild = baggage.FromContext(ctx).String()
		m, _ := baggage.NewMemberRaw("cart", "42")
		b, _ := baggage.FromContext(ctx).SetMember(m)
		items = ot.ContextBaggage(baggage.ContextWithBaggage(ctx, b))
	})))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("baggage", "user=ann,tenant=7")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := "tenant=7,user=ann"; sortedBaggage(inHandler) != want {
		t.Errorf("baggage in the handler: %q, want %q", inHandler, want)
	}
	if want := "step=1,tenant=7,user=ann"; sortedBaggage(inChild) != want {
		t.Errorf("baggage in the child span's context: %q, want %q", inChild, want)
	}
	want := "[{cart 42} {step 1} {tenant 7} {user ann}]"
	if got := fmt.Sprint(items); got != want {
		t.Errorf("ContextBaggage: %s, want %s", got, want)
	}
	if got := ot.ContextBaggage(context.Background()); got != nil {
		t.Errorf("ContextBaggage of a context without baggage: %v", got)
	}
}

// sortedBaggage is a baggage header's members sorted, as OpenTelemetry
// writes them in no order.
func sortedBaggage(h string) string {
	members := strings.Split(h, ",")
	slices.Sort(members)
	return strings.Join(members, ",")
}

// fields are p's fields, sorted (a composite propagator's come in no order).
func fields(p propagation.TextMapPropagator) []string {
	return slices.Sorted(slices.Values(p.Fields()))
}

// TestOpenTelemetryBaggageThroughTransport: baggage that OpenTelemetry code
// in a handler sets, in the context of a span it starts, is sent by
// traceplug's Transport with the request's own, on a call made in that
// context.
func TestOpenTelemetryBaggageThroughTransport(t *testing.T) {
	userGlobals(t)
	c := oteltest.New(t)
	tr, _ := newTracer(t, c, core.WithTraceAll(true), core.WithGlobal())
	var sent string
	downstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent = r.Header.Get("baggage")
	}))
	defer downstream.Close()
	hc := &http.Client{Transport: tr.Transport(nil)}
	srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, _ := baggage.NewMemberRaw("cart", "42")
		b, _ := baggage.FromContext(r.Context()).SetMember(m)
		ctx, span := otelapi.Tracer("lib").Start(baggage.ContextWithBaggage(r.Context(), b), "otel.op")
		defer span.End()
		req, _ := http.NewRequestWithContext(ctx, "GET", downstream.URL, nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
	})))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("baggage", "user=ann")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := "cart=42,user=ann"; sortedBaggage(sent) != want {
		t.Errorf("the Transport sent baggage %q, want %q", sent, want)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	spans := c.Spans()
	var clients []conformance.Span
	for _, s := range spans {
		if kind, _ := s.Tag("span.kind"); kind == "client" {
			clients = append(clients, s)
		}
	}
	if len(clients) != 1 {
		t.Fatalf("want one client span among %v", spans)
	}
	wantChild(t, clients[0], byName(t, spans, "otel.op"))
}
