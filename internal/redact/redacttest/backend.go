package redacttest

import (
	"strings"
	"testing"

	"github.com/traceplug/traceplug/core"
)

// CheckFailedSend builds a tracer on backend with opts (an endpoint built
// with WithCredentials, at a collector that fails, among them), finishes one
// span and closes the tracer. It checks that no secret shows in Close's
// error, in what the backend logged through core.WithLogger, or in the log
// package's output; that the log package got nothing; and, unless want is
// "", that the logger got an error line holding want.
func CheckFailedSend(t *testing.T, backend, want string, opts ...core.Option) {
	t.Helper()
	std := StdLog(t)
	logs := &Logs{}
	tr, err := core.New(backend, append([]core.Option{core.WithLogger(logs.Slog())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	tr.StartSpan("probe").Finish()
	if err := tr.Close(); err != nil {
		t.Logf("Close: %v", err)
		NoSecrets(t, "Close's error", err.Error())
	}
	t.Logf("logged: %s", logs.String())
	NoSecrets(t, "the log", logs.String())
	NoSecrets(t, "the log package", std.String())
	if want != "" && (!strings.Contains(logs.String(), want) || !strings.Contains(logs.String(), "level=ERROR")) {
		t.Errorf("core.WithLogger's logger got %q, want an error with %q", logs.String(), want)
	}
	if std.String() != "" {
		t.Errorf("the log package got %q", std.String())
	}
}

// CheckRefused checks that core.New refuses backend with opts (a bad
// endpoint holding secrets, say), with an error that shows no secret; what
// names the setting in the failure ("endpoint %q").
func CheckRefused(t *testing.T, backend, what string, opts ...core.Option) {
	t.Helper()
	_, err := core.New(backend, opts...)
	if err == nil {
		t.Errorf("New accepted %s", what)
		return
	}
	t.Logf("New: %v", err)
	NoSecrets(t, "New's error", err.Error())
}
