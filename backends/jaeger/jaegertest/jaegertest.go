// Package jaegertest runs in-process Jaeger endpoints on 127.0.0.1 for tests:
// an agent that decodes compact-thrift emitBatch datagrams over UDP, and a
// collector that decodes binary-thrift batches POSTed to /api/traces, both
// with jaeger-client-go's own generated thrift types. What they receive is
// kept as the raw batches and as spans in the conformance model.
//
//	c := jaegertest.NewUDP(t) // stopped by t.Cleanup
//	tracer, _ := core.New("jaeger", core.WithEndpoint(c.Endpoint()))
//	...
//	tracer.Close()
//	spans := c.Spans()
package jaegertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/uber/jaeger-client-go/thrift"
	"github.com/uber/jaeger-client-go/thrift-gen/agent"
	j "github.com/uber/jaeger-client-go/thrift-gen/jaeger"
	"github.com/uber/jaeger-client-go/thrift-gen/zipkincore"

	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

// Collector is one running agent or collector. It is safe for concurrent use.
type Collector struct {
	endpoint string

	mu       sync.Mutex
	batches  []*j.Batch
	packets  []int // datagram or request body sizes, in arrival order
	errs     []error
	requests []*http.Request // HTTP only: the requests, bodies consumed

	udp  *net.UDPConn
	done chan struct{}
	http *httptest.Server
}

// NewUDP starts an agent on a random UDP port of 127.0.0.1, stopped when the
// test ends.
func NewUDP(t testing.TB) *Collector {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatalf("jaegertest: %v", err)
	}
	_ = conn.SetReadBuffer(8 << 20) // room for bursts; the kernel may cap it
	c := &Collector{endpoint: "udp://" + conn.LocalAddr().String(), udp: conn, done: make(chan struct{})}
	go c.readUDP()
	t.Cleanup(c.Close)
	return c
}

// NewHTTP starts a collector on a random TCP port of 127.0.0.1, stopped when
// the test ends. It answers 202 Accepted, as Jaeger's collector does.
func NewHTTP(t testing.TB) *Collector {
	t.Helper()
	c := &Collector{}
	c.http = httptest.NewServer(http.HandlerFunc(c.serveHTTP))
	c.endpoint = c.http.URL + "/api/traces"
	t.Cleanup(c.Close)
	return c
}

// Endpoint is the address to give core.WithEndpoint.
func (c *Collector) Endpoint() string { return c.endpoint }

// Options point a jaeger tracer at the collector.
func (c *Collector) Options() []core.Option { return []core.Option{core.WithEndpoint(c.endpoint)} }

// Close stops the collector. What it received stays readable.
func (c *Collector) Close() {
	if c.udp != nil {
		if c.udp.Close() == nil {
			<-c.done
		}
	}
	if c.http != nil {
		c.http.Close()
	}
}

func (c *Collector) readUDP() {
	defer close(c.done)
	buf := make([]byte, 65536)
	for {
		n, _, err := c.udp.ReadFromUDP(buf)
		if err != nil {
			return // closed
		}
		batch, err := DecodeCompact(buf[:n])
		c.record(batch, n, err, nil)
	}
}

func (c *Collector) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/api/traces" {
		http.Error(w, "jaegertest: want POST /api/traces", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-thrift" && ct != "application/vnd.apache.thrift.binary" {
		err := fmt.Errorf("jaegertest: Content-Type %q is not application/x-thrift", ct)
		c.record(nil, len(body), err, r)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	batch, err := DecodeBinary(body)
	c.record(batch, len(body), err, r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func (c *Collector) record(b *j.Batch, size int, err error, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.packets = append(c.packets, size)
	if err != nil {
		c.errs = append(c.errs, err)
		return
	}
	c.batches = append(c.batches, b)
	if r != nil {
		c.requests = append(c.requests, r)
	}
}

// Batches returns the batches received so far.
func (c *Collector) Batches() []*j.Batch {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*j.Batch(nil), c.batches...)
}

// Sizes returns the size of each datagram or request body received.
func (c *Collector) Sizes() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int(nil), c.packets...)
}

// Errors returns what the collector could not decode.
func (c *Collector) Errors() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]error(nil), c.errs...)
}

// Requests returns the HTTP requests received (bodies already read), to check
// headers such as authentication.
func (c *Collector) Requests() []*http.Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*http.Request(nil), c.requests...)
}

// Spans returns every span received so far in the conformance model.
func (c *Collector) Spans() []conformance.Span {
	var out []conformance.Span
	for _, b := range c.Batches() {
		out = append(out, Convert(b)...)
	}
	return out
}

// DecodeCompact decodes one agent datagram: an emitBatch call in thrift's
// compact protocol.
func DecodeCompact(datagram []byte) (*j.Batch, error) {
	buf := thrift.NewTMemoryBufferLen(len(datagram))
	_, _ = buf.Write(datagram)
	proto := thrift.NewTCompactProtocolFactory().GetProtocol(buf)
	h := &handler{}
	ok, err := agent.NewAgentProcessor(h).Process(context.Background(), proto, proto)
	if err != nil {
		return nil, fmt.Errorf("jaegertest: decoding an emitBatch datagram: %w", err)
	}
	if !ok || h.batch == nil {
		return nil, errors.New("jaegertest: the datagram is not an emitBatch call")
	}
	return h.batch, nil
}

// DecodeBinary decodes a collector request body: a Batch in thrift's binary
// protocol.
func DecodeBinary(body []byte) (*j.Batch, error) {
	buf := thrift.NewTMemoryBufferLen(len(body))
	_, _ = buf.Write(body)
	b := j.NewBatch()
	if err := b.Read(context.Background(), thrift.NewTBinaryProtocolConf(buf, nil)); err != nil {
		return nil, fmt.Errorf("jaegertest: decoding a binary-thrift batch: %w", err)
	}
	return b, nil
}

// handler is the agent service the datagrams call.
type handler struct{ batch *j.Batch }

func (h *handler) EmitBatch(_ context.Context, b *j.Batch) error { h.batch = b; return nil }

func (h *handler) EmitZipkinBatch(context.Context, []*zipkincore.Span) error {
	return errors.New("jaegertest: zipkin batches are not expected")
}

// Convert turns a batch into conformance spans.
func Convert(b *j.Batch) []conformance.Span {
	var service string
	process := map[string]any{}
	if b.Process != nil {
		service = b.Process.ServiceName
		for _, t := range b.Process.Tags {
			process[t.Key] = tagValue(t)
		}
	}
	out := make([]conformance.Span, 0, len(b.Spans))
	for _, s := range b.Spans {
		cs := conformance.Span{
			TraceID:   conformance.ID128(uint64(s.TraceIdHigh), uint64(s.TraceIdLow)),
			SpanID:    conformance.ID(uint64(s.SpanId)),
			ParentID:  conformance.ID(uint64(s.ParentSpanId)),
			Operation: s.OperationName,
			Service:   service,
			Tags:      map[string]any{},
			Process:   process,
			Start:     time.UnixMicro(s.StartTime),
			Duration:  time.Duration(s.Duration) * time.Microsecond,
		}
		if cs.ParentID == "" {
			for _, ref := range s.References {
				if ref.RefType == j.SpanRefType_CHILD_OF {
					cs.ParentID = conformance.ID(uint64(ref.SpanId))
					break
				}
			}
		}
		for _, t := range s.Tags {
			cs.Tags[t.Key] = tagValue(t)
		}
		for _, l := range s.Logs {
			fields := map[string]any{}
			for _, f := range l.Fields {
				fields[f.Key] = tagValue(f)
			}
			cs.Logs = append(cs.Logs, conformance.Log{Time: time.UnixMicro(l.Timestamp), Fields: fields})
		}
		out = append(out, cs)
	}
	return out
}

func tagValue(t *j.Tag) any {
	switch t.VType {
	case j.TagType_STRING:
		return t.GetVStr()
	case j.TagType_DOUBLE:
		return t.GetVDouble()
	case j.TagType_BOOL:
		return t.GetVBool()
	case j.TagType_LONG:
		return t.GetVLong()
	case j.TagType_BINARY:
		return bytes.Clone(t.GetVBinary())
	}
	return nil
}
