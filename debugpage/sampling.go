package debugpage

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/traceplug/traceplug/core"
)

// This file takes the snapshot of the Tracer's sampling: which sampler is
// in force, where it came from, and what it decided by operation, from
// [core.Tracer.Stats], read when the page is drawn and never on the
// request path. Operation names, a remote sampler's strategy and its error
// (which quotes the endpoint's answer) come from requests and the network:
// the HTML template escapes them as every other value.

// samplingRows is how many operations the HTML page lists in its sampling
// table; the JSON form has them all (core counts 1,000 at most, the rest
// together).
const samplingRows = 50

type samplingView struct {
	// Sampler is the sampler's description, whole; Root, for a
	// ParentBased sampler with OpenTelemetry's default delegates, is its
	// root's, which decides the traces that start here.
	Sampler         string           `json:"sampler"`
	Root            string           `json:"root,omitempty"`
	Source          string           `json:"source"`
	Remote          *remoteView      `json:"remote,omitempty"`
	Forced          uint64           `json:"forced"`
	ForcedOverLimit uint64           `json:"forced_over_limit"`
	Sampled         uint64           `json:"sampled"`     // over every operation
	NotSampled      uint64           `json:"not_sampled"` // likewise
	Operations      []opSamplingView `json:"operations"`  // by name, the others last
	Shown           []opSamplingView `json:"-"`           // the first samplingRows
	More            int              `json:"-"`           // operations not shown
	Share           float64          `json:"-"`           // sampled over all decided
}

type remoteView struct {
	Endpoint  string        `json:"endpoint"`
	Strategy  string        `json:"strategy"`
	Updated   time.Time     `json:"updated,omitzero"` // zero before the first fetch
	Age       time.Duration `json:"age_ns,omitempty"` // at "generated", when fetched
	LastError string        `json:"last_error,omitempty"`
	Polls     uint64        `json:"polls"`
	Failures  uint64        `json:"failures"`
}

type opSamplingView struct {
	Name       string  `json:"name"`
	Sampled    uint64  `json:"sampled"`
	NotSampled uint64  `json:"not_sampled"`
	Share      float64 `json:"sampled_share"` // from 0 to 1
}

// parentBasedPrefix and parentBasedSuffix frame the description of
// OpenTelemetry's ParentBased sampler with its default delegates, as
// package sampling writes it: the root is between them.
const (
	parentBasedPrefix = "ParentBased{root:"
	parentBasedSuffix = ",remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler," +
		"localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}"
)

// samplingOf is the view of st, a snapshot of the Tracer's sampling taken
// at now.
func samplingOf(st core.SamplingStats, now time.Time) samplingView {
	v := samplingView{
		Sampler:         st.Sampler,
		Source:          st.Source,
		Forced:          st.Forced,
		ForcedOverLimit: st.ForcedOverLimit,
		Operations:      make([]opSamplingView, 0, len(st.Operations)),
	}
	if root, ok := strings.CutPrefix(st.Sampler, parentBasedPrefix); ok {
		if root, ok = strings.CutSuffix(root, parentBasedSuffix); ok && root != "" {
			v.Root = root
		}
	}
	if r := st.Remote; r != nil {
		v.Remote = &remoteView{Endpoint: r.Endpoint, Strategy: r.Strategy, Updated: r.Updated,
			LastError: r.LastError, Polls: r.Polls, Failures: r.Failures}
		if !r.Updated.IsZero() {
			v.Remote.Age = max(now.Sub(r.Updated), 0)
		}
	}
	for name, n := range st.Operations {
		v.Operations = append(v.Operations, opSamplingView{Name: name, Sampled: n.Sampled, NotSampled: n.NotSampled,
			Share: share(n.Sampled, n.NotSampled)})
		v.Sampled += n.Sampled
		v.NotSampled += n.NotSampled
	}
	v.Share = share(v.Sampled, v.NotSampled)
	sortOperations(v.Operations)
	v.Shown = v.Operations[:min(len(v.Operations), samplingRows)]
	v.More = len(v.Operations) - len(v.Shown)
	return v
}

// sortOperations sorts ops by name, with the operations core counts
// together last.
func sortOperations(ops []opSamplingView) {
	slices.SortFunc(ops, func(a, b opSamplingView) int {
		return cmp.Or(cmp.Compare(b2i(a.Name == core.OtherOperations), b2i(b.Name == core.OtherOperations)),
			strings.Compare(a.Name, b.Name))
	})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// share is sampled's share of the decisions, 0 when there are none.
func share(sampled, notSampled uint64) float64 {
	if sampled+notSampled == 0 {
		return 0
	}
	return float64(sampled) / float64(sampled+notSampled)
}
