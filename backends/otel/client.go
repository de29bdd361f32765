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
}

var _ otlp.Client = (*httpClient)(nil)

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
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(body)
		_ = zw.Close()
		body = buf.Bytes()
	}
	return otlp.WithRetry(ctx, func(ctx context.Context) error { return c.post(ctx, body) })
}

func (c *httpClient) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
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
