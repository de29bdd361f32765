package core

import (
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"

	"github.com/traceplug/traceplug/propagation"
	"github.com/traceplug/traceplug/sampling"
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
// In OpenTracing's conventions ([WithConventions]), client spans carry
// span.kind=client, component, http.method (an unknown method as "_OTHER",
// the method itself in http.request.method_original), http.url (without
// userinfo or fragment, secret query values redacted), peer.hostname,
// peer.port, http.status_code, and error=true on transport errors and 5xx
// responses. In OpenTelemetry's, they carry what otelhttp's Transport
// writes (http.request.method, url.full redacted as http.url,
// server.address, server.port, network.protocol.version,
// http.response.status_code, error.type) and fail on transport errors and
// 4xx and 5xx responses. Every string is within the tag length cap
// ([WithMaxTagLength]); docs/attributes.md has the table.
//
// Under the no-op tracer (the "none" backend) there is nothing to record or
// inject, and Transport returns base itself.
func (t *Tracer) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if t.noop {
		return base
	}
	return &transport{t: t, base: base}
}

type transport struct {
	t    *Tracer
	base http.RoundTripper
}

func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	t := tr.t
	// One allocation holds the body wrapper, the parent reference and the start
	// options. The kind and peer go in at start: some tracers (zipkin's) read
	// them only then, to set the span's kind and remote endpoint.
	c := &call{}
	opts := c.opts[:0]
	if t.recorder != nil {
		// The Recorder and the backend agree on the start, which the
		// backend then need not read from the clock.
		c.rec = &c.recState
		c.rec.start = time.Now()
		c.start = opentracing.StartTime(c.rec.start)
		opts = append(opts, &c.start)
	}
	op, methodTag := method(req.Method)
	op = t.redact.cap(op)
	var decision sampling.Decision
	if parent := opentracing.SpanFromContext(req.Context()); parent != nil {
		sc := parent.Context()
		if cs := t.carried(sc); cs != nil {
			psc, imported, sampled := t.continueCarried(cs, op)
			if !sampled {
				return tr.carry(req, psc) // a trace that records nothing here goes on
			}
			sc = imported
		}
		if sc != nil {
			c.parent = opentracing.SpanReference{Type: opentracing.ChildOfRef, ReferencedContext: sc}
			opts = append(opts, &c.parent)
		}
	} else if sc, err := t.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(req.Header)); err == nil {
		c.parent = opentracing.SpanReference{Type: opentracing.ChildOfRef, ReferencedContext: sc} // injected by hand
		opts = append(opts, &c.parent)
	} else if t.sampling != nil {
		carry, sc, d := t.decideRoot(op)
		if carry != nil {
			return tr.carry(req, carry.psc)
		}
		if decision = d; sc != nil {
			c.parent = opentracing.SpanReference{Type: opentracing.ChildOfRef, ReferencedContext: sc}
			opts = append(opts, &c.parent)
		}
	}
	opts = append(opts, clientKind)
	if req.URL != nil && t.conv&convOT != 0 {
		host, port := req.URL.Hostname(), req.URL.Port()
		if port == "" {
			port = defaultPort(req.URL.Scheme)
		}
		c.tags[0] = opentracing.Tag{Key: string(ext.PeerHostname), Value: t.redact.cap(host)}
		opts = append(opts, &c.tags[0])
		if p, err := strconv.ParseUint(port, 10, 16); err == nil {
			c.tags[1] = opentracing.Tag{Key: string(ext.PeerPort), Value: uint16(p)}
			opts = append(opts, &c.tags[1])
		}
		if ip, err := netip.ParseAddr(host); err == nil && ip.Is4() {
			c.tags[2] = opentracing.Tag{Key: string(ext.PeerHostIPv4), Value: host}
			opts = append(opts, &c.tags[2])
		}
	}
	span := t.startSpan(op, opts, c.parent.ReferencedContext != nil)
	t.counts.started.Add(1)
	c.t = t
	if decision.Type != "" && decision.Type != samplerConst {
		setSamplerTags(span, decision)
	}
	target := t.redact.cap(t.redact.url(req.URL))
	if t.conv&convOT != 0 {
		span.SetTag(string(ext.Component), componentName)
		span.SetTag(string(ext.HTTPMethod), methodTag)
		if methodTag == otherMethod {
			span.SetTag(originalMethod, t.redact.cap(req.Method))
		}
		span.SetTag(string(ext.HTTPUrl), target)
	}
	if t.conv&convOTel != 0 {
		t.otelClientStart(span, req, target)
	}
	c.rec.named(op, target)

	out := *req // RoundTrip must not modify the caller's request
	out.Header = req.Header.Clone()
	if out.Header == nil {
		out.Header = make(http.Header)
	}
	c.span = span
	t.clearContext(out.Header) // no stale context beside the new one
	if t.ctxBaggage != nil {
		for _, it := range t.ctxBaggage.ContextBaggage(req.Context()) {
			if span.BaggageItem(it.Key) != it.Value {
				span.SetBaggageItem(it.Key, it.Value)
			}
		}
	}
	if err := t.Inject(span.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(out.Header)); err != nil {
		span.SetTag("traceplug.inject_error", t.redact.cap(err.Error()))
	}

	resp, err := tr.base.RoundTrip(&out)
	if err == nil && resp == nil {
		// As http.Client says of such a RoundTripper, naming the culprit.
		err = fmt.Errorf("traceplug: the base RoundTripper (%T) returned a nil *http.Response with a nil error", tr.base)
	}
	if err != nil {
		t.failCall(span, err, t.errorText(err, req.URL))
		c.rec.fail()
		c.finish()
		return resp, err
	}
	if t.conv&convOT != 0 {
		span.SetTag(string(ext.HTTPStatusCode), boxStatus(resp.StatusCode))
	}
	if t.conv&convOTel != 0 {
		otelClientResponse(span, resp)
	}
	c.rec.got(resp.StatusCode)
	switch code := resp.StatusCode; {
	case t.conv&convOTelRun == 0:
		if code >= 500 {
			ext.Error.Set(span, true)
		}
	case code < 100 || code >= 600:
		invalidStatus(span, code) // as otelhttp: 4xx and 5xx fail a call
	case code >= 400:
		ext.Error.Set(span, true)
	}
	if resp.Body == nil || resp.Body == http.NoBody || req.Method == http.MethodHead {
		c.finish()
		return resp, nil
	}
	c.ReadCloser = resp.Body
	if rw, ok := resp.Body.(io.ReadWriteCloser); ok { // 101 Switching Protocols
		resp.Body = &readWriteBody{call: c, w: rw}
	} else {
		resp.Body = c
	}
	return resp, nil
}

// carry sends req with psc, the trace of a request that records nothing,
// and no span of its own.
func (tr *transport) carry(req *http.Request, psc propagation.SpanContext) (*http.Response, error) {
	out := *req // RoundTrip must not modify the caller's request
	out.Header = req.Header.Clone()
	if out.Header == nil {
		out.Header = make(http.Header)
	}
	tr.t.clearContext(out.Header) // no stale context beside the new one
	if tr.t.ctxBaggage != nil {
		psc.Baggage = mergeBaggage(psc.Baggage, tr.t.ctxBaggage.ContextBaggage(req.Context()))
	}
	_ = tr.t.prop.InjectContext(psc, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(out.Header))
	return tr.base.RoundTrip(&out)
}

// errorText is err's message as a span shows it: within the tag length cap,
// and with u, the request's URL, which errors quote (as url.Error does),
// redacted as http.url shows it.
func (t *Tracer) errorText(err error, u *url.URL) string {
	msg := err.Error()
	if u != nil {
		if raw := u.String(); raw != "" && strings.Contains(msg, raw) {
			msg = strings.ReplaceAll(msg, raw, t.redact.url(u))
		}
	}
	return t.redact.cap(msg)
}

// clientKind is span.kind=client as a start option, boxed once.
var clientKind opentracing.StartSpanOption = ext.SpanKindRPCClient

func defaultPort(scheme string) string {
	switch scheme {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// call is one outgoing request's state. As the response body, it finishes
// the client span when the body is closed or read to its end, whichever comes
// first.
type call struct {
	io.ReadCloser
	t    *Tracer
	span opentracing.Span
	done atomic.Bool      // the span is finished, or being finished
	rec  *clientRecording // &recState when a Recorder is attached, else nil

	recState clientRecording
	start    opentracing.StartTime // with a Recorder
	parent   opentracing.SpanReference
	tags     [3]opentracing.Tag
	opts     [6]opentracing.StartSpanOption
}

func (b *call) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	// The first to end the call tags the span: a Close from another
	// goroutine (the usual way to abort a read) may have finished it.
	if err != nil && b.done.CompareAndSwap(false, true) {
		if err != io.EOF {
			b.t.failCall(b.span, err, b.t.errorText(err, nil))
			b.rec.fail()
		}
		b.end()
	}
	return n, err
}

func (b *call) Close() error {
	err := b.ReadCloser.Close()
	b.finish()
	return err
}

// finish ends the call, once.
func (b *call) finish() {
	if b.done.CompareAndSwap(false, true) {
		b.end()
	}
}

// end finishes the span: the caller has set done.
func (b *call) end() {
	if b.rec != nil {
		b.t.finishClient(b) // finished, counted and recorded
		return
	}
	b.span.Finish()
	b.t.counts.finished.Add(1)
}

// readWriteBody keeps a 101 response's body writable, as net/http makes it.
type readWriteBody struct {
	*call
	w io.Writer
}

func (b *readWriteBody) Write(p []byte) (int, error) { return b.w.Write(p) }

// mergeBaggage returns base with over's items, over's winning for a key
// both hold, in a new slice when over has any (base may be shared).
func mergeBaggage(base, over []propagation.BaggageItem) []propagation.BaggageItem {
	if len(over) == 0 {
		return base
	}
	out := make([]propagation.BaggageItem, 0, len(base)+len(over))
	for _, it := range base {
		if !slices.ContainsFunc(over, func(o propagation.BaggageItem) bool { return o.Key == it.Key }) {
			out = append(out, it)
		}
	}
	return append(out, over...)
}
