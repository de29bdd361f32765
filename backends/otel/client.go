package otel

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/otel/internal/otlp"
)

// The backend sends spans with clients of its own, which send the requests
// the backend encodes (encode.go), so that the backend knows what became of
// every span: delivered, rejected (in part, by a partial success), or not
// delivered. The clients read no environment variables: the backend resolves
// every setting once, with traceplug's precedence. This file is the
// OTLP/HTTP client; the OTLP/gRPC one is in the otlpgrpc module, which
// registers it through internal/otlp, so that a program that exports over
// HTTP does not link gRPC.

// httpClient posts ExportTraceServiceRequests as protobuf.
type httpClient struct {
	url    string
	header http.Header
	gzip   bool
	conn   *backend.Conn
	scrub  otlp.Scrubber
	cert   *otlp.ClientCert // nil for a plaintext endpoint
	// reading counts the readers of the last upload's body that the
	// transport has not closed yet (see Released). Uploads come one at a
	// time, from the processor's goroutine.
	reading *atomic.Int64
}

var (
	_ otlp.Client   = (*httpClient)(nil)
	_ otlp.Releaser = (*httpClient)(nil)
)

// gzipWriters are reused: a gzip.Writer holds some hundred kilobytes.
var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

// Released implements [otlp.Releaser]: the transport closes a request's
// body once it has read it (net/http closes it on every path, and may do so
// after Do has returned); the body is free once every attempt's reader is
// closed. A gzipped upload sent a copy, and body was free at once.
func (c *httpClient) Released(body []byte) bool {
	return c.gzip || c.reading == nil || c.reading.Load() == 0
}

// trackedBody is a request body that counts itself closed.
type trackedBody struct {
	*bytes.Reader
	reading *atomic.Int64
	once    sync.Once
}

func (b *trackedBody) Close() error {
	b.once.Do(func() { b.reading.Add(-1) })
	return nil
}

// body returns a reader of p for one attempt, counted until the transport
// closes it.
func (c *httpClient) body(reading *atomic.Int64, p []byte) io.ReadCloser {
	reading.Add(1)
	return &trackedBody{Reader: bytes.NewReader(p), reading: reading}
}

// newHTTPClient returns the client of s's OTLP/HTTP endpoint, through the
// proxy of the settings' proxy function.
func newHTTPClient(s *otlp.Settings, proxy func(*url.URL) (*url.URL, error)) *httpClient {
	conn := backend.NewConn()
	var cert *otlp.ClientCert
	if s.TLS {
		conn.Transport.TLSClientConfig, cert = otlp.NewTLSConfig(s)
	}
	if proxy != nil {
		conn.Transport.Proxy = func(r *http.Request) (*url.URL, error) { return proxy(r.URL) }
	}
	h := http.Header{}
	for k, v := range s.Headers {
		h.Set(k, v)
	}
	h.Set("Content-Type", "application/x-protobuf")
	h.Set("User-Agent", otlp.UserAgent)
	if s.Gzip {
		h.Set("Content-Encoding", "gzip")
	}
	return &httpClient{url: s.URL.String(), header: h, gzip: s.Gzip, conn: conn, scrub: otlp.NewScrubber(s.Headers), cert: cert}
}

// Stop implements [otlp.Client]: it aborts the requests under way and
// closes the connections.
func (c *httpClient) Stop() { c.conn.Abort() }

// MaxRequest implements [otlp.Client]: OTLP/HTTP has no common limit.
func (c *httpClient) MaxRequest() int { return 0 }

// Upload implements [otlp.Client]: it posts body (gzipped, if the settings
// say so), trying again within ctx's deadline while the answer is worth
// another try.
func (c *httpClient) Upload(ctx context.Context, body []byte) error {
	if c.gzip {
		var buf bytes.Buffer
		zw := gzipWriters.Get().(*gzip.Writer)
		zw.Reset(&buf)
		_, _ = zw.Write(body)
		_ = zw.Close()
		zw.Reset(nil)
		gzipWriters.Put(zw)
		body = buf.Bytes()
	}
	reading := new(atomic.Int64)
	c.reading = reading
	return otlp.WithRetry(ctx, func(ctx context.Context) error { return c.post(ctx, reading, body) })
}

func (c *httpClient) post(ctx context.Context, reading *atomic.Int64, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, c.body(reading, body))
	if err != nil {
		return err
	}
	req.ContentLength = int64(len(body))
	req.GetBody = func() (io.ReadCloser, error) { return c.body(reading, body), nil }
	req.Header = c.header.Clone()
	resp, err := c.conn.Client.Do(req)
	if err != nil {
		final := otlp.Refused(err) || otlp.TLSFailure(err)
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL, which the log line has already
		}
		err = c.scrub.Errorf("%s", c.cert.Explain(err.Error()))
		if final {
			return err
		}
		return &otlp.RetryableError{Err: err}
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch code := resp.StatusCode; {
	case code >= 200 && code <= 299:
		if len(data) == 0 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/x-protobuf") {
			return nil
		}
		answer, err := otlp.DecodeResponse(data)
		if err != nil {
			return nil // delivered; the answer is not ours to judge
		}
		if answer.RejectedSpans > 0 {
			return &otlp.PartialError{Rejected: answer.RejectedSpans, Msg: c.scrub.Scrub(answer.ErrorMessage)}
		}
		return nil
	case code == http.StatusTooManyRequests || code == http.StatusBadGateway || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout:
		return &otlp.RetryableError{
			Err:  &otlp.RejectedError{Msg: c.answer(resp.Status, data)},
			Wait: retryAfter(resp.Header.Get("Retry-After")),
		}
	default:
		return &otlp.RejectedError{TooLarge: code == http.StatusRequestEntityTooLarge, Msg: c.answer(resp.Status, data)}
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
	return c.scrub.Scrub(status + ": " + text)
}

// retryAfter reads a Retry-After header's seconds, capped at 5s.
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return 0
	}
	return min(time.Duration(n)*time.Second, 5*time.Second)
}
