package core

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opentracing/opentracing-go"
)

// Factory builds a backend's tracer from cfg. It is what a backend package hands
// to [Register] from its init function, and it is called by [New] and [FromEnv]
// each time a user asks for that backend, never at import.
//
// A Factory returns the backend's tracer and a shutdown function that flushes
// every buffered span and releases the backend's resources. Shutdown must return
// by the time its context ends, even when the collector hangs; it is called at
// most once. It may be nil when the backend buffers nothing.
//
// A Factory should reject what it does not understand (an endpoint it cannot
// use, an unknown param, a propagation format it does not speak) with an error
// that says what to fix; [Config.CheckParams] helps with params.
type Factory func(cfg Config) (tracer opentracing.Tracer, shutdown func(context.Context) error, err error)

// Config is what a [Factory] receives: the user's settings, validated and with
// defaults applied. Backends treat it as read-only.
type Config struct {
	// ServiceName names the traced service; never empty.
	ServiceName string
	// Endpoint says where the backend sends spans; empty means the backend's
	// documented default.
	Endpoint string
	// SampleRate is the fraction of new traces to sample, in [0, 1]. It is 1
	// unless the user set it: every backend samples everything by default.
	SampleRate float64
	// Tags are process-level tags to attach to every span (or to the process,
	// where the backend's model has one).
	Tags map[string]string
	// Params are backend-specific settings, by name; each backend documents its
	// own and rejects unknown ones.
	Params map[string]string
	// Propagation is the wire format for span contexts: "" for the backend's
	// native format, or a name such as "b3".
	Propagation string

	// ServiceNameSet and SampleRateSet say whether the user chose the service
	// name and sample rate (in code or in TRACEPLUG_* variables) rather than
	// leaving traceplug's defaults, so that a backend may let its own
	// environment variables (JAEGER_SERVICE_NAME, say) fill in the rest.
	// A backend documents that precedence.
	ServiceNameSet, SampleRateSet bool
}

// Param returns the param named key and whether it was set.
func (c Config) Param(key string) (string, bool) {
	v, ok := c.Params[key]
	return v, ok
}

// CheckParams returns an error naming every param in c that is not one of known,
// so that a misspelt setting is reported rather than ignored.
func (c Config) CheckParams(backend string, known ...string) error {
	var unknown []string
	for k := range c.Params {
		if !contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	sorted := append([]string(nil), known...)
	sort.Strings(sorted)
	return fmt.Errorf("%s: unknown param %s (known params: %s): %w",
		backend, strings.Join(quoteAll(unknown), ", "), strings.Join(sorted, ", "), ErrBadOption)
}

// ParamInt returns the integer param named key, or def when it is not set.
func (c Config) ParamInt(backend, key string, def int) (int, error) {
	v, ok := c.Params[key]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%s: param %q: %q is not an integer: %w", backend, key, v, ErrBadOption)
	}
	return n, nil
}

// ParamBool returns the boolean param named key (as [strconv.ParseBool] reads
// it), or def when it is not set.
func (c Config) ParamBool(backend, key string, def bool) (bool, error) {
	v, ok := c.Params[key]
	if !ok {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s: param %q: %q is not a boolean (true or false): %w", backend, key, v, ErrBadOption)
	}
	return b, nil
}

// ParamDuration returns the duration param named key (as [time.ParseDuration]
// reads it, e.g. "500ms"), or def when it is not set.
func (c Config) ParamDuration(backend, key string, def time.Duration) (time.Duration, error) {
	v, ok := c.Params[key]
	if !ok {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s: param %q: %q is not a duration such as 500ms or 2s: %w", backend, key, v, ErrBadOption)
	}
	return d, nil
}

// registry maps backend names to factories. The zero value is ready to use.
type registry struct {
	mu        sync.RWMutex
	factories map[string]Factory
}

// backends is the process-wide registry that [Register] and [New] use.
var backends = &registry{}

func (r *registry) register(name string, f Factory) error {
	if name == "" {
		return errors.New("traceplug: Register called with an empty backend name")
	}
	if f == nil {
		return fmt.Errorf("traceplug: Register called with a nil factory for backend %q", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.factories[name]; dup {
		return fmt.Errorf("traceplug: Register called twice for backend %q: two copies of the package linked, or two backends chose the same name?", name)
	}
	if r.factories == nil {
		r.factories = make(map[string]Factory)
	}
	r.factories[name] = f
	return nil
}

func (r *registry) names() []string {
	r.mu.RLock()
	names := make([]string, 0, len(r.factories))
	for name := range r.factories {
		names = append(names, name)
	}
	r.mu.RUnlock()
	sort.Strings(names)
	return names
}

// lookup returns the named factory. The caller calls it after lookup returns,
// outside the lock, so a slow or re-entrant factory blocks nobody.
func (r *registry) lookup(name, source string) (Factory, error) {
	r.mu.RLock()
	f, ok := r.factories[name]
	r.mu.RUnlock()
	if ok {
		return f, nil
	}
	known := r.names()
	list := "none"
	if len(known) > 0 {
		list = strings.Join(known, ", ")
	}
	hint := name
	if hint == "" || strings.ContainsAny(hint, " /\\\"") {
		hint = "<name>"
	}
	return nil, fmt.Errorf("%w %q%s (registered: %s; forgotten import _ \"github.com/traceplug/traceplug/backends/%s\"?)",
		ErrUnknownBackend, name, source, list, hint)
}

// Register makes a backend available to [New] and [FromEnv] under name. A
// backend package calls it from its init function, and does nothing else there:
//
//	func init() { core.Register("jaeger", factory) }
//
// Register panics if name is empty, f is nil, or name is already registered
// (usually two copies of a backend package linked into one binary). It is safe
// for concurrent use.
func Register(name string, f Factory) {
	if err := backends.register(name, f); err != nil {
		panic(err)
	}
}

// Backends returns the names of the registered backends, sorted.
func Backends() []string {
	return backends.names()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = strconv.Quote(s)
	}
	return out
}
