package zipkin

import (
	"math/rand/v2"
	"sync"

	"github.com/opentracing/opentracing-go"
	zipkinot "github.com/openzipkin-contrib/zipkin-go-opentracing"
	zipkin "github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/idgenerator"
	"github.com/openzipkin/zipkin-go/model"
)

// This file holds the roots of traces that core began: core takes a new
// trace's sampling decision on a trace id of its own and imports it with no
// span id (see Tracer.ImportSpanContext); the span started from that context
// is the trace's root.
//
// zipkin-go starts a root only with a trace id of its tracer's ID generator:
// given a parent with a trace id, it starts a child (with a parent id, 0
// here), or with shared_spans a server span that takes the parent's span id.
// So roots are started by tracers of the same options whose generator gives
// the trace id core chose, from a parent that carries only the decision (the
// path zipkin-go takes for a B3 header with a decision and no ids). Such a
// tracer's generator is set for one start at a time; they are pooled.

// rootTracers are the tracers that start the roots of traces core began.
type rootTracers struct {
	rep      *reporter
	opts     []zipkin.TracerOption // the Tracer's own zipkin-go options
	fallback opentracing.Tracer    // the Tracer's own
	pool     sync.Pool             // of *rootTracer
}

// rootTracer is zipkin-go-opentracing's tracer over a zipkin-go tracer
// whose ID generator is ids.
type rootTracer struct {
	ot  opentracing.Tracer
	ids *rootIDs
}

// newRootTracers returns the root tracers for a Tracer of zipkin-go options
// opts, reporting to rep, whose own zipkin-go-opentracing tracer is ot.
func newRootTracers(rep *reporter, opts []zipkin.TracerOption, ot opentracing.Tracer) (*rootTracers, error) {
	r := &rootTracers{rep: rep, opts: opts, fallback: ot}
	first, err := r.new()
	if err != nil {
		return nil, err
	}
	r.pool.Put(first)
	return r, nil
}

func (r *rootTracers) new() (*rootTracer, error) {
	ids := new(rootIDs)
	// WithIDGenerator last: WithTraceID128Bit sets a generator too.
	zt, err := zipkin.NewTracer(r.rep, append(r.opts[:len(r.opts):len(r.opts)], zipkin.WithIDGenerator(ids))...)
	if err != nil {
		return nil, err
	}
	return &rootTracer{ot: zipkinot.Wrap(zt), ids: ids}, nil
}

// start starts the root span of the trace id with opts, whose first
// reference is to a context with no trace id that holds the decision.
func (r *rootTracers) start(id model.TraceID, op string, opts []opentracing.StartSpanOption) opentracing.Span {
	rt, _ := r.pool.Get().(*rootTracer)
	if rt == nil {
		var err error
		if rt, err = r.new(); err != nil {
			// Cannot happen (these options made the first root tracer);
			// were it to, the root would get a trace id of zipkin-go's.
			return r.fallback.StartSpan(op, opts...)
		}
	}
	rt.ids.traceID = id
	s := rt.ot.StartSpan(op, opts...)
	rt.ids.traceID = model.TraceID{}
	r.pool.Put(rt)
	return s
}

// rootIDs is the ID generator of a root tracer: the trace id it is set to,
// and random span ids.
type rootIDs struct{ traceID model.TraceID }

var _ idgenerator.IDGenerator = (*rootIDs)(nil)

func (g *rootIDs) TraceID() model.TraceID { return g.traceID }

func (g *rootIDs) SpanID(model.TraceID) model.ID {
	for {
		if id := rand.Uint64(); id != 0 {
			return model.ID(id)
		}
	}
}

// isNewTrace reports whether c is a new trace's context: a trace id and no
// span id.
func isNewTrace(c zipkinot.SpanContext) bool { return !c.TraceID.Empty() && c.ID == 0 }

// decisionOnly returns c's sampling decision alone, as a parent from which
// zipkin-go starts a root.
func decisionOnly(c zipkinot.SpanContext) zipkinot.SpanContext {
	return zipkinot.SpanContext{Sampled: c.Sampled, Debug: c.Debug}
}
