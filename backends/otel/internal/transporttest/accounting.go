package transporttest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

// BurstSmallQueue: a burst through a queue of 100 drops spans, never
// blocks, and counts every span exactly; the collector decoded exactly the
// spans reported.
func BurstSmallQueue(t *testing.T, tp Transport) {
	c := oteltest.New(t)
	tr, err := core.New("otel", append(c.Options(tp.Name), core.WithTraceAll(true),
		core.WithParam("queue_size", "100"), core.WithParam("batch_size", "50"))...)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20000
	Serve(tr.Middleware(OK), n)
	_ = tr.Close() // its error counts the spans lost, checked below
	st := tr.Stats()
	WantAccounted(t, st, n)
	if st.DroppedBy[backend.DropQueueFull] == 0 || st.Dropped != st.DroppedBy[backend.DropQueueFull] {
		t.Errorf("want drops for a full queue only: %v", st.DroppedBy)
	}
	if got := uint64(len(c.Spans())); got != st.Reported {
		t.Errorf("the collector decoded %d spans, the backend reported %d", got, st.Reported)
	}
}

// BurstQueueSized: with the queue sized for the burst, nothing is
// dropped.
func BurstQueueSized(t *testing.T, tp Transport) {
	c := oteltest.New(t)
	tr, err := core.New("otel", append(c.Options(tp.Name), core.WithTraceAll(true), core.WithParam("queue_size", "6000"))...)
	if err != nil {
		t.Fatal(err)
	}
	Serve(tr.Middleware(OK), 5000)
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	st := tr.Stats()
	WantAccounted(t, st, 5000)
	if st.Reported != 5000 || uint64(len(c.Spans())) != 5000 {
		t.Errorf("reported %d, decoded %d, want 5000", st.Reported, len(c.Spans()))
	}
}

// CollectorFaultsAccounting: whatever the collector does, requests
// never wait on it, Shutdown keeps its deadline, and every span is counted
// for the right reason.
func CollectorFaultsAccounting(t *testing.T, tp Transport) {
	cases := []struct {
		fault oteltest.Fault
		want  []string // reasons that may appear
	}{
		{oteltest.Down, []string{backend.DropSend, backend.DropShutdown, backend.DropQueueFull}},
		{oteltest.Silent, []string{backend.DropSend, backend.DropShutdown, backend.DropQueueFull}},
		{oteltest.Slow, []string{backend.DropSend, backend.DropShutdown, backend.DropQueueFull}}, // sends time out after 300ms
		// An export may also time out while a loaded machine connects.
		{oteltest.Failing, []string{backend.DropRejected, backend.DropSend, backend.DropShutdown, backend.DropQueueFull}},
	}
	for _, tc := range cases {
		t.Run(string(tc.fault), func(t *testing.T) {
			endpoint := oteltest.FaultyEndpoint(t, tp.Name, tc.fault)
			tr, err := core.New("otel", core.WithEndpoint(endpoint), core.WithTraceAll(true),
				core.WithParam("queue_size", "500"), core.WithParam("export_interval", "20ms"), core.WithParam("export_timeout", "300ms"))
			if err != nil {
				t.Fatal(err)
			}
			h := tr.Middleware(OK)
			var worst time.Duration
			r := httptest.NewRequest("GET", "/work", nil)
			const n = 3000
			for i := 0; i < n; i++ {
				start := time.Now()
				h.ServeHTTP(httptest.NewRecorder(), r)
				worst = max(worst, time.Since(start))
				if i%1000 == 999 {
					time.Sleep(150 * time.Millisecond) // let exports fail
				}
			}
			if worst > time.Second { // generous: a loaded machine stalls requests that wait on nothing
				t.Errorf("a request took %v: requests must not wait on the collector", worst)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			start := time.Now()
			err = tr.Shutdown(ctx)
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("Shutdown with a 500ms deadline took %v", took)
			}
			st := tr.Stats()
			WantAccounted(t, st, n)
			if st.Reported != 0 {
				t.Errorf("reported %d spans to a collector that took none", st.Reported)
			}
			for reason := range st.DroppedBy {
				if !slices.Contains(tc.want, reason) {
					t.Errorf("dropped for %q, want only %v", reason, tc.want)
				}
			}
			if tc.fault == oteltest.Failing && st.DroppedBy[backend.DropRejected] == 0 {
				t.Errorf("no span counted as rejected by a collector that answers 500: %v", st.DroppedBy)
			}
			t.Logf("shutdown: %v", err)
		})
	}
}

// ShutdownHungCollector: Shutdown returns by its deadline while an
// export hangs, says so, and counts the spans it held as unsent.
func ShutdownHungCollector(t *testing.T, tp Transport) {
	for _, f := range []oteltest.Fault{oteltest.Silent, oteltest.Slow} {
		t.Run(string(f), func(t *testing.T) {
			tr, err := core.New("otel", core.WithEndpoint(oteltest.FaultyEndpoint(t, tp.Name, f)),
				core.WithParam("export_timeout", "1m"), core.WithParam("export_interval", "10ms"))
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 100; i++ {
				tr.StartSpan("held").Finish()
			}
			time.Sleep(100 * time.Millisecond) // an export is under way, and hangs
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			err = tr.Shutdown(ctx)
			if took := time.Since(start); took > 2*time.Second { // the hung export would take a minute
				t.Errorf("Shutdown with a 300ms deadline took %v", took)
			}
			if err == nil {
				t.Error("Shutdown reported no error, though spans were left unsent")
			}
			st := tr.Stats()
			if st.Reported != 0 || st.DroppedBy[backend.DropShutdown] != 100 || st.Pending != 0 {
				t.Errorf("reported %d, dropped %v, pending %d: want the 100 spans unsent at shutdown", st.Reported, st.DroppedBy, st.Pending)
			}
		})
	}
}

// PartialSuccess: spans a collector rejects in a partial success are
// counted as rejected, the rest as reported.
func PartialSuccess(t *testing.T, tp Transport) {
	c := oteltest.New(t)
	c.RejectSpans(3, "too many attributes")
	tr, err := core.New("otel", c.Options(tp.Name)...)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		tr.StartSpan("partial").Finish()
	}
	_ = tr.Close() // its error counts the spans lost, checked below
	st := tr.Stats()
	if st.Reported != 7 || st.DroppedBy[backend.DropRejected] != 3 || st.Dropped != 3 {
		t.Errorf("reported %d, dropped %v: want 7 reported and 3 rejected", st.Reported, st.DroppedBy)
	}
}

// OversizedSpanLosesOnlyItself: one span with a 5 MiB tag among 50 is
// too large for a collector that takes 4 MiB (gRPC's default, and an HTTP
// collector answering 413 above it); it alone is dropped, as too large, and
// the collector decodes the 49 others. The whole batch used to be refused,
// and counted as too large.
func OversizedSpanLosesOnlyItself(t *testing.T, tp Transport) {
	const limit = 4 << 20
	c := oteltest.New(t)
	endpoint := c.Endpoint(tp.Name)
	if tp.Name == "http" {
		endpoint = LimitedHTTP(t, endpoint, limit)
	}
	tr, err := core.New("otel", core.WithEndpoint(endpoint), core.WithParam("export_interval", "1h"))
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 5<<20)
	for i := 0; i < 50; i++ {
		s := tr.StartSpan("small")
		if i == 17 {
			s.SetOperationName("big")
			s.SetTag("big", big)
		}
		s.Finish()
	}
	if err := tr.Close(); !errors.Is(err, core.ErrSpansLost) {
		t.Errorf("Close = %v, want ErrSpansLost for the span too large", err)
	}
	st := conformance.CheckAccounting(t, tr, len(c.OTLPSpans()))
	if st.Reported != 49 || st.Dropped != 1 || st.DroppedBy[backend.DropTooLarge] != 1 {
		t.Errorf("reported %d, dropped %v: want 49 reported and 1 too large", st.Reported, st.DroppedBy)
	}
	spans := c.OTLPSpans()
	small := 0
	for _, s := range spans {
		if s.GetName() == "big" {
			t.Error("the collector decoded the span over its limit")
		}
		if s.GetName() == "small" {
			small++
		}
	}
	if small != 49 || len(spans) != 49 {
		t.Errorf("the collector decoded %d spans, %d of them small: want the 49 small ones, each once", len(spans), small)
	}
	if errs := c.Errors(); len(errs) > 0 {
		t.Errorf("collector errors: %v", errs)
	}
}

// LimitedHTTP is a proxy to the collector's HTTP endpoint that answers 413
// to a body over limit bytes, as collectors and proxies in front of them
// do, and returns its endpoint.
func LimitedHTTP(t *testing.T, endpoint string, limit int64) string {
	t.Helper()
	target, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
	proxy.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		if r.Context().Err() == nil { // else the exporter gave up: nothing to say
			t.Logf("proxy: %v", err)
		}
		w.WriteHeader(http.StatusBadGateway)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err != nil || int64(len(body)) > limit {
			_, _ = io.Copy(io.Discard, r.Body)
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + target.Path
}

// refusedEndpoint returns an endpoint of transport where the connection is
// refused: a port that was free a moment ago.
func refusedEndpoint(t *testing.T, transport string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	if transport == "http" {
		return "http://" + addr + "/v1/traces"
	}
	return transport + "://" + addr
}

// RefusedConnectionFailsFast: a refused connection is not retried until
// export_timeout (30s here): Shutdown, with a 10s deadline, gives up at
// once, the spans counted as send failed, and says that they were lost;
// Close returns too. The export used to be retried with backoff until its
// timeout, so Shutdown ended by its deadline, counting the spans as unsent
// at shutdown, and Close took the whole 30s.
func RefusedConnectionFailsFast(t *testing.T, tp Transport) {
	switch runtime.GOOS {
	case "windows", "plan9", "js", "wasip1":
		t.Skip("a refused connection is recognised on Unix systems only (internal/otlp/refused.go)")
	}
	t.Run("Shutdown", func(t *testing.T) {
		tr, err := core.New("otel", core.WithEndpoint(refusedEndpoint(t, tp.Name)),
			core.WithParam("export_timeout", "30s"), core.WithParam("export_interval", "1h"))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			tr.StartSpan("refused").Finish()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = tr.Shutdown(ctx)
		if !errors.Is(err, core.ErrSpansLost) || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown = %v, want ErrSpansLost and no missed deadline", err)
		}
		st := conformance.CheckAccounting(t, tr, 0)
		if st.DroppedBy[backend.DropSend] != 5 || st.Dropped != 5 {
			t.Errorf("dropped %v, want the 5 spans as %q", st.DroppedBy, backend.DropSend)
		}
	})
	t.Run("Close", func(t *testing.T) {
		tr, err := core.New("otel", core.WithEndpoint(refusedEndpoint(t, tp.Name)),
			core.WithParam("export_timeout", "30s"), core.WithParam("export_interval", "1h"))
		if err != nil {
			t.Fatal(err)
		}
		tr.StartSpan("refused").Finish()
		done := make(chan error, 1)
		go func() { done <- tr.Close() }()
		select {
		case err = <-done:
		case <-time.After(10 * time.Second): // the old retries took the export's 30s
			t.Error("Close did not return within 10s: the refused connection is being retried")
			err = <-done
		}
		if !errors.Is(err, core.ErrSpansLost) {
			t.Errorf("Close = %v, want ErrSpansLost", err)
		}
		if st := tr.Stats(); st.DroppedBy[backend.DropSend] != 1 {
			t.Errorf("dropped %v, want 1 %q", st.DroppedBy, backend.DropSend)
		}
	})
}
