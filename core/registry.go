package core

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"

	"github.com/traceplug/traceplug/backend"
)

// registry maps backend names to factories. The zero value is ready to use.
type registry struct {
	mu        sync.RWMutex
	factories map[string]backend.Factory
}

// backends is the process-wide registry that [Register] and [New] use.
var backends = &registry{}

func (r *registry) register(name string, f backend.Factory) error {
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
		r.factories = make(map[string]backend.Factory)
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
func (r *registry) lookup(name, source string) (backend.Factory, error) {
	r.mu.RLock()
	f, ok := r.factories[name]
	r.mu.RUnlock()
	if ok {
		return f, nil
	}
	return nil, unknownBackend(name, source, r.names())
}

// Register makes a backend available to [New] and [FromEnv] under name. A
// backend package calls it from its init function, and does nothing else there:
//
//	func init() { core.Register("jaeger", factory) }
//
// Register panics if name is empty, f is nil, or name is already registered
// (usually two copies of a backend package linked into one binary). It is safe
// for concurrent use.
func Register(name string, f backend.Factory) {
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
