package otlp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// PartialError is a partial success: the collector took the request but
// rejected some of its spans.
type PartialError struct {
	// Rejected is the number of spans the collector rejected.
	Rejected int64
	// Msg is the collector's reason, scrubbed.
	Msg string
}

// Error says how many spans the collector rejected, and why.
func (e *PartialError) Error() string {
	return fmt.Sprintf("the collector rejected %d spans: %s", e.Rejected, e.Msg)
}

// RejectedError is an answer refusing the whole request.
type RejectedError struct {
	// TooLarge says that the request was refused for its size (HTTP 413,
	// or a gRPC message over the collector's limit): the processor sends
	// its spans again in halves.
	TooLarge bool
	// Msg describes the answer, scrubbed.
	Msg string
}

// Error says that the collector refused the spans, and its answer.
func (e *RejectedError) Error() string { return "the collector refused the spans: " + e.Msg }

// RetryableError is a failure worth another try within the export's
// deadline, after Wait if the collector asked for one.
type RetryableError struct {
	Err  error
	Wait time.Duration
}

// Error is e.Err's text.
func (e *RetryableError) Error() string { return e.Err.Error() }

// Unwrap returns e.Err.
func (e *RetryableError) Unwrap() error { return e.Err }

// WithRetry calls attempt until it succeeds, fails for good, or the next try
// would not fit before ctx's deadline, with an exponential backoff from
// 100ms to 2s (or the wait a [RetryableError] asks for, if longer). It
// returns the last error, without its retryable wrapper.
func WithRetry(ctx context.Context, attempt func(context.Context) error) error {
	backoff := 100 * time.Millisecond
	for {
		err := attempt(ctx)
		var r *RetryableError
		if !errors.As(err, &r) {
			return err
		}
		wait := max(backoff, r.Wait)
		if deadline, ok := ctx.Deadline(); ctx.Err() != nil || (ok && time.Until(deadline) < wait) {
			return r.Err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return r.Err
		case <-t.C:
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// Scrubber removes the values of the configured headers (credentials, as a
// rule) from text that came from elsewhere, such as a collector's answer
// echoing a request, before it goes into an error.
type Scrubber []string

// NewScrubber returns the scrubber of headers' values (those of four bytes
// or more: shorter ones would hide common text and protect nothing).
func NewScrubber(headers map[string]string) Scrubber {
	var s Scrubber
	for _, v := range headers {
		if len(v) >= 4 {
			s = append(s, v)
		}
	}
	return s
}

// Scrub returns text with every header value in it [redacted].
func (s Scrubber) Scrub(text string) string {
	for _, v := range s {
		text = strings.ReplaceAll(text, v, "[redacted]")
	}
	return text
}

// Errorf returns an error of the scrubbed text fmt.Sprintf makes.
func (s Scrubber) Errorf(format string, args ...any) error {
	return errors.New(s.Scrub(fmt.Sprintf(format, args...)))
}
