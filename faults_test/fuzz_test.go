package faults_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/traceplug/traceplug/backends/lightstep/lightsteptest"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/backends/zipkin/zipkintest"
	"github.com/traceplug/traceplug/core"

	_ "github.com/traceplug/traceplug/backends/mock"
	_ "github.com/traceplug/traceplug/backends/otel"
)

// FuzzIncomingHeaders sends requests carrying trace headers in every
// built-in format (W3C traceparent, tracestate and baggage; B3 single and
// multi; jaeger's; ottrace), with fuzzed values, through the middleware of
// every backend (native propagation, and every format listed at once): each
// request is served, and gets its span, or, when it carried an unsampled
// decision that the parent-based sampler obeys, is counted as not sampled.
func FuzzIncomingHeaders(f *testing.F) {
	seeds := [][5]string{
		{"463ac35c9f6413ad:a2fb4a1d1a96d312:0:1", "a2fb4a1d1a96d312", "1", "463ac35c9f6413ad-a2fb4a1d1a96d312-1", "ann"},
		{"463ac35c9f6413ad", "a2fb4a1d1a96d312", "true", "0", ""},
		{"::::", "-1", "maybe", "----", "%zz"},
		{"ffffffffffffffffffffffffffffffffff:1:0:1", "fffffffffffffffffff", "d", "x-y-z-w-v", "a,b=c"},
		{"0:0:0:0", "0", "0", "463ac35c9f6413ad-a2fb4a1d1a96d312-d", "k=v"},
		{"", "", "", "", ""},
		{"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "k=v;p=1,user=%41nn"},
		{"4BF92F3577B34DA6A3CE929D0E0E4736", "00f067aa0ba902b7", "ff", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", "a=b=c,,=,k=%zz"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3], s[4])
	}
	agent, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { agent.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			if _, _, err := agent.ReadFromUDP(buf); err != nil {
				return
			}
		}
	}()
	zc, lc, oc := zipkintest.New(f), lightsteptest.New(f), oteltest.New(f)
	all := core.WithPropagation("tracecontext,baggage,b3,b3multi,jaeger,ottrace")
	jaegerAgent := core.WithEndpoint("udp://" + agent.LocalAddr().String())
	configs := []struct {
		backend string
		opts    []core.Option
	}{
		{"mock", nil},
		{"mock", []core.Option{all}},
		{"jaeger", []core.Option{jaegerAgent}},
		{"jaeger", []core.Option{jaegerAgent, all}},
		{"zipkin", zc.Options()},
		{"zipkin", append(zc.Options(), all)},
		{"lightstep", lc.Options("http")},
		{"lightstep", append(lc.Options("http"), all)},
		{"otel", oc.Options("http")},
		{"otel", append(oc.Options("http"), all)},
	}
	var tracers []*core.Tracer
	var handlers []http.Handler
	for _, c := range configs {
		tr, err := core.New(c.backend, append(c.opts, core.WithTraceAll(true), core.WithServiceName("fuzz"))...)
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() { _ = tr.Close() })
		tracers = append(tracers, tr)
		handlers = append(handlers, tr.Middleware(ok))
	}
	f.Fuzz(func(t *testing.T, trace, span, sampled, single, baggage string) {
		r := httptest.NewRequest("GET", "/", nil)
		for k, v := range map[string]string{
			"Uber-Trace-Id": trace, "Uberctx-User": baggage, "Jaeger-Baggage": baggage,
			"X-B3-Traceid": trace, "X-B3-Spanid": span, "X-B3-Sampled": sampled, "X-B3-Flags": sampled, "B3": single, "Baggage-User": baggage,
			"Ot-Tracer-Traceid": trace, "Ot-Tracer-Spanid": span, "Ot-Tracer-Sampled": sampled, "Ot-Baggage-User": baggage,
			"Traceparent": single, "Tracestate": baggage, "Baggage": baggage,
		} {
			r.Header[k] = []string{v}
		}
		for i, h := range handlers {
			before := decided(tracers[i])
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				t.Fatalf("%s: served %d", configs[i].backend, w.Code)
			}
			if decided(tracers[i]) != before+1 {
				t.Fatalf("%s: the request got no span, and no decision not to sample it", configs[i].backend)
			}
		}
	})
}

// decided counts the requests tr traced: those that got a span, and those
// whose trace was not sampled (an incoming sampled=0 is obeyed), which get
// none.
func decided(tr *core.Tracer) uint64 {
	s := tr.Stats()
	n := s.Started
	for _, o := range s.Sampling.Operations {
		n += o.NotSampled
	}
	return n
}
