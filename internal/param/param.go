// Package param reads a backend's typed params from a core.Config, keeping
// the first error so that a backend can read all of them and check once.
package param

import (
	"time"

	"github.com/traceplug/traceplug/core"
)

// Reader reads the params of one backend.
type Reader struct {
	Config  core.Config
	Backend string
	// Err is the first error met, naming the param and what it accepts.
	Err error
}

// Int returns the integer param key, or def when unset.
func (r *Reader) Int(key string, def int) int {
	v, err := r.Config.ParamInt(r.Backend, key, def)
	r.keep(err)
	return v
}

// Bool returns the boolean param key, or def when unset.
func (r *Reader) Bool(key string, def bool) bool {
	v, err := r.Config.ParamBool(r.Backend, key, def)
	r.keep(err)
	return v
}

// Duration returns the duration param key, or def when unset.
func (r *Reader) Duration(key string, def time.Duration) time.Duration {
	v, err := r.Config.ParamDuration(r.Backend, key, def)
	r.keep(err)
	return v
}

func (r *Reader) keep(err error) {
	if r.Err == nil {
		r.Err = err
	}
}
