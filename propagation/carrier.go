package propagation

// Reader is the read side of a carrier: opentracing.TextMapReader by another
// name, so that [opentracing.HTTPHeadersCarrier], [opentracing.TextMapCarrier]
// and any carrier written for OpenTracing satisfy it.
//
// ForeachKey calls handler once for each key and value (once for each value
// of a key with several, as HTTPHeadersCarrier does), and stops at and
// returns the first error handler returns. Key case does not matter: header
// names are matched case-insensitively.
type Reader interface {
	ForeachKey(handler func(key, val string) error) error
}

// Writer is the write side of a carrier: opentracing.TextMapWriter by another
// name. Set replaces any value the key had. Keys are written in lower case
// (an http.Header canonicalizes them on Set anyway).
type Writer interface {
	Set(key, val string)
}
