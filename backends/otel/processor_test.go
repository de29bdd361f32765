package otel_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/internal/redact/redacttest"
)

// TestOversizedSpanLosesOnlyItself: one span with a 5 MiB tag among 50 is
// too large for a collector that takes 4 MiB (gRPC's default, and an HTTP
// collector answering 413 above it); it alone is dropped, as too large, and
// the collector decodes the 49 others. The whole batch used to be refused,
// and counted as too large.
func TestOversizedSpanLosesOnlyItself(t *testing.T) {
	const limit = 4 << 20
	for _, transport := range []string{"grpc", "http"} {
		t.Run(transport, func(t *testing.T) {
			c := oteltest.New(t)
			endpoint := c.Endpoint(transport)
			if transport == "http" {
				endpoint = limitedHTTP(t, endpoint, limit)
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
		})
	}
}

// limitedHTTP is a proxy to the collector's HTTP endpoint that answers 413
// to a body over limit bytes, as collectors and proxies in front of them
// do, and returns its endpoint.
func limitedHTTP(t *testing.T, endpoint string, limit int64) string {
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
			endpoint := limitedHTTP(t, hangingHTTP(t, c.Endpoint("http"), "hang-on-this-part", hung), limit)
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
	if transport == "grpc" {
		return "grpc://" + addr
	}
	return "http://" + addr + "/v1/traces"
}

// TestRefusedConnectionFailsFast: a refused connection is not retried until
// export_timeout (30s here): Shutdown, with a 10s deadline, gives up at
// once, the spans counted as send failed, and says that they were lost;
// Close returns too. The export used to be retried with backoff until its
// timeout, so Shutdown ended by its deadline, counting the spans as unsent
// at shutdown, and Close took the whole 30s.
func TestRefusedConnectionFailsFast(t *testing.T) {
	switch runtime.GOOS {
	case "windows", "plan9", "js", "wasip1":
		t.Skip("a refused connection is recognised on Unix systems only (refused.go)")
	}
	for _, transport := range []string{"http", "grpc"} {
		t.Run(transport+"/Shutdown", func(t *testing.T) {
			tr, err := core.New("otel", core.WithEndpoint(refusedEndpoint(t, transport)),
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
		t.Run(transport+"/Close", func(t *testing.T) {
			tr, err := core.New("otel", core.WithEndpoint(refusedEndpoint(t, transport)),
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
}

// TestUnavailableIsRetried: a collector that is there but answers
// Unavailable (overloaded) is tried again until export_timeout, as the OTLP
// specification asks; only a refused connection is final.
func TestUnavailableIsRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	srv := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(srv, unavailable{calls: &calls})
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Stop(); <-served })

	tr, err := core.New("otel", core.WithEndpoint("grpc://"+ln.Addr().String()),
		core.WithParam("export_timeout", "1s"), core.WithParam("export_interval", "1h"))
	if err != nil {
		t.Fatal(err)
	}
	tr.StartSpan("busy").Finish()
	_ = tr.Close() // its error counts the span lost, checked below
	if n := calls.Load(); n < 2 {
		t.Errorf("%d calls: Unavailable was not retried", n)
	}
	if st := tr.Stats(); st.DroppedBy[backend.DropSend] != 1 {
		t.Errorf("dropped %v, want 1 %q", st.DroppedBy, backend.DropSend)
	}
}

type unavailable struct {
	coltracepb.UnimplementedTraceServiceServer
	calls *atomic.Int64
}

func (u unavailable) Export(context.Context, *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	u.calls.Add(1)
	return nil, status.Error(codes.Unavailable, "overloaded, try again")
}
