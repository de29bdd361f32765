package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/traceplug/traceplug/backends/mock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunPrintsThreeTraces(t *testing.T) {
	t.Setenv("TRACEPLUG_BACKEND", "")
	var out bytes.Buffer
	spans, err := run(&out)
	if err != nil {
		t.Fatal(err)
	}
	traces := map[uint64][]mock.Span{}
	for _, s := range spans {
		traces[s.TraceID] = append(traces[s.TraceID], s)
	}
	if len(traces) != 3 {
		t.Fatalf("%d traces, want 3:\n%s", len(traces), out.String())
	}
	for _, flow := range []string{"simple", "log", "childspan"} {
		front := find(t, spans, "GET /client/"+flow)
		tr := traces[front.TraceID]
		client := childOf(t, tr, front, "HTTP GET")
		if fmt.Sprint(client.Tags["span.kind"]) != "client" {
			t.Errorf("%s: the client call's span kind is %v", flow, client.Tags["span.kind"])
		}
		server := childOf(t, tr, client, "GET /server/"+flow)
		switch flow {
		case "log":
			if len(server.Logs) != 1 || server.Logs[0].Fields["event"] != "Hello, world!" {
				t.Errorf("server/log span logs %v", server.Logs)
			}
		case "childspan":
			childOf(t, tr, server, "child_span")
		}
		if !strings.Contains(out.String(), "GET /client/"+flow) || !strings.Contains(out.String(), "GET /server/"+flow) {
			t.Errorf("the output lacks the %s flow:\n%s", flow, out.String())
		}
	}
	if n := strings.Count(out.String(), "\ntrace ") + 1; n != 3 || !strings.HasPrefix(out.String(), "trace ") {
		t.Errorf("printed %d traces:\n%s", n, out.String())
	}
	if !strings.Contains(out.String(), "        child_span") {
		t.Errorf("the child span is not indented under the server span:\n%s", out.String())
	}
}

func find(t *testing.T, spans []mock.Span, op string) mock.Span {
	t.Helper()
	for _, s := range spans {
		if s.Operation == op {
			return s
		}
	}
	t.Fatalf("no span %q", op)
	return mock.Span{}
}

func childOf(t *testing.T, trace []mock.Span, parent mock.Span, op string) mock.Span {
	t.Helper()
	for _, s := range trace {
		if s.Operation == op && s.ParentID == parent.SpanID {
			return s
		}
	}
	t.Fatalf("no span %q under %q in its trace", op, parent.Operation)
	return mock.Span{}
}
