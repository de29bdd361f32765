package transporttest

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/core"
)

// EnvHeaders: headers for a hosted backend (gRPC metadata over gRPC), the
// headers param over the traces variable over the general one.
func EnvHeaders(t *testing.T, tp Transport) {
	for _, tc := range []struct {
		name   string
		env    map[string]string
		opts   []core.Option
		tenant string
	}{
		{name: "general", env: map[string]string{otel.EnvHeaders: "x-tenant=general,authorization=Bearer%20tok"}, tenant: "general"},
		{name: "traces over general", env: map[string]string{otel.EnvHeaders: "x-tenant=general", otel.EnvTracesHeaders: "x-tenant=traces,authorization=Bearer%20tok"}, tenant: "traces"},
		{name: "param over variables", env: map[string]string{otel.EnvTracesHeaders: "x-tenant=traces"},
			opts: []core.Option{core.WithParam("headers", "x-tenant=param,authorization=Bearer%20tok")}, tenant: "param"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c := oteltest.New(t)
			Probe(t, append(c.Options(tp.Name), tc.opts...)...)
			h := c.Headers()
			if len(h) != 1 {
				t.Fatalf("%d requests", len(h))
			}
			if got := h[0].Get("X-Tenant"); got != tc.tenant {
				t.Errorf("x-tenant %q, want %q", got, tc.tenant)
			}
			if got := h[0].Get("Authorization"); got != "Bearer tok" {
				t.Errorf("authorization %q, want the decoded \"Bearer tok\"", got)
			}
		})
	}
}

// HeadersNeverLogged: the headers' values reach the collector and
// nowhere else: not the log (even when the collector echoes them back), not
// Shutdown's error, not a tag or resource attribute.
func HeadersNeverLogged(t *testing.T, tp Transport) {
	const secret = "s3cret-api-key"
	var logged bytes.Buffer
	log.SetOutput(&logged)
	defer log.SetOutput(os.Stderr)
	t.Setenv(otel.EnvHeaders, "x-api-key="+secret)

	tr, err := core.New("otel", core.WithEndpoint(tp.StartEcho(t)))
	if err != nil {
		t.Fatal(err)
	}
	tr.StartSpan("probe").Finish()
	if err := tr.Close(); err != nil && strings.Contains(err.Error(), secret) {
		t.Errorf("Close's error shows the header: %v", err)
	}
	if st := tr.Stats(); st.DroppedBy[backend.DropRejected] != 1 {
		t.Errorf("the refused span was not counted as rejected: %v", st.DroppedBy)
	}

	c := oteltest.New(t)
	Probe(t, append(c.Options(tp.Name), core.WithTraceAll(true))...)
	spans := c.Spans()
	if len(spans) != 1 {
		t.Fatalf("want 1 span, got %d: %v", len(spans), spans)
	}
	s := spans[0]
	for k, v := range s.Tags {
		if strings.Contains(fmt.Sprint(v), secret) {
			t.Errorf("tag %s holds the header", k)
		}
	}
	for k, v := range s.Process {
		if strings.Contains(fmt.Sprint(v), secret) {
			t.Errorf("resource attribute %s holds the header", k)
		}
	}
	if c.Headers()[0].Get("X-Api-Key") != secret {
		t.Error("the header did not reach the collector")
	}

	// A hung collector: the error of Shutdown.
	hung, err := core.New("otel", core.WithEndpoint(oteltest.FaultyEndpoint(t, tp.Name, oteltest.Silent)))
	if err != nil {
		t.Fatal(err)
	}
	hung.StartSpan("held").Finish()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := hung.Shutdown(ctx); err != nil && strings.Contains(err.Error(), secret) {
		t.Errorf("Shutdown's error shows the header: %v", err)
	}
	if !strings.Contains(logged.String(), "bad key [redacted] for tenant") {
		t.Errorf("the collector's refusal was not logged, scrubbed: %q", logged.String())
	}
	if strings.Contains(logged.String(), secret) {
		t.Errorf("the log shows the header: %q", logged.String())
	}
}
