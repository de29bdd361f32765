package debugpage_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/debugpage"
)

// TestPageShowsWhatTheTracerDid: after real requests over loopback, the
// JSON form has each operation with its counts, percentiles and histogram,
// the slowest and failed requests with their trace ids and links, the
// traces as trees, and the Tracer's Stats and settings.
func TestPageShowsWhatTheTracerDid(t *testing.T) {
	w := newWorld(t, []debugpage.Option{debugpage.WithTraceURL("http://localhost:16686/trace/{trace_id}")})
	for i := range 20 {
		w.get(t, fmt.Sprintf("/front/%d", i), nil)
	}
	if code := w.get(t, "/slow?d=20ms", nil); code != 200 {
		t.Fatalf("/slow: %d", code)
	}
	s := w.snapshot(t)
	st := w.tracer.Stats()

	if s.Settings.Backend != "debugpage-test" || s.Settings.ServiceName != "shop" || !s.Settings.TraceAll ||
		s.Settings.SampleRate != 1 || s.Settings.Propagation != "tracecontext,baggage" || !s.Settings.Recording {
		t.Errorf("settings %+v", s.Settings)
	}
	if s.Stats.Started != st.Started || s.Stats.Finished != st.Finished || st.Finished != 61 {
		t.Errorf("stats %+v, Stats() %+v, want 61 finished (20 front, client and back, and /slow)", s.Stats, st)
	}
	if s.Recorded.Server+s.Recorded.Client != st.Finished || s.Recorded.Other != 20 {
		t.Errorf("recorded %+v, Stats().Finished %d", s.Recorded, st.Finished)
	}

	front := s.op(t, "server", "GET /front/{n}")
	back := s.op(t, "server", "GET /back/{n}")
	call := s.op(t, "client", "HTTP GET")
	child := s.op(t, "internal", "load item")
	slow := s.op(t, "server", "GET /slow")
	for _, o := range []op{front, back, call, child} {
		if o.Requests != 20 || o.Errors != 1 || o.Minute.Requests != 20 || o.Hour.Requests != 20 ||
			o.Minute.Errors != 1 || o.Hour.Errors != 1 {
			t.Errorf("%s %s: %+v", o.Kind, o.Name, o)
		}
		if len(o.Failed) != 1 || o.Failed[0].TraceID == "" || o.Failed[0].Link != "http://localhost:16686/trace/"+o.Failed[0].TraceID {
			t.Errorf("%s %s: failed %+v", o.Kind, o.Name, o.Failed)
		}
		if len(o.Slowest) != debugpage.DefaultSlowest {
			t.Errorf("%s %s: %d slowest", o.Kind, o.Name, len(o.Slowest))
		}
		for i := 1; i < len(o.Slowest); i++ {
			if o.Slowest[i].Duration > o.Slowest[i-1].Duration {
				t.Errorf("%s %s: slowest out of order", o.Kind, o.Name)
			}
		}
		h := o.Hour
		if !(0 < h.P50 && h.P50 <= h.P90 && h.P90 <= h.P99 && h.P99 <= h.Max) || h.Max != o.Slowest[0].Duration {
			t.Errorf("%s %s: percentiles %+v, slowest %v", o.Kind, o.Name, h, o.Slowest[0].Duration)
		}
		var n uint64
		for _, b := range o.Histogram {
			n += b.Count
		}
		if n != 20 {
			t.Errorf("%s %s: the histogram holds %d spans", o.Kind, o.Name, n)
		}
	}
	if f := back.Failed[0]; f.Status != 503 || !f.Error || f.URL != "/back/13" {
		t.Errorf("failed back request %+v", f)
	}
	if slow.Requests != 1 || slow.Hour.Max < 20*time.Millisecond || slow.Hour.P50 != slow.Hour.Max {
		t.Errorf("slow: %+v", slow)
	}
	// The failed trace's spans share its id.
	if front.Failed[0].TraceID != back.Failed[0].TraceID || call.Failed[0].TraceID != child.Failed[0].TraceID ||
		front.Failed[0].TraceID != call.Failed[0].TraceID {
		t.Error("the failed request's spans are in different traces")
	}

	if len(s.Traces) != debugpage.DefaultTraces {
		t.Fatalf("%d traces, want %d", len(s.Traces), debugpage.DefaultTraces)
	}
	if tr := s.Traces[0]; len(tr.Spans) != 1 || tr.Spans[0].Operation != "GET /slow" {
		t.Errorf("the latest trace is %+v, want /slow's", tr)
	}
	for _, tr := range s.Traces[1:] {
		var shape []string
		for _, sp := range tr.Spans {
			shape = append(shape, fmt.Sprintf("%d %s %s", sp.Depth, sp.Kind, sp.Operation))
			if sp.Offset < 0 || sp.Offset+sp.Duration > tr.Duration {
				t.Errorf("span %s runs outside its trace: %v+%v of %v", sp.Operation, sp.Offset, sp.Duration, tr.Duration)
			}
		}
		want := "0 server GET /front/{n}|1 client HTTP GET|2 server GET /back/{n}|3 internal load item"
		if got := strings.Join(shape, "|"); got != want {
			t.Errorf("trace %s:\n%s\nwant\n%s", tr.TraceID, got, want)
		}
		if tr.Link != "http://localhost:16686/trace/"+tr.TraceID {
			t.Errorf("trace link %q", tr.Link)
		}
	}
}

// TestPageHTML: the HTML page has its tables and the waterfall, no script,
// and headers that keep it to itself.
func TestPageHTML(t *testing.T) {
	w := newWorld(t, []debugpage.Option{debugpage.WithTraceURL("http://localhost:9411/zipkin/traces/{trace_id}")})
	w.get(t, "/front/1", nil)
	w.get(t, "/front/13", nil)
	html, h := w.pageText(t, "")
	for k, want := range map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
		"Cache-Control":           "no-store",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	s := w.snapshot(t)
	for _, want := range []string{
		`<table class="kv" id="settings">`, `<table class="kv" id="stats">`, `<table id="operations">`,
		`<div id="requests">`, `<table class="reqs">`, `<section class="trace" id="trace-`, `<div class="bar server"`,
		`<div class="bar internal error"`, `<div class="bar client error"`,
		`data-op="GET /front/{n}"`, `<td class="mono op" title="GET /back/{n}">GET /back/{n}</td>`,
		fmt.Sprintf(`<td class="n" id="stat-finished">%d</td>`, s.Stats.Finished),
		`<a href="http://localhost:9411/zipkin/traces/` + s.Traces[0].TraceID + `">open in the backend</a>`,
		`<a href="#trace-` + s.op(t, "server", "GET /front/{n}").Failed[0].TraceID + `">waterfall</a>`,
		`<a href="?format=json">JSON</a>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(strings.ToLower(html), "<script") {
		t.Error("the page has a script")
	}
	if n := strings.Count(html, `<tr class="span`); n != 8 {
		t.Errorf("%d waterfall rows, want 8 (two traces of four spans)", n)
	}
	if got, _ := w.pageText(t, "?refresh=5"); !strings.Contains(got, `<meta http-equiv="refresh" content="5">`) {
		t.Error("?refresh=5 does not refresh")
	}
	for _, c := range []struct {
		method, query string
		code          int
	}{{"POST", "", 405}, {"GET", "?format=xml", 400}, {"HEAD", "", 200}} {
		req, _ := http.NewRequest(c.method, w.debug.URL+c.query, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Errorf("%s %s: %d, want %d", c.method, c.query, resp.StatusCode, c.code)
		}
	}
}

// TestSecretsNeverShown sends the secrets of core's redaction tests (the
// conformance suite's redaction property and core's hostile tests): the
// page, in both forms, shows none of them.
func TestSecretsNeverShown(t *testing.T) {
	w := newWorld(t, nil,
		core.WithTracedAttributes("META", "Header", "headers", "COOKIES", "GET", "URL", "RequestURI", "path"),
		core.WithEndpoint("https://user:pa55word@collector.example/api?access_token=ENDPOINT-S3CRET&region=eu#frag-S3CRET"),
		core.WithOperationName(func(r *http.Request) string {
			if r.URL.Path == "/named" {
				return "named by the app"
			}
			return ""
		}))
	jwt := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	secrets := []string{"bearer-s3cret", "proxy-s3cret", "cookie-s3cret", "apikey-s3cret", "token-s3cret",
		"query-s3cret", "sig-s3cret", "semi-s3cret", "frag-s3cret", "ENDPOINT-S3CRET", "pa55word", "frag-S3CRET",
		jwt, "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", "client-s3cret", "basic-s3cret"}
	hdr := http.Header{
		"Authorization":       {"Bearer bearer-s3cret"},
		"Proxy-Authorization": {"Basic proxy-s3cret"},
		"Cookie":              {"session=cookie-s3cret; theme=dark"},
		"X-Api-Key":           {"apikey-s3cret"},
		"X-Auth-Token":        {"token-s3cret"},
		"Referer":             {"https://app.example/cb?code=query-s3cret&state=ok#access_token=frag-s3cret"},
	}
	for _, path := range []string{
		"/front/1?access_token=query-s3cret&sig=sig-s3cret&page=1",
		"/front/13?x=1;access_token=semi-s3cret",
		"/front/2?a=1&b=2;sig=sig-s3cret&c=3",
		"/slow?d=1ms&id_token=" + jwt,
		"/front/" + jwt,
		"/named?token=token-s3cret",
	} {
		w.get(t, path, hdr)
	}
	// A raw request target with a fragment, as a raw client can send it.
	rawGet(t, w.app.URL, "/front/3?a=1#access_token=frag-s3cret")
	// A client call whose URL holds userinfo and a secret, failing.
	req, _ := http.NewRequest("GET", "http://client:client-s3cret@127.0.0.1:1/x?token=basic-s3cret", nil)
	if _, err := w.client.Do(req); err == nil {
		t.Fatal("the call to port 1 did not fail")
	}
	// A child span tagged with a secret: tags are never shown.
	span := w.tracer.StartSpan("tagged child")
	span.SetTag("password", "client-s3cret")
	span.Finish()

	html, _ := w.pageText(t, "")
	js, _ := w.pageText(t, "?format=json")
	for _, text := range []string{html, js} {
		for _, secret := range secrets {
			if strings.Contains(strings.ToLower(text), strings.ToLower(secret)) {
				t.Errorf("the page shows %q", secret)
			}
		}
	}
	for _, want := range []string{"access_token=REDACTED", "https://REDACTED@collector.example/api?access_token=REDACTED&amp;region=REDACTED", "http://127.0.0.1:1/x?token=REDACTED", "named by the app"} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// rawGet sends target as it is, which net/http's client would not.
func rawGet(t *testing.T, base, target string) {
	t.Helper()
	conn := strings.TrimPrefix(base, "http://")
	c, err := net.Dial("tcp", conn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", target, conn)
	buf := make([]byte, 512)
	_, _ = c.Read(buf)
	if !strings.HasPrefix(string(buf), "HTTP/1.1 200") {
		t.Fatalf("raw GET %s: %.60q", target, buf)
	}
}

// TestBoundedMemory: operations, slowest, failed and recent spans stay
// within their options, whatever comes.
func TestBoundedMemory(t *testing.T) {
	page, err := debugpage.New(debugpage.WithMaxOperations(3), debugpage.WithSlowest(2), debugpage.WithFailed(2),
		debugpage.WithRecentSpans(10), debugpage.WithTraces(2))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := core.New("mock", core.WithRecorder(page))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	for i := range 100 {
		s := tr.StartSpan(fmt.Sprintf("op %d", i%10))
		if i%3 == 0 {
			s.SetTag("error", true)
		}
		s.Finish()
	}
	srv := httptest.NewServer(page.Handler(tr))
	defer srv.Close()
	var s snapshot
	getJSON(t, srv.URL+"?format=json", &s)
	if len(s.Ops) != 4 {
		t.Fatalf("%d operations, want 3 and the others", len(s.Ops))
	}
	var total uint64
	for _, o := range s.Ops {
		total += o.Requests
		if len(o.Slowest) > 2 || len(o.Failed) > 2 {
			t.Errorf("%s: %d slowest, %d failed", o.Name, len(o.Slowest), len(o.Failed))
		}
	}
	other := s.op(t, "any", "(other operations)")
	if other.Requests != 70 || total != 100 || s.Recorded.Other != 100 {
		t.Errorf("the others counted %d, all %d, recorded %+v", other.Requests, total, s.Recorded)
	}
	if len(s.Traces) != 2 {
		t.Errorf("%d traces, want 2", len(s.Traces))
	}
	// Ten recent spans, one per trace: the two latest are drawn.
	if s.Traces[0].Spans[0].Operation != "op 9" || s.Traces[1].Spans[0].Operation != "op 8" {
		t.Errorf("traces %+v", s.Traces)
	}
}

// TestWindows: a span of two minutes ago is in the last hour only, one of
// two hours ago in neither window, and none is lost from the totals.
func TestWindows(t *testing.T) {
	page, err := debugpage.New()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := core.New("mock", core.WithRecorder(page))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	now := time.Now()
	for _, c := range []struct {
		ago time.Duration
		d   time.Duration
		err bool
	}{{0, time.Millisecond, false}, {0, 3 * time.Millisecond, true}, {2 * time.Minute, 100 * time.Millisecond, false}, {2 * time.Hour, time.Second, true}} {
		page.RecordSpan(core.FinishedSpan{Operation: "op", Kind: core.KindServer, End: now.Add(-c.ago), Duration: c.d, Status: 200, Error: c.err})
	}
	srv := httptest.NewServer(page.Handler(tr))
	defer srv.Close()
	var s snapshot
	getJSON(t, srv.URL+"?format=json", &s)
	o := s.op(t, "server", "op")
	if o.Requests != 4 || o.Errors != 2 {
		t.Errorf("totals %d/%d", o.Requests, o.Errors)
	}
	if m := o.Minute; m.Requests != 2 || m.Errors != 1 || m.Max != 3*time.Millisecond {
		t.Errorf("last minute %+v", m)
	}
	if h := o.Hour; h.Requests != 3 || h.Errors != 1 || h.Max != 100*time.Millisecond {
		t.Errorf("last hour %+v", h)
	}
	if len(o.Slowest) != 3 || o.Slowest[0].Duration != 100*time.Millisecond || len(o.Failed) != 2 || o.Failed[0].Duration != time.Second {
		t.Errorf("slowest %+v, failed %+v", o.Slowest, o.Failed)
	}
}

// TestTraceURL: templates are checked, and both ids can go in.
func TestTraceURL(t *testing.T) {
	for _, bad := range []string{"http://jaeger/trace/", "javascript:alert({trace_id})", "jaeger/{trace_id}"} {
		if _, err := debugpage.New(debugpage.WithTraceURL(bad)); err == nil {
			t.Errorf("WithTraceURL(%q) is no error", bad)
		}
	}
	w := newWorld(t, []debugpage.Option{debugpage.WithTraceURL("https://app.lightstep.com/p/trace?span_guid={span_id}&t={trace_id}")})
	w.get(t, "/front/13", nil)
	s := w.snapshot(t)
	f := s.op(t, "server", "GET /back/{n}").Failed[0]
	if f.Link != "https://app.lightstep.com/p/trace?span_guid="+f.SpanID+"&t="+f.TraceID {
		t.Errorf("link %q for %+v", f.Link, f)
	}
}

// TestPageWithoutRecorder: a Tracer built without the page still gets a
// page with its settings and Stats, which says so.
func TestPageWithoutRecorder(t *testing.T) {
	page, _ := debugpage.New()
	tr, err := core.Wrap(opentracing.NoopTracer{}, core.WithTraceAll(true))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	srv := httptest.NewServer(page.Handler(tr))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, want := range []string{"This Tracer has no recorder", "core.Wrap(opentracing.NoopTracer)", "No spans recorded yet.",
		"The tracer given to core.Wrap samples by itself"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// TestConcurrentRecordingAndReading: under load, pages are drawn while
// spans are recorded (run with -race), and every span is accounted for.
func TestConcurrentRecordingAndReading(t *testing.T) {
	w := newWorld(t, []debugpage.Option{debugpage.WithRecentSpans(64), debugpage.WithSlowest(3)})
	stop := make(chan struct{})
	wg := w.load(t, 4, stop)
	deadline := time.Now().Add(time.Second)
	for pages := 0; time.Now().Before(deadline) || pages < 5; pages++ {
		w.pageText(t, "")
		w.snapshot(t)
	}
	close(stop)
	wg.Wait()
	s := w.snapshot(t)
	st := w.tracer.Stats()
	if s.Recorded.Server+s.Recorded.Client != st.Finished || st.Started != st.Finished {
		t.Errorf("recorded %+v, Stats %+v", s.Recorded, st)
	}
	if len(s.Traces) == 0 {
		t.Error("no traces")
	}
	for _, tr := range s.Traces {
		if tr.Spans[0].Depth != 0 {
			t.Errorf("trace %s starts at depth %d", tr.TraceID, tr.Spans[0].Depth)
		}
	}
}

// A public endpoint is a setting the page shows: callers' traces stop there.
func TestPublicEndpointShown(t *testing.T) {
	w := newWorld(t, nil)
	if s := w.snapshot(t); s.Settings.Public != "" {
		t.Errorf("public_endpoint %q without the option", s.Settings.Public)
	}
	if html, _ := w.pageText(t, ""); strings.Contains(html, "public endpoint") {
		t.Error("the page shows a public endpoint without the option")
	}
	w = newWorld(t, nil, core.WithPublicEndpoint(true))
	if s := w.snapshot(t); s.Settings.Public != "all" {
		t.Errorf("public_endpoint %q, want all", s.Settings.Public)
	}
	if html, _ := w.pageText(t, ""); !strings.Contains(html, "<th>public endpoint</th><td>all: ") {
		t.Error("the page does not show the public endpoint")
	}
}
