package jaeger_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/traceplug/traceplug/backends/jaeger/jaegertest"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/internal/redact/redacttest"
)

// TestEndpointCredentialsNeverShow (issue 27): an endpoint's user name,
// password and query values reach the collector and nowhere else: not the
// log lines of a collector that is down or answers 500 (nor of an agent
// that is not listening), not Shutdown's error, not New's error for an
// endpoint it rejects, from code or JAEGER_ENDPOINT. And the log lines go to
// core.WithLogger's logger, not to the log package.
func TestEndpointCredentialsNeverShow(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusInternalServerError)
	}))
	defer failing.Close()
	agent, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	agentAddr := agent.LocalAddr().String()
	agent.Close()

	for _, tc := range []struct {
		name, endpoint, want string // want: in the log; "" for nothing
	}{
		{"http down", redacttest.WithCredentials("http", down.Listener.Addr().String(), "/api/traces"),
			"sending 1 span to http://REDACTED@"},
		{"http 500", redacttest.WithCredentials("http", failing.Listener.Addr().String(), "/api/traces"),
			"sending 1 span to http://REDACTED@" + failing.Listener.Addr().String() + "/api/traces?api_key=REDACTED: the collector refused the spans: 500"},
		{"udp down", redacttest.WithCredentials("udp", agentAddr, ""), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			redacttest.CheckFailedSend(t, "jaeger", tc.want, core.WithEndpoint(tc.endpoint))
		})
	}

	bad := append(redacttest.BadEndpoints("http", "collector:14268", "/api/traces"),
		redacttest.BadEndpoints("udp", "agent:6831", "")...)
	bad = append(bad, "udp://"+redacttest.User+":"+redacttest.Password+"@agent") // no port
	for _, endpoint := range bad {
		redacttest.CheckRefused(t, "jaeger", fmt.Sprintf("endpoint %q", endpoint), core.WithEndpoint(endpoint))
	}
	for _, endpoint := range redacttest.BadEndpoints("http", "collector:14268", "/api/traces") {
		t.Setenv("JAEGER_ENDPOINT", endpoint)
		redacttest.CheckRefused(t, "jaeger", fmt.Sprintf("JAEGER_ENDPOINT=%q", endpoint))
	}
}

// TestLogSpansGoToTheLogger: the log_spans param logs each span through
// core.WithLogger's logger, at info level, not through the log package.
func TestLogSpansGoToTheLogger(t *testing.T) {
	c := jaegertest.NewHTTP(t)
	std := redacttest.StdLog(t)
	logs := &redacttest.Logs{}
	tr := newTracer(t, c, core.WithLogger(logs.Slog()), core.WithParam("log_spans", "true"))
	tr.StartSpan("logged-span").Finish()
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if got := logs.String(); !strings.Contains(got, "level=INFO") || !strings.Contains(got, "Reporting span") {
		t.Errorf("core.WithLogger's logger got %q, want the span at info level", got)
	}
	if std.String() != "" {
		t.Errorf("the log package got %q", std.String())
	}
}
