package core_test

import (
	"errors"
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
		{"unset backend", "TRACEPLUG_BACKEND", "", "TRACEPLUG_BACKEND is not set"},
		{"unknown backend", "TRACEPLUG_BACKEND", "jaegr", `unknown backend "jaegr"`},
		{"bad rate", "TRACEPLUG_SAMPLE_RATE", "lots", "TRACEPLUG_SAMPLE_RATE"},
		{"rate above 1", "TRACEPLUG_SAMPLE_RATE", "1.5", "from 0 to 1"},
		{"bad bool", "TRACEPLUG_TRACE_ALL", "yes please", "TRACEPLUG_TRACE_ALL"},
		{"bad attribute", "TRACEPLUG_TRACED_ATTRIBUTES", "path,nope", `TRACEPLUG_TRACED_ATTRIBUTES: unknown attribute "nope"`},
		{"bad params", "TRACEPLUG_PARAMS", "novalue", "TRACEPLUG_PARAMS"},
		{"unknown param", "TRACEPLUG_PARAMS", "colour=blue", `unknown param "colour"`},
		{"bad propagation", "TRACEPLUG_PROPAGATION", "smoke-signals", `propagation "smoke-signals"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("TRACEPLUG_BACKEND", "mock")
			t.Setenv(tc.key, tc.value)
			_, err := core.FromEnv()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("FromEnv with %s=%q: %v; want an error containing %q", tc.key, tc.value, err, tc.want)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	_, err := core.New("nope")
	if !errors.Is(err, core.ErrUnknownBackend) {
		t.Fatalf("New(nope) = %v, want ErrUnknownBackend", err)
	}
	for _, want := range []string{`"nope"`, "mock", "none", `import _ "github.com/traceplug/traceplug/backends/nope"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	for _, opt := range []core.Option{core.WithSampleRate(1.5), core.WithSampleRate(-0.1), core.WithParam("", "x"), core.WithTag("", "x")} {
		if _, err := core.New("mock", opt); !errors.Is(err, core.ErrBadOption) {
			t.Errorf("New with a bad option: %v, want ErrBadOption", err)
		}
	}
	if _, err := core.Wrap(nil); !errors.Is(err, core.ErrBadOption) {
		t.Errorf("Wrap(nil) = %v", err)
	}
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
