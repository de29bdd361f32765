//go:build !unix

package otel

// A refused connection reads otherwise on these systems (Windows, Plan 9):
// it is retried like any other failure to connect, until export_timeout.

func refused(error) bool { return false }

func refusedMessage(string) bool { return false }
