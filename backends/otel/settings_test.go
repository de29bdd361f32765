package otel_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"
	otelprop "go.opentelemetry.io/otel/propagation"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/backends/otel/internal/transporttest"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

func onlySpan(t *testing.T, c *oteltest.Collector) conformance.Span {
	t.Helper()
	spans := c.Spans()
	if len(spans) != 1 {
		t.Fatalf("want 1 span, got %d: %v", len(spans), spans)
	}
	return spans[0]
}

// deadEndpoint is an endpoint where nothing listens.
func deadEndpoint(t *testing.T) string { return oteltest.FaultyEndpoint(t, "http", oteltest.Down) }

// TestEnvResource: service.name and resource attributes, traceplug's
// settings over OTEL_SERVICE_NAME over OTEL_RESOURCE_ATTRIBUTES over
// traceplug's default.
func TestEnvResource(t *testing.T) {
	cases := []struct {
		name        string
		env         map[string]string
		opts        []core.Option
		service     string
		environment string // the deployment.environment resource attribute
	}{
		{name: "default", service: "otel.test"},
		{name: "OTEL_SERVICE_NAME", env: map[string]string{otel.EnvServiceName: "env-svc"}, service: "env-svc"},
		{name: "code over OTEL_SERVICE_NAME", env: map[string]string{otel.EnvServiceName: "env-svc"},
			opts: []core.Option{core.WithServiceName("code-svc")}, service: "code-svc"},
		{name: "OTEL_RESOURCE_ATTRIBUTES", env: map[string]string{otel.EnvResourceAttributes: "service.name=attr-svc,deployment.environment=prod%20eu"},
			service: "attr-svc", environment: "prod eu"},
		{name: "OTEL_SERVICE_NAME over OTEL_RESOURCE_ATTRIBUTES",
			env:     map[string]string{otel.EnvServiceName: "env-svc", otel.EnvResourceAttributes: "service.name=attr-svc"},
			service: "env-svc"},
		{name: "tags over OTEL_RESOURCE_ATTRIBUTES", env: map[string]string{otel.EnvResourceAttributes: "deployment.environment=prod"},
			opts: []core.Option{core.WithTag("deployment.environment", "ci")}, service: "otel.test", environment: "ci"},
		{name: "TRACEPLUG_SERVICE_NAME over OTEL_SERVICE_NAME",
			env:     map[string]string{otel.EnvServiceName: "env-svc", core.EnvServiceName: "traceplug-svc"},
			service: "traceplug-svc"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c := oteltest.New(t)
			opts := append(c.Options("http"), tc.opts...)
			if _, ok := tc.env[core.EnvServiceName]; ok {
				t.Setenv(core.EnvBackend, "otel")
				env, err := core.FromEnv(opts...)
				if err != nil {
					t.Fatal(err)
				}
				env.StartSpan("probe").Finish()
				_ = env.Close()
			} else {
				transporttest.Probe(t, opts...)
			}
			s := onlySpan(t, c)
			if s.Service != tc.service {
				t.Errorf("service %q, want %q", s.Service, tc.service)
			}
			if got, _ := s.ProcessTag("deployment.environment"); got != tc.environment {
				t.Errorf("deployment.environment %q, want %q", got, tc.environment)
			}
			if got, _ := s.ProcessTag("telemetry.sdk.language"); got != "go" {
				t.Errorf("telemetry.sdk.language %q, want go", got)
			}
		})
	}
}

// TestEnvEndpoint: the endpoint and protocol, traceplug's settings over the
// traces variables over the general ones over the defaults. (The settings
// that choose gRPC: TestGRPCNotLinked, and otlpgrpc's test of the same
// name.)
func TestEnvEndpoint(t *testing.T) {
	c := oteltest.New(t)
	httpBase := strings.TrimSuffix(c.Endpoint("http"), "/v1/traces")
	cases := []struct {
		name string
		env  map[string]string
		opts []core.Option
	}{
		{name: "general endpoint gets /v1/traces", env: map[string]string{otel.EnvEndpoint: httpBase}},
		{name: "general endpoint with a path", env: map[string]string{otel.EnvEndpoint: httpBase + "/"}},
		{name: "traces endpoint as is", env: map[string]string{otel.EnvTracesEndpoint: httpBase + "/v1/traces"}},
		{name: "traces endpoint over general", env: map[string]string{otel.EnvTracesEndpoint: httpBase + "/v1/traces", otel.EnvEndpoint: "http://127.0.0.1:1"}},
		{name: "code over variables", env: map[string]string{otel.EnvTracesEndpoint: "http://127.0.0.1:1/v1/traces"},
			opts: []core.Option{core.WithEndpoint(httpBase)}},
		{name: "traces protocol over general", env: map[string]string{otel.EnvEndpoint: httpBase, otel.EnvProtocol: "grpc", otel.EnvTracesProtocol: "http/protobuf"}},
		{name: "gzip param", opts: []core.Option{core.WithEndpoint(httpBase), core.WithParam("compression", "gzip")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			before := len(c.Requests())
			transporttest.Probe(t, tc.opts...)
			if n := len(c.Requests()) - before; n != 1 {
				t.Fatalf("the collector received %d requests, want 1 (errors: %v)", n, c.Errors())
			}
		})
	}
}

// TestGRPCNotLinked: whichever setting chooses OTLP over gRPC (the
// endpoint's scheme, the protocol param, a protocol variable), in a program
// that does not link otlpgrpc, core.New fails with an error that wraps
// core.ErrBadOption, names that setting, and says which import to add.
func TestGRPCNotLinked(t *testing.T) {
	const want = `add import _ "github.com/traceplug/traceplug/backends/otel/otlpgrpc"`
	for _, tc := range []struct {
		name string
		env  map[string]string
		opts []core.Option
		by   string // the setting the error names
	}{
		{name: "grpc scheme", opts: []core.Option{core.WithEndpoint("grpc://127.0.0.1:4317")}, by: "the endpoint's scheme"},
		{name: "grpcs scheme", opts: []core.Option{core.WithEndpoint("grpcs://collector.invalid:4317")}, by: "the endpoint's scheme"},
		{name: "protocol param", opts: []core.Option{core.WithEndpoint("http://127.0.0.1:4317"), core.WithParam("protocol", "grpc")}, by: `param "protocol"`},
		{name: "grpc scheme from the environment", env: map[string]string{otel.EnvEndpoint: "grpc://127.0.0.1:4317"}, by: "the scheme of " + otel.EnvEndpoint},
		{name: "protocol variable", env: map[string]string{otel.EnvEndpoint: "http://127.0.0.1:4317", otel.EnvProtocol: "grpc"}, by: otel.EnvProtocol + "=grpc"},
		{name: "traces protocol variable, default endpoint", env: map[string]string{otel.EnvTracesProtocol: "grpc"}, by: otel.EnvTracesProtocol + "=grpc"},
		{name: "HOST:PORT with the protocol variable", env: map[string]string{otel.EnvTracesEndpoint: "collector.invalid:4317", otel.EnvProtocol: "grpc"}, by: otel.EnvProtocol + "=grpc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			tr, err := core.New("otel", tc.opts...)
			if err == nil {
				_ = tr.Close()
				t.Fatal("core.New built a tracer for OTLP over gRPC without otlpgrpc")
			}
			if !errors.Is(err, core.ErrBadOption) {
				t.Errorf("%v does not wrap core.ErrBadOption", err)
			}
			for _, w := range []string{want, "(chosen by " + tc.by + ")", "OTLP over gRPC"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestEnvHeaders: see transporttest.
func TestEnvHeaders(t *testing.T) { transporttest.EnvHeaders(t, transporttest.HTTP) }

// TestSamplerVariablesAreCores: OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG are core's to read (it samples new traces for
// every backend, and hands the backend its decision): the backend built
// without core neither reads them nor rejects a bad value, and samples
// every root it is not handed a decision for, whichever API starts it.
func TestSamplerVariablesAreCores(t *testing.T) {
	for _, env := range [][2]string{{"always_off", ""}, {"parentbased_traceidratio", "0"}, {"sometimes", "2"}} {
		t.Run(env[0], func(t *testing.T) {
			t.Setenv("OTEL_TRACES_SAMPLER", env[0])
			t.Setenv("OTEL_TRACES_SAMPLER_ARG", env[1])
			c := oteltest.New(t)
			ot, err := otel.New(backend.Config{ServiceName: "s", SampleRate: 1, Endpoint: c.Endpoint("http")})
			if err != nil {
				t.Fatalf("otel.New read OTEL_TRACES_SAMPLER=%q: %v", env[0], err)
			}
			ot.StartSpan("opentracing").Finish()
			_, s := ot.TracerProvider().Tracer("test").Start(t.Context(), "opentelemetry")
			s.End()
			if err := ot.Close(); err != nil {
				t.Fatal(err)
			}
			if n := len(c.Spans()); n != 2 {
				t.Errorf("%d of 2 roots exported, want both sampled", n)
			}
		})
	}
}

// TestEnvPropagators: the OpenTelemetry propagator (TextMapPropagator)
// follows traceplug's list, else OTEL_PROPAGATORS, else W3C; the Tracer's
// Inject follows traceplug's list or the native W3C formats.
func TestEnvPropagators(t *testing.T) {
	for _, tc := range []struct {
		name   string
		env    string
		opts   []core.Option
		header string // written by the OpenTelemetry propagator
	}{
		{name: "default", header: "Traceparent"},
		{name: "OTEL_PROPAGATORS", env: "b3multi", header: "X-B3-Traceid"},
		{name: "traceplug's list over OTEL_PROPAGATORS", env: "b3multi", opts: []core.Option{core.WithPropagation("jaeger")}, header: "Uber-Trace-Id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv(otel.EnvPropagators, tc.env)
			}
			c := oteltest.New(t)
			tr, ot := newTracer(t, c, tc.opts...)
			span := tr.StartSpan("p")
			defer span.Finish()
			h := http.Header{}
			// The span in a context: OpenTelemetry code's view of it.
			ctx := opentracing.ContextWithSpan(t.Context(), span)
			ot.TextMapPropagator().Inject(ctx, otelprop.HeaderCarrier(h))
			if h.Get(tc.header) == "" {
				t.Errorf("the OpenTelemetry propagator wrote %v, want %s", h, tc.header)
			}
			// And what core writes on the wire: the same formats.
			wire := http.Header{}
			if err := tr.Inject(span.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(wire)); err != nil {
				t.Fatal(err)
			}
			if wire.Get(tc.header) == "" || len(wire) != len(h) {
				t.Errorf("core.Tracer.Inject wrote %v, want %s as the OpenTelemetry propagator does (%v)", wire, tc.header, h)
			}
		})
	}
}

// TestBadSettings: a bad value is an error naming the setting and the valid
// values, wrapping core.ErrBadOption; header values never appear.
func TestBadSettings(t *testing.T) {
	const secret = "s3cret-token-value"
	for _, tc := range []struct {
		name string
		env  map[string]string
		opts []core.Option
		want []string
	}{
		{"protocol", map[string]string{otel.EnvProtocol: "http/json"}, nil, []string{otel.EnvProtocol, "http/protobuf, grpc"}},
		{"traces protocol", map[string]string{otel.EnvTracesProtocol: "udp"}, nil, []string{otel.EnvTracesProtocol, "http/protobuf, grpc"}},
		{"protocol param", nil, []core.Option{core.WithParam("protocol", "thrift")}, []string{`"protocol"`, "http/protobuf, grpc"}},
		{"propagators", map[string]string{otel.EnvPropagators: "tracecontext,xray"}, nil, []string{otel.EnvPropagators, "xray", "b3multi"}},
		{"endpoint", map[string]string{otel.EnvEndpoint: "ftp://collector:21"}, nil, []string{otel.EnvEndpoint, "grpc://HOST:PORT"}},
		{"code endpoint", nil, []core.Option{core.WithEndpoint("collector:4317")}, []string{"endpoint", "http(s)://"}},
		{"grpc endpoint with http protocol", nil, []core.Option{core.WithEndpoint("grpc://127.0.0.1:4317"), core.WithParam("protocol", "http/protobuf")}, []string{"gRPC endpoint", `"protocol"`}},
		{"compression", map[string]string{otel.EnvTracesCompression: "brotli"}, nil, []string{otel.EnvTracesCompression, "gzip, none"}},
		{"queue", map[string]string{otel.EnvBSPMaxQueueSize: "-1"}, nil, []string{otel.EnvBSPMaxQueueSize, "positive"}},
		{"schedule delay", map[string]string{otel.EnvBSPScheduleDelay: "1s"}, nil, []string{otel.EnvBSPScheduleDelay, "milliseconds"}},
		{"queue param", nil, []core.Option{core.WithParam("queue_size", "0")}, []string{`"queue_size"`, "positive"}},
		{"unknown param", nil, []core.Option{core.WithParam("queue_sise", "10")}, []string{`"queue_sise"`, "queue_size"}},
		{"resource attributes", map[string]string{otel.EnvResourceAttributes: "a=1,oops"}, nil, []string{otel.EnvResourceAttributes, "entry 2", "key=value"}},
		{"headers without =", map[string]string{otel.EnvHeaders: "authorization=ok," + secret}, nil, []string{otel.EnvHeaders, "entry 2"}},
		{"headers bad escape", map[string]string{otel.EnvTracesHeaders: "authorization=" + secret + "%zz"}, nil, []string{otel.EnvTracesHeaders, "entry 1", "percent"}},
		{"headers param", nil, []core.Option{core.WithParam("headers", secret)}, []string{`param "headers"`, "entry 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) { wantBadOption(t, tc.env, tc.opts, tc.want, secret) })
	}
}

// TestHeadersNeverLogged: see transporttest.
func TestHeadersNeverLogged(t *testing.T) { transporttest.HeadersNeverLogged(t, transporttest.HTTP) }

// wantBadOption sets env, and checks that core.New("otel", opts...) fails
// with an error wrapping core.ErrBadOption that says each of want and never
// shows secret (when not "").
func wantBadOption(t *testing.T, env map[string]string, opts []core.Option, want []string, secret string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	tr, err := core.New("otel", opts...)
	if err == nil {
		_ = tr.Close()
		t.Fatal("core.New succeeded")
	}
	if !errors.Is(err, core.ErrBadOption) {
		t.Errorf("%v does not wrap core.ErrBadOption", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	if secret != "" && strings.Contains(err.Error(), secret) {
		t.Errorf("error %q shows a secret", err)
	}
}
