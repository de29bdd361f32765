package core

import "errors"

// Errors that callers can test for with [errors.Is]. The errors traceplug
// returns wrap these and say in their text what to fix.
var (
	// ErrUnknownBackend is wrapped by the error [New] and [FromEnv] return for a
	// backend name that no imported package registered.
	ErrUnknownBackend = errors.New("traceplug: unknown backend")

	// ErrBadOption is wrapped by the errors returned for an invalid option,
	// environment variable or backend param.
	ErrBadOption = errors.New("traceplug: bad option")
)
