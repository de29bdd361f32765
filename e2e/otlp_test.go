//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestOTLPReceivers: Jaeger takes OTLP on 127.0.0.1:4318 (HTTP, JSON and
// protobuf) and 4317 (gRPC), on both versions. The spans are written here by
// hand, one span a request, independently of the OpenTelemetry SDK, and read
// back from the query API: when the otel backend's cases of
// TestExampleTracesInJaeger fail, this says whether Jaeger's receiver or the
// backend is at fault.
func TestOTLPReceivers(t *testing.T) {
	for _, tc := range []struct {
		name string
		via  Via
		send func(ctx context.Context, s otlpSpan) error
	}{
		{"http-json", ViaOTLPHTTP, func(ctx context.Context, s otlpSpan) error {
			return postOTLP(ctx, "application/json", s.json())
		}},
		{"http-protobuf", ViaOTLPHTTP, func(ctx context.Context, s otlpSpan) error {
			return postOTLP(ctx, "application/x-protobuf", s.protobuf())
		}},
		{"grpc", ViaOTLPGRPC, func(ctx context.Context, s otlpSpan) error {
			return exportGRPC(ctx, s.protobuf())
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := newOTLPSpan(fmt.Sprintf("e2e-otlp-%s-%d", tc.name, time.Now().UnixNano()))
			before := noteArrivals(t)
			if err := tc.send(ctx, s); err != nil {
				t.Fatal(err)
			}
			tr, err := query.WaitTrace(ctx, s.traceID, 1)
			if err != nil {
				t.Fatal(err)
			}
			want := Want{Op: s.name, Kind: "server", Service: s.service}
			if err := CheckShape(tr, want, false); err != nil {
				t.Error(err)
			}
			checkVia(t, before, tc.via, s.service, tr)
		})
	}

	// An empty request is valid OTLP, and both versions answer it.
	t.Run("http-protobuf-empty", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := postOTLP(ctx, "application/x-protobuf", nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("grpc-empty", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := exportGRPC(ctx, nil); err != nil {
			t.Fatal(err)
		}
	})
}

// otlpSpan is one server span with the standard tags CheckShape wants.
type otlpSpan struct {
	service, name, traceID, spanID string
	start, end                     time.Time
}

func newOTLPSpan(service string) otlpSpan {
	id := make([]byte, 24)
	_, _ = rand.Read(id)
	end := time.Now()
	return otlpSpan{
		service: service, name: "GET /otlp",
		traceID: hex.EncodeToString(id[:16]), spanID: hex.EncodeToString(id[16:]),
		start: end.Add(-3 * time.Millisecond), end: end,
	}
}

// The span's string attributes; http.status_code, an int, is written apart.
func (s otlpSpan) attributes() [][2]string {
	return [][2]string{{"component", "e2e"}, {"http.method", "GET"}, {"http.url", "/otlp"}}
}

// json is an ExportTraceServiceRequest in OTLP's JSON encoding (ids in hex).
func (s otlpSpan) json() []byte {
	var attrs []string
	for _, a := range s.attributes() {
		attrs = append(attrs, fmt.Sprintf(`{"key":%q,"value":{"stringValue":%q}}`, a[0], a[1]))
	}
	attrs = append(attrs, `{"key":"http.status_code","value":{"intValue":"200"}}`)
	return fmt.Appendf(nil, `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":%q}}]},`+
		`"scopeSpans":[{"scope":{"name":"traceplug-e2e"},"spans":[{"traceId":%q,"spanId":%q,"name":%q,"kind":2,`+
		`"startTimeUnixNano":"%d","endTimeUnixNano":"%d","attributes":[%s]}]}]}]}`,
		s.service, s.traceID, s.spanID, s.name, s.start.UnixNano(), s.end.UnixNano(), strings.Join(attrs, ","))
}

// protobuf is the same request in protobuf, written by hand (field numbers
// from opentelemetry/proto/collector/trace/v1 and trace/v1), so that it owes
// nothing to the OpenTelemetry code under test.
func (s otlpSpan) protobuf() []byte {
	str := func(n int, v string) []byte { return pbBytes(n, []byte(v)) }
	kv := func(k, v string) []byte { return append(str(1, k), pbBytes(2, str(1, v))...) } // KeyValue{key, AnyValue{string_value}}
	traceID, _ := hex.DecodeString(s.traceID)
	spanID, _ := hex.DecodeString(s.spanID)
	span := pbBytes(1, traceID)
	span = append(span, pbBytes(2, spanID)...)
	span = append(span, str(5, s.name)...)
	span = append(span, pbVarint(6, 2)...) // SPAN_KIND_SERVER
	span = append(span, pbFixed64(7, uint64(s.start.UnixNano()))...)
	span = append(span, pbFixed64(8, uint64(s.end.UnixNano()))...)
	for _, a := range s.attributes() {
		span = append(span, pbBytes(9, kv(a[0], a[1]))...)
	}
	span = append(span, pbBytes(9, append(str(1, "http.status_code"), pbBytes(2, pbVarint(3, 200))...))...) // AnyValue{int_value}
	scopeSpans := append(pbBytes(1, str(1, "traceplug-e2e")), pbBytes(2, span)...)
	resource := pbBytes(1, kv("service.name", s.service))
	resourceSpans := append(pbBytes(1, resource), pbBytes(2, scopeSpans)...)
	return pbBytes(1, resourceSpans)
}

func pbKey(n, wire int) []byte { return binary.AppendUvarint(nil, uint64(n<<3|wire)) }

func pbVarint(n int, v uint64) []byte { return binary.AppendUvarint(pbKey(n, 0), v) }

func pbFixed64(n int, v uint64) []byte { return binary.LittleEndian.AppendUint64(pbKey(n, 1), v) }

func pbBytes(n int, v []byte) []byte {
	return append(binary.AppendUvarint(pbKey(n, 2), uint64(len(v))), v...)
}

// postOTLP sends body to the OTLP/HTTP receiver and wants 200.
func postOTLP(ctx context.Context, contentType string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, "POST", otlpHTTPURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("OTLP/HTTP: %w", err)
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("OTLP/HTTP %s: %s: %q", contentType, resp.Status, reply)
	}
	if got := resp.Header.Get("Content-Type"); got != contentType {
		return fmt.Errorf("OTLP/HTTP answered a %s request with Content-Type %q", contentType, got)
	}
	return nil
}

// exportGRPC calls TraceService/Export with request (a protobuf
// ExportTraceServiceRequest) over gRPC, spoken with net/http's unencrypted
// HTTP/2, and wants grpc-status 0.
func exportGRPC(ctx context.Context, request []byte) error {
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: &protocols}
	defer tr.CloseIdleConnections()
	frame := binary.BigEndian.AppendUint32([]byte{0}, uint32(len(request))) // not compressed, length
	req, err := http.NewRequestWithContext(ctx, "POST", "http://"+otlpGRPCAddr+"/opentelemetry.proto.collector.trace.v1.TraceService/Export", bytes.NewReader(append(frame, request...)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("TE", "trailers")
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return fmt.Errorf("OTLP/gRPC: %w", err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Errorf("OTLP/gRPC: reading the answer: %w", err)
	}
	status, msg := resp.Trailer.Get("Grpc-Status"), resp.Trailer.Get("Grpc-Message")
	if status == "" { // a trailers-only answer puts them in the headers
		status, msg = resp.Header.Get("Grpc-Status"), resp.Header.Get("Grpc-Message")
	}
	if resp.StatusCode != http.StatusOK || status != "0" {
		return fmt.Errorf("OTLP/gRPC Export: HTTP %s, grpc-status %q %q", resp.Status, status, msg)
	}
	return nil
}
