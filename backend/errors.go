package backend

import (
	"errors"
	"fmt"

	"github.com/traceplug/traceplug/internal/sentinel"
)

// ErrBadOption is wrapped by the errors a [Factory] returns for an invalid
// endpoint, param or setting, through [BadOptionf]; it is the same error as
// core.ErrBadOption, which users test for with [errors.Is].
var ErrBadOption = errors.New("traceplug: bad option")

// BadOptionf returns an error whose text is the formatted message and which
// wraps [ErrBadOption], and any error operand of a %w verb in format. It is
// for backend authors: a [Factory] rejecting an endpoint or a param says what
// is wrong and what it accepts, and callers still test for ErrBadOption with
// [errors.Is], without the text ending in the sentinel's.
//
//	return nil, nil, backend.BadOptionf("jaeger: endpoint %q: want udp://host:port or http(s)://...", cfg.Endpoint)
func BadOptionf(format string, args ...any) error {
	return sentinel.Wrap(ErrBadOption, fmt.Errorf(format, args...))
}
