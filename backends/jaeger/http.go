package jaeger

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/internal/redact"
	"github.com/traceplug/traceplug/internal/textutil"
	jaeger "github.com/uber/jaeger-client-go"
)

// httpSender posts batches of spans to a Jaeger collector as binary-thrift
// Batches, as jaeger-client-go's transport.HTTPTransport does (batch_size
// spans a request, basic auth, extra headers, an error for an answer of 400
// or more), encoding each span once, straight into the batch (see
// thrift.go). The reporter calls it from one goroutine.
type httpSender struct {
	url       string
	shown     string // url for logs and errors, credentials redacted
	client    *http.Client
	header    http.Header
	batchSize int
	maxTagLen int
	counts    *backend.SpanCounts // for the spans the collector refuses

	process []byte // the batch's Process, encoded once
	spans   writer // the batch's spans, encoded
	n       int    // how many
	scratch writer
}

func newHTTPSender(url string, rt http.RoundTripper, timeout time.Duration, s *settings, counts *backend.SpanCounts) *httpSender {
	// In jaeger-client-go's order: the extra headers may replace the
	// Content-Type, and basic auth replaces their Authorization.
	h := http.Header{"Content-Type": {"application/x-thrift"}}
	for k, v := range s.headers {
		h.Set(k, v)
	}
	if s.user != "" || s.password != "" {
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(s.user+":"+s.password)))
	}
	return &httpSender{
		url:       url,
		shown:     redact.Endpoint(url),
		client:    &http.Client{Transport: rt, Timeout: timeout},
		header:    h,
		batchSize: s.batchSize,
		maxTagLen: s.maxTagValueLength,
		counts:    counts,
	}
}

// Append implements jaeger.Transport.
func (s *httpSender) Append(span *jaeger.Span) (int, error) {
	if s.process == nil {
		p := writer{}
		p.process(jaeger.BuildJaegerProcessThrift(span))
		s.process = p.b
	}
	if fields.ok {
		s.spans.span(span, fields, s.maxTagLen, &s.scratch)
	} else {
		s.spans.thriftSpan(jaeger.BuildJaegerThrift(span))
	}
	if s.n++; s.n >= s.batchSize {
		return s.Flush()
	}
	return 0, nil
}

// Flush implements jaeger.Transport: it posts the buffered spans.
func (s *httpSender) Flush() (int, error) {
	n := s.n
	if n == 0 {
		return 0, nil
	}
	// A Batch: Process (field 1), spans (field 2).
	w := writer{b: make([]byte, 0, 3+len(s.process)+3+5+len(s.spans.b)+1)}
	var last int16
	w.field(&last, 1, tStruct)
	w.b = append(w.b, s.process...)
	w.field(&last, 2, tList)
	w.list(tStruct, n)
	w.b = append(w.b, s.spans.b...)
	w.stop()
	s.spans.b, s.n = s.spans.b[:0], 0
	if err := s.post(w.b, n); err != nil {
		if errors.Is(err, context.Canceled) {
			// Shutdown's deadline cut the post short: the spans are
			// unsent at shutdown, which Shutdown's error says; nothing
			// to log.
			s.counts.Dropped(backend.DropShutdown, uint64(n))
			return 0, nil
		}
		var refused collectorError
		if errors.As(err, &refused) {
			// Counted here, as refused by the collector (an error to the
			// reporter with n spans would count them as failed sends).
			s.counts.Dropped(backend.DropRejected, uint64(n))
			return 0, err
		}
		return n, err
	}
	return n, nil
}

// collectorError is the collector's answer to a post it refused.
type collectorError struct {
	status int
	url    string // redacted
	n      int
}

func (e collectorError) Error() string {
	return fmt.Sprintf("sending %s to %s: the collector refused the spans: %d %s", textutil.Count(e.n, "span"), e.url, e.status, http.StatusText(e.status))
}

func (s *httpSender) post(body []byte, n int) error {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = s.header.Clone()
	resp, err := s.client.Do(req)
	if err != nil {
		// Go's *url.Error would repeat the URL's user name and query.
		return fmt.Errorf("sending %s to %s: %w", textutil.Count(n, "span"), s.shown, redact.URLCause(err))
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= http.StatusBadRequest {
		return collectorError{resp.StatusCode, s.shown, n}
	}
	return nil
}

// Close implements jaeger.Transport.
func (s *httpSender) Close() error { return nil }
