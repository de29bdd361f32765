//go:build !race

package grpctrace_test

const raceEnabled = false
