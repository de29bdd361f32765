package sampling

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/traceplug/traceplug/propagation"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time                      { return c.t }
func (c *fakeClock) advance(d time.Duration)             { c.t = c.t.Add(d) }
func newFakeClock() *fakeClock                           { return &fakeClock{t: time.Unix(1700000000, 0)} }
func params(low uint64, op string) Params                { return Params{TraceIDHigh: 1, TraceID: low, Operation: op} }
func sampledOf(s Sampler, p Params) bool                 { return s.ShouldSample(p).Sampled }
func withParent(p Params, d propagation.Sampling) Params { p.Parent = d; return p }

// TestTraceIDRatioFormula: the decision is OpenTelemetry's, exactly: the
// lower 64 bits shifted right by one against ratio × 2⁶³.
func TestTraceIDRatioFormula(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, ratio := range []float64{0, 0.001, 0.25, 0.5, 0.999} {
		s := TraceIDRatio(ratio)
		bound := uint64(ratio * (1 << 63))
		for range 10000 {
			id := r.Uint64()
			if got, want := sampledOf(s, params(id, "")), id>>1 < bound; got != want {
				t.Fatalf("ratio %v, id %x: sampled %v, want %v", ratio, id, got, want)
			}
		}
	}
	if !sampledOf(TraceIDRatio(1), params(math.MaxUint64, "")) {
		t.Error("ratio 1 dropped a trace")
	}
}

// TestTraceIDRatioStatistics: over n random ids, the sampled count is within
// five standard deviations of n·p.
func TestTraceIDRatioStatistics(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const n = 100000
	for _, p := range []float64{0.01, 0.1, 0.5} {
		s := TraceIDRatio(p)
		k := 0
		for range n {
			if sampledOf(s, params(r.Uint64(), "")) {
				k++
			}
		}
		mean, sd := n*p, math.Sqrt(n*p*(1-p))
		if math.Abs(float64(k)-mean) > 5*sd {
			t.Errorf("ratio %v: %d of %d sampled, want %.0f ± %.0f", p, k, n, mean, 5*sd)
		}
	}
}

// TestParentBased: a parent's decision wins; the root decides otherwise.
func TestParentBased(t *testing.T) {
	s := ParentBased(AlwaysOff())
	cases := []struct {
		parent propagation.Sampling
		want   bool
	}{{propagation.SamplingYes, true}, {propagation.SamplingDebug, true}, {propagation.SamplingNo, false}, {propagation.SamplingDeferred, false}}
	for _, c := range cases {
		if got := sampledOf(s, withParent(params(1, ""), c.parent)); got != c.want {
			t.Errorf("parent %v: sampled %v, want %v", c.parent, got, c.want)
		}
	}
	if sampledOf(ParentBased(AlwaysOn()), withParent(params(1, ""), propagation.SamplingNo)) {
		t.Error("an unsampled parent was overruled")
	}
	if TraceIDRatio(0.5).ShouldSample(withParent(params(math.MaxUint64, ""), propagation.SamplingYes)).Sampled {
		t.Error("traceidratio (not parent based) followed the parent")
	}
}

// TestRateLimitedFakeClock: exactly the burst at one instant, then the rate.
func TestRateLimitedFakeClock(t *testing.T) {
	c := newFakeClock()
	s := RateLimited(10, c.now)
	count := func(n int) (k int) {
		for range n {
			if sampledOf(s, params(1, "")) {
				k++
			}
		}
		return k
	}
	if k := count(100); k != 10 {
		t.Fatalf("burst: %d sampled, want 10", k)
	}
	c.advance(500 * time.Millisecond)
	if k := count(100); k != 5 {
		t.Fatalf("after 0.5 s: %d sampled, want 5", k)
	}
	c.advance(time.Hour)
	if k := count(100); k != 10 {
		t.Fatalf("after an hour: %d sampled, want 10 (the bucket's size)", k)
	}
	if d := s.ShouldSample(params(1, "")); d.Type != "ratelimiting" || d.Param != 10 {
		t.Errorf("decision %+v", d)
	}
	// Below one a second, the bucket holds one trace.
	slow := RateLimited(0.5, c.now)
	if !sampledOf(slow, params(1, "")) || sampledOf(slow, params(1, "")) {
		t.Error("0.5/s: want one, then none")
	}
	c.advance(2 * time.Second)
	if !sampledOf(slow, params(1, "")) {
		t.Error("0.5/s: none after 2 s")
	}
}

// TestRules: first match wins, exact and wildcard, and the fallback.
func TestRules(t *testing.T) {
	c := newFakeClock()
	s, err := NewRules([]Rule{
		{Operation: "GET /healthz", Ratio: 0},
		{Operation: "* /healthz", Ratio: 1}, // never reached for GET
		{Operation: "GET /search", PerSecond: 2},
		{Operation: "POST /orders*", Ratio: 1},
		{Operation: "*/admin/*", Ratio: 0},
	}, AlwaysOn(), c.now)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		op   string
		want bool
	}{
		{"GET /healthz", false}, {"HEAD /healthz", true}, {"POST /orders/{id}", true},
		{"GET /x/admin/y", false}, {"GET /other", true}, {"", true},
	}
	for _, cs := range cases {
		if got := sampledOf(s, params(math.MaxUint64, cs.op)); got != cs.want {
			t.Errorf("%q: sampled %v, want %v", cs.op, got, cs.want)
		}
	}
	k := 0
	for range 10 {
		if sampledOf(s, params(1, "GET /search")) {
			k++
		}
	}
	if k != 2 {
		t.Errorf("GET /search at 2/s: %d of 10 at one instant, want 2", k)
	}
	if !UsesOperation(s) || !UsesOperation(ParentBased(s)) || UsesOperation(TraceIDRatio(0.5)) {
		t.Error("UsesOperation")
	}
	if _, err := NewRules([]Rule{{Operation: "x", Ratio: 2}}, AlwaysOn(), nil); err == nil {
		t.Error("ratio 2 accepted")
	}
	if _, err := NewRules([]Rule{{Operation: " ", Ratio: 1}}, AlwaysOn(), nil); err == nil {
		t.Error("empty operation accepted")
	}
}

func TestParseRules(t *testing.T) {
	rules, err := ParseRules("GET /healthz=0; GET /search = 10/s\n# a comment\nPOST /orders=1;;*=0.1\n")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rules {
		got = append(got, r.String())
	}
	if strings.Join(got, ";") != "GET /healthz=0;GET /search=10/s;POST /orders=1;*=0.1" {
		t.Errorf("parsed %q", got)
	}
	for _, bad := range []string{"GET /x", "GET /x=2", "GET /x=-1/s", "GET /x=fast", "=0.5", "GET /x=NaN"} {
		if _, err := ParseRules(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParse(t *testing.T) {
	cases := []struct{ name, arg, want string }{
		{"always_on", "", "AlwaysOnSampler"},
		{" ALWAYS_OFF ", "", "AlwaysOffSampler"},
		{"traceidratio", "0.25", "TraceIDRatioBased{0.25}"},
		{"traceidratio", "", "TraceIDRatioBased{1}"},
		{"parentbased_always_off", "", "ParentBased{root:AlwaysOffSampler,"},
		{"parentbased_traceidratio", "0.5", "ParentBased{root:TraceIDRatioBased{0.5},"},
		{"traceplug_ratelimiting", "10", "RateLimiting{10/s}"},
	}
	for _, c := range cases {
		s, err := Parse(c.name, c.arg, Options{})
		if err != nil {
			t.Errorf("%s %s: %v", c.name, c.arg, err)
			continue
		}
		if !strings.HasPrefix(s.Description(), c.want) {
			t.Errorf("%s %s: %s, want %s…", c.name, c.arg, s.Description(), c.want)
		}
	}
	bad := []struct{ name, arg, says string }{
		{"traceidratio", "1.5", "not a ratio"},
		{"traceidratio", "half", "not a ratio"},
		{"always_onn", "", `did you mean "always_on"?`},
		{"xray", "", "not supported"},
		{"traceplug_ratelimiting", "0", "above 0"},
		{"jaeger_remote", "endpoint=http://localhost:14250", "gRPC"},
		{"jaeger_remote", "pollingInterval=5", `did you mean "pollingIntervalMs"?`},
		{"jaeger_remote", "initialSamplingRate=2", "not a ratio"},
	}
	for _, b := range bad {
		_, err := Parse(b.name, b.arg, Options{ServiceName: "svc"})
		if err == nil || !strings.Contains(err.Error(), b.says) {
			t.Errorf("%s %s: error %v, want one saying %q", b.name, b.arg, err, b.says)
		}
	}
}
