package jaeger_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jaegerclient "github.com/uber/jaeger-client-go"
	jaegersampling "github.com/uber/jaeger-client-go/thrift-gen/sampling"

	"github.com/traceplug/traceplug/sampling"
)

// This file proves that a service on jaeger-client-go with its remotely
// controlled sampler and a traceplug service with sampling.NewJaegerRemote,
// reading the same strategies from the same endpoint, make the same
// decisions for the same traces.

// Service names the two samplers ask the strategy server for.
const (
	interopJaegerService    = "on-jaeger-client-go"
	interopTraceplugService = "on-traceplug"
)

// interopStrategyServer serves one strategy, encoded as jaeger's /sampling
// endpoint serves it to jaeger-client-go: json.Marshal of the thrift-gen
// types, which jaeger-client-go's parser unmarshals.
type interopStrategyServer struct {
	srv *httptest.Server

	mu     sync.Mutex
	status int
	body   []byte
	served map[string]int // requests per service since the last set
}

func newInteropStrategyServer(t *testing.T) *interopStrategyServer {
	s := &interopStrategyServer{status: http.StatusServiceUnavailable, served: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		status, body := s.status, s.body
		s.served[r.URL.Query().Get("service")]++
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// set serves strategy from now on, or, when nil, a 503.
func (s *interopStrategyServer) set(t *testing.T, strategy *jaegersampling.SamplingStrategyResponse) {
	t.Helper()
	status, body := http.StatusServiceUnavailable, []byte("no strategy")
	if strategy != nil {
		b, err := json.Marshal(strategy)
		if err != nil {
			t.Fatal(err)
		}
		status, body = http.StatusOK, b
		t.Logf("serving %s", b)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body, s.served = status, body, map[string]int{}
}

// servedBoth reports whether both services fetched since the last set.
func (s *interopStrategyServer) servedBoth() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.served[interopJaegerService] > 0 && s.served[interopTraceplugService] > 0
}

// interopPair is a jaeger-client-go tracer and a traceplug sampler, both
// polling one strategy server.
type interopPair struct {
	tracer    *jaegerclient.Tracer
	remote    *jaegerclient.RemotelyControlledSampler
	nextID    atomic.Uint64 // the trace id the jaeger tracer gives its next span
	traceplug sampling.Sampler
}

func newInteropPair(t *testing.T, srv *interopStrategyServer) *interopPair {
	p := &interopPair{}
	p.remote = jaegerclient.NewRemotelyControlledSampler(interopJaegerService,
		jaegerclient.SamplerOptions.SamplingServerURL(srv.srv.URL+"/sampling"),
		jaegerclient.SamplerOptions.SamplingRefreshInterval(10*time.Millisecond),
		jaegerclient.SamplerOptions.Logger(jaegerclient.NullLogger),
	)
	p.nextID.Store(1)
	tracer, closer := jaegerclient.NewTracer(interopJaegerService, p.remote, jaegerclient.NewNullReporter(),
		jaegerclient.TracerOptions.RandomNumber(func() uint64 { return p.nextID.Load() }),
		jaegerclient.TracerOptions.Logger(jaegerclient.NullLogger),
	)
	t.Cleanup(func() { closer.Close() }) // closes the remote sampler too
	p.tracer = tracer.(*jaegerclient.Tracer)

	transport := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(transport.CloseIdleConnections)
	s, err := sampling.NewJaegerRemote(sampling.JaegerRemoteConfig{
		Endpoint:        srv.srv.URL + "/sampling",
		ServiceName:     interopTraceplugService,
		PollingInterval: 10 * time.Millisecond,
		Client:          &http.Client{Transport: transport, Timeout: 10 * time.Second},
		Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sampling.Close(s) })
	p.traceplug = s
	return p
}

// decide returns both decisions for a new trace of id starting op.
func (p *interopPair) decide(t *testing.T, id uint64, op string) (onJaeger, onTraceplug bool) {
	t.Helper()
	p.nextID.Store(id)
	span := p.tracer.StartSpan(op)
	sc := span.Context().(jaegerclient.SpanContext)
	if sc.TraceID().Low != id {
		t.Fatalf("jaeger-client-go gave trace id %#x, want %#x", sc.TraceID().Low, id)
	}
	onJaeger = sc.IsSampled()
	span.Finish()
	return onJaeger, p.traceplug.ShouldSample(sampling.Params{TraceID: id, Operation: op}).Sampled
}

// waitInterop waits, up to a generous deadline, for cond.
func waitInterop(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// interopIDs returns n non-zero random trace ids.
func interopIDs(seed uint64, n int) []uint64 {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	ids := make([]uint64, 0, n)
	for len(ids) < n {
		if id := rng.Uint64(); id != 0 {
			ids = append(ids, id)
		}
	}
	return ids
}

func perOperationStrategy(def, lowerBound float64, ops map[string]float64) *jaegersampling.SamplingStrategyResponse {
	per := &jaegersampling.PerOperationSamplingStrategies{DefaultSamplingProbability: def, DefaultLowerBoundTracesPerSecond: lowerBound}
	for op, rate := range ops {
		per.PerOperationStrategies = append(per.PerOperationStrategies, &jaegersampling.OperationSamplingStrategy{
			Operation:             op,
			ProbabilisticSampling: &jaegersampling.ProbabilisticSamplingStrategy{SamplingRate: rate},
		})
	}
	return &jaegersampling.SamplingStrategyResponse{StrategyType: jaegersampling.SamplingStrategyType_PROBABILISTIC, OperationSampling: per}
}

func TestRemoteSamplingInteropProbabilistic(t *testing.T) {
	srv := newInteropStrategyServer(t)
	p := newInteropPair(t, srv)
	const rate = 0.37
	srv.set(t, &jaegersampling.SamplingStrategyResponse{
		StrategyType:          jaegersampling.SamplingStrategyType_PROBABILISTIC,
		ProbabilisticSampling: &jaegersampling.ProbabilisticSamplingStrategy{SamplingRate: rate},
	})
	waitInterop(t, "both samplers to have the strategy", func() bool {
		// jaeger-client-go updates its sampler in place, under this lock.
		p.remote.RLock()
		defer p.remote.RUnlock()
		ps, ok := p.remote.Sampler().(*jaegerclient.ProbabilisticSampler)
		return ok && ps.SamplingRate() == rate && p.traceplug.Description() == "JaegerRemote{probabilistic 0.37}"
	})
	sampled := 0
	for _, id := range interopIDs(1, 10_000) {
		onJaeger, onTraceplug := p.decide(t, id, "GET /items/{id}")
		if onJaeger != onTraceplug {
			t.Fatalf("trace id %#x: jaeger-client-go sampled %v, traceplug %v", id, onJaeger, onTraceplug)
		}
		if onJaeger {
			sampled++
		}
	}
	t.Logf("both sampled the same %d of 10000 traces", sampled)
}

func TestRemoteSamplingInteropPerOperation(t *testing.T) {
	srv := newInteropStrategyServer(t)
	p := newInteropPair(t, srv)
	ops := map[string]float64{"GET /a": 0.1, "GET /b": 0.5, "GET /c": 0.9, "GET /zero": 0, "GET /one": 1}
	// A lower bound so low that no credit accrues during the test: each
	// operation's limiter holds the one credit it starts with, which both
	// clients spend on the same trace.
	srv.set(t, perOperationStrategy(0.3, 0.0001, ops))
	waitInterop(t, "both samplers to have the strategy", func() bool {
		_, ok := p.remote.Sampler().(*jaegerclient.PerOperationSampler)
		return ok && p.traceplug.Description() == "JaegerRemote{per-operation: 5 operations, default 0.3, lower bound 0.0001/s}"
	})
	// jaeger-client-go forgets the samplers of unlisted operations at each
	// update; stop updates (a failing endpoint keeps the strategy in both)
	// so that unlisted operations keep theirs too.
	srv.set(t, nil)
	waitInterop(t, "a failed poll by both", srv.servedBoth)

	for i, op := range []string{"GET /a", "GET /b", "GET /c", "GET /zero", "GET /one", "GET /unlisted", "GET /unlisted/2"} {
		sampled := 0
		for _, id := range interopIDs(uint64(10+i), 2000) {
			onJaeger, onTraceplug := p.decide(t, id, op)
			if onJaeger != onTraceplug {
				t.Fatalf("%s, trace id %#x: jaeger-client-go sampled %v, traceplug %v", op, id, onJaeger, onTraceplug)
			}
			if onJaeger {
				sampled++
			}
		}
		t.Logf("%s: both sampled the same %d of 2000 traces", op, sampled)
		if op == "GET /zero" && sampled != 1 {
			t.Errorf("GET /zero: %d sampled, want the lower bound's one", sampled)
		}
	}
}

func TestRemoteSamplingInteropLowerBound(t *testing.T) {
	srv := newInteropStrategyServer(t)
	p := newInteropPair(t, srv)
	const bound = 50
	srv.set(t, perOperationStrategy(0, bound, map[string]float64{"GET /zero": 0}))
	waitInterop(t, "both samplers to have the strategy", func() bool {
		_, ok := p.remote.Sampler().(*jaegerclient.PerOperationSampler)
		return ok && p.traceplug.Description() == fmt.Sprintf("JaegerRemote{per-operation: 1 operation, default 0, lower bound %d/s}", bound)
	})
	for _, op := range []string{"GET /zero", "GET /unlisted"} {
		onJaeger, onTraceplug := 0, 0
		for _, id := range interopIDs(20, 1000) {
			j, tp := p.decide(t, id, op)
			if j {
				onJaeger++
			}
			if tp {
				onTraceplug++
			}
		}
		// jaeger-client-go may sample more of an unlisted operation: each
		// poll (every 10ms here) replaces its sampler with a full one.
		t.Logf("%s at probability 0 with a lower bound of %d/s: jaeger-client-go sampled %d of 1000, traceplug %d", op, bound, onJaeger, onTraceplug)
		if onJaeger < bound || onTraceplug < bound {
			t.Errorf("%s: jaeger-client-go sampled %d, traceplug %d: want both at least the bound's %d", op, onJaeger, onTraceplug, bound)
		}
	}
}
