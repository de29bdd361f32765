package lightstep

import (
	"strings"
	"sync"

	lightstep "github.com/lightstep/lightstep-tracer-go"

	"github.com/traceplug/traceplug/internal/report"
)

// lightstep-tracer-go reports its errors through one process-wide event
// handler. The backend installs its own, once: error events go through the
// log package, rate-limited, with the access token of every live tracer
// redacted.
var (
	eventsOnce sync.Once
	tokensMu   sync.RWMutex
	tokens     = map[string]int{} // live access tokens, counted by tracer
	eventLog   = report.NewLogger("traceplug/lightstep: ")
)

func routeEvents(token string) {
	if token != "" {
		tokensMu.Lock()
		tokens[token]++
		tokensMu.Unlock()
	}
	eventsOnce.Do(func() { lightstep.SetGlobalEventHandler(onEvent) })
}

func forgetToken(token string) {
	if token == "" {
		return
	}
	tokensMu.Lock()
	if tokens[token]--; tokens[token] <= 0 {
		delete(tokens, token)
	}
	tokensMu.Unlock()
}

func onEvent(e lightstep.Event) {
	if err, ok := e.(lightstep.ErrorEvent); ok {
		eventLog.Printf("%s", redact(err.Error()))
	}
}

// redact replaces every live access token in s.
func redact(s string) string {
	tokensMu.RLock()
	defer tokensMu.RUnlock()
	for t := range tokens {
		s = strings.ReplaceAll(s, t, "REDACTED")
	}
	return s
}
