package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/traceplug/traceplug/backends/zipkin/zipkintest"
	"github.com/traceplug/traceplug/core"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRunPrintsThreeTraces runs the demo on its default backend, console,
// printing to a file: three traces, each a tree as the seed's views make
// it, each found by the trace id its log line has.
func TestRunPrintsThreeTraces(t *testing.T) {
	file := filepath.Join(t.TempDir(), "traces.txt")
	t.Setenv(core.EnvBackend, "")
	t.Setenv(core.EnvEndpoint, file)
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	waterfalls := string(b)
	traces := strings.SplitAfter(waterfalls, "\ntrace ")
	if len(traces) != 3 || !strings.HasPrefix(waterfalls, "trace ") {
		t.Fatalf("printed %d traces, want 3:\n%s", len(traces), waterfalls)
	}
	logLine := regexp.MustCompile(`level=INFO msg="calling the server" path=/server/(\w+) trace_id=([0-9a-f]{16,32}) span_id=[0-9a-f]{16}\n`)
	logs := logLine.FindAllStringSubmatch(out.String(), -1)
	if len(logs) != 3 {
		t.Fatalf("%d log lines with ids, want 3:\n%s", len(logs), out.String())
	}
	for i, flow := range []string{"simple", "log", "childspan"} {
		if logs[i][1] != flow {
			t.Errorf("log line %d is about %s, want %s", i, logs[i][1], flow)
		}
		trace := traceFor(t, waterfalls, logs[i][2])
		for _, want := range []string{
			"\n  GET /client/" + flow + " [server] ",
			"\n    HTTP GET [client] ",
			"\n      GET /server/" + flow + " [server] ",
		} {
			if !strings.Contains(trace, want) {
				t.Errorf("the %s trace lacks %q:\n%s", flow, want, trace)
			}
		}
		switch flow {
		case "log":
			if !strings.Contains(trace, `event="Hello, world!"`) {
				t.Errorf("the server/log span lacks its log:\n%s", trace)
			}
		case "childspan":
			if !strings.Contains(trace, "\n        child_span ") {
				t.Errorf("the child span is not under the server span:\n%s", trace)
			}
		}
	}
	if !strings.HasSuffix(out.String(), "console backend: 10 spans reported, 0 dropped\n") {
		t.Errorf("the stats line is missing:\n%s", out.String())
	}
}

// traceFor returns the waterfall of the trace with id.
func traceFor(t *testing.T, waterfalls, id string) string {
	t.Helper()
	_, after, found := strings.Cut(waterfalls, "trace "+id+" ")
	if !found {
		t.Fatalf("no trace %s printed:\n%s", id, waterfalls)
	}
	trace, _, _ := strings.Cut(after, "\ntrace ")
	return trace
}

// TestRunOnZipkin: on a real backend the demo sends every span, and says so.
func TestRunOnZipkin(t *testing.T) {
	c := zipkintest.New(t)
	t.Setenv(core.EnvBackend, "zipkin")
	t.Setenv(core.EnvEndpoint, c.Endpoint())
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	if n := len(c.Spans()); n != 10 {
		t.Errorf("the collector received %d spans, want 10", n)
	}
	if !strings.HasSuffix(out.String(), "zipkin backend: 10 spans reported, 0 dropped\n") {
		t.Errorf("output:\n%s", out.String())
	}
}

// TestRunFailsWhenSpansAreLost: with the collector down, the demo says what
// was dropped and why, and fails (so the command exits non-zero).
func TestRunFailsWhenSpansAreLost(t *testing.T) {
	t.Setenv(core.EnvBackend, "zipkin")
	t.Setenv(core.EnvEndpoint, "http://127.0.0.1:1/api/v2/spans") // nothing listens on port 1
	var out bytes.Buffer
	err := run(&out)
	if !errors.Is(err, core.ErrSpansLost) || !strings.Contains(err.Error(), "traceplug: 10 spans lost: ") {
		t.Fatalf("run: %v, want ErrSpansLost for 10 spans", err)
	}
	if !regexp.MustCompile(`zipkin backend: 0 spans reported, 10 dropped \(10 [a-z ]+\)\n$`).MatchString(out.String()) {
		t.Errorf("output:\n%s", out.String())
	}
}

// TestServeShowsTheDebugPage runs the -serve mode with load: the debug
// page, on its own address, shows the flows' traces (server, client,
// server, child), and the mode ends when its context does.
func TestServeShowsTheDebugPage(t *testing.T) {
	t.Setenv(core.EnvBackend, "mock")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pages := make(chan string, 1)
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, &out, serveConfig{
			addr: "127.0.0.1:0", debug: "127.0.0.1:0", load: 5 * time.Millisecond,
			traceURL: "http://127.0.0.1:16686/trace/{trace_id}",
			ready:    func(_, page string) { pages <- page },
		})
	}()
	var page string
	select {
	case page = <-pages:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	var snap struct {
		Traces []struct {
			Link  string `json:"trace_url"`
			Spans []struct{ Operation, Kind string }
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(page + "?format=json")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&snap)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		complete := 0
		for _, tr := range snap.Traces {
			if len(tr.Spans) == 4 {
				complete++
			}
		}
		if complete > 0 && len(snap.Traces) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no traces on the page: %+v", snap)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A trace is the flow's chain of spans, or, for a flow in flight as
	// the page was drawn, the end of it that has finished.
	chain := regexp.MustCompile(`^(server GET /client/\w+, )?(client HTTP GET, )?(server GET /server/\w+(, |$))?(internal child_span)?$`)
	for _, tr := range snap.Traces {
		var shape []string
		for _, s := range tr.Spans {
			shape = append(shape, s.Kind+" "+s.Operation)
		}
		got := strings.Join(shape, ", ")
		if got == "" || !chain.MatchString(got) {
			t.Errorf("trace: %s", got)
		}
		if !strings.HasPrefix(tr.Link, "http://127.0.0.1:16686/trace/") {
			t.Errorf("trace link %q", tr.Link)
		}
	}
	resp, err := http.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(html), `<table id="operations">`) {
		t.Error("the HTML page has no operations table")
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !regexp.MustCompile(`^serving http://127\.0\.0\.1:\d+ \(flows: .*\); debug page: http://127\.0\.0\.1:\d+/debug/traceplug\n`).MatchString(out.String()) ||
		!regexp.MustCompile(`mock backend: \d+ spans reported, 0 dropped\n$`).MatchString(out.String()) {
		t.Errorf("output:\n%s", out.String())
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
