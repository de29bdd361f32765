package jaeger

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go/ext"
	jaeger "github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/transport"

	"github.com/traceplug/traceplug/backend"
)

// BenchmarkSender is the reporter goroutine's cost per span: Append (and the
// flushes it makes) of a typical server span, by this backend's senders and
// by jaeger-client-go's stock ones (which encode each span twice, the first
// time to measure it, from thrift structs built for the purpose).
func BenchmarkSender(b *testing.B) {
	span := serverSpan(b)
	agent, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer agent.Close()
	go func() {
		buf := make([]byte, 65536)
		for {
			if _, _, err := agent.ReadFromUDP(buf); err != nil {
				return
			}
		}
	}()
	addr := agent.LocalAddr().String()
	senders := []struct {
		name string
		new  func() (jaeger.Transport, error)
	}{
		{"udp/traceplug", func() (jaeger.Transport, error) {
			return newUDPSender(addr, 65000, 1024, &backend.SpanCounts{}, newLogger())
		}},
		{"udp/stock", func() (jaeger.Transport, error) { return jaeger.NewUDPTransport(addr, 65000) }},
		{"http/traceplug", func() (jaeger.Transport, error) {
			return newHTTPSender("http://collector/api/traces", discard{}, time.Second, &settings{batchSize: 100, maxTagValueLength: 1024}, &backend.SpanCounts{}), nil
		}},
		{"http/stock", func() (jaeger.Transport, error) {
			return transport.NewHTTPTransport("http://collector/api/traces", transport.HTTPRoundTripper(discard{})), nil
		}},
	}
	for _, sc := range senders {
		b.Run(sc.name, func(b *testing.B) {
			s, err := sc.new()
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Append(span); err != nil {
					b.Fatal(err)
				}
			}
			_, _ = s.Flush()
		})
	}
}

// serverSpan is a span as traceplug's middleware makes it for a request with
// a parent: kind, component, method, URL, status.
func serverSpan(tb testing.TB) *jaeger.Span {
	tr, closer := jaeger.NewTracer("bench", jaeger.NewConstSampler(true), jaeger.NewNullReporter())
	tb.Cleanup(func() { _ = closer.Close() })
	parent := tr.StartSpan("caller")
	span := tr.StartSpan("GET /items/{id}", ext.RPCServerOption(parent.Context()))
	span.SetTag("component", "net/http")
	span.SetTag("http.method", "GET")
	span.SetTag("http.url", "/items/42?page=2&sort=price")
	span.SetTag("http.status_code", uint16(200))
	span.Finish()
	return span.(*jaeger.Span)
}

// discard is a collector that reads each request and accepts it.
type discard struct{}

func (discard) RoundTrip(r *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return &http.Response{StatusCode: http.StatusAccepted, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
}
