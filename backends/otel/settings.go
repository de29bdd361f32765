package otel

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/otel/internal/otlp"
	"github.com/traceplug/traceplug/internal/redact"
	"github.com/traceplug/traceplug/propagation"
	"go.opentelemetry.io/contrib/propagators/b3"
	"go.opentelemetry.io/contrib/propagators/jaeger"
	"go.opentelemetry.io/contrib/propagators/ot"
	"go.opentelemetry.io/otel/attribute"
	otelprop "go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	"golang.org/x/net/http/httpproxy"
)

// The OpenTelemetry environment variables the backend reads, below
// traceplug's own settings; see the package documentation for the
// precedence.
const (
	EnvServiceName        = "OTEL_SERVICE_NAME"
	EnvResourceAttributes = "OTEL_RESOURCE_ATTRIBUTES"
	EnvEndpoint           = "OTEL_EXPORTER_OTLP_ENDPOINT"
	EnvTracesEndpoint     = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	EnvHeaders            = "OTEL_EXPORTER_OTLP_HEADERS"
	EnvTracesHeaders      = "OTEL_EXPORTER_OTLP_TRACES_HEADERS"
	EnvProtocol           = "OTEL_EXPORTER_OTLP_PROTOCOL"
	EnvTracesProtocol     = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	EnvCompression        = "OTEL_EXPORTER_OTLP_COMPRESSION"
	EnvTracesCompression  = "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION"
	EnvPropagators        = "OTEL_PROPAGATORS"
	EnvBSPMaxQueueSize    = "OTEL_BSP_MAX_QUEUE_SIZE"
	EnvBSPMaxExportBatch  = "OTEL_BSP_MAX_EXPORT_BATCH_SIZE"
	EnvBSPScheduleDelay   = "OTEL_BSP_SCHEDULE_DELAY"
	EnvBSPExportTimeout   = "OTEL_BSP_EXPORT_TIMEOUT"

	EnvCertificate             = "OTEL_EXPORTER_OTLP_CERTIFICATE"
	EnvTracesCertificate       = "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE"
	EnvClientCertificate       = "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE"
	EnvTracesClientCertificate = "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE"
	EnvClientKey               = "OTEL_EXPORTER_OTLP_CLIENT_KEY"
	EnvTracesClientKey         = "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY"
	EnvInsecure                = "OTEL_EXPORTER_OTLP_INSECURE"
	EnvTracesInsecure          = "OTEL_EXPORTER_OTLP_TRACES_INSECURE"
	EnvTimeout                 = "OTEL_EXPORTER_OTLP_TIMEOUT"
	EnvTracesTimeout           = "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"
)

// Defaults, and the valid values that errors list.
const (
	defaultHTTPEndpoint    = "http://127.0.0.1:4318/v1/traces"
	defaultGRPCEndpoint    = "http://127.0.0.1:4317"
	tracesPath             = "/v1/traces"
	protocolHTTP           = "http/protobuf"
	protocolGRPC           = "grpc"
	defaultQueueSize       = 10000
	defaultBatchSize       = 512
	defaultExportInterval  = time.Second
	defaultExportTimeout   = 10 * time.Second
	nativePropagation      = "tracecontext,baggage"
	validPropagatorsHint   = "tracecontext, baggage, b3, b3multi, jaeger, ottrace, none"
	validProtocolsHint     = "http/protobuf, grpc"
	validCompressionsHint  = "gzip, none"
	maxHeaderOrAttrEntries = 256
)

var params = []string{"protocol", "headers", "compression", "certificate", "client_certificate", "client_key",
	"queue_size", "batch_size", "export_interval", "export_timeout"}

// settings is everything New needs: backend.Config over the OpenTelemetry
// environment over defaults.
type settings struct {
	serviceName string
	resource    *resource.Resource

	protocol string // protocolHTTP or protocolGRPC
	url      *url.URL
	tls      bool
	headers  map[string]string // secret: never logged, never in an error
	gzip     bool

	// protocolFrom names the setting that chose gRPC, for the error of a
	// program that does not link otlpgrpc: `param "protocol"`, the
	// endpoint's scheme, or a protocol variable.
	protocolFrom string

	// tlsConfig holds the certificates the settings name, for a TLS
	// endpoint; nil means the system's roots and no client certificate.
	tlsConfig *tls.Config
	// proxy picks the proxy of an OTLP/HTTP request (nil: none), from
	// HTTPS_PROXY, HTTP_PROXY and NO_PROXY as they were when the settings
	// were read; gRPC's is grpc-go's own (see the otlpgrpc package).
	proxy func(*url.URL) (*url.URL, error)

	propagator otelprop.TextMapPropagator
	// native is what the tracer names as its native propagation: the formats
	// of OTEL_PROPAGATORS when set, else tracecontext,baggage.
	native string

	queueSize, batchSize          int
	exportInterval, exportTimeout time.Duration
}

func newSettings(cfg backend.Config) (*settings, error) {
	if err := cfg.CheckParams("otel", params...); err != nil {
		return nil, err
	}
	s := &settings{}
	if err := s.readResource(cfg); err != nil {
		return nil, err
	}
	if err := s.readEndpoint(cfg); err != nil {
		return nil, err
	}
	if err := s.readTLS(cfg); err != nil {
		return nil, err
	}
	if s.protocol == protocolHTTP {
		// As http.ProxyFromEnvironment reads them, but now: it reads them
		// once in a process's life, at its first request.
		s.proxy = httpproxy.FromEnvironment().ProxyFunc()
	}
	if err := s.readPropagators(cfg); err != nil {
		return nil, err
	}
	return s, s.readQueue(cfg)
}

// env returns the first of names that is set to something other than
// blanks, with its name.
func env(names ...string) (value, name string, ok bool) {
	for _, n := range names {
		if v := strings.TrimSpace(os.Getenv(n)); v != "" {
			return v, n, true
		}
	}
	return "", "", false
}

func badEnv(name, value, valid string) error {
	return backend.BadOptionf("otel: %s=%q is not valid (valid: %s)", name, value, valid)
}

// setting returns the param key when it is set to something other than
// blanks, else the first of names that is, with where it came from:
// `param "key"` or the variable's name.
func setting(cfg backend.Config, key string, names ...string) (value, source string) {
	if v, ok := cfg.Param(key); ok && strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v), fmt.Sprintf("param %q", key)
	}
	v, name, _ := env(names...)
	return v, name
}

// notice logs that a setting is ignored: not an error, but not silent.
func notice(cfg backend.Config, format string, args ...any) {
	backend.NewLoggerTo(cfg.Logger, "traceplug/otel: ").Printf(format, args...)
}

// readResource: service.name from the code (or TRACEPLUG_SERVICE_NAME), else
// OTEL_SERVICE_NAME, else OTEL_RESOURCE_ATTRIBUTES, else traceplug's default;
// attributes from OTEL_RESOURCE_ATTRIBUTES with the code's tags over them.
func (s *settings) readResource(cfg backend.Config) error {
	attrs := map[string]string{}
	if v, _, ok := env(EnvResourceAttributes); ok {
		kv, err := parseKeyValues(v)
		if err != nil {
			return backend.BadOptionf("otel: %s: %s (valid: comma-separated key=value pairs, values percent-encoded)", EnvResourceAttributes, err)
		}
		for k, v := range kv {
			attrs[k] = v
		}
	}
	s.serviceName = cfg.ServiceName
	if !cfg.ServiceNameSet {
		if v, _, ok := env(EnvServiceName); ok {
			s.serviceName = v
		} else if v := attrs["service.name"]; v != "" {
			s.serviceName = v
		}
	}
	for k, v := range cfg.Tags {
		attrs[k] = v
	}
	attrs["service.name"] = s.serviceName
	kvs := make([]attribute.KeyValue, 0, len(attrs))
	for k, v := range attrs {
		kvs = append(kvs, attribute.String(k, v))
	}
	r, err := resource.New(context.Background(), resource.WithTelemetrySDK(), resource.WithAttributes(kvs...))
	if err != nil {
		return fmt.Errorf("otel: resource: %w", err)
	}
	s.resource = r
	return nil
}

// readEndpoint picks the protocol, the collector's URL, the transport's
// security, the headers and the compression.
func (s *settings) readEndpoint(cfg backend.Config) error {
	p := cfg.Reader("otel")
	protocol := p.String("protocol", "")
	if protocol != "" && protocol != protocolHTTP && protocol != protocolGRPC {
		return backend.BadOptionf("otel: param \"protocol\": %q is not supported (valid: %s)", protocol, validProtocolsHint)
	}
	if protocol == protocolGRPC {
		s.protocolFrom = `param "protocol"`
	}

	// The endpoint: the code's, else the traces variable (used as is), else
	// the general one (a base URL, to which /v1/traces is added for HTTP).
	raw, source, base := cfg.Endpoint, "endpoint", false
	if raw == "" {
		if v, name, ok := env(EnvTracesEndpoint); ok {
			raw, source = v, name
		} else if v, name, ok := env(EnvEndpoint); ok {
			raw, source, base = v, name, true
		}
	}
	var u *url.URL
	// schemeless is an endpoint of gRPC's HOST:PORT form, whose security
	// the insecure variables choose.
	schemeless := raw != "" && !strings.Contains(raw, "://")
	if raw != "" {
		if redact.Ambiguous(raw) {
			return backend.BadOptionf("otel: %s %q: %s", source, redact.Endpoint(raw), redact.AmbiguousHint)
		}
		var err error
		if schemeless {
			u, err = url.Parse("//" + raw)
			if err != nil || u.Host == "" || u.User != nil || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
				return endpointError(source, raw)
			}
		} else {
			if u, err = url.Parse(raw); err != nil || u.Host == "" || u.Opaque != "" {
				return endpointError(source, raw)
			}
			switch u.Scheme {
			case "http", "https":
			case "grpc", "grpcs":
				if protocol == protocolHTTP {
					return backend.BadOptionf("otel: %s %q is a gRPC endpoint, but param \"protocol\" is %q", source, redact.Endpoint(raw), protocol)
				}
				if protocol == "" {
					s.protocolFrom = "the scheme of " + source
					if source == "endpoint" {
						s.protocolFrom = "the endpoint's scheme"
					}
				}
				protocol = protocolGRPC
			default:
				return endpointError(source, raw)
			}
		}
	}
	if protocol == "" {
		// The protocol variables go with the endpoint variables: an
		// endpoint given in code speaks what its scheme says.
		protocol = protocolHTTP
		switch v, name, ok := env(EnvTracesProtocol, EnvProtocol); {
		case ok && cfg.Endpoint == "":
			switch v {
			case protocolHTTP, protocolGRPC:
				protocol = v
				s.protocolFrom = name + "=" + v
			default:
				return badEnv(name, v, validProtocolsHint)
			}
		case ok && v != protocol && !schemeless:
			// Not an error (the endpoint in code wins), but not silent.
			notice(cfg, "%s=%q is ignored: the endpoint %s given in code speaks %s (the protocol param changes that)",
				name, v, redactURL(u), protocol)
		}
	}
	if schemeless && protocol != protocolGRPC {
		return endpointError(source, raw)
	}
	s.protocol = protocol
	if u == nil {
		def := defaultHTTPEndpoint
		if protocol == protocolGRPC {
			def = defaultGRPCEndpoint
		}
		u, _ = url.Parse(def)
	}

	// Security: the scheme's, as the specification says (https and grpcs
	// are TLS, http and grpc plaintext, whatever the insecure variables
	// say); for HOST:PORT, TLS unless the traces variable, else the general
	// one, is true.
	insecure, insecureVar := false, ""
	if v, name, ok := env(EnvTracesInsecure, EnvInsecure); ok {
		switch strings.ToLower(v) {
		case "true":
			insecure = true
		case "false":
		default:
			return badEnv(name, v, "true, false")
		}
		insecureVar = fmt.Sprintf("%s=%s", name, v)
	}
	if schemeless {
		u.Scheme = "https"
		if insecure {
			u.Scheme = "http"
		}
	}
	s.tls = u.Scheme == "https" || u.Scheme == "grpcs"
	if insecureVar != "" && !schemeless && insecure == s.tls {
		notice(cfg, "%s is ignored: the scheme of the endpoint %s says %s", insecureVar, redactURL(u), map[bool]string{true: "TLS", false: "plaintext"}[s.tls])
	}

	if protocol == protocolHTTP {
		switch {
		case base:
			u.Path = strings.TrimSuffix(u.Path, "/") + tracesPath
		case u.Path == "" || u.Path == "/":
			if source == "endpoint" {
				u.Path = tracesPath
			}
		}
		// The query goes with every request, as the URL says (a collector
		// or gateway may read one); a fragment is never sent.
		u.Fragment, u.RawFragment = "", ""
	} else {
		if u.Path != "" && u.Path != "/" && source == "endpoint" {
			return backend.BadOptionf("otel: %s %q: a gRPC endpoint has no path (want grpc://HOST:PORT, or http:// and https:// with the grpc protocol)", source, redactURL(u))
		}
		u.Path, u.RawPath = "", ""
		u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = "", false, "", ""
	}
	s.url = u

	// Headers: the param, else the traces variable, else the general one.
	// Their values are secrets: errors name the entry, never its text.
	headers, source := "", ""
	if v, ok := cfg.Param("headers"); ok {
		headers, source = v, "param \"headers\""
	} else if v, name, ok := env(EnvTracesHeaders, EnvHeaders); ok {
		headers, source = v, name
	}
	if headers != "" {
		h, err := parseKeyValues(headers)
		if err != nil {
			return backend.BadOptionf("otel: %s: %s (valid: comma-separated name=value pairs, values percent-encoded)", source, err)
		}
		s.headers = h
	}

	compression, source := p.String("compression", ""), "param \"compression\""
	if compression == "" {
		compression, source, _ = env(EnvTracesCompression, EnvCompression)
	}
	switch compression {
	case "", "none":
	case "gzip":
		s.gzip = true
	default:
		if strings.HasPrefix(source, "param") {
			return backend.BadOptionf("otel: %s: %q is not supported (valid: %s)", source, compression, validCompressionsHint)
		}
		return badEnv(source, compression, validCompressionsHint)
	}
	return nil
}

// otlpgrpcPath is the import path of the OTLP/gRPC exporter.
const otlpgrpcPath = "github.com/traceplug/traceplug/backends/otel/otlpgrpc"

// grpcNotLinked is the error of settings that choose OTLP over gRPC in a
// program that does not link the OTLP/gRPC exporter.
func (s *settings) grpcNotLinked() error {
	return backend.BadOptionf("otel: OTLP over gRPC (chosen by %s) for the endpoint %s needs the gRPC exporter, which is not linked: "+
		"add import _ %q (a module of its own, so that programs exporting over HTTP do not link gRPC), "+
		"or export over HTTP (http(s)://HOST:PORT/PATH, default %s)",
		s.protocolFrom, redactURL(s.url), otlpgrpcPath, defaultHTTPEndpoint)
}

// export returns what a client needs of s.
func (s *settings) export() *otlp.Settings {
	return &otlp.Settings{URL: s.url, TLS: s.tls, TLSConfig: s.tlsConfig, Headers: s.headers, Gzip: s.gzip}
}

func endpointError(source, raw string) error {
	shown := redact.Endpoint(raw) // raw, as the user wrote it, may not parse
	return backend.BadOptionf("otel: %s %q: want http(s)://HOST:PORT/PATH (OTLP over HTTP, default %s), grpc://HOST:PORT (OTLP over gRPC; grpcs:// for TLS), "+
		"or HOST:PORT with the grpc protocol (the protocol param, or for an endpoint from the environment %s), TLS unless %s is true",
		source, shown, defaultHTTPEndpoint, EnvProtocol, EnvInsecure)
}

// readTLS reads the certificates of a TLS endpoint: the CA's that verify
// the collector's, and the client's certificate and key for mutual TLS.
// Each is the param, else the traces variable, else the general one. A file
// that cannot be read or holds no PEM is an error naming the setting (never
// the file's text); a certificate without its key, or a key without its
// certificate, too. For a plaintext endpoint the variables are ignored
// (and a log line says so), and the params are an error.
func (s *settings) readTLS(cfg backend.Config) error {
	ca, caSource := setting(cfg, "certificate", EnvTracesCertificate, EnvCertificate)
	cert, certSource := setting(cfg, "client_certificate", EnvTracesClientCertificate, EnvClientCertificate)
	key, keySource := setting(cfg, "client_key", EnvTracesClientKey, EnvClientKey)
	if ca == "" && cert == "" && key == "" {
		return nil
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	var sources []string
	if ca != "" {
		sources = append(sources, caSource)
		data, err := os.ReadFile(ca)
		if err != nil {
			return backend.BadOptionf("otel: %s: %w (want the path of a PEM file of the CA certificates that verify the collector's)", caSource, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(data) {
			return backend.BadOptionf("otel: %s: %s holds no PEM certificate (want the CA certificates that verify the collector's, in PEM)", caSource, ca)
		}
		conf.RootCAs = pool
	}
	switch {
	case cert != "" && key == "":
		return backend.BadOptionf("otel: %s is set, but no client key: set %s too", certSource, counterpart(certSource, "CERTIFICATE", "KEY", "client_key"))
	case key != "" && cert == "":
		return backend.BadOptionf("otel: %s is set, but no client certificate: set %s too", keySource, counterpart(keySource, "KEY", "CERTIFICATE", "client_certificate"))
	case cert != "":
		sources = append(sources, certSource, keySource)
		certPEM, err := os.ReadFile(cert)
		if err != nil {
			return backend.BadOptionf("otel: %s: %w (want the path of the client's PEM certificate)", certSource, err)
		}
		keyPEM, err := os.ReadFile(key)
		if err != nil {
			return backend.BadOptionf("otel: %s: %w (want the path of the client's PEM private key)", keySource, err)
		}
		// crypto/tls's errors name what is wrong, never the files' text.
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return backend.BadOptionf("otel: %s and %s: %w (want the client's PEM certificate and its PEM private key)", certSource, keySource, err)
		}
		conf.Certificates = []tls.Certificate{pair}
	}
	if s.tls {
		s.tlsConfig = conf
		return nil
	}
	for _, src := range sources {
		if strings.HasPrefix(src, "param") {
			return backend.BadOptionf("otel: %s is for TLS, but the endpoint %s is plaintext (want https://, or grpcs:// for gRPC)", src, redactURL(s.url))
		}
	}
	notice(cfg, "%s ignored: the endpoint %s is plaintext", strings.Join(sources, ", "), redactURL(s.url))
	return nil
}

// counterpart names the setting that goes with source (a variable ending in
// suffix, or a param): the variable ending in with instead, or the param.
func counterpart(source, suffix, with, param string) string {
	if strings.HasPrefix(source, "param") {
		return fmt.Sprintf("param %q", param)
	}
	return strings.TrimSuffix(source, suffix) + with
}

// redactURL renders u for logs and errors, its user information and query
// values REDACTED as every backend shows an endpoint.
func redactURL(u *url.URL) string {
	return redact.Endpoint(u.String())
}

// readPropagators picks the OpenTelemetry propagator (TextMapPropagator):
// traceplug's list (the code's WithPropagation or TRACEPLUG_PROPAGATION),
// else OTEL_PROPAGATORS, else tracecontext,baggage. Core validated
// traceplug's list and speaks every format of it through the tracer's
// SpanContextCodec: a name OpenTelemetry has no propagator for is left to
// core. A bad OTEL_PROPAGATORS is an error.
func (s *settings) readPropagators(cfg backend.Config) error {
	if cfg.Propagation != "" {
		s.propagator, _ = propagators(cfg.Propagation, true)
		return nil
	}
	s.native = nativePropagation
	if v, name, ok := env(EnvPropagators); ok {
		p, err := propagators(v, false)
		if err != nil {
			return backend.BadOptionf("otel: %s=%q: %s (valid: %s)", name, v, err, validPropagatorsHint)
		}
		list, err := propagation.Parse(v)
		if err != nil {
			return backend.BadOptionf("otel: %s=%q: %w", name, v, err)
		}
		s.propagator, s.native = p, list.String()
		return nil
	}
	s.propagator, _ = propagators(s.native, false)
	return nil
}

// propagators builds the propagator for a list in the vocabulary of
// OTEL_PROPAGATORS; lenient skips the names it does not know.
func propagators(list string, lenient bool) (otelprop.TextMapPropagator, error) {
	var ps []otelprop.TextMapPropagator
	seen := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		switch name {
		case "tracecontext":
			ps = append(ps, otelprop.TraceContext{})
		case "baggage":
			ps = append(ps, otelprop.Baggage{})
		case "b3":
			ps = append(ps, b3.New(b3.WithInjectEncoding(b3.B3SingleHeader)))
		case "b3multi":
			ps = append(ps, b3.New(b3.WithInjectEncoding(b3.B3MultipleHeader)))
		case "jaeger":
			ps = append(ps, jaeger.Jaeger{})
		case "ottrace":
			ps = append(ps, ot.OT{})
		case "none":
		default:
			if !lenient {
				return nil, backend.BadOptionf("%q is not a propagator the otel backend speaks", name)
			}
		}
	}
	if seen["none"] && len(seen) > 1 && !lenient {
		return nil, errors.New("\"none\" cannot be combined with other propagators")
	}
	return otelprop.NewCompositeTextMapPropagator(ps...), nil
}

// readQueue reads the batch queue's params, over OTEL_BSP_* variables (and
// OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT for the export's timeout), over
// defaults.
func (s *settings) readQueue(cfg backend.Config) error {
	envInt := func(name string, def int) (int, error) {
		v, _, ok := env(name)
		if !ok {
			return def, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, badEnv(name, v, "a positive integer")
		}
		return n, nil
	}
	// envMillis reads the first of names that is set, in milliseconds.
	envMillis := func(names ...string) (d time.Duration, set bool, err error) {
		v, name, ok := env(names...)
		if !ok {
			return 0, false, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, false, badEnv(name, v, "a positive number of milliseconds")
		}
		return time.Duration(n) * time.Millisecond, true, nil
	}
	queue, err := envInt(EnvBSPMaxQueueSize, defaultQueueSize)
	if err != nil {
		return err
	}
	batch, err := envInt(EnvBSPMaxExportBatch, defaultBatchSize)
	if err != nil {
		return err
	}
	interval, set, err := envMillis(EnvBSPScheduleDelay)
	if err != nil {
		return err
	}
	if !set {
		interval = defaultExportInterval
	}
	// The export's timeout: OTEL_BSP_EXPORT_TIMEOUT bounds the processor's
	// export, OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT the exporter's, as in the
	// SDK's BatchSpanProcessor and OTLP exporters; here one export is both,
	// so the smaller of those set bounds it.
	timeout := defaultExportTimeout
	bsp, bspSet, err := envMillis(EnvBSPExportTimeout)
	if err != nil {
		return err
	}
	otlp, otlpSet, err := envMillis(EnvTracesTimeout, EnvTimeout)
	if err != nil {
		return err
	}
	switch {
	case bspSet && otlpSet:
		timeout = min(bsp, otlp)
	case bspSet:
		timeout = bsp
	case otlpSet:
		timeout = otlp
	}
	p := cfg.Reader("otel")
	s.queueSize = p.Positive("queue_size", queue)
	s.batchSize = p.Positive("batch_size", batch)
	s.exportInterval = p.Duration("export_interval", interval)
	s.exportTimeout = p.Duration("export_timeout", timeout)
	if err := p.Err(); err != nil {
		return err
	}
	if s.exportInterval <= 0 || s.exportTimeout <= 0 {
		return fmt.Errorf("otel: params \"export_interval\" and \"export_timeout\" must be positive durations")
	}
	s.batchSize = min(s.batchSize, s.queueSize)
	return nil
}

// parseKeyValues reads the comma-separated key=value lists of
// OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS, with
// percent-encoded values. Errors name the entry by position only: headers
// hold credentials.
func parseKeyValues(s string) (map[string]string, error) {
	out := map[string]string{}
	entries := strings.Split(s, ",")
	if len(entries) > maxHeaderOrAttrEntries {
		return nil, fmt.Errorf("more than %d entries", maxHeaderOrAttrEntries)
	}
	for i, entry := range entries {
		if strings.TrimSpace(entry) == "" {
			continue
		}
		k, v, ok := strings.Cut(entry, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("entry %d is not key=value", i+1)
		}
		dv, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("entry %d has a malformed percent-encoding", i+1)
		}
		out[k] = dv
	}
	return out, nil
}
