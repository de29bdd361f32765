package otel

import (
	"bytes"
	"io"
	"sync/atomic"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// An upload's body is free for the next request only once every reader the
// transport was given is closed: a transport may read it after a failed
// upload has returned.
func TestHTTPClientReleasesBodyWhenClosed(t *testing.T) {
	c := &httpClient{}
	body := []byte("request")
	if !c.Released(body) {
		t.Error("before any upload, the body is not released")
	}
	reading := new(atomic.Int64)
	c.reading = reading
	first := c.body(reading, body)
	retry := c.body(reading, body) // GetBody, for a redirect
	if c.Released(body) {
		t.Error("released while two readers are open")
	}
	if b, _ := io.ReadAll(first); string(b) != "request" {
		t.Errorf("read %q", b)
	}
	_ = first.Close()
	_ = first.Close() // a second Close counts once
	if c.Released(body) {
		t.Error("released while a reader is open")
	}
	_ = retry.Close()
	if !c.Released(body) {
		t.Error("not released once every reader is closed")
	}
	gz := &httpClient{gzip: true, reading: new(atomic.Int64)}
	gz.body(gz.reading, body) // the compressed copy, still open
	if !gz.Released(body) {
		t.Error("a gzipped upload sends a copy: the body is free at once")
	}
}

// The encoder writes a request in the memory recycled to it, once, and in
// memory of its own when none was given back (or too little).
func TestEncoderRecycles(t *testing.T) {
	spans := []sdktrace.ReadOnlySpan{tracetest.SpanStub{Name: "recycled"}.Snapshot()}
	var e encoder
	first := e.request(encodeSpans(spans))
	e.recycle(first)
	second := e.request(encodeSpans(spans))
	if &second[:1][0] != &first[:1][0] {
		t.Error("the recycled request's memory was not used")
	}
	if !bytes.Equal(first, second) {
		t.Error("the same spans encoded differently")
	}
	if third := e.request(encodeSpans(spans)); &third[:1][0] == &second[:1][0] {
		t.Error("memory in use (not recycled again) was written over")
	}
	e.recycle(make([]byte, 0, 1)) // too little for the next request
	if fourth := e.request(encodeSpans(spans)); cap(fourth) < len(first) {
		t.Errorf("a request of %d bytes in %d", len(fourth), cap(fourth))
	}
}
