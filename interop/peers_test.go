package interop_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"

	"github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing-contrib/go-stdlib/nethttp"
	"github.com/opentracing/opentracing-go"
	"github.com/openzipkin/zipkin-go"
	zipkinhttp "github.com/openzipkin/zipkin-go/middleware/http"
	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/propagation/b3"
	zipkinbaggage "github.com/openzipkin/zipkin-go/propagation/baggage"
	"github.com/openzipkin/zipkin-go/reporter/recorder"
	"github.com/uber/jaeger-client-go"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/baggage"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceplug/traceplug/backends/lightstep/lightsteptest"
	"github.com/traceplug/traceplug/backends/zipkin/zipkintest"
	"github.com/traceplug/traceplug/conformance"
)

// otelhttpNode is a service instrumented by OpenTelemetry's otelhttp
// (NewHandler, NewTransport) on the SDK's TracerProvider, recording into a
// tracetest.SpanRecorder, with W3C trace context and baggage as its
// propagator. It samples parent-based; a root (the origin) always, or never
// when the world is not sampled. Its trace ids have 128 bits.
func otelhttpNode() mk {
	return func(w *world, origin bool) *node {
		sr := tracetest.NewSpanRecorder()
		root := sdktrace.AlwaysSample()
		if origin && !w.sampled {
			root = sdktrace.NeverSample()
		}
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr), sdktrace.WithSampler(sdktrace.ParentBased(root)))
		w.t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		opts := []otelhttp.Option{
			otelhttp.WithTracerProvider(tp),
			otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
			otelhttp.WithPropagators(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})),
		}
		client := &http.Client{Transport: otelhttp.NewTransport(w.base, opts...)}
		return &node{
			name: "otelhttp",
			wrap: func(h http.Handler) http.Handler { return otelhttp.NewHandler(h, "interop-otel", opts...) },
			call: func(r *http.Request, url string) error { return get(client, r, url) },
			setBaggage: func(r *http.Request) *http.Request {
				m, err := baggage.NewMember(bagKey, bagValue)
				if err != nil {
					w.t.Fatal(err)
				}
				b, err := baggage.New(m)
				if err != nil {
					w.t.Fatal(err)
				}
				return r.WithContext(baggage.ContextWithBaggage(r.Context(), b))
			},
			view: func(r *http.Request) view {
				sc := trace.SpanContextFromContext(r.Context())
				return view{
					trace:   conformance.NormalizeID(sc.TraceID().String()),
					span:    conformance.NormalizeID(sc.SpanID().String()),
					sampled: ptr(sc.IsSampled()),
					baggage: baggage.FromContext(r.Context()).Member(bagKey).Value(),
				}
			},
			spans: func(t *testing.T) []conformance.Span {
				if err := tp.ForceFlush(context.Background()); err != nil {
					t.Errorf("otel: ForceFlush: %v", err)
				}
				var out []conformance.Span
				for _, s := range sr.Ended() {
					cs := conformance.Span{
						TraceID:   conformance.NormalizeID(s.SpanContext().TraceID().String()),
						SpanID:    conformance.NormalizeID(s.SpanContext().SpanID().String()),
						Operation: s.Name(),
						Tags:      map[string]any{"span.kind": s.SpanKind().String()},
					}
					if p := s.Parent(); p.IsValid() {
						cs.ParentID = conformance.NormalizeID(p.SpanID().String())
					}
					out = append(out, cs)
				}
				return out
			},
			writes: []string{"tracecontext"},
			bagOut: []string{"baggage"},
		}
	}
}

// nethttpNode is a service instrumented by opentracing-contrib/go-stdlib's
// nethttp (Middleware; TraceRequest and Transport) over tr, any OpenTracing
// tracer: the way a jaeger-client-go or lightstep-tracer-go service traces
// net/http. The caller completes view, spans, writes and bagOut.
func nethttpNode(w *world, tr opentracing.Tracer, name string) *node {
	client := &http.Client{Transport: &nethttp.Transport{RoundTripper: w.base}}
	return &node{
		name: name,
		wrap: func(h http.Handler) http.Handler { return nethttp.Middleware(tr, h) },
		call: func(r *http.Request, url string) error {
			req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, url, nil)
			if err != nil {
				return err
			}
			req, ht := nethttp.TraceRequest(tr, req)
			defer ht.Finish()
			return get(client, req, url)
		},
		setBaggage: func(r *http.Request) *http.Request {
			opentracing.SpanFromContext(r.Context()).SetBaggageItem(bagKey, bagValue)
			return r
		},
	}
}

// jaegerNative is a service on jaeger-client-go's own tracer (const sampler;
// the origin's samples per the world, the others follow their parent),
// reporting to jaeger.NewInMemoryReporter, traced by go-stdlib's nethttp:
// uber-trace-id and uberctx-* on the wire. Its own trace ids have 64 bits,
// and it keeps 128-bit ones it receives.
func jaegerNative() mk { return jaegerClientGo(false) }

// jaegerNative128 is jaegerNative starting traces with 128-bit ids
// (jaeger.TracerOptions.Gen128Bit).
func jaegerNative128() mk { return jaegerClientGo(true) }

func jaegerClientGo(id128 bool) mk {
	return func(w *world, origin bool) *node {
		rep := jaeger.NewInMemoryReporter()
		tr, closer := jaeger.NewTracer("jaeger-client-go", jaeger.NewConstSampler(w.sampled || !origin), rep, jaeger.TracerOptions.Gen128Bit(id128))
		w.t.Cleanup(func() { _ = closer.Close() })
		name := "jaeger-client-go+nethttp"
		if id128 {
			name += " [128-bit]"
		}
		n := nethttpNode(w, tr, name)
		n.writes, n.bagOut = []string{"jaeger"}, []string{"uberctx-"}
		n.view = func(r *http.Request) view {
			sp := opentracing.SpanFromContext(r.Context())
			sc := sp.Context().(jaeger.SpanContext)
			return view{
				trace:   conformance.NormalizeID(sc.TraceID().String()),
				span:    conformance.ID(uint64(sc.SpanID())),
				sampled: ptr(sc.IsSampled()),
				baggage: sp.BaggageItem(bagKey),
			}
		}
		n.spans = func(t *testing.T) []conformance.Span {
			var out []conformance.Span
			for _, s := range rep.GetSpans() {
				js := s.(*jaeger.Span)
				sc := js.SpanContext()
				out = append(out, conformance.Span{
					TraceID:   conformance.NormalizeID(sc.TraceID().String()),
					SpanID:    conformance.ID(uint64(sc.SpanID())),
					ParentID:  conformance.ID(uint64(sc.ParentID())),
					Operation: js.OperationName(),
					Tags:      map[string]any(js.Tags()),
				})
			}
			return out
		}
		return n
	}
}

// lightstepNative is a service on lightstep-tracer-go's own tracer, recording
// into an in-memory lightstep.SpanRecorder (Options.Recorder), its reports
// sent to an in-process collector on 127.0.0.1 so that nothing leaves the
// machine, traced by go-stdlib's nethttp. With b3 false it propagates with
// its default LightStepPropagator (ot-tracer-*, ot-baggage-*); with b3 true
// with lightstep.B3Propagator for opentracing.HTTPHeaders (X-B3-TraceId,
// X-B3-SpanId, X-B3-Sampled: the multi-header form, with no parent id, and
// baggage as ot-baggage-*). It reports 64-bit trace ids, and always samples:
// it has no sampler, and records every span not marked "false".
func lightstepNative(b3 bool) mk {
	return func(w *world, origin bool) *node {
		col := lightsteptest.New(w.t)
		u, err := url.Parse(col.Endpoint("http"))
		if err != nil {
			w.t.Fatal(err)
		}
		host, p, _ := net.SplitHostPort(u.Host)
		port, _ := strconv.Atoi(p)
		rec := &lightstepRecorder{}
		opts := lightstep.Options{
			AccessToken:   "interop-token",
			Collector:     lightstep.Endpoint{Host: host, Port: port, Plaintext: true},
			UseHttp:       true,
			Recorder:      rec,
			Tags:          opentracing.Tags{lightstep.ComponentNameKey: "lightstep-tracer-go"},
			SystemMetrics: lightstep.SystemMetricsOptions{Disabled: true},
		}
		name := "lightstep-tracer-go+nethttp [LightStepPropagator]"
		if b3 {
			opts.Propagators = map[opentracing.BuiltinFormat]lightstep.Propagator{opentracing.HTTPHeaders: lightstep.B3Propagator}
			name = "lightstep-tracer-go+nethttp [B3Propagator]"
		}
		tr, err := lightstep.CreateTracer(opts)
		if err != nil {
			w.t.Fatalf("lightstep.CreateTracer: %v", err)
		}
		w.t.Cleanup(func() { tr.Close(context.Background()) })
		n := nethttpNode(w, tr, name)
		n.trace64 = true
		n.writes, n.bagOut = []string{"ottrace"}, []string{"ot-baggage-"}
		if b3 {
			n.writes = []string{"b3multi"}
		}
		n.view = func(r *http.Request) view {
			sp := opentracing.SpanFromContext(r.Context())
			sc := sp.Context().(lightstep.SpanContext)
			return view{
				trace:   conformance.ID(sc.TraceID),
				span:    conformance.ID(sc.SpanID),
				sampled: ptr(sc.Sampled != "false"),
				baggage: sp.BaggageItem(bagKey),
			}
		}
		n.spans = func(t *testing.T) []conformance.Span { return rec.spans() }
		return n
	}
}

// lightstepRecorder is a lightstep.SpanRecorder that keeps the spans.
type lightstepRecorder struct {
	mu  sync.Mutex
	raw []lightstep.RawSpan
}

func (r *lightstepRecorder) RecordSpan(s lightstep.RawSpan) {
	r.mu.Lock()
	r.raw = append(r.raw, s)
	r.mu.Unlock()
}

func (r *lightstepRecorder) spans() []conformance.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []conformance.Span
	for _, s := range r.raw {
		out = append(out, conformance.Span{
			TraceID:   conformance.ID(s.Context.TraceID),
			SpanID:    conformance.ID(s.Context.SpanID),
			ParentID:  conformance.ID(s.ParentSpanID),
			Operation: s.Operation,
			Tags:      map[string]any(s.Tags),
		})
	}
	return out
}

// zipkinGo is a service on zipkin-go's own tracer, reporting to its
// recorder.ReporterRecorder, with its server middleware
// (zipkinhttp.NewServerMiddleware, which reads b3 and X-B3-*) and, with
// single false, its client transport (zipkinhttp.NewTransport, which writes
// X-B3-*), or, with single true, zipkin-go's injector with
// b3.WithSingleHeaderOnly (the b3 header), as zipkin-go's transport has no
// option for it. Baggage is zipkin-go's: the baggage-tenant header,
// registered with propagation/baggage, read by the middleware and forwarded
// by the client. Spans are not shared (WithSharedSpans(false)), so that a
// server span is a child of the client span, as in the other clients. Its
// trace ids have 64 bits.
func zipkinGo(single bool) mk { return zipkinGoNode(single, false) }

// zipkinGo128 is zipkinGo starting traces with 128-bit ids
// (zipkin.WithTraceID128Bit).
func zipkinGo128(single bool) mk { return zipkinGoNode(single, true) }

func zipkinGoNode(single, id128 bool) mk {
	return func(w *world, origin bool) *node {
		rec := recorder.NewReporter()
		ep, err := zipkin.NewEndpoint("zipkin-go", "")
		if err != nil {
			w.t.Fatal(err)
		}
		sampler := zipkin.AlwaysSample
		if origin && !w.sampled {
			sampler = zipkin.NeverSample
		}
		tr, err := zipkin.NewTracer(rec, zipkin.WithLocalEndpoint(ep), zipkin.WithSharedSpans(false), zipkin.WithSampler(sampler), zipkin.WithTraceID128Bit(id128))
		if err != nil {
			w.t.Fatal(err)
		}
		n := &node{name: "zipkin-go [X-B3-*]", writes: []string{"b3multi"}, bagOut: []string{"baggage-"}}
		var rt http.RoundTripper
		if single {
			n.name, n.writes = "zipkin-go [b3]", []string{"b3"}
			rt = &zipkinSingleHeader{tr: tr, base: w.base}
		} else if rt, err = zipkinhttp.NewTransport(tr, zipkinhttp.RoundTripper(w.base)); err != nil {
			w.t.Fatal(err)
		}
		if id128 {
			n.name += " [128-bit]"
		}
		client := &http.Client{Transport: rt}
		header := "baggage-" + bagKey
		n.wrap = zipkinhttp.NewServerMiddleware(tr, zipkinhttp.EnableBaggage(zipkinbaggage.New(header)))
		n.call = func(r *http.Request, url string) error { return get(client, r, url) }
		n.setBaggage = func(r *http.Request) *http.Request {
			zipkin.SpanFromContext(r.Context()).Context().Baggage.Set(header, bagValue)
			return r
		}
		n.view = func(r *http.Request) view {
			sc := zipkin.SpanFromContext(r.Context()).Context()
			v := view{trace: conformance.NormalizeID(sc.TraceID.String()), span: conformance.ID(uint64(sc.ID))}
			if sc.Sampled != nil {
				v.sampled = ptr(*sc.Sampled || sc.Debug)
			}
			if sc.Baggage != nil {
				if vs := sc.Baggage.Get(header); len(vs) > 0 {
					v.baggage = vs[0]
				}
			}
			return v
		}
		n.spans = func(t *testing.T) []conformance.Span {
			var out []conformance.Span
			for _, m := range rec.Flush() {
				out = append(out, zipkintest.Convert(m))
			}
			return out
		}
		return n
	}
}

// zipkinSingleHeader is zipkin-go's client side with the single b3 header:
// a client span from zipkin-go's tracer, its registered baggage headers
// forwarded as zipkinhttp's transport does, and the context injected by
// b3.InjectHTTP with b3.WithSingleHeaderOnly.
type zipkinSingleHeader struct {
	tr   *zipkin.Tracer
	base http.RoundTripper
}

func (z *zipkinSingleHeader) RoundTrip(req *http.Request) (*http.Response, error) {
	sp, _ := z.tr.StartSpanFromContext(req.Context(), req.URL.Scheme+"/"+req.Method, zipkin.Kind(model.Client))
	defer sp.Finish()
	out := req.Clone(req.Context())
	if bag := sp.Context().Baggage; bag != nil {
		bag.Iterate(func(key string, values []string) {
			for _, v := range values {
				out.Header.Add(key, v)
			}
		})
	}
	if err := b3.InjectHTTP(out, b3.WithSingleHeaderOnly())(sp.Context()); err != nil {
		return nil, err
	}
	return z.base.RoundTrip(out)
}
