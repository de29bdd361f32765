package core

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/propagation"
)

// The environment variables [FromEnv] reads.
const (
	// EnvBackend names the backend, as registered ("jaeger", "zipkin", "mock",
	// "none", ...). Required by FromEnv.
	EnvBackend = "TRACEPLUG_BACKEND"
	// EnvServiceName is the service name ([WithServiceName]).
	EnvServiceName = "TRACEPLUG_SERVICE_NAME"
	// EnvEndpoint is where spans go, in the backend's form ([WithEndpoint]).
	EnvEndpoint = "TRACEPLUG_ENDPOINT"
	// EnvSampleRate is the sample rate, a number from 0 to 1: the sampler
	// parentbased_traceidratio at that rate. Like the other sampling variables
	// ([EnvSampler]), [New] reads it too, below options in code; it cannot be
	// set together with TRACEPLUG_SAMPLER. NaN is rejected.
	EnvSampleRate = "TRACEPLUG_SAMPLE_RATE"
	// EnvTraceAll is "true" or "false", in any case ([WithTraceAll]); nothing
	// else (not 1 or 0).
	EnvTraceAll = "TRACEPLUG_TRACE_ALL"
	// EnvTracedAttributes is a comma-separated list of attribute names
	// ([WithTracedAttributes]).
	EnvTracedAttributes = "TRACEPLUG_TRACED_ATTRIBUTES"
	// EnvPropagation is the propagation format, e.g. "b3" ([WithPropagation]).
	EnvPropagation = "TRACEPLUG_PROPAGATION"
	// EnvParams holds backend params as comma-separated key=value pairs, e.g.
	// "queue_size=1000,flush_interval=1s" ([WithParam]).
	EnvParams = "TRACEPLUG_PARAMS"
	// EnvTags holds process tags as comma-separated key=value pairs, e.g.
	// "env=prod,region=eu" ([WithTag]).
	EnvTags = "TRACEPLUG_TAGS"
	// EnvConventions is the spans' semantic conventions, "opentracing",
	// "opentelemetry" or "both", in any case ([WithConventions]); unset or
	// empty, the backend's own.
	EnvConventions = "TRACEPLUG_CONVENTIONS"
	// EnvPublicEndpoint is "true" or "false", in any case
	// ([WithPublicEndpoint]): "true" makes every server span a public
	// endpoint's, which starts a new trace rather than continue its
	// caller's.
	EnvPublicEndpoint = "TRACEPLUG_PUBLIC_ENDPOINT"
)

// FromEnv builds a Tracer from the TRACEPLUG_* environment variables (see
// [EnvBackend] and the constants after it) and opts.
//
// Code wins: the environment supplies values first and opts are applied after
// them, so an option given in code overrides the variable for the same setting
// (as OpenTelemetry's SDKs do). List settings combine: traced attributes, tags
// and params from both are used, and for the same tag or param key the code's
// value wins. Options wrapped in [Defaults] go the other way: they apply
// before the environment, which can override them, so that a program gives
// its defaults and its operators the last word:
//
//	tracer, err := core.FromEnv(core.Defaults(
//		core.WithBackend("console"), core.WithServiceName("shop"), core.WithTraceAll(true)))
//
// The backend is TRACEPLUG_BACKEND's, or [WithBackend]'s (in code it wins
// over the variable; in Defaults it is used when the variable is unset). With
// neither, FromEnv fails (set it to "none" to turn tracing off), so that a
// missing variable is an error rather than a silently untraced service. A bad
// value is an error wrapping [ErrBadOption] that names the variable and says
// what it accepts; a TRACEPLUG_ variable that traceplug does not know is
// logged as a warning naming the nearest known one.
func FromEnv(opts ...Option) (*Tracer, error) {
	envOpts, err := envOptions()
	if err != nil {
		return nil, err
	}
	var defaults, code []Option
	for _, o := range opts {
		if d, ok := o.(defaultsOption); ok {
			defaults = append(defaults, d...)
		} else {
			code = append(code, o)
		}
	}
	c, err := newConfig(slices.Concat(defaults, envOpts, code))
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(c.backend)
	if name == "" {
		return nil, backendUnset()
	}
	where := " in " + EnvBackend
	if !c.backendFromEnv {
		where = " in WithBackend"
	}
	f, err := backends.lookup(name, where)
	if err != nil {
		return nil, err
	}
	return build(name, f, c)
}

// Defaults returns an option that holds opts as defaults: [FromEnv] applies
// them before the TRACEPLUG_* variables, which override them, where other
// options override the variables. [New] and [Wrap] apply them as they are.
func Defaults(opts ...Option) Option { return defaultsOption(opts) }

type defaultsOption []Option

func (d defaultsOption) apply(c *config) {
	for _, o := range d {
		if o != nil {
			o.apply(c)
		}
	}
}

// WithBackend names the backend [FromEnv] builds, as TRACEPLUG_BACKEND does:
// given in code, it wins over the variable; inside [Defaults], it is the
// backend when the variable is unset. [New], which takes the name itself,
// rejects a WithBackend that names another; [Wrap] ignores it.
func WithBackend(name string) Option {
	return optionFunc(func(c *config) { c.backend, c.backendFromEnv = name, false })
}

// withEnvBackend is TRACEPLUG_BACKEND as an option.
func withEnvBackend(name string) Option {
	return optionFunc(func(c *config) { c.backend, c.backendFromEnv = name, true })
}

// envOptions turns the TRACEPLUG_* variables, except the backend, into options.
func envOptions() ([]Option, error) {
	var opts []Option
	if v, ok := lookupEnv(EnvBackend); ok {
		opts = append(opts, withEnvBackend(v))
	}
	if v, ok := lookupEnv(EnvServiceName); ok {
		opts = append(opts, WithServiceName(v))
	}
	if v, ok := lookupEnv(EnvEndpoint); ok {
		opts = append(opts, WithEndpoint(v))
	}
	for _, b := range []struct {
		env  string
		with func(bool) Option
	}{{EnvTraceAll, WithTraceAll}, {EnvPublicEndpoint, WithPublicEndpoint}} {
		v, ok := lookupEnv(b.env)
		if !ok {
			continue
		}
		var on bool
		switch {
		case strings.EqualFold(v, "true"):
			on = true
		case strings.EqualFold(v, "false"):
		default:
			return nil, backend.BadOptionf("traceplug: %s=%q: want true or false (in any case)", b.env, capString(v, 100))
		}
		opts = append(opts, b.with(on))
	}
	if v, ok := lookupEnv(EnvTracedAttributes); ok {
		var names []string
		for _, n := range strings.Split(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				if _, known := findAttribute(n); !known {
					return nil, unknownAttribute("traceplug: "+EnvTracedAttributes+": ", n)
				}
				names = append(names, n)
			}
		}
		opts = append(opts, WithTracedAttributes(names...))
	}
	if v, ok := lookupEnv(EnvConventions); ok {
		if _, err := parseConventions(v); err != nil {
			return nil, backend.BadOptionf("traceplug: %s=%q: %w", EnvConventions, capString(v, 100), err)
		}
		opts = append(opts, WithConventions(v))
	}
	if v, ok := lookupEnv(EnvPropagation); ok {
		if _, err := propagation.Parse(v); err != nil {
			return nil, backend.BadOptionf("traceplug: %s=%q: %w", EnvPropagation, capString(v, 200), err)
		}
		opts = append(opts, WithPropagation(v))
	}
	for _, kv := range []struct {
		env  string
		with func(k, v string) Option
	}{{EnvParams, WithParam}, {EnvTags, WithTag}} {
		v, ok := lookupEnv(kv.env)
		if !ok {
			continue
		}
		pairs, err := parsePairs(kv.env, v)
		if err != nil {
			return nil, err
		}
		for _, p := range pairs {
			opts = append(opts, kv.with(p[0], p[1]))
		}
	}
	return opts, nil
}

// lookupEnv returns the trimmed variable, treating empty as unset.
func lookupEnv(key string) (string, bool) {
	v := strings.TrimSpace(os.Getenv(key))
	return v, v != ""
}

// parsePairs reads "k1=v1,k2=v2".
func parsePairs(env, s string) ([][2]string, error) {
	var out [][2]string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, backend.BadOptionf("traceplug: %s: %q is not key=value (want e.g. %s=a=1,b=2)", env, capString(item, 100), env)
		}
		out = append(out, [2]string{k, strings.TrimSpace(v)})
	}
	return out, nil
}

// backendUnset is the error for an unset TRACEPLUG_BACKEND: it offers the
// registered backends, and "none" only if it is registered.
func backendUnset() error {
	names := Backends()
	switch {
	case len(names) == 0:
		return backend.BadOptionf("traceplug: %s is not set, and no backends are registered: import one, such as _ %q, and set %s to its name",
			EnvBackend, modulePath+"/backends/console", EnvBackend)
	case contains(names, "none"):
		return backend.BadOptionf("traceplug: %s is not set: set it to one of %s (%q turns tracing off)",
			EnvBackend, strings.Join(names, ", "), "none")
	}
	return backend.BadOptionf("traceplug: %s is not set: set it to one of %s (or, to turn tracing off, import _ %q and set it to %q)",
		EnvBackend, strings.Join(names, ", "), modulePath+"/backends/none", "none")
}

// knownEnv are the TRACEPLUG_ variables traceplug reads.
var knownEnv = []string{EnvBackend, EnvServiceName, EnvEndpoint, EnvSampleRate, EnvTraceAll, EnvTracedAttributes,
	EnvPropagation, EnvParams, EnvTags, EnvConventions, EnvPublicEndpoint, EnvSampler, EnvSamplerArg, EnvSamplingRules, EnvForcedSampling}

// unknownEnv returns a warning for each set TRACEPLUG_ variable that
// traceplug does not know (a misspelt TRACEPLUG_SERVICE, say), sorted, each
// naming the nearest known variable.
func unknownEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "TRACEPLUG_") || contains(knownEnv, k) {
			continue
		}
		msg := fmt.Sprintf("traceplug: the environment variable %s is not one traceplug reads, and is ignored", capString(k, 100))
		if s := suggest(k, knownEnv); s != "" {
			msg += fmt.Sprintf("; did you mean %s?", s)
		}
		out = append(out, msg)
	}
	slices.Sort(out)
	return out
}
