package faults_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/traceplug/traceplug/backends/jaeger/jaegertest"
	"github.com/traceplug/traceplug/backends/lightstep/lightsteptest"
	"github.com/traceplug/traceplug/backends/mock/mocktest"
	"github.com/traceplug/traceplug/backends/zipkin/zipkintest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

// hostileJWT is a JSON Web Token whose signature is the secret.
const hostileJWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.S3CRETjwt"

// hostileRequest is one hostile request: sent by net/http's client, or, for
// what it will not send (a "#" in the target), written raw.
type hostileRequest struct {
	name, method, target string
	header               http.Header
	raw                  bool
}

func hostileRequests() []hostileRequest {
	flood := func(n int, form string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf(form, i)
		}
		return strings.Join(parts, ",")
	}
	var giant strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&giant, "key%05d=%s&", i, strings.Repeat("v", 38))
	}
	giant.WriteString("access_token=S3CRETgiant")
	prefixed := http.Header{"Uber-Trace-Id": {"463ac35c9f6413ad:a2fb4a1d1a96d312:0:1"}}
	for i := range 1000 {
		prefixed.Set(fmt.Sprintf("Uberctx-K%d", i), "1")
		prefixed.Set(fmt.Sprintf("Ot-Baggage-O%d", i), "1")
		prefixed.Set(fmt.Sprintf("Baggage-B%d", i), "1")
	}
	return []hostileRequest{
		{name: "64 KiB method", method: strings.Repeat("M", 64<<10), target: "/m"},
		{name: "giant query", method: "GET", target: "/q?" + giant.String()},
		{name: "semicolon", method: "GET", target: "/s?x=1;access_token=S3CRETsemi"},
		{name: "fragment", method: "GET", target: "/f?a=1#access_token=S3CRETfrag", raw: true},
		{name: "fragment in path", method: "GET", target: "/f#access_token=S3CRETfrag", raw: true},
		{name: "secret shapes", method: "GET", target: "/h?ticket=S3CRETq&t%6Fken=S3CRETq&bad=%zz&state=" + hostileJWT, header: http.Header{
			"X-Claims":              {hostileJWT},
			"X-Upstream":            {"Bearer S3CRETbearer"},
			"Referer":               {"https://app.example/cb?code=S3CRETref#access_token=S3CRETref"},
			"X-Shopify-Hmac-Sha256": {"S3CREThmac"},
			"Dpop":                  {"S3CRETdpop"},
		}},
		{name: "Jaeger-Baggage flood", method: "GET", target: "/b", header: http.Header{
			"Uber-Trace-Id":  {"463ac35c9f6413ad:a2fb4a1d1a96d312:0:1"},
			"Jaeger-Baggage": {flood(1000, "k%d=1")},
			"Baggage":        {flood(1000, "w%d=1")},
		}},
		{name: "prefixed baggage flood", method: "GET", target: "/b", header: prefixed},
		{name: "400 KB B3 header", method: "GET", target: "/e", header: http.Header{"B3": {strings.Repeat("z", 400<<10)}}},
	}
}

// send sends hr to the server at addr (host:port).
func (hr hostileRequest) send(t *testing.T, addr string) {
	t.Helper()
	if hr.raw {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", hr.method, hr.target)
		if line, _ := bufio.NewReader(c).ReadString('\n'); !strings.HasPrefix(line, "HTTP/1.1 200") {
			t.Errorf("%s: %q", hr.name, line)
		}
		return
	}
	req, err := http.NewRequest(hr.method, "http://"+addr+hr.target, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hr.header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", hr.name, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("%s: served %d", hr.name, resp.StatusCode)
	}
}

// TestHostileInputsOnTheWire sends issue 15's hostile requests through
// every backend, with every traced attribute and every propagation format,
// and reads back what each collector decoded: every string within the cap,
// no secret anywhere, and the baggage of the next call within the limits.
func TestHostileInputsOnTheWire(t *testing.T) {
	harnesses := []conformance.Harness{
		mocktest.Harness(), jaegertest.Harness("udp"), jaegertest.Harness("http"), zipkintest.Harness(),
		lightsteptest.Harness("http"), lightsteptest.Harness("grpc"),
	}
	for _, h := range harnesses {
		t.Run(h.Name, func(t *testing.T) {
			col := h.Start(t)
			var mu sync.Mutex
			maxItems := 0
			next := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := baggageItems(r.Header)
				mu.Lock()
				maxItems = max(maxItems, n)
				mu.Unlock()
			}))
			defer next.Close()
			opts := append(append(col.Options(), h.Options...),
				core.WithTraceAll(true), core.WithServiceName("hostile"),
				core.WithTracedAttributes(core.TracedAttributes()...),
				core.WithPropagation("jaeger,tracecontext,baggage,b3multi,ottrace"))
			tr, err := core.New(h.Backend, opts...)
			if err != nil {
				t.Fatal(err)
			}
			client := &http.Client{Transport: tr.Transport(nil)}
			srv := httptest.NewServer(tr.Middleware(http.AllowQuerySemicolons(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				req, _ := http.NewRequestWithContext(r.Context(), "GET", next.URL+"/next", nil)
				if resp, err := client.Do(req); err == nil {
					resp.Body.Close()
				}
			}))))
			defer srv.Close()
			for _, hr := range hostileRequests() {
				hr.send(t, srv.Listener.Addr().String())
			}
			if err := tr.Close(); err != nil {
				t.Fatal(err)
			}
			want := 2 * len(hostileRequests())
			spans := col.Spans()
			for deadline := time.Now().Add(15 * time.Second); len(spans) < want && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond) // datagrams are read asynchronously
				spans = col.Spans()
			}
			if len(spans) != want {
				t.Errorf("%d spans arrived, want %d (a server and a client span per request)", len(spans), want)
			}
			for _, s := range spans {
				checkHostileSpan(t, s)
			}
			if maxItems > core.DefaultMaxBaggageItems {
				t.Errorf("a next call carried %d baggage items, over the limit of %d", maxItems, core.DefaultMaxBaggageItems)
			}
			if st := tr.Stats(); st.BaggageDropped == 0 {
				t.Errorf("Stats().BaggageDropped = 0 after baggage floods")
			}
		})
	}
}

// checkHostileSpan fails for strings over the default cap (the backend may
// cut more), a span of more than 48 KiB of strings, and any secret.
func checkHostileSpan(t *testing.T, s conformance.Span) {
	t.Helper()
	total := len(s.Operation)
	if len(s.Operation) > core.DefaultMaxTagLength {
		t.Errorf("operation name of %d bytes: %.60q", len(s.Operation), s.Operation)
	}
	for k, v := range s.Tags {
		str := fmt.Sprint(v)
		total += len(k) + len(str)
		if len(str) > core.DefaultMaxTagLength {
			t.Errorf("span %.40q: tag %s of %d bytes", s.Operation, k, len(str))
		}
		if strings.Contains(str, "S3CRET") {
			t.Errorf("span %.40q: tag %s leaks a secret: %.300s", s.Operation, k, str)
		}
	}
	for _, l := range s.Logs {
		for k, v := range l.Fields {
			str := fmt.Sprint(v)
			total += len(k) + len(str)
			if strings.Contains(str, "S3CRET") || len(str) > core.DefaultMaxTagLength {
				t.Errorf("span %.40q: log field %s (%d bytes): %.300s", s.Operation, k, len(str), str)
			}
		}
	}
	if total > 48<<10 {
		t.Errorf("span %.40q holds %d bytes of strings", s.Operation, total)
	}
}

// baggageItems counts the distinct baggage keys h carries, in any format.
func baggageItems(h http.Header) int {
	seen := map[string]bool{}
	for k, vs := range h {
		lk := strings.ToLower(k)
		for _, v := range vs {
			switch {
			case lk == "baggage" || lk == "jaeger-baggage":
				for _, m := range strings.Split(v, ",") {
					if key, _, found := strings.Cut(strings.TrimSpace(m), "="); found {
						seen[strings.ToLower(key)] = true
					}
				}
			case strings.HasPrefix(lk, "ot-baggage-"):
				seen[strings.TrimPrefix(lk, "ot-baggage-")] = true
			case strings.HasPrefix(lk, "baggage-"):
				seen[strings.TrimPrefix(lk, "baggage-")] = true
			case strings.HasPrefix(lk, "uberctx-"):
				seen[strings.TrimPrefix(lk, "uberctx-")] = true
			}
		}
	}
	return len(seen)
}
