package otel

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	grpcgzip "google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/traceplug/traceplug/backend"
)

// The backend sends spans with clients of its own, which send the requests
// the backend encodes (encode.go), so that the backend knows what became of
// every span: delivered, rejected (in part, by a partial success), or not
// delivered. The clients read no environment variables: the backend resolves
// every setting once, with traceplug's precedence. (grpc-go reads one
// itself: the gRPC client finds its proxy in HTTPS_PROXY and NO_PROXY, as
// the OTLP exporter's does.)

// client sends encoded ExportTraceServiceRequests to a collector.
type client interface {
	// upload sends one request, trying again within ctx's deadline while
	// the failure is worth another try.
	upload(ctx context.Context, body []byte) error
	// stop closes the client's connections, once no upload is under way.
	stop()
	// maxRequest is the size of the largest request a collector takes by
	// default, or 0 when there is none to speak of: the processor splits
	// larger batches before sending them.
	maxRequest() int
}

// grpcMaxRequest is the largest message a gRPC server receives unless told
// otherwise: grpc-go's default, and the OpenTelemetry Collector's
// (max_recv_msg_size_mib: 4). A larger request is refused whole, with
// ResourceExhausted. OTLP/HTTP has no such common limit (the Collector's
// default is 20 MiB, proxies' vary): a 413 answer says so.
const grpcMaxRequest = 4 << 20

// partialError is a partial success: the collector took the request but
// rejected some of its spans.
type partialError struct {
	rejected int64
	msg      string
}

func (e *partialError) Error() string {
	return fmt.Sprintf("the collector rejected %d spans: %s", e.rejected, e.msg)
}

// rejectedError is an answer refusing the whole request.
type rejectedError struct {
	tooLarge bool
	msg      string
}

func (e *rejectedError) Error() string { return "the collector refused the spans: " + e.msg }

// retryableError is a failure worth another try within the export's
// deadline, after wait if the collector asked for one.
type retryableError struct {
	err  error
	wait time.Duration
}

func (e *retryableError) Error() string { return e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }

// withRetry calls attempt until it succeeds, fails for good, or the next try
// would not fit before ctx's deadline. It returns the last error, without
// its retryable wrapper.
func withRetry(ctx context.Context, attempt func(context.Context) error) error {
	backoff := 100 * time.Millisecond
	for {
		err := attempt(ctx)
		var r *retryableError
		if !errors.As(err, &r) {
			return err
		}
		wait := max(backoff, r.wait)
		if deadline, ok := ctx.Deadline(); ctx.Err() != nil || (ok && time.Until(deadline) < wait) {
			return r.err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return r.err
		case <-t.C:
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// scrubber removes the values of the configured headers (credentials, as a
// rule) from text that came from elsewhere, such as a collector's answer
// echoing a request, before it goes into an error.
type scrubber []string

func newScrubber(headers map[string]string) scrubber {
	var s scrubber
	for _, v := range headers {
		if len(v) >= 4 {
			s = append(s, v)
		}
	}
	return s
}

func (s scrubber) scrub(text string) string {
	for _, v := range s {
		text = strings.ReplaceAll(text, v, "[redacted]")
	}
	return text
}

func (s scrubber) errorf(format string, args ...any) error {
	return errors.New(s.scrub(fmt.Sprintf(format, args...)))
}

// clientCert picks the certificate a client sends when the collector asks
// for one, as crypto/tls does (the first that the collector's CAs signed),
// and remembers whether the last collector to ask got none. A handshake
// that the collector then fails may read as a broken connection (TLS 1.3
// ends the client's part of the handshake before the collector checks its
// certificate, and gRPC keeps only the text of the failure), so the error
// of a failed export says so.
type clientCert struct {
	certs  []tls.Certificate
	missed atomic.Bool
}

// newTLSConfig returns the TLS configuration of a client of s's TLS
// endpoint, and its clientCert.
func newTLSConfig(s *settings) (*tls.Config, *clientCert) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.tlsConfig != nil {
		conf = s.tlsConfig.Clone()
	}
	cc := &clientCert{certs: conf.Certificates}
	conf.Certificates, conf.GetClientCertificate = nil, cc.get
	return conf, cc
}

func (c *clientCert) get(info *tls.CertificateRequestInfo) (*tls.Certificate, error) {
	for i := range c.certs {
		if info.SupportsCertificate(&c.certs[i]) == nil {
			c.missed.Store(false)
			return &c.certs[i], nil
		}
	}
	c.missed.Store(true)
	return &tls.Certificate{}, nil // none: the collector may do without
}

// explain adds to msg, the text of a failure to send, that the collector
// asked for a client certificate and got none, if it did.
func (c *clientCert) explain(msg string) string {
	if c == nil || !c.missed.Load() {
		return msg
	}
	what := "none is set"
	if len(c.certs) > 0 {
		what = "the one set is not signed by a CA it accepts"
	}
	return fmt.Sprintf("%s (the collector asked for a client certificate, and %s: see param \"client_certificate\" and %s)", msg, what, EnvClientCertificate)
}

// tlsFailure reports whether err says that a TLS handshake failed for good:
// a certificate that does not verify, an alert from the collector (which
// refused the client's certificate, say), or a server that does not speak
// TLS. Trying again would fail again, so the failure is final, as the OTLP
// exporter's is.
func tlsFailure(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
		op       *net.OpError
	)
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid) ||
		errors.As(err, &record) || errors.As(err, &op) && op.Op == "remote error"
}

// tlsFailureMessage reports whether a gRPC status message says what
// tlsFailure's errors say: grpc-go keeps only the text of a connection's
// failure. (The OTLP exporter retries these, as any Unavailable.)
func tlsFailureMessage(msg string) bool {
	return strings.Contains(msg, "tls: failed to verify certificate") || strings.Contains(msg, "remote error: tls: ") ||
		strings.Contains(msg, "first record does not look like a TLS handshake")
}

// httpClient posts ExportTraceServiceRequests as protobuf.
type httpClient struct {
	url    string
	header http.Header
	gzip   bool
	conn   *backend.Conn
	scrub  scrubber
	cert   *clientCert // nil for a plaintext endpoint
}

var _ client = (*httpClient)(nil)

func newHTTPClient(s *settings) *httpClient {
	conn := backend.NewConn()
	var cert *clientCert
	if s.tls {
		conn.Transport.TLSClientConfig, cert = newTLSConfig(s)
	}
	if proxy := s.proxy; proxy != nil {
		conn.Transport.Proxy = func(r *http.Request) (*url.URL, error) { return proxy(r.URL) }
	}
	h := http.Header{}
	for k, v := range s.headers {
		h.Set(k, v)
	}
	h.Set("Content-Type", "application/x-protobuf")
	h.Set("User-Agent", userAgent)
	if s.gzip {
		h.Set("Content-Encoding", "gzip")
	}
	return &httpClient{url: s.url.String(), header: h, gzip: s.gzip, conn: conn, scrub: newScrubber(s.headers), cert: cert}
}

func (c *httpClient) stop() { c.conn.Abort() }

func (c *httpClient) maxRequest() int { return 0 }

func (c *httpClient) upload(ctx context.Context, body []byte) error {
	if c.gzip {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(body)
		_ = zw.Close()
		body = buf.Bytes()
	}
	return withRetry(ctx, func(ctx context.Context) error { return c.post(ctx, body) })
}

func (c *httpClient) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = c.header.Clone()
	resp, err := c.conn.Client.Do(req)
	if err != nil {
		final := refused(err) || tlsFailure(err)
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL, which the log line has already
		}
		err = c.scrub.errorf("%s", c.cert.explain(err.Error()))
		if final {
			return err
		}
		return &retryableError{err: err}
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch code := resp.StatusCode; {
	case code >= 200 && code <= 299:
		if len(data) == 0 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/x-protobuf") {
			return nil
		}
		var answer coltracepb.ExportTraceServiceResponse
		if proto.Unmarshal(data, &answer) != nil {
			return nil // delivered; the answer is not ours to judge
		}
		if ps := answer.GetPartialSuccess(); ps != nil && ps.GetRejectedSpans() > 0 {
			return &partialError{rejected: ps.GetRejectedSpans(), msg: c.scrub.scrub(ps.GetErrorMessage())}
		}
		return nil
	case code == http.StatusTooManyRequests || code == http.StatusBadGateway || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout:
		return &retryableError{
			err:  &rejectedError{msg: c.answer(resp.Status, data)},
			wait: retryAfter(resp.Header.Get("Retry-After")),
		}
	default:
		return &rejectedError{tooLarge: code == http.StatusRequestEntityTooLarge, msg: c.answer(resp.Status, data)}
	}
}

// answer describes a collector's answer: the status and the start of the
// body, scrubbed.
func (c *httpClient) answer(status string, body []byte) string {
	text := strings.TrimSpace(string(body))
	if len(text) > 200 {
		text = text[:200] + "..."
	}
	if text == "" {
		return status
	}
	return c.scrub.scrub(status + ": " + text)
}

// retryAfter reads a Retry-After header's seconds, capped at 5s.
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return 0
	}
	return min(time.Duration(n)*time.Second, 5*time.Second)
}

// grpcClient calls the OTLP TraceService.
type grpcClient struct {
	conn  *grpc.ClientConn
	md    metadata.MD
	call  []grpc.CallOption
	scrub scrubber
	cert  *clientCert // nil for a plaintext endpoint
}

var _ client = (*grpcClient)(nil)

func newGRPCClient(s *settings) (*grpcClient, error) {
	creds := insecure.NewCredentials()
	var cert *clientCert
	if s.tls {
		var conf *tls.Config
		conf, cert = newTLSConfig(s)
		creds = credentials.NewTLS(conf)
	}
	conn, err := grpc.NewClient(s.url.Host, grpc.WithTransportCredentials(creds), grpc.WithUserAgent(userAgent))
	if err != nil {
		return nil, err
	}
	c := &grpcClient{conn: conn, md: metadata.New(s.headers), call: []grpc.CallOption{grpc.ForceCodecV2(requestCodec{}), grpc.StaticMethod()},
		scrub: newScrubber(s.headers), cert: cert}
	if s.gzip {
		c.call = append(c.call, grpc.UseCompressor(grpcgzip.Name))
	}
	return c, nil
}

func (c *grpcClient) stop() { _ = c.conn.Close() }

func (c *grpcClient) maxRequest() int { return grpcMaxRequest }

func (c *grpcClient) upload(ctx context.Context, body []byte) error {
	ctx = metadata.NewOutgoingContext(ctx, c.md)
	return withRetry(ctx, func(ctx context.Context) error {
		resp := &coltracepb.ExportTraceServiceResponse{}
		err := c.conn.Invoke(ctx, coltracepb.TraceService_Export_FullMethodName, encodedRequest(body), resp, c.call...)
		if err == nil {
			if ps := resp.GetPartialSuccess(); ps != nil && ps.GetRejectedSpans() > 0 {
				return &partialError{rejected: ps.GetRejectedSpans(), msg: c.scrub.scrub(ps.GetErrorMessage())}
			}
			return nil
		}
		st := status.Convert(err)
		msg := c.scrub.scrub(st.Code().String() + ": " + st.Message())
		switch st.Code() {
		case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled:
			msg = c.cert.explain(msg)
			// Not delivered: no collector, or no answer in time.
			if st.Code() == codes.Unavailable && (refusedMessage(st.Message()) || tlsFailureMessage(st.Message())) {
				return errors.New(msg) // see refused and tlsFailure
			}
			return &retryableError{err: errors.New(msg)}
		case codes.Aborted, codes.OutOfRange, codes.DataLoss:
			return &retryableError{err: &rejectedError{msg: msg}}
		case codes.ResourceExhausted:
			if strings.Contains(st.Message(), "larger than max") {
				return &rejectedError{tooLarge: true, msg: msg}
			}
			return &retryableError{err: &rejectedError{msg: msg}}
		}
		return &rejectedError{msg: msg}
	})
}

// encodedRequest is an ExportTraceServiceRequest in protobuf's wire format.
type encodedRequest []byte

// requestCodec is the gRPC codec of a call with an encoded request: the
// request goes as it is, the answer is a protobuf message. It has no name,
// so that the call's content type is plain application/grpc, as the OTLP
// exporter's (which means protobuf), not application/grpc+NAME.
type requestCodec struct{}

var _ encoding.CodecV2 = requestCodec{}

func (requestCodec) Marshal(v any) (mem.BufferSlice, error) {
	req, ok := v.(encodedRequest)
	if !ok {
		return nil, fmt.Errorf("otel: the request codec sends an encoded request, not a %T", v)
	}
	return mem.BufferSlice{mem.SliceBuffer(req)}, nil
}

func (requestCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(proto.Message)
	if !ok {
		return fmt.Errorf("otel: the request codec reads a protobuf message, not a %T", v)
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	return proto.Unmarshal(buf.ReadOnlyData(), m)
}

func (requestCodec) Name() string { return "" }
