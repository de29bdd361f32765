package core_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/core"
)

// TestBaggageFloodIsBounded: a request carrying 100 baggage items is served,
// keeps the first 32, and the other 68 are counted.
func TestBaggageFloodIsBounded(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true))
	parent := tr.StartSpan("caller")
	r := httptest.NewRequest("GET", "/", nil)
	if err := tr.Inject(parent.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(r.Header)); err != nil {
		t.Fatal(err)
	}
	parent.Finish()
	var items []string
	for i := 0; i < 100; i++ {
		items = append(items, fmt.Sprintf("k%03d=v", i))
	}
	r.Header.Set("baggage", strings.Join(items, ","))
	var kept int
	w := do(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr.GetSpan(r).Context().ForeachBaggageItem(func(k, v string) bool { kept++; return true })
	})), r)
	if w.Code != 200 {
		t.Fatalf("served %d", w.Code)
	}
	if kept != core.DefaultMaxBaggageItems {
		t.Errorf("kept %d baggage items, want %d", kept, core.DefaultMaxBaggageItems)
	}
	if st := tr.Stats(); st.BaggageDropped != 100-core.DefaultMaxBaggageItems {
		t.Errorf("BaggageDropped = %d", st.BaggageDropped)
	}
	if spans := m.FinishedSpans(); spans[1].ParentID != spans[0].SpanID {
		t.Error("the trace was not continued: the limits must keep the trace context itself")
	}
}

func TestBaggageBytesBounded(t *testing.T) {
	tr, _ := newMock(t, core.WithTraceAll(true), core.WithBaggageLimits(100, 1000))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("traceparent", "00-00000000000000000000000000000001-0000000000000002-01")
	r.Header.Set("baggage", "big="+strings.Repeat("x", 5000)+",small=y")
	var got string
	do(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = tr.GetSpan(r).BaggageItem("big") + "|" + tr.GetSpan(r).BaggageItem("small")
	})), r)
	if got != "|y" {
		t.Errorf("baggage %q: the 5000-byte item is over the 1000-byte limit", got)
	}
}

func TestTaggedHeadersAreCapped(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true), core.WithTracedAttributes("Header", "META"), core.WithMaxTagLength(1<<20))
	r := httptest.NewRequest("GET", "/", nil)
	for i := 0; i < 200; i++ {
		r.Header.Set(fmt.Sprintf("X-Junk-%03d", i), "v")
	}
	do(tr.Middleware(ok), r)
	s := onlySpan(t, m)
	var h map[string][]string
	if err := json.Unmarshal([]byte(s.Tags["Header"].(string)), &h); err != nil {
		t.Fatal(err)
	}
	if len(h) != core.DefaultMaxTaggedHeaders+1 || h["..."][0] != "136 more headers" {
		t.Errorf("%d headers tagged, %v", len(h), h["..."])
	}
	var meta map[string]string
	if err := json.Unmarshal([]byte(s.Tags["META"].(string)), &meta); err != nil {
		t.Fatal(err)
	}
	if meta["..."] != "136 more headers" {
		t.Errorf("META: %v", meta["..."])
	}
}

func TestLongURLIsCapped(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true))
	do(tr.Middleware(ok), httptest.NewRequest("GET", "/"+strings.Repeat("a", 10000), nil))
	if u := onlySpan(t, m).Tags["http.url"].(string); len(u) > core.DefaultMaxTagLength || !strings.HasSuffix(u, "...") {
		t.Errorf("http.url of %d bytes", len(u))
	}
}

func TestCallbackPanicsAreCounted(t *testing.T) {
	tr, _ := newMock(t, core.WithTraceAll(true),
		core.WithSpanObserver(func(opentracing.Span, *http.Request) { panic("observer") }),
		core.WithOperationName(func(*http.Request) string { panic("namer") }))
	do(tr.Middleware(ok), httptest.NewRequest("GET", "/", nil))
	if st := tr.Stats(); st.CallbackPanics != 2 || st.Started != 1 || st.Finished != 1 || st.Reported != 1 {
		t.Errorf("Stats() = %+v", st)
	}
}
