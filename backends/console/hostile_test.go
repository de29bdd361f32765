package console_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/core"
)

// TestControlCharactersEscaped: a request path, an operation name, tags and
// logs carrying terminal control sequences (OSC retitling, clear screen, CR
// overwriting, backspaces, DEL, C1's CSI, a bidi override, invalid UTF-8)
// print escaped: the output holds no control character but the newlines
// that end its own lines, and an operation with CR LF forges no line.
func TestControlCharactersEscaped(t *testing.T) {
	tr, out := newTracer(t, backend.Config{}, core.WithTraceAll(true),
		core.WithOperationName(func(r *http.Request) string { return "op\r\ntrace forged (service x)\x1b[2J" }))
	h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		span := opentracing.SpanFromContext(r.Context())
		span.SetTag("k\x1b]0;title\x07", "v\x1b[H\x08\x7f\u009b31m\u202e\xff")
		span.LogKV("event", "e\rforged", "msg\x1b", "x\x1b[2J")
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/%1B]0;title%07/%1B[2J%1B[H", nil))
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for i, r := range got {
		if r == '\n' {
			continue
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0x202e || r == 0xfffd {
			t.Fatalf("control character %U at byte %d of:\n%q", r, i, got)
		}
	}
	if n := strings.Count(got, "\ntrace ") + strings.Count(got[:min(len(got), 6)], "trace "); n != 1 {
		t.Errorf("%d trace header lines, want 1:\n%s", n, got)
	}
	for _, want := range []string{`op\r\ntrace forged (service x)\x1b[2J`, `\x1b]0;title\a`, `\u009b31m`, `\u202e`, `\xff`} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %s:\n%s", want, got)
		}
	}
}
