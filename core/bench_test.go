package core_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/traceplug/traceplug/core"
)

// giantQuery is a 0.9 MiB query of 20,000 harmless keys and one secret:
// what a hostile client can send within net/http's default header limit
// (1 MiB). With secrets set, every key looks secret ("key00001", ...).
func giantQuery(secrets bool) string {
	name := "par%05d=%s&"
	if secrets {
		name = "key%05d=%s&"
	}
	var b strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&b, name, i, strings.Repeat("v", 38))
	}
	b.WriteString("access_token=s3cret")
	return b.String()
}

// BenchmarkGiantQuery serves a request with a giant query (and a Referer
// holding it) through the middleware, with the default settings and with
// every attribute traced, its keys harmless but one, or all secret. Tags
// are capped, so the work per request must be too.
func BenchmarkGiantQuery(b *testing.B) {
	for _, keys := range []struct {
		name    string
		secrets bool
	}{{"one-secret", false}, {"all-secret", true}} {
		query := giantQuery(keys.secrets)
		for _, tc := range []struct {
			name string
			opts []core.Option
		}{
			{"defaults", nil},
			{"all-attributes", []core.Option{core.WithTracedAttributes(core.TracedAttributes()...)}},
		} {
			b.Run(keys.name+"/"+tc.name, func(b *testing.B) {
				tr, err := core.New("mock", append([]core.Option{core.WithTraceAll(true)}, tc.opts...)...)
				if err != nil {
					b.Fatal(err)
				}
				defer tr.Close()
				m := mockOf(tr)
				h := tr.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
				r := httptest.NewRequest("GET", "/search?"+query, nil)
				r.Header.Set("Referer", "https://app.example/search?"+query)
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
}

// BenchmarkPlainRequest is an ordinary request (a routed GET with a short
// query and a few headers) through the middleware, with the defaults and
// with every attribute traced: what the hostile-input checks cost everyone.
func BenchmarkPlainRequest(b *testing.B) {
	for _, tc := range []struct {
		name string
		opts []core.Option
	}{
		{"defaults", nil},
		{"all-attributes", []core.Option{core.WithTracedAttributes(core.TracedAttributes()...)}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			tr, err := core.New("mock", append([]core.Option{core.WithTraceAll(true)}, tc.opts...)...)
			if err != nil {
				b.Fatal(err)
			}
			defer tr.Close()
			m := mockOf(tr)
			mux := http.NewServeMux()
			mux.Handle("GET /items/{id}", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			h := tr.Middleware(mux)
			r := httptest.NewRequest("GET", "/items/42?page=2&sort=name", nil)
			r.Header.Set("Accept", "application/json")
			r.Header.Set("User-Agent", "bench/1.0")
			r.Header.Set("Referer", "https://app.example/items?page=1")
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
