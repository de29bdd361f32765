package otel_test

// Adversarial wire tests: what the otel backend puts on the wire, decoded by
// oteltest with go.opentelemetry.io/proto/otlp's own generated types, and
// the accounting core.Tracer.Stats exposes. (Over gRPC: otlpgrpc's tests of
// the same names.)

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/otel/internal/transporttest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

// The adversarial wire tests that every transport passes: see
// transporttest.

func TestAdversarialOtelEveryValue(t *testing.T) {
	transporttest.AdversarialOtelEveryValue(t, transporttest.HTTP)
}

func TestAdversarialOtelInvalidUTF8(t *testing.T) {
	transporttest.AdversarialOtelInvalidUTF8(t, transporttest.HTTP)
}

func TestAdversarialOtelHugeAndManyTags(t *testing.T) {
	transporttest.AdversarialOtelHugeAndManyTags(t, transporttest.HTTP)
}

func TestAdversarialOtelTimesAnd128Bit(t *testing.T) {
	transporttest.AdversarialOtelTimesAnd128Bit(t, transporttest.HTTP)
}

func TestAdversarialOtelCloseFlushesAndLateSpans(t *testing.T) {
	transporttest.AdversarialOtelCloseFlushesAndLateSpans(t, transporttest.HTTP)
}

// advStatusServer answers every OTLP/HTTP request with code (after delay).
func advStatusServer(t *testing.T, code int, delay time.Duration, hits *atomic.Int64) string {
	t.Helper()
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			case <-stop:
				return
			}
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, "no")
	}))
	t.Cleanup(func() { close(stop); srv.Close() })
	return srv.URL + "/v1/traces"
}

// TestAdversarialOtelCollectorAnswers: 500 is rejected, 413 too large (the
// batch split in halves until each span, refused alone, is dropped alone:
// 13 requests for 7 spans), 429 retried until export_timeout then rejected,
// a collector slower than export_timeout a send failure; every span is
// accounted for, once.
func TestAdversarialOtelCollectorAnswers(t *testing.T) {
	cases := []struct {
		name      string
		code      int
		delay     time.Duration
		reason    string
		multiHits bool
	}{
		{"500", 500, 0, backend.DropRejected, false},
		{"413", 413, 0, backend.DropTooLarge, false},
		{"429", 429, 0, backend.DropRejected, true},
		{"slow", 200, time.Minute, backend.DropSend, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var hits atomic.Int64
			ep := advStatusServer(t, tc.code, tc.delay, &hits)
			tr := transporttest.AdvNew(t, ep, core.WithParam("export_timeout", "3s"), core.WithParam("export_interval", "1h"))
			for i := 0; i < 7; i++ {
				tr.StartSpan("s").Finish()
			}
			begun := time.Now()
			if err := tr.Close(); err == nil || !errors.Is(err, core.ErrSpansLost) {
				t.Errorf("Close = %v, want ErrSpansLost", err)
			}
			if d := time.Since(begun); d > 30*time.Second {
				t.Errorf("Close took %v", d)
			}
			st := conformance.CheckAccounting(t, tr, 0)
			if st.DroppedBy[tc.reason] != 7 || st.Dropped != 7 {
				t.Errorf("DroppedBy %v, want 7 %q", st.DroppedBy, tc.reason)
			}
			if tc.multiHits && hits.Load() < 2 {
				t.Errorf("%d requests: a 429 was not retried", hits.Load())
			}
			if tc.code == 413 && hits.Load() != 13 {
				t.Errorf("%d requests for 413, want 13: halves until each span goes alone", hits.Load())
			}
			if !tc.multiHits && tc.code != 200 && tc.code != 413 && hits.Load() != 1 {
				t.Errorf("%d requests for %d, want 1", hits.Load(), tc.code)
			}
		})
	}
}
