package debugpage_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/debugpage"
	"github.com/traceplug/traceplug/sampling"
)

// TestSamplingSection: with rules over a rate of 0, served through the
// middleware around a ServeMux, the page says which sampler decides (its
// root, and the whole description), where it came from, what it decided
// by operation, and how many traces callers forced.
func TestSamplingSection(t *testing.T) {
	w := newWorld(t, nil,
		core.WithSampleRate(0),
		core.WithSamplingRules(sampling.Rule{Operation: "GET /front/{n}", Ratio: 1}, sampling.Rule{Operation: "GET /slow", Ratio: 0}),
		core.WithPropagation("tracecontext,baggage,b3multi"),
		core.WithForcedSampling(0.001)) // one forced trace, then none for 1000 s
	for i := range 3 {
		w.get(t, fmt.Sprintf("/front/%d", i), nil) // sampled, and so the calls to /back
	}
	w.get(t, "/slow", nil)
	w.get(t, "/slow", nil)
	w.get(t, "/nowhere", nil) // 404: "HTTP GET", decided by the rate of 0
	debug := http.Header{"X-B3-Traceid": {"463ac35c9f6413ad48485a3953bb6124"}, "X-B3-Spanid": {"a2fb4a1d1a96d312"}, "X-B3-Flags": {"1"}}
	w.get(t, "/slow", debug) // forced
	w.get(t, "/slow", debug) // over the limit: the rule decides
	s := w.snapshot(t)
	sm := s.Stats.Sampling

	const root = "Rules{GET /front/{n}=1; GET /slow=0; default: TraceIDRatioBased{0}}"
	if sm.Root != root || !strings.HasPrefix(sm.Sampler, "ParentBased{root:"+root+",") || sm.Source != "code" || sm.Remote != nil {
		t.Errorf("sampler %q, root %q, source %q, remote %+v", sm.Sampler, sm.Root, sm.Source, sm.Remote)
	}
	if st := w.tracer.Stats().Sampling; sm.Sampler != st.Sampler {
		t.Errorf("the page says %q, Stats %q", sm.Sampler, st.Sampler)
	}
	if sm.Forced != 1 || sm.ForcedOverLimit != 1 {
		t.Errorf("forced %d, over the limit %d; want 1 and 1", sm.Forced, sm.ForcedOverLimit)
	}
	var got []string
	for _, o := range sm.Operations {
		got = append(got, fmt.Sprintf("%s %d/%d %.2f", o.Name, o.Sampled, o.NotSampled, o.Share))
	}
	want := []string{"GET /back/{n} 3/0 1.00", "GET /front/{n} 3/0 1.00", "GET /slow 1/3 0.25", "HTTP GET 0/1 0.00"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("operations\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if sm.Sampled != 7 || sm.NotSampled != 4 {
		t.Errorf("totals %d sampled, %d not", sm.Sampled, sm.NotSampled)
	}

	html, _ := w.pageText(t, "")
	for _, want := range []string{
		`<table class="kv" id="sampling">`,
		`<div class="desc mono"><b>Rules{GET /front/{n}=1;<wbr> GET /slow=0;<wbr> default: TraceIDRatioBased{0}}<wbr></b></div><div class="muted">for new traces; a caller's decision is followed (ParentBased)</div>`,
		`title="ParentBased{root:Rules{`,
		`<td id="sampler-source">code</td>`,
		`<td id="sampling-forced">1</td>`, `<td id="sampling-forced-over">1</td>`,
		`<tr class="sampling-op" data-sampling-op="GET /slow"><td class="mono op" title="GET /slow">GET /slow</td><td class="n">1</td><td class="n">3</td><td class="n">25.0%</td><td><div class="share"><div style="width:25.0%"></div></div></td></tr>`,
		`<td class="n" id="sampling-sampled">7</td><td class="n" id="sampling-not-sampled">4</td><td class="n">63.6%</td>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(html, `id="sampling-more"`) || strings.Contains(html, `remote-endpoint`) {
		t.Error("the page shows more operations, or a remote sampler")
	}
	// Sorted by name on the page too.
	if a, b := strings.Index(html, `data-sampling-op="GET /back/{n}"`), strings.Index(html, `data-sampling-op="HTTP GET"`); a < 0 || b < a {
		t.Error("the sampling table is not sorted by name")
	}
}

// TestSamplingHostileNames: operation names (from the application's
// WithOperationName, so from requests) are escaped in the sampling table
// as everywhere else.
func TestSamplingHostileNames(t *testing.T) {
	const hostile = `<script>alert("op")</script><img src=x onerror='alert(1)'>&amp;`
	w := newWorld(t, nil, core.WithOperationName(func(r *http.Request) string {
		return r.URL.Query().Get("name")
	}))
	w.get(t, "/slow?name="+url.QueryEscape(hostile), nil)
	s := w.snapshot(t)
	if ops := s.Stats.Sampling.Operations; len(ops) != 1 || ops[0].Name != hostile {
		t.Fatalf("operations %+v, want the hostile name whole in JSON", ops)
	}
	html, _ := w.pageText(t, "")
	escaped := `&lt;script&gt;alert(&#34;op&#34;)&lt;/script&gt;&lt;img src=x onerror=&#39;alert(1)&#39;&gt;&amp;amp;`
	for _, want := range []string{
		`<tr class="sampling-op" data-sampling-op="` + escaped + `"><td class="mono op" title="` + escaped + `">` + escaped + `</td>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for _, raw := range []string{"<script", "<img", "onerror='"} {
		if strings.Contains(strings.ToLower(html), raw) {
			t.Errorf("the page holds %s unescaped", raw)
		}
	}
}

// TestSamplingRemote: with Jaeger's remote sampler, the page shows its
// endpoint (without secrets), the strategy, when it was fetched, its polls,
// and the last error, which quotes the endpoint's answer: escaped.
func TestSamplingRemote(t *testing.T) {
	var polls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if polls.Add(1) == 1 {
			_, _ = io.WriteString(rw, `{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":1}}`)
			return
		}
		http.Error(rw, `<img src=x onerror=alert(1)> & more`, http.StatusInternalServerError)
	}))
	defer srv.Close()
	remote, err := sampling.NewJaegerRemote(sampling.JaegerRemoteConfig{
		Endpoint:        strings.Replace(srv.URL, "http://", "http://user:s3cret@", 1) + "/sampling?token=S3CRET",
		ServiceName:     "shop",
		PollingInterval: 20 * time.Millisecond,
		Logger:          slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, nil, core.WithSampler(sampling.ParentBased(remote)))
	deadline := time.Now().Add(10 * time.Second)
	for {
		if r := w.tracer.Stats().Sampling.Remote; r != nil && r.Failures > 0 && !r.Updated.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the remote sampler did not fetch and fail: %+v", w.tracer.Stats().Sampling.Remote)
		}
		time.Sleep(10 * time.Millisecond)
	}
	w.get(t, "/front/1", nil)
	s := w.snapshot(t)
	sm := s.Stats.Sampling
	r := sm.Remote
	if r == nil {
		t.Fatal("no remote sampler on the page")
	}
	if r.Endpoint != srv.URL+"/sampling" || r.Strategy != "JaegerRemote{probabilistic 1}" || r.Polls < 2 || r.Failures < 1 ||
		r.Updated.IsZero() || r.Age <= 0 || r.Age > time.Minute || !strings.Contains(r.LastError, "<img src=x onerror=alert(1)>") {
		t.Errorf("remote %+v", r)
	}
	if sm.Root != "JaegerRemote{probabilistic 1}" || sm.Source != "code" {
		t.Errorf("sampler %q, root %q, source %q", sm.Sampler, sm.Root, sm.Source)
	}

	html, _ := w.pageText(t, "")
	for _, want := range []string{
		`<div class="desc" id="remote-endpoint">` + srv.URL + `/sampling</div>`,
		`<div class="desc" id="remote-strategy">JaegerRemote{probabilistic 1}<wbr></div>`,
		`<td id="remote-age">`,
		`&lt;img src=x onerror=alert(1)&gt; &amp; more`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for _, bad := range []string{"<img", "s3cret", "S3CRET"} {
		if strings.Contains(html, bad) {
			t.Errorf("the page holds %q", bad)
		}
	}
	js, _ := w.pageText(t, "?format=json")
	if strings.Contains(js, "s3cret") || strings.Contains(js, "S3CRET") {
		t.Error("the JSON form holds the endpoint's secrets")
	}
}

// TestSamplingManyOperations: the page lists the first operations by name
// and says how many more there are; the JSON form has them all.
func TestSamplingManyOperations(t *testing.T) {
	page, err := debugpage.New()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := core.New("mock", core.WithRecorder(page))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	for i := range 80 {
		tr.StartSpan(fmt.Sprintf("op %02d", 79-i)).Finish() // each a root, decided
	}
	srv := httptest.NewServer(page.Handler(tr))
	defer srv.Close()
	var s snapshot
	getJSON(t, srv.URL+"?format=json", &s)
	if ops := s.Stats.Sampling.Operations; len(ops) != 80 || ops[0].Name != "op 00" || ops[79].Name != "op 79" {
		t.Errorf("%d operations in JSON, from %q", len(ops), ops[0].Name)
	}
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	html := string(b)
	if n := strings.Count(html, `<tr class="sampling-op"`); n != 50 {
		t.Errorf("%d rows, want 50", n)
	}
	if !strings.Contains(html, `data-sampling-op="op 49"`) || strings.Contains(html, `data-sampling-op="op 50"`) {
		t.Error("the rows shown are not the first by name")
	}
	if !strings.Contains(html, `<td class="muted" colspan="5" id="sampling-more">and 30 more`) {
		t.Error(`no "and 30 more"`)
	}
	if !strings.Contains(html, `<td class="n" id="sampling-sampled">80</td>`) {
		t.Error("the total is not of every operation")
	}
}
