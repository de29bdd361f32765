package conformance

import (
	"net/http"
	"testing"

	"github.com/traceplug/traceplug/core"
)

// Harness describes a backend to the suite.
type Harness struct {
	// Name names the run in test output, such as "jaeger/udp".
	Name string
	// Backend is the name the backend registered with core.Register.
	Backend string
	// Start starts a fresh collector for one subtest, listening on 127.0.0.1,
	// and arranges with t.Cleanup for it to stop. It is called once per
	// property.
	Start func(t *testing.T) Collector
	// Options are added to every tracer the suite builds, after the
	// collector's own (params a transport needs, say).
	Options []core.Option
	// Lacks lists the capabilities the backend does not have, each with the
	// reason; the checks that need one are skipped, printing the reason.
	Lacks map[Capability]string
	// FoldsNames says the wire format lower-cases operation names (Zipkin's
	// v2 model does), so the suite compares names without regard to case.
	FoldsNames bool
	// QueueSize returns the options that size the backend's queues for n
	// spans, for tests that send bursts (faults_test); nil for a backend that
	// queues nothing.
	QueueSize func(n int) []core.Option
	// Lossy says the transport may lose spans it sent without knowing (UDP,
	// whose receiver's kernel drops datagrams when busy).
	Lossy bool
	// MalformedHeaders are broken incoming span contexts in the backend's own
	// propagation format; each must start a new root trace while the request
	// is served normally. The suite adds generic ones of its own.
	MalformedHeaders []Malformed
}

// Malformed is one broken incoming span context.
type Malformed struct {
	Name   string
	Header http.Header
}

// Collector is one running in-process collector.
type Collector interface {
	// Options point a tracer at this collector (its endpoint, usually).
	Options() []core.Option
	// Spans returns the spans decoded so far, in arrival order. It must be
	// safe to call while spans arrive.
	Spans() []Span
}

// ErrorReporter is implemented by a Collector that keeps what it failed to
// decode, so that a span lost to a bad encoding fails the suite with the
// decoder's error rather than looking merely missing.
type ErrorReporter interface {
	// Errors returns the decoding errors so far.
	Errors() []error
}

// Capability is a feature of a backend that some checks need.
type Capability string

// The capabilities a backend may lack.
const (
	// Baggage: baggage items set on a span travel to the next service.
	Baggage Capability = "baggage"
	// Logs: span logs reach the collector with their fields.
	Logs Capability = "logs"
	// B3: WithPropagation("b3") makes the backend speak Zipkin's B3 headers.
	B3 Capability = "b3 propagation"
	// TraceID128: the backend's span contexts hold 128-bit trace ids, so a
	// trace that arrives with one continues under it.
	TraceID128 Capability = "128-bit trace ids"
	// TraceState: the backend's span contexts hold W3C tracestate and pass it
	// on unchanged.
	TraceState Capability = "tracestate"
	// Accounting: the backend's tracer counts what it reports and drops
	// (backend.StatsReporter), so that Stats accounts for every span.
	Accounting Capability = "accounting"
	// UnsampledPropagation: a trace that is not sampled still sends trace
	// headers to the next service, so that it can honour the decision.
	UnsampledPropagation Capability = "unsampled propagation"
	// CoreSampling: core decides which traces the backend records (its
	// tracer is a backend.SpanContextCodec), so that a caller's decision in any
	// format, samplers, rules, rate limits and forced sampling apply on it as
	// on every backend. A backend without it samples by itself.
	CoreSampling Capability = "core sampling"
)
