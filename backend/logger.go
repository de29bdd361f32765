package backend

// This file holds what backends share in sending spans: an HTTP round
// tripper that Shutdown can abort, and a logger that keeps a collector
// outage from flooding the log.

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Abortable returns a round tripper that sends through base until ctx ends,
// and after that fails at once, in-flight requests included. Each request
// keeps its own context (and so its timeout) as well.
func Abortable(ctx context.Context, base http.RoundTripper) http.RoundTripper {
	return &abortable{ctx: ctx, base: base}
}

type abortable struct {
	ctx  context.Context
	base http.RoundTripper
}

func (a *abortable) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := a.ctx.Err(); err != nil {
		return nil, fmt.Errorf("sending spans: %w", err)
	}
	ctx, release := WithAbort(r.Context(), a.ctx)
	resp, err := a.base.RoundTrip(r.WithContext(ctx))
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

// WithAbort returns a context that ends when ctx or abort does, and the
// function that releases it (call it when done, as with context.WithCancel).
func WithAbort(ctx, abort context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(abort, cancel)
	return ctx, func() { stop(); cancel() }
}

// releasingBody ends the request's context when the body is closed.
type releasingBody struct {
	io.ReadCloser
	release func()
	once    sync.Once
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

// Logger writes a backend's reporting errors, at most one line every
// interval, saying how many it held back: through the log package, or
// through the *slog.Logger the user gave ([Config].Logger). It is safe
// for concurrent use.
type Logger struct {
	prefix   string
	slog     *slog.Logger // nil: the log package
	interval time.Duration

	mu      sync.Mutex
	last    time.Time
	skipped int
}

// NewLogger returns a Logger that writes through the log package, each line
// starting with prefix ("traceplug/jaeger: ").
func NewLogger(prefix string) *Logger {
	return NewLoggerTo(nil, prefix)
}

// NewLoggerTo returns a Logger that writes through to, a backend's
// [Config].Logger, or through the log package when to is nil, as
// NewLogger does. Through to, each line is an error record whose message is
// the line without prefix, with the attribute component (the prefix less
// its ": ", such as "traceplug/jaeger") and, when lines were held back,
// held_back (how many).
func NewLoggerTo(to *slog.Logger, prefix string) *Logger {
	return &Logger{prefix: prefix, slog: to, interval: 10 * time.Second}
}

// Printf logs, or counts the line as held back.
func (l *Logger) Printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if !l.last.IsZero() && now.Sub(l.last) < l.interval {
		l.skipped++
		return
	}
	msg := fmt.Sprintf(format, args...)
	if l.slog != nil {
		attrs := []slog.Attr{slog.String("component", strings.TrimRight(l.prefix, ": "))}
		if l.skipped > 0 {
			attrs = append(attrs, slog.Int("held_back", l.skipped))
		}
		l.slog.LogAttrs(context.Background(), slog.LevelError, msg, attrs...)
	} else {
		if l.skipped > 0 {
			msg = fmt.Sprintf("%s (and %d more errors)", msg, l.skipped)
		}
		log.Printf("%s%s", l.prefix, msg)
	}
	l.last, l.skipped = now, 0
}

// Write lets a Logger stand behind a *log.Logger: each write is one line.
func (l *Logger) Write(p []byte) (int, error) {
	l.Printf("%s", trimNewline(p))
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return p
}
