//go:build !unix

package otlp

// A refused connection reads otherwise on these systems (Windows, Plan 9):
// it is retried like any other failure to connect, until export_timeout.

// Refused reports false: see refused.go.
func Refused(error) bool { return false }

// RefusedMessage reports false: see refused.go.
func RefusedMessage(string) bool { return false }
