// Package sentinel makes errors that wrap a sentinel error without repeating
// its text, for traceplug's packages that share sentinels (core and backend).
package sentinel

// Wrap returns an error whose text is err's and which wraps both sentinel
// (for errors.Is) and err.
func Wrap(sentinel, err error) error { return &wrapped{err: err, sentinel: sentinel} }

// wrapped is an error whose text says everything and which wraps a
// sentinel, whose own text it leaves out.
type wrapped struct {
	err      error
	sentinel error
}

func (e *wrapped) Error() string   { return e.err.Error() }
func (e *wrapped) Unwrap() []error { return []error{e.sentinel, e.err} }
