package lightstep_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/lightstep/lightsteptest"
	"github.com/traceplug/traceplug/core"

	_ "github.com/traceplug/traceplug/backends/lightstep"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var transports = []string{"http", "grpc"}

func newTracer(t *testing.T, c *lightsteptest.Collector, transport string, opts ...core.Option) *core.Tracer {
	t.Helper()
	tr, err := core.New("lightstep", append(append(c.Options(transport), core.WithServiceName("ls-test")), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr
}

func TestThousandSpansThenClose(t *testing.T) {
	for _, tp := range transports {
		t.Run(tp, func(t *testing.T) {
			c := lightsteptest.New(t)
			tr := newTracer(t, c, tp)
			for i := 0; i < 1000; i++ {
				tr.StartSpan("span").Finish()
			}
			if err := tr.Close(); err != nil {
				t.Fatal(err)
			}
			if n := len(c.Spans()); n != 1000 || len(c.Errors()) > 0 {
				t.Fatalf("the collector decoded %d of 1000 spans (errors %v)", n, c.Errors())
			}
		})
	}
}

// TestAccessTokenReachesOnlyTheCollector: the token arrives, over each
// transport, and is in no tag and no log line, even when reports fail.
func TestAccessTokenReachesOnlyTheCollector(t *testing.T) {
	const token = "tok-3f9c2a71-secret"
	var logs bytes.Buffer
	log.SetOutput(&logs)
	defer log.SetOutput(os.Stderr)
	for _, tp := range transports {
		t.Run(tp, func(t *testing.T) {
			c := lightsteptest.New(t)
			tr := newTracer(t, c, tp, core.WithParam("access_token", token), core.WithTraceAll(true),
				core.WithTracedAttributes("META", "Header"))
			srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
			defer srv.Close()
			resp, err := http.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			_ = tr.Close()
			tokens := c.Tokens()
			if len(tokens) == 0 {
				t.Fatal("no report arrived")
			}
			for _, got := range tokens {
				if got != token {
					t.Errorf("the collector received token %q, want %q", got, token)
				}
			}
			for _, s := range c.Spans() {
				for k, v := range s.Tags {
					if strings.Contains(fmt.Sprint(v), token) {
						t.Errorf("span tag %s carries the token", k)
					}
				}
				for k, v := range s.Process {
					if strings.Contains(fmt.Sprint(v), token) {
						t.Errorf("process tag %s carries the token", k)
					}
				}
			}
		})
	}
	// A collector that fails every report makes the tracer log errors.
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "token "+r.Header.Get("Lightstep-Access-Token")+" rejected", http.StatusUnauthorized)
	}))
	defer failing.Close()
	tr, err := core.New("lightstep", core.WithEndpoint(failing.URL), core.WithParam("access_token", token))
	if err != nil {
		t.Fatal(err)
	}
	tr.StartSpan("x").Finish()
	_ = tr.Close()
	if strings.Contains(logs.String(), token) {
		t.Errorf("the token is in the log:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "traceplug/lightstep:") {
		t.Errorf("the failed report was not logged:\n%s", logs.String())
	}
}

func TestAccessTokenFromEnvironment(t *testing.T) {
	t.Setenv("LIGHTSTEP_ACCESS_TOKEN", "from-env")
	c := lightsteptest.New(t)
	tr := newTracer(t, c, "http")
	tr.StartSpan("x").Finish()
	_ = tr.Close()
	if tokens := c.Tokens(); len(tokens) == 0 || tokens[0] != "from-env" {
		t.Errorf("tokens %v", tokens)
	}
}

func TestProcessTagsAndServiceName(t *testing.T) {
	c := lightsteptest.New(t)
	tr := newTracer(t, c, "grpc", core.WithTag("region", "eu"))
	tr.StartSpan("x").Finish()
	_ = tr.Close()
	s := c.Spans()[0]
	if s.Service != "ls-test" || s.Process["region"] != "eu" {
		t.Errorf("service %q process %v", s.Service, s.Process)
	}
	if cl := fmt.Sprint(s.Process["lightstep.command_line"]); strings.Contains(cl, " ") {
		t.Errorf("the whole command line was sent: %q", cl)
	}
}

// TestB3With128BitTraceIDs: lightstep's spans and wire format carry 64-bit
// trace ids, so a 128-bit B3 trace continues as its low half, as documented.
func TestB3With128BitTraceIDs(t *testing.T) {
	const traceID, low = "80f198ee56343ba8463ac35c9f6413ad", "463ac35c9f6413ad"
	c := lightsteptest.New(t)
	tr := newTracer(t, c, "http", core.WithPropagation("b3multi"), core.WithTraceAll(true))
	rl := newRelay(t, tr)
	rl.get(t, http.Header{"X-B3-Traceid": {traceID}, "X-B3-Spanid": {"a2fb4a1d1a96d312"}, "X-B3-Sampled": {"1"}, "Baggage-User": {"ann"}})
	if got := rl.sent.Get("X-B3-TraceId"); got != low {
		t.Errorf("the trace id went on as %q, want its low half %q", got, low)
	}
	if got := rl.sent.Get("Baggage-User"); got != "ann" {
		t.Errorf("baggage went on as %q", got)
	}
	_ = tr.Close()
	if spans := c.Spans(); len(spans) != 2 || spans[0].TraceID != low || spans[1].TraceID != low {
		t.Errorf("reported %v", spans)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		opt  core.Option
		want string
	}{
		{core.WithEndpoint("collector"), "want HOST:PORT"},
		{core.WithEndpoint("udp://127.0.0.1:1"), "want HOST:PORT, http://HOST:PORT"},
		{core.WithEndpoint("127.0.0.1:99999"), "want HOST:PORT"},
		{core.WithParam("transport", "carrier-pigeon"), `"carrier-pigeon" is not http or grpc`},
		{core.WithParam("plaintext", "sometimes"), "is not a boolean"},
		{core.WithParam("max_buffered_spans", "-1"), "must be positive"},
		{core.WithParam("accesstoken", "x"), `unknown param "accesstoken"`},
		{core.WithPropagation("w3c"), `"w3c"`}, // core validates the list
	} {
		if _, err := core.New("lightstep", tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, core.ErrBadOption) {
			t.Errorf("got %v, want an error containing %q", err, tc.want)
		}
	}
}

// TestFinishedAfterClose (issue 15): lightstep-tracer-go buffers spans
// finished after Close where nothing reads them any more, so they stayed
// pending forever (finished 101, reported 1, dropped 0, pending 100). They
// are counted as finished after close, as every backend does.
func TestFinishedAfterClose(t *testing.T) {
	c := lightsteptest.New(t)
	tr := newTracer(t, c, "http", core.WithTraceAll(true))
	next := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer next.Close()
	srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	defer srv.Close()
	get(t, http.DefaultClient, srv.URL)
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: tr.Transport(nil)}
	for i := 0; i < 50; i++ {
		get(t, http.DefaultClient, srv.URL)
		get(t, client, next.URL)
	}
	st := tr.Stats()
	if st.Finished != 101 || st.Reported != 1 || st.DroppedBy[backend.DropClosed] != 100 || st.Dropped != 100 || st.Pending != 0 {
		t.Errorf("finished %d, reported %d, dropped %v, pending %d: want 101 = 1 reported + 100 finished after close, none pending",
			st.Finished, st.Reported, st.DroppedBy, st.Pending)
	}
	if n := len(c.Spans()); n != 1 {
		t.Errorf("the collector received %d spans, want 1", n)
	}
}

// TestShutdownUnderLoad (issue 15): spans finished while Shutdown flushes
// are either reported or counted as dropped, never left pending.
func TestShutdownUnderLoad(t *testing.T) {
	c := lightsteptest.New(t)
	tr := newTracer(t, c, "grpc", core.WithTraceAll(true), core.WithParam("min_reporting_period", "10ms"))
	srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	defer client.CloseIdleConnections()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					get(t, client, srv.URL)
				}
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	// Spans of requests in flight finish after Shutdown began: they are
	// lost, and Shutdown says so.
	if err := tr.Shutdown(context.Background()); err != nil && !errors.Is(err, core.ErrSpansLost) {
		t.Error(err)
	}
	time.Sleep(50 * time.Millisecond)
	close(stop)
	wg.Wait()
	st := tr.Stats()
	if st.Finished != st.Reported+st.Dropped || st.Pending != 0 || st.Reported == 0 || st.DroppedBy[backend.DropClosed] == 0 {
		t.Errorf("finished %d, reported %d, dropped %v, pending %d: want every finished span reported or dropped",
			st.Finished, st.Reported, st.DroppedBy, st.Pending)
	}
	if n := uint64(len(c.Spans())); n != st.Reported {
		t.Errorf("the collector received %d spans, but %d were counted as reported", n, st.Reported)
	}
	t.Logf("finished %d = reported %d + dropped %v", st.Finished, st.Reported, st.DroppedBy)
}

func get(t *testing.T, c *http.Client, url string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Error(err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}
