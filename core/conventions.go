package core

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"

	"github.com/traceplug/traceplug/backend"
)

// This file holds the semantic conventions a Tracer's spans follow: which
// (OpenTracing's tags, OpenTelemetry's attributes, or both), chosen once when
// the Tracer is built, and OpenTelemetry's attributes of HTTP spans, written
// as otelhttp writes them. docs/attributes.md has the mapping table.

// ConventionsBoth is the [WithConventions] value that writes the
// attributes of both conventions; see WithConventions.
const ConventionsBoth = "both"

// WithConventions sets the semantic conventions of the spans the Tracer
// makes (server spans of [Tracer.Middleware], [Tracer.Trace] and
// [Tracer.ServeRoute], client spans of [Tracer.Transport], and gRPC's
// spans): "opentracing" ([backend.ConventionsOpenTracing]: the tags
// Jaeger's, Zipkin's and Lightstep's UIs read), "opentelemetry"
// ([backend.ConventionsOpenTelemetry]: the stable HTTP and RPC semantic
// conventions, span names and status as otelhttp and otelgrpc write them),
// or "both" ([ConventionsBoth]: the backend's own conventions, names and
// status, plus the other's attributes, for a fleet that moves its
// dashboards from one to the other). The default, "", is the backend's own
// conventions: OpenTelemetry's on the otel backend, OpenTracing's on the
// others. Any other value is an error from [New] wrapping [ErrBadOption].
//
// Redaction and caps apply to every attribute whatever its name; the
// traced attributes ([WithTracedAttributes]) and http.route are the same in
// every conventions. TRACEPLUG_CONVENTIONS sets it too ([EnvConventions]).
func WithConventions(name string) Option {
	return optionFunc(func(c *config) {
		v, err := parseConventions(name)
		if err != nil {
			c.errs = append(c.errs, backend.BadOptionf("traceplug: WithConventions(%q): %w", capString(name, 100), err))
			return
		}
		c.conventions = v
	})
}

// parseConventions checks a conventions name, in any case and with spaces
// around it; "" is the backend's own.
func parseConventions(name string) (string, error) {
	switch v := strings.ToLower(strings.TrimSpace(name)); v {
	case "", backend.ConventionsOpenTracing, backend.ConventionsOpenTelemetry, ConventionsBoth:
		return v, nil
	}
	return "", fmt.Errorf("want %s, %s or %s (or empty, for the backend's own)",
		backend.ConventionsOpenTracing, backend.ConventionsOpenTelemetry, ConventionsBoth)
}

// conventions says what a Tracer's spans carry, a bit each.
type conventions uint8

const (
	convOT      conventions = 1 << iota // OpenTracing's tags
	convOTel                            // OpenTelemetry's attributes
	convOTelRun                         // names and status as OpenTelemetry's conventions set them
)

// resolveConventions is the conventions of a Tracer over ot whose user
// chose name ("" for ot's own).
func resolveConventions(name string, ot opentracing.Tracer) conventions {
	native := backend.ConventionsOpenTracing
	if c, ok := ot.(backend.Conventions); ok && c.Conventions() == backend.ConventionsOpenTelemetry {
		native = backend.ConventionsOpenTelemetry
	}
	if name == "" {
		name = native
	}
	switch name {
	case backend.ConventionsOpenTelemetry:
		return convOTel | convOTelRun
	case ConventionsBoth:
		if native == backend.ConventionsOpenTelemetry {
			return convOT | convOTel | convOTelRun
		}
		return convOT | convOTel
	}
	return convOT
}

// conventions is instrument.Conventions.
func (t *Tracer) conventions() (names string, both bool) {
	names = backend.ConventionsOpenTracing
	if t.conv&convOTelRun != 0 {
		names = backend.ConventionsOpenTelemetry
	}
	return names, t.conv&(convOT|convOTel) == convOT|convOTel
}

// The attributes of OpenTelemetry's stable HTTP conventions that traceplug
// writes (semconv v1.43, as otelhttp v0.72 writes them).
const (
	attrMethod         = "http.request.method"
	attrMethodOriginal = "http.request.method_original"
	attrStatusCode     = "http.response.status_code"
	attrResponseSize   = "http.response.body.size"
	attrScheme         = "url.scheme"
	attrPath           = "url.path"
	attrFull           = "url.full"
	attrServerAddress  = "server.address"
	attrServerPort     = "server.port"
	attrClientAddress  = "client.address"
	attrPeerAddress    = "network.peer.address"
	attrPeerPort       = "network.peer.port"
	attrProtoName      = "network.protocol.name"
	attrProtoVersion   = "network.protocol.version"
	attrUserAgent      = "user_agent.original"
	attrErrorType      = "error.type"
)

// TagStatusDescription is the description of a span's error status, which
// traceplug writes in OpenTelemetry's conventions (where an OpenTracing
// span has an error log): the otel backend makes it the span status's
// description, as OpenTelemetry's exporters to Jaeger and Zipkin write a
// status the other way; the OpenTracing backends keep it as a tag.
const TagStatusDescription = "otel.status_description"

// otelMethod returns the http.request.method of method m, a constant, and
// whether m is not exactly it (http.request.method_original then holds
// m): a known method in any case is itself in upper case ("get" is GET),
// anything else "_OTHER", as otelhttp writes them.
func otelMethod(m string) (value any, original bool) {
	if _, v := method(m); v != otherMethod {
		return v, false
	}
	if m == "" {
		return otherMethod, false
	}
	_, v := method(strings.ToUpper(m))
	return v, true
}

// otelSpanMethod is the method as a server span's name starts in
// OpenTelemetry's conventions: a known method in upper case, else "HTTP".
func otelSpanMethod(m string) string {
	if v, _ := otelMethod(m); v != otherMethod {
		return v.(string)
	}
	return "HTTP"
}

// splitHostPort splits "host", "host:port", "[v6]" or "[v6]:port" as
// otelhttp does: port is -1 when absent or not a port.
func splitHostPort(hostport string) (host string, port int) {
	port = -1
	if strings.HasPrefix(hostport, "[") {
		end := strings.LastIndexByte(hostport, ']')
		if end < 0 {
			return "", port
		}
		if strings.LastIndexByte(hostport[end:], ':') < 0 {
			return hostport[1:end], port
		}
	} else if !strings.Contains(hostport, ":") {
		return hostport, port
	}
	host, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return host, port
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return host, port
	}
	return host, int(n)
}

// nonDefaultPort is port when it is not the scheme's default, else -1:
// server.port is written only then.
func nonDefaultPort(https bool, port int) int {
	if port <= 0 || (https && port == 443) || (!https && port == 80) {
		return -1
	}
	return port
}

// setProtocol tags the protocol of proto ("HTTP/1.1"): its name when not
// "http", its version.
func setProtocol(span opentracing.Span, proto string) {
	name, version, _ := strings.Cut(proto, "/")
	switch name {
	case "HTTP", "":
	case "QUIC":
		setString(span, attrProtoName, "quic")
	case "SPDY":
		setString(span, attrProtoName, "spdy")
	default:
		if n := strings.ToLower(name); n != "http" {
			setString(span, attrProtoName, n)
		}
	}
	switch version { // constants, which box without allocating
	case "":
	case "1.1":
		setString(span, attrProtoVersion, "1.1")
	case "2.0":
		setString(span, attrProtoVersion, "2.0")
	case "1.0":
		setString(span, attrProtoVersion, "1.0")
	default:
		setString(span, attrProtoVersion, version)
	}
}

// otelServerStart writes a server span's OpenTelemetry attributes known
// at its start.
func (t *Tracer) otelServerStart(span opentracing.Span, r *http.Request) {
	m, orig := otelMethod(r.Method)
	span.SetTag(attrMethod, m) // boxed once, by method
	if orig {
		setString(span, attrMethodOriginal, t.redact.cap(r.Method))
	}
	if r.TLS != nil {
		setString(span, attrScheme, "https")
	} else {
		setString(span, attrScheme, "http")
	}
	host, port := splitHostPort(r.Host)
	setString(span, attrServerAddress, t.redact.cap(host))
	if p := nonDefaultPort(r.TLS != nil, port); p > 0 {
		setInt(span, attrServerPort, p)
	}
	peer, peerPort := splitHostPort(r.RemoteAddr)
	if peer != "" {
		setString(span, attrPeerAddress, t.redact.cap(peer))
		if peerPort > 0 {
			setInt(span, attrPeerPort, peerPort)
		}
	}
	if ua := header(r.Header, "User-Agent"); ua != "" {
		setString(span, attrUserAgent, t.tagValue("User-Agent", ua))
	}
	client := header(r.Header, "X-Forwarded-For")
	if i := strings.IndexByte(client, ','); i >= 0 {
		client = client[:i]
	}
	if client != "" {
		setString(span, attrClientAddress, t.tagValue("X-Forwarded-For", client))
	} else if peer != "" {
		setString(span, attrClientAddress, t.redact.cap(peer))
	}
	if r.URL != nil && r.URL.Path != "" {
		setString(span, attrPath, t.redact.cap(t.redact.path(r.URL.Path)))
	}
	setProtocol(span, r.Proto)
}

// otelServerEnd writes a server span's OpenTelemetry attributes known at
// its end: status is 0 when no response was sent.
func (t *Tracer) otelServerEnd(span opentracing.Span, status int, bytes int64) {
	if bytes > 0 {
		setInt(span, attrResponseSize, bytes)
	}
	if status != 0 {
		span.SetTag(attrStatusCode, boxStatus(status))
	}
}

// invalidStatus tags span failed for a status code that is no HTTP status,
// as otelhttp sets the span's status then.
func invalidStatus(span opentracing.Span, status int) {
	ext.Error.Set(span, true)
	span.SetTag(TagStatusDescription, fmt.Sprintf("Invalid HTTP status code %d", status))
}

// otelClientStart writes a client span's OpenTelemetry attributes known at
// its start; target is url.full, redacted.
func (t *Tracer) otelClientStart(span opentracing.Span, req *http.Request, target string) {
	m, orig := otelMethod(req.Method)
	span.SetTag(attrMethod, m) // boxed once, by method
	if orig {
		setString(span, attrMethodOriginal, t.redact.cap(req.Method))
	}
	setString(span, attrFull, target)
	var urlHost string
	if req.URL != nil {
		urlHost = req.URL.Host
	}
	host, port := splitHostPort(urlHost)
	if host == "" && port < 0 {
		host, port = splitHostPort(header(req.Header, "Host"))
	}
	setString(span, attrServerAddress, t.redact.cap(host))
	if p := nonDefaultPort(req.URL != nil && req.URL.Scheme == "https", port); p > 0 {
		setInt(span, attrServerPort, p)
	}
	setProtocol(span, req.Proto)
}

// otelClientResponse writes a client span's OpenTelemetry attributes of
// its response.
func otelClientResponse(span opentracing.Span, resp *http.Response) {
	code := resp.StatusCode
	if code > 0 {
		span.SetTag(attrStatusCode, boxStatus(code))
	}
	if code >= 400 || code < 100 {
		setString(span, attrErrorType, strconv.Itoa(code))
	}
	setProtocol(span, resp.Proto)
}

// errorType is error.type for err, as OpenTelemetry's semconv.ErrorType
// (which otelhttp uses) writes it: what an ErrorType() string method in
// err's chain says, else the type of err (under any fmt.Errorf("%w")
// wrappers) by package path and name ("net.OpError"), else its text
// ("*errors.errorString").
func errorType(err error) string {
	if err == nil {
		return otherMethod
	}
	var et interface{ ErrorType() string }
	if errors.As(err, &et) {
		if s := et.ErrorType(); s != "" {
			return s
		}
	}
	for reflect.TypeOf(err) == fmtWrapError {
		u := errors.Unwrap(err)
		if u == nil {
			break
		}
		err = u
	}
	rt := reflect.TypeOf(err)
	if pkg, name := rt.PkgPath(), rt.Name(); pkg != "" && name != "" {
		return pkg + "." + name
	}
	return rt.String()
}

// fmtWrapError is the type of fmt.Errorf's errors that wrap one error.
var fmtWrapError = reflect.TypeOf(fmt.Errorf("%w", errors.New("")))

// failCall tags a client span whose call failed with err (msg is err's
// text as the span shows it): an error log in OpenTracing's conventions,
// error.type and the status's description in OpenTelemetry's.
func (t *Tracer) failCall(span opentracing.Span, err error, msg string) {
	ext.Error.Set(span, true)
	if t.conv&convOTel != 0 {
		setString(span, attrErrorType, errorType(err))
	}
	if t.conv&convOT != 0 {
		span.LogFields(log.String("event", "error"), log.String("message", msg))
	}
	if t.conv&convOTelRun != 0 {
		span.SetTag(TagStatusDescription, msg)
	}
}

// header is h.Get(name) for a canonical name, which Get would canonicalize
// again on every call: a scan of the name, on every request.
func header(h http.Header, name string) string {
	if v := h[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// setString sets a string tag, without boxing value when span takes it
// typed (backend.TypedTagger): value is most often made from the request,
// and boxing it would cost an allocation.
func setString(span opentracing.Span, key, value string) {
	if tt, ok := span.(backend.TypedTagger); ok {
		tt.SetStringTag(key, value)
		return
	}
	span.SetTag(key, value)
}

// setInt sets an integer tag as setString sets a string one; a span that
// does not take it typed gets value as it is (an int stays an int), as
// SetTag(key, value) would.
func setInt[T int | int64](span opentracing.Span, key string, value T) {
	if tt, ok := span.(backend.TypedTagger); ok {
		tt.SetIntTag(key, int64(value))
		return
	}
	span.SetTag(key, value)
}
