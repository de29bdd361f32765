package sampling

import (
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/traceplug/traceplug/internal/textutil"
)

// The sampler names of OTEL_TRACES_SAMPLER that [Parse] knows, and
// traceplug's own rate limit in the same form.
const (
	NameAlwaysOn                = "always_on"
	NameAlwaysOff               = "always_off"
	NameTraceIDRatio            = "traceidratio"
	NameParentAlwaysOn          = "parentbased_always_on"
	NameParentAlwaysOff         = "parentbased_always_off"
	NameParentTraceIDRatio      = "parentbased_traceidratio"
	NameJaegerRemote            = "jaeger_remote"
	NameParentJaegerRemote      = "parentbased_jaeger_remote"
	NameRateLimiting            = "traceplug_ratelimiting"
	NameParentRateLimiting      = "parentbased_traceplug_ratelimiting"
	defaultJaegerRemoteEndpoint = "http://localhost:5778/sampling"
)

// Names returns the sampler names [Parse] knows, sorted.
func Names() []string {
	names := []string{NameAlwaysOn, NameAlwaysOff, NameTraceIDRatio, NameParentAlwaysOn, NameParentAlwaysOff,
		NameParentTraceIDRatio, NameJaegerRemote, NameParentJaegerRemote, NameRateLimiting, NameParentRateLimiting}
	slices.Sort(names)
	return names
}

// Options is what [Parse] needs besides the name and argument: for
// jaeger_remote, the service whose strategy to fetch, a logger and an HTTP
// client; for rate limits, a clock.
type Options struct {
	// ServiceName names the service to the Jaeger sampling endpoint.
	ServiceName string
	// Logger is where a remote sampler says that its endpoint fails (once)
	// and recovers; nil is slog.Default().
	Logger *slog.Logger
	// Client fetches remote strategies; nil is a client of the sampler's own.
	Client *http.Client
	// Now is the clock rate limits read; nil is time.Now.
	Now func() time.Time
}

// Parse returns the sampler that OTEL_TRACES_SAMPLER=name and
// OTEL_TRACES_SAMPLER_ARG=arg name, in the vocabulary of OpenTelemetry's
// specification:
//
//   - always_on, always_off, parentbased_always_on, parentbased_always_off
//     (arg ignored);
//   - traceidratio, parentbased_traceidratio: arg is the ratio, from 0 to 1
//     (1 when arg is empty);
//   - jaeger_remote, parentbased_jaeger_remote: arg is comma-separated
//     key=value pairs: endpoint (an HTTP URL of a Jaeger sampling endpoint,
//     default http://localhost:5778/sampling; gRPC endpoints are not
//     supported), pollingIntervalMs, initialSamplingRate (default 0.001);
//   - traceplug_ratelimiting, parentbased_traceplug_ratelimiting (traceplug's
//     own): arg is the traces a second, as jaeger-client-go's rate-limiting
//     sampler.
//
// Names are read in any case, around white space. Where the specification
// falls back to a default on a bad value, Parse returns an error that says
// what to write instead: a fleet's sampling is not to be misconfigured
// silently. A jaeger_remote sampler starts polling at once: close it with
// [Close].
func Parse(name, arg string, o Options) (Sampler, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	arg = strings.TrimSpace(arg)
	base, parent := strings.CutPrefix(name, "parentbased_")
	var s Sampler
	switch base {
	case NameAlwaysOn:
		s = AlwaysOn()
	case NameAlwaysOff:
		s = AlwaysOff()
	case NameTraceIDRatio:
		ratio := 1.0
		if arg != "" {
			f, err := strconv.ParseFloat(arg, 64)
			if err != nil || math.IsNaN(f) || f < 0 || f > 1 {
				return nil, fmt.Errorf("sampling: %s: argument %q is not a ratio from 0 to 1, such as 0.25", name, capText(arg))
			}
			ratio = f
		}
		s = TraceIDRatio(ratio)
	case NameRateLimiting:
		f, err := strconv.ParseFloat(arg, 64)
		if err != nil || !(f > 0) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("sampling: %s: argument %q is not a number of traces a second above 0, such as 10", name, capText(arg))
		}
		s = RateLimited(f, o.Now)
	case NameJaegerRemote:
		cfg, err := parseRemoteArg(name, arg)
		if err != nil {
			return nil, err
		}
		cfg.ServiceName, cfg.Logger, cfg.Client, cfg.Now = o.ServiceName, o.Logger, o.Client, o.Now
		if s, err = NewJaegerRemote(cfg); err != nil {
			return nil, err
		}
	case "xray":
		return nil, fmt.Errorf("sampling: %s: AWS X-Ray's sampler is not supported (known: %s)", name, strings.Join(Names(), ", "))
	default:
		hint := ""
		if s := textutil.Suggest(name, Names()); s != "" {
			hint = fmt.Sprintf("; did you mean %q?", s)
		}
		return nil, fmt.Errorf("sampling: unknown sampler %q (known: %s%s)", capText(name), strings.Join(Names(), ", "), hint)
	}
	if parent {
		s = ParentBased(s)
	}
	return s, nil
}

// parseRemoteArg reads jaeger_remote's argument.
func parseRemoteArg(name, arg string) (JaegerRemoteConfig, error) {
	cfg := JaegerRemoteConfig{Endpoint: defaultJaegerRemoteEndpoint}
	for _, item := range strings.Split(arg, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok {
			return cfg, fmt.Errorf("sampling: %s: argument %q is not key=value (want e.g. endpoint=http://localhost:5778/sampling,pollingIntervalMs=60000,initialSamplingRate=0.001)", name, capText(item))
		}
		switch k {
		case "endpoint":
			cfg.Endpoint = v
		case "pollingIntervalMs":
			ms, err := strconv.ParseInt(v, 10, 64)
			if err != nil || ms <= 0 {
				return cfg, fmt.Errorf("sampling: %s: pollingIntervalMs=%q is not a positive number of milliseconds", name, capText(v))
			}
			cfg.PollingInterval = time.Duration(ms) * time.Millisecond
		case "initialSamplingRate":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(f) || f < 0 || f > 1 {
				return cfg, fmt.Errorf("sampling: %s: initialSamplingRate=%q is not a ratio from 0 to 1", name, capText(v))
			}
			cfg.InitialSampler = TraceIDRatio(f)
		default:
			hint := ""
			if s := textutil.Suggest(k, []string{"endpoint", "initialSamplingRate", "pollingIntervalMs"}); s != "" {
				hint = fmt.Sprintf("; did you mean %q?", s)
			}
			return cfg, fmt.Errorf("sampling: %s: unknown argument key %q (known: endpoint, pollingIntervalMs, initialSamplingRate%s)", name, capText(k), hint)
		}
	}
	return cfg, nil
}
