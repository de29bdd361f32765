// Package oteltest runs an in-process OTLP collector on 127.0.0.1 for tests,
// decoding what it receives with go.opentelemetry.io/proto/otlp's own
// generated types: protobuf ExportTraceServiceRequests POSTed to /v1/traces
// (gzip or not), and over every transport registered with it. It keeps the
// requests, their headers (or gRPC metadata), and their spans in the
// conformance model.
//
//	c := oteltest.New(t) // stopped by t.Cleanup
//	tracer, _ := core.New("otel", c.Options("http")...)
//	...
//	tracer.Close()
//	spans := c.Spans()
//
// OTLP over gRPC is a transport of its own module, as the backend's gRPC
// exporter is, so that this package, and the otel backend's module, need no
// gRPC. Importing otlpgrpctest registers it, and links the exporter: then
// every Collector serves the transport "grpc" too, and [FaultyEndpoint] and
// [Harness] take it.
//
//	import _ "github.com/traceplug/traceplug/backends/otel/otlpgrpc/otlpgrpctest"
//
//	tracer, _ := core.New("otel", c.Options("grpc")...)
//
// It also starts collectors that fail in the ways the faults tests need; see
// [FaultyEndpoint].
package oteltest

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

// A Transport is an OTLP transport other than HTTP/protobuf, which a
// package registers with [RegisterTransport]: otlpgrpctest registers
// "grpc".
type Transport struct {
	// Serve serves c's collector over the transport, on 127.0.0.1,
	// handing each request to [Collector.Record], and returns its
	// endpoint (for core.WithEndpoint) and a function that stops serving
	// and returns when that is done. New calls it, and [Collector.Close]
	// calls stop, once.
	Serve func(t testing.TB, c *Collector) (endpoint string, stop func())
	// Faulty starts a collector over the transport, on 127.0.0.1, that
	// fails with f, stopped when t ends, and returns its endpoint:
	// [FaultyEndpoint] for the transport.
	Faulty func(t testing.TB, f Fault) string
}

// transports maps the names of the registered transports to them. The zero
// value is ready to use.
type transports struct {
	mu     sync.RWMutex
	byName map[string]Transport
}

// registered is the process-wide registry of [RegisterTransport].
var registered = &transports{}

func (r *transports) register(name string, tr Transport) error {
	if name == "" || name == "http" {
		return fmt.Errorf("oteltest: RegisterTransport called with the name %q, which is taken (want a name such as \"grpc\")", name)
	}
	if tr.Serve == nil || tr.Faulty == nil {
		return fmt.Errorf("oteltest: RegisterTransport called for transport %q without its Serve or Faulty function", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.byName[name]; dup {
		return fmt.Errorf("oteltest: RegisterTransport called twice for transport %q: two copies of its package linked?", name)
	}
	if r.byName == nil {
		r.byName = make(map[string]Transport)
	}
	r.byName[name] = tr
	return nil
}

// lookup returns the transport registered as name, which the caller uses
// after lookup returns, outside the lock.
func (r *transports) lookup(name string) (Transport, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	tr, ok := r.byName[name]
	return tr, ok
}

// names returns the registered transports' names, sorted.
func (r *transports) names() []string {
	r.mu.RLock()
	names := make([]string, 0, len(r.byName))
	for name := range r.byName {
		names = append(names, name)
	}
	r.mu.RUnlock()
	sort.Strings(names)
	return names
}

// RegisterTransport makes every Collector started later serve transport
// name as well as HTTP, and [FaultyEndpoint] and [Harness] take name. A
// transport's package calls it from its init function, and does nothing
// else there. It panics if name is empty or "http", a function of tr is
// nil, or name is already registered. It is safe for concurrent use.
func RegisterTransport(name string, tr Transport) {
	if err := registered.register(name, tr); err != nil {
		panic(err)
	}
}

// notLinked is the text of a failure to use transport name, which no
// linked package registered.
func notLinked(name string) string {
	if name == "grpc" {
		return `oteltest: transport "grpc" is not linked: import _ "github.com/traceplug/traceplug/backends/otel/otlpgrpc/otlpgrpctest" in the test`
	}
	return fmt.Sprintf("oteltest: unknown transport %q (linked: %s)", name, strings.Join(append([]string{"http"}, registered.names()...), ", "))
}

// Collector is a running OTLP collector. It is safe for concurrent use.
type Collector struct {
	httpSrv   *httptest.Server
	endpoints map[string]string // by registered transport; read-only after New
	stops     []func()          // the registered transports'
	closed    sync.Once

	mu       sync.Mutex
	requests []*tracepb.TracesData
	headers  []http.Header // per request: HTTP headers, or gRPC metadata
	errs     []error
	rejected int64 // spans to reject per request, as a partial success
	reason   string
}

// New starts the collector's listeners on random ports of 127.0.0.1: HTTP,
// and every registered transport's; stopped when the test ends.
func New(t testing.TB) *Collector {
	t.Helper()
	c := &Collector{endpoints: map[string]string{}}
	c.httpSrv = httptest.NewServer(http.HandlerFunc(c.serveHTTP))
	t.Cleanup(c.Close)
	for _, name := range registered.names() {
		tr, _ := registered.lookup(name)
		endpoint, stop := tr.Serve(t, c)
		c.endpoints[name] = endpoint
		c.stops = append(c.stops, stop)
	}
	return c
}

// Close stops every listener; only the first call does. What the
// collector received stays readable.
func (c *Collector) Close() {
	c.closed.Do(func() {
		c.httpSrv.Close()
		for _, stop := range c.stops {
			stop()
		}
	})
}

// Endpoint is the endpoint of transport "http" (http://HOST:PORT/v1/traces)
// or of a registered one ("grpc": grpc://HOST:PORT), for core.WithEndpoint.
// It panics, saying which import is missing, for a transport no linked
// package registered.
func (c *Collector) Endpoint(transport string) string {
	if transport == "http" {
		return c.httpSrv.URL + "/v1/traces"
	}
	e, ok := c.endpoints[transport]
	if !ok {
		panic(notLinked(transport))
	}
	return e
}

// Options point an otel tracer at the collector over transport.
func (c *Collector) Options(transport string) []core.Option {
	return []core.Option{core.WithEndpoint(c.Endpoint(transport))}
}

// RejectSpans makes the collector answer every later request with a partial
// success rejecting n of its spans (at most as many as it holds) for
// reason; 0 accepts every span again.
func (c *Collector) RejectSpans(n int64, reason string) {
	c.mu.Lock()
	c.rejected, c.reason = n, reason
	c.mu.Unlock()
}

func (c *Collector) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
		http.Error(w, "oteltest: want POST /v1/traces", http.StatusNotFound)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-protobuf" {
		err := fmt.Errorf("oteltest: Content-Type %q is not application/x-protobuf", ct)
		c.Fail(err)
		http.Error(w, err.Error(), http.StatusUnsupportedMediaType)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			c.Fail(err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	data, err := io.ReadAll(body)
	if err != nil {
		c.Fail(err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// TracesData is ExportTraceServiceRequest's twin (field 1, repeated
	// ResourceSpans: the same message on the wire), in a package that does
	// not link gRPC, as the collector's does.
	req := &tracepb.TracesData{}
	if err := proto.Unmarshal(data, req); err != nil {
		err = fmt.Errorf("oteltest: decoding an ExportTraceServiceRequest: %w", err)
		c.Fail(err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rejected, reason := c.Record(req, r.Header.Clone())
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(response(rejected, reason))
}

// response encodes an ExportTraceServiceResponse: empty, or with a partial
// success rejecting rejected spans for reason. (Its generated type is in
// the collector's package, which links gRPC.)
func response(rejected int64, reason string) []byte {
	if rejected == 0 && reason == "" {
		return nil
	}
	var ps []byte
	if rejected != 0 {
		ps = protowire.AppendTag(ps, 1, protowire.VarintType) // rejected_spans
		ps = protowire.AppendVarint(ps, uint64(rejected))
	}
	if reason != "" {
		ps = protowire.AppendTag(ps, 2, protowire.BytesType) // error_message
		ps = protowire.AppendString(ps, reason)
	}
	b := protowire.AppendTag(nil, 1, protowire.BytesType) // partial_success
	return protowire.AppendBytes(b, ps)
}

// Record keeps req, a request received over a transport with headers h
// (its gRPC metadata, say), and returns the partial success to answer it
// with: rejected spans, and why; 0 and "" to take them all. Transports'
// Serve functions call it; it is safe for concurrent use.
func (c *Collector) Record(req *tracepb.TracesData, h http.Header) (rejected int64, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests = append(c.requests, req)
	c.headers = append(c.headers, h)
	if c.rejected <= 0 {
		return 0, ""
	}
	n := int64(0)
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			n += int64(len(ss.GetSpans()))
		}
	}
	return min(n, c.rejected), c.reason
}

// Fail keeps err, a request that the collector could not decode, for
// [Collector.Errors]. Transports' Serve functions call it; it is safe for
// concurrent use.
func (c *Collector) Fail(err error) {
	c.mu.Lock()
	c.errs = append(c.errs, err)
	c.mu.Unlock()
}

// Requests returns the requests received so far, over every transport, as
// TracesData: the ExportTraceServiceRequests' twin (the same message on the
// wire), whose package does not link gRPC.
func (c *Collector) Requests() []*tracepb.TracesData {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*tracepb.TracesData(nil), c.requests...)
}

// Headers returns each request's HTTP headers, or its gRPC metadata as
// headers, in the order of [Collector.Requests].
func (c *Collector) Headers() []http.Header {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]http.Header(nil), c.headers...)
}

// Errors returns what the collector could not decode.
func (c *Collector) Errors() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]error(nil), c.errs...)
}

// OTLPSpans returns every span received so far as OTLP has it, in the
// order received, including the spans it rejected.
func (c *Collector) OTLPSpans() []*tracepb.Span {
	var out []*tracepb.Span
	for _, req := range c.Requests() {
		for _, rs := range req.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				out = append(out, ss.GetSpans()...)
			}
		}
	}
	return out
}

// ByName returns spans by name; of several with one name, the last.
func ByName(spans []*tracepb.Span) map[string]*tracepb.Span {
	m := make(map[string]*tracepb.Span, len(spans))
	for _, s := range spans {
		m[s.GetName()] = s
	}
	return m
}

// Attributes returns s's attributes by key, their values as [Value] gives
// them.
func Attributes(s *tracepb.Span) map[string]any {
	m := make(map[string]any, len(s.GetAttributes()))
	for _, kv := range s.GetAttributes() {
		m[kv.GetKey()] = Value(kv.GetValue())
	}
	return m
}

// Spans returns every span received so far in the conformance model,
// including the spans it rejected.
func (c *Collector) Spans() []conformance.Span {
	var out []conformance.Span
	for _, req := range c.Requests() {
		out = append(out, Convert(req.GetResourceSpans())...)
	}
	return out
}

// Convert turns OTLP resource spans into conformance spans:
//   - ids as hex; the service from the resource's service.name, and every
//     resource attribute as a process tag;
//   - attributes as tags, with their types (arrays as []any, maps as
//     map[string]any);
//   - the span kind as the tag span.kind (server, client, producer,
//     consumer, internal), the status as otel.status_code (OK, ERROR) and
//     otel.status_description, and status ERROR as error=true;
//   - the instrumentation scope's name as otel.scope.name;
//   - events as logs, their attributes as fields and their name as the
//     field event unless an attribute has that name.
func Convert(rss []*tracepb.ResourceSpans) []conformance.Span {
	var out []conformance.Span
	for _, rs := range rss {
		process := map[string]any{}
		for _, kv := range rs.GetResource().GetAttributes() {
			process[kv.GetKey()] = Value(kv.GetValue())
		}
		service, _ := process["service.name"].(string)
		for _, ss := range rs.GetScopeSpans() {
			scope := ss.GetScope().GetName()
			for _, s := range ss.GetSpans() {
				out = append(out, convertSpan(s, service, scope, process))
			}
		}
	}
	return out
}

func convertSpan(s *tracepb.Span, service, scope string, process map[string]any) conformance.Span {
	start := time.Unix(0, int64(s.GetStartTimeUnixNano()))
	cs := conformance.Span{
		TraceID:   conformance.NormalizeID(hex.EncodeToString(s.GetTraceId())),
		SpanID:    conformance.NormalizeID(hex.EncodeToString(s.GetSpanId())),
		ParentID:  conformance.NormalizeID(hex.EncodeToString(s.GetParentSpanId())),
		Operation: s.GetName(),
		Service:   service,
		Tags:      map[string]any{},
		Process:   process,
		Start:     start,
		Duration:  time.Unix(0, int64(s.GetEndTimeUnixNano())).Sub(start),
	}
	for _, kv := range s.GetAttributes() {
		cs.Tags[kv.GetKey()] = Value(kv.GetValue())
	}
	if kind, ok := kinds[s.GetKind()]; ok {
		cs.Tags["span.kind"] = kind
	}
	switch s.GetStatus().GetCode() {
	case tracepb.Status_STATUS_CODE_ERROR:
		cs.Tags["error"] = true
		cs.Tags["otel.status_code"] = "ERROR"
	case tracepb.Status_STATUS_CODE_OK:
		cs.Tags["otel.status_code"] = "OK"
	}
	if d := s.GetStatus().GetMessage(); d != "" {
		cs.Tags["otel.status_description"] = d
	}
	if scope != "" {
		cs.Tags["otel.scope.name"] = scope
	}
	for _, e := range s.GetEvents() {
		fields := map[string]any{}
		for _, kv := range e.GetAttributes() {
			fields[kv.GetKey()] = Value(kv.GetValue())
		}
		if _, ok := fields["event"]; !ok {
			fields["event"] = e.GetName()
		}
		cs.Logs = append(cs.Logs, conformance.Log{Time: time.Unix(0, int64(e.GetTimeUnixNano())), Fields: fields})
	}
	return cs
}

var kinds = map[tracepb.Span_SpanKind]string{
	tracepb.Span_SPAN_KIND_SERVER:   "server",
	tracepb.Span_SPAN_KIND_CLIENT:   "client",
	tracepb.Span_SPAN_KIND_PRODUCER: "producer",
	tracepb.Span_SPAN_KIND_CONSUMER: "consumer",
	tracepb.Span_SPAN_KIND_INTERNAL: "internal",
}

// Value returns an OTLP attribute value as Go: string, bool, int64,
// float64, []byte, []any or map[string]any; nil when it is empty.
func Value(v *commonpb.AnyValue) any {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_BoolValue:
		return x.BoolValue
	case *commonpb.AnyValue_IntValue:
		return x.IntValue
	case *commonpb.AnyValue_DoubleValue:
		return x.DoubleValue
	case *commonpb.AnyValue_BytesValue:
		return bytes.Clone(x.BytesValue)
	case *commonpb.AnyValue_ArrayValue:
		out := make([]any, 0, len(x.ArrayValue.GetValues()))
		for _, e := range x.ArrayValue.GetValues() {
			out = append(out, Value(e))
		}
		return out
	case *commonpb.AnyValue_KvlistValue:
		out := map[string]any{}
		for _, kv := range x.KvlistValue.GetValues() {
			out[kv.GetKey()] = Value(kv.GetValue())
		}
		return out
	}
	return nil
}
