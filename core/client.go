package core

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"
)

// Transport returns an [http.RoundTripper] that traces each request it sends
// through base (nil means [http.DefaultTransport]).
//
// For each request it starts a client span as a child of the span in the
// request's context (as [Tracer.GetSpan] and [opentracing.ContextWithSpan] put
// there), or, when the context has none, of a span context already injected
// into the request's headers by hand, or else as a new root. It injects the
// client span into a copy of the request's headers (the caller's request is
// never changed), and finishes the span when the response body is closed or
// read to EOF, or at once when the round trip fails or has no body.
//
// Client spans carry span.kind=client, component, http.method, http.url
// (without userinfo, secret query values redacted), peer.hostname, peer.port,
// http.status_code, and error=true on transport errors and 5xx responses.
func (t *Tracer) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{t: t, base: base}
}

type transport struct {
	t    *Tracer
	base http.RoundTripper
}

func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	t := tr.t
	var ref opentracing.SpanContext
	if parent := opentracing.SpanFromContext(req.Context()); parent != nil {
		ref = parent.Context()
	} else if sc, err := t.ot.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(req.Header)); err == nil {
		ref = sc // injected by hand
	}
	// The kind and peer go in at start: some tracers (zipkin's) read them
	// only then, to set the span's kind and remote endpoint.
	tags := opentracing.Tags{string(ext.SpanKind): ext.SpanKindRPCClientEnum}
	if req.URL != nil {
		host, port := req.URL.Hostname(), req.URL.Port()
		if port == "" {
			port = defaultPort(req.URL.Scheme)
		}
		tags[string(ext.PeerHostname)] = host
		if p, err := strconv.ParseUint(port, 10, 16); err == nil {
			tags[string(ext.PeerPort)] = uint16(p)
		}
		if ip := net.ParseIP(host); ip != nil && ip.To4() != nil {
			tags[string(ext.PeerHostIPv4)] = host
		}
	}
	op := methodName(req.Method)
	var span opentracing.Span
	if ref != nil {
		span = t.StartSpan(op, opentracing.ChildOf(ref), tags)
	} else {
		span = t.ot.StartSpan(op, tags)
	}
	span.SetTag(string(ext.Component), componentName)
	span.SetTag(string(ext.HTTPMethod), req.Method)
	span.SetTag(string(ext.HTTPUrl), t.redact.url(req.URL))

	out := *req // RoundTrip must not modify the caller's request
	out.Header = req.Header.Clone()
	if out.Header == nil {
		out.Header = make(http.Header)
	}
	if err := t.Inject(span.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(out.Header)); err != nil {
		span.SetTag("traceplug.inject_error", err.Error())
	}

	resp, err := tr.base.RoundTrip(&out)
	if err != nil {
		ext.Error.Set(span, true)
		span.LogFields(log.String("event", "error"), log.String("message", err.Error()))
		span.Finish()
		return resp, err
	}
	ext.HTTPStatusCode.Set(span, uint16(resp.StatusCode))
	if resp.StatusCode >= 500 {
		ext.Error.Set(span, true)
	}
	if resp.Body == nil || resp.Body == http.NoBody || req.Method == http.MethodHead {
		span.Finish()
		return resp, nil
	}
	b := &body{ReadCloser: resp.Body, span: span}
	if rw, ok := resp.Body.(io.ReadWriteCloser); ok { // 101 Switching Protocols
		resp.Body = &readWriteBody{body: b, w: rw}
	} else {
		resp.Body = b
	}
	return resp, nil
}

func defaultPort(scheme string) string {
	switch scheme {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// body finishes the client span when the response body is closed or read to
// its end, whichever comes first.
type body struct {
	io.ReadCloser
	span opentracing.Span
	once sync.Once
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		if err != io.EOF {
			ext.Error.Set(b.span, true)
			b.span.LogFields(log.String("event", "error"), log.String("message", err.Error()))
		}
		b.finish()
	}
	return n, err
}

func (b *body) Close() error {
	err := b.ReadCloser.Close()
	b.finish()
	return err
}

func (b *body) finish() { b.once.Do(b.span.Finish) }

// readWriteBody keeps a 101 response's body writable, as net/http makes it.
type readWriteBody struct {
	*body
	w io.Writer
}

func (b *readWriteBody) Write(p []byte) (int, error) { return b.w.Write(p) }
