package core_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/traceplug/traceplug/core"
)

// BenchmarkPublicEndpoint is a request with a caller's sampled traceparent
// through the middleware on the mock backend, continued or on a public
// endpoint, with the service's ratio 1 or 0: what the new root and its link
// cost beside continuing the caller's trace. At ratio 0 the continued trace
// is still recorded (the caller sampled it); the public one is not.
func BenchmarkPublicEndpoint(b *testing.B) {
	for _, tc := range []struct {
		name string
		opts []core.Option
	}{
		{"continue/ratio=1", nil},
		{"public/ratio=1", []core.Option{core.WithPublicEndpoint(true)}},
		{"continue/ratio=0", []core.Option{core.WithSampleRate(0)}},
		{"public/ratio=0", []core.Option{core.WithPublicEndpoint(true), core.WithSampleRate(0)}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			tr, err := core.New("mock", append([]core.Option{core.WithTraceAll(true)}, tc.opts...)...)
			if err != nil {
				b.Fatal(err)
			}
			defer tr.Close()
			m := mockOf(tr)
			h := tr.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			r := httptest.NewRequest("GET", "/pay", nil)
			r.Header.Set("traceparent", "00-"+callerHex+"-"+callerSpanHex+"-01")
			w := httptest.NewRecorder()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				h.ServeHTTP(w, r)
				m.Reset()
			}
		})
	}
}
