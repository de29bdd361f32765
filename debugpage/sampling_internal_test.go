package debugpage

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/sampling"
)

// TestSamplingRoot: the root of a ParentBased sampler with the default
// delegates is found in its description, as package sampling writes it;
// any other description has none.
func TestSamplingRoot(t *testing.T) {
	rules, err := sampling.NewRules([]sampling.Rule{{Operation: "GET /healthz", Ratio: 0}}, sampling.TraceIDRatio(0.25), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		s    sampling.Sampler
		root string
	}{
		{"ratio", sampling.ParentBased(sampling.TraceIDRatio(0.25)), "TraceIDRatioBased{0.25}"},
		{"always on", sampling.ParentBased(sampling.AlwaysOn()), "AlwaysOnSampler"},
		{"rules", sampling.ParentBased(rules), "Rules{GET /healthz=0; default: TraceIDRatioBased{0.25}}"},
		{"not parent based", sampling.TraceIDRatio(0.5), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := samplingOf(core.SamplingStats{Sampler: c.s.Description()}, time.Now())
			if v.Root != c.root || v.Sampler != c.s.Description() {
				t.Errorf("root %q of %q, want %q", v.Root, v.Sampler, c.root)
			}
		})
	}
	// Delegates other than the default: the description is shown whole.
	odd := "ParentBased{root:AlwaysOnSampler,remoteParentSampled:AlwaysOffSampler}"
	if v := samplingOf(core.SamplingStats{Sampler: odd}, time.Now()); v.Root != "" {
		t.Errorf("root %q of %q", v.Root, odd)
	}
}

// TestSamplingOperations: operations sorted by name with core's others
// last, shares, totals, the rows shown, and the remote strategy's age.
func TestSamplingOperations(t *testing.T) {
	now := time.Now()
	ops := map[string]core.OperationSampling{
		core.OtherOperations: {Sampled: 1, NotSampled: 1},
		"b":                  {Sampled: 3, NotSampled: 1},
		"a":                  {NotSampled: 4},
	}
	for i := range samplingRows {
		ops[strings.Repeat("z", i+1)] = core.OperationSampling{Sampled: 1}
	}
	v := samplingOf(core.SamplingStats{
		Operations: ops,
		Remote:     &sampling.RemoteStatus{Updated: now.Add(-12 * time.Second)},
	}, now)
	var names []string
	for _, o := range v.Operations {
		names = append(names, o.Name)
	}
	if names[0] != "a" || names[1] != "b" || names[len(names)-1] != core.OtherOperations || !slices.IsSorted(names[:len(names)-1]) {
		t.Errorf("order %q", names)
	}
	if v.Operations[0].Share != 0 || v.Operations[1].Share != 0.75 {
		t.Errorf("shares %+v", v.Operations[:2])
	}
	if v.Sampled != 4+samplingRows || v.NotSampled != 6 {
		t.Errorf("totals %d/%d", v.Sampled, v.NotSampled)
	}
	if len(v.Shown) != samplingRows || v.More != 3 {
		t.Errorf("%d shown, %d more", len(v.Shown), v.More)
	}
	if v.Remote.Age != 12*time.Second {
		t.Errorf("age %v", v.Remote.Age)
	}
	if got := sinceText(v.Remote.Age); got != "12s ago" {
		t.Errorf("age shown as %q", got)
	}
	// Not fetched yet: no age; fetched "after" now (a clock step): none
	// below zero.
	if v := samplingOf(core.SamplingStats{Remote: &sampling.RemoteStatus{}}, now); v.Remote.Age != 0 {
		t.Errorf("age %v before the first fetch", v.Remote.Age)
	}
	if v := samplingOf(core.SamplingStats{Remote: &sampling.RemoteStatus{Updated: now.Add(time.Second)}}, now); v.Remote.Age != 0 {
		t.Errorf("age %v of a fetch in the future", v.Remote.Age)
	}
}

// TestDescription: descriptions are cut into pieces after commas and
// semicolons, and long ones are shortened on a character boundary.
func TestDescription(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"", []string{""}},
		{"AlwaysOnSampler", []string{"AlwaysOnSampler"}},
		{"Rules{a=1; b=0; default: X}", []string{"Rules{a=1;", " b=0;", " default: X}"}},
		{"P{root:X,r:Y,}", []string{"P{root:X,", "r:Y,", "}"}},
		{"a,", []string{"a,"}},
	} {
		if got := description(c.in); !slices.Equal(got, c.want) {
			t.Errorf("description(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	long := strings.Repeat("é", maxDescription) // two bytes each
	got := strings.Join(description(long), "")
	if !strings.HasSuffix(got, "…") || len(got) > maxDescription+len("…") || !strings.HasPrefix(long, strings.TrimSuffix(got, "…")) {
		t.Errorf("cut to %d bytes: %q…", len(got), got[:20])
	}
}
