package e2e

import (
	"os"
	"strings"
	"testing"
)

// testdata/v2/metrics.txt is Jaeger v2's /metrics page (127.0.0.1:8888) after
// the example sent its three traces, ten spans, over UDP.
func TestAcceptedSpans(t *testing.T) {
	f, err := os.Open("testdata/v2/metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	counts, err := AcceptedSpans(f)
	if err != nil {
		t.Fatal(err)
	}
	if got := counts[ViaAgentUDP.Transport]; got != 10 {
		t.Errorf("accepted spans on %s = %d, want 10 (all counts: %v)", ViaAgentUDP.Transport, got, counts)
	}
	if len(counts) != 1 {
		t.Errorf("counts for %d transports, want 1: %v", len(counts), counts)
	}
}

func TestAcceptedSpansLabels(t *testing.T) {
	page := `# TYPE otelcol_receiver_accepted_spans_total counter
otelcol_receiver_accepted_spans_total{receiver="zipkin",transport="http_v2_json"} 4
otelcol_receiver_accepted_spans_total{otel_scope_name="x,y",receiver="otlp",transport="http"} 3
otelcol_receiver_accepted_spans_total{receiver="otlp",transport="h\"ttp"} 1e+00
otelcol_receiver_refused_spans_total{receiver="otlp",transport="http"} 9
`
	counts, err := AcceptedSpans(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]int64{"zipkin/http_v2_json": 4, "otlp/http": 3, `otlp/h"ttp`: 1} {
		if counts[key] != want {
			t.Errorf("counts[%q] = %d, want %d (all: %v)", key, counts[key], want, counts)
		}
	}
	if len(counts) != 3 {
		t.Errorf("%d counts, want 3: %v", len(counts), counts)
	}
}

func TestCheckFormat(t *testing.T) {
	tr := load(t, V1, "childspan-trace.json")
	if err := CheckFormat(tr, "", ViaAgentUDP.Format); err != nil {
		t.Errorf("the v1 golden trace, sent over UDP: %v", err)
	}
	err := CheckFormat(tr, "manual-udp", ViaThriftHTTP.Format)
	if err == nil || !strings.Contains(err.Error(), `came in as "proto", want "jaeger"`) {
		t.Errorf("CheckFormat(want jaeger) = %v, want an error naming both formats", err)
	}
	if err := CheckFormat(tr, "other", ViaAgentUDP.Format); err == nil {
		t.Error("CheckFormat passed for a service with no spans in the trace")
	}
	// v2 puts no internal.span.format tag on spans.
	if err := CheckFormat(load(t, V2, "childspan-trace.json"), "", ViaAgentUDP.Format); err == nil || !strings.Contains(err.Error(), "no internal.span.format tag") {
		t.Errorf("CheckFormat on a v2 trace = %v, want an error saying the tag is missing", err)
	}
}
