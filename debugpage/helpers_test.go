package debugpage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/debugpage"
	"github.com/traceplug/traceplug/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

// "debugpage-test" is the mock backend that accepts any endpoint (and
// ignores it), to show how the page shows one.
func init() {
	core.Register("debugpage-test", func(cfg backend.Config) (opentracing.Tracer, func(context.Context) error, error) {
		cfg.Endpoint = ""
		t, err := mock.New(cfg)
		return t, nil, err
	})
}

// world is an application traced with a Page attached: its server (app)
// and, on another listener as an internal port would be, the page.
type world struct {
	tracer *core.Tracer
	page   *debugpage.Page
	app    *httptest.Server
	debug  *httptest.Server
	client *http.Client // traced
}

// newWorld serves an app whose /front/{n} calls /back/{n} through the
// traced Transport; /back/{n} starts a child span, and fails with 503 when
// n is 13. /slow sleeps ms milliseconds (a query value). /panic panics.
func newWorld(t testing.TB, pageOpts []debugpage.Option, opts ...core.Option) *world {
	t.Helper()
	page, err := debugpage.New(pageOpts...)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := core.New("debugpage-test", append([]core.Option{core.WithTraceAll(true), core.WithServiceName("shop"), core.WithRecorder(page)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{tracer: tr, page: page}
	w.client = &http.Client{Transport: tr.Transport(nil), Timeout: 10 * time.Second}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /front/{n}", func(rw http.ResponseWriter, r *http.Request) {
		target := w.app.URL + "/back/" + r.PathValue("n")
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		req, _ := http.NewRequestWithContext(r.Context(), "GET", target, nil)
		resp, err := w.client.Do(req)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		rw.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(rw, resp.Body)
	})
	mux.HandleFunc("GET /back/{n}", func(rw http.ResponseWriter, r *http.Request) {
		child, _ := opentracing.StartSpanFromContextWithTracer(r.Context(), tr, "load item")
		if d, err := time.ParseDuration(r.URL.Query().Get("work")); err == nil {
			time.Sleep(d) // the child's work
		}
		if r.PathValue("n") == "13" {
			ext.Error.Set(child, true)
			child.Finish()
			http.Error(rw, "unlucky", http.StatusServiceUnavailable)
			return
		}
		child.Finish()
		_, _ = io.WriteString(rw, "item "+r.PathValue("n"))
	})
	mux.HandleFunc("GET /slow", func(rw http.ResponseWriter, r *http.Request) {
		d, _ := time.ParseDuration(r.URL.Query().Get("d"))
		time.Sleep(d)
	})
	mux.HandleFunc("/panic", func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
	w.app = httptest.NewServer(tr.Middleware(mux))
	w.debug = httptest.NewServer(page.Handler(tr))
	t.Cleanup(func() {
		w.app.Close()
		w.debug.Close()
		w.client.CloseIdleConnections()
		_ = tr.Close()
	})
	return w
}

// get requests path of the app (with the untraced default client) and
// returns the status.
func (w *world) get(t testing.TB, path string, header http.Header) int {
	t.Helper()
	req, err := http.NewRequest("GET", w.app.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// pageText fetches the page with query q and returns the body.
func (w *world) pageText(t testing.TB, q string) (string, http.Header) {
	t.Helper()
	resp, err := http.Get(w.debug.URL + q)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s: %s", q, resp.Status, b)
	}
	return string(b), resp.Header
}

// snapshot is the page's JSON form, decoded.
type snapshot struct {
	Generated time.Time `json:"generated"`
	Settings  struct {
		Backend     string  `json:"backend"`
		ServiceName string  `json:"service_name"`
		Endpoint    string  `json:"endpoint"`
		SampleRate  float64 `json:"sample_rate"`
		TraceAll    bool    `json:"trace_all"`
		Propagation string  `json:"propagation"`
		Public      string  `json:"public_endpoint"`
		TraceURL    string  `json:"trace_url"`
		Recording   bool    `json:"recording"`
	} `json:"settings"`
	Stats struct {
		Started, Finished, Reported, Dropped uint64
		DroppedBy                            map[string]uint64 `json:"dropped_by"`
		Pending                              uint64
		BaggageDropped                       uint64       `json:"baggage_dropped"`
		CallbackPanics                       uint64       `json:"callback_panics"`
		Sampling                             samplingJSON `json:"sampling"`
	} `json:"stats"`
	Recorded struct{ Server, Client, Other uint64 } `json:"recorded"`
	Ops      []op                                   `json:"operations"`
	Traces   []trace                                `json:"traces"`
}

// samplingJSON is the page's "stats"."sampling".
type samplingJSON struct {
	Sampler, Root, Source string
	Remote                *struct {
		Endpoint, Strategy string
		Updated            time.Time
		Age                time.Duration `json:"age_ns"`
		LastError          string        `json:"last_error"`
		Polls, Failures    uint64
	}
	Forced          uint64
	ForcedOverLimit uint64 `json:"forced_over_limit"`
	Sampled         uint64
	NotSampled      uint64 `json:"not_sampled"`
	Operations      []struct {
		Name       string
		Sampled    uint64
		NotSampled uint64  `json:"not_sampled"`
		Share      float64 `json:"sampled_share"`
	}
}

type op struct {
	Kind, Name       string
	Requests, Errors uint64
	Minute           window `json:"last_minute"`
	Hour             window `json:"last_hour"`
	Histogram        []struct {
		From  time.Duration `json:"from_ns"`
		To    time.Duration `json:"to_ns"`
		Count uint64
	} `json:"histogram_last_hour"`
	Slowest, Failed []request
}

type window struct {
	Requests, Errors   uint64
	P50, P90, P99, Max time.Duration
}

// UnmarshalJSON reads a window's *_ns fields.
func (w *window) UnmarshalJSON(b []byte) error {
	var v struct {
		Requests, Errors uint64
		P50              time.Duration `json:"p50_ns"`
		P90              time.Duration `json:"p90_ns"`
		P99              time.Duration `json:"p99_ns"`
		Max              time.Duration `json:"max_ns"`
	}
	err := json.Unmarshal(b, &v)
	*w = window{v.Requests, v.Errors, v.P50, v.P90, v.P99, v.Max}
	return err
}

type request struct {
	TraceID  string        `json:"trace_id"`
	SpanID   string        `json:"span_id"`
	Link     string        `json:"trace_url"`
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration_ns"`
	Status   int
	Error    bool
	URL      string
}

type trace struct {
	TraceID  string        `json:"trace_id"`
	Link     string        `json:"trace_url"`
	Duration time.Duration `json:"duration_ns"`
	Errors   int
	Spans    []struct {
		SpanID    string `json:"span_id"`
		ParentID  string `json:"parent_id"`
		Depth     int
		Operation string
		Kind      string
		Offset    time.Duration `json:"offset_ns"`
		Duration  time.Duration `json:"duration_ns"`
		Status    int
		Error     bool
		URL       string
	}
}

func (w *world) snapshot(t testing.TB) snapshot {
	t.Helper()
	text, h := w.pageText(t, "?format=json")
	if ct := h.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var s snapshot
	if err := json.Unmarshal([]byte(text), &s); err != nil {
		t.Fatalf("%v:\n%s", err, text)
	}
	return s
}

func (s snapshot) op(t testing.TB, kind, name string) op {
	t.Helper()
	for _, o := range s.Ops {
		if o.Kind == kind && o.Name == name {
			return o
		}
	}
	t.Fatalf("no %s operation %q in %+v", kind, name, s.Ops)
	return op{}
}

// load sends requests from n goroutines until stop is closed.
func (w *world) load(t testing.TB, n int, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				// Work of 0.1ms to 3ms, and a slow request or a failure now
				// and then.
				work := time.Duration(100+(i*7919+g*104729)%2900) * time.Microsecond
				path := fmt.Sprintf("/front/%d?work=%s", i%50, work)
				switch (i + g) % 11 {
				case 3:
					path = "/front/13"
				case 7:
					path = fmt.Sprintf("/slow?d=%s", 4*work)
				}
				req, _ := http.NewRequest("GET", w.app.URL+path, nil)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	return &wg
}

// getJSON decodes the JSON at url into v.
func getJSON(t testing.TB, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
