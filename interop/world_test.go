package interop_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/traceplug/traceplug/conformance"
)

// The baggage item every test world carries: the first service sets it, and
// every service after it must read it.
const (
	bagKey   = "tenant"
	bagValue = "acme"
)

// A world is one test's services, chained: a plain, untraced GET reaches the
// first service's server, whose handler (the origin) starts the trace, puts
// tenant=acme in its baggage and calls the second service with its own
// traced client, and so on to the last. Each service is a real tracing
// client, traceplug's or another project's, with its server instrumentation,
// its client transport and an in-memory recorder or in-process collector of
// what it recorded.
type world struct {
	t *testing.T
	// sampled is the origin's sampling decision; every other service follows
	// the decision it receives.
	sampled bool
	// base carries every service's outgoing requests, so that its idle
	// connections can be closed at the end of the test.
	base *http.Transport
}

// node is one service of a world.
type node struct {
	// name says which client it is: "otelhttp", "traceplug/jaeger [b3]".
	name string
	// wrap returns h behind the node's server instrumentation.
	wrap func(h http.Handler) http.Handler
	// call sends a GET to url with the node's traced client, as a child of the
	// span of r, the request being served, and reads the whole response.
	call func(r *http.Request, url string) error
	// setBaggage puts tenant=acme in the trace of r, the request being
	// served, and returns the request to go on with.
	setBaggage func(r *http.Request) *http.Request
	// view returns what a handler sees of its trace through the client's own
	// API.
	view func(r *http.Request) view
	// spans flushes the node's tracer and returns every span it recorded.
	spans func(t *testing.T) []conformance.Span
	// writes are the formats of span context that the node writes on its
	// outgoing requests ("tracecontext", "b3", "b3multi", "jaeger",
	// "ottrace"): each is checked on the wire.
	writes []string
	// bagOut says where the node writes baggage on its outgoing requests:
	// "baggage" for the W3C header, else a header prefix ("baggage-",
	// "ot-baggage-", "uberctx-"). Each is checked on the wire.
	bagOut []string
	// trace64 says the node keeps only the low 64 bits of a trace id.
	trace64 bool
}

// mk builds a node in w; origin says it is the first service.
type mk func(w *world, origin bool) *node

// view is what a handler saw of its trace through its client's API. Ids are
// in the conformance model's form (conformance.NormalizeID); empty when the
// client cannot say.
type view struct {
	trace, span string
	sampled     *bool // nil when the client's API does not say
	baggage     string
}

// hop is what one service of a world saw and recorded.
type hop struct {
	n      *node
	header http.Header // the request's headers, as the server received them
	view   view
	spans  []conformance.Span // nil until collected
}

// run builds the nodes of mks in a fresh world, sends one request through
// them and returns what each saw and recorded.
func run(t *testing.T, sampled bool, mks ...mk) []*hop {
	t.Helper()
	base := &http.Transport{}
	t.Cleanup(base.CloseIdleConnections)
	w := &world{t: t, sampled: sampled, base: base}
	hops := make([]*hop, len(mks))
	for i, m := range mks {
		hops[i] = &hop{n: m(w, i == 0)}
	}
	var mu sync.Mutex // the handlers run on the servers' goroutines
	urls := make([]string, len(hops))
	for i := len(hops) - 1; i >= 0; i-- {
		h, next := hops[i], ""
		if i+1 < len(hops) {
			next = urls[i+1]
		}
		origin := i == 0
		traced := h.n.wrap(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if origin {
				r = h.n.setBaggage(r)
			}
			v := h.n.view(r)
			mu.Lock()
			h.view = v
			mu.Unlock()
			if next != "" {
				if err := h.n.call(r, next); err != nil {
					http.Error(rw, err.Error(), http.StatusBadGateway)
					return
				}
			}
			_, _ = io.WriteString(rw, "ok")
		}))
		srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			mu.Lock()
			h.header = r.Header.Clone()
			mu.Unlock()
			traced.ServeHTTP(rw, r)
		}))
		t.Cleanup(srv.Close)
		urls[i] = srv.URL
	}

	resp, err := (&http.Client{Transport: base}).Get(urls[0])
	if err != nil {
		t.Fatalf("GET the first service (%s): %v", hops[0].n.name, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the chain %s answered %d: %s", chain(hops), resp.StatusCode, body)
	}
	for _, h := range hops {
		h.spans = h.n.spans(t)
	}
	return hops
}

// chain names a world's services: "otelhttp → traceplug/mock [tracecontext,baggage]".
func chain(hops []*hop) string {
	names := make([]string, len(hops))
	for i, h := range hops {
		names[i] = h.n.name
	}
	return strings.Join(names, " → ")
}

// check asserts, for a world run with sampling decision sampled, on the wire
// and on what each service recorded:
//   - trace id: one trace across every service, except that a service that
//     holds 64-bit trace ids, and any hop in ottrace only, keeps the low 64
//     bits of the trace id (and so does every service after it);
//   - parents: the first service's server span is a root; every other
//     server span is a child of the previous service's client span, whose id
//     is on the wire; every client span descends from its service's server
//     span;
//   - sampled: the decision is on the wire in every format, every service
//     that says (its API) agrees, and the services recorded their spans when
//     sampled, none when not;
//   - baggage: tenant=acme is on the wire in every place the sender writes
//     baggage, and every service's handler read it.
func check(t *testing.T, sampled bool, hops []*hop) {
	t.Helper()
	servers := make([]*conformance.Span, len(hops))
	clients := make([]*conformance.Span, len(hops))
	for i, h := range hops {
		if !sampled {
			if len(h.spans) != 0 {
				t.Errorf("%s recorded %d spans of a trace that is not sampled:\n%s", h.n.name, len(h.spans), list(h.spans))
			}
			continue
		}
		servers[i] = only(t, h, "server")
		if i+1 < len(hops) {
			clients[i] = only(t, h, "client")
		}
	}

	// The trace id each service should hold.
	want := make([]string, len(hops))
	switch {
	case servers[0] != nil:
		want[0] = servers[0].TraceID
	case hops[0].view.trace != "":
		want[0] = hops[0].view.trace
	case len(hops) > 1:
		want[0], _, _ = firstWire(hops[1].header, hops[0].n.writes)
	}
	if want[0] == "" {
		t.Fatalf("%s: the origin's trace id is nowhere to be seen", chain(hops))
	}
	for i := 1; i < len(hops); i++ {
		want[i] = want[i-1]
		if hops[i].n.trace64 || only64(hops[i-1].n.writes) {
			want[i] = low64(want[i])
		}
	}

	for i, h := range hops {
		name := h.n.name
		// What the service recorded.
		for _, s := range h.spans {
			if s.TraceID != want[i] {
				t.Errorf("%s recorded span %q in trace %s, want %s", name, s.Operation, s.TraceID, want[i])
			}
		}
		if s := servers[i]; s != nil {
			if i == 0 && s.ParentID != "" {
				t.Errorf("%s: the origin's server span has parent %s, want none (a root)", name, s.ParentID)
			}
			if i > 0 && clients[i-1] != nil && s.ParentID != clients[i-1].SpanID {
				t.Errorf("%s: server span's parent is %s, want %s, the client span of %s", name, s.ParentID, clients[i-1].SpanID, hops[i-1].n.name)
			}
		}
		if c := clients[i]; c != nil && servers[i] != nil && !descends(h.spans, *c, servers[i].SpanID) {
			t.Errorf("%s: client span %s does not descend from its server span %s:\n%s", name, c.SpanID, servers[i].SpanID, list(h.spans))
		}
		// What the handler saw through the client's API.
		v := h.view
		if v.trace != "" && v.trace != want[i] {
			t.Errorf("%s: the handler sees trace %s, want %s", name, v.trace, want[i])
		}
		if v.span != "" && servers[i] != nil && v.span != servers[i].SpanID {
			t.Errorf("%s: the handler sees span %s, want the server span %s", name, v.span, servers[i].SpanID)
		}
		if v.sampled != nil && *v.sampled != sampled {
			t.Errorf("%s: the handler sees sampled=%v, want %v", name, *v.sampled, sampled)
		}
		if v.baggage != bagValue {
			t.Errorf("%s: the handler reads baggage %s=%q, want %q (received headers: %s)", name, bagKey, v.baggage, bagValue, show(h.header))
		}
		if i == 0 {
			continue
		}
		// What came over the wire from the previous service.
		from := hops[i-1]
		for _, f := range from.n.writes {
			wc, err := readWire(f, h.header)
			if err != nil {
				t.Errorf("%s → %s: %s on the wire: %v (received headers: %s)", from.n.name, name, f, err, show(h.header))
				continue
			}
			wantTrace := want[i-1]
			if f == "ottrace" {
				wantTrace = low64(wantTrace)
			}
			if wc.trace != wantTrace {
				t.Errorf("%s → %s: %s carries trace %s, want %s (received headers: %s)", from.n.name, name, f, wc.trace, wantTrace, show(h.header))
			}
			if clients[i-1] != nil && wc.span != clients[i-1].SpanID {
				t.Errorf("%s → %s: %s carries span %s, want %s, the sender's client span (received headers: %s)", from.n.name, name, f, wc.span, clients[i-1].SpanID, show(h.header))
			}
			if wc.sampled == nil || *wc.sampled != sampled {
				t.Errorf("%s → %s: %s carries sampled=%s, want %v (received headers: %s)", from.n.name, name, f, fmtBool(wc.sampled), sampled, show(h.header))
			}
		}
		for _, where := range from.n.bagOut {
			if got, ok := wireBaggage(where, h.header); !ok || got != bagValue {
				t.Errorf("%s → %s: baggage in %s is %q (present %v), want %s=%s (received headers: %s)", from.n.name, name, bagPlace(where), got, ok, bagKey, bagValue, show(h.header))
			}
		}
	}
	if !t.Failed() {
		t.Logf("%s: trace %s, sampled=%v, parents and baggage right", chain(hops), strings.Join(uniq(want), " then "), sampled)
	}
}

// interop runs the world mks with the decision sampled and checks it.
func interop(t *testing.T, sampled bool, mks ...mk) []*hop {
	t.Helper()
	hops := run(t, sampled, mks...)
	check(t, sampled, hops)
	return hops
}

// only returns a service's one span of kind ("server" or "client").
func only(t *testing.T, h *hop, kind string) *conformance.Span {
	t.Helper()
	var found []conformance.Span
	for _, s := range h.spans {
		if k, _ := s.Tag("span.kind"); k == kind {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Errorf("%s: want one %s span recorded, found %d among:\n%s", h.n.name, kind, len(found), list(h.spans))
		return nil
	}
	return &found[0]
}

// descends says whether s has ancestor among spans (walking parent ids).
func descends(spans []conformance.Span, s conformance.Span, ancestor string) bool {
	byID := map[string]conformance.Span{}
	for _, x := range spans {
		byID[x.SpanID] = x
	}
	for range len(spans) + 1 {
		if s.ParentID == ancestor {
			return true
		}
		p, ok := byID[s.ParentID]
		if !ok {
			return false
		}
		s = p
	}
	return false
}

// only64 says whether the formats carry only 64 bits of a trace id.
func only64(formats []string) bool {
	for _, f := range formats {
		if f != "ottrace" {
			return false
		}
	}
	return len(formats) > 0
}

// low64 returns the low 64 bits of a trace id in the model's form.
func low64(id string) string {
	if len(id) > 16 {
		id = id[len(id)-16:]
	}
	return conformance.NormalizeID(id)
}

func uniq(ids []string) []string {
	var out []string
	for _, id := range ids {
		if len(out) == 0 || out[len(out)-1] != id {
			out = append(out, id)
		}
	}
	return out
}

func list(spans []conformance.Span) string {
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&b, "  %s\n", s)
	}
	return b.String()
}

func fmtBool(b *bool) string {
	if b == nil {
		return "(none)"
	}
	return fmt.Sprint(*b)
}

func ptr[T any](v T) *T { return &v }
