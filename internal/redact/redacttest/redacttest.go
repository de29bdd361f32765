// Package redacttest is the fixture with which every backend's tests check
// that the credentials an endpoint carries reach no log line and no error:
// endpoints holding known secrets, loggers that record what they get, and
// the check itself.
package redacttest

import (
	"bytes"
	"log"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// The credentials the endpoints carry.
const (
	User     = "us3rname"
	Password = "s3cret-pw"
	Key      = "k3y-value"
)

// secrets are the texts that must never show: the credentials, and the
// parts of the passwords that BadEndpoints split with "%", "#" and "?".
// The digits are longer than a port, so that no address holds them.
var secrets = []string{User, "s3cret", Key, "w0rd", "86753091", "42424242"}

// WithCredentials returns the endpoint scheme://User:Password@hostPort/path
// with ?api_key=Key: "http://us3rname:s3cret-pw@127.0.0.1:9411/api/v2/spans?api_key=k3y-value".
func WithCredentials(scheme, hostPort, path string) string {
	return scheme + "://" + User + ":" + Password + "@" + hostPort + path + "?api_key=" + Key
}

// BadEndpoints returns endpoints that New must reject, each carrying
// secrets: a mistyped scheme; a password holding "%" (which net/url cannot
// parse), "#" or "?" (which it cuts the URL at); digits around a "#", which
// net/url reads as a host and port before a fragment; and the credentials
// before HOST:PORT with no scheme.
func BadEndpoints(scheme, hostPort, path string) []string {
	at := "@" + hostPort + path
	return []string{
		"htp://" + User + ":" + Password + at + "?api_key=" + Key,
		scheme + "://" + User + ":s3cret%w0rd" + at + "?api_key=" + Key,
		scheme + "://" + User + ":s3cret#w0rd" + at,
		scheme + "://" + User + ":s3cret?w0rd" + at,
		scheme + "://" + User + ":86753091#42424242" + at,
		User + ":" + Password + "@" + hostPort,
	}
}

// Logs records what a logger writes; it is safe for concurrent use.
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns what was written.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Slog returns a logger, at every level, for core.WithLogger, that writes
// to l.
func (l *Logs) Slog() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// StdLog records what the log package writes until t ends.
func StdLog(t testing.TB) *Logs {
	l := &Logs{}
	w, flags := log.Writer(), log.Flags()
	log.SetOutput(l)
	t.Cleanup(func() { log.SetOutput(w); log.SetFlags(flags) })
	return l
}

// NoSecrets fails t if text, which is what (a log, an error), shows any of
// the secrets.
func NoSecrets(t testing.TB, what, text string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s shows %q: %s", what, s, text)
		}
	}
}
