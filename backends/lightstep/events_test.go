package lightstep

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	lightstep "github.com/lightstep/lightstep-tracer-go"
)

func TestRedactLiveTokensOnly(t *testing.T) {
	routeEvents("live-token-123", nil)
	got := redactTokens("report rejected for token live-token-123")
	forgetTracer("live-token-123", nil)
	if got != "report rejected for token REDACTED" {
		t.Fatalf("redact = %q", got)
	}
	if got := redactTokens("old live-token-123"); got != "old live-token-123" {
		t.Fatalf("a forgotten token is still redacted: %q", got)
	}
}

// TestEventsGoToEachLiveLogger: lightstep-tracer-go's error events reach the
// logger of every live tracer once (core.WithLogger's), with tokens redacted,
// and stop once the tracer is shut down.
func TestEventsGoToEachLiveLogger(t *testing.T) {
	var a, b bytes.Buffer
	la, lb := slog.New(slog.NewTextHandler(&a, nil)), slog.New(slog.NewTextHandler(&b, nil))
	routeEvents("tok-a", la)
	routeEvents("tok-a", la) // a second tracer on the same logger
	routeEvents("tok-b", lb)
	onEvent(testError{errors.New("collector refused tok-a and tok-b")})
	forgetTracer("tok-a", la)
	forgetTracer("tok-a", la)
	forgetTracer("tok-b", lb)
	for name, buf := range map[string]*bytes.Buffer{"a": &a, "b": &b} {
		out := buf.String()
		if strings.Count(out, "collector refused") != 1 {
			t.Errorf("logger %s got %q: want the event once", name, out)
		}
		if strings.Contains(out, "tok-") {
			t.Errorf("logger %s got a live token: %q", name, out)
		}
	}
	if len(loggers) != 0 || len(tokens) != 0 {
		t.Errorf("after every tracer was forgotten: %d loggers, %d tokens live", len(loggers), len(tokens))
	}
}

// testError is an ErrorEvent.
type testError struct{ err error }

func (e testError) Event()         {}
func (e testError) Error() string  { return e.err.Error() }
func (e testError) Err() error     { return e.err }
func (e testError) String() string { return e.err.Error() }

var _ lightstep.ErrorEvent = testError{}
