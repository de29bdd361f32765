package jaeger

import (
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/internal/redact"
	jaeger "github.com/uber/jaeger-client-go"
	jaegercfg "github.com/uber/jaeger-client-go/config"
)

// Defaults, where traceplug's differ from jaeger-client-go's.
const (
	defaultEndpoint          = "udp://127.0.0.1:6831"
	defaultQueueSize         = 10000
	defaultFlushInterval     = time.Second
	defaultMaxTagValueLength = 1024
	defaultMaxPacketSize     = 65000
	defaultBatchSize         = 100
	defaultTimeout           = 5 * time.Second
)

// wantEndpoint says what an endpoint looks like, for errors.
const wantEndpoint = "want udp://HOST:PORT (agent) or http(s)://HOST:PORT/api/traces (collector)"

var params = []string{
	"queue_size", "flush_interval", "trace_id_128bit", "max_tag_value_length", "max_packet_size",
	"batch_size", "timeout", "user", "password", "http_headers", "log_spans",
}

// settings is everything New needs, from backend.Config over JAEGER_* variables
// over defaults.
type settings struct {
	serviceName string
	disabled    bool
	tags        []opentracing.Tag

	transport string // "udp" or "http"
	hostPort  string // udp
	url       string // http

	samplerType  string
	samplerParam float64
	envSampler   envSampler

	queueSize         int
	flushInterval     time.Duration
	traceID128        bool
	maxTagValueLength int
	maxPacketSize     int
	batchSize         int
	timeout           time.Duration
	user, password    string
	headers           map[string]string
	logSpans          bool
}

func newSettings(cfg backend.Config) (*settings, error) {
	if err := cfg.CheckParams("jaeger", params...); err != nil {
		return nil, err
	}
	// jaegercfg.FromEnv's error for a JAEGER_ENDPOINT it cannot parse
	// repeats the value, credentials and all: checked first, as it checks.
	if e := os.Getenv("JAEGER_ENDPOINT"); e != "" {
		if _, err := url.ParseRequestURI(e); err != nil {
			hint := redact.InvalidHint(e)
			if redact.Ambiguous(e) {
				hint = redact.AmbiguousHint
			}
			return nil, backend.BadOptionf("jaeger: JAEGER_ENDPOINT %q: %s; %s", redact.Endpoint(e), hint, wantEndpoint)
		}
	}
	env, err := jaegercfg.FromEnv()
	if err != nil {
		return nil, backend.BadOptionf("jaeger: reading JAEGER_* variables: %w", err)
	}
	s := &settings{serviceName: cfg.ServiceName, disabled: env.Disabled}
	if !cfg.ServiceNameSet && env.ServiceName != "" {
		s.serviceName = env.ServiceName
	}

	// Process tags: JAEGER_TAGS, then the code's, which win for a shared key.
	for _, tag := range env.Tags {
		if _, overridden := cfg.Tags[tag.Key]; !overridden {
			s.tags = append(s.tags, tag)
		}
	}
	for k, v := range cfg.Tags {
		s.tags = append(s.tags, opentracing.Tag{Key: k, Value: v})
	}

	if err := s.endpoint(cfg.Endpoint, env.Reporter); err != nil {
		return nil, err
	}

	// Sampling is core's: jaeger-client-go's sampler takes the rate, which
	// core leaves at 1, and JAEGER_SAMPLER_* go to core through
	// DefaultSampler.
	s.samplerType, s.samplerParam = samplerFor(cfg.SampleRate)
	s.envSampler = samplerFromEnv(env.Sampler)

	r := env.Reporter
	p := cfg.Reader("jaeger")
	s.queueSize = p.Int("queue_size", orInt(r.QueueSize, defaultQueueSize))
	s.flushInterval = p.Duration("flush_interval", orDuration(r.BufferFlushInterval, defaultFlushInterval))
	s.traceID128 = p.Bool("trace_id_128bit", env.Gen128Bit)
	s.maxTagValueLength = p.Int("max_tag_value_length", defaultMaxTagValueLength)
	s.maxPacketSize = p.Int("max_packet_size", defaultMaxPacketSize)
	s.batchSize = p.Int("batch_size", defaultBatchSize)
	s.timeout = p.Duration("timeout", defaultTimeout)
	s.logSpans = p.Bool("log_spans", r.LogSpans)
	s.user, s.password = r.User, r.Password
	if v, ok := cfg.Param("user"); ok {
		s.user = v
	}
	if v, ok := cfg.Param("password"); ok {
		s.password = v
	}
	if v, ok := cfg.Param("http_headers"); ok {
		if s.headers, err = parseHeaders(v); err != nil {
			return nil, err
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	for name, v := range map[string]int{"queue_size": s.queueSize, "max_tag_value_length": s.maxTagValueLength, "batch_size": s.batchSize} {
		if v <= 0 {
			return nil, backend.BadOptionf("jaeger: param %q must be positive, not %d", name, v)
		}
	}
	if s.maxPacketSize < 1024 || s.maxPacketSize > 65000 {
		return nil, backend.BadOptionf("jaeger: param \"max_packet_size\" must be from 1024 to 65000, not %d", s.maxPacketSize)
	}
	if s.flushInterval <= 0 || s.timeout <= 0 {
		return nil, backend.BadOptionf("jaeger: params \"flush_interval\" and \"timeout\" must be positive durations")
	}
	return s, nil
}

// endpoint picks the transport: the user's endpoint, else JAEGER_ENDPOINT,
// else JAEGER_AGENT_HOST/PORT, else the local agent.
func (s *settings) endpoint(endpoint string, env *jaegercfg.ReporterConfig) error {
	source := "endpoint" // for errors
	if endpoint == "" {
		switch {
		case env.CollectorEndpoint != "":
			endpoint, source = env.CollectorEndpoint, "JAEGER_ENDPOINT"
		case env.LocalAgentHostPort != "":
			endpoint, source = "udp://"+env.LocalAgentHostPort, "JAEGER_AGENT_HOST and JAEGER_AGENT_PORT"
		default:
			endpoint = defaultEndpoint
		}
	}
	shown := redact.Endpoint(endpoint) // url.Parse's error would repeat it whole
	if redact.Ambiguous(endpoint) {
		return backend.BadOptionf("jaeger: %s %q: %s", source, shown, redact.AmbiguousHint)
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return backend.BadOptionf("jaeger: %s %q: %s; %s", source, shown, redact.InvalidHint(endpoint), wantEndpoint)
	}
	if u.Host == "" {
		return backend.BadOptionf("jaeger: %s %q: %s", source, shown, wantEndpoint)
	}
	switch u.Scheme {
	case "udp":
		host, port, err := net.SplitHostPort(u.Host)
		if err != nil || host == "" || port == "" || (u.Path != "" && u.Path != "/") {
			return backend.BadOptionf("jaeger: %s %q: want udp://HOST:PORT, such as %s", source, shown, defaultEndpoint)
		}
		s.transport, s.hostPort = "udp", u.Host
	case "http", "https":
		if u.Path == "" || u.Path == "/" {
			u.Path = "/api/traces"
		}
		s.transport, s.url = "http", u.String()
	default:
		return backend.BadOptionf("jaeger: %s %q: %s", source, shown, wantEndpoint)
	}
	return nil
}

// samplerFor maps a rate to jaeger's const sampler at 0 and 1, else its
// probabilistic sampler.
func samplerFor(rate float64) (string, float64) {
	switch rate {
	case 0:
		return jaeger.SamplerTypeConst, 0
	case 1:
		return jaeger.SamplerTypeConst, 1
	}
	return jaeger.SamplerTypeProbabilistic, rate
}

func (s *settings) sampler() (jaeger.Sampler, error) {
	if s.samplerType == jaeger.SamplerTypeConst {
		return jaeger.NewConstSampler(s.samplerParam == 1), nil
	}
	return jaeger.NewProbabilisticSampler(s.samplerParam)
}

// envSampler is a sampler of core's, by name and argument (in the
// vocabulary of OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG), or none
// (ok false).
type envSampler struct {
	name, arg string
	ok        bool
}

// Defaults of jaeger-client-go's remote sampler.
const (
	defaultSamplingEndpoint    = "http://127.0.0.1:5778/sampling"
	defaultInitialSamplingRate = "0.001"
)

// samplerFromEnv maps the JAEGER_SAMPLER_* variables (in sc, as
// jaegercfg.FromEnv read them) to a sampler of core's, as DefaultSampler
// documents: const 1 (or any number but 0) is parentbased_always_on, const
// 0 parentbased_always_off, probabilistic p parentbased_traceidratio with
// p, ratelimiting n parentbased_traceplug_ratelimiting with n, and remote (or no type
// but JAEGER_SAMPLING_ENDPOINT) parentbased_jaeger_remote. Another type is
// passed on as it is, for core to reject.
func samplerFromEnv(sc *jaegercfg.SamplerConfig) envSampler {
	typ := strings.ToLower(strings.TrimSpace(sc.Type))
	param, paramSet := os.LookupEnv("JAEGER_SAMPLER_PARAM")
	param = strings.TrimSpace(param)
	paramSet = paramSet && param != ""
	if typ == "" && os.Getenv("JAEGER_SAMPLING_ENDPOINT") != "" {
		typ = jaeger.SamplerTypeRemote // as jaeger-client-go takes it
	}
	switch typ {
	case "":
		return envSampler{}
	case jaeger.SamplerTypeConst:
		if sc.Param != 0 {
			return envSampler{name: "parentbased_always_on", ok: true}
		}
		return envSampler{name: "parentbased_always_off", ok: true}
	case jaeger.SamplerTypeProbabilistic:
		if !paramSet {
			param = "0" // jaeger-client-go's rate when the param is unset
		}
		return envSampler{name: "parentbased_traceidratio", arg: param, ok: true}
	case jaeger.SamplerTypeRateLimiting:
		if !paramSet {
			param = "0"
		}
		return envSampler{name: "parentbased_traceplug_ratelimiting", arg: param, ok: true}
	case jaeger.SamplerTypeRemote:
		endpoint := sc.SamplingServerURL
		if endpoint == "" {
			endpoint = defaultSamplingEndpoint
		}
		if !paramSet {
			param = defaultInitialSamplingRate
		}
		arg := "endpoint=" + endpoint + ",initialSamplingRate=" + param
		if os.Getenv("JAEGER_SAMPLER_REFRESH_INTERVAL") != "" {
			arg += ",pollingIntervalMs=" + strconv.FormatInt(sc.SamplingRefreshInterval.Milliseconds(), 10)
		}
		return envSampler{name: "parentbased_jaeger_remote", arg: arg, ok: true}
	}
	return envSampler{name: strings.TrimSpace(sc.Type), arg: param, ok: true}
}

// parseHeaders reads "Name:value;Name2:value2".
func parseHeaders(v string) (map[string]string, error) {
	out := map[string]string{}
	for _, item := range strings.Split(v, ";") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		k, val, ok := strings.Cut(item, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, backend.BadOptionf("jaeger: param \"http_headers\": %q is not Name:value (want e.g. X-Org:acme;X-Env:prod)", item)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(val)
	}
	return out, nil
}

func orInt(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

func orDuration(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}
