package core

import (
	"errors"
	"fmt"
)

// Errors that callers can test for with [errors.Is]. The errors traceplug
// returns wrap these and say in their text what to fix.
var (
	// ErrUnknownBackend is wrapped by the error [New] and [FromEnv] return for a
	// backend name that no imported package registered.
	ErrUnknownBackend = errors.New("traceplug: unknown backend")

	// ErrBadOption is wrapped by the errors returned for an invalid option,
	// environment variable or backend param. Their text says what is wrong
	// and what is accepted; it does not repeat this sentinel's.
	ErrBadOption = errors.New("traceplug: bad option")

	// ErrSpansLost is wrapped by the error [Tracer.Shutdown] and [Tracer.Close]
	// return when the backend dropped spans since the Tracer was built, whose
	// text gives the counts by reason (as [Tracer.Stats] reports them).
	ErrSpansLost = errors.New("traceplug: spans lost")
)

// BadOptionf returns an error whose text is the formatted message and which
// wraps [ErrBadOption], and any error operand of a %w verb in format. It is
// for backend authors: a [Factory] rejecting an endpoint or a param says what
// is wrong and what it accepts, and callers still test for ErrBadOption with
// [errors.Is], without the text ending in the sentinel's.
//
//	return nil, nil, core.BadOptionf("jaeger: endpoint %q: want udp://host:port or http(s)://...", cfg.Endpoint)
func BadOptionf(format string, args ...any) error {
	return &sentinelError{err: fmt.Errorf(format, args...), sentinel: ErrBadOption}
}

// sentinelError is an error whose text says everything and which wraps a
// sentinel, whose own text it leaves out.
type sentinelError struct {
	err      error
	sentinel error
}

func (e *sentinelError) Error() string   { return e.err.Error() }
func (e *sentinelError) Unwrap() []error { return []error{e.sentinel, e.err} }
