package sampling_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/traceplug/traceplug/internal/leakcheck"
	"github.com/traceplug/traceplug/propagation"
	"github.com/traceplug/traceplug/sampling"
)

// strategyServer serves a Jaeger sampling strategy that a test changes.
type strategyServer struct {
	srv      *httptest.Server
	requests atomic.Int64
	arrived  chan struct{} // a request arrived (buffered, best effort)
	release  chan struct{} // closed at cleanup: blocked handlers return

	mu      sync.Mutex
	status  int
	body    string
	block   bool
	lastURL *url.URL
	lastReq *http.Request
}

// newStrategyServer starts a server on 127.0.0.1 that answers body.
func newStrategyServer(t testing.TB, body string) *strategyServer {
	s := &strategyServer{status: http.StatusOK, body: body, arrived: make(chan struct{}, 1), release: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	t.Cleanup(s.srv.Close)
	t.Cleanup(func() { close(s.release) }) // runs before Close: unblocks handlers
	return s
}

func (s *strategyServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	s.mu.Lock()
	status, body, block := s.status, s.body, s.block
	s.lastURL, s.lastReq = r.URL, r
	s.mu.Unlock()
	select {
	case s.arrived <- struct{}{}:
	default:
	}
	if block {
		select {
		case <-r.Context().Done():
		case <-s.release:
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// set makes the server answer status and body from now on.
func (s *strategyServer) set(status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body, s.block = status, body, false
}

// setBlocking makes the server hold requests until the client gives up.
func (s *strategyServer) setBlocking() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.block = true
}

func (s *strategyServer) last() (*url.URL, *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastURL, s.lastReq
}

// fakeClock is a clock that moves when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// logRecorder is a slog handler that keeps the records.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *logRecorder) WithGroup(string) slog.Handler            { return h }
func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}

// count returns the records at level.
func (h *logRecorder) count(level slog.Level) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, r := range h.records {
		if r.Level == level {
			n++
		}
	}
	return n
}

// text returns every record, message and attributes, one a line.
func (h *logRecorder) text() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	for _, r := range h.records {
		fmt.Fprintf(&b, "%s %s", r.Level, r.Message)
		r.Attrs(func(a slog.Attr) bool {
			fmt.Fprintf(&b, " %s=%q", a.Key, a.Value.String())
			return true
		})
		b.WriteByte('\n')
	}
	return b.String()
}

// newRemote builds a remote sampler of cfg against srv (unless cfg names an
// endpoint), polling every 5ms unless cfg says otherwise, closed at cleanup.
// Unless ownClient, it fetches with a client whose timeout is 10s rather than
// the interval: a loaded machine may take more than 5ms to answer.
func newRemote(t testing.TB, srv *strategyServer, cfg sampling.JaegerRemoteConfig, ownClient ...bool) sampling.Sampler {
	t.Helper()
	if cfg.Client == nil && len(ownClient) == 0 {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		t.Cleanup(tr.CloseIdleConnections) // after Close, which runs first
		cfg.Client = &http.Client{Transport: tr, Timeout: 10 * time.Second}
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = srv.srv.URL
	}
	if cfg.ServiceName == "" {
		cfg.ServiceName = "checkout"
	}
	if cfg.PollingInterval == 0 {
		cfg.PollingInterval = 5 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(&logRecorder{})
	}
	s, err := sampling.NewJaegerRemote(cfg)
	if err != nil {
		t.Fatalf("NewJaegerRemote: %v", err)
	}
	t.Cleanup(func() {
		if err := sampling.Close(s); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// waitFor waits, up to a generous deadline, for cond to hold.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitStrategy waits for s to describe its strategy as desc.
func waitStrategy(t testing.TB, s sampling.Sampler, desc string) {
	t.Helper()
	waitFor(t, "strategy "+desc+" (have "+s.Description()+")", func() bool { return s.Description() == desc })
}

// status returns s's status.
func status(t testing.TB, s sampling.Sampler) sampling.RemoteStatus {
	t.Helper()
	r, ok := s.(sampling.StatusReporter)
	if !ok {
		t.Fatalf("%T is not a StatusReporter", s)
	}
	return r.Status()
}

// waitFailures waits for s to count at least n failed polls.
func waitFailures(t testing.TB, s sampling.Sampler, n uint64) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d failed polls", n), func() bool { return status(t, s).Failures >= n })
}

// jaegerSampled is jaeger-client-go's ProbabilisticSampler.IsSampled.
func jaegerSampled(rate float64, traceID uint64) bool {
	const maxRandomNumber = 1<<63 - 1
	return uint64(float64(maxRandomNumber)*rate) >= traceID&maxRandomNumber
}

func probabilisticJSON(rate float64) string {
	return fmt.Sprintf(`{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":%v}}`, rate)
}

func rateLimitingJSON(perSecond int) string {
	return fmt.Sprintf(`{"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":%d}}`, perSecond)
}

type opRate struct {
	op   string
	rate float64
}

// perOperationJSON is a per-operation strategy as Jaeger's /sampling serves it.
func perOperationJSON(def, lowerBound float64, ops ...opRate) string {
	type prob struct {
		SamplingRate float64 `json:"samplingRate"`
	}
	type op struct {
		Operation             string `json:"operation"`
		ProbabilisticSampling prob   `json:"probabilisticSampling"`
	}
	list := []op{}
	for _, o := range ops {
		list = append(list, op{o.op, prob{o.rate}})
	}
	b, err := json.Marshal(map[string]any{
		"strategyType": "PROBABILISTIC",
		"operationSampling": map[string]any{
			"defaultSamplingProbability":       def,
			"defaultLowerBoundTracesPerSecond": lowerBound,
			"perOperationStrategies":           list,
		},
	})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Trace ids a probability of 0.5 decides either way, by jaeger's formula.
const (
	lowID  = 1                 // sampled at any probability above 0
	highID = 3 << 61           // 0.75 of the way: not sampled at 0.5 or 0.2
	maxID  = 1<<63 - 1 | 1<<63 // the top bit is ignored
)

func TestJaegerRemoteProbabilistic(t *testing.T) {
	leakcheck.Check(t)
	for _, rate := range []float64{0.3, 0.001, 0, 1} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			srv := newStrategyServer(t, probabilisticJSON(rate))
			s := newRemote(t, srv, sampling.JaegerRemoteConfig{})
			waitStrategy(t, s, "JaegerRemote{probabilistic "+fmt.Sprint(rate)+"}")
			rng := rand.New(rand.NewPCG(1, 2))
			ids := []uint64{0, lowID, highID, maxID, 1 << 63}
			for range 10_000 {
				ids = append(ids, rng.Uint64())
			}
			sampled := 0
			for _, id := range ids {
				d := s.ShouldSample(sampling.Params{TraceIDHigh: rng.Uint64(), TraceID: id, Operation: "GET /x"})
				if want := jaegerSampled(rate, id); d.Sampled != want {
					t.Fatalf("trace id %#x: sampled %v, jaeger-client-go's formula says %v", id, d.Sampled, want)
				}
				if d.Type != "probabilistic" || d.Param != rate {
					t.Fatalf("decision %+v, want type probabilistic, param %v", d, rate)
				}
				if d.Sampled {
					sampled++
				}
			}
			t.Logf("%d of %d sampled", sampled, len(ids))
		})
	}
}

func TestJaegerRemoteRateLimiting(t *testing.T) {
	leakcheck.Check(t)
	clock := newFakeClock()
	srv := newStrategyServer(t, rateLimitingJSON(5))
	s := newRemote(t, srv, sampling.JaegerRemoteConfig{Now: clock.Now})
	waitStrategy(t, s, "JaegerRemote{ratelimiting 5/s}")

	// sampled counts the sampled of n decisions, checking their type.
	sampled := func(n int, param float64) int {
		t.Helper()
		k := 0
		for i := range n {
			d := s.ShouldSample(sampling.Params{TraceID: uint64(i + 1), Operation: "GET /x"})
			if d.Type != "ratelimiting" || d.Param != param {
				t.Fatalf("decision %+v, want type ratelimiting, param %v", d, param)
			}
			if d.Sampled {
				k++
			}
		}
		return k
	}
	if got := sampled(100, 5); got != 5 {
		t.Fatalf("a full bucket sampled %d of 100, want the burst of 5", got)
	}
	clock.Advance(time.Second)
	if got := sampled(100, 5); got != 5 {
		t.Fatalf("a second later, %d sampled, want 5", got)
	}
	clock.Advance(200 * time.Millisecond)
	if got := sampled(100, 5); got != 1 {
		t.Fatalf("200ms later, %d sampled, want 1", got)
	}

	// A new rate keeps the limiter and its (empty) balance.
	srv.set(http.StatusOK, rateLimitingJSON(10))
	waitStrategy(t, s, "JaegerRemote{ratelimiting 10/s}")
	if got := sampled(100, 10); got != 0 {
		t.Fatalf("after the rate changed, with no time passed, %d sampled, want 0 (credits kept, not refilled)", got)
	}
	clock.Advance(time.Second)
	if got := sampled(100, 10); got != 10 {
		t.Fatalf("a second at 10/s later, %d sampled, want 10", got)
	}
}

func TestJaegerRemotePerOperation(t *testing.T) {
	leakcheck.Check(t)
	clock := newFakeClock()
	srv := newStrategyServer(t, perOperationJSON(0.2, 1, opRate{"GET /never", 0}, opRate{"GET /always", 1}))
	s := newRemote(t, srv, sampling.JaegerRemoteConfig{Now: clock.Now})
	waitStrategy(t, s, "JaegerRemote{per-operation: 2 operations, default 0.2, lower bound 1/s}")
	if !sampling.UsesOperation(s) {
		t.Error("UsesOperation(jaeger remote) = false, want true")
	}

	// A listed operation at 0 with a lower bound of 1/s: exactly one trace a second.
	for sec := range 5 {
		n := 0
		for i := range 100 {
			d := s.ShouldSample(sampling.Params{TraceID: highID + uint64(i), Operation: "GET /never"})
			if d.Type != "lowerbound" || d.Param != 0 {
				t.Fatalf("GET /never: decision %+v, want type lowerbound, param 0", d)
			}
			if d.Sampled {
				n++
			}
			if i == 49 {
				clock.Advance(500 * time.Millisecond)
			}
		}
		clock.Advance(500 * time.Millisecond)
		if n != 1 {
			t.Fatalf("GET /never, second %d: %d sampled, want 1", sec, n)
		}
	}

	rng := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		d := s.ShouldSample(sampling.Params{TraceID: rng.Uint64(), Operation: "GET /always"})
		if want := (sampling.Decision{Sampled: true, Type: "probabilistic", Param: 1}); d != want {
			t.Fatalf("GET /always: decision %+v, want %+v", d, want)
		}
	}

	// An operation not listed gets the default probability and a lower
	// bound of its own: its first trace the probability rejects is sampled.
	d := s.ShouldSample(sampling.Params{TraceID: highID, Operation: "GET /other"})
	if want := (sampling.Decision{Sampled: true, Type: "lowerbound", Param: 0.2}); d != want {
		t.Fatalf("GET /other, first trace: decision %+v, want %+v", d, want)
	}
	for range 10_000 {
		id := rng.Uint64()
		d := s.ShouldSample(sampling.Params{TraceID: id, Operation: "GET /other"})
		want := sampling.Decision{Sampled: jaegerSampled(0.2, id), Type: "probabilistic", Param: 0.2}
		if !want.Sampled {
			want.Type = "lowerbound" // and no credit left: the clock has not moved
		}
		if d != want {
			t.Fatalf("GET /other, trace id %#x: decision %+v, want %+v", id, d, want)
		}
	}
}

func TestJaegerRemoteStrategyForms(t *testing.T) {
	leakcheck.Check(t)
	perOp := "JaegerRemote{per-operation: 1 operation, default 0.1, lower bound 0.5/s}"
	for _, tc := range []struct {
		name, body, want string
	}{
		{"proto JSON probabilistic", `{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":0.5}}`, "JaegerRemote{probabilistic 0.5}"},
		{"legacy numeric probabilistic", `{"strategyType":0,"probabilisticSampling":{"samplingRate":0.5},"rateLimitingSampling":null,"operationSampling":null}`, "JaegerRemote{probabilistic 0.5}"},
		{"proto JSON rate limiting", `{"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":42}}`, "JaegerRemote{ratelimiting 42/s}"},
		{"legacy numeric rate limiting", `{"strategyType":1,"rateLimitingSampling":{"maxTracesPerSecond":42}}`, "JaegerRemote{ratelimiting 42/s}"},
		{"legacy rate limiting beside a null", `{"strategyType":1,"probabilisticSampling":null,"rateLimitingSampling":{"maxTracesPerSecond":42},"operationSampling":null}`, "JaegerRemote{ratelimiting 42/s}"},
		{"per operation", `{"strategyType":"PROBABILISTIC","operationSampling":{"defaultSamplingProbability":0.1,"defaultLowerBoundTracesPerSecond":0.5,"perOperationStrategies":[{"operation":"GET /a","probabilisticSampling":{"samplingRate":0.2}}],"defaultUpperBoundTracesPerSecond":0}}`, perOp},
		{"per operation beside the default probability", `{"strategyType":0,"probabilisticSampling":{"samplingRate":0.1},"operationSampling":{"defaultSamplingProbability":0.1,"defaultLowerBoundTracesPerSecond":0.5,"perOperationStrategies":[{"operation":"GET /a","probabilisticSampling":{"samplingRate":0.2}}]}}`, perOp},
		{"quoted numbers", `{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":"0.25"}}`, "JaegerRemote{probabilistic 0.25}"},
		{"no strategyType", `{"probabilisticSampling":{"samplingRate":0.5}}`, "JaegerRemote{probabilistic 0.5}"},
		{"unknown fields", `{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":0.5},"future":{"x":1}}`, "JaegerRemote{probabilistic 0.5}"},
		{"zero rate left out (proto JSON)", `{"strategyType":"PROBABILISTIC","probabilisticSampling":{}}`, "JaegerRemote{probabilistic 0}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newStrategyServer(t, tc.body)
			s := newRemote(t, srv, sampling.JaegerRemoteConfig{})
			waitStrategy(t, s, tc.want)
			if st := status(t, s); st.LastError != "" {
				t.Errorf("LastError %q after a valid strategy", st.LastError)
			}
		})
	}
}

func TestJaegerRemoteMaxOperations(t *testing.T) {
	leakcheck.Check(t)
	clock := newFakeClock()
	check := func(t *testing.T, s sampling.Sampler, op string, want sampling.Decision) {
		t.Helper()
		if d := s.ShouldSample(sampling.Params{TraceID: highID, Operation: op}); d != want {
			t.Errorf("%s: decision %+v, want %+v", op, d, want)
		}
	}
	withBound := sampling.Decision{Sampled: true, Type: "lowerbound", Param: 0.5}
	without := sampling.Decision{Type: "probabilistic", Param: 0.5}

	t.Run("none listed", func(t *testing.T) {
		srv := newStrategyServer(t, perOperationJSON(0.5, 1))
		s := newRemote(t, srv, sampling.JaegerRemoteConfig{MaxOperations: 3, Now: clock.Now})
		waitStrategy(t, s, "JaegerRemote{per-operation: 0 operations, default 0.5, lower bound 1/s}")
		for _, op := range []string{"op1", "op2", "op3"} {
			check(t, s, op, withBound)
		}
		check(t, s, "op4", without) // MaxOperations+1: the default alone
		check(t, s, "op5", without)
		check(t, s, "op1", sampling.Decision{Type: "lowerbound", Param: 0.5}) // tracked, its credit spent
		check(t, s, "op4", without)
	})
	t.Run("listed ones count", func(t *testing.T) {
		srv := newStrategyServer(t, perOperationJSON(0.5, 1, opRate{"listed", 0.5}))
		s := newRemote(t, srv, sampling.JaegerRemoteConfig{MaxOperations: 2, Now: clock.Now})
		waitStrategy(t, s, "JaegerRemote{per-operation: 1 operation, default 0.5, lower bound 1/s}")
		check(t, s, "listed", withBound)
		check(t, s, "other1", withBound)
		check(t, s, "other2", without)
	})
}

func TestJaegerRemoteLimitersKeepCredits(t *testing.T) {
	leakcheck.Check(t)
	clock := newFakeClock()
	srv := newStrategyServer(t, perOperationJSON(0, 1, opRate{"a", 0}))
	s := newRemote(t, srv, sampling.JaegerRemoteConfig{Now: clock.Now})
	waitStrategy(t, s, "JaegerRemote{per-operation: 1 operation, default 0, lower bound 1/s}")
	sampled := func(op string) bool {
		return s.ShouldSample(sampling.Params{TraceID: highID, Operation: op}).Sampled
	}
	for _, op := range []string{"a", "b"} { // b: not listed, tracked
		if !sampled(op) || sampled(op) {
			t.Fatalf("%s: want its one credit spent by the first trace and none left", op)
		}
	}

	srv.set(http.StatusOK, perOperationJSON(0, 1, opRate{"a", 0}, opRate{"c", 0}))
	waitStrategy(t, s, "JaegerRemote{per-operation: 2 operations, default 0, lower bound 1/s}")
	if sampled("a") || sampled("b") {
		t.Fatal("a new strategy refilled a limiter: want the credits kept")
	}
	if !sampled("c") {
		t.Fatal("c, newly listed: want a full bucket")
	}

	// a is dropped from the list: the default, with the limiter it had.
	srv.set(http.StatusOK, perOperationJSON(0, 1, opRate{"c", 0}))
	waitStrategy(t, s, "JaegerRemote{per-operation: 1 operation, default 0, lower bound 1/s}")
	if d := s.ShouldSample(sampling.Params{TraceID: highID, Operation: "a"}); d != (sampling.Decision{Type: "lowerbound", Param: 0}) {
		t.Fatalf("a, dropped: decision %+v, want the default's lower bound with no credit", d)
	}
	clock.Advance(time.Second)
	if !sampled("a") || sampled("a") {
		t.Fatal("a, a second later: want one trace sampled")
	}

	// A higher lower bound updates the limiters' rates.
	srv.set(http.StatusOK, perOperationJSON(0, 2, opRate{"c", 0}))
	waitStrategy(t, s, "JaegerRemote{per-operation: 1 operation, default 0, lower bound 2/s}")
	if sampled("a") {
		t.Fatal("a, after the new bound with no time passed: want no credit")
	}
	clock.Advance(time.Second)
	n := 0
	for range 10 {
		if sampled("a") {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("a, a second at 2/s: %d sampled, want 2", n)
	}
}

func TestJaegerRemoteServiceQuery(t *testing.T) {
	leakcheck.Check(t)
	const service = "my svc&ü=1"
	for _, tc := range []struct {
		name, suffix, path string
		query              url.Values
	}{
		{"no path", "", "/sampling", url.Values{"service": {service}}},
		{"root path", "/", "/sampling", url.Values{"service": {service}}},
		{"collector path", "/api/sampling", "/api/sampling", url.Values{"service": {service}}},
		{"other query kept", "/api/sampling?x=1&service=other", "/api/sampling", url.Values{"service": {service}, "x": {"1"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newStrategyServer(t, probabilisticJSON(0.5))
			s := newRemote(t, srv, sampling.JaegerRemoteConfig{Endpoint: srv.srv.URL + tc.suffix, ServiceName: service})
			waitStrategy(t, s, "JaegerRemote{probabilistic 0.5}")
			u, _ := srv.last()
			if u.Path != tc.path {
				t.Errorf("path %q, want %q", u.Path, tc.path)
			}
			if got := u.Query(); fmt.Sprint(got) != fmt.Sprint(tc.query) {
				t.Errorf("query %v, want %v", got, tc.query)
			}
			if got, want := status(t, s).Endpoint, srv.srv.URL+tc.path; got != want {
				t.Errorf("Status().Endpoint = %q, want %q", got, want)
			}
		})
	}
	t.Run("userinfo sent, never shown", func(t *testing.T) {
		srv := newStrategyServer(t, probabilisticJSON(0.5))
		u, _ := url.Parse(srv.srv.URL)
		u.User = url.UserPassword("user", "hunter2")
		u.Path, u.RawQuery = "/sampling", "token=s3cret"
		s := newRemote(t, srv, sampling.JaegerRemoteConfig{Endpoint: u.String()})
		waitStrategy(t, s, "JaegerRemote{probabilistic 0.5}")
		gotURL, req := srv.last()
		if user, pass, ok := req.BasicAuth(); !ok || user != "user" || pass != "hunter2" {
			t.Errorf("basic auth %q %q %v, want the endpoint's userinfo", user, pass, ok)
		}
		if gotURL.Query().Get("token") != "s3cret" {
			t.Errorf("query %q lost the endpoint's own parameter", gotURL.RawQuery)
		}
		if st := fmt.Sprintf("%+v", status(t, s)); strings.Contains(st, "hunter2") || strings.Contains(st, "s3cret") {
			t.Errorf("status shows a secret: %s", st)
		}
	})
}

func TestJaegerRemoteEndpointDown(t *testing.T) {
	leakcheck.Check(t)
	srv := newStrategyServer(t, probabilisticJSON(0.5))
	srv.srv.Close() // nothing listens there now
	u, _ := url.Parse(srv.srv.URL)
	u.User = url.UserPassword("user", "hunter2")
	u.RawQuery = "token=s3cret"
	logs := &logRecorder{}
	s := newRemote(t, srv, sampling.JaegerRemoteConfig{Endpoint: u.String(), Logger: slog.New(logs)})

	const initial = "JaegerRemote{initial: probabilistic 0.001}"
	if got := s.Description(); got != initial {
		t.Fatalf("Description() = %q before any strategy, want %q", got, initial)
	}
	waitFailures(t, s, 6)
	if got := s.Description(); got != initial {
		t.Errorf("Description() = %q with the endpoint down, want the initial %q", got, initial)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 10_000 {
		id := rng.Uint64()
		want := sampling.Decision{Sampled: jaegerSampled(0.001, id), Type: "probabilistic", Param: 0.001}
		if d := s.ShouldSample(sampling.Params{TraceID: id}); d != want {
			t.Fatalf("trace id %#x: decision %+v, want the initial sampler's %+v", id, d, want)
		}
	}
	if n := logs.count(slog.LevelWarn); n != 1 {
		t.Errorf("%d warnings over %d failed polls, want 1:\n%s", n, status(t, s).Failures, logs.text())
	}
	st := status(t, s)
	text := logs.text() + fmt.Sprintf("%+v", st)
	if strings.Contains(text, "hunter2") || strings.Contains(text, "s3cret") {
		t.Errorf("a secret of the endpoint is shown:\n%s", text)
	}
	if !strings.Contains(logs.text(), "endpoint=\"http://127.0.0.1:") || !strings.Contains(logs.text(), initial) {
		t.Errorf("the warning says neither the endpoint nor what is kept:\n%s", logs.text())
	}
	if st.LastError == "" || !st.Updated.IsZero() || st.Strategy != initial {
		t.Errorf("status %+v: want an error, no update time, the initial strategy", st)
	}
}

func TestJaegerRemoteRecovers(t *testing.T) {
	leakcheck.Check(t)
	srv := newStrategyServer(t, "")
	srv.set(http.StatusServiceUnavailable, "collector error: no strategy store")
	logs := &logRecorder{}
	s := newRemote(t, srv, sampling.JaegerRemoteConfig{Logger: slog.New(logs), InitialSampler: sampling.AlwaysOn()})
	waitFailures(t, s, 4)
	if got, want := s.Description(), "JaegerRemote{initial: AlwaysOnSampler}"; got != want {
		t.Errorf("Description() = %q, want %q", got, want)
	}
	if d := s.ShouldSample(sampling.Params{TraceID: highID}); !d.Sampled || d.Type != "const" {
		t.Errorf("decision %+v, want the initial AlwaysOn's", d)
	}
	if st := status(t, s); !strings.Contains(st.LastError, "503") || !strings.Contains(st.LastError, "no strategy store") {
		t.Errorf("LastError %q, want the status and the server's word", st.LastError)
	}

	srv.set(http.StatusOK, probabilisticJSON(0.5))
	waitStrategy(t, s, "JaegerRemote{probabilistic 0.5}")
	polls := status(t, s).Polls
	waitFor(t, "more polls", func() bool { return status(t, s).Polls >= polls+3 })
	if w, i := logs.count(slog.LevelWarn), logs.count(slog.LevelInfo); w != 1 || i != 1 {
		t.Errorf("%d warnings and %d infos over an outage and a recovery, want 1 and 1:\n%s", w, i, logs.text())
	}
	if st := status(t, s); st.LastError != "" || st.Updated.IsZero() {
		t.Errorf("status %+v after recovery: want no error and an update time", st)
	}

	// A second outage is said again, once.
	f := status(t, s).Failures
	srv.set(http.StatusInternalServerError, "")
	waitFailures(t, s, f+4)
	if w := logs.count(slog.LevelWarn); w != 2 {
		t.Errorf("%d warnings after a second outage, want 2:\n%s", w, logs.text())
	}
}

func TestJaegerRemoteKeepsLastGood(t *testing.T) {
	leakcheck.Check(t)
	srv := newStrategyServer(t, perOperationJSON(0.5, 1, opRate{"GET /a", 0.25}))
	logs := &logRecorder{}
	s := newRemote(t, srv, sampling.JaegerRemoteConfig{Logger: slog.New(logs)})
	const good = "JaegerRemote{per-operation: 1 operation, default 0.5, lower bound 1/s}"
	waitStrategy(t, s, good)
	for _, tc := range []struct {
		name, body string
		status     int
		err        string // in LastError
	}{
		{"garbage", "<html>oops</html>", 200, "not a sampling strategy"},
		{"empty", "", 200, "not a sampling strategy"},
		{"empty object", "{}", 200, "none of"},
		{"probability above 1", probabilisticJSON(1.5), 200, "1.5 is not a probability"},
		{"negative probability", probabilisticJSON(-0.1), 200, "-0.1 is not a probability"},
		{"NaN probability", `{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":"NaN"}}`, 200, "NaN is not a probability"},
		{"negative rate", rateLimitingJSON(-1), 200, "-1 is not a rate"},
		{"infinite rate", `{"strategyType":1,"rateLimitingSampling":{"maxTracesPerSecond":"Infinity"}}`, 200, "+Inf is not a rate"},
		{"negative lower bound", perOperationJSON(0.5, -1), 200, "defaultLowerBoundTracesPerSecond -1"},
		{"operation probability above 1", perOperationJSON(0.5, 1, opRate{"GET /a", 2}), 200, `"GET /a": samplingRate 2`},
		{"default probability above 1", perOperationJSON(1.01, 1), 200, "defaultSamplingProbability 1.01"},
		{"operation without probability", `{"operationSampling":{"defaultSamplingProbability":0.5,"perOperationStrategies":[{"operation":"GET /a"}]}}`, 200, `"GET /a" has no probabilisticSampling`},
		{"unknown strategyType number", `{"strategyType":7,"probabilisticSampling":{"samplingRate":0.5}}`, 200, "strategyType 7"},
		{"unknown strategyType name", `{"strategyType":"ADAPTIVE","probabilisticSampling":{"samplingRate":0.5}}`, 200, `strategyType "ADAPTIVE"`},
		{"type without its object", `{"strategyType":"RATE_LIMITING","probabilisticSampling":{"samplingRate":0.5}}`, 200, "RATE_LIMITING without rateLimitingSampling"},
		{"server error", "collector error", 500, "500 Internal Server Error"},
		{"not found", "404 page not found", 404, "404 Not Found"},
	} {
		f := status(t, s).Failures
		srv.set(tc.status, tc.body)
		waitFailures(t, s, f+2) // at least one poll wholly after the change
		st := status(t, s)
		if !strings.Contains(st.LastError, tc.err) {
			t.Errorf("%s: LastError %q, want it to say %q", tc.name, st.LastError, tc.err)
		}
		if st.Strategy != good || s.Description() != good {
			t.Errorf("%s: strategy %q, want the last good one kept", tc.name, st.Strategy)
		}
		if d := s.ShouldSample(sampling.Params{TraceID: lowID, Operation: "GET /a"}); d != (sampling.Decision{Sampled: true, Type: "probabilistic", Param: 0.25}) {
			t.Errorf("%s: GET /a decision %+v, want the last good strategy's", tc.name, d)
		}
	}
	if w := logs.count(slog.LevelWarn); w != 1 {
		t.Errorf("%d warnings over one long failure, want 1:\n%s", w, logs.text())
	}
}

func TestJaegerRemoteSlowEndpoint(t *testing.T) {
	leakcheck.Check(t)
	t.Run("timeout keeps the last good", func(t *testing.T) {
		srv := newStrategyServer(t, probabilisticJSON(0.5))
		s := newRemote(t, srv, sampling.JaegerRemoteConfig{PollingInterval: 50 * time.Millisecond}, true)
		waitStrategy(t, s, "JaegerRemote{probabilistic 0.5}")
		f := status(t, s).Failures
		srv.setBlocking()
		waitFailures(t, s, f+2)
		if st := status(t, s); !strings.Contains(st.LastError, "no response within 50ms") || st.Strategy != "JaegerRemote{probabilistic 0.5}" {
			t.Errorf("status %+v: want a timeout and the last good strategy", st)
		}
	})
	t.Run("Close cuts a fetch short", func(t *testing.T) {
		srv := newStrategyServer(t, "")
		srv.setBlocking()
		logs := &logRecorder{}
		// An hour between polls: the fetch would wait 10s for its timeout.
		s, err := sampling.NewJaegerRemote(sampling.JaegerRemoteConfig{Endpoint: srv.srv.URL, ServiceName: "checkout", PollingInterval: time.Hour, Logger: slog.New(logs)})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := s.Description(), "JaegerRemote{initial: probabilistic 0.001}"; got != want {
			t.Errorf("Description() = %q while the first fetch hangs, want %q", got, want)
		}
		<-srv.arrived
		closed := make(chan error)
		go func() { closed <- sampling.Close(s) }()
		select {
		case err := <-closed:
			if err != nil {
				t.Errorf("Close: %v", err)
			}
		case <-time.After(8 * time.Second):
			t.Fatal("Close did not return before the fetch's own 10s timeout")
		}
		if logs.count(slog.LevelWarn) != 0 || status(t, s).Failures != 0 {
			t.Errorf("a fetch cut short by Close counted as a failure:\n%s", logs.text())
		}
	})
}

func TestJaegerRemoteFollowsChanges(t *testing.T) {
	leakcheck.Check(t)
	srv := newStrategyServer(t, probabilisticJSON(0.5))
	s := newRemote(t, srv, sampling.JaegerRemoteConfig{})
	for _, step := range []struct{ body, want string }{
		{probabilisticJSON(0.5), "JaegerRemote{probabilistic 0.5}"},
		{probabilisticJSON(0.25), "JaegerRemote{probabilistic 0.25}"},
		{rateLimitingJSON(7), "JaegerRemote{ratelimiting 7/s}"},
		{perOperationJSON(0.1, 0.5, opRate{"a", 1}, opRate{"b", 0}, opRate{"c", 0.5}), "JaegerRemote{per-operation: 3 operations, default 0.1, lower bound 0.5/s}"},
		{perOperationJSON(0.1, 0.5, opRate{"a", 0}), "JaegerRemote{per-operation: 1 operation, default 0.1, lower bound 0.5/s}"},
		{probabilisticJSON(1), "JaegerRemote{probabilistic 1}"},
	} {
		srv.set(http.StatusOK, step.body)
		waitStrategy(t, s, step.want)
		if st := status(t, s); st.Strategy != step.want || st.Updated.IsZero() {
			t.Errorf("status %+v, want strategy %q and an update time", st, step.want)
		}
	}
}

func TestJaegerRemoteConfigErrors(t *testing.T) {
	leakcheck.Check(t)
	for _, tc := range []struct {
		name string
		cfg  sampling.JaegerRemoteConfig
		want []string // in the error
	}{
		{"gRPC collector port", sampling.JaegerRemoteConfig{Endpoint: "http://localhost:14250"}, []string{"gRPC", "not supported", "http://localhost:5778/sampling"}},
		{"gRPC v2 port", sampling.JaegerRemoteConfig{Endpoint: "http://jaeger:5779"}, []string{"gRPC", "http://jaeger:5778/sampling"}},
		{"gRPC scheme", sampling.JaegerRemoteConfig{Endpoint: "grpc://jaeger:1234"}, []string{"gRPC", "http://jaeger:5778/sampling"}},
		{"no scheme", sampling.JaegerRemoteConfig{Endpoint: "localhost:5778"}, []string{"no scheme", "http://localhost:5778"}},
		{"other scheme", sampling.JaegerRemoteConfig{Endpoint: "ftp://jaeger/sampling"}, []string{`scheme "ftp"`, "http://localhost:5778/sampling"}},
		{"no host", sampling.JaegerRemoteConfig{Endpoint: "http:///sampling"}, []string{"no host"}},
		{"not a URL", sampling.JaegerRemoteConfig{Endpoint: "http://jaeger:port/sampling"}, []string{"not a valid URL"}},
		{"no service", sampling.JaegerRemoteConfig{Endpoint: "http://localhost:5778", ServiceName: " "}, []string{"service"}},
		{"negative interval", sampling.JaegerRemoteConfig{PollingInterval: -time.Second}, []string{"negative"}},
		{"negative MaxOperations", sampling.JaegerRemoteConfig{MaxOperations: -1}, []string{"negative"}},
		{"secrets not repeated, gRPC", sampling.JaegerRemoteConfig{Endpoint: "https://user:hunter2@localhost:14250/?token=s3cret"}, []string{"gRPC"}},
		{"secrets not repeated, no scheme", sampling.JaegerRemoteConfig{Endpoint: "user:hunter2@localhost:5778?token=s3cret"}, []string{"no scheme"}},
		{"secrets not repeated, bad URL", sampling.JaegerRemoteConfig{Endpoint: "http://user:hunter2@jaeger:port/?token=s3cret"}, []string{"not a valid URL", "http://REDACTED@jaeger:port/"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.cfg.ServiceName == "" {
				tc.cfg.ServiceName = "checkout"
			}
			s, err := sampling.NewJaegerRemote(tc.cfg)
			if err == nil {
				sampling.Close(s)
				t.Fatal("NewJaegerRemote succeeded, want an error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "sampling: ") {
				t.Errorf("error %q lacks the package prefix", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			if strings.Contains(msg, "hunter2") || strings.Contains(msg, "s3cret") {
				t.Errorf("error %q repeats a secret", msg)
			}
		})
	}
}

func TestJaegerRemoteClose(t *testing.T) {
	leakcheck.Check(t)
	srv := newStrategyServer(t, probabilisticJSON(0.5))
	s, err := sampling.NewJaegerRemote(sampling.JaegerRemoteConfig{Endpoint: srv.srv.URL, ServiceName: "checkout", PollingInterval: 100 * time.Millisecond, Logger: slog.New(&logRecorder{})})
	if err != nil {
		t.Fatal(err)
	}
	waitStrategy(t, s, "JaegerRemote{probabilistic 0.5}")
	pb := sampling.ParentBased(s)
	if root, ok := pb.(interface{ Root() sampling.Sampler }); !ok || root.Root() != s {
		t.Fatal("ParentBased(remote).Root() is not the remote sampler")
	}
	for range 2 { // through ParentBased, and directly: idempotent
		if err := sampling.Close(pb); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	if err := sampling.Close(s); err != nil {
		t.Fatalf("Close again: %v", err)
	}
	requests := srv.requests.Load()
	polls := status(t, s).Polls
	// Decisions go on with the last strategy.
	if d := s.ShouldSample(sampling.Params{TraceID: lowID}); !d.Sampled || d.Param != 0.5 {
		t.Errorf("decision after Close %+v, want the last strategy's", d)
	}
	// No poll after Close: the leak check at cleanup also finds no goroutine.
	if got := status(t, s).Polls; got != polls {
		t.Errorf("polls went on after Close: %d, then %d", polls, got)
	}
	if got := srv.requests.Load(); got != requests {
		t.Errorf("requests went on after Close: %d, then %d", requests, got)
	}
}

func TestJaegerRemoteNotParentBased(t *testing.T) {
	leakcheck.Check(t)
	srv := newStrategyServer(t, probabilisticJSON(0))
	s := newRemote(t, srv, sampling.JaegerRemoteConfig{})
	waitStrategy(t, s, "JaegerRemote{probabilistic 0}")
	p := sampling.Params{TraceID: highID, Parent: propagation.SamplingYes}
	if d := s.ShouldSample(p); d.Sampled {
		t.Errorf("remote sampler followed a sampled parent (%+v): it is not parent-based", d)
	}
	if d := sampling.ParentBased(s).ShouldSample(p); !d.Sampled {
		t.Errorf("ParentBased(remote) did not follow a sampled parent (%+v)", d)
	}
}

// countingTransport counts the requests it carries.
type countingTransport struct {
	http.Transport
	n atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.Transport.RoundTrip(r)
}

func TestJaegerRemoteStatus(t *testing.T) {
	leakcheck.Check(t)
	srv := newStrategyServer(t, perOperationJSON(0.1, 0.5, opRate{"a", 1}, opRate{"b", 0}, opRate{"c", 0.5}))
	tr := &countingTransport{}
	t.Cleanup(tr.CloseIdleConnections) // the caller's client: the sampler leaves it open
	before := time.Now()
	s := newRemote(t, srv, sampling.JaegerRemoteConfig{Client: &http.Client{Transport: tr, Timeout: 5 * time.Second}})
	const want = "JaegerRemote{per-operation: 3 operations, default 0.1, lower bound 0.5/s}"
	waitStrategy(t, s, want)
	st := status(t, s)
	if st.Endpoint != srv.srv.URL+"/sampling" || st.Strategy != want || st.LastError != "" || st.Polls == 0 || st.Failures != 0 || st.Updated.Before(before) {
		t.Errorf("status %+v", st)
	}
	if tr.n.Load() == 0 {
		t.Error("the given client was not used")
	}
}

// BenchmarkJaegerRemotePerOperation decides for one listed operation of a
// per-operation strategy listing 10 or 1000: a map lookup, the same cost.
func BenchmarkJaegerRemotePerOperation(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("operations=%d", n), func(b *testing.B) {
			ops := make([]opRate, n)
			for i := range ops {
				ops[i] = opRate{fmt.Sprintf("GET /items/%d/{id}", i), 0.5}
			}
			srv := newStrategyServer(b, perOperationJSON(0.1, 1, ops...))
			s := newRemote(b, srv, sampling.JaegerRemoteConfig{PollingInterval: time.Hour})
			waitFor(b, "the strategy", func() bool { return strings.Contains(s.Description(), "per-operation") })
			rng := rand.New(rand.NewPCG(7, 8))
			ids := make([]uint64, 1024)
			for i := range ids {
				ids[i] = rng.Uint64()
			}
			p := sampling.Params{Operation: ops[n/2].op}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				p.TraceID = ids[i&1023]
				s.ShouldSample(p)
				i++
			}
		})
	}
}
