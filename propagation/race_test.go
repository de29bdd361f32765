//go:build race

package propagation_test

const raceEnabled = true
