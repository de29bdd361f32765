package core_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/core"
)

// noTime drops the time from slog's text output, for stable output.
func noTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Attr{}
	}
	return a
}

func textLogger(tr *core.Tracer, buf *bytes.Buffer) *slog.Logger {
	return slog.New(tr.LogHandler(slog.NewTextHandler(buf, &slog.HandlerOptions{ReplaceAttr: noTime})))
}

// TestLogHandler: records logged with a traced request's context carry its
// trace and span ids, top-level even in groups; others pass unchanged.
func TestLogHandler(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true))
	var buf bytes.Buffer
	logger := textLogger(tr, &buf).With("app", "shop")
	grouped := logger.WithGroup("req").With("id", 7).WithGroup("db")
	var childID string
	h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logger.InfoContext(r.Context(), "in the handler", "k", "v")
		grouped.InfoContext(r.Context(), "grouped", "rows", 3)
		grouped.InfoContext(r.Context(), "grouped, no attrs")
		child, ctx := opentracing.StartSpanFromContextWithTracer(r.Context(), tr, "child")
		_, childID, _ = tr.ContextIDs(ctx)
		logger.DebugContext(ctx, "not enabled")
		logger.WarnContext(ctx, "in the child")
		child.Finish()
	}))
	do(h, newRequest("/"))
	logger.Info("no context")
	logger.InfoContext(context.Background(), "no span")

	spans := m.FinishedSpans()
	server := spans[len(spans)-1]
	trace, span := fmt.Sprintf("%016x", server.TraceID), fmt.Sprintf("%016x", server.SpanID)
	if server.TraceIDHigh != 0 { // core starts new traces with 128-bit ids
		trace = fmt.Sprintf("%016x%016x", server.TraceIDHigh, server.TraceID)
	}
	want := strings.Join([]string{
		`level=INFO msg="in the handler" app=shop k=v trace_id=` + trace + ` span_id=` + span,
		`level=INFO msg=grouped app=shop req.id=7 req.db.rows=3 trace_id=` + trace + ` span_id=` + span,
		`level=INFO msg="grouped, no attrs" app=shop req.id=7 trace_id=` + trace + ` span_id=` + span,
		`level=WARN msg="in the child" app=shop trace_id=` + trace + ` span_id=` + childID,
		`level=INFO msg="no context" app=shop`,
		`level=INFO msg="no span" app=shop`,
		``,
	}, "\n")
	if buf.String() != want {
		t.Fatalf("log:\n%s\nwant:\n%s", buf.String(), want)
	}
	if childID == span || len(childID) != 16 {
		t.Errorf("child span id %q", childID)
	}
}

// TestLogHandlerNoIDs: on the none backend, or a tracer that is no
// SpanContextCodec, records pass through without ids.
func TestLogHandlerNoIDs(t *testing.T) {
	tr, err := core.New("none", core.WithTraceAll(true))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	var buf bytes.Buffer
	logger := textLogger(tr, &buf)
	do(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logger.InfoContext(r.Context(), "untraced")
	})), newRequest("/"))
	if buf.String() != "level=INFO msg=untraced\n" {
		t.Fatalf("log %q", buf.String())
	}
}

func TestLogHandlerConcurrentUse(t *testing.T) {
	tr, _ := newMock(t, core.WithTraceAll(true))
	var mu sync.Mutex
	var buf bytes.Buffer
	logger := slog.New(tr.LogHandler(slog.NewJSONHandler(&lockedWriter{mu: &mu, w: &buf}, nil))).WithGroup("g")
	h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logger.With("a", 1).InfoContext(r.Context(), "hi", "b", 2)
	}))
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			do(h, newRequest("/"))
		}()
	}
	wg.Wait()
	if n := strings.Count(buf.String(), `"trace_id":`); n != 20 {
		t.Fatalf("%d records with a trace id, want 20:\n%s", n, buf.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestLogHandlerOneTraceID: a record the application gives a trace_id of its
// own (a caller's correlation header) carries one trace_id, the span's, in
// JSON; without a span, the application's passes.
func TestLogHandlerOneTraceID(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true))
	var buf bytes.Buffer
	logger := slog.New(tr.LogHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: noTime})))
	withOwn := logger.With("trace_id", "forged-with")
	h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logger.InfoContext(r.Context(), "own attr", "trace_id", "forged", "span_id", "x", "k", 1)
		withOwn.InfoContext(r.Context(), "own with")
		withOwn.WithGroup("g").InfoContext(r.Context(), "own in group", "trace_id", "grouped")
	}))
	do(h, newRequest("/"))
	logger.Info("no span", "trace_id", "theirs")
	withOwn.WithGroup("g").Info("no span, grouped")
	server := onlySpan(t, m)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{
		`{"level":"INFO","msg":"own attr","k":1,"trace_id":"` + server.TraceIDHex() + `","span_id":"` + fmt.Sprintf("%016x", server.SpanID) + `"}`,
		`{"level":"INFO","msg":"own with","trace_id":"` + server.TraceIDHex() + `","span_id":"` + fmt.Sprintf("%016x", server.SpanID) + `"}`,
		`{"level":"INFO","msg":"own in group","g":{"trace_id":"grouped"},"trace_id":"` + server.TraceIDHex() + `","span_id":"` + fmt.Sprintf("%016x", server.SpanID) + `"}`,
		`{"level":"INFO","msg":"no span","trace_id":"theirs"}`,
		`{"level":"INFO","msg":"no span, grouped","trace_id":"forged-with"}`,
	}
	if len(lines) != len(want) {
		t.Fatalf("logged:\n%s", buf.String())
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d:\n got %s\nwant %s", i, lines[i], want[i])
		}
	}
}
