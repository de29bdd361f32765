//go:build unix

package otel

import (
	"errors"
	"strings"
	"syscall"
)

// refused reports whether err says that the collector's host refused the
// connection: nothing listens on the port. Trying again until the export's
// timeout would only hold up Close and Shutdown (a collector that comes back
// is found by the next export), so the failure is final.
func refused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// refusedMessage reports whether a gRPC status message says that the
// connection was refused: grpc-go keeps only the text of the dial's error
// (picker_wrapper.go flattens it into the status), so the text is read.
func refusedMessage(msg string) bool { return strings.Contains(msg, syscall.ECONNREFUSED.Error()) }
