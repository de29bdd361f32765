//go:build unix

package otlp

import (
	"errors"
	"strings"
	"syscall"
)

// Refused reports whether err says that the collector's host refused the
// connection: nothing listens on the port. Trying again until the export's
// timeout would only hold up Close and Shutdown (a collector that comes back
// is found by the next export), so the failure is final.
func Refused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// RefusedMessage reports whether a gRPC status message says that the
// connection was refused: grpc-go keeps only the text of the dial's error
// (picker_wrapper.go flattens it into the status), so the text is read.
func RefusedMessage(msg string) bool { return strings.Contains(msg, syscall.ECONNREFUSED.Error()) }
