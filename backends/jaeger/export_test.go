package jaeger

import (
	"github.com/opentracing/opentracing-go"
	jaeger "github.com/uber/jaeger-client-go"
)

// ClientSpan returns the jaeger-client-go span under s, a span StartSpan
// returned, or nil: for tests that compare a span with what jaeger-client-go
// builds from it.
func ClientSpan(s opentracing.Span) *jaeger.Span {
	if s, ok := s.(*span); ok {
		return s.jaeger()
	}
	return nil
}
