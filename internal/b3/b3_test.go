package b3

import (
	"errors"
	"testing"

	"github.com/opentracing/opentracing-go"
)

func TestRoundTrip(t *testing.T) {
	yes := true
	for _, c := range []Context{
		{TraceLow: 0x463ac35c9f6413ad, SpanID: 0xa2fb4a1d1a96d312, Sampled: &yes, Baggage: map[string]string{"user": "ann"}},
		{TraceHigh: 0x80f198ee56343ba8, TraceLow: 1, SpanID: 2},
		{TraceLow: 1, SpanID: 2, Debug: true},
	} {
		m := opentracing.TextMapCarrier{}
		Inject(m, c)
		got, err := Extract(m)
		if err != nil {
			t.Fatalf("%v: %v", m, err)
		}
		if got.TraceHigh != c.TraceHigh || got.TraceLow != c.TraceLow || got.SpanID != c.SpanID ||
			got.IsSampled(false) != c.IsSampled(false) || got.Baggage["user"] != c.Baggage["user"] {
			t.Errorf("%+v became %+v (headers %v)", c, got, m)
		}
	}
}

func TestExtract(t *testing.T) {
	for _, tc := range []struct {
		name    string
		headers map[string]string
		err     error
		sampled bool
	}{
		{"none", map[string]string{"Other": "x"}, opentracing.ErrSpanContextNotFound, false},
		{"multi", map[string]string{"X-B3-TraceId": "463ac35c9f6413ad", "X-B3-SpanId": "a2fb4a1d1a96d312", "X-B3-Sampled": "1"}, nil, true},
		{"lenient true", map[string]string{"X-B3-TraceId": "463ac35c9f6413ad", "X-B3-SpanId": "a2fb4a1d1a96d312", "X-B3-Sampled": "true"}, nil, true},
		{"debug", map[string]string{"X-B3-TraceId": "463ac35c9f6413ad", "X-B3-SpanId": "a2fb4a1d1a96d312", "X-B3-Flags": "1"}, nil, true},
		{"single", map[string]string{"b3": "463ac35c9f6413ad-a2fb4a1d1a96d312-1-0020000000000001"}, nil, true},
		{"single debug", map[string]string{"b3": "463ac35c9f6413ad-a2fb4a1d1a96d312-d"}, nil, true},
		{"single deny only", map[string]string{"b3": "0"}, opentracing.ErrSpanContextCorrupted, false},
		{"bad hex", map[string]string{"X-B3-TraceId": "463ac35c9f6413zz", "X-B3-SpanId": "a2fb4a1d1a96d312"}, opentracing.ErrSpanContextCorrupted, false},
		{"short trace id", map[string]string{"X-B3-TraceId": "abc", "X-B3-SpanId": "a2fb4a1d1a96d312"}, opentracing.ErrSpanContextCorrupted, false},
		{"long span id", map[string]string{"X-B3-TraceId": "463ac35c9f6413ad", "X-B3-SpanId": "a2fb4a1d1a96d3120"}, opentracing.ErrSpanContextCorrupted, false},
		{"missing span id", map[string]string{"X-B3-TraceId": "463ac35c9f6413ad"}, opentracing.ErrSpanContextCorrupted, false},
		{"zero ids", map[string]string{"X-B3-TraceId": "0000000000000000", "X-B3-SpanId": "0000000000000000"}, opentracing.ErrSpanContextCorrupted, false},
		{"bad sampled", map[string]string{"X-B3-TraceId": "463ac35c9f6413ad", "X-B3-SpanId": "a2fb4a1d1a96d312", "X-B3-Sampled": "maybe"}, opentracing.ErrSpanContextCorrupted, false},
	} {
		m := opentracing.TextMapCarrier{}
		for k, v := range tc.headers {
			m[k] = v
		}
		c, err := Extract(m)
		if !errors.Is(err, tc.err) && !(tc.err == nil && err == nil) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.err)
			continue
		}
		if err == nil && c.IsSampled(false) != tc.sampled {
			t.Errorf("%s: sampled %v, want %v", tc.name, c.IsSampled(false), tc.sampled)
		}
	}
}
