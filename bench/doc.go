// Package bench measures traceplug's request path side by side with its
// peers, go-stdlib's nethttp and OpenTelemetry's otelhttp: over the same
// tracers, and, with every span exported for real, over each backend's
// client library or SDK; in process, in instructions (instructions.sh), and
// over loopback (loopback.sh). It is its own module so that the library's
// users never inherit the peers. See README.md for the commands and the
// results.
package bench
