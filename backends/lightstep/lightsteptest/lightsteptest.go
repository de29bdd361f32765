// Package lightsteptest runs an in-process Lightstep collector on 127.0.0.1
// for tests, serving both of lightstep's transports with lightstep's own
// generated collector types: the collectorpb gRPC service, and protobuf
// reports POSTed to /api/v2/reports. It keeps the reports, the access tokens
// they carried, and their spans in the conformance model.
//
//	c := lightsteptest.New(t) // both transports; stopped by t.Cleanup
//	tracer, _ := core.New("lightstep", c.Options("grpc")...)
package lightsteptest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gogo/protobuf/proto"
	"github.com/gogo/protobuf/types"
	"github.com/lightstep/lightstep-tracer-common/golang/gogo/collectorpb"
	"google.golang.org/grpc"

	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

// Collector is a running collector. It is safe for concurrent use.
type Collector struct {
	httpSrv *httptest.Server
	grpcSrv *grpc.Server
	grpcLn  net.Listener
	served  chan struct{}

	mu      sync.Mutex
	reports []*collectorpb.ReportRequest
	tokens  []string // per report: the token in Auth, and the HTTP header's
	errs    []error
}

// New starts the collector's HTTP and gRPC listeners on random ports of
// 127.0.0.1, stopped when the test ends.
func New(t testing.TB) *Collector {
	t.Helper()
	c := &Collector{served: make(chan struct{})}
	c.httpSrv = httptest.NewServer(http.HandlerFunc(c.serveHTTP))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("lightsteptest: %v", err)
	}
	c.grpcLn = ln
	c.grpcSrv = grpc.NewServer()
	collectorpb.RegisterCollectorServiceServer(c.grpcSrv, service{c})
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

// Endpoint is the plaintext endpoint of transport "http" or "grpc".
func (c *Collector) Endpoint(transport string) string {
	if transport == "grpc" {
		return "http://" + c.grpcLn.Addr().String()
	}
	return c.httpSrv.URL
}

// Options point a lightstep tracer at the collector over transport.
func (c *Collector) Options(transport string) []core.Option {
	return []core.Option{core.WithEndpoint(c.Endpoint(transport)), core.WithParam("transport", transport)}
}

type service struct{ c *Collector }

func (s service) Report(_ context.Context, req *collectorpb.ReportRequest) (*collectorpb.ReportResponse, error) {
	s.c.record(req, "", nil)
	return response(), nil
}

func (c *Collector) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/api/v2/reports" {
		http.Error(w, "lightsteptest: want POST /api/v2/reports", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := &collectorpb.ReportRequest{}
	if ct := r.Header.Get("Content-Type"); ct != "application/octet-stream" {
		err = fmt.Errorf("lightsteptest: Content-Type %q is not application/octet-stream", ct)
	} else if err = proto.Unmarshal(body, req); err != nil {
		err = fmt.Errorf("lightsteptest: decoding a report: %w", err)
	}
	c.record(req, r.Header.Get("Lightstep-Access-Token"), err)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	out, _ := proto.Marshal(response())
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(out)
}

func response() *collectorpb.ReportResponse {
	now, _ := types.TimestampProto(time.Now())
	return &collectorpb.ReportResponse{ReceiveTimestamp: now, TransmitTimestamp: now}
}

func (c *Collector) record(req *collectorpb.ReportRequest, headerToken string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.errs = append(c.errs, err)
		return
	}
	c.reports = append(c.reports, req)
	if req.Auth != nil {
		c.tokens = append(c.tokens, req.Auth.AccessToken)
	}
	if headerToken != "" {
		c.tokens = append(c.tokens, headerToken)
	}
}

// Reports returns the reports received so far.
func (c *Collector) Reports() []*collectorpb.ReportRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*collectorpb.ReportRequest(nil), c.reports...)
}

// Tokens returns the access tokens received: each report's, and each HTTP
// request's header.
func (c *Collector) Tokens() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.tokens...)
}

// Errors returns what the collector could not decode.
func (c *Collector) Errors() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]error(nil), c.errs...)
}

// Spans returns every span received so far in the conformance model.
func (c *Collector) Spans() []conformance.Span {
	var out []conformance.Span
	for _, r := range c.Reports() {
		out = append(out, Convert(r)...)
	}
	return out
}

// ComponentNameKey is the reporter tag that carries the service name.
const ComponentNameKey = "lightstep.component_name"

// Convert turns a report into conformance spans: the reporter's
// lightstep.component_name tag is the service, its tags the process tags.
func Convert(r *collectorpb.ReportRequest) []conformance.Span {
	process := map[string]any{}
	if r.Reporter != nil {
		for _, kv := range r.Reporter.Tags {
			process[kv.Key] = value(kv)
		}
	}
	service, _ := process[ComponentNameKey].(string)
	out := make([]conformance.Span, 0, len(r.Spans))
	for _, s := range r.Spans {
		cs := conformance.Span{
			Operation: s.OperationName,
			Service:   service,
			Tags:      map[string]any{},
			Process:   process,
			Start:     timestamp(s.StartTimestamp),
			Duration:  time.Duration(s.DurationMicros) * time.Microsecond,
		}
		if sc := s.SpanContext; sc != nil {
			cs.TraceID, cs.SpanID = conformance.ID(sc.TraceId), conformance.ID(sc.SpanId)
		}
		for _, ref := range s.References {
			if ref.Relationship == collectorpb.Reference_CHILD_OF && ref.SpanContext != nil {
				cs.ParentID = conformance.ID(ref.SpanContext.SpanId)
				break
			}
		}
		for _, kv := range s.Tags {
			cs.Tags[kv.Key] = value(kv)
		}
		for _, l := range s.Logs {
			fields := map[string]any{}
			for _, kv := range l.Fields {
				fields[kv.Key] = value(kv)
			}
			cs.Logs = append(cs.Logs, conformance.Log{Time: timestamp(l.Timestamp), Fields: fields})
		}
		out = append(out, cs)
	}
	return out
}

func value(kv *collectorpb.KeyValue) any {
	switch v := kv.Value.(type) {
	case *collectorpb.KeyValue_StringValue:
		return v.StringValue
	case *collectorpb.KeyValue_IntValue:
		return v.IntValue
	case *collectorpb.KeyValue_DoubleValue:
		return v.DoubleValue
	case *collectorpb.KeyValue_BoolValue:
		return v.BoolValue
	case *collectorpb.KeyValue_JsonValue:
		return v.JsonValue
	}
	return nil
}

func timestamp(ts *types.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	t, err := types.TimestampFromProto(ts)
	if err != nil {
		return time.Time{}
	}
	return t
}
