// Package transporttest is the suite of tests that the otel backend passes
// over every OTLP transport, and the helpers they share: the otel module's
// tests run it over HTTP/protobuf, and the otlpgrpc module's over gRPC, so
// that what the backend promises of an export is held on both, without
// linking gRPC into the otel module. It is ordinary code taking
// *testing.T, as the conformance suite is; each exported test function is
// called by a test of the same name in both modules (TestBurstSmallQueue
// calls [BurstSmallQueue]).
//
// It is internal to the otel backend; the otlpgrpc module, nested under
// backends/otel, may import it.
package transporttest

import (
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/internal/redact/redacttest"
)

// Transport is what the suite needs of an OTLP transport.
type Transport struct {
	// Name is the transport's name in oteltest ("http", "grpc"): its
	// collectors' endpoints are oteltest's.
	Name string
	// StartTLS serves rec over TLS with conf on 127.0.0.1 until the test
	// ends, and returns its endpoint (https://HOST:PORT/v1/traces,
	// grpcs://HOST:PORT).
	StartTLS func(t *testing.T, rec *Recorder, conf *tls.Config) string
	// StartEcho serves a collector on 127.0.0.1 until the test ends that
	// refuses every request, saying "bad key VALUE for tenant", where
	// VALUE is the request's x-api-key header (or metadata), and returns
	// its endpoint.
	StartEcho func(t *testing.T) string
}

// HTTP is OTLP over HTTP/protobuf, which the otel module speaks.
var HTTP = Transport{
	Name: "http",
	StartTLS: func(t *testing.T, rec *Recorder, conf *tls.Config) string {
		return "https://" + StartHTTPS(t, rec, conf) + "/v1/traces"
	},
	StartEcho: func(t *testing.T) string {
		echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "bad key "+r.Header.Get("X-Api-Key")+" for tenant", http.StatusUnauthorized)
		}))
		t.Cleanup(echo.Close)
		return echo.URL + "/v1/traces"
	},
}

// OK answers every request with "ok".
var OK = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })

// Serve sends n requests through h.
func Serve(h http.Handler, n int) {
	r := httptest.NewRequest("GET", "/work", nil)
	for i := 0; i < n; i++ {
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
}

// WantAccounted checks that every finished span is reported or dropped.
func WantAccounted(t *testing.T, st core.Stats, finished uint64) {
	t.Helper()
	t.Logf("finished %d, reported %d, dropped %d %v, pending %d", st.Finished, st.Reported, st.Dropped, st.DroppedBy, st.Pending)
	if st.Finished != finished || st.Reported+st.Dropped != st.Finished || st.Pending != 0 {
		t.Errorf("finished %d (want %d), reported %d + dropped %d %v, pending %d: every span must be reported or dropped",
			st.Finished, finished, st.Reported, st.Dropped, st.DroppedBy, st.Pending)
	}
}

// Send builds an otel tracer with opts, sends one span named "probe",
// closes the tracer, and returns its counts, Close's error and what it
// logged.
func Send(t *testing.T, opts ...core.Option) (core.Stats, error, string) {
	t.Helper()
	logs := &redacttest.Logs{}
	tr, err := core.New("otel", append([]core.Option{core.WithLogger(logs.Slog())}, opts...)...)
	if err != nil {
		t.Fatalf("core.New: %v", err)
	}
	tr.StartSpan("probe").Finish()
	err = tr.Close()
	return tr.Stats(), err, logs.String()
}

// Probe builds a tracer with opts, sends one span named "probe", closes the
// tracer, failing the test unless that went well, and returns the tracer.
func Probe(t *testing.T, opts ...core.Option) *core.Tracer {
	t.Helper()
	tr, err := core.New("otel", opts...)
	if err != nil {
		t.Fatalf("core.New: %v", err)
	}
	tr.StartSpan("probe").Finish()
	if err := tr.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return tr
}

// WantDelivered checks that the one span was reported, and decoded by rec.
func WantDelivered(t *testing.T, st core.Stats, closeErr error, logged string, rec *Recorder) {
	t.Helper()
	spans, _ := rec.Received()
	if closeErr != nil || st.Reported != 1 || st.Dropped != 0 || st.Pending != 0 || len(spans) != 1 {
		t.Errorf("Close = %v; reported %d, dropped %v, pending %d; the collector decoded %v: want the span delivered (logged %q)",
			closeErr, st.Reported, st.DroppedBy, st.Pending, spans, logged)
	}
}

// WantFailed checks that the one span was dropped as send failed, which
// Close reports, that rec (if any) decoded nothing, and that the log line
// says every text of why.
func WantFailed(t *testing.T, st core.Stats, closeErr error, logged string, rec *Recorder, why ...string) {
	t.Helper()
	if rec != nil {
		if spans, _ := rec.Received(); len(spans) != 0 {
			t.Errorf("the collector decoded %v, want nothing", spans)
		}
	}
	if !errors.Is(closeErr, core.ErrSpansLost) || st.Reported != 0 || st.Dropped != 1 || st.DroppedBy[backend.DropSend] != 1 || st.Pending != 0 {
		t.Errorf("Close = %v; reported %d, dropped %v, pending %d: want the span dropped as %q, and ErrSpansLost",
			closeErr, st.Reported, st.DroppedBy, st.Pending, backend.DropSend)
	}
	for _, w := range why {
		if !strings.Contains(logged, w) {
			t.Errorf("logged %q: want %q", logged, w)
		}
	}
}
