// Package bench measures traceplug's request path side by side with its
// peers, go-stdlib's nethttp and OpenTelemetry's otelhttp, over the same
// tracers, in one run. It is its own module so that the library's users never
// inherit the peers. See README.md for the commands and the results.
package bench
