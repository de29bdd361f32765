package core

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/backend"
)

func noopFactory(backend.Config) (opentracing.Tracer, func(context.Context) error, error) {
	return opentracing.NoopTracer{}, nil, nil
}

func TestRegistryRejectsBadRegistrations(t *testing.T) {
	var r registry
	if err := r.register("b", noopFactory); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		backend string
		f       backend.Factory
		want    string
	}{
		{"empty name", "", noopFactory, "empty backend name"},
		{"nil factory", "x", nil, `nil factory for backend "x"`},
		{"duplicate", "b", noopFactory, `Register called twice for backend "b": two copies of the package linked`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := r.register(tc.backend, tc.f)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("register(%q) = %v, want an error containing %q", tc.backend, err, tc.want)
			}
		})
	}
}

func TestRegistryNamesSorted(t *testing.T) {
	var r registry
	for _, name := range []string{"zipkin", "jaeger", "mock", "lightstep"} {
		if err := r.register(name, noopFactory); err != nil {
			t.Fatal(err)
		}
	}
	got := strings.Join(r.names(), ",")
	if want := "jaeger,lightstep,mock,zipkin"; got != want {
		t.Fatalf("names() = %s, want %s", got, want)
	}
}

func TestRegistryUnknownNameSaysWhatToDo(t *testing.T) {
	var r registry
	_, err := r.lookup("jaeger", "")
	if !errors.Is(err, ErrUnknownBackend) {
		t.Fatalf("lookup on an empty registry: %v, want ErrUnknownBackend", err)
	}
	want := `traceplug: unknown backend "jaeger" (no backends registered; forgotten import _ "github.com/traceplug/traceplug/backends/jaeger"?)`
	if err.Error() != want {
		t.Errorf("error %q\nwant %q", err, want)
	}
}

// TestNewNoneWithOnlyCore: with only core linked, New("none") says that
// nothing is registered (it once said "registered: none", as if "none"
// were), and which import registers "none".
func TestNewNoneWithOnlyCore(t *testing.T) {
	freshRegistry(t)
	_, err := New("none")
	want := `traceplug: unknown backend "none" (no backends registered; forgotten import _ "github.com/traceplug/traceplug/backends/none"?)`
	if !errors.Is(err, ErrUnknownBackend) || err.Error() != want {
		t.Fatalf("New(none) = %v\nwant %s", err, want)
	}
}

// TestFromEnvUnsetOffersOnlyWhatIsRegistered: with TRACEPLUG_BACKEND unset,
// FromEnv offers the registered backends, and "none" only with the import
// that registers it (it once recommended "none", which then failed).
func TestFromEnvUnsetOffersOnlyWhatIsRegistered(t *testing.T) {
	t.Setenv(EnvBackend, "")
	for _, tc := range []struct {
		linked []string
		want   string
	}{
		{nil, `traceplug: TRACEPLUG_BACKEND is not set, and no backends are registered: import one, such as _ "github.com/traceplug/traceplug/backends/console", and set TRACEPLUG_BACKEND to its name`},
		{[]string{"mock"}, `traceplug: TRACEPLUG_BACKEND is not set: set it to one of mock (or, to turn tracing off, import _ "github.com/traceplug/traceplug/backends/none" and set it to "none")`},
		{[]string{"none", "mock"}, `traceplug: TRACEPLUG_BACKEND is not set: set it to one of mock, none ("none" turns tracing off)`},
	} {
		freshRegistry(t)
		for _, name := range tc.linked {
			Register(name, noopFactory)
		}
		_, err := FromEnv()
		if !errors.Is(err, ErrBadOption) || err.Error() != tc.want {
			t.Errorf("linked %v: %v\nwant %s", tc.linked, err, tc.want)
		}
	}
}

// TestDidYouMeanBackend: a miscased or misspelt name of a registered
// backend suggests it.
func TestDidYouMeanBackend(t *testing.T) {
	freshRegistry(t)
	Register("jaeger", noopFactory)
	Register("zipkin", noopFactory)
	for _, name := range []string{"Jaeger", "jeager", "jaegr", "JAEGER"} {
		_, err := New(name)
		want := `traceplug: unknown backend "` + name + `" (registered: jaeger, zipkin; did you mean "jaeger"?)`
		if err == nil || err.Error() != want {
			t.Errorf("New(%q) = %v\nwant %s", name, err, want)
		}
	}
}

func TestSuggest(t *testing.T) {
	attrs := TracedAttributes()
	for _, tc := range []struct{ name, want string }{
		{"Methd", "Method"},
		{"methd", "method"},
		{"METHOD", "method"},
		{"remoteaddr", "RemoteAddr"},
		{"pth", "path"},
		{"bogus", ""},
		{"", ""},
	} {
		if got := suggest(tc.name, attrs); got != tc.want {
			t.Errorf("suggest(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// freshRegistry points Register and New at an empty registry for one test.
func freshRegistry(t *testing.T) {
	old := backends
	backends = &registry{}
	t.Cleanup(func() { backends = old })
}

func TestRegisterPanicsOnDuplicate(t *testing.T) {
	freshRegistry(t)
	name := "registry-test-duplicate"
	Register(name, noopFactory)
	defer func() {
		v := recover()
		err, ok := v.(error)
		if !ok || !strings.Contains(err.Error(), "two copies of the package linked") {
			t.Fatalf("second Register panicked with %v, want a diagnosis", v)
		}
	}()
	Register(name, noopFactory)
}

// TestFactoryCalledOutsideLock registers a factory that itself calls into the
// registry, which would deadlock if New held the lock while calling it.
func TestFactoryCalledOutsideLock(t *testing.T) {
	freshRegistry(t)
	name := "registry-test-reentrant"
	Register(name, func(cfg backend.Config) (opentracing.Tracer, func(context.Context) error, error) {
		Register(name+"-inner", noopFactory)
		_ = Backends()
		return opentracing.NoopTracer{}, nil, nil
	})
	tr, err := New(name)
	if err != nil {
		t.Fatal(err)
	}
	_ = tr.Close()
}

func TestRedactorQuery(t *testing.T) {
	x := &redactor{querySubs: DefaultRedactedQueryKeys(), queryIndex: newSubIndex(DefaultRedactedQueryKeys())}
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"a=1&b=2", "a=1&b=2"},
		{"access_token=abc&page=2", "access_token=REDACTED&page=2"},
		{"X-Amz-Signature=ff&X-Amz-Credential=c&x=1", "X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&x=1"},
		{"sig=s&sv=2020", "sig=REDACTED&sv=2020"},
		{"pass%77ord=hunter2", "pass%77ord=REDACTED"},
		{"token", "token"},
		{"Password=x;y", "Password=REDACTED"},
	} {
		if got := x.query(tc.in); got != tc.want {
			t.Errorf("query(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = x.query("page=2&sort=name") }); n != 0 {
		t.Errorf("query without secrets allocates %v times, want 0", n)
	}
}

func TestRedactorCapKeepsUTF8(t *testing.T) {
	x := &redactor{maxLen: 8}
	got := x.cap("ééééé") // 10 bytes
	if got != "ééé..." && got != "éé..." {
		t.Fatalf("cap = %q", got)
	}
	if !strings.HasSuffix(got, "...") || len(got) > 8 {
		t.Fatalf("cap = %q: want at most 8 bytes ending in ...", got)
	}
}

func TestPatternName(t *testing.T) {
	for _, tc := range []struct{ method, pattern, want string }{
		{"GET", "/items/{id}", "GET /items/{id}"},
		{"GET", "GET /items/{id}", "GET /items/{id}"},
		{"HEAD", "GET /items/", "HEAD /items/"},
		{"POST", "example.com/upload", "POST example.com/upload"},
		{"PUT", "PUT  example.com/a b", "PUT example.com/a b"},
	} {
		if got := patternName(tc.method, tc.pattern); got != tc.want {
			t.Errorf("patternName(%q, %q) = %q, want %q", tc.method, tc.pattern, got, tc.want)
		}
	}
}

func TestBoxingDoesNotAllocate(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() {
		_, _ = method("PATCH")
		_ = boxStatus(503)
	}); n != 0 {
		t.Errorf("boxing a standard method and a status allocates %v times", n)
	}
}
