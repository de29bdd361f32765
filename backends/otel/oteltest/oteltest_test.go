package oteltest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRegisterTransport: on a fresh registry, a transport registers once,
// under a name other than "http", with both of its functions; the errors
// say what is wrong.
func TestRegisterTransport(t *testing.T) {
	serve := func(testing.TB, *Collector) (string, func()) { return "", func() {} }
	faulty := func(testing.TB, Fault) string { return "" }
	tr := Transport{Serve: serve, Faulty: faulty}
	r := &transports{}
	for _, tc := range []struct {
		name, transport string
		tr              Transport
		want            string // in the error; "" for none
	}{
		{"empty name", "", tr, "which is taken"},
		{"http", "http", tr, "which is taken"},
		{"no Serve", "grpc", Transport{Faulty: faulty}, "without its Serve or Faulty"},
		{"no Faulty", "grpc", Transport{Serve: serve}, "without its Serve or Faulty"},
		{"grpc", "grpc", tr, ""},
		{"grpc again", "grpc", tr, "two copies of its package linked?"},
	} {
		err := r.register(tc.transport, tc.tr)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: register = %v, want %q", tc.name, err, tc.want)
		}
	}
	if got := r.names(); len(got) != 1 || got[0] != "grpc" {
		t.Errorf("names = %v, want [grpc]", got)
	}
}

// TestTransportNotLinked: a collector asked for the endpoint of a transport
// no linked package registered (gRPC, in this module) says which import is
// missing.
func TestTransportNotLinked(t *testing.T) {
	c := New(t)
	defer func() {
		r := recover()
		if s, _ := r.(string); !strings.Contains(s, `import _ "github.com/traceplug/traceplug/backends/otel/otlpgrpc/otlpgrpctest"`) {
			t.Errorf("Endpoint(grpc) panicked with %v, want the missing import", r)
		}
	}()
	c.Endpoint("grpc")
	t.Error("Endpoint(grpc) returned")
}

// TestResponse: the collector's answers, encoded by hand, are what
// proto.Marshal writes for the generated ExportTraceServiceResponse (the
// golden files of internal/otlp).
func TestResponse(t *testing.T) {
	for _, tc := range []struct {
		file     string
		rejected int64
		reason   string
	}{
		{"empty.binpb", 0, ""},
		{"partial_success.binpb", 3, "too many attributes"},
		{"rejected_only.binpb", 512, ""},
		{"warning_only.binpb", 0, "deprecated attribute names"},
	} {
		want, err := os.ReadFile(filepath.Join("..", "internal", "otlp", "testdata", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		if got := response(tc.rejected, tc.reason); !bytes.Equal(got, want) {
			t.Errorf("response(%d, %q) = %x, want %x (%s)", tc.rejected, tc.reason, got, want, tc.file)
		}
	}
}
