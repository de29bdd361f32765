package otel

import (
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// OTLP's strings are protobuf strings, which must be UTF-8: the protobuf
// encoder refuses a request that holds one that is not, and with it every
// span of the batch. OpenTracing tags, logs and names are any Go strings (a
// header's bytes, a file name), and OpenTelemetry code may set such
// attributes too. So a span that holds invalid UTF-8 is exported with
// U+FFFD in place of each invalid byte sequence, as W3C and OpenTelemetry
// replace them elsewhere; other spans go as they are, checked at the cost of
// a pass over their text, away from the request path.

// validUTF8 returns s, or, if any of its text is not UTF-8, s with that
// text repaired.
func validUTF8(s sdktrace.ReadOnlySpan) sdktrace.ReadOnlySpan {
	if spanValid(s) {
		return s
	}
	r := &repairedSpan{ReadOnlySpan: s, name: fix(s.Name()), attrs: fixAttrs(s.Attributes())}
	for _, e := range s.Events() {
		e.Name, e.Attributes = fix(e.Name), fixAttrs(e.Attributes)
		r.events = append(r.events, e)
	}
	for _, l := range s.Links() {
		l.Attributes = fixAttrs(l.Attributes)
		r.links = append(r.links, l)
	}
	r.status = s.Status()
	r.status.Description = fix(r.status.Description)
	return r
}

// repairedSpan is a span with its text made UTF-8.
type repairedSpan struct {
	sdktrace.ReadOnlySpan
	name   string
	attrs  []attribute.KeyValue
	events []sdktrace.Event
	links  []sdktrace.Link
	status sdktrace.Status
}

func (r *repairedSpan) Name() string                     { return r.name }
func (r *repairedSpan) Attributes() []attribute.KeyValue { return r.attrs }
func (r *repairedSpan) Events() []sdktrace.Event         { return r.events }
func (r *repairedSpan) Links() []sdktrace.Link           { return r.links }
func (r *repairedSpan) Status() sdktrace.Status          { return r.status }

func spanValid(s sdktrace.ReadOnlySpan) bool {
	if !utf8.ValidString(s.Name()) || !attrsValid(s.Attributes()) || !utf8.ValidString(s.Status().Description) {
		return false
	}
	for _, e := range s.Events() {
		if !utf8.ValidString(e.Name) || !attrsValid(e.Attributes) {
			return false
		}
	}
	for _, l := range s.Links() {
		if !attrsValid(l.Attributes) {
			return false
		}
	}
	return true
}

func attrsValid(attrs []attribute.KeyValue) bool {
	for _, kv := range attrs {
		if !utf8.ValidString(string(kv.Key)) {
			return false
		}
		switch kv.Value.Type() {
		case attribute.STRING:
			if !utf8.ValidString(kv.Value.AsString()) {
				return false
			}
		case attribute.STRINGSLICE:
			for _, v := range kv.Value.AsStringSlice() {
				if !utf8.ValidString(v) {
					return false
				}
			}
		}
	}
	return true
}

// fixAttrs returns attrs with their keys and text made UTF-8, in a copy.
func fixAttrs(attrs []attribute.KeyValue) []attribute.KeyValue {
	if attrsValid(attrs) {
		return attrs
	}
	out := make([]attribute.KeyValue, len(attrs))
	for i, kv := range attrs {
		k := attribute.Key(fix(string(kv.Key)))
		switch kv.Value.Type() {
		case attribute.STRING:
			out[i] = k.String(fix(kv.Value.AsString()))
		case attribute.STRINGSLICE:
			vs := kv.Value.AsStringSlice()
			for j := range vs {
				vs[j] = fix(vs[j])
			}
			out[i] = k.StringSlice(vs)
		default:
			out[i] = attribute.KeyValue{Key: k, Value: kv.Value}
		}
	}
	return out
}

// fix is s with each invalid UTF-8 sequence replaced by U+FFFD.
func fix(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
