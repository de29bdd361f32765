package otel_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/otel/internal/transporttest"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/internal/redact/redacttest"
)

// TestOversizedSpanLosesOnlyItself: see transporttest.
func TestOversizedSpanLosesOnlyItself(t *testing.T) {
	transporttest.OversizedSpanLosesOnlyItself(t, transporttest.HTTP)
}

// TestSplitBatchPartlyLost: a batch split in halves (a span too large among
// them) whose other half gets no answer (a collector that hangs on it) is
// counted part by part: the spans the collector decoded as reported, the
// large one as too large, and the hung half as send failed when the export
// times out, or as unsent at shutdown when Shutdown's deadline aborts it.
// The log line says which part failed, and why.
func TestSplitBatchPartlyLost(t *testing.T) {
	const limit = 1 << 20
	for _, tc := range []struct {
		name    string
		timeout string // export_timeout
		// ended: Shutdown's context ends once the hung half has reached
		// the collector (and the other half is done); else Close.
		ended  bool
		reason string // the hung half's
		logged string
	}{
		{"export timeout", "2s", false, backend.DropSend, "5 of them: "},
		{"shutdown deadline", "1m", true, backend.DropShutdown, "1 of them: the collector refused the spans: 413"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := oteltest.New(t)
			logs := &redacttest.Logs{}
			hung := make(chan struct{})
			endpoint := transporttest.LimitedHTTP(t, hangingHTTP(t, c.Endpoint("http"), "hang-on-this-part", hung), limit)
			tr, err := core.New("otel", core.WithEndpoint(endpoint), core.WithLogger(logs.Slog()),
				core.WithParam("export_interval", "1h"), core.WithParam("export_timeout", tc.timeout))
			if err != nil {
				t.Fatal(err)
			}
			// One batch of 10, split into [0-4] and [5-9]: [0-4] again until
			// span 3 goes alone and is refused; [5-9] hangs.
			for i := 0; i < 10; i++ {
				s := tr.StartSpan("small")
				switch i {
				case 3:
					s.SetTag("big", strings.Repeat("x", limit+limit/2))
				case 8:
					s.SetOperationName("hang-on-this-part")
				}
				s.Finish()
			}
			ctx := context.Background()
			if tc.ended {
				// Not a deadline: under load, a clock could end it before
				// the first half is done.
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				defer cancel()
				go func() { <-hung; cancel() }()
			}
			if err := tr.Shutdown(ctx); !errors.Is(err, core.ErrSpansLost) {
				t.Errorf("Shutdown = %v, want ErrSpansLost", err)
			}
			st := conformance.CheckAccounting(t, tr, len(c.OTLPSpans()))
			want := map[string]uint64{backend.DropTooLarge: 1, tc.reason: 5}
			if st.Reported != 4 || !maps.Equal(st.DroppedBy, want) {
				t.Errorf("reported %d, dropped %v: want 4 reported, dropped %v", st.Reported, st.DroppedBy, want)
			}
			if !strings.Contains(logs.String(), "sending 10 spans to ") || !strings.Contains(logs.String(), tc.logged) {
				t.Errorf("logged %q: want the batch's 10 spans and %q", logs.String(), tc.logged)
			}
			t.Logf("logged: %s", logs.String())
		})
	}
}

// hangingHTTP is a proxy to endpoint that never answers a request whose
// body holds marker (until the client gives up), and returns its endpoint.
// It closes hung when the first such request has arrived.
func hangingHTTP(t *testing.T, endpoint, marker string, hung chan<- struct{}) string {
	t.Helper()
	target, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		if bytes.Contains(body, []byte(marker)) {
			once.Do(func() { close(hung) })
			<-r.Context().Done()
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + target.Path
}

// TestRefusedConnectionFailsFast: see transporttest.
func TestRefusedConnectionFailsFast(t *testing.T) {
	transporttest.RefusedConnectionFailsFast(t, transporttest.HTTP)
}
