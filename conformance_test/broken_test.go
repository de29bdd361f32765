package conformance_test

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/backends/mock/mocktest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

// Broken backends: the mock with one bug each. They exist to show that the
// suite fails where it should and only there.
func init() {
	core.Register("broken-droptags", brokenFactory(func(t opentracing.Tracer) opentracing.Tracer { return dropTags{t} }))
	core.Register("broken-parents", brokenFactory(func(t opentracing.Tracer) opentracing.Tracer { return dropParents{t} }))
	core.Register("broken-close", func(cfg backend.Config) (opentracing.Tracer, func(context.Context) error, error) {
		m, err := mock.New(cfg)
		if err != nil {
			return nil, nil, err
		}
		q := &lossyQueue{Tracer: m}
		return q, q.shutdown, nil
	})
}

// brokenLacks are what each broken backend lacks besides what the mock
// lacks. The wrappers of broken-droptags and broken-parents are no
// backend.SpanContextCodec (the mock's codec is hidden behind them), so core
// cannot sample their traces and they sample by themselves: the sampling
// properties skip for them, rather than fail for want of a codec.
var brokenLacks = map[string]map[conformance.Capability]string{
	"broken-droptags": {conformance.CoreSampling: notCodec},
	"broken-parents":  {conformance.CoreSampling: notCodec},
}

const notCodec = "its wrapper of the mock's tracer is no backend.SpanContextCodec, so it samples by itself"

// coreSampling are the properties that need conformance.CoreSampling.
var coreSampling = []string{"sampling_parent_each_format", "sampling_rules", "sampling_rate_limit", "sampling_ratio",
	"sampling_forced", "sampling_forced_limit", "sampling_untraced_passes_trace", "public_endpoint"}

func brokenFactory(wrap func(opentracing.Tracer) opentracing.Tracer) backend.Factory {
	return func(cfg backend.Config) (opentracing.Tracer, func(context.Context) error, error) {
		m, err := mock.New(cfg)
		if err != nil {
			return nil, nil, err
		}
		return wrap(m), nil, nil
	}
}

// dropTags loses every tag.
type dropTags struct{ opentracing.Tracer }

func (d dropTags) StartSpan(op string, opts ...opentracing.StartSpanOption) opentracing.Span {
	var so opentracing.StartSpanOptions
	for _, o := range opts {
		o.Apply(&so)
	}
	refs := make([]opentracing.StartSpanOption, 0, len(so.References))
	for _, r := range so.References {
		refs = append(refs, r)
	}
	return tagless{d.Tracer.StartSpan(op, refs...)}
}

type tagless struct{ opentracing.Span }

func (s tagless) SetTag(string, any) opentracing.Span { return s }

// dropParents makes every span a root.
type dropParents struct{ opentracing.Tracer }

func (d dropParents) StartSpan(op string, opts ...opentracing.StartSpanOption) opentracing.Span {
	var so opentracing.StartSpanOptions
	for _, o := range opts {
		o.Apply(&so)
	}
	return d.Tracer.StartSpan(op, opentracing.Tags(so.Tags))
}

// lossyQueue holds finished spans until Close, which sends only the first 100.
type lossyQueue struct {
	*mock.Tracer
	mu      sync.Mutex
	pending []func()
}

func (q *lossyQueue) StartSpan(op string, opts ...opentracing.StartSpanOption) opentracing.Span {
	return &queuedSpan{Span: q.Tracer.StartSpan(op, opts...), q: q}
}

type queuedSpan struct {
	opentracing.Span
	q *lossyQueue
}

func (s *queuedSpan) Finish() {
	end := time.Now()
	s.q.mu.Lock()
	s.q.pending = append(s.q.pending, func() { s.Span.FinishWithOptions(opentracing.FinishOptions{FinishTime: end}) })
	s.q.mu.Unlock()
}

func (q *lossyQueue) shutdown(context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, f := range q.pending {
		if i == 100 {
			break
		}
		f()
	}
	q.pending = nil
	return nil
}

// brokenEnv names the broken backend a subprocess of this test binary runs
// the suite against.
const brokenEnv = "TRACEPLUG_CONFORMANCE_BROKEN"

// TestSuiteFailsOnBrokenBackends runs the suite against each broken backend
// in a subprocess and checks that exactly the properties the bug breaks fail.
//
// In the subprocess (brokenEnv set) the same test is the suite itself, run
// against the broken backend.
func TestSuiteFailsOnBrokenBackends(t *testing.T) {
	if name := os.Getenv(brokenEnv); name != "" {
		h := mocktest.Harness()
		h.Name, h.Backend = name, name
		lacks := maps.Clone(h.Lacks)
		if lacks == nil {
			lacks = map[conformance.Capability]string{}
		}
		maps.Copy(lacks, brokenLacks[name])
		h.Lacks = lacks
		conformance.Run(t, h)
		return
	}
	for _, tc := range []struct {
		backend  string
		mustFail []string
		mustPass []string
		mustSkip []string // for what the harness declares lacking
	}{
		{
			backend:  "broken-droptags",
			mustFail: []string{"trace_all", "decorator_only", "traced_attributes", "redaction", "get_span", "two_services", "status", "panic", "concurrency", "flush"},
			mustPass: []string{"child_spans", "incoming_context", "baggage", "operation_names", "logs", "process_tags", "timing", "sample_rate_zero"},
			mustSkip: coreSampling,
		},
		{
			backend:  "broken-parents",
			mustFail: []string{"child_spans", "incoming_context", "two_services", "baggage", "b3"},
			mustPass: []string{"trace_all", "decorator_only", "traced_attributes", "redaction", "get_span", "status", "panic", "flush", "concurrency", "malformed_headers"},
			mustSkip: coreSampling,
		},
		{
			backend:  "broken-close",
			mustFail: []string{"flush", "concurrency"},
			mustPass: []string{"trace_all", "traced_attributes", "get_span", "child_spans", "two_services", "status", "panic", "timing"},
		},
	} {
		t.Run(tc.backend, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestSuiteFailsOnBrokenBackends$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), brokenEnv+"="+tc.backend)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a broken backend:\n%s", out)
			}
			checkResults(t, tc.backend, string(out), "TestSuiteFailsOnBrokenBackends", tc.mustFail, tc.mustPass, tc.mustSkip)
		})
	}
}

// checkResults reads the results of test's top-level subtests (the
// properties) in out, a subprocess's verbose output, and checks that each
// property of mustFail failed, of mustPass passed and of mustSkip was
// skipped; it logs which failed, under name.
func checkResults(t *testing.T, name, out, test string, mustFail, mustPass, mustSkip []string) {
	t.Helper()
	line := regexp.MustCompile(`(?m)^\s*--- (PASS|FAIL|SKIP): ` + regexp.QuoteMeta(test) + `/([a-z0-9_]+) `)
	results := map[string]string{}
	for _, m := range line.FindAllStringSubmatch(out, -1) {
		results[m[2]] = m[1]
	}
	if len(results) == 0 {
		t.Fatalf("no subtest results in the subprocess output:\n%s", out)
	}
	for want, props := range map[string][]string{"FAIL": mustFail, "PASS": mustPass, "SKIP": mustSkip} {
		for _, p := range props {
			if results[p] != want {
				t.Errorf("property %s: %q, want %s", p, results[p], want)
			}
		}
	}
	var failed []string
	for p, r := range results {
		if r == "FAIL" {
			failed = append(failed, p)
		}
	}
	sort.Strings(failed)
	t.Logf("%s fails: %s", name, strings.Join(failed, ", "))
}
