package core

import (
	"errors"

	"github.com/traceplug/traceplug/backend"
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
	ErrBadOption = backend.ErrBadOption

	// ErrSpansLost is wrapped by the error [Tracer.Shutdown] and [Tracer.Close]
	// return when the backend dropped spans since the Tracer was built, whose
	// text gives the counts by reason (as [Tracer.Stats] reports them).
	ErrSpansLost = errors.New("traceplug: spans lost")
)
