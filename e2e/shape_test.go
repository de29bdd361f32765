package e2e

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// The golden files are answers of the query API to /api/traces/ID for
// traces the example sent over UDP (service manual-udp): testdata/v1/ from
// Jaeger all-in-one 1.42, testdata/v2/ from Jaeger v2 (module v1.76.0).
var versions = []Version{V1, V2}

func load(t *testing.T, v Version, name string) *Trace {
	t.Helper()
	file := "testdata/" + string(v) + "/" + name
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Data []Trace `json:"data"`
	}
	if err := json.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	if len(a.Data) != 1 {
		t.Fatalf("%s holds %d traces", file, len(a.Data))
	}
	return &a.Data[0]
}

func TestShapeAcceptsTheExamplesTraces(t *testing.T) {
	for _, v := range versions {
		for flow, file := range map[string]string{"log": "log-trace.json", "childspan": "childspan-trace.json"} {
			if err := CheckShape(load(t, v, file), ExampleShape(flow, "manual-udp"), false); err != nil {
				t.Errorf("%s %s: %v", v, flow, err)
			}
		}
	}
}

// TestShapeFailsClearly: the checker names what is wrong.
func TestShapeFailsClearly(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(*Trace)
		want  string
	}{
		{"missing span", func(tr *Trace) { tr.Spans = drop(tr.Spans, "child_span") }, `missing span "child_span" () under "GET /server/childspan"`},
		{"missing client span", func(tr *Trace) { tr.Spans = drop(tr.Spans, "HTTP GET") }, "want one root span, found 2"},
		{"wrong parent", func(tr *Trace) { find(tr, "child_span").References[0].SpanID = "1" }, "want one root span"},
		{"missing tag", func(tr *Trace) {
			s := find(tr, "GET /server/childspan")
			s.Tags = dropTag(s.Tags, "http.status_code")
		}, `server span "GET /server/childspan" lacks the tag http.status_code`},
		{"wrong service", func(tr *Trace) {
			for k, p := range tr.Processes {
				p.ServiceName = "other"
				tr.Processes[k] = p
			}
		}, `is from service "other", want "manual-udp"`},
	} {
		for _, v := range versions {
			t.Run(string(v)+"/"+tc.name, func(t *testing.T) {
				tr := load(t, v, "childspan-trace.json")
				tc.spoil(tr)
				err := CheckShape(tr, ExampleShape("childspan", "manual-udp"), false)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("CheckShape = %v\nwant an error containing %q", err, tc.want)
				}
			})
		}
	}
	for _, v := range versions {
		if err := CheckShape(load(t, v, "log-trace.json"), ExampleShape("simple", "manual-udp"), false); err == nil {
			t.Errorf("%s: the log flow's trace passed as the simple flow's", v)
		}
	}
}

func drop(spans []Span, op string) []Span {
	var out []Span
	for _, s := range spans {
		if s.OperationName != op {
			out = append(out, s)
		}
	}
	return out
}

func find(tr *Trace, op string) *Span {
	for i := range tr.Spans {
		if tr.Spans[i].OperationName == op {
			return &tr.Spans[i]
		}
	}
	return nil
}

func dropTag(tags []KeyValue, key string) []KeyValue {
	var out []KeyValue
	for _, kv := range tags {
		if kv.Key != key {
			out = append(out, kv)
		}
	}
	return out
}

// TestShapeTagsAndKinds: Want.Tags, Want.NotHTTP and Want.Unkinded, on the
// golden traces of both versions.
func TestShapeTagsAndKinds(t *testing.T) {
	for _, v := range versions {
		t.Run(string(v), func(t *testing.T) {
			want := ExampleShape("childspan", "manual-udp")
			client := &want.Children[0]

			client.Tags = map[string]string{"http.method": "GET", "peer.port": ""}
			if err := CheckShape(load(t, v, "childspan-trace.json"), want, false); err != nil {
				t.Errorf("the tags the client span has: %v", err)
			}
			client.Tags = map[string]string{"http.method": "POST", "rpc.system": "grpc"}
			err := CheckShape(load(t, v, "childspan-trace.json"), want, false)
			for _, msg := range []string{`span "HTTP GET" has http.method "GET", want "POST"`, `span "HTTP GET" lacks the tag rpc.system`} {
				if err == nil || !strings.Contains(err.Error(), msg) {
					t.Errorf("CheckShape = %v\nwant an error containing %q", err, msg)
				}
			}
			client.Tags = nil

			// A span that is not traceplug's HTTP span need not have its tags.
			tr := load(t, v, "childspan-trace.json")
			s := find(tr, "HTTP GET")
			s.Tags = dropTag(dropTag(s.Tags, "http.status_code"), "component")
			if err := CheckShape(tr, want, false); err == nil {
				t.Error("a client span without http.status_code passed as traceplug's")
			}
			client.NotHTTP = true
			if err := CheckShape(tr, want, false); err != nil {
				t.Errorf("NotHTTP: %v", err)
			}
			client.NotHTTP = false

			// The golden traces came over UDP: child_span has no span.kind.
			err = CheckShape(load(t, v, "childspan-trace.json"), want.Unkinded("internal"), false)
			if msg := `span "child_span" has span.kind "", want "internal"`; err == nil || !strings.Contains(err.Error(), msg) {
				t.Errorf("CheckShape(Unkinded) = %v\nwant an error containing %q", err, msg)
			}
			if want.Children[0].Children[0].Children[0].Kind != "" {
				t.Error("Unkinded changed the Want it was called on")
			}
		})
	}
}

func TestTraceServices(t *testing.T) {
	for _, v := range versions {
		tr := load(t, v, "childspan-trace.json")
		if got := tr.Services(); len(got) != 1 || got[0] != "manual-udp" {
			t.Errorf("%s: Services() = %v, want [manual-udp]", v, got)
		}
		tr.Processes["p9"] = Process{ServiceName: "another"}
		tr.Processes["p8"] = Process{ServiceName: "manual-udp"}
		if got := tr.Services(); len(got) != 2 || got[0] != "another" || got[1] != "manual-udp" {
			t.Errorf("%s: Services() = %v, want [another manual-udp]", v, got)
		}
	}
}
