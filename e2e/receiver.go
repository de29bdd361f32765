package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Version is the major version of the Jaeger under test. Both answer the
// query API alike for traceplug's spans (same operation names, span.kind
// tags, references, services); they differ in how they tell which receiver
// took a span, and in the process tags they add.
type Version string

// The versions scripts/jaeger.sh runs.
const (
	V1 Version = "v1" // all-in-one 1.x, Jaeger's own collector and agent
	V2 Version = "v2" // Jaeger 2.x, built on the OpenTelemetry Collector
)

// Via is one of Jaeger's ways in, as each version names it.
type Via struct {
	// Format is the internal.span.format tag Jaeger v1 puts on each span it
	// stored, naming the path the span came in by.
	Format string
	// Transport is the receiver and transport labels, "receiver/transport",
	// of Jaeger v2's otelcol_receiver_accepted_spans_total counter. v2 puts
	// no such tag on spans.
	Transport string
}

// Jaeger's ways in that traceplug's backends use.
var (
	// ViaAgentUDP: compact thrift over UDP. v1's agent forwards the spans
	// to its collector over gRPC, hence "proto".
	ViaAgentUDP = Via{Format: "proto", Transport: "jaeger/udp_thrift_compact"}
	// ViaThriftHTTP: thrift over HTTP to the collector's /api/traces.
	ViaThriftHTTP = Via{Format: "jaeger", Transport: "jaeger/collector_http"}
	// ViaZipkin: Zipkin's v2 JSON API, /api/v2/spans.
	ViaZipkin = Via{Format: "zipkin", Transport: "zipkin/http_v2_json"}
	// ViaOTLPHTTP: OTLP over HTTP, /v1/traces (JSON or protobuf). v1.42
	// tags OTLP spans "proto", not the "otlp" it defines: its OTLP receiver
	// hands them to the gRPC handler's consume, which hard-codes the proto
	// format. So on v1 the tag cannot tell OTLP from the agent.
	ViaOTLPHTTP = Via{Format: "proto", Transport: "otlp/http"}
	// ViaOTLPGRPC: OTLP over gRPC; "proto" on v1 as for ViaOTLPHTTP.
	ViaOTLPGRPC = Via{Format: "proto", Transport: "otlp/grpc"}
)

// CheckFormat checks that every span of tr carries Jaeger v1's
// internal.span.format tag with value format (of the spans of service, or of
// all spans when service is ""). The error names each span that does not.
func CheckFormat(tr *Trace, service, format string) error {
	var errs []error
	n := 0
	for _, s := range tr.Spans {
		if service != "" && tr.Processes[s.ProcessID].ServiceName != service {
			continue
		}
		n++
		if got, ok := s.Tag("internal.span.format"); !ok {
			errs = append(errs, fmt.Errorf("span %q has no internal.span.format tag, want %q", s.OperationName, format))
		} else if got != format {
			errs = append(errs, fmt.Errorf("span %q came in as %q, want %q", s.OperationName, got, format))
		}
	}
	if n == 0 {
		errs = append(errs, fmt.Errorf("no span of service %q in trace %s", service, tr.TraceID))
	}
	return errors.Join(errs...)
}

// AcceptedSpans reads Jaeger v2's Prometheus metrics (its /metrics page, the
// text format) and returns otelcol_receiver_accepted_spans_total by
// "receiver/transport", as in [Via.Transport].
func AcceptedSpans(r io.Reader) (map[string]int64, error) {
	const name = "otelcol_receiver_accepted_spans_total{"
	counts := map[string]int64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		end := strings.LastIndexByte(line, '}')
		if end < 0 {
			return nil, fmt.Errorf("e2e: a metric line without its closing brace: %s", line)
		}
		labels := parseLabels(line[len(name):end])
		fields := strings.Fields(line[end+1:])
		if len(fields) == 0 {
			return nil, fmt.Errorf("e2e: a metric line without a value: %s", line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return nil, fmt.Errorf("e2e: the value of %s: %w", line, err)
		}
		counts[labels["receiver"]+"/"+labels["transport"]] += int64(v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("e2e: reading metrics: %w", err)
	}
	return counts, nil
}

// parseLabels parses `a="x",b="y"`; the values the receiver counter has need
// no unescaping beyond \" and \\.
func parseLabels(s string) map[string]string {
	labels := map[string]string{}
	for s != "" {
		eq := strings.IndexByte(s, '=')
		if eq < 0 || eq+1 >= len(s) || s[eq+1] != '"' {
			break
		}
		key := strings.TrimSpace(s[:eq])
		var b strings.Builder
		i := eq + 2
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
			}
			b.WriteByte(s[i])
		}
		labels[key] = b.String()
		s = strings.TrimPrefix(s[min(i+1, len(s)):], ",")
	}
	return labels
}
