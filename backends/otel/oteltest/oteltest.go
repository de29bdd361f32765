// Package oteltest runs an in-process OTLP collector on 127.0.0.1 for tests,
// serving both OTLP transports with go.opentelemetry.io/proto/otlp's own
// generated types: protobuf ExportTraceServiceRequests POSTed to /v1/traces
// (gzip or not), and the TraceService over gRPC. It keeps the requests, their
// headers (or gRPC metadata), and their spans in the conformance model.
//
//	c := oteltest.New(t) // both transports; stopped by t.Cleanup
//	tracer, _ := core.New("otel", c.Options("grpc")...)
//	...
//	tracer.Close()
//	spans := c.Spans()
//
// It also starts collectors that fail in the ways the faults tests need; see
// [FaultyEndpoint].
package oteltest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	_ "google.golang.org/grpc/encoding/gzip" // the server reads gzip-compressed requests
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

// Collector is a running OTLP collector. It is safe for concurrent use.
type Collector struct {
	httpSrv *httptest.Server
	grpcSrv *grpc.Server
	grpcLn  net.Listener
	served  chan struct{}

	mu       sync.Mutex
	requests []*coltracepb.ExportTraceServiceRequest
	headers  []http.Header // per request: HTTP headers, or gRPC metadata
	errs     []error
	rejected int64 // spans to reject per request, as a partial success
	reason   string
}

// New starts the collector's HTTP and gRPC listeners on random ports of
// 127.0.0.1, stopped when the test ends.
func New(t testing.TB) *Collector {
	t.Helper()
	c := &Collector{served: make(chan struct{})}
	c.httpSrv = httptest.NewServer(http.HandlerFunc(c.serveHTTP))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("oteltest: %v", err)
	}
	c.grpcLn = ln
	c.grpcSrv = grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(c.grpcSrv, service{c: c})
	go func() {
		defer close(c.served)
		_ = c.grpcSrv.Serve(ln)
	}()
	t.Cleanup(c.Close)
	return c
}

// Close stops both listeners. What the collector received stays readable.
func (c *Collector) Close() {
	c.httpSrv.Close()
	c.grpcSrv.Stop()
	<-c.served
}

// Endpoint is the endpoint of transport "http" (http://HOST:PORT/v1/traces)
// or "grpc" (grpc://HOST:PORT), for core.WithEndpoint.
func (c *Collector) Endpoint(transport string) string {
	if transport == "grpc" {
		return "grpc://" + c.grpcLn.Addr().String()
	}
	return c.httpSrv.URL + "/v1/traces"
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
		c.fail(err)
		http.Error(w, err.Error(), http.StatusUnsupportedMediaType)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			c.fail(err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	data, err := io.ReadAll(body)
	if err != nil {
		c.fail(err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := &coltracepb.ExportTraceServiceRequest{}
	if err := proto.Unmarshal(data, req); err != nil {
		err = fmt.Errorf("oteltest: decoding an ExportTraceServiceRequest: %w", err)
		c.fail(err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	resp, _ := proto.Marshal(c.record(req, r.Header.Clone()))
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(resp)
}

// record keeps req and returns the answer to give.
func (c *Collector) record(req *coltracepb.ExportTraceServiceRequest, h http.Header) *coltracepb.ExportTraceServiceResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests = append(c.requests, req)
	c.headers = append(c.headers, h)
	resp := &coltracepb.ExportTraceServiceResponse{}
	if c.rejected > 0 {
		n := int64(0)
		for _, rs := range req.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				n += int64(len(ss.GetSpans()))
			}
		}
		resp.PartialSuccess = &coltracepb.ExportTracePartialSuccess{RejectedSpans: min(n, c.rejected), ErrorMessage: c.reason}
	}
	return resp
}

func (c *Collector) fail(err error) {
	c.mu.Lock()
	c.errs = append(c.errs, err)
	c.mu.Unlock()
}

type service struct {
	coltracepb.UnimplementedTraceServiceServer
	c *Collector
}

func (s service) Export(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	h := http.Header{}
	md, _ := metadata.FromIncomingContext(ctx)
	for k, vs := range md {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	return s.c.record(req, h), nil
}

// Requests returns the requests received so far, over both transports.
func (c *Collector) Requests() []*coltracepb.ExportTraceServiceRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*coltracepb.ExportTraceServiceRequest(nil), c.requests...)
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
