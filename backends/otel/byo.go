package otel

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/trace"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/internal/redact"
)

// This file holds the backend over a tracer provider that the application
// gives ([WithTracerProvider], [NewWithProvider]) in place of the backend's
// own pipeline (SDK provider, span processor, OTLP client).

// paramProvider is the param, a Go value (core.WithParamValue), through
// which [WithTracerProvider] hands its provider to the factory.
const paramProvider = "tracer_provider"

// WithTracerProvider makes the otel backend trace over tp, an OpenTelemetry
// tracer provider the application has set up already (an
// sdktrace.TracerProvider with its own processors, sampler, resource and
// exporters, or any other), instead of building its own pipeline:
//
//	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
//	defer tp.Shutdown(ctx) // the application's to shut down, after the Tracer's Close
//	tracer, err := core.New("otel", otel.WithTracerProvider(tp), core.WithTraceAll(true))
//
// It is for [core.New] and [core.FromEnv] (with the backend "otel"): the
// param tracer_provider, given as a Go value ([core.WithParamValue]), which
// [New] reads from the config they build; any other backend rejects it as
// an unknown param. A tracer for [core.Wrap] is built with
// [NewWithProvider]. What the backend does then, and the settings that
// conflict with it, are as NewWithProvider says. A nil tp is an error from
// core.New.
func WithTracerProvider(tp trace.TracerProvider) core.Option {
	return core.WithParamValue(paramProvider, tp)
}

// givenProvider returns the provider cfg holds, if any (ok), or the error
// that the param holds something else.
func givenProvider(cfg backend.Config) (tp trace.TracerProvider, ok bool, err error) {
	if _, text := cfg.Param(paramProvider); text {
		return nil, true, backend.BadOptionf("otel: param %q is a tracer provider, which text cannot hold: give it with otel.WithTracerProvider, not with WithParam or TRACEPLUG_PARAMS", paramProvider)
	}
	v, ok := cfg.Value(paramProvider)
	if !ok {
		return nil, false, nil
	}
	tp, _ = v.(trace.TracerProvider)
	if isNil(tp) {
		return nil, true, backend.BadOptionf("otel: WithTracerProvider(nil): give the tracer provider to trace over, or leave the option out for the backend's own OTLP pipeline")
	}
	return tp, true, nil
}

// NewWithProvider builds a tracer that traces over tp, an OpenTelemetry
// tracer provider the application has set up, without the registry (for
// [core.Wrap]; [WithTracerProvider] is the option for [core.New]). The
// backend builds no pipeline of its own: no SDK provider, no span
// processor, no OTLP client, no goroutine; it reads none of the OTLP
// endpoint, exporter, batch or resource settings (the OTEL_EXPORTER_OTLP_*,
// OTEL_BSP_*, OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES variables are
// the provider's to read, if it does).
//
// Spans are started through tp, with the instrumentation scope
// github.com/traceplug/traceplug (traceplug's middleware, transport and
// gRPC instrumentation, and OpenTracing code), so that tp's sampler,
// processors and exporters see them, and the spans look as they do on the
// backend's own pipeline: names, kinds, attributes, events, status, links
// and parents. [Tracer.TracerProvider], the globals of core.WithGlobal,
// propagation, baggage and the contexts OpenTelemetry code meets are as the
// package documentation says, over tp.
//
// Sampling: core decides first, as on every backend. A request whose trace
// core does not sample records nothing and never reaches tp; OpenTelemetry
// code under it sees an unsampled parent, which tp's sampler follows if it
// is parent-based (the SDK's default sampler is). A trace core samples is
// started through tp, whose sampler has the last word: for a new trace it
// sees a root (its parent context holds core's trace id and sampled flag,
// but no span id, so ParentBased asks its root sampler), and for an
// incoming one the caller's span as a remote parent. With the SDK's
// default, ParentBased(AlwaysSample()), every span core samples is
// sampled; a root sampler that drops some (TraceIDRatioBased) samples
// core's sampled traces again, and a span it drops is not recording and
// propagates its trace unsampled.
//
// Accounting: [Tracer.BackendStats] counts nothing (the provider's
// exporters deliver and drop spans out of traceplug's sight), so core's
// Stats has no Reported, Dropped nor Pending from this backend; its
// Started, Finished and Sampling counts are as on any backend.
//
// Shutdown: the application owns tp. [Tracer.Shutdown] and [Tracer.Close]
// never shut it down: they call its ForceFlush(ctx) if it has one (as
// *sdktrace.TracerProvider does), so that the spans traceplug finished are
// exported when Close returns, and return its error. Spans that finish
// later still go to tp, which the application shuts down after the Tracer.
//
// Settings that only the backend's own pipeline reads conflict with tp: an
// endpoint (WithEndpoint, TRACEPLUG_ENDPOINT), every param of the pipeline
// (protocol, headers, compression, the certificates, queue_size,
// batch_size, export_interval, export_timeout), and the resource: a service name chosen in code or in
// TRACEPLUG_SERVICE_NAME, and tags (WithTag, TRACEPLUG_TAGS). Any of them is
// an error wrapping [backend.ErrBadOption] that names them (never a
// param's value), rather than a setting silently ignored: the resource and
// the exporter are tp's to configure. The propagation formats
// (WithPropagation, else OTEL_PROPAGATORS) are read as always.
//
// A nil tp is an error, and so is the provider that otel.GetTracerProvider
// returns while a Tracer of the backend is global (the backend's forwarder,
// which would start spans with the Tracer itself).
func NewWithProvider(cfg backend.Config, tp trace.TracerProvider) (*Tracer, error) {
	if _, _, err := givenProvider(cfg); err != nil {
		return nil, err
	}
	if _, ok := cfg.Value(paramProvider); ok {
		return nil, backend.BadOptionf("otel: NewWithProvider with param %q (otel.WithTracerProvider): give the provider once", paramProvider)
	}
	return newWithProvider(cfg, tp)
}

func newWithProvider(cfg backend.Config, tp trace.TracerProvider) (*Tracer, error) {
	switch {
	case isNil(tp):
		return nil, backend.BadOptionf("otel: NewWithProvider: the tracer provider is nil: give the provider to trace over, or use New for the backend's own OTLP pipeline")
	case tp == trace.TracerProvider(&global.provider):
		return nil, backend.BadOptionf("otel: the tracer provider given is the backend's global forwarder (otel.GetTracerProvider while a Tracer built WithGlobal is live), which starts spans with that Tracer: give the application's own provider (an sdktrace.TracerProvider)")
	}
	if err := checkProviderConfig(cfg); err != nil {
		return nil, err
	}
	s := &settings{}
	if err := s.readPropagators(cfg); err != nil {
		return nil, err
	}
	t := &Tracer{propagator: s.propagator, native: s.native, given: tp}
	var err error
	if t.prop, err = backend.NewPropagator(cfg, t); err != nil {
		return nil, err
	}
	t.sdk = tp.Tracer(scopeName)
	t.provider = &tracerProvider{t: t, inner: tp}
	return t, nil
}

// checkProviderConfig returns an error naming the settings of cfg that a
// tracer over a given provider cannot honour, or a param it does not know.
func checkProviderConfig(cfg backend.Config) error {
	if err := cfg.CheckParams("otel", append(slices.Clone(params), paramProvider)...); err != nil {
		return err
	}
	var conflicts []string
	if cfg.Endpoint != "" {
		conflicts = append(conflicts, fmt.Sprintf("the endpoint %q (WithEndpoint, TRACEPLUG_ENDPOINT)", redact.Endpoint(cfg.Endpoint)))
	}
	var set []string
	for _, p := range params {
		if _, ok := cfg.Param(p); ok {
			set = append(set, fmt.Sprintf("%q", p)) // the name only: headers hold credentials
		}
	}
	if len(set) > 0 {
		conflicts = append(conflicts, "the params "+strings.Join(set, ", "))
	}
	if cfg.ServiceNameSet {
		conflicts = append(conflicts, fmt.Sprintf("the service name %q (WithServiceName, TRACEPLUG_SERVICE_NAME)", cfg.ServiceName))
	}
	if len(cfg.Tags) > 0 {
		keys := make([]string, 0, len(cfg.Tags))
		for k := range cfg.Tags {
			keys = append(keys, fmt.Sprintf("%q", k))
		}
		slices.Sort(keys)
		conflicts = append(conflicts, "the tags "+strings.Join(keys, ", ")+" (WithTag, TRACEPLUG_TAGS)")
	}
	if len(conflicts) == 0 {
		return nil
	}
	return backend.BadOptionf("otel: with a tracer provider given in code (WithTracerProvider), %s would be ignored: the provider's own exporters send its spans, and its resource names the service; configure them on the provider (its exporter's options, sdktrace.WithResource), or leave WithTracerProvider out for the backend's own OTLP pipeline",
		strings.Join(conflicts, "; "))
}

// flushGiven flushes tp, the provider given in code, if it can be flushed;
// it never shuts it down (the application owns it).
func flushGiven(ctx context.Context, tp trace.TracerProvider) error {
	f, ok := tp.(interface{ ForceFlush(context.Context) error })
	if !ok {
		return nil
	}
	if err := f.ForceFlush(ctx); err != nil {
		return fmt.Errorf("otel: flushing the tracer provider given in code: %w", err)
	}
	return nil
}

// isNil reports whether tp is nil, or a nil pointer (or other nil value)
// that would panic at its first call.
func isNil(tp trace.TracerProvider) bool {
	if tp == nil {
		return true
	}
	switch v := reflect.ValueOf(tp); v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		return v.IsNil()
	}
	return false
}
