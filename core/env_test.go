package core_test

import (
	"bytes"
	"errors"
	"log/slog"
	"math"
	"strings"
	"testing"

	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/core"
)

func TestFromEnv(t *testing.T) {
	col := mock.NewCollector()
	defer col.Close()
	t.Setenv("TRACEPLUG_BACKEND", "mock")
	t.Setenv("TRACEPLUG_SERVICE_NAME", "from-env")
	t.Setenv("TRACEPLUG_ENDPOINT", col.Endpoint())
	t.Setenv("TRACEPLUG_SAMPLE_RATE", "1")
	t.Setenv("TRACEPLUG_TRACE_ALL", "true")
	t.Setenv("TRACEPLUG_TRACED_ATTRIBUTES", "path, method")
	t.Setenv("TRACEPLUG_TAGS", "env=prod, region=eu")
	tr, err := core.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	do(tr.Middleware(ok), newRequest("/a"))
	_ = tr.Close()
	spans := col.Spans()
	if len(spans) != 1 {
		t.Fatalf("%d spans: TRACEPLUG_TRACE_ALL not applied?", len(spans))
	}
	s := spans[0]
	if s.Service != "from-env" || s.Tags["path"] != "/a" || s.Tags["method"] != "GET" || s.ProcessTags["region"] != "eu" {
		t.Errorf("span %+v", s)
	}
}

func TestFromEnvCodeWins(t *testing.T) {
	t.Setenv("TRACEPLUG_BACKEND", "mock")
	t.Setenv("TRACEPLUG_SERVICE_NAME", "env-name")
	t.Setenv("TRACEPLUG_TRACE_ALL", "false")
	t.Setenv("TRACEPLUG_TAGS", "env=staging,region=eu")
	tr, err := core.FromEnv(core.WithServiceName("code-name"), core.WithTraceAll(true), core.WithTag("env", "prod"))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	m := tr.Unwrap().(*mock.Tracer)
	do(tr.Middleware(ok), newRequest("/"))
	s := onlySpan(t, m) // trace-all from code won over the environment's false
	if s.Service != "code-name" || s.ProcessTags["env"] != "prod" || s.ProcessTags["region"] != "eu" {
		t.Errorf("service %q tags %v: want the code's values, plus the environment's other tags", s.Service, s.ProcessTags)
	}
}

func TestFromEnvErrorsNameTheVariable(t *testing.T) {
	for _, tc := range []struct {
		name, key, value, want string
	}{
		{"unset backend", "TRACEPLUG_BACKEND", "", `TRACEPLUG_BACKEND is not set: set it to one of mock, none ("none" turns tracing off)`},
		{"unknown backend", "TRACEPLUG_BACKEND", "jaegr", `unknown backend "jaegr" in TRACEPLUG_BACKEND (registered: mock, none; did you mean "jaeger"? it needs import _ "github.com/traceplug/traceplug/backends/jaeger")`},
		{"miscased backend", "TRACEPLUG_BACKEND", "Mock", `unknown backend "Mock" in TRACEPLUG_BACKEND (registered: mock, none; did you mean "mock"?)`},
		{"bad rate", "TRACEPLUG_SAMPLE_RATE", "lots", `TRACEPLUG_SAMPLE_RATE="lots": want a number from 0 to 1, such as 0.25`},
		{"rate above 1", "TRACEPLUG_SAMPLE_RATE", "1.5", `TRACEPLUG_SAMPLE_RATE="1.5": want a number from 0 to 1`},
		// NaN and Inf parse as floats: they must still be refused, by name.
		{"NaN rate", "TRACEPLUG_SAMPLE_RATE", "NaN", `traceplug: TRACEPLUG_SAMPLE_RATE="NaN": want a number from 0 to 1, such as 0.25`},
		{"Inf rate", "TRACEPLUG_SAMPLE_RATE", "+Inf", `traceplug: TRACEPLUG_SAMPLE_RATE="+Inf": want a number from 0 to 1`},
		{"bad bool", "TRACEPLUG_TRACE_ALL", "yes please", `TRACEPLUG_TRACE_ALL="yes please": want true or false (in any case)`},
		// strconv.ParseBool's other spellings are not what the docs promise.
		{"1 for true", "TRACEPLUG_TRACE_ALL", "1", `traceplug: TRACEPLUG_TRACE_ALL="1": want true or false (in any case)`},
		{"t for true", "TRACEPLUG_TRACE_ALL", "t", `TRACEPLUG_TRACE_ALL="t": want true or false`},
		{"bad attribute", "TRACEPLUG_TRACED_ATTRIBUTES", "path,nope", `TRACEPLUG_TRACED_ATTRIBUTES: unknown traced attribute "nope" (valid: path, `},
		{"misspelt attribute", "TRACEPLUG_TRACED_ATTRIBUTES", "path,methd", `; did you mean "method"?)`},
		{"miscased attribute", "TRACEPLUG_TRACED_ATTRIBUTES", "Path", `unknown traced attribute "Path" (valid: `},
		{"bad params", "TRACEPLUG_PARAMS", "novalue", `TRACEPLUG_PARAMS: "novalue" is not key=value`},
		{"unknown param", "TRACEPLUG_PARAMS", "colour=blue", `backend "mock": unknown param "colour" (known params: max_spans)`},
		{"bad propagation", "TRACEPLUG_PROPAGATION", "smoke-signals", `TRACEPLUG_PROPAGATION="smoke-signals": propagation: invalid format list: unknown format "smoke-signals"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("TRACEPLUG_BACKEND", "mock")
			t.Setenv(tc.key, tc.value)
			_, err := core.FromEnv()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("FromEnv with %s=%q: %v; want an error containing %q", tc.key, tc.value, err, tc.want)
			}
			wantBadOption(t, err)
		})
	}
}

// TestFromEnvTraceAllAnyCase: true and false in any case, and nothing else.
func TestFromEnvTraceAllAnyCase(t *testing.T) {
	for value, want := range map[string]bool{"true": true, "TRUE": true, "True": true, " false ": false, "FALSE": false} {
		t.Setenv("TRACEPLUG_BACKEND", "mock")
		t.Setenv("TRACEPLUG_TRACE_ALL", value)
		tr, err := core.FromEnv()
		if err != nil {
			t.Fatalf("TRACEPLUG_TRACE_ALL=%q: %v", value, err)
		}
		m := tr.Unwrap().(*mock.Tracer)
		do(tr.Middleware(ok), newRequest("/"))
		if traced := len(m.FinishedSpans()) == 1; traced != want {
			t.Errorf("TRACEPLUG_TRACE_ALL=%q: traced %v, want %v", value, traced, want)
		}
		_ = tr.Close()
	}
}

// wantBadOption: err wraps ErrBadOption, and its text does not end in the
// sentinel's, which says nothing the message does not.
func wantBadOption(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, core.ErrBadOption) && !errors.Is(err, core.ErrUnknownBackend) {
		t.Errorf("%v: want ErrBadOption", err)
	}
	if strings.Contains(err.Error(), core.ErrBadOption.Error()) {
		t.Errorf("%q repeats %q", err, core.ErrBadOption)
	}
}

func TestNewErrors(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		// A built-in backend's name: the import that registers it.
		{"jaeger", `traceplug: unknown backend "jaeger" (registered: mock, none; forgotten import _ "github.com/traceplug/traceplug/backends/jaeger"?)`},
		// Misspelt or miscased: what was probably meant, registered or not.
		{"Jaeger", `traceplug: unknown backend "Jaeger" (registered: mock, none; did you mean "jaeger"? it needs import _ "github.com/traceplug/traceplug/backends/jaeger")`},
		{"jeager", `did you mean "jaeger"? it needs import _ "github.com/traceplug/traceplug/backends/jaeger"`},
		{"MOCK", `traceplug: unknown backend "MOCK" (registered: mock, none; did you mean "mock"?)`},
		{"", `traceplug: unknown backend "" (registered: mock, none; the name is empty)`},
		// Nothing like a known name: no made-up import path.
		{"honeycomb-classic", `traceplug: unknown backend "honeycomb-classic" (registered: mock, none; forgotten import of its package? traceplug's own are console, jaeger, lightstep, mock, none, otel, zipkin, each in github.com/traceplug/traceplug/backends/<name>)`},
	} {
		_, err := core.New(tc.name)
		if !errors.Is(err, core.ErrUnknownBackend) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%q) = %v\nwant ErrUnknownBackend saying %s", tc.name, err, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		opt  core.Option
		want string
	}{
		{"rate above 1", core.WithSampleRate(1.5), "traceplug: WithSampleRate(1.5): the rate must be from 0 to 1"},
		{"negative rate", core.WithSampleRate(-0.1), "traceplug: WithSampleRate(-0.1): the rate must be from 0 to 1"},
		{"NaN rate", core.WithSampleRate(math.NaN()), "traceplug: WithSampleRate(NaN): the rate must be from 0 to 1"},
		{"empty param key", core.WithParam("", "x"), "traceplug: WithParam: empty key"},
		{"empty tag key", core.WithTag("", "x"), "traceplug: WithTag: empty key"},
		{"unknown param", core.WithParam("colour", "x"), `traceplug: backend "mock": unknown param "colour" (known params: max_spans)`},
		{"propagation", core.WithPropagation("w3c"), `traceplug: WithPropagation("w3c"): propagation: invalid format list: unknown format "w3c" (did you mean "tracecontext"?); valid formats: `},
		{"attribute", core.WithTracedAttributes("path", "Methd"), `traceplug: WithTracedAttributes: unknown traced attribute "Methd" (valid: path, path_info, method, scheme, content_type, content_params, encoding, GET, COOKIES, META, headers, Method, URL, Host, RemoteAddr, Proto, RequestURI, ContentLength, Header, Pattern; did you mean "Method"?)`},
		{"miscased attribute", core.WithTracedAttributes("remoteaddr"), `; did you mean "RemoteAddr"?)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := core.New("mock", tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New with %s: %v\nwant %s", tc.name, err, tc.want)
			}
			wantBadOption(t, err)
		})
	}
	_, err := core.Wrap(nil)
	if err == nil || err.Error() != "traceplug: Wrap(nil): a tracer is required (opentracing.NoopTracer{} traces nothing)" {
		t.Errorf("Wrap(nil) = %v", err)
	}
	wantBadOption(t, err)
}

func TestBackendsIncludesBuiltins(t *testing.T) {
	got := strings.Join(core.Backends(), ",")
	if !strings.Contains(got, "mock") || !strings.Contains(got, "none") {
		t.Errorf("Backends() = %s", got)
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	tr, err := core.New("none")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := tr.Close(); err != nil {
			t.Fatalf("Close #%d: %v", i+1, err)
		}
	}
}

// TestDefaultsYieldToTheEnvironment: options in Defaults apply before the
// TRACEPLUG_* variables, which override them; options outside win.
func TestDefaultsYieldToTheEnvironment(t *testing.T) {
	t.Setenv(core.EnvServiceName, "checkout")
	t.Setenv(core.EnvTraceAll, "false")
	tr, err := core.FromEnv(core.Defaults(core.WithBackend("mock"), core.WithServiceName("shop"), core.WithTraceAll(true)))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if s := tr.Settings(); s.ServiceName != "checkout" || s.Backend != "mock" || tr.TraceAll() {
		t.Errorf("settings %+v, trace-all %v: want the environment's service and trace-all, the default backend", s, tr.TraceAll())
	}
	t.Setenv(core.EnvBackend, "none")
	tr2, err := core.FromEnv(core.Defaults(core.WithBackend("mock")), core.WithServiceName("code"))
	if err != nil {
		t.Fatal(err)
	}
	defer tr2.Close()
	if s := tr2.Settings(); s.ServiceName != "code" || s.Backend != "none" {
		t.Errorf("settings %+v: want the variable's backend over the default, code's name over the variable", s)
	}
	tr3, err := core.FromEnv(core.WithBackend("mock"))
	if err != nil {
		t.Fatal(err)
	}
	defer tr3.Close()
	if s := tr3.Settings(); s.Backend != "mock" {
		t.Errorf("WithBackend in code: backend %q, want it over TRACEPLUG_BACKEND", s.Backend)
	}
	if _, err := core.New("mock", core.WithBackend("none")); err == nil {
		t.Error("New(mock) with WithBackend(none): no error")
	}
}

// TestUnknownVariableWarned: a misspelt TRACEPLUG_ variable is logged, with
// the variable it probably meant.
func TestUnknownVariableWarned(t *testing.T) {
	t.Setenv("TRACEPLUG_SERVICE", "checkout")
	var buf bytes.Buffer
	tr, err := core.New("mock", core.WithLogger(slog.New(slog.NewTextHandler(&buf, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if !strings.Contains(buf.String(), "TRACEPLUG_SERVICE is not one traceplug reads, and is ignored; did you mean TRACEPLUG_SERVICE_NAME?") {
		t.Errorf("logged %q", buf.String())
	}
}
