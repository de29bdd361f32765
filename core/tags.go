package core

// Tags traceplug sets on spans to say what happened to their context, for
// backends that must set them too.
const (
	// TagDroppedReference (true) marks a span one of whose references was a
	// span context of another tracer, which was ignored.
	TagDroppedReference = "traceplug.dropped_reference"
	// TagExtractError holds why an incoming span context could not be
	// continued (the span is then a new root).
	TagExtractError = "traceplug.extract_error"
	// TagDebugID holds the jaeger-debug-id a caller sent to force a trace,
	// on the trace's root span, as jaeger-client-go tags it: the trace is
	// found in Jaeger by that tag.
	TagDebugID = "jaeger-debug-id"
	// TagHTTPRoute is the route a server span's request matched, as a path
	// template ("/items/{id}"), the attribute OpenTelemetry's HTTP
	// conventions and span-metrics pipelines group by.
	TagHTTPRoute = "http.route"
)
