package lightstep

import (
	"log/slog"
	"strings"
	"sync"

	lightstep "github.com/lightstep/lightstep-tracer-go"

	"github.com/traceplug/traceplug/backend"
)

// lightstep-tracer-go reports its errors through one process-wide event
// handler, and its events do not say which tracer they come from. The backend
// installs its own handler, once: error events go, rate-limited and with the
// access token of every live tracer redacted, to the loggers of the live
// tracers (core.WithLogger's, or the log package), each logger once.
var (
	eventsOnce sync.Once
	liveMu     sync.RWMutex
	tokens     = map[string]int{} // live access tokens, counted by tracer
	loggers    = map[*slog.Logger]*liveLogger{}
)

// liveLogger is a destination of events and the number of live tracers
// writing to it.
type liveLogger struct {
	log     *backend.Logger
	tracers int
}

// routeEvents registers a live tracer's token and logger (nil: the log
// package).
func routeEvents(token string, to *slog.Logger) {
	liveMu.Lock()
	if token != "" {
		tokens[token]++
	}
	l := loggers[to]
	if l == nil {
		l = &liveLogger{log: backend.NewLoggerTo(to, "traceplug/lightstep: ")}
		loggers[to] = l
	}
	l.tracers++
	liveMu.Unlock()
	eventsOnce.Do(func() { lightstep.SetGlobalEventHandler(onEvent) })
}

// forgetTracer undoes routeEvents once the tracer is shut down.
func forgetTracer(token string, to *slog.Logger) {
	liveMu.Lock()
	defer liveMu.Unlock()
	if token != "" {
		if tokens[token]--; tokens[token] <= 0 {
			delete(tokens, token)
		}
	}
	if l := loggers[to]; l != nil {
		if l.tracers--; l.tracers <= 0 {
			delete(loggers, to)
		}
	}
}

func onEvent(e lightstep.Event) {
	err, ok := e.(lightstep.ErrorEvent)
	if !ok {
		return
	}
	msg := redactTokens(err.Error())
	liveMu.RLock()
	defer liveMu.RUnlock()
	for _, l := range loggers {
		l.log.Printf("%s", msg)
	}
}

// redactTokens replaces every live access token in s.
func redactTokens(s string) string {
	liveMu.RLock()
	defer liveMu.RUnlock()
	for t := range tokens {
		s = strings.ReplaceAll(s, t, "REDACTED")
	}
	return s
}
