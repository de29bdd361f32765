//go:build race

package grpctrace_test

const raceEnabled = true
