package e2e

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Want is the expected shape of a span and the spans under it.
type Want struct {
	Op      string // operation name
	Kind    string // span.kind, or "" for none
	Service string // service name, or "" for any
	Log     string // a log field value the span must have, or ""
	// Tags are tags the span must have, with these values ("" for any).
	Tags map[string]string
	// NotHTTP says the span is not one of traceplug's HTTP spans (a gRPC
	// span, or a span of another project's instrumentation, with its own
	// tag names): a server or client span is then not checked for
	// traceplug's standard HTTP tags, only for Tags.
	NotHTTP  bool
	Children []Want
}

// Unkinded returns w with kind as the span.kind of every span of the tree
// that wants none: Jaeger shows a span sent over OTLP without a kind as
// span.kind "internal", OpenTelemetry's default kind.
func (w Want) Unkinded(kind string) Want {
	if w.Kind == "" {
		w.Kind = kind
	}
	children := make([]Want, len(w.Children))
	for i, c := range w.Children {
		children[i] = c.Unkinded(kind)
	}
	w.Children = children
	return w
}

// CheckShape checks that tr holds one tree of spans shaped like want, rooted
// at a span with no parent in the trace, with the standard tags traceplug
// puts on server and client spans. fold compares operation names without
// regard to case (Zipkin lower-cases them). The error lists every mismatch
// and the spans the trace has.
func CheckShape(tr *Trace, want Want, fold bool) error {
	var errs []error
	ids := map[string]bool{}
	for _, s := range tr.Spans {
		ids[s.SpanID] = true
		if !SameID(s.TraceID, tr.TraceID) {
			errs = append(errs, fmt.Errorf("span %q is in trace %s, not %s", s.OperationName, s.TraceID, tr.TraceID))
		}
	}
	var roots []Span
	for _, s := range tr.Spans {
		if !ids[s.Parent()] {
			roots = append(roots, s)
		}
	}
	if len(roots) != 1 {
		errs = append(errs, fmt.Errorf("want one root span, found %d", len(roots)))
	} else {
		errs = append(errs, check(tr, roots[0], want, fold)...)
	}
	if n, w := len(tr.Spans), count(want); n != w {
		errs = append(errs, fmt.Errorf("the trace has %d spans, want %d", n, w))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("trace %s is not shaped as expected: %w\nit has:\n%s", tr.TraceID, errors.Join(errs...), tr.Describe())
}

func count(w Want) int {
	n := 1
	for _, c := range w.Children {
		n += count(c)
	}
	return n
}

func check(tr *Trace, s Span, w Want, fold bool) []error {
	var errs []error
	name := func(a, b string) bool {
		if fold {
			return strings.EqualFold(a, b)
		}
		return a == b
	}
	if !name(s.OperationName, w.Op) {
		errs = append(errs, fmt.Errorf("span %q where %q was expected", s.OperationName, w.Op))
	}
	if service := tr.Processes[s.ProcessID].ServiceName; w.Service != "" && service != w.Service {
		errs = append(errs, fmt.Errorf("span %q is from service %q, want %q", s.OperationName, service, w.Service))
	}
	kind, _ := s.Tag("span.kind")
	if kind != w.Kind {
		errs = append(errs, fmt.Errorf("span %q has span.kind %q, want %q", s.OperationName, kind, w.Kind))
	}
	if (w.Kind == "server" || w.Kind == "client") && !w.NotHTTP {
		for _, key := range []string{"component", "http.method", "http.url", "http.status_code"} {
			if _, ok := s.Tag(key); !ok {
				errs = append(errs, fmt.Errorf("%s span %q lacks the tag %s", w.Kind, s.OperationName, key))
			}
		}
		if code, _ := s.Tag("http.status_code"); code != "200" {
			errs = append(errs, fmt.Errorf("span %q has http.status_code %q, want 200", s.OperationName, code))
		}
	}
	for _, key := range slices.Sorted(maps.Keys(w.Tags)) {
		if got, ok := s.Tag(key); !ok {
			errs = append(errs, fmt.Errorf("span %q lacks the tag %s", s.OperationName, key))
		} else if want := w.Tags[key]; want != "" && got != want {
			errs = append(errs, fmt.Errorf("span %q has %s %q, want %q", s.OperationName, key, got, want))
		}
	}
	if w.Log != "" && !hasLog(s, w.Log) {
		errs = append(errs, fmt.Errorf("span %q lacks the log %q", s.OperationName, w.Log))
	}
	for _, cw := range w.Children {
		var found *Span
		for i, c := range tr.Spans {
			if c.Parent() == s.SpanID && name(c.OperationName, cw.Op) {
				found = &tr.Spans[i]
				break
			}
		}
		if found == nil {
			errs = append(errs, fmt.Errorf("missing span %q (%s) under %q", cw.Op, cw.Kind, s.OperationName))
			continue
		}
		errs = append(errs, check(tr, *found, cw, fold)...)
	}
	return errs
}

func hasLog(s Span, value string) bool {
	for _, l := range s.Logs {
		for _, f := range l.Fields {
			if strings.Contains(fmt.Sprint(f.Value), value) {
				return true
			}
		}
	}
	return false
}

// ExampleShape is the trace the client-and-server example makes for one of
// its flows ("simple", "log" or "childspan").
func ExampleShape(flow, service string) Want {
	server := Want{Op: "GET /server/" + flow, Kind: "server", Service: service}
	switch flow {
	case "log":
		server.Log = "Hello, world!"
	case "childspan":
		server.Children = []Want{{Op: "child_span", Service: service}}
	}
	return Want{Op: "GET /client/" + flow, Kind: "server", Service: service, Children: []Want{
		{Op: "HTTP GET", Kind: "client", Service: service, Children: []Want{server}},
	}}
}
