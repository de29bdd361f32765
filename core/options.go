package core

import (
	"errors"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/propagation"
	"github.com/traceplug/traceplug/sampling"
)

// An Option configures a [Tracer]; pass options to [New], [FromEnv] or [Wrap].
// Options are applied in order, so a later option overrides an earlier one,
// except list options, which append.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// config is the unexported settings an Option writes. newConfig turns it into
// the frozen settings of a Tracer.
type config struct {
	serviceName    string
	serviceNameSet bool
	endpoint       string
	sampleRate     float64
	sampleRateSet  bool
	tags           map[string]string
	params         map[string]string
	values         map[string]any // WithParamValue
	propagation    string
	traceAll       bool
	attributes     []string
	opName         func(*http.Request) string
	filter         func(*http.Request) bool
	observer       func(opentracing.Span, *http.Request)
	global         bool
	responseSize   bool
	conventions    string // "" for the backend's own; see WithConventions
	redactHeaders  []string
	redactQuery    []string
	maxTagLen      int
	maxBagItems    int
	maxBagBytes    int
	maxHeaders     int
	logger         *slog.Logger

	allowHeaders []string // nil: every header's value is tagged; see WithTaggedHeaders
	recorder     Recorder // nil: nothing recorded; see WithRecorder
	errs         []error  // invalid options, reported by newConfig

	public publicPolicy // which requests come to a public endpoint: see public.go

	backend        string // WithBackend or TRACEPLUG_BACKEND, for FromEnv
	backendFromEnv bool

	// Sampling: see sampling.go.
	sampler         sampling.Sampler // nil: from the environment
	samplerExplicit bool             // WithSampler, not WithSampleRate
	rules           []sampling.Rule
	rulesSet        bool
	forced          float64
	forcedSet       bool
	now             func() time.Time // nil: time.Now
}

// WithServiceName sets the name of the traced service, as the backend shows it.
// The default is the program's file name. An empty name leaves the default.
func WithServiceName(name string) Option {
	return optionFunc(func(c *config) {
		if name != "" {
			c.serviceName, c.serviceNameSet = name, true
		}
	})
}

// WithEndpoint sets where the backend sends spans, in the form the backend
// documents (for example "udp://127.0.0.1:6831" for jaeger's agent). Empty
// leaves the backend's default.
func WithEndpoint(endpoint string) Option {
	return optionFunc(func(c *config) {
		if endpoint != "" {
			c.endpoint = endpoint
		}
	})
}

// WithSampleRate sets the fraction of new traces sampled, from 0 (none) to 1
// (all, the default): [WithSampler] with
// sampling.ParentBased(sampling.TraceIDRatio(rate)), decided on the trace id
// so that services at one rate keep the same traces. Traces continued from
// an incoming request follow the caller's decision. A rate outside [0, 1] is
// an error from [New].
func WithSampleRate(rate float64) Option {
	return optionFunc(func(c *config) {
		if math.IsNaN(rate) || rate < 0 || rate > 1 {
			c.errs = append(c.errs, backend.BadOptionf("traceplug: WithSampleRate(%v): the rate must be from 0 to 1", rate))
			return
		}
		c.sampleRate, c.sampleRateSet = rate, true
		c.sampler = sampling.ParentBased(sampling.TraceIDRatio(rate))
	})
}

// WithTag adds a process-level tag, sent with every span (or with the process,
// where the backend's model has one). Later tags with the same key win.
func WithTag(key, value string) Option {
	return optionFunc(func(c *config) {
		if key == "" {
			c.errs = append(c.errs, backend.BadOptionf("traceplug: WithTag: empty key"))
			return
		}
		if c.tags == nil {
			c.tags = make(map[string]string)
		}
		c.tags[key] = value
	})
}

// WithParam sets a backend-specific param, like django_opentracing's
// OPENTRACING_TRACER_PARAMETERS. Each backend documents the params it knows and
// rejects others, so a misspelt key is an error from [New], never ignored.
func WithParam(key, value string) Option {
	return optionFunc(func(c *config) {
		if key == "" {
			c.errs = append(c.errs, backend.BadOptionf("traceplug: WithParam: empty key"))
			return
		}
		if c.params == nil {
			c.params = make(map[string]string)
		}
		c.params[key] = value
	})
}

// WithParamValue sets a backend-specific param whose value is a Go value
// rather than text: an object the application built (the otel backend's
// tracer provider, say), which no environment variable can hold. A backend
// usually offers its own option for it (otel.WithTracerProvider), made
// with this one. Params set with WithParam and WithParamValue share one
// namespace: each backend documents the ones it knows and rejects others,
// so a misspelt key is an error from [New], never ignored.
func WithParamValue(key string, value any) Option {
	return optionFunc(func(c *config) {
		if key == "" {
			c.errs = append(c.errs, backend.BadOptionf("traceplug: WithParamValue: empty key"))
			return
		}
		if c.values == nil {
			c.values = make(map[string]any)
		}
		c.values[key] = value
	})
}

// WithPropagation sets the wire formats of span contexts in HTTP headers, as
// a comma-separated list in the vocabulary of OpenTelemetry's
// OTEL_PROPAGATORS: "tracecontext" (W3C traceparent and tracestate),
// "baggage" (the W3C baggage header), "b3" (Zipkin's single b3 header),
// "b3multi" (Zipkin's X-B3-* headers), "jaeger" (uber-trace-id and uberctx-*)
// and "ottrace" (ot-tracer-* and ot-baggage-*, lightstep's). "" means the
// backend's native format (the default: jaeger for jaeger, b3multi for zipkin,
// ottrace for lightstep, tracecontext,baggage for otel and mock). Every
// built-in backend speaks every format.
//
// Extraction continues the first valid span context among the listed formats,
// in order; injection writes them all. So a fleet moves from one format to
// another service by service without a broken trace: read both and write both
// ("jaeger,tracecontext,baggage"), then drop the old one once every service
// reads the new. Both b3 and b3multi read both B3 forms. See package
// [github.com/traceplug/traceplug/propagation] for what each format carries.
//
// An unknown or repeated name is an error from [New] and [Wrap] that lists the
// valid names.
func WithPropagation(list string) Option {
	return optionFunc(func(c *config) {
		if strings.TrimSpace(list) == "" {
			c.propagation = ""
			return
		}
		p, err := propagation.Parse(list)
		if err != nil {
			c.errs = append(c.errs, backend.BadOptionf("traceplug: WithPropagation(%q): %w", capString(list, 200), err))
			return
		}
		c.propagation = p.String()
	})
}

// WithTraceAll sets whether [Tracer.Middleware] traces every request (true) or
// passes requests through so that only handlers wrapped by [Tracer.Trace] are
// traced (false, the default, as in django_opentracing).
func WithTraceAll(on bool) Option {
	return optionFunc(func(c *config) { c.traceAll = on })
}

// WithTracedAttributes adds request attributes to tag every span
// [Tracer.Middleware] makes with; see [TracedAttributes] for the names. An
// unknown name is an error from [New] or [Wrap] that lists the valid names
// and suggests the closest ("did you mean").
func WithTracedAttributes(names ...string) Option {
	return optionFunc(func(c *config) {
		for _, n := range names {
			if _, ok := findAttribute(n); !ok {
				c.errs = append(c.errs, unknownAttribute("traceplug: WithTracedAttributes: ", n))
				continue
			}
			c.attributes = append(c.attributes, n)
		}
	})
}

// WithOperationName sets the function that names server spans, replacing the
// default ("METHOD pattern" once [http.ServeMux] has routed the request, else
// "HTTP METHOD"; the handler's function name for [Tracer.Trace]). It is called
// when the span starts, before any router inside the middleware has run, so
// r.Pattern is set only for handlers wrapped inside the router. If it panics or
// returns "", the default name is used. nil leaves the default.
func WithOperationName(f func(r *http.Request) string) Option {
	return optionFunc(func(c *config) {
		if f != nil {
			c.opName = f
		}
	})
}

// WithFilter sets a function that decides, per request, whether it is traced:
// requests for which it returns false are served without a span (health
// checks, for example). nil traces every request.
func WithFilter(f func(r *http.Request) bool) Option {
	return optionFunc(func(c *config) { c.filter = f })
}

// WithSpanObserver sets a function called with each server span just after it
// starts, before the handler runs, to add tags or logs. A panic in it is
// recovered: it never breaks the request.
func WithSpanObserver(f func(span opentracing.Span, r *http.Request)) Option {
	return optionFunc(func(c *config) { c.observer = f })
}

// WithGlobal makes the tracer the one that opentracing's global tracer
// ([opentracing.GlobalTracer], which [opentracing.StartSpanFromContext] and
// other OpenTracing instrumentation use) starts spans with, from when it is
// built until it is shut down. The last Tracer built WithGlobal wins; once it
// is shut down, the global tracer traces nothing (as opentracing's no-op
// tracer), until another Tracer is built WithGlobal.
//
// OpenTracing's global variable has no lock, so traceplug writes it only
// once per process, when the first Tracer WithGlobal is built, with a
// forwarder of its own; after that it switches tracers inside the forwarder,
// safely while requests read it. So build the first such Tracer before
// anything reads the global tracer (at start-up, as usual), and expect
// [opentracing.GlobalTracer] to return that forwarder rather than the Tracer.
//
// A backend with globals of its own ([Globalizer]) sets them too, and at
// Shutdown puts back those still its own: on the otel backend,
// OpenTelemetry's tracer provider and propagator, so that OpenTelemetry code
// (otel.Tracer, otelhttp, otelgrpc) joins the request's trace with no other
// set-up (see its package documentation).
func WithGlobal() Option {
	return optionFunc(func(c *config) { c.global = true })
}

// WithLogger sets where the backend logs what goes wrong away from requests,
// such as a collector that is down or refuses spans: nil, the default, is
// the standard [log] package. Backends hold back repeats of an error (one
// line every few seconds, saying how many were held back) so that an outage
// cannot flood the log. (Nothing is logged on the request path; what the
// backend dropped is counted in [Tracer.Stats] either way.)
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.logger = l })
}

// WithRecorder gives the Tracer a [Recorder], which receives a summary of
// each span the Tracer finishes (see Recorder for which): a debug page's
// recorder, such as package github.com/traceplug/traceplug/debugpage's. The
// Tracer keeps it for its lifetime. Without one (nil, the default), the
// request path pays a nil check per span; with one, the Recorder's own cost,
// plus one allocation per client span and per span started through
// [Tracer.StartSpan] (which then returns a wrapper of the backend's span, so
// that its end is seen: a type assertion to the backend's span type fails on
// it; [Tracer.Unwrap]'s tracer starts unwrapped spans).
func WithRecorder(r Recorder) Option {
	return optionFunc(func(c *config) { c.recorder = r })
}

// WithResponseSize sets whether server spans carry the number of response body
// bytes written, as the tag "http.response_size" (default false). Bytes sent
// through io.ReaderFrom (as [http.ServeContent] and io.Copy do) are counted.
func WithResponseSize(on bool) Option {
	return optionFunc(func(c *config) { c.responseSize = on })
}

// WithRedactedHeaders adds header names to redact in traced attributes. A
// header is redacted when its lower-cased name contains an entry, lower-cased.
// The defaults ([DefaultRedactedHeaders]) always apply: the list only grows.
func WithRedactedHeaders(substrings ...string) Option {
	return optionFunc(func(c *config) { c.redactHeaders = append(c.redactHeaders, lowerAll(substrings)...) })
}

// WithRedactedQueryKeys adds query parameter names whose values are redacted in
// http.url and in traced attributes. A key is redacted when its lower-cased
// name contains an entry, lower-cased. The defaults ([DefaultRedactedQueryKeys])
// always apply: the list only grows.
func WithRedactedQueryKeys(substrings ...string) Option {
	return optionFunc(func(c *config) { c.redactQuery = append(c.redactQuery, lowerAll(substrings)...) })
}

// WithMaxTagLength caps the length in bytes of every string traceplug writes
// into a span: traced attributes' values, operation names (a user's
// [WithOperationName] too), methods, URLs and extraction errors; longer
// values are cut and end in "..." (the ellipsis itself cut to fit, so any
// n >= 1 works). The default is [DefaultMaxTagLength]; n <= 0 leaves it.
func WithMaxTagLength(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.maxTagLen = n
		}
	})
}

// WithTaggedHeaders restricts the headers whose values the Header, headers and
// META attributes tag (and instrument.TagValue returns) to names, matched without
// regard to case: an explicit allowlist, as OpenTelemetry's HTTP conventions ask
// for captured headers. Other headers keep their names, with the value
// "REDACTED". The redaction list ([WithRedactedHeaders]) and the checks of
// values (JWTs, credentials, secrets in URLs) apply to allowed headers too.
// Without it every header is tagged, redacted as [DefaultRedactedHeaders] says.
// Calls append; WithTaggedHeaders() with no names tags no header's value.
func WithTaggedHeaders(names ...string) Option {
	return optionFunc(func(c *config) {
		if c.allowHeaders == nil {
			c.allowHeaders = []string{}
		}
		for _, n := range names {
			if n = strings.TrimSpace(n); n != "" {
				c.allowHeaders = append(c.allowHeaders, n)
			}
		}
	})
}

// WithBaggageLimits bounds the baggage an incoming request may carry: at
// most items items and bytes bytes (names and values), in any propagation
// format; the excess is dropped before the trace context is read, and
// counted in [Stats]. The defaults are [DefaultMaxBaggageItems] and
// [DefaultMaxBaggageBytes]; a value <= 0 leaves its default.
func WithBaggageLimits(items, bytes int) Option {
	return optionFunc(func(c *config) {
		if items > 0 {
			c.maxBagItems = items
		}
		if bytes > 0 {
			c.maxBagBytes = bytes
		}
	})
}

// WithMaxTaggedHeaders caps how many headers the Header, headers and META
// attributes render (sorted by name; the rest are counted in a "..." entry).
// The default is [DefaultMaxTaggedHeaders]; n <= 0 leaves it.
func WithMaxTaggedHeaders(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.maxHeaders = n
		}
	})
}

// DefaultMaxTaggedHeaders is the default of [WithMaxTaggedHeaders].
const DefaultMaxTaggedHeaders = 64

// DefaultMaxTagLength is the default cap on tag values made from request
// attributes; see [WithMaxTagLength].
const DefaultMaxTagLength = 1024

// newConfig applies opts over the defaults and checks the result.
func newConfig(opts []Option) (*config, error) {
	c := &config{
		serviceName:   defaultServiceName(),
		sampleRate:    1,
		maxTagLen:     DefaultMaxTagLength,
		maxBagItems:   DefaultMaxBaggageItems,
		maxBagBytes:   DefaultMaxBaggageBytes,
		maxHeaders:    DefaultMaxTaggedHeaders,
		redactHeaders: DefaultRedactedHeaders(),
		redactQuery:   DefaultRedactedQueryKeys(),
	}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	return c, nil
}

// backendConfig is the Config a Factory receives, with copies of the maps so
// that a backend cannot change the tracer's settings.
func (c *config) backendConfig() backend.Config {
	return backend.Config{
		ServiceName: c.serviceName,
		Endpoint:    c.endpoint,
		SampleRate:  c.sampleRate,
		Tags:        copyMap(c.tags),
		Params:      copyMap(c.params),
		Values:      maps.Clone(c.values),
		Propagation: c.propagation,
		Logger:      c.logger,

		ServiceNameSet: c.serviceNameSet,
		SampleRateSet:  c.sampleRateSet,
	}
}

func defaultServiceName() string {
	if len(os.Args) > 0 && os.Args[0] != "" {
		return strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe")
	}
	return "unknown_service"
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func lowerAll(list []string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
			out = append(out, s)
		}
	}
	return out
}
