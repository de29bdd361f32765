package otel

import (
	"io"
	"sync/atomic"
	"testing"
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

// The encoder writes a request in recycled memory, and never in memory it
// was not given back.
func TestEncoderRecycles(t *testing.T) {
	var e encoder
	e.size = 10
	spare := make([]byte, 0, 1024)
	e.recycle(spare)
	if cap(e.spare) != 1024 {
		t.Fatalf("spare of %d bytes, want 1024", cap(e.spare))
	}
	e.recycle(make([]byte, 0, 16)) // smaller: the larger is kept
	if cap(e.spare) != 1024 {
		t.Errorf("a smaller buffer replaced the spare")
	}
}
